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

    /// One pass over the memory: `denominators[n] = max(‖M[n]‖, ε)` and `S[k][n] = ⟨k̂_k, M[n]⟩ / denominators[n]`
    /// for `count` normalised keys k̂ [count, W] — the cosine similarities of `F.normalize(k) · F.normalize(M)ᵀ`
    /// without materialising the normalised memory.
    @inlinable
    public static func similarities(
        normalizedKeys: UnsafePointer<Float>, count: Int, memory: UnsafePointer<Float>, memorySize: Int, width: Int,
        denominators: UnsafeMutablePointer<Float>, similarity: UnsafeMutablePointer<Float>
    ) {
        let n = memorySize
        rowDots(memory, memory, rows: n, width: width, squares: true, into: denominators)
        for i in 0..<n { denominators[i] = max(denominators[i].squareRoot(), epsilon) }
        // S = K̂ Mᵀ (BLAS: runtime-dispatched AVX/FMA kernels), then each column divided by its row's denominator.
        for k in 0..<count {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(width), 1, memory, Int32(width),
                        normalizedKeys + k * width, 1, 0, similarity + k * n, 1)
        }
        for k in 0..<count {
            let sk = similarity + k * n
            for i in 0..<n { sk[i] /= denominators[i] }
        }
    }

    /// `out[i] = ⟨rows[i], v⟩` for `rows` rows [rows, width] (or `⟨rows[i], rows[i]⟩` when `squares`), four rows at
    /// a time so that four independent accumulators hide the addition latency.
    @inlinable
    public static func rowDots(_ rows: UnsafePointer<Float>, _ v: UnsafePointer<Float>, rows count: Int, width: Int,
                               squares: Bool, into out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        var i = 0
        while i + 4 <= count {
            let r0 = rows + i * width, r1 = r0 + width, r2 = r1 + width, r3 = r2 + width
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            var j = 0
            while j + 8 <= width {
                let x0 = UnsafeRawPointer(r0 + j).loadUnaligned(as: V.self)
                let x1 = UnsafeRawPointer(r1 + j).loadUnaligned(as: V.self)
                let x2 = UnsafeRawPointer(r2 + j).loadUnaligned(as: V.self)
                let x3 = UnsafeRawPointer(r3 + j).loadUnaligned(as: V.self)
                if squares {
                    a0 += x0 * x0; a1 += x1 * x1; a2 += x2 * x2; a3 += x3 * x3
                } else {
                    let y = UnsafeRawPointer(v + j).loadUnaligned(as: V.self)
                    a0 += x0 * y; a1 += x1 * y; a2 += x2 * y; a3 += x3 * y
                }
                j += 8
            }
            var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
            while j < width {
                let y = squares ? 0 : v[j]
                s0 += r0[j] * (squares ? r0[j] : y); s1 += r1[j] * (squares ? r1[j] : y)
                s2 += r2[j] * (squares ? r2[j] : y); s3 += r3[j] * (squares ? r3[j] : y)
                j += 1
            }
            out[i] = s0; out[i + 1] = s1; out[i + 2] = s2; out[i + 3] = s3
            i += 4
        }
        while i < count {
            let r = rows + i * width
            out[i] = dot(r, squares ? r : v, width)
            i += 1
        }
    }

    /// ⟨a, b⟩ over `count` values (8 lanes, then the tail).
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var s = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            s += UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
            j += 8
        }
        var t = s.sum()
        while j < count { t += a[j] * b[j]; j += 1 }
        return t
    }

    /// `y += α x` over `count` values.
    @inlinable @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var j = 0
        while j + 8 <= count {
            let xv = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
            let yv = UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + j).storeBytes(of: yv + alpha * xv, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count { y[j] += alpha * x[j]; j += 1 }
    }

    /// Content weights of `count` keys [count, W] with strengths β [count] against the memory [N, W]:
    ///
    ///     k̂ = normalize(k)                       (→ normalizedKeys [count, W], keyDenominators [count])
    ///     S[k][n] = ⟨k̂, M[n]⟩ / max(‖M[n]‖, ε)    (→ similarity [count, N], memoryDenominators [N])
    ///     weights[k] = softmax(β_k S[k])          (→ weights [count, N])
    @inlinable
    public static func weights(
        keys: UnsafePointer<Float>, betas: UnsafePointer<Float>, count: Int,
        memory: UnsafePointer<Float>, memorySize: Int, width: Int,
        normalizedKeys: UnsafeMutablePointer<Float>, keyDenominators: UnsafeMutablePointer<Float>,
        memoryDenominators: UnsafeMutablePointer<Float>,
        similarity: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>
    ) {
        normalizeRows(keys, rows: count, width: width, into: normalizedKeys, denominators: keyDenominators)
        similarities(normalizedKeys: normalizedKeys, count: count, memory: memory, memorySize: memorySize, width: width,
                     denominators: memoryDenominators, similarity: similarity)
        for k in 0..<count {
            softmax(scale: betas[k], similarity + k * memorySize, into: weights + k * memorySize, count: memorySize)
        }
    }

    /// `out = softmax(scale · x)` over `count` values, like PyTorch's vectorised kernel: subtract the maximum,
    /// exponentiate, multiply by the reciprocal of the sum.
    @inlinable
    public static func softmax(scale: Float, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        var mv = V(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            let z = scale * UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: z, as: V.self)
            mv = pointwiseMax(mv, z)
            i += 8
        }
        var m = mv.max()
        while i < count { out[i] = scale * x[i]; m = max(m, out[i]); i += 1 }
        var sv = V()
        i = 0
        while i + 8 <= count {
            let e = VectorMath.exp(UnsafeRawPointer(out + i).loadUnaligned(as: V.self) - m)
            UnsafeMutableRawPointer(out + i).storeBytes(of: e, as: V.self)
            sv += e
            i += 8
        }
        var sum = sv.sum()
        while i < count {
            let e = VectorMath.exp(V(repeating: out[i] - m))[0]
            out[i] = e
            sum += e
            i += 1
        }
        let r = 1 / sum
        i = 0
        while i + 8 <= count {
            UnsafeMutableRawPointer(out + i).storeBytes(of: UnsafeRawPointer(out + i).loadUnaligned(as: V.self) * r, as: V.self)
            i += 8
        }
        while i < count { out[i] *= r; i += 1 }
    }

    /// Pullback of `heads` read heads `r_h = C(M, k_h, β_h) · M` with respect to the keys and strengths, the memory
    /// being a constant (the seed detaches it). With `dReads` = ∂L/∂r [heads, W] and what the forward stored
    /// (w, S [heads, N], β, k̂ [heads, W], d_k = max(‖k‖, ε), the memory M [N, W] and its row denominators d_M):
    ///
    ///     dw_h[n] = ⟨M[n], dr_h⟩
    ///     dz = w ⊙ (dw − ⟨w, dw⟩)                    (softmax)
    ///     ∂L/∂β_h = ⟨dz, S_h⟩,   dS = β_h dz
    ///     dk̂_h = Σ_n dS[n] M[n] / d_M[n]
    ///     ∂L/∂k_h = (dk̂ − k̂ ⟨k̂, dk̂⟩) / d_k   if ‖k‖ > ε,   dk̂ / ε otherwise (the clamp is flat)
    ///
    /// Two products with the memory for all heads. `scratch` holds heads · N values. Writes ∂L/∂k into `dKeys`
    /// [heads, W] and ∂L/∂β into `dBetas` [heads].
    @inlinable
    public static func pullback(
        heads: Int, dReads: UnsafePointer<Float>, weights: UnsafePointer<Float>, similarity: UnsafePointer<Float>,
        betas: UnsafePointer<Float>, normalizedKeys: UnsafePointer<Float>, keyDenominators: UnsafePointer<Float>,
        memory: UnsafePointer<Float>, memoryDenominators: UnsafePointer<Float>, memorySize: Int, width: Int,
        dKeys: UnsafeMutablePointer<Float>, dBetas: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let n = memorySize, w = width
        // dw = dR Mᵀ   ([heads, W] · [W, N]): dw_h[n] = ⟨M[n], dr_h⟩.
        for h in 0..<heads {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(w), 1, memory, Int32(w), dReads + h * w, 1, 0,
                        scratch + h * n, 1)
        }
        // Softmax and β: scratch_h[n] ← β_h dz[n] / d_M[n].
        for h in 0..<heads {
            let wh = weights + h * n, sh = similarity + h * n, dw = scratch + h * n
            // Both sums in 8 lanes (a serial Float sum is latency-bound: it was the pullback's largest own cost).
            let wdw = dot(wh, dw, n)
            let beta = betas[h]
            typealias V = SIMD8<Float>
            var acc = V()
            var i = 0
            while i + 8 <= n {
                let wv = UnsafeRawPointer(wh + i).loadUnaligned(as: V.self)
                let dv = UnsafeRawPointer(dw + i).loadUnaligned(as: V.self)
                let dz = wv * (dv - wdw)
                acc += dz * UnsafeRawPointer(sh + i).loadUnaligned(as: V.self)
                let out = beta * dz / UnsafeRawPointer(memoryDenominators + i).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(dw + i).storeBytes(of: out, as: V.self)
                i += 8
            }
            var dBeta = acc.sum()
            while i < n {
                let dz = wh[i] * (dw[i] - wdw)
                dBeta += dz * sh[i]
                dw[i] = beta * dz / memoryDenominators[i]
                i += 1
            }
            dBetas[h] = dBeta
        }
        // dK̂ = scratch M   ([heads, N] · [N, W]): dk̂_h = Σ_n scratch_h[n] M[n].
        for h in 0..<heads {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(w), 1, memory, Int32(w), scratch + h * n, 1, 0,
                        dKeys + h * w, 1)
        }
        // Through the key's normalisation.
        for h in 0..<heads {
            let dk = dKeys + h * w, kh = normalizedKeys + h * w, d = keyDenominators[h]
            if d > epsilon {
                let kd = dot(kh, dk, w)
                for j in 0..<w { dk[j] = (dk[j] - kh[j] * kd) / d }
            } else {
                for j in 0..<w { dk[j] /= d }
            }
        }
    }
}
