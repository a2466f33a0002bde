import MnemonetBase
import MnemonetEngine

/// The whole SNAIL forward pass as one graph node, with a hand-derived pullback (the fused fast path; the composed
/// blocks — ``DenseBlock``, ``AttentionBlock`` — are its reference, tested equal to it with finite-difference checks).
///
/// Layout: time-major features H [T·B, C_L] (row r = t·B + b), one buffer for the whole network. Every stage reads
/// the column prefix H[:, 0..<C_in] (leading dimension C_L) and writes its appended columns H[:, C_in..<C_out] in
/// place, so the dense connections cost no concatenation, and in the backward pass the gradient of a stage's
/// appended columns is complete once the later stages have added into the prefix they read.
///
/// Dense block (kernel 2, dilation R, D filters; W₁ the current tap, W₀ the past tap, filter and gate stacked):
///
///     Z = H[:, :C]·W₁ᵀ + b;   Z[R·B:] += H[:(T−R)·B, :C]·W₀ᵀ        (the causal shift is a row offset of R·B)
///     a = tanh(Z_f) ⊙ σ(Z_g) → H[:, C:C+D]
///     ∂Z_f = ∂a ⊙ σ(Z_g) ⊙ (1 − tanh²Z_f),  ∂Z_g = ∂a ⊙ tanh Z_f ⊙ σ(Z_g)(1 − σ(Z_g))
///     ∂W₁ = ∂Zᵀ·H[:, :C],  ∂W₀ = ∂Z[R·B:]ᵀ·H[:(T−R)·B, :C],  ∂b = Σ_rows ∂Z
///     ∂H[:, :C] += ∂Z·W₁,  ∂H[:(T−R)·B, :C] += ∂Z[R·B:]·W₀
///
/// (rows t < R get no past-tap product at all: the zero padding is never multiplied). Attention block (one
/// [T·B, C]·[C, 2K + V] product for q, k, v; per sequence b, with the rows of b at stride B):
///
///     S_b = Q_b·K_bᵀ/√K,  P_b = softmax over keys j ≤ i (0 for j > i),  R_b = P_b·V_b → H[b rows, C:C+V]
///     ∂P = ∂R·Vᵀ,  ∂V = Pᵀ·∂R,  ∂S = P ⊙ (∂P − Σ_j ∂P⊙P)/√K,  ∂Q = ∂S·K,  ∂K = ∂Sᵀ·Q
///
/// The pullback's gradients are constants (first order only, like the engine's other fused paths); the stages'
/// input h⁰ [B, T, C₀] gets a gradient only when it requires one (otherwise its columns of ∂H are never computed).
/// With an embedding network, h⁰ is the output of ``SNAILEmbedding`` (composed engine ops, in front of this node):
/// it requires a gradient, ∂h⁰ = ∂H[:, :C₀] is handed to it, and the engine pulls it back through the MLP.
extension SNAIL {
    /// y [B, T, O] for x [B, T, I]: the same function as ``composedForward(_:)``; the stages and the read-out are
    /// one node (after the embedding network, when there is one).
    public func fusedForward(_ x: Variable) -> Variable { fusedStages(stageInput(x)) }

    /// y [B, T, O] for the stages' input h⁰ [B, T, C₀], as one node.
    func fusedStages(_ x: Variable) -> Variable {
        precondition(x.rank == 3 && x.shape[2] == stageInputSize, "SNAIL: stage input \(x.shape), need [B, T, \(stageInputSize)]")
        let (b, t, i, cl, o) = (x.shape[0], x.shape[1], stageInputSize, featureWidth, outputSize)
        let rows = b * t
        // Saved for the pullback, carved from one arena reused across calls (no page faults per step): H, then per
        // stage its activations (dense: [T·B, 2D]; attention: q, k, v [T·B, 2K + V] and P [B, T, T]).
        var need = rows * cl
        for block in blocks {
            if let tc = block as? TCBlock {
                need += tc.denseBlocks.reduce(0) { $0 + rows * 2 * $1.filters }
            } else if let a = block as? AttentionBlock {
                need += rows * (2 * a.keySize + a.valueSize) + b * t * t
            }
        }
        let arena = SNAILFusedArena.reuse(&forwardArena, count: need)
        var cursor = arena.pointer
        func take(_ n: Int) -> UnsafeMutablePointer<Float> {
            defer { cursor += n }
            return cursor
        }
        let h = SNAILFusedMatrix(pointer: take(rows * cl), rows: rows, columns: cl)
        let xp = x.value.pointer, hp = h.pointer
        for s in 0..<b {
            for u in 0..<t { (hp + (u * b + s) * cl).update(from: xp + (s * t + u) * i, count: i) }
        }
        var stages: [SNAILFusedStage] = []
        var c = i
        for block in blocks {
            if let tc = block as? TCBlock {
                for d in tc.denseBlocks {
                    stages.append(.dense(SNAILFusedDense(d, h: h, columns: c, batch: b, length: t,
                                                         act: take(rows * 2 * d.filters))))
                    c += d.filters
                }
            } else if let a = block as? AttentionBlock {
                let f = 2 * a.keySize + a.valueSize
                stages.append(.attention(SNAILFusedAttention(a, h: h, columns: c, batch: b, length: t,
                                                             qkv: take(rows * f), p: take(b * t * t))))
                c += a.valueSize
            } else {
                preconditionFailure("SNAIL.fusedForward: unknown stage \(type(of: block))")
            }
        }
        // The read-out, time-major, then back to [B, T, O].
        let ytm = Tensor(uninitializedShape: [rows, o])
        SNAILFused.affine(h: hp, ldh: cl, rows: rows, columns: cl, weight: output.weight.value.pointer,
                          bias: output.bias!.value.pointer, outputs: o, into: ytm.pointer)
        let y = Tensor(uninitializedShape: [b, t, o])
        for s in 0..<b {
            for u in 0..<t { (y.pointer + (s * t + u) * o).update(from: ytm.pointer + (u * b + s) * o, count: o) }
        }
        let params = (blocks.flatMap { $0.namedParameters } + output.namedParameters).map(\.variable)  // not the embedding
        let readout = (weight: output.weight, bias: output.bias!)
        return Variable.make(y, [x] + params) { g, _ in
            _ = arena  // the saved activations live in it until the graph is released
            let lo = x.needsGradient ? 0 : i  // the input's columns of ∂H are only computed when x wants a gradient
            // Scratch: G time-major [T·B, O], ∂H [T·B, C_L], and the largest stage's scratch (reused stage by stage).
            let stageScratch = stages.map { stage -> Int in
                switch stage {
                case .dense(let d): return d.scratchCount
                case .attention(let a): return a.scratchCount
                }
            }.max() ?? 0
            let scratch = SNAILFusedArena.reuse(&self.backwardArena, count: rows * (o + cl) + stageScratch)
            let gtm = scratch.pointer, dhp = scratch.pointer + rows * o, work = dhp + rows * cl
            let gp = g.value.pointer
            for s in 0..<b {
                for u in 0..<t { (gtm + (u * b + s) * o).update(from: gp + (s * t + u) * o, count: o) }
            }
            // ∂W_o = Gᵀ·H, ∂b_o = Σ G, ∂H = G·W_o (initialises every column ≥ lo).
            let dh = SNAILFusedMatrix(pointer: dhp, rows: rows, columns: cl)
            let (dw, db) = SNAILFused.affineBackward(
                h: hp, ldh: cl, rows: rows, columns: cl, weight: readout.weight.value.pointer, outputs: o,
                gradient: gtm, ldg: o, wantWeight: readout.weight.needsGradient,
                wantBias: readout.bias.needsGradient, dh: dhp, from: lo, accumulate: false)
            SNAILFused.give(dw, to: readout.weight)
            SNAILFused.give(db, to: readout.bias)
            for stage in stages.reversed() {
                switch stage {
                case .dense(let d): d.backward(h: h, dh: dh, from: lo, scratch: work)
                case .attention(let a): a.backward(h: h, dh: dh, from: lo, scratch: work)
                }
            }
            if x.needsGradient {
                let dx = Tensor(uninitializedShape: x.shape)
                for s in 0..<b {
                    for u in 0..<t { (dx.pointer + (s * t + u) * i).update(from: dhp + (u * b + s) * cl, count: i) }
                }
                accumulate(into: x, Variable(dx))
            }
        }
    }
}

/// Float storage of the fused pass that outlives one call: reused by the next call when no graph still holds it
/// (`isKnownUniquelyReferenced`), so a training loop allocates (and page-faults in) its activations once.
final class SNAILFusedArena {
    /// The first of `capacity` floats.
    let pointer: UnsafeMutablePointer<Float>
    /// The number of floats.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(capacity, 1))
    }

    deinit { pointer.deallocate() }

    /// `slot`'s arena when nothing else holds it and it has room for `count` floats; else a new one, kept in `slot`.
    static func reuse(_ slot: inout SNAILFusedArena?, count: Int) -> SNAILFusedArena {
        if isKnownUniquelyReferenced(&slot), let a = slot, a.capacity >= count { return a }
        let a = SNAILFusedArena(capacity: count)
        slot = a
        return a
    }
}

/// A row-major [rows, columns] float matrix inside an arena (time-major features H or ∂H).
struct SNAILFusedMatrix {
    let pointer: UnsafeMutablePointer<Float>
    let rows: Int, columns: Int
}

/// What the fused pass keeps of one stage for its pullback.
enum SNAILFusedStage {
    case dense(SNAILFusedDense)
    case attention(SNAILFusedAttention)
}

/// Shared affine pieces of the fused pass (time-major rows, strided feature matrices).
enum SNAILFused {
    /// Y [rows, n] = H[:, :columns]·Wᵀ + b for W [n, columns] (row-major, contiguous), H with leading dimension ldh.
    static func affine(h: UnsafePointer<Float>, ldh: Int, rows: Int, columns: Int, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, outputs n: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { (y + r * n).update(from: bias, count: n) }
        BLAS.gemm(transB: true, m: rows, n: n, k: columns, h, lda: ldh, weight, ldb: columns, beta: 1, y, ldc: n)
    }

    /// For Y = H[:, :columns]·Wᵀ + b with upstream G [rows, n] (leading dimension ldg): returns ∂W = Gᵀ·H [n, columns]
    /// and ∂b = Σ_rows G [n] (each only when wanted), and writes (or, with `accumulate`, adds)
    /// ∂H[:, from..<columns] = G·W[:, from...].
    static func affineBackward(h: UnsafePointer<Float>, ldh: Int, rows: Int, columns: Int, weight: UnsafePointer<Float>,
                               outputs n: Int, gradient g: UnsafePointer<Float>, ldg: Int, wantWeight: Bool,
                               wantBias: Bool, dh: UnsafeMutablePointer<Float>, from lo: Int, accumulate add: Bool)
        -> (weight: Tensor?, bias: Tensor?)
    {
        var dw: Tensor? = nil, db: Tensor? = nil
        if wantWeight {
            let w = Tensor(uninitializedShape: [n, columns])
            BLAS.gemm(transA: true, m: n, n: columns, k: rows, g, lda: ldg, h, ldb: ldh, w.pointer, ldc: columns)
            dw = w
        }
        if wantBias {
            let b = Tensor(shape: [n], repeating: 0)
            for r in 0..<rows { VectorMath.axpy(1, g + r * ldg, b.pointer, count: n) }
            db = b
        }
        if lo < columns {
            BLAS.gemm(m: rows, n: columns - lo, k: n, g, lda: ldg, weight + lo, ldb: columns, beta: add ? 1 : 0,
                      dh + lo, ldc: ldh)
        }
        return (dw, db)
    }

    /// Accumulates `gradient` (reshaped to the parameter's shape) into `parameter` when there is one.
    static func give(_ gradient: Tensor?, to parameter: Variable) {
        if let gradient, parameter.needsGradient { accumulate(into: parameter, Variable(gradient.reshaped(parameter.shape))) }
    }
}

/// One ``DenseBlock`` of the fused pass: its packed taps and saved activations.
final class SNAILFusedDense {
    let block: DenseBlock
    /// C (the prefix of H read), B and T.
    let columns: Int, batch: Int, length: Int
    /// [W₁; W₀], each [2D, C] (rows 0..<D filter, D..<2D gate): the current and the past tap.
    let taps: Tensor
    /// [T·B, 2D] (in the forward arena): tanh(Z_f) then σ(Z_g) per row.
    let act: UnsafeMutablePointer<Float>

    /// Runs the block on H[:, :C] and writes a into H[:, C..<C+D]; `act` receives the activations.
    init(_ d: DenseBlock, h: SNAILFusedMatrix, columns c: Int, batch b: Int, length t: Int,
         act: UnsafeMutablePointer<Float>) {
        precondition(d.inChannels == c, "SNAIL.fusedForward: dense block reads \(d.inChannels) columns, has \(c)")
        block = d
        columns = c
        batch = b
        length = t
        let (nd, r, rows, cl) = (d.filters, d.dilation, b * t, h.columns)
        taps = Tensor(uninitializedShape: [2, 2 * nd, c])
        let tp = taps.pointer
        for (half, w) in [d.filterWeight, d.gateWeight].enumerated() {
            let wp = w.value.pointer  // [D, C, 2]: tap 0 past, tap 1 current
            for f in 0..<nd {
                let cur = tp + (half * nd + f) * c, past = tp + 2 * nd * c + (half * nd + f) * c
                for ch in 0..<c {
                    cur[ch] = wp[(f * c + ch) * 2 + 1]
                    past[ch] = wp[(f * c + ch) * 2]
                }
            }
        }
        self.act = act
        let z = act, hp = h.pointer
        for row in 0..<rows {
            (z + row * 2 * nd).update(from: d.filterBias.value.pointer, count: nd)
            (z + row * 2 * nd + nd).update(from: d.gateBias.value.pointer, count: nd)
        }
        BLAS.gemm(transB: true, m: rows, n: 2 * nd, k: c, hp, lda: cl, tp, ldb: c, beta: 1, z, ldc: 2 * nd)
        if r < t {
            BLAS.gemm(transB: true, m: (t - r) * b, n: 2 * nd, k: c, hp, lda: cl, tp + 2 * nd * c, ldb: c, beta: 1,
                      z + r * b * 2 * nd, ldc: 2 * nd)
        }
        for row in 0..<rows {
            let zr = z + row * 2 * nd, out = hp + row * cl + c
            VectorMath.tanh(zr, zr, count: nd)
            VectorMath.sigmoid(zr + nd, zr + nd, count: nd)
            VectorMath.zip(zr, zr + nd, out, count: nd) { $0 * $1 }
        }
    }

    /// Floats of scratch `backward` needs: ∂Z [T·B, 2D] and ∂[W₁; W₀] [2, 2D, C].
    var scratchCount: Int { batch * length * 2 * block.filters + 4 * block.filters * columns }

    /// Pulls ∂H[:, C..<C+D] back: accumulates the block's parameter gradients and adds into ∂H[:, lo..<C].
    func backward(h: SNAILFusedMatrix, dh: SNAILFusedMatrix, from lo: Int, scratch: UnsafeMutablePointer<Float>) {
        let (nd, r, b, t, c, cl) = (block.filters, block.dilation, batch, length, columns, h.columns)
        let rows = b * t
        let z = act, dzp = scratch, dhp = dh.pointer, hp = h.pointer, tp = taps.pointer
        let dwp = scratch + rows * 2 * nd
        for row in 0..<rows {
            let ga = dhp + row * cl + c, th = z + row * 2 * nd, sg = th + nd, df = dzp + row * 2 * nd, dg = df + nd
            for j in 0..<nd {
                let (a, s, g) = (th[j], sg[j], ga[j])
                df[j] = g * s * (1 - a * a)
                dg[j] = g * a * s * (1 - s)
            }
        }
        let needW = block.filterWeight.needsGradient || block.gateWeight.needsGradient
        if needW {
            BLAS.gemm(transA: true, m: 2 * nd, n: c, k: rows, dzp, lda: 2 * nd, hp, ldb: cl, dwp, ldc: c)
            if r < t {
                BLAS.gemm(transA: true, m: 2 * nd, n: c, k: (t - r) * b, dzp + r * b * 2 * nd, lda: 2 * nd, hp, ldb: cl,
                          dwp + 2 * nd * c, ldc: c)
            } else {
                (dwp + 2 * nd * c).update(repeating: 0, count: 2 * nd * c)  // the past tap only ever saw padding
            }
            for (half, w) in [block.filterWeight, block.gateWeight].enumerated() where w.needsGradient {
                let g = Tensor(uninitializedShape: w.shape)
                for f in 0..<nd {
                    let cur = dwp + (half * nd + f) * c, past = dwp + 2 * nd * c + (half * nd + f) * c
                    for ch in 0..<c {
                        g.pointer[(f * c + ch) * 2 + 1] = cur[ch]
                        g.pointer[(f * c + ch) * 2] = past[ch]
                    }
                }
                accumulate(into: w, Variable(g))
            }
        }
        for (half, bias) in [block.filterBias, block.gateBias].enumerated() where bias.needsGradient {
            let db = Tensor(shape: [nd], repeating: 0)
            for row in 0..<rows { VectorMath.axpy(1, dzp + row * 2 * nd + half * nd, db.pointer, count: nd) }
            accumulate(into: bias, Variable(db))
        }
        if lo < c {
            BLAS.gemm(m: rows, n: c - lo, k: 2 * nd, dzp, lda: 2 * nd, tp + lo, ldb: c, beta: 1, dhp + lo, ldc: cl)
            if r < t {
                BLAS.gemm(m: (t - r) * b, n: c - lo, k: 2 * nd, dzp + r * b * 2 * nd, lda: 2 * nd, tp + 2 * nd * c + lo,
                          ldb: c, beta: 1, dhp + lo, ldc: cl)
            }
        }
    }
}

/// One ``AttentionBlock`` of the fused pass: its packed projection and saved q, k, v and attention weights.
final class SNAILFusedAttention {
    let block: AttentionBlock
    /// C (the prefix of H read), B and T.
    let columns: Int, batch: Int, length: Int
    /// [W_q; W_k; W_v] [2K + V, C] and its bias [2K + V] (copies taken at the forward pass).
    let weight: Tensor, bias: Tensor
    /// [T·B, 2K + V] (in the forward arena): q, k, v per row.
    let qkv: UnsafeMutablePointer<Float>
    /// [B, T, T] (in the forward arena): P_b (rows: query steps; zero above the diagonal).
    let p: UnsafeMutablePointer<Float>

    /// Runs the block on H[:, :C] and writes r into H[:, C..<C+V]; `qkv` and `p` receive q, k, v and P.
    init(_ a: AttentionBlock, h: SNAILFusedMatrix, columns c: Int, batch b: Int, length t: Int,
         qkv: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<Float>) {
        precondition(a.inChannels == c, "SNAIL.fusedForward: attention block reads \(a.inChannels) columns, has \(c)")
        block = a
        columns = c
        batch = b
        length = t
        let (k, v, rows, cl) = (a.keySize, a.valueSize, b * t, h.columns)
        let f = 2 * k + v
        let w = Tensor(uninitializedShape: [f, c]), wb = Tensor(uninitializedShape: [f])
        w.pointer.update(from: a.query.weight.value.pointer, count: k * c)
        (w.pointer + k * c).update(from: a.key.weight.value.pointer, count: k * c)
        (w.pointer + 2 * k * c).update(from: a.value.weight.value.pointer, count: v * c)
        wb.pointer.update(from: a.query.bias!.value.pointer, count: k)
        (wb.pointer + k).update(from: a.key.bias!.value.pointer, count: k)
        (wb.pointer + 2 * k).update(from: a.value.bias!.value.pointer, count: v)
        weight = w
        bias = wb
        self.qkv = qkv
        self.p = p
        let hp = h.pointer, q = qkv
        SNAILFused.affine(h: hp, ldh: cl, rows: rows, columns: c, weight: w.pointer, bias: wb.pointer, outputs: f, into: q)
        let scale = 1 / Float(k).squareRoot()
        for s in 0..<b {
            let pb = p + s * t * t
            BLAS.gemm(transB: true, m: t, n: t, k: k, alpha: scale, q + s * f, lda: b * f, q + s * f + k, ldb: b * f,
                      pb, ldc: t)
            for i in 0..<t {  // softmax over keys j ≤ i; zero for j > i
                let row = pb + i * t
                var m = -Float.infinity
                for j in 0...i { m = max(m, row[j]) }
                for j in 0...i { row[j] -= m }
                VectorMath.exp(row, row, count: i + 1)
                let inv = 1 / VectorMath.sum(row, count: i + 1)
                VectorMath.scale(inv, row, count: i + 1)
                if i + 1 < t { (row + i + 1).update(repeating: 0, count: t - i - 1) }
            }
            BLAS.gemm(m: t, n: v, k: t, pb, lda: t, q + s * f + 2 * k, ldb: b * f, hp + s * cl + c, ldc: b * cl)
        }
    }

    /// Floats of scratch `backward` needs: ∂(q, k, v) [T·B, 2K + V] and ∂S [T, T].
    var scratchCount: Int { batch * length * (2 * block.keySize + block.valueSize) + length * length }

    /// Pulls ∂H[:, C..<C+V] back: accumulates the block's parameter gradients and adds into ∂H[:, lo..<C].
    func backward(h: SNAILFusedMatrix, dh: SNAILFusedMatrix, from lo: Int, scratch: UnsafeMutablePointer<Float>) {
        let (k, v, b, t, c, cl) = (block.keySize, block.valueSize, batch, length, columns, h.columns)
        let f = 2 * k + v, rows = b * t
        let scale = 1 / Float(k).squareRoot()
        let q = qkv, dqp = scratch, dsp = scratch + rows * f, dhp = dh.pointer
        for s in 0..<b {
            let pb = p + s * t * t, dr = dhp + s * cl + c
            BLAS.gemm(transB: true, m: t, n: t, k: v, dr, lda: b * cl, q + s * f + 2 * k, ldb: b * f, dsp, ldc: t)
            BLAS.gemm(transA: true, m: t, n: v, k: t, pb, lda: t, dr, ldb: b * cl, dqp + s * f + 2 * k, ldc: b * f)
            for i in 0..<t {
                let prow = pb + i * t, drow = dsp + i * t
                let dot = VectorMath.dot(prow, drow, count: i + 1)
                for j in 0...i { drow[j] = prow[j] * (drow[j] - dot) * scale }
                if i + 1 < t { (drow + i + 1).update(repeating: 0, count: t - i - 1) }
            }
            BLAS.gemm(m: t, n: k, k: t, dsp, lda: t, q + s * f + k, ldb: b * f, dqp + s * f, ldc: b * f)
            BLAS.gemm(transA: true, m: t, n: k, k: t, dsp, lda: t, q + s * f, ldb: b * f, dqp + s * f + k, ldc: b * f)
        }
        // Through the packed projection, then split ∂W, ∂b into query / key / value.
        let layers = [block.query, block.key, block.value]
        let (dw, db) = SNAILFused.affineBackward(
            h: h.pointer, ldh: cl, rows: rows, columns: c, weight: weight.pointer, outputs: f, gradient: dqp, ldg: f,
            wantWeight: layers.contains { $0.weight.needsGradient }, wantBias: layers.contains { $0.bias!.needsGradient },
            dh: dhp, from: lo, accumulate: true)
        let sizes = [k, k, v]
        var offset = 0
        for (j, layer) in layers.enumerated() {
            let n = sizes[j]
            if let dw { SNAILFused.give(Tensor(shape: [n, c], copying: dw.pointer + offset * c), to: layer.weight) }
            if let db { SNAILFused.give(Tensor(shape: [n], copying: db.pointer + offset), to: layer.bias!) }
            offset += n
        }
    }
}
