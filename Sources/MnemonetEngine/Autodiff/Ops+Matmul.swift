/// Matrix products on OpenBLAS: `matmul` (2-D, optional transposes; 3-D batched) and `outer`.
///
/// For C = op(A)·op(B) with upstream G:
///   no transpose:  ∂A = G·Bᵀ,   ∂B = Aᵀ·G
///   transposeA:    ∂A = B·Gᵀ,   ∂B = A·G
///   transposeB:    ∂A = G·B,    ∂B = Gᵀ·A
///   both:          ∂A = Bᵀ·Gᵀ,  ∂B = Gᵀ·Aᵀ
/// each itself a `matmul`, so the pullback is differentiable.

/// op(a)·op(b) for a, b of rank 2 ([m, k]·[k, n] → [m, n], with `transposeA` a is stored [k, m], with `transposeB` b
/// is [n, k]), rank 3 with a shared leading batch dimension ([B, m, k]·[B, k, n] → [B, m, n]), or a rank-3 a times a
/// rank-2 b ([B, m, k]·[k, n] → [B, m, n], not with `transposeA`).
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    if a.rank == 3 && b.rank == 2 && !transposeA {
        // [B, m, k]·[k, n] → [B, m, n] as one [B·m, k]·[k, n] product (a shared weight applied to every batch row).
        let (batch, m) = (a.shape[0], a.shape[1])
        let y = matmul(a.reshaped([batch * m, a.shape[2]]), b, transposeB: transposeB)
        return y.reshaped([batch, m, y.shape[1]])
    }
    let ra = a.rank, rb = b.rank
    precondition((ra == 2 && rb == 2) || (ra == 3 && rb == 3 && a.shape[0] == b.shape[0]),
                 "matmul: shapes \(a.shape) and \(b.shape) (need rank 2, or rank 3 with equal batch)")
    let batch = ra == 3 ? a.shape[0] : 1
    let (ar, ac) = (a.shape[ra - 2], a.shape[ra - 1]), (br, bc) = (b.shape[rb - 2], b.shape[rb - 1])
    let m = transposeA ? ac : ar, k = transposeA ? ar : ac
    let kb = transposeB ? bc : br, n = transposeB ? br : bc
    precondition(k == kb, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let out = Tensor(uninitializedShape: ra == 3 ? [batch, m, n] : [m, n])
    for i in 0..<batch {
        BLAS.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                  a.value.pointer + i * ar * ac, lda: ac, b.value.pointer + i * br * bc, ldb: bc,
                  out.pointer + i * m * n, ldc: n)
    }
    return Variable.make(out, a, b, pullback: { g, _ in
        switch (transposeA, transposeB) {
        case (false, false):
            if a.needsGradient { accumulate(into: a, matmul(g, b, transposeB: true)) }
            if b.needsGradient { accumulate(into: b, matmul(a, g, transposeA: true)) }
        case (true, false):
            if a.needsGradient { accumulate(into: a, matmul(b, g, transposeB: true)) }
            if b.needsGradient { accumulate(into: b, matmul(a, g)) }
        case (false, true):
            if a.needsGradient { accumulate(into: a, matmul(g, b)) }
            if b.needsGradient { accumulate(into: b, matmul(g, a, transposeA: true)) }
        case (true, true):
            if a.needsGradient { accumulate(into: a, matmul(b, g, transposeA: true, transposeB: true)) }
            if b.needsGradient { accumulate(into: b, matmul(g, a, transposeA: true, transposeB: true)) }
        }
    })
}

/// The outer product u·vᵀ of vectors u [m] and v [n] → [m, n] (`torch.outer`).
public func outer(_ u: Variable, _ v: Variable) -> Variable {
    precondition(u.rank == 1 && v.rank == 1, "outer: need vectors, got \(u.shape) and \(v.shape)")
    return u.reshaped([u.count, 1]) * v.reshaped([1, v.count])
}
