import MnemonetEngine

extension DNCAddressing {
    /// `directionalWeights(link:readWeights:)` as one SIMD kernel and one graph node: the forward weightings
    /// f^{i,j}_t = L^j_t w^{r,i}_{t−1} and backward weightings b^{i,j}_t = L^{jᵀ}_t w^{r,i}_{t−1} of every read head i
    /// and write head j from ONE pass over each row of L^j_t (the composed version runs two products per batch
    /// entry and head pair, each packing the N × N matrix first, and four more in the pullback).
    ///
    /// Row ℓ of L (= L[ℓ, :]) gives f^i[ℓ] = L[ℓ, :]·w^i and adds w^i[ℓ] L[ℓ, :] to b^i. Pullback, for upstream
    /// (∂f^i, ∂b^i), again one pass over the rows:
    ///
    ///     ∂L[ℓ, k] = Σ_i ∂f^i[ℓ] w^i[k] + w^i[ℓ] ∂b^i[k]
    ///     ∂w^i[k] += Σ_ℓ ∂f^i[ℓ] L[ℓ, k]        ∂w^i[ℓ] += L[ℓ, :]·∂b^i
    ///
    /// computed by the kernel and entering the graph as constants (first order, like `linkFused`).
    ///
    /// - Parameters: link L_t [B, H_w, N, N]; readWeights w^r_{t−1} [B, R, N].
    /// - Returns: (forward, backward), each H_w tensors [B, R, N] (index = write head), equal to
    ///   `directionalWeights`'s.
    /// - Complexity: one pass over the B·H_w·N² link entries forward, one backward, each doing 2R multiply-adds per
    ///   entry.
    public static func directionalWeightsFused(link: Variable, readWeights: Variable) -> (forward: [Variable], backward: [Variable]) {
        let b = link.shape[0], hw = link.shape[1], n = link.shape[2], r = readWeights.shape[1]
        precondition(link.shape == [b, hw, n, n] && readWeights.shape == [b, r, n],
                     "directionalWeightsFused: link \(link.shape), read weights \(readWeights.shape)")
        // Packed [B, H_w, 2, R, N]: (forward, backward) per batch entry and write head.
        let out = Tensor(shape: [b, hw, 2, r, n], repeating: 0)
        let lp = link.value.pointer, wp = readWeights.value.pointer, op = out.pointer
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
        }
        let n8 = n & ~7
        for bi in 0..<b {
            let w = wp + bi * r * n
            for h in 0..<hw {
                let l = lp + (bi * hw + h) * n * n, f = op + (bi * hw + h) * 2 * r * n, bw = f + r * n
                for row in 0..<n {
                    let lr = l + row * n
                    for i in 0..<r {
                        let wi = w + i * n, bo = bw + i * n, wl = wi[row], wlv = V(repeating: wl)
                        var acc = V(), k = 0
                        while k < n8 {
                            let lv = load(lr + k)
                            acc += lv * load(wi + k)
                            store(load(bo + k) + wlv * lv, bo + k)
                            k += 8
                        }
                        var total = acc.sum()
                        while k < n {
                            total += lr[k] * wi[k]
                            bo[k] += wl * lr[k]
                            k += 1
                        }
                        f[i * n + row] = total
                    }
                }
            }
        }
        let packed = Variable.make(out, [link, readWeights]) { g, _ in
            let gp = g.value.pointer
            let gl = link.needsGradient ? Tensor(uninitializedShape: link.shape) : nil
            let gw = Tensor(shape: readWeights.shape, repeating: 0)
            for bi in 0..<b {
                let w = wp + bi * r * n, dw = gw.pointer + bi * r * n
                for h in 0..<hw {
                    let l = lp + (bi * hw + h) * n * n, gf = gp + (bi * hw + h) * 2 * r * n, gb = gf + r * n
                    let dl = gl.map { $0.pointer + (bi * hw + h) * n * n }
                    for row in 0..<n {
                        let lr = l + row * n, dlr = dl.map { $0 + row * n }
                        if let dlr { dlr.update(repeating: 0, count: n) }
                        for i in 0..<r {
                            let wi = w + i * n, gbi = gb + i * n, dwi = dw + i * n
                            let gfl = gf[i * n + row], wl = wi[row]
                            let gflv = V(repeating: gfl), wlv = V(repeating: wl)
                            var acc = V(), k = 0
                            while k < n8 {
                                let lv = load(lr + k), gbv = load(gbi + k)
                                store(load(dwi + k) + gflv * lv, dwi + k)
                                acc += lv * gbv
                                if let dlr { store(load(dlr + k) + gflv * load(wi + k) + wlv * gbv, dlr + k) }
                                k += 8
                            }
                            var total = acc.sum()
                            while k < n {
                                dwi[k] += gfl * lr[k]
                                total += lr[k] * gbi[k]
                                if let dlr { dlr[k] += gfl * wi[k] + wl * gbi[k] }
                                k += 1
                            }
                            dwi[row] += total
                        }
                    }
                }
            }
            if let gl { accumulate(into: link, fresh: gl) }
            if readWeights.needsGradient { accumulate(into: readWeights, fresh: gw) }
        }
        var forward: [Variable] = [], backward: [Variable] = []
        for h in 0..<hw {
            let head = packed.slice(axis: 1, start: h, length: 1)
            forward.append(head.slice(axis: 2, start: 0, length: 1).reshaped([b, r, n]))
            backward.append(head.slice(axis: 2, start: 1, length: 1).reshaped([b, r, n]))
        }
        return (forward, backward)
    }
}
