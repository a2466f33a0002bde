import COpenBLAS
import MnemonetBase
import MnemonetEngine

#if canImport(Glibc)
import Glibc
#endif

/// Content-based addressing (Graves et al. 2014, §3.3.1; Graves et al. 2016, "content-based addressing"):
///
///     C(M, k, β)[n] = softmax_n( β · ⟨k / ‖k‖, M[n] / ‖M[n]‖⟩ )
///
/// with the seed's `F.normalize` semantics: a row is divided by `max(‖x‖, ε)`, ε = 1e-12, so a zero row (a fresh
/// memory) normalises to zero and every slot gets the same weight 1/N.
///
/// The functions work on raw row-major buffers: `keys` [K, W], `memory` [N, W], `weights` [K, N]. They are the
/// building blocks of `NeuralMemoryBank` and of the controller's fused step, which keep every buffer preallocated.
public enum ContentAddressing {
    /// ε of `F.normalize`: rows are divided by `max(‖x‖₂, ε)`.
    public static let epsilon: Float = 1e-12

    /// `out[r] = x[r] / d[r]`, `d[r] = max(‖x[r]‖₂, ε)` for `rows` rows of `width` values; stores `d` in `denominators`.
    @inlinable
    public static func normalizeRows(
        _ x: UnsafePointer<Float>, rows: Int, width: Int,
        into out: UnsafeMutablePointer<Float>, denominators: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let row = x + r * width
            var s = SIMD8<Float>()
            var j = 0
            while j + 8 <= width {
                let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                s += v * v
                j += 8
            }
            var total = s.sum()
            while j < width { total += row[j] * row[j]; j += 1 }
            let d = max(total.squareRoot(), epsilon)
            denominators[r] = d
            let o = out + r * width
            var k = 0
            while k + 8 <= width {
                let v = UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(o + k).storeBytes(of: v / d, as: SIMD8<Float>.self)
                k += 8
            }
            while k < width { o[k] = row[k] / d; k += 1 }
        }
    }

    /// Content weights of `count` keys against memory rows already normalised (`normalizedMemory` [N, W]):
    ///
    ///     K̂ = normalize(keys)                          [K, W]   (→ normalizedKeys, keyDenominators [K])
    ///     S = K̂ · M̂ᵀ                                   [K, N]   (→ similarity)
    ///     weights[k] = softmax(β_k · S[k])              [K, N]
    @inlinable
    public static func weights(
        keys: UnsafePointer<Float>, betas: UnsafePointer<Float>, count: Int,
        normalizedMemory: UnsafePointer<Float>, memorySize: Int, width: Int,
        normalizedKeys: UnsafeMutablePointer<Float>, keyDenominators: UnsafeMutablePointer<Float>,
        similarity: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>
    ) {
        normalizeRows(keys, rows: count, width: width, into: normalizedKeys, denominators: keyDenominators)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(memorySize), Int32(width),
                    1, normalizedKeys, Int32(width), normalizedMemory, Int32(width), 0, similarity, Int32(memorySize))
        for k in 0..<count {
            softmax(scale: betas[k], similarity + k * memorySize, into: weights + k * memorySize, count: memorySize)
        }
    }

    /// `out = softmax(scale · x)` over `count` values (max-subtracted, like `F.softmax`).
    @inlinable
    public static func softmax(scale: Float, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var m = -Float.infinity
        for n in 0..<count { out[n] = scale * x[n]; m = max(m, out[n]) }
        VectorMath.map(out, out, count: count) { VectorMath.exp($0 - m) }
        let sum = VectorMath.sum(out, count: count)
        VectorMath.map(out, out, count: count) { $0 / sum }
    }

    /// Pullback of one head's content weights through the softmax, β and the key's normalisation.
    ///
    /// Given `dWeights` = ∂L/∂w [N] and what the forward stored (w, S, β, k̂, d = max(‖k‖, ε)) and the memory
    /// [N, W] with its row denominators (the memory is a constant: the seed detaches it):
    ///
    ///     dz = w ⊙ (dw − ⟨w, dw⟩)          (softmax)
    ///     ∂L/∂β = ⟨dz, S⟩,   dS = β · dz
    ///     dk̂ = Σ_n dS[n] · M[n] / d_M[n]
    ///     ∂L/∂k = (dk̂ − k̂ ⟨k̂, dk̂⟩) / d   if ‖k‖ > ε,   dk̂ / ε otherwise (the clamp is flat)
    ///
    /// `scratch` holds N values. Writes ∂L/∂k into `dKey` [W] and returns ∂L/∂β.
    @inlinable
    public static func pullback(
        dWeights: UnsafePointer<Float>, weights: UnsafePointer<Float>, similarity: UnsafePointer<Float>, beta: Float,
        normalizedKey: UnsafePointer<Float>, keyDenominator: Float,
        memory: UnsafePointer<Float>, memoryDenominators: UnsafePointer<Float>, memorySize: Int, width: Int,
        dKey: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) -> Float {
        var wdw: Float = 0
        for n in 0..<memorySize { wdw += weights[n] * dWeights[n] }
        var dBeta: Float = 0
        for n in 0..<memorySize {
            let dz = weights[n] * (dWeights[n] - wdw)
            dBeta += dz * similarity[n]
            scratch[n] = beta * dz / memoryDenominators[n]
        }
        // dk̂ = scratchᵀ · M   ([N] · [N, W] → [W])
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(memorySize), Int32(width), 1, memory, Int32(width),
                    scratch, 1, 0, dKey, 1)
        // d = max(‖k‖, ε): above ε, d = ‖k‖ and ∂k̂/∂k = (I − k̂k̂ᵀ)/d; at the clamp, ∂k̂/∂k = I/ε.
        if keyDenominator > epsilon {
            var kd: Float = 0
            for j in 0..<width { kd += normalizedKey[j] * dKey[j] }
            for j in 0..<width { dKey[j] = (dKey[j] - normalizedKey[j] * kd) / keyDenominator }
        } else {
            for j in 0..<width { dKey[j] /= keyDenominator }
        }
        return dBeta
    }
}
