import COpenBLAS
import MnemonetEngine

/// Scratch buffers and the three passes of an ``MLP`` on a batch of `n` rows: the forward pass, the gradient of the
/// mean squared error (reverse mode), and the exact Hessian-vector product H·v (Pearlmutter's R-operator applied to
/// the forward and reverse passes: forward-over-reverse, no finite differences).
///
/// Loss: L(θ) = 1/(n·d_out) Σ_i ‖ŷ_i − y_i‖². All matrices are row-major; products go through OpenBLAS `sgemm`.
/// Buffers grow to the largest `n` seen. A workspace is not thread-safe (one per thread).
///
/// This is the fused, hand-derived second-order path of the meta-learners (MAML, Meta-SGD): its gradients and
/// Hessian-vector products are tested against finite differences and PyTorch's `create_graph=True` fixtures.
public final class MLPWorkspace {
    /// The network whose passes this workspace runs.
    public let mlp: MLP
    private var capacity = 0
    private let sizes: [Int]
    private let layers: Int
    // Per layer l: pre-activation a (n × s[l+1]), activation h, their gradients, and the R-versions.
    private var pre: [UnsafeMutablePointer<Float>] = []
    private var post: [UnsafeMutablePointer<Float>] = []
    private var dPre: [UnsafeMutablePointer<Float>] = []
    private var dPost: [UnsafeMutablePointer<Float>] = []
    private var rPre: [UnsafeMutablePointer<Float>] = []
    private var rPost: [UnsafeMutablePointer<Float>] = []
    private var rdPre: [UnsafeMutablePointer<Float>] = []
    private var rdPost: [UnsafeMutablePointer<Float>] = []
    /// The input of the last forward pass (not owned).
    private var input: UnsafePointer<Float>? = nil
    private var rows = 0

    /// A workspace for `mlp`; buffers are allocated on first use.
    public init(_ mlp: MLP) {
        self.mlp = mlp
        self.sizes = mlp.layerSizes
        self.layers = mlp.layerCount
    }

    deinit { free() }

    private func free() {
        for list in [pre, post, dPre, dPost, rPre, rPost, rdPre, rdPost] { for p in list { p.deallocate() } }
        pre = []; post = []; dPre = []; dPost = []; rPre = []; rPost = []; rdPre = []; rdPost = []
    }

    private func reserve(_ n: Int) {
        if n <= capacity { return }
        free()
        capacity = max(n, 2 * capacity)
        func make() -> [UnsafeMutablePointer<Float>] {
            (0..<layers).map { l in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: capacity * sizes[l + 1])
                p.initialize(repeating: 0, count: capacity * sizes[l + 1])
                return p
            }
        }
        pre = make(); post = make(); dPre = make(); dPost = make()
        rPre = make(); rPost = make(); rdPre = make(); rdPost = make()
    }

    @inline(__always) private func layerInput(_ l: Int) -> UnsafePointer<Float> {
        l == 0 ? input! : UnsafePointer(post[l - 1])
    }

    /// Forward pass: fills the activations and returns a pointer to ŷ (n × d_out), valid until the next call.
    /// `x` is n × d_in and must stay alive until the passes that follow (gradient, HVP) are done.
    @discardableResult
    public func forward(_ theta: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) -> UnsafePointer<Float> {
        reserve(n)
        input = x
        rows = n
        for l in 0..<layers {
            let fin = sizes[l], fout = sizes[l + 1]
            let w = theta + mlp.weightOffsets[l], b = theta + mlp.biasOffsets[l]
            let a = pre[l]
            for i in 0..<n { (a + i * fout).update(from: b, count: fout) }
            // BLAS.gemm: sgemv for a single row (the continual learners' per-example steps), sgemm otherwise.
            BLAS.gemm(transB: true, m: n, n: fout, k: fin, layerInput(l), lda: fin, w, ldb: fin, beta: 1, a, ldc: fout)
            if l < layers - 1 { mlp.activation.apply(a, post[l], n * fout) }
        }
        return UnsafePointer(pre[layers - 1])
    }

    /// Mean squared error of the last forward pass against `y` (n × d_out); also seeds dL/dŷ for ``backward``.
    public func loss(_ y: UnsafePointer<Float>) -> Float {
        let n = rows, dout = sizes[layers]
        let yhat = pre[layers - 1], d = dPre[layers - 1]
        let scale = 2 / Float(n * dout)
        var sum: Float = 0
        for i in 0..<(n * dout) {
            let e = yhat[i] - y[i]
            sum += e * e
            d[i] = scale * e
        }
        return sum / Float(n * dout)
    }

    /// Reverse pass after ``forward`` and ``loss``: writes ∇_θ L into `grad` (|θ| floats).
    public func backward(_ theta: UnsafePointer<Float>, _ grad: UnsafeMutablePointer<Float>) {
        let n = rows
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let fin = sizes[l], fout = sizes[l + 1]
            let d = dPre[l]
            BLAS.gemm(transA: true, m: fout, n: fin, k: n, d, lda: fout, layerInput(l), ldb: fin,
                      grad + mlp.weightOffsets[l], ldc: fin)
            columnSums(d, n, fout, grad + mlp.biasOffsets[l])
            if l > 0 {
                let dh = dPost[l - 1]
                BLAS.gemm(m: n, n: fin, k: fout, d, lda: fout, theta + mlp.weightOffsets[l], ldb: fin, dh, ldc: fin)
                let a = pre[l - 1], h = post[l - 1], dp = dPre[l - 1]
                for i in 0..<(n * fin) { dp[i] = dh[i] * mlp.activation.derivative(a[i], h[i]) }
            }
        }
    }

    /// Reverse pass after ``forward`` for any loss of the outputs: `outputGradient` holds ∂L/∂ŷ (n × d_out, the rows
    /// of the last forward); writes ∇_θ L into `grad` (|θ| floats). Used by classifiers (softmax cross-entropy,
    /// distillation) whose loss is computed outside the workspace.
    public func backward(_ theta: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         _ grad: UnsafeMutablePointer<Float>) {
        dPre[layers - 1].update(from: outputGradient, count: rows * sizes[layers])
        backward(theta, grad)
    }

    /// Hessian-vector product H(θ)·v of the loss of the last ``forward``/``loss``/``backward`` (which must have run
    /// at the same θ and batch): the R-operator R_v{·} = d/dε (·)(θ + εv) at ε = 0 applied to both passes.
    ///
    ///     R a_{l+1} = R h_l W_lᵀ + h_l V_lᵀ + c_l,   R h_l = σ′(a_l) ⊙ R a_l
    ///     R δ_L = 2/(n·d_out) R ŷ,   R ∇W_l = R δ_lᵀ h_l + δ_lᵀ R h_l,   R ∇b_l = Σ_rows R δ_l
    ///     R ∂h_l = R δ_{l+1} W_l + δ_{l+1} V_l,   R δ_l = R ∂h_l ⊙ σ′(a_l) + ∂h_l ⊙ σ″(a_l) ⊙ R a_l
    public func hessianVectorProduct(
        _ theta: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ hv: UnsafeMutablePointer<Float>
    ) {
        let n = rows
        // R-forward.
        for l in 0..<layers {
            let fin = sizes[l], fout = sizes[l + 1]
            let ra = rPre[l], c = v + mlp.biasOffsets[l]
            for i in 0..<n { (ra + i * fout).update(from: c, count: fout) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(fout), Int32(fin),
                        1, layerInput(l), Int32(fin), v + mlp.weightOffsets[l], Int32(fin), 1, ra, Int32(fout))
            if l > 0 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(fout), Int32(fin),
                            1, rPost[l - 1], Int32(fin), theta + mlp.weightOffsets[l], Int32(fin), 1, ra, Int32(fout))
            }
            if l < layers - 1 {
                let a = pre[l], h = post[l], rh = rPost[l]
                for i in 0..<(n * fout) { rh[i] = ra[i] * mlp.activation.derivative(a[i], h[i]) }
            }
        }
        // R-backward.
        let dout = sizes[layers]
        let scale = 2 / Float(n * dout)
        do {
            let ry = rPre[layers - 1], rd = rdPre[layers - 1]
            for i in 0..<(n * dout) { rd[i] = scale * ry[i] }
        }
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let fin = sizes[l], fout = sizes[l + 1]
            let rd = rdPre[l], d = dPre[l]
            let rgw = hv + mlp.weightOffsets[l]
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(fout), Int32(fin), Int32(n),
                        1, rd, Int32(fout), layerInput(l), Int32(fin), 0, rgw, Int32(fin))
            if l > 0 {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(fout), Int32(fin), Int32(n),
                            1, d, Int32(fout), rPost[l - 1], Int32(fin), 1, rgw, Int32(fin))
            }
            columnSums(rd, n, fout, hv + mlp.biasOffsets[l])
            if l > 0 {
                let rdh = rdPost[l - 1]
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(fin), Int32(fout),
                            1, rd, Int32(fout), theta + mlp.weightOffsets[l], Int32(fin), 0, rdh, Int32(fin))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(fin), Int32(fout),
                            1, d, Int32(fout), v + mlp.weightOffsets[l], Int32(fin), 1, rdh, Int32(fin))
                let a = pre[l - 1], h = post[l - 1], dh = dPost[l - 1], ra = rPre[l - 1], rdp = rdPre[l - 1]
                let act = mlp.activation
                if act == .relu {
                    for i in 0..<(n * fin) { rdp[i] = a[i] > 0 ? rdh[i] : 0 }
                } else {
                    for i in 0..<(n * fin) {
                        rdp[i] = rdh[i] * act.derivative(a[i], h[i]) + dh[i] * act.secondDerivative(a[i], h[i]) * ra[i]
                    }
                }
            }
        }
    }

    /// out[j] = Σ_i m[i, j] for an r × c row-major matrix.
    @inline(__always)
    private func columnSums(_ m: UnsafePointer<Float>, _ r: Int, _ c: Int, _ out: UnsafeMutablePointer<Float>) {
        out.update(from: m, count: c)
        for i in 1..<max(r, 1) where i < r {
            let row = m + i * c
            for j in 0..<c { out[j] += row[j] }
        }
    }

    // MARK: Array conveniences (tests, ABI)

    /// ŷ = f(x; θ) for `x` of n × d_in floats; returns n × d_out floats.
    public func predict(theta: [Float], x: [Float]) throws(MnemonetError) -> [Float] {
        try check(theta: theta, x: x, y: nil)
        let n = x.count / mlp.inputSize
        if n == 0 { return [] }
        return theta.withUnsafeBufferPointer { t in
            x.withUnsafeBufferPointer { xb in
                let out = forward(t.baseAddress!, xb.baseAddress!, n)
                return Array(UnsafeBufferPointer(start: out, count: n * mlp.outputSize))
            }
        }
    }

    /// (L(θ), ∇_θ L) of the mean squared error on (x, y).
    public func lossAndGradient(theta: [Float], x: [Float], y: [Float]) throws(MnemonetError) -> (loss: Float, gradient: [Float]) {
        try check(theta: theta, x: x, y: y)
        try require(!x.isEmpty, "the batch is empty")
        let n = x.count / mlp.inputSize
        var g = [Float](repeating: 0, count: mlp.parameterCount)
        let value = theta.withUnsafeBufferPointer { t in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    g.withUnsafeMutableBufferPointer { gb in
                        forward(t.baseAddress!, xb.baseAddress!, n)
                        let l = self.loss(yb.baseAddress!)
                        backward(t.baseAddress!, gb.baseAddress!)
                        return l
                    }
                }
            }
        }
        return (value, g)
    }

    /// H(θ)·v for the mean squared error on (x, y).
    public func hessianVectorProduct(theta: [Float], x: [Float], y: [Float], v: [Float]) throws(MnemonetError) -> [Float] {
        try check(theta: theta, x: x, y: y)
        try require(!x.isEmpty, "the batch is empty")
        try require(v.count == mlp.parameterCount, "v has \(v.count) values, expected \(mlp.parameterCount)")
        let n = x.count / mlp.inputSize
        var g = [Float](repeating: 0, count: mlp.parameterCount)
        var hv = g
        theta.withUnsafeBufferPointer { t in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    v.withUnsafeBufferPointer { vb in
                        forward(t.baseAddress!, xb.baseAddress!, n)
                        _ = loss(yb.baseAddress!)
                        backward(t.baseAddress!, &g)
                        hessianVectorProduct(t.baseAddress!, vb.baseAddress!, &hv)
                    }
                }
            }
        }
        return hv
    }

    func check(theta: [Float], x: [Float], y: [Float]?) throws(MnemonetError) {
        try require(theta.count == mlp.parameterCount, "theta has \(theta.count) values, expected \(mlp.parameterCount)")
        try require(x.count % mlp.inputSize == 0, "x has \(x.count) values, not a multiple of the input size \(mlp.inputSize)")
        if let y {
            let n = x.count / mlp.inputSize
            try require(y.count == n * mlp.outputSize, "y has \(y.count) values, expected \(n) × \(mlp.outputSize)")
        }
    }
}
