#if canImport(Glibc)
import Glibc
#endif

/// Adam (Kingma & Ba 2015) on a flat parameter vector, as `torch.optim.Adam` with default betas (0.9, 0.999) and
/// ε = 1e-8: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr·m̂/(√v̂ + ε) with bias-corrected m̂, v̂.
///
/// The meta-optimizer of every meta-learner (the outer loop); its state is part of a learner's checkpointable state.
public struct MetaAdamState: Sendable {
    /// Learning rate (the meta step size β of Finn et al.).
    public var learningRate: Float
    /// β₁.
    public var beta1: Float = 0.9
    /// β₂.
    public var beta2: Float = 0.999
    /// ε.
    public var epsilon: Float = 1e-8
    /// Number of steps taken (t).
    public var step: Int = 0
    /// First moments m.
    public var m: [Float]
    /// Second moments v.
    public var v: [Float]

    /// Fresh state for `count` parameters.
    public init(count: Int, learningRate: Float) {
        self.learningRate = learningRate
        m = [Float](repeating: 0, count: count)
        v = m
    }

    /// θ ← Adam(θ, g); `theta` and `gradient` hold `m.count` floats.
    public mutating func update(_ theta: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>) {
        step += 1
        let b1 = beta1, b2 = beta2
        let c1 = 1 - powf(b1, Float(step)), c2 = 1 - powf(b2, Float(step))
        let stepSize = learningRate / c1
        let sqrtC2 = c2.squareRoot()
        let eps = epsilon
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                for i in 0..<m.count {
                    let gi = gradient[i]
                    m[i] = b1 * m[i] + (1 - b1) * gi
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi
                    theta[i] -= stepSize * m[i] / (v[i].squareRoot() / sqrtC2 + eps)
                }
            }
        }
    }
}
