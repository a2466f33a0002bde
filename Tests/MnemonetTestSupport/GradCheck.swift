// Test support shared by the Swift test targets (a plain target: SwiftPM test targets cannot import each other).
import MnemonetEngine

/// Finite-difference gradient checks (first and second order) for functions of `Variable`s.
///
/// For inputs x₁…xₙ and f, the checked scalar is L(x) = Σ f(x) ⊙ R with a fixed random R (so every output element
/// matters). For each input separately, along a random unit direction d, the analytic directional derivative ⟨∂L/∂xᵢ, d⟩
/// is compared with the fourth-order central difference [L(−2h) − 8L(−h) + 8L(+h) − L(+2h)] / 12h (h = 1e-2 in
/// Float32; error O(h⁴) plus rounding ~1e-5). Tolerance: |analytic − numeric| ≤ 1e-2·|numeric| + 2e-3 — tight
/// enough that a wrong sign or a missing term fails (`GradCheckTests.checkerCatchesWrongPullbacks`).
///
/// Second order: S(x) = Σᵢ ⟨∂L/∂xᵢ, vᵢ⟩ with random vᵢ, differentiated through `gradients(createGraph: true)`, is
/// checked the same way against finite differences of S (itself evaluated with first-order gradients).
public struct GradCheck {
    public var seed: UInt64 = 7
    public var h: Float = 1e-2
    public var relTol: Float = 1e-2
    public var absTol: Float = 2e-3

    public init(seed: UInt64 = 7, h: Float = 1e-2, relTol: Float = 1e-2, absTol: Float = 2e-3) {
        self.seed = seed; self.h = h; self.relTol = relTol; self.absTol = absTol
    }

    /// The worst |analytic − numeric| / (relTol·|numeric| + absTol) over inputs and orders; ≤ 1 passes.
    public func worst(inputs: [Tensor], secondOrder: Bool = true, _ f: @escaping ([Variable]) -> Variable) -> Float {
        var rng = Xoshiro256(seed: seed)
        let probe = f(inputs.map { Variable($0) })
        let r = Tensor.uniform(shape: probe.shape, low: -1, high: 1, rng: &rng)
        let loss: ([Variable]) -> Variable = { xs in (f(xs) * Variable(r)).sum() }
        var result = compare(inputs: inputs, rng: &rng, loss)
        if secondOrder {
            let vs = inputs.map { Tensor.uniform(shape: $0.shape, low: -1, high: 1, rng: &rng) }
            let s: ([Variable]) -> Variable = { xs in
                let gs = gradients(of: loss(xs), wrt: xs, createGraph: true)
                var total = Variable(scalar: 0)
                for (g, v) in zip(gs, vs) { total = total + (g * Variable(v)).sum() }
                return total
            }
            result = max(result, compare(inputs: inputs, rng: &rng, s))
        }
        return result
    }

    private func compare(inputs: [Tensor], rng: inout Xoshiro256, _ l: ([Variable]) -> Variable) -> Float {
        let xs = inputs.map { Variable($0.copy(), requiresGrad: true) }
        let grads = gradients(of: l(xs), wrt: xs)
        var worst: Float = 0
        for i in 0..<inputs.count {
            var d = Tensor.normal(shape: inputs[i].shape, rng: &rng)
            let norm = d.array.reduce(0) { $0 + $1 * $1 }.squareRoot()
            d = Tensor(shape: d.shape, values: d.array.map { $0 / max(norm, 1e-12) })
            let analytic = zip(grads[i].value.array, d.array).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            func at(_ t: Float) -> Float {
                let moved = inputs.enumerated().map { j, x -> Variable in
                    j == i ? Variable(Tensor(shape: x.shape, values: zip(x.array, d.array).map { $0 + t * $1 }), requiresGrad: true)
                           : Variable(x.copy(), requiresGrad: true)
                }
                return l(moved).scalar
            }
            let numeric = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)
            let ratio = abs(analytic - numeric) / (relTol * abs(numeric) + absTol)
            worst = max(worst, ratio.isNaN ? .infinity : ratio)
        }
        return worst
    }
}

/// Uniform values in [lo, hi) of `shape`, seeded.
public func rand(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1, seed: UInt64 = 1) -> Tensor {
    var rng = Xoshiro256(seed: seed &+ UInt64(shape.reduce(0, { $0 * 31 + $1 })))
    return Tensor.uniform(shape: shape, low: lo, high: hi, rng: &rng)
}

/// Uniform values with |x| in [0.2, 1) (away from the kinks of relu/clamp at 0).
public func randAwayFromZero(_ shape: [Int], seed: UInt64 = 2) -> Tensor {
    let t = rand(shape, -1, 1, seed: seed)
    return Tensor(shape: shape, values: t.array.map { $0 < 0 ? $0 * 0.8 - 0.2 : $0 * 0.8 + 0.2 })
}

/// The first-order check alone, as a free function: `GradCheck(seed:h:relTol:absTol:).worst(inputs:secondOrder: false)`.
/// L(x) = Σ f(x) ⊙ R, each input moved along a random unit direction; ≤ 1 passes.
public func finiteDifferenceWorst(_ inputs: [Tensor], h: Float = 1e-2, relTol: Float = 1e-2, absTol: Float = 2e-3,
                                  seed: UInt64 = 5, _ f: @escaping ([Variable]) -> Variable) -> Float {
    GradCheck(seed: seed, h: h, relTol: relTol, absTol: absTol).worst(inputs: inputs, secondOrder: false, f)
}
