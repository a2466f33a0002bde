/// Indexing along the last axis: gather / scatter-add, sort, cumulative sum and product (DNC allocation needs
/// sort, an exclusive cumulative product and the inverse permutation).
///
/// Indices are flat `[Int]` arrays of shape `[rows, k]` (rows = product of all but the last dimension).

/// The permutation of one sorted row set (`Variable.sorted`).
public struct SortResult {
    /// The sorted values, same shape as the input; differentiable (a `gather`).
    public let values: Variable
    /// For each row, the source positions of the sorted values (`[rows, n]` flat): values[r, j] = x[r, indices[r·n + j]].
    public let indices: [Int]
}

extension Variable {
    /// y[r, j] = x[r, indices[r·k + j]] along the last axis → shape [..., k]. ∂x = scatterAdd(g).
    public func gather(axis: Int = -1, indices: [Int], count k: Int) -> Variable {
        precondition(normalizeAxis(axis, rank: rank) == rank - 1, "gather: only the last axis is supported")
        let n = shape.last!, rows = n == 0 ? 0 : count / n
        precondition(indices.count == rows * k, "gather: \(indices.count) indices for \(rows) rows × \(k)")
        var outShape = shape
        outShape[rank - 1] = k
        let out = Tensor(uninitializedShape: outShape)
        for r in 0..<rows {
            for j in 0..<k {
                let i = indices[r * k + j]
                precondition(i >= 0 && i < n, "gather: index \(i) out of 0..<\(n)")
                out.pointer[r * k + j] = value.pointer[r * n + i]
            }
        }
        let x = self
        return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, g.scatterAdd(indices: indices, size: n)) })
    }

    /// The adjoint of `gather`: y[r, indices[r·k + j]] += x[r, j] → shape [..., size]. ∂x = gather(g).
    public func scatterAdd(indices: [Int], size n: Int) -> Variable {
        let k = shape.last!, rows = k == 0 ? 0 : count / k
        precondition(indices.count == rows * k, "scatterAdd: \(indices.count) indices for \(rows) rows × \(k)")
        var outShape = shape
        outShape[rank - 1] = n
        let out = Tensor(shape: outShape, repeating: 0)
        for r in 0..<rows {
            for j in 0..<k {
                let i = indices[r * k + j]
                precondition(i >= 0 && i < n, "scatterAdd: index \(i) out of 0..<\(n)")
                out.pointer[r * n + i] += value.pointer[r * k + j]
            }
        }
        let x = self
        return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, g.gather(indices: indices, count: k)) })
    }

    /// Each row of the last axis sorted (stable; ascending unless `descending`), with the permutation.
    public func sorted(descending: Bool = false) -> SortResult {
        let n = shape.last ?? 1, rows = n == 0 ? 0 : count / n
        var indices = [Int](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let row = value.pointer + r * n
            let order = (0..<n).sorted { a, b in
                let (va, vb) = (row[a], row[b])
                if va != vb { return descending ? va > vb : va < vb }
                return a < b
            }
            for j in 0..<n { indices[r * n + j] = order[j] }
        }
        return SortResult(values: gather(indices: indices, count: n), indices: indices)
    }

    /// Cumulative sum along the last axis (from the end when `reverse`). ∂x = cumsum(g) in the opposite direction.
    public func cumsum(reverse: Bool = false) -> Variable {
        let n = shape.last ?? 1, rows = n == 0 ? 0 : count / n
        let out = Tensor(uninitializedShape: shape)
        for r in 0..<rows {
            var acc: Float = 0
            for j in 0..<n {
                let i = r * n + (reverse ? n - 1 - j : j)
                acc += value.pointer[i]
                out.pointer[i] = acc
            }
        }
        let x = self
        return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, g.cumsum(reverse: !reverse)) })
    }

    /// Cumulative product along the last axis: yⱼ = Π_{i≤j} xᵢ, or Π_{i<j} xᵢ when `exclusive` (y₀ = 1) — the DNC's
    /// allocation product. ∂xᵢ = Σ_{j} gⱼ ∂yⱼ/∂xᵢ: when no input is zero this is `cumsum_rev(g⊙y)/x` (differentiable
    /// again); otherwise an exact O(n²) product-without-xᵢ kernel (a constant: second order through a zero is not
    /// propagated).
    public func cumprod(exclusive: Bool = false) -> Variable {
        let n = shape.last ?? 1, rows = n == 0 ? 0 : count / n
        let out = Tensor(uninitializedShape: shape)
        for r in 0..<rows {
            var acc: Float = 1
            for j in 0..<n {
                let i = r * n + j
                if exclusive { out.pointer[i] = acc; acc *= value.pointer[i] } else { acc *= value.pointer[i]; out.pointer[i] = acc }
            }
        }
        let x = self
        return Variable.make(out, x, pullback: { g, y in
            var hasZero = false
            for i in 0..<x.count where x.value.pointer[i] == 0 { hasZero = true; break }
            if !hasZero {
                // Σ_{j ≥ i} g_j y_j / x_i (inclusive) or Σ_{j > i} g_j y_j / x_i (exclusive).
                let s = exclusive ? (g * y).cumsum(reverse: true) - g * y : (g * y).cumsum(reverse: true)
                accumulate(into: x, s / x)
                return
            }
            let gx = Tensor(shape: x.shape, repeating: 0)
            let xv = x.value.pointer, gv = g.value.pointer
            for r in 0..<rows {
                for i in 0..<n {
                    // Σ_j g_j Π_{k ∈ range(j), k ≠ i} x_k over the j whose product contains x_i.
                    var total: Float = 0
                    for j in (exclusive ? i + 1 : i)..<n {
                        var p: Float = 1
                        for k in 0..<(exclusive ? j : j + 1) where k != i { p *= xv[r * n + k] }
                        total += gv[r * n + j] * p
                    }
                    gx.pointer[r * n + i] = total
                }
            }
            accumulate(into: x, Variable(gx))
        })
    }
}
