#if canImport(Glibc)
import Glibc
#endif

/// Softmax cross-entropy over the active units of each row (a masked, multi-head classifier):
///
///     p_r = softmax(z_r[A_r]),   ℓ_r = −log p_r[y_r],   L = (1/n) Σ_r w_r ℓ_r
///     ∂L/∂z_r[c] = (w_r/n)(p_r[c] − 1[c = y_r])  for c ∈ A_r,   0 outside A_r
///
/// z [n, C] logits, `labels` [n] (each must be active in its row), `masks(r)` the C flags of A_r, `weights` [n]
/// (nil: all 1). Writes ∂L/∂z into `dLogits` [n, C] and, when given, ℓ_r into `rowLosses` [n]. Returns L.
/// With every unit active and unit weights this is `F.cross_entropy(z, y)`.
public func maskedSoftmaxCrossEntropy(
    logits z: UnsafePointer<Float>, rows n: Int, classes c: Int, labels: UnsafePointer<Int32>,
    masks: (Int) -> UnsafePointer<UInt8>, weights: UnsafePointer<Float>?, dLogits: UnsafeMutablePointer<Float>,
    rowLosses: UnsafeMutablePointer<Float>?
) -> Float {
    var total: Float = 0
    let inv = 1 / Float(max(n, 1))
    for r in 0..<n {
        let zr = z + r * c, dr = dLogits + r * c, m = masks(r)
        var top = -Float.infinity
        for k in 0..<c where m[k] != 0 { top = max(top, zr[k]) }
        var sum: Float = 0
        for k in 0..<c {
            if m[k] != 0 {
                let e = expf(zr[k] - top)
                dr[k] = e
                sum += e
            } else {
                dr[k] = 0
            }
        }
        let y = Int(labels[r])
        let loss = top + logf(sum) - zr[y]
        let w = weights?[r] ?? 1
        rowLosses?[r] = loss
        total += w * loss
        let scale = w * inv / sum
        for k in 0..<c { dr[k] *= scale }
        dr[y] -= w * inv
    }
    return total * inv
}

/// Index of the largest active logit of each row (ties: the lowest unit), for accuracy.
@inline(__always)
func maskedArgmax(_ z: UnsafePointer<Float>, classes c: Int, mask m: UnsafePointer<UInt8>) -> Int {
    var best = -1
    var value = -Float.infinity
    for k in 0..<c where m[k] != 0 && (best < 0 || z[k] > value) {
        best = k
        value = z[k]
    }
    return best
}
