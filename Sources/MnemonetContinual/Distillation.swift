#if canImport(Glibc)
import Glibc
#endif

/// Learning without Forgetting's distillation term (Li & Hoiem 2017, as Avalanche's `LwFPlugin` computes it):
///
///     q_r = softmax(z_old,r[O] / T),   p_r = softmax(z_r[O] / T)
///     L_KD = α · (1/n) Σ_r KL(q_r ‖ p_r) = α · (1/n) Σ_r Σ_{c∈O} q_rc (log q_rc − log p_rc)
///     ∂L_KD/∂z_rc = α/(n·T) · (p_rc − q_rc)  for c ∈ O,   0 outside O
///
/// over the old units O (`mask`, C flags); z, z_old [n, C]. Adds ∂L_KD/∂z into `dLogits` [n, C]; returns L_KD.
public func distillationLoss(
    logits z: UnsafePointer<Float>, oldLogits old: UnsafePointer<Float>, rows n: Int, classes c: Int,
    mask: UnsafePointer<UInt8>, temperature t: Float, alpha: Float, dLogits: UnsafeMutablePointer<Float>
) -> Float {
    var total: Float = 0
    let scale = alpha / (Float(max(n, 1)) * t)
    for r in 0..<n {
        let zr = z + r * c, or = old + r * c, dr = dLogits + r * c
        var topP = -Float.infinity, topQ = -Float.infinity
        for k in 0..<c where mask[k] != 0 {
            topP = max(topP, zr[k] / t)
            topQ = max(topQ, or[k] / t)
        }
        var sumP: Float = 0, sumQ: Float = 0
        for k in 0..<c where mask[k] != 0 {
            sumP += expf(zr[k] / t - topP)
            sumQ += expf(or[k] / t - topQ)
        }
        let lseP = topP + logf(sumP), lseQ = topQ + logf(sumQ)
        for k in 0..<c where mask[k] != 0 {
            let logP = zr[k] / t - lseP, logQ = or[k] / t - lseQ
            let q = expf(logQ)
            total += q * (logQ - logP)
            dr[k] += scale * (expf(logP) - q)
        }
    }
    return alpha * total / Float(max(n, 1))
}
