import MnemonetEngine

extension DNCAddressing {
    /// The temporal link update of `link(previous:precedence:writeWeights:)` as one fused SIMD kernel and one graph
    /// node: the composed version materialises five [B, H_w, N, N] tensors per step (and keeps them for the backward
    /// pass); this one keeps only L_t. Same equation:
    ///
    ///     L_t[i, j] = ((1 − w_i − w_j) L_{t−1}[i, j] + w_i p_j) · [i ≠ j]
    ///
    /// Pullback for upstream G (with G[i, i] ignored): ∂L_{t−1}[i, j] = G[i, j](1 − w_i − w_j);
    /// ∂w_i = Σ_j G[i, j](p_j − L_{t−1}[i, j]) − Σ_j G[j, i] L_{t−1}[j, i]; ∂p_j = Σ_i G[i, j] w_i. The pullback is
    /// computed by the kernel and enters the graph as constants (first order only, like the engine's fused paths).
    ///
    /// - Parameters: link L_{t−1} [B, H_w, N, N]; precedence p_{t−1} [B, H_w, N]; writeWeights w^w_t [B, H_w, N].
    /// - Returns: L_t [B, H_w, N, N].
    /// - Complexity: one pass over B·H_w·N² entries forward, one backward.
    public static func linkFused(previous link: Variable, precedence: Variable, writeWeights: Variable) -> Variable {
        let n = writeWeights.shape[2], mats = writeWeights.shape[0] * writeWeights.shape[1]
        precondition(link.shape == writeWeights.shape + [n] && precedence.shape == writeWeights.shape,
                     "linkFused: link \(link.shape), precedence \(precedence.shape), write weights \(writeWeights.shape)")
        let out = Tensor(uninitializedShape: link.shape)
        let lp = link.value.pointer, pp = precedence.value.pointer, wp = writeWeights.value.pointer, op = out.pointer
        typealias V = SIMD8<Float>
        for m in 0..<mats {
            let w = wp + m * n, p = pp + m * n
            for i in 0..<n {
                let row = m * n * n + i * n
                let a = V(repeating: 1 - w[i]), wi = V(repeating: w[i])
                var j = 0
                while j + 8 <= n {
                    let l = UnsafeRawPointer(lp + row + j).loadUnaligned(as: V.self)
                    let wj = UnsafeRawPointer(w + j).loadUnaligned(as: V.self)
                    let pj = UnsafeRawPointer(p + j).loadUnaligned(as: V.self)
                    UnsafeMutableRawPointer(op + row + j).storeBytes(of: (a - wj) * l + wi * pj, as: V.self)
                    j += 8
                }
                while j < n { op[row + j] = (1 - w[i] - w[j]) * lp[row + j] + w[i] * p[j]; j += 1 }
                op[row + i] = 0
            }
        }
        return Variable.make(out, [link, precedence, writeWeights]) { g, _ in
            let gl = Tensor(uninitializedShape: link.shape)
            let gp = Tensor(shape: precedence.shape, repeating: 0), gw = Tensor(shape: writeWeights.shape, repeating: 0)
            let gg = g.value.pointer, glp = gl.pointer
            for m in 0..<mats {
                let w = wp + m * n, p = pp + m * n
                let dw = gw.pointer + m * n, dp = gp.pointer + m * n
                for i in 0..<n {
                    let row = m * n * n + i * n
                    let a = V(repeating: 1 - w[i]), wi = V(repeating: w[i])
                    var rowSum = V(), j = 0
                    // Diagonal excluded: handle G[i, i] as 0 by restoring the scalar contributions afterwards.
                    while j + 8 <= n {
                        let gv = UnsafeRawPointer(gg + row + j).loadUnaligned(as: V.self)
                        let l = UnsafeRawPointer(lp + row + j).loadUnaligned(as: V.self)
                        let wj = UnsafeRawPointer(w + j).loadUnaligned(as: V.self)
                        let pj = UnsafeRawPointer(p + j).loadUnaligned(as: V.self)
                        UnsafeMutableRawPointer(glp + row + j).storeBytes(of: gv * (a - wj), as: V.self)
                        rowSum += gv * (pj - l)
                        let gl = gv * l
                        UnsafeMutableRawPointer(dw + j).storeBytes(
                            of: UnsafeRawPointer(dw + j).loadUnaligned(as: V.self) - gl, as: V.self)
                        UnsafeMutableRawPointer(dp + j).storeBytes(
                            of: UnsafeRawPointer(dp + j).loadUnaligned(as: V.self) + gv * wi, as: V.self)
                        j += 8
                    }
                    var total = rowSum.sum()
                    while j < n {
                        let gv = gg[row + j], l = lp[row + j]
                        glp[row + j] = gv * (1 - w[i] - w[j])
                        total += gv * (p[j] - l)
                        dw[j] -= gv * l
                        dp[j] += gv * w[i]
                        j += 1
                    }
                    // Remove the diagonal term (the output there is a constant 0).
                    let gd = gg[row + i], ld = lp[row + i]
                    glp[row + i] = 0
                    total -= gd * (p[i] - ld)
                    dw[i] += gd * ld
                    dp[i] -= gd * w[i]
                    dw[i] += total
                }
            }
            if link.needsGradient { accumulate(into: link, fresh: gl) }
            if precedence.needsGradient { accumulate(into: precedence, fresh: gp) }
            if writeWeights.needsGradient { accumulate(into: writeWeights, fresh: gw) }
        }
    }
}
