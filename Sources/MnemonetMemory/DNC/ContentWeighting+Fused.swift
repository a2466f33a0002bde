import Glibc
import MnemonetEngine

extension DNCAddressing {
    /// `contentWeights(memory:keys:strengths:)` as one SIMD kernel and one graph node. The composed version is a
    /// product per batch entry ([H, W]·[W, N], tiny: OpenBLAS spends more time packing than multiplying) plus ten
    /// broadcasting ops whose pullbacks reduce over broadcast axes; this computes, per batch entry,
    ///
    ///     ‖k_h‖ = √(Σ k_h² + ε),  ‖M_n‖ = √(Σ M_n² + ε),  s[h, n] = k_h·M_n / (‖k_h‖‖M_n‖ + ε)
    ///     c[h, :] = softmax(β_h s[h, :])
    ///
    /// and its pullback for upstream ∂c (d = ‖k_h‖‖M_n‖ + ε):
    ///
    ///     ∂z = c ∘ (∂c − Σ_n ∂c c),  ∂β_h = Σ_n ∂z s,  ∂s = β ∂z
    ///     ∂k_h = Σ_n (∂s/d) M_n − (Σ_n ∂s s ‖M_n‖/d) k_h/‖k_h‖
    ///     ∂M_n = Σ_h (∂s/d) k_h − (Σ_h ∂s s ‖k_h‖/d) M_n/‖M_n‖
    ///
    /// entering the graph as constants (first order, like `linkFused`).
    ///
    /// - Parameters: memory M [B, N, W]; keys k [B, H, W]; strengths β [B, H] (after `oneplus`).
    /// - Returns: c [B, H, N], equal to `contentWeights`'s.
    /// - Complexity: O(B·H·N·W), one pass over the memory forward and one backward.
    public static func contentWeightsFused(memory: Variable, keys: Variable, strengths: Variable) -> Variable {
        let b = memory.shape[0], n = memory.shape[1], w = memory.shape[2], h = keys.shape[1]
        precondition(memory.rank == 3 && keys.shape == [b, h, w] && strengths.count == b * h,
                     "contentWeightsFused: memory \(memory.shape), keys \(keys.shape), strengths \(strengths.shape)")
        let eps = epsilon
        let mp = memory.value.pointer, kp = keys.value.pointer, bp = strengths.value.pointer
        let out = Tensor(uninitializedShape: [b, h, n])
        let sim = Tensor(uninitializedShape: [b, h, n])          // s, kept for the pullback
        let keyNorm = Tensor(uninitializedShape: [b, h]), memNorm = Tensor(uninitializedShape: [b, n])
        let op = out.pointer, sp = sim.pointer, knp = keyNorm.pointer, mnp = memNorm.pointer
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        let w8 = w & ~7
        @inline(__always) func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
            var acc = V(), i = 0
            while i < w8 { acc += load(x + i) * load(y + i); i += 8 }
            var total = acc.sum()
            while i < w { total += x[i] * y[i]; i += 1 }
            return total
        }
        for bi in 0..<b {
            let m = mp + bi * n * w, k = kp + bi * h * w
            for j in 0..<n { mnp[bi * n + j] = (dot(m + j * w, m + j * w) + eps).squareRoot() }
            for hi in 0..<h {
                let kh = k + hi * w, kn = (dot(kh, kh) + eps).squareRoot(), beta = bp[bi * h + hi]
                knp[bi * h + hi] = kn
                let s = sp + (bi * h + hi) * n, c = op + (bi * h + hi) * n
                var top = -Float.infinity
                for j in 0..<n {
                    s[j] = dot(kh, m + j * w) / (kn * mnp[bi * n + j] + eps)
                    c[j] = beta * s[j]
                    top = max(top, c[j])
                }
                var total: Float = 0
                for j in 0..<n { c[j] = expf(c[j] - top); total += c[j] }
                let inv = 1 / total
                for j in 0..<n { c[j] *= inv }
            }
        }
        return Variable.make(out, [memory, keys, strengths]) { g, y in
            // The saved tensors are captured (not only their pointers), so they live as long as this pullback.
            let op = y.value.pointer, sp = sim.pointer, knp = keyNorm.pointer, mnp = memNorm.pointer
            let gp = g.value.pointer
            let gm = Tensor(shape: memory.shape, repeating: 0), gk = Tensor(shape: keys.shape, repeating: 0)
            let gb = Tensor(shape: strengths.shape, repeating: 0)
            var gs = [Float](repeating: 0, count: n), memScale = [Float](repeating: 0, count: n)
            for bi in 0..<b {
                let m = mp + bi * n * w, k = kp + bi * h * w, dm = gm.pointer + bi * n * w
                for j in 0..<n { memScale[j] = 0 }
                for hi in 0..<h {
                    let row = (bi * h + hi) * n, c = op + row, s = sp + row, gc = gp + row
                    let kh = k + hi * w, dk = gk.pointer + (bi * h + hi) * w
                    let kn = knp[bi * h + hi], beta = bp[bi * h + hi]
                    var inner: Float = 0
                    for j in 0..<n { inner += gc[j] * c[j] }
                    var dBeta: Float = 0, keyScale: Float = 0
                    for j in 0..<n {
                        let gz = c[j] * (gc[j] - inner), mn = mnp[bi * n + j], d = kn * mn + eps
                        dBeta += gz * s[j]
                        let gsj = beta * gz
                        gs[j] = gsj / d                                  // ∂ of the dot product
                        let gd = gsj * s[j] / d                          // −∂ of the denominator
                        keyScale += gd * mn
                        memScale[j] += gd * kn
                    }
                    gb.pointer[bi * h + hi] = dBeta
                    // ∂k_h = Σ_n gs_n M_n − keyScale k_h/‖k_h‖;  ∂M_n += gs_n k_h.
                    for j in 0..<n {
                        let mj = m + j * w, dmj = dm + j * w, gsj = gs[j]
                        for i in 0..<w {
                            dk[i] += gsj * mj[i]
                            dmj[i] += gsj * kh[i]
                        }
                    }
                    let ks = keyScale / kn
                    for i in 0..<w { dk[i] -= ks * kh[i] }
                }
                for j in 0..<n {
                    let ms = memScale[j] / mnp[bi * n + j], mj = m + j * w, dmj = dm + j * w
                    for i in 0..<w { dmj[i] -= ms * mj[i] }
                }
            }
            if memory.needsGradient { accumulate(into: memory, fresh: gm) }
            if keys.needsGradient { accumulate(into: keys, fresh: gk) }
            if strengths.needsGradient { accumulate(into: strengths, fresh: gb) }
        }
    }
}
