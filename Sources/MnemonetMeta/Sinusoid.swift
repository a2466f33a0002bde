#if canImport(Glibc)
import Glibc
#endif
import MnemonetEngine

/// The sinusoid regression benchmark of Finn et al. (2017), §5.1: a task is y = A·sin(x + φ) with amplitude
/// A ~ U[0.1, 5.0] and phase φ ~ U[0, π]; inputs x ~ U[−5, 5]. K-shot: K support and K query points drawn
/// independently from the same task (as the paper's `data_generator.py`, which draws 2K points and splits them).
public struct SinusoidTaskSampler: Sendable {
    /// Amplitude range [A_min, A_max].
    public var amplitudeRange: ClosedRange<Float> = 0.1...5.0
    /// Phase range [φ_min, φ_max].
    public var phaseRange: ClosedRange<Float> = 0...Float.pi
    /// Input range [x_min, x_max].
    public var inputRange: ClosedRange<Float> = -5...5
    /// The generator every draw comes from (its state is the sampler's only state).
    public var rng: Xoshiro256

    /// A sampler whose task stream is a function of `seed` only.
    public init(seed: UInt64) { rng = Xoshiro256(seed: seed) }

    /// One task's parameters (A, φ).
    public struct Parameters: Sendable, Equatable {
        /// Amplitude A.
        public var amplitude: Float
        /// Phase φ.
        public var phase: Float
        /// y = A sin(x + φ).
        public func callAsFunction(_ x: Float) -> Float { amplitude * sinf(x + phase) }
    }

    @inline(__always)
    mutating func uniform(_ r: ClosedRange<Float>) -> Float {
        r.lowerBound + (r.upperBound - r.lowerBound) * rng.nextUnitFloat()
    }

    /// Draws (A, φ).
    public mutating func sampleParameters() -> Parameters {
        let a = uniform(amplitudeRange)
        let p = uniform(phaseRange)
        return Parameters(amplitude: a, phase: p)
    }

    /// Fills `x`, `y` (each `count` floats) with points of the task `p`.
    public mutating func samplePoints(_ p: Parameters, count: Int, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let xi = uniform(inputRange)
            x[i] = xi
            y[i] = p(xi)
        }
    }

    /// A K-shot task: K support and `queryCount` (default K) query points of a fresh sinusoid.
    public mutating func sampleTask(shots k: Int, queryCount: Int? = nil) -> (task: RegressionTask, parameters: Parameters) {
        let p = sampleParameters()
        let q = queryCount ?? k
        var sx = [Float](repeating: 0, count: k), sy = sx
        var qx = [Float](repeating: 0, count: q), qy = qx
        samplePoints(p, count: k, x: &sx, y: &sy)
        samplePoints(p, count: q, x: &qx, y: &qy)
        return (RegressionTask(supportX: sx, supportY: sy, queryX: qx, queryY: qy), p)
    }
}
