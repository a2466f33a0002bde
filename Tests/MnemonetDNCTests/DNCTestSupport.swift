import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import MnemonetTestSupport

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
