import MnemonetEngine

/// The whole meta-batch's MAML meta-gradient for **one** inner step of scalar size α, in products over the stacked
/// meta-batch instead of one small product per task and layer.
///
/// Every task i adapts from the same θ, so every product with θ's weights is shared by the meta-batch: the support
/// pass at θ, and in the query pass and the Hessian-vector product the θ part of each product, are one GEMM over
/// the B·n stacked rows. The per-task difference is low-rank: with δ_{l,i} the support deltas of layer l
/// (n_s × s_{l+1}) and h_{l,i} its input (n_s × s_l), one step changes layer l by
///
///     W′_{l,i} = W_l − α δ_{l,i}ᵀ h_{l,i},   b′_{l,i} = b_l − α δ_{l,i}ᵀ 1,
///
/// so with the Gram matrices G_{l,i} = h^q_{l,i} h_{l,i}ᵀ + 1 1ᵀ and D_{l,i} = δ^q_{l,i} δ_{l,i}ᵀ (n_q × n_s) the
/// products with the adapted weights are the shared product plus a rank-n_s correction:
///
///     h^q W′ᵀ + b′ = (h^q W_lᵀ + b_l) − α G_{l,i} δ_{l,i}          (query forward)
///     δ^q W′      = δ^q W_l − α D_{l,i} h_{l,i}                     (query backward)
///
/// The second-order term is H^s_i(θ)·v_i with v_i = α ∇L^q_i(θ′_i), whose layer-l weight part is α δ^qᵀ h^q (again
/// low-rank), so the R-operator passes of ``MLPWorkspace/hessianVectorProduct(_:_:_:)`` need the same two Grams,
/// transposed:
///
///     h V_lᵀ + c_l = α G_{l,i}ᵀ δ^q_{l,i},   δ V_l = α D_{l,i}ᵀ h^q_{l,i}.
///
/// Only the meta-batch sum of the per-task gradients is returned, so every weight gradient (∇L^q and R∇ of the HVP)
/// is one GEMM over all stacked rows; no per-task weight matrix is ever formed. The meta-gradient is the same as
/// the sum of ``InnerLoop/accumulateMetaGradient(_:steps:stepSize:firstOrder:supportX:supportY:supportCount:queryX:queryY:queryCount:weight:metaGradient:alphaGradient:)``
/// over the tasks (tested to float rounding), with per-task products of size n_q × n_s × s instead of s × s.
///
/// Shapes: x arrays [B, n, s_0], y arrays [B, n, s_L], row-major; buffers grow to the largest meta-batch seen. Not
/// thread-safe (one per thread).
public final class BatchedMAML {
    /// The network.
    public let mlp: MLP
    private let sizes: [Int]
    private let layers: Int
    private var capacityS = 0, capacityQ = 0, capacityG = 0
    // Support rows (B·n_s × s_{l+1}): pre-activation, activation, their gradients, and the R-versions.
    private var pre: [UnsafeMutablePointer<Float>] = [], post: [UnsafeMutablePointer<Float>] = []
    private var dPre: [UnsafeMutablePointer<Float>] = [], dPost: [UnsafeMutablePointer<Float>] = []
    private var rPre: [UnsafeMutablePointer<Float>] = [], rPost: [UnsafeMutablePointer<Float>] = []
    private var rdPre: [UnsafeMutablePointer<Float>] = [], rdPost: [UnsafeMutablePointer<Float>] = []
    // Query rows (B·n_q × s_{l+1}).
    private var preQ: [UnsafeMutablePointer<Float>] = [], postQ: [UnsafeMutablePointer<Float>] = []
    private var dPreQ: [UnsafeMutablePointer<Float>] = [], dPostQ: [UnsafeMutablePointer<Float>] = []
    // Per layer, B Gram matrices of n_q × n_s: G_l and D_l.
    private var gram: [UnsafeMutablePointer<Float>] = [], deltaGram: [UnsafeMutablePointer<Float>] = []

    /// Scratch for `mlp`; buffers are allocated on first use.
    public init(_ mlp: MLP) {
        self.mlp = mlp
        self.sizes = mlp.layerSizes
        self.layers = mlp.layerCount
    }

    deinit { release() }

    private func release() {
        for list in [pre, post, dPre, dPost, rPre, rPost, rdPre, rdPost, preQ, postQ, dPreQ, dPostQ, gram, deltaGram] {
            for p in list { p.deallocate() }
        }
        pre = []; post = []; dPre = []; dPost = []; rPre = []; rPost = []; rdPre = []; rdPost = []
        preQ = []; postQ = []; dPreQ = []; dPostQ = []; gram = []; deltaGram = []
        capacityS = 0; capacityQ = 0; capacityG = 0
    }

    private func reserve(supportRows: Int, queryRows: Int, gramFloats: Int) {
        if supportRows <= capacityS && queryRows <= capacityQ && gramFloats <= capacityG { return }
        let s = max(supportRows, capacityS), q = max(queryRows, capacityQ), g = max(gramFloats, capacityG)
        release()
        capacityS = s; capacityQ = q; capacityG = g
        func make(_ rows: Int) -> [UnsafeMutablePointer<Float>] {
            (0..<layers).map { l in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: rows * sizes[l + 1])
                p.initialize(repeating: 0, count: rows * sizes[l + 1])
                return p
            }
        }
        pre = make(s); post = make(s); dPre = make(s); dPost = make(s)
        rPre = make(s); rPost = make(s); rdPre = make(s); rdPost = make(s)
        preQ = make(q); postQ = make(q); dPreQ = make(q); dPostQ = make(q)
        func grams() -> [UnsafeMutablePointer<Float>] {
            (0..<layers).map { _ in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: g)
                p.initialize(repeating: 0, count: g)
                return p
            }
        }
        gram = grams(); deltaGram = grams()
    }

    /// C ← α·op(A)·op(B) + β·C (``BLAS/gemm``'s conventions). A rank-1 product (k = 1: a first layer of width 1,
    /// a Gram of a width-1 output) is one fused loop here: OpenBLAS runs it as `sger`, one `saxpy` call per row
    /// (≈ 7 µs for the 250 × 40 input layer of the sinusoid meta-batch).
    @inline(__always)
    private func product(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if k != 1 {
            BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb,
                      beta: beta, c, ldc: ldc)
            return
        }
        let sb = transB ? ldb : 1
        if beta != 0 && beta != 1 { for i in 0..<m { VectorMath.scale(beta, c + i * ldc, count: n) } }
        for i in 0..<m {
            let ai = alpha * a[transA ? i : i * lda], row = c + i * ldc
            if sb == 1 {
                if beta == 0 { for j in 0..<n { row[j] = ai * b[j] } } else { for j in 0..<n { row[j] += ai * b[j] } }
            } else {
                if beta == 0 { for j in 0..<n { row[j] = ai * b[j * sb] } } else { for j in 0..<n { row[j] += ai * b[j * sb] } }
            }
        }
    }

    /// h = σ(a) over `count` values.
    @inline(__always)
    private func activate(_ a: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ count: Int) {
        mlp.activation.apply(a, h, count)
    }

    /// out = g ⊙ σ′(a) (`h` = σ(a)).
    @inline(__always)
    private func gate(_ g: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ h: UnsafePointer<Float>,
                      _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        let act = mlp.activation
        if act == .relu {
            for i in 0..<count { out[i] = a[i] > 0 ? g[i] : 0 }
        } else {
            for i in 0..<count { out[i] = g[i] * act.derivative(a[i], h[i]) }
        }
    }

    /// Rows of `m` (r × c) each set to the bias `b` (c floats).
    @inline(__always)
    private func broadcast(_ b: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ r: Int, _ c: Int) {
        for i in 0..<r { (m + i * c).update(from: b, count: c) }
    }

    /// out[j] += α Σ_i m[i, j] for an r × c row-major matrix.
    @inline(__always)
    private func addColumnSums(_ alpha: Float, _ m: UnsafePointer<Float>, _ r: Int, _ c: Int,
                               _ out: UnsafeMutablePointer<Float>) {
        for i in 0..<r {
            let row = m + i * c
            for j in 0..<c { out[j] += alpha * row[j] }
        }
    }

    /// Mean squared error of each task's rows (B tasks of n rows × d): writes dL_i/dŷ = 2/(n·d)(ŷ − y) into `d`
    /// and returns Σ_i L_i.
    private func taskLosses(_ yhat: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>,
                            rows n: Int, batch: Int) -> Float {
        let dout = sizes[layers], per = n * dout
        let scale = 2 / Float(per)
        var total: Float = 0
        for b in 0..<batch {
            var sum: Float = 0
            for i in (b * per)..<((b + 1) * per) {
                let e = yhat[i] - y[i]
                sum += e * e
                d[i] = scale * e
            }
            total += sum / Float(per)
        }
        return total
    }

    /// Adds `weight`·Σ_i ∇_θ L^q_i(θ − α∇L^s_i(θ)) to `metaGradient` (|θ| floats) for the B tasks of the stacked
    /// support (x [B, n_s, s_0], y [B, n_s, s_L]) and query sets (n_q rows each); exact second order unless
    /// `firstOrder`. Returns the sums over tasks of L^s_i(θ) and L^q_i(θ′_i).
    public func accumulateMetaGradient(
        _ theta: UnsafePointer<Float>, alpha: Float, firstOrder: Bool,
        supportX: UnsafePointer<Float>, supportY: UnsafePointer<Float>, supportCount ns: Int,
        queryX: UnsafePointer<Float>, queryY: UnsafePointer<Float>, queryCount nq: Int, batch: Int,
        weight: Float, metaGradient: UnsafeMutablePointer<Float>
    ) -> (supportLoss: Float, queryLoss: Float) {
        let L = layers, s = sizes
        let rs = batch * ns, rq = batch * nq, gsize = nq * ns
        reserve(supportRows: rs, queryRows: rq, gramFloats: batch * gsize)
        func w(_ l: Int) -> UnsafePointer<Float> { theta + mlp.weightOffsets[l] }
        func bias(_ l: Int) -> UnsafePointer<Float> { theta + mlp.biasOffsets[l] }
        func input(_ l: Int) -> UnsafePointer<Float> { l == 0 ? supportX : UnsafePointer(post[l - 1]) }
        func inputQ(_ l: Int) -> UnsafePointer<Float> { l == 0 ? queryX : UnsafePointer(postQ[l - 1]) }

        // Support pass at the shared θ: one GEMM per layer over all B·n_s rows.
        for l in 0..<L {
            broadcast(bias(l), pre[l], rs, s[l + 1])
            product(transB: true, m: rs, n: s[l + 1], k: s[l], input(l), lda: s[l], w(l), ldb: s[l], beta: 1,
                      pre[l], ldc: s[l + 1])
            if l < L - 1 { activate(pre[l], post[l], rs * s[l + 1]) }
        }
        let supportLoss = taskLosses(pre[L - 1], supportY, dPre[L - 1], rows: ns, batch: batch)
        for l in stride(from: L - 1, through: 1, by: -1) {
            product(m: rs, n: s[l], k: s[l + 1], dPre[l], lda: s[l + 1], w(l), ldb: s[l], dPost[l - 1], ldc: s[l])
            gate(dPost[l - 1], pre[l - 1], post[l - 1], dPre[l - 1], rs * s[l])
        }

        // Query pass at θ′_i: shared product, then each task's rank-n_s correction −α G_{l,i} δ_{l,i}.
        for l in 0..<L {
            let fin = s[l], fout = s[l + 1]
            broadcast(bias(l), preQ[l], rq, fout)
            product(transB: true, m: rq, n: fout, k: fin, inputQ(l), lda: fin, w(l), ldb: fin, beta: 1,
                      preQ[l], ldc: fout)
            let g = gram[l]
            g.update(repeating: 1, count: batch * gsize)
            let hq = inputQ(l), h = input(l), d = UnsafePointer(dPre[l])
            for b in 0..<batch {
                let gb = g + b * gsize
                product(transB: true, m: nq, n: ns, k: fin, hq + b * nq * fin, lda: fin, h + b * ns * fin, ldb: fin,
                          beta: 1, gb, ldc: ns)
                product(m: nq, n: fout, k: ns, alpha: -alpha, gb, lda: ns, d + b * ns * fout, ldb: fout, beta: 1,
                          preQ[l] + b * nq * fout, ldc: fout)
            }
            if l < L - 1 { activate(preQ[l], postQ[l], rq * fout) }
        }
        let queryLoss = taskLosses(preQ[L - 1], queryY, dPreQ[L - 1], rows: nq, batch: batch)
        // Query backward through W′_{l,i} (shared product − α D_{l,i} h_{l,i}); Σ_i ∇L^q_i as one GEMM per layer.
        for l in stride(from: L - 1, through: 0, by: -1) {
            let fin = s[l], fout = s[l + 1]
            product(transA: true, m: fout, n: fin, k: rq, alpha: weight, dPreQ[l], lda: fout, inputQ(l), ldb: fin,
                      beta: 1, metaGradient + mlp.weightOffsets[l], ldc: fin)
            addColumnSums(weight, dPreQ[l], rq, fout, metaGradient + mlp.biasOffsets[l])
            if l == 0 { break }
            product(m: rq, n: fin, k: fout, dPreQ[l], lda: fout, w(l), ldb: fin, dPostQ[l - 1], ldc: fin)
            let dg = deltaGram[l], h = input(l), d = UnsafePointer(dPre[l]), dq = UnsafePointer(dPreQ[l])
            for b in 0..<batch {
                let db = dg + b * gsize
                product(transB: true, m: nq, n: ns, k: fout, dq + b * nq * fout, lda: fout, d + b * ns * fout,
                          ldb: fout, db, ldc: ns)
                product(m: nq, n: fin, k: ns, alpha: -alpha, db, lda: ns, h + b * ns * fin, ldb: fin, beta: 1,
                          dPostQ[l - 1] + b * nq * fin, ldc: fin)
            }
            gate(dPostQ[l - 1], preQ[l - 1], postQ[l - 1], dPreQ[l - 1], rq * fin)
        }
        if firstOrder { return (supportLoss, queryLoss) }

        // Second order: −weight·Σ_i H^s_i(θ) v_i, v_i = α∇L^q_i(θ′_i), by the R-operator on the support pass at θ.
        for l in 0..<L {
            let fin = s[l], fout = s[l + 1]
            let g = UnsafePointer(gram[l]), dq = UnsafePointer(dPreQ[l])
            for b in 0..<batch {  // h V_lᵀ + c_l = α G_{l,i}ᵀ δ^q_{l,i}
                product(transA: true, m: ns, n: fout, k: nq, alpha: alpha, g + b * gsize, lda: ns,
                          dq + b * nq * fout, ldb: fout, rPre[l] + b * ns * fout, ldc: fout)
            }
            if l > 0 {
                product(transB: true, m: rs, n: fout, k: fin, rPost[l - 1], lda: fin, w(l), ldb: fin, beta: 1,
                          rPre[l], ldc: fout)
            }
            if l < L - 1 { gate(rPre[l], pre[l], post[l], rPost[l], rs * fout) }
        }
        do {
            let scale = 2 / Float(ns * s[L]), ry = rPre[L - 1], rd = rdPre[L - 1]
            for i in 0..<(rs * s[L]) { rd[i] = scale * ry[i] }
        }
        let act = mlp.activation
        for l in stride(from: L - 1, through: 0, by: -1) {
            let fin = s[l], fout = s[l + 1]
            let gw = metaGradient + mlp.weightOffsets[l]
            product(transA: true, m: fout, n: fin, k: rs, alpha: -weight, rdPre[l], lda: fout, input(l), ldb: fin,
                      beta: 1, gw, ldc: fin)
            addColumnSums(-weight, rdPre[l], rs, fout, metaGradient + mlp.biasOffsets[l])
            if l == 0 { break }
            product(transA: true, m: fout, n: fin, k: rs, alpha: -weight, dPre[l], lda: fout, rPost[l - 1], ldb: fin,
                      beta: 1, gw, ldc: fin)
            let rdh = rdPost[l - 1]
            product(m: rs, n: fin, k: fout, rdPre[l], lda: fout, w(l), ldb: fin, rdh, ldc: fin)
            let dg = UnsafePointer(deltaGram[l]), hq = inputQ(l)
            for b in 0..<batch {  // δ V_l = α D_{l,i}ᵀ h^q_{l,i}
                product(transA: true, m: ns, n: fin, k: nq, alpha: alpha, dg + b * gsize, lda: ns,
                          hq + b * nq * fin, ldb: fin, beta: 1, rdh + b * ns * fin, ldc: fin)
            }
            let a = pre[l - 1], h = post[l - 1], dh = dPost[l - 1], ra = rPre[l - 1], rdp = rdPre[l - 1]
            if act == .relu {
                for i in 0..<(rs * fin) { rdp[i] = a[i] > 0 ? rdh[i] : 0 }
            } else {
                for i in 0..<(rs * fin) {
                    rdp[i] = rdh[i] * act.derivative(a[i], h[i]) + dh[i] * act.secondDerivative(a[i], h[i]) * ra[i]
                }
            }
        }
        return (supportLoss, queryLoss)
    }

    /// Array convenience (tests): the mean over the B tasks of the one-step MAML meta-gradient, and the mean
    /// L^s(θ) and L^q(θ′). x arrays are [B, n, s_0] and y arrays [B, n, s_L], flattened row-major.
    public func metaGradient(
        theta: [Float], alpha: Float, firstOrder: Bool, supportX: [Float], supportY: [Float], queryX: [Float],
        queryY: [Float], batch: Int
    ) throws(MnemonetError) -> (gradient: [Float], supportLoss: Float, queryLoss: Float) {
        let din = mlp.inputSize, dout = mlp.outputSize
        try require(batch >= 1, "the meta-batch is empty")
        try require(theta.count == mlp.parameterCount, "theta has \(theta.count) values, expected \(mlp.parameterCount)")
        try require(supportX.count % (batch * din) == 0 && queryX.count % (batch * din) == 0,
                    "x arrays must hold batch × n × \(din) values")
        let ns = supportX.count / (batch * din), nq = queryX.count / (batch * din)
        try require(ns >= 1 && nq >= 1, "support and query sets must be non-empty")
        try require(supportY.count == batch * ns * dout && queryY.count == batch * nq * dout,
                    "y arrays must hold batch × n × \(dout) values")
        var g = [Float](repeating: 0, count: mlp.parameterCount)
        let r = g.withUnsafeMutableBufferPointer { gb in
            accumulateMetaGradient(
                theta, alpha: alpha, firstOrder: firstOrder, supportX: supportX, supportY: supportY, supportCount: ns,
                queryX: queryX, queryY: queryY, queryCount: nq, batch: batch, weight: 1 / Float(batch),
                metaGradient: gb.baseAddress!)
        }
        return (g, r.supportLoss / Float(batch), r.queryLoss / Float(batch))
    }
}
