import COpenBLAS

/// Thin wrappers over OpenBLAS's single-precision CBLAS (row-major).
///
/// OpenBLAS's threading hurts on the engine's sizes (a multi-threaded sgemv on a 512×128 matrix is ~6× slower than a
/// single-threaded one), so the first call through these wrappers sets OpenBLAS to one thread; `setThreads` changes
/// it for callers that multiply large matrices.
public enum BLAS {
    /// Runs once: OpenBLAS single-threaded.
    @usableFromInline static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Sets the number of OpenBLAS threads for every later call (process-wide).
    public static func setThreads(_ n: Int) {
        _ = configured
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// C ← α·op(A)·op(B) + β·C, with op(A) of shape [m, k], op(B) [k, n], C [m, n] (row-major; `lda`, `ldb`, `ldc`
    /// are the row strides of A, B, C as stored, i.e. A is [k, m] when `transA`).
    @inlinable
    public static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = configured
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { c.update(repeating: 0, count: (m - 1) * ldc + n) } else {
                for i in 0..<m { VectorMath.scale(beta, c + i * ldc, count: n) }
            }
            return
        }
        // OpenBLAS's sgemm is several times slower than sgemv when one side is a vector (batch 1).
        if m == 1 {
            // c[0, :] = α·op(B)ᵀ·a + β·c: a is a row (stride 1) or, when transA, a column (stride lda).
            cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, Int32(transB ? n : k), Int32(transB ? k : n),
                        alpha, b, Int32(ldb), a, Int32(transA ? lda : 1), beta, c, 1)
            return
        }
        if n == 1 {
            // c[:, 0] = α·op(A)·b + β·c: b is a column (stride ldb) or, when transB, a row (stride 1).
            cblas_sgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, Int32(transA ? k : m), Int32(transA ? m : k),
                        alpha, a, Int32(lda), b, Int32(transB ? 1 : ldb), beta, c, Int32(ldc))
            return
        }
        if k == 1 {
            // An outer product: C = α·a·bᵀ + β·C.
            if beta == 0 {
                for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
            } else if beta != 1 {
                for i in 0..<m { VectorMath.scale(beta, c + i * ldc, count: n) }
            }
            cblas_sger(CblasRowMajor, Int32(m), Int32(n), alpha, a, Int32(transA ? 1 : lda), b, Int32(transB ? ldb : 1),
                       c, Int32(ldc))
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y ← α·op(A)·x + β·y for a row-major A of shape [m, n] (op(A) = Aᵀ when `trans`: then x has m entries and y n).
    @inlinable
    public static func gemv(
        trans: Bool = false, m: Int, n: Int, alpha: Float = 1, _ a: UnsafePointer<Float>, lda: Int,
        _ x: UnsafePointer<Float>, beta: Float = 0, _ y: UnsafeMutablePointer<Float>
    ) {
        _ = configured
        let outCount = trans ? n : m
        if outCount == 0 { return }
        if (trans ? m : n) == 0 {
            if beta == 0 { y.update(repeating: 0, count: outCount) } else { VectorMath.scale(beta, y, count: outCount) }
            return
        }
        cblas_sgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta,
            y, 1)
    }

    /// A ← α·x·yᵀ + A for a row-major A of shape [m, n].
    @inlinable
    public static func ger(
        m: Int, n: Int, alpha: Float = 1, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ a: UnsafeMutablePointer<Float>, lda: Int
    ) {
        _ = configured
        if m == 0 || n == 0 { return }
        cblas_sger(CblasRowMajor, Int32(m), Int32(n), alpha, x, 1, y, 1, a, Int32(lda))
    }
}
