import Foundation
import MnemonetBase
import MnemonetEngine
import MnemonetMemory

/// A DNC parity fixture written by tools/fixtures/make_dnc_fixtures.py ({"tensors": {name: {shape, values}},
/// "scalars": {...}}).
struct DNCFixture {
    let tensors: [String: Tensor]
    let scalars: [String: Any]

    init(_ name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let data = try Data(contentsOf: dir.appendingPathComponent(name + ".json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var ts: [String: Tensor] = [:]
        for (k, v) in root["tensors"] as! [String: Any] {
            let d = v as! [String: Any]
            ts[k] = Tensor(shape: (d["shape"] as! [NSNumber]).map { $0.intValue },
                           values: (d["values"] as! [NSNumber]).map { $0.floatValue })
        }
        tensors = ts
        scalars = root["scalars"] as? [String: Any] ?? [:]
    }

    subscript(_ key: String) -> Tensor {
        guard let t = tensors[key] else { fatalError("fixture has no tensor \(key)") }
        return t
    }

    func int(_ key: String) -> Int { (scalars[key] as! NSNumber).intValue }
}

/// max_i |a_i − b_i| / max(‖b‖_∞, tiny): the relative error of `a` against the reference `b`.
func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count, "relativeError: \(a.shape) vs \(b.shape)")
    var num: Float = 0, den: Float = 1e-30
    for i in 0..<a.count {
        num = max(num, abs(a[flat: i] - b[flat: i]))
        den = max(den, abs(b[flat: i]))
    }
    return num / den
}

/// Finite-difference check of a function of several tensors: for L(x) = Σ f(x) ⊙ R (fixed random R) and each input
/// along a random unit direction d, the analytic ⟨∂L/∂xᵢ, d⟩ against the fourth-order central difference
/// [L(−2h) − 8L(−h) + 8L(h) − L(2h)] / 12h. Returns the worst |analytic − numeric| / (relTol·|numeric| + absTol)
/// (≤ 1 passes).
func finiteDifferenceWorst(_ inputs: [Tensor], h: Float = 1e-2, relTol: Float = 1e-2, absTol: Float = 2e-3,
                           seed: UInt64 = 5, _ f: ([Variable]) -> Variable) -> Float {
    var rng = Xoshiro256(seed: seed)
    let r = Tensor.uniform(shape: f(inputs.map { Variable($0) }).shape, low: -1, high: 1, rng: &rng)
    func loss(_ xs: [Variable]) -> Variable { (f(xs) * Variable(r)).sum() }
    let leaves = inputs.map { Variable($0.copy(), requiresGrad: true) }
    let grads = gradients(of: loss(leaves), wrt: leaves)
    var worst: Float = 0
    for i in 0..<inputs.count {
        let d = Tensor.normal(shape: inputs[i].shape, rng: &rng)
        let norm = max(d.array.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        let dir = d.array.map { $0 / norm }
        let analytic = zip(grads[i].value.array, dir).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        func at(_ t: Float) -> Float {
            loss(inputs.enumerated().map { j, x in
                j == i ? Variable(Tensor(shape: x.shape, values: zip(x.array, dir).map { $0 + t * $1 })) : Variable(x)
            }).scalar
        }
        let numeric = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)
        let ratio = abs(analytic - numeric) / (relTol * abs(numeric) + absTol)
        worst = max(worst, ratio.isNaN ? .infinity : ratio)
    }
    return worst
}

/// Uniform values in [lo, hi) of `shape`, seeded.
func uniform(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1, seed: UInt64 = 1) -> Tensor {
    var rng = Xoshiro256(seed: seed &+ UInt64(shape.reduce(0, { $0 * 31 + $1 })))
    return Tensor.uniform(shape: shape, low: lo, high: hi, rng: &rng)
}

/// Rows of positive values normalised to sum to `total` along the last axis (weightings).
func weighting(_ shape: [Int], total: Float = 0.9, seed: UInt64 = 3) -> Tensor {
    let t = uniform(shape, 0.05, 1, seed: seed)
    let n = shape.last!
    var v = t.array
    for r in 0..<(v.count / n) {
        let s = v[(r * n)..<(r * n + n)].reduce(0, +)
        for j in 0..<n { v[r * n + j] *= total / s }
    }
    return Tensor(shape: shape, values: v)
}
