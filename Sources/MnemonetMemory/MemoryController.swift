import COpenBLAS
import MnemonetBase
import MnemonetEngine

#if canImport(Glibc)
import Glibc
#endif

/// The seed's `MemoryController`, with a fused, hand-derived forward and pullback over a batch of rows.
///
/// Each call of the seed's `forward(x, memory_bank)` runs the LSTM on a length-1 sequence from a zero state, emits read
/// and write instructions, reads the memory (before writing), writes it (detached), and maps `[s ; reads]` to the
/// output (see `ControllerLayout` for the equations). Exact consequences used here:
///
/// * h₀ = c₀ = 0: `W_hh h₀ = 0` and `f ⊙ c₀ = 0`, so c = i ⊙ g, ∂L/∂W_hh = 0 and the forget gate gets no gradient.
/// * The memory is a constant for backpropagation (the seed detaches every write), so the write heads get no gradient
///   and the memory-independent parts (LSTM, heads, output layer) of several forwards batch into GEMMs; only the
///   memory access is sequential (each forward writes the memory the next one reads).
///
/// Rows of a batch live in preallocated workspace rows `0..<capacity`: `encode` (LSTM + heads, GEMM), `access` (one
/// row's read and write, in order), `decode` (output layer, GEMM), then `pullback` over all rows. Nothing allocates.
public final class MemoryController {
    /// Sizes and the flat parameter layout.
    public let layout: ControllerLayout
    /// The flat parameters (see `ControllerLayout`); the `state_dict` entries are ranges of it.
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// ∂L/∂parameters of the last `pullback` (write heads and W_hh stay zero).
    public let gradients: UnsafeMutableBufferPointer<Float>
    /// Maximum rows in one batch.
    public let capacity: Int

    // Workspace, row-major, one row per batch row.
    /// x [capacity, I]: fill the rows before `encode`.
    public let inputs: UnsafeMutablePointer<Float>
    /// y [capacity, O]: the targets `loss(row:)` and `pullback` compare with.
    public let targets: UnsafeMutablePointer<Float>
    /// ŷ [capacity, O], written by `decode`.
    public let outputs: UnsafeMutablePointer<Float>
    let gates: UnsafeMutablePointer<Float>               // σ(i), σ(f), tanh(g), σ(o) [B, 4H]
    let tanhCell: UnsafeMutablePointer<Float>            // tanh(c) [B, H]
    let combined: UnsafeMutablePointer<Float>            // [s ; reads] [B, H + RW]
    let heads: UnsafeMutablePointer<Float>               // pre-activation heads [B, P]
    let betas: UnsafeMutablePointer<Float>               // read β then write β [B, R + 1]
    let writeVector: UnsafeMutablePointer<Float>         // tanh(v) [W]
    let eraseVector: UnsafeMutablePointer<Float>         // σ(e) [W]
    // What `access` records for the pullback (per row).
    let recMemory: UnsafeMutablePointer<Float>           // M before the write [B, N, W]
    let recMemoryDen: UnsafeMutablePointer<Float>        // max(‖M[n]‖, ε) [B, N]
    let recKeys: UnsafeMutablePointer<Float>             // k̂ of the read heads [B, R, W]
    let recKeyDen: UnsafeMutablePointer<Float>           // [B, R + 1]
    let recSimilarity: UnsafeMutablePointer<Float>       // [B, R + 1, N]
    let recWeights: UnsafeMutablePointer<Float>          // [B, R + 1, N]
    // Pullback scratch.
    let dOutputs: UnsafeMutablePointer<Float>            // [B, O]
    let dCombined: UnsafeMutablePointer<Float>           // [B, H + RW]
    let dHeads: UnsafeMutablePointer<Float>              // [B, RW + R]
    let dGates: UnsafeMutablePointer<Float>              // [B, 4H]
    let scratch: UnsafeMutablePointer<Float>             // [R, N]
    let keyStage: UnsafeMutablePointer<Float>            // [R + 1, W]
    let transposed: UnsafeMutablePointer<Float>          // a batched forward product, transposed [max(4H, P, O), B]

    /// A controller with PyTorch's default initialisation drawn from `rng`, able to batch `capacity` rows;
    /// `outputDim` O (nil: O = I, the seed's) sizes the output layer only.
    public init(inputDim: Int, hiddenDim: Int, outputDim: Int? = nil, config: MemoryConfig, capacity: Int = 9,
                rng: inout Xoshiro256) throws(MnemonetError) {
        layout = try ControllerLayout(inputDim: inputDim, hiddenDim: hiddenDim, outputDim: outputDim, config: config)
        try require(capacity >= 1 && capacity <= 4096, "capacity must be in 1...4096, got \(capacity)")
        self.capacity = capacity
        let b = capacity, i = inputDim, h = hiddenDim, o = layout.outputDim
        let n = config.memorySize, w = config.memoryDim, r = config.numReadHeads
        parameters = .allocate(capacity: layout.count)
        gradients = .allocate(capacity: layout.count)
        gradients.update(repeating: 0)
        func buf(_ c: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(c, 1))
            p.initialize(repeating: 0, count: max(c, 1))
            return p
        }
        inputs = buf(b * i); targets = buf(b * o); outputs = buf(b * o)
        gates = buf(b * 4 * h); tanhCell = buf(b * h); combined = buf(b * layout.combinedCount)
        heads = buf(b * layout.headCount); betas = buf(b * (r + 1))
        writeVector = buf(w); eraseVector = buf(w)
        recMemory = buf(b * n * w); recMemoryDen = buf(b * n); recKeys = buf(b * (r + 1) * w)
        recKeyDen = buf(b * (r + 1)); recSimilarity = buf(b * (r + 1) * n); recWeights = buf(b * (r + 1) * n)
        dOutputs = buf(b * o); dCombined = buf(b * layout.combinedCount); dHeads = buf(b * layout.readHeadCount)
        dGates = buf(b * 4 * h); scratch = buf(r * n); keyStage = buf((r + 1) * w)
        transposed = buf(b * max(4 * h, layout.headCount, o))
        layout.initialize(parameters, rng: &rng)
        // Batch-1 and batch-9 products are far slower multi-threaded (process-wide, like the engine's wrappers).
        BLAS.setThreads(1)
    }

    deinit {
        for p in [inputs, targets, outputs, gates, tanhCell, combined, heads, betas, writeVector, eraseVector,
                  recMemory, recMemoryDen, recKeys, recKeyDen, recSimilarity, recWeights, dOutputs, dCombined, dHeads,
                  dGates, scratch, keyStage, transposed] { p.deallocate() }
        parameters.deallocate()
        gradients.deallocate()
    }

    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
    /// `F.softplus` (β = 1, threshold 20).
    @inline(__always) static func softplus(_ x: Float) -> Float { x > 20 ? x : log1pf(expf(x)) }
    /// d softplus / dx.
    @inline(__always) static func softplusDerivative(_ x: Float) -> Float {
        if x > 20 { return 1 }
        let z = expf(x)
        return z / (z + 1)
    }


    // MARK: Products (one row: BLAS level 2 or a plain outer product, which skip GEMM's packing)

    /// C[m, n] = A[m, k] · B[k, n] + β C  (B row-major [k, n] of stride `ldb`).
    @inline(__always)
    func product(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, b, Int32(ldb), a, 1, beta, c, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda),
                        b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// G[n, k] = D[m, n]ᵀ · X[m, k] (overwritten): a weight gradient summed over m rows.
    @inline(__always)
    func weightGradient(m: Int, n: Int, k: Int, _ d: UnsafePointer<Float>, ldd: Int, _ x: UnsafePointer<Float>,
                        ldx: Int, _ g: UnsafeMutablePointer<Float>) {
        if m == 1 {
            for i in 0..<n {
                let di = d[i], row = g + i * k
                var j = 0
                while j + 8 <= k {
                    let xv = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(row + j).storeBytes(of: di * xv, as: SIMD8<Float>.self)
                    j += 8
                }
                while j < k { row[j] = di * x[j]; j += 1 }
            }
        } else {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(k), Int32(m), 1, d, Int32(ldd),
                        x, Int32(ldx), 0, g, Int32(k))
        }
    }

    /// C[m, n] = A[m, k] · W[n, k]ᵀ + bias[n] for m ≥ 1 rows (A rows of stride `lda`, C rows of stride `ldc`).
    ///
    /// Several rows are computed as the transposed product W · Aᵀ (BLAS packs the large W in its cheaper
    /// orientation: measured 11.1 → 8.5 µs for the 9-row LSTM input product) and transposed back; each entry is
    /// Σ + bias, as with β = 1 on a bias-filled C.
    @inline(__always)
    func affine(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, weight: UnsafePointer<Float>,
                bias: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 1 {
            c.update(from: bias, count: n)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, weight, Int32(k), a, 1, 1, c, 1)
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(m), Int32(k), 1, weight, Int32(k),
                    a, Int32(lda), 0, transposed, Int32(m))
        cblas_somatcopy(CblasRowMajor, CblasTrans, Int32(n), Int32(m), 1, transposed, Int32(m), c, Int32(ldc))
        for b in 0..<m { VectorMath.zip(c + b * ldc, bias, c + b * ldc, count: n) { $0 + $1 } }
    }

    // MARK: Forward

    /// LSTM step from a zero state and the head layer for rows `start..<start+count` (reads `inputs`):
    ///
    ///     [i f g o] = W_ih x + b_ih + b_hh;   c = σ(i) tanh(g);   s = σ(o) tanh(c);   heads = W_heads s + b_heads
    public func encode(rows start: Int, count: Int) {
        let l = layout, h = l.hiddenDim, i = l.inputDim, g4 = 4 * h, cc = l.combinedCount, p = parameters.baseAddress!
        let gt = gates + start * g4
        affine(m: count, n: g4, k: i, inputs + start * i, lda: i, weight: p + l.wih, bias: p + l.bih, gt, ldc: g4)
        for b in 0..<count {
            let row = gt + b * g4
            let s = combined + (start + b) * cc
            let tc = tanhCell + (start + b) * h
            VectorMath.zip(row, p + l.bhh, row, count: g4) { $0 + $1 }
            VectorMath.sigmoid(row, row, count: 2 * h)                  // σ(i), σ(f)
            VectorMath.tanh(row + 2 * h, row + 2 * h, count: h)         // tanh(g)
            VectorMath.sigmoid(row + 3 * h, row + 3 * h, count: h)      // σ(o)
            VectorMath.zip(row, row + 2 * h, tc, count: h) { $0 * $1 }  // c = σ(i) tanh(g)   (f ⊙ c₀ = 0)
            VectorMath.tanh(tc, tc, count: h)
            VectorMath.zip(row + 3 * h, tc, s, count: h) { $0 * $1 }    // s = σ(o) tanh(c)
        }
        let hd = heads + start * l.headCount
        affine(m: count, n: l.headCount, k: h, combined + start * cc, lda: cc, weight: p + l.headW, bias: p + l.headB,
               hd, ldc: l.headCount)
    }

    /// Row `row`'s memory access, in the seed's order: read with R heads, then write (β = softplus, v = tanh,
    /// e = σ). Fills the reads into `[s ; reads]`; with `record`, stores what `pullback` needs.
    public func access(row: Int, bank: NeuralMemoryBank, record: Bool, write: Bool = true) {
        let l = layout, cfg = l.config, n = cfg.memorySize, w = cfg.memoryDim, r = cfg.numReadHeads
        let k = r + 1, rw = r * w
        let hd = heads + row * l.headCount
        let be = betas + row * k
        // Stage the R read keys and the write key as K = R + 1 rows; β = softplus(raw).
        keyStage.update(from: hd, count: rw)
        (keyStage + rw).update(from: hd + rw + r, count: w)
        for j in 0..<r { be[j] = Self.softplus(hd[rw + j]) }
        be[r] = Self.softplus(hd[rw + r + 3 * w])
        VectorMath.tanh(hd + rw + r + w, writeVector, count: w)
        VectorMath.sigmoid(hd + rw + r + 2 * w, eraseVector, count: w)
        let sim = recSimilarity + row * k * n, wts = recWeights + row * k * n
        let m = bank.memory.baseAddress!
        let den = record ? recMemoryDen + row * n : bank.memoryDenominators
        ContentAddressing.weights(keys: keyStage, betas: be, count: k, memory: m, memorySize: n, width: w,
                                  normalizedKeys: recKeys + row * k * w, keyDenominators: recKeyDen + row * k,
                                  memoryDenominators: den, similarity: sim, weights: wts)
        bank.readThenWrite(heads: r, readWeights: wts, reads: combined + row * l.combinedCount + l.hiddenDim,
                           writeWeights: wts + r * n, vector: writeVector, erase: eraseVector,
                           snapshot: record ? recMemory + row * n * w : nil, write: write)
    }

    /// Output layer for rows `start..<start+count`: ŷ [O] = W_out [s ; reads] + b_out.
    public func decode(rows start: Int, count: Int) {
        let l = layout, i = l.outputDim, cc = l.combinedCount, p = parameters.baseAddress!
        let o = outputs + start * i
        affine(m: count, n: i, k: cc, combined + start * cc, lda: cc, weight: p + l.outW, bias: p + l.outB, o, ldc: i)
    }

    /// The whole seed forward for workspace row `row` (reads `inputs[row]`, writes `outputs[row]`); `write: false`
    /// reads the memory without writing it (M and u unchanged).
    @inline(__always)
    public func forward(row: Int, bank: NeuralMemoryBank, record: Bool, write: Bool = true) {
        encode(rows: row, count: 1)
        access(row: row, bank: bank, record: record, write: write)
        decode(rows: row, count: 1)
    }

    /// `F.mse_loss(outputs[row], targets[row])`: the mean of squared differences over O values.
    public func loss(row: Int) -> Float {
        let i = layout.outputDim
        let o = outputs + row * i, t = targets + row * i
        var s: Float = 0
        for k in 0..<i { let d = o[k] - t[k]; s += d * d }
        return s / Float(i)
    }

    // MARK: Pullback

    /// Gradients of `Σ_b scales[b] · mse(ŷ_b, y_b)` over rows `0..<count` (all recorded by `access`) into
    /// `gradients` (overwritten; write heads and W_hh are zero). The memory is a constant (detached writes).
    ///
    /// With `weightGradients: false` the three weight-matrix gradients (W_out, the read rows of W_heads, W_ih) are not
    /// formed: for one row each is an outer product of workspace vectors (see `outerFactors`), which an optimizer can
    /// consume directly.
    public func pullback(count: Int, scales: UnsafePointer<Float>, weightGradients: Bool = true) {
        let i = layout.outputDim
        // ∂L/∂ŷ = scale · 2 (ŷ − y) / O
        for b in 0..<count {
            let c = scales[b] * 2 / Float(i)
            VectorMath.zip(outputs + b * i, targets + b * i, dOutputs + b * i, count: i) { c * ($0 - $1) }
        }
        pullbackFromOutputs(count: count, weightGradients: weightGradients)
    }

    /// Gradients of any loss of the outputs, given ∂L/∂ŷ for rows `0..<count` (`outputGradients` [count, O]), into
    /// `gradients` (overwritten), as `pullback(count:scales:)` does for the MSE: e.g. a cross-entropy head over the
    /// first C outputs (the continual classifier) passes its softmax gradient with zeros beyond C.
    public func pullback(count: Int, outputGradients: UnsafePointer<Float>) {
        dOutputs.update(from: outputGradients, count: count * layout.outputDim)
        pullbackFromOutputs(count: count, weightGradients: true)
    }

    /// The pullback from `dOutputs` (already holding ∂L/∂ŷ) down to every parameter gradient.
    func pullbackFromOutputs(count: Int, weightGradients: Bool) {
        let l = layout, cfg = l.config, i = l.inputDim, o = l.outputDim, h = l.hiddenDim, g4 = 4 * h
        let cc = l.combinedCount, n = cfg.memorySize, w = cfg.memoryDim, r = cfg.numReadHeads, k = r + 1, rw = r * w
        let rh = l.readHeadCount, p = parameters.baseAddress!, gr = gradients.baseAddress!
        // Output layer: ∂W_out = dŷᵀ [s ; reads], ∂b_out = Σ dŷ, d[s ; reads] = dŷ W_out.
        if weightGradients { weightGradient(m: count, n: o, k: cc, dOutputs, ldd: o, combined, ldx: cc, gr + l.outW) }
        columnSums(dOutputs, rows: count, cols: o, into: gr + l.outB)
        product(m: count, n: cc, k: o, dOutputs, lda: o, p + l.outW, ldb: cc, beta: 0, dCombined, ldc: cc)
        // Reads → read weights → keys and strengths (content-addressing pullback against the recorded memory).
        for b in 0..<count {
            let hd = heads + b * l.headCount
            ContentAddressing.pullback(
                heads: r, dReads: dCombined + b * cc + h, weights: recWeights + b * k * n,
                similarity: recSimilarity + b * k * n, betas: betas + b * k, normalizedKeys: recKeys + b * k * w,
                keyDenominators: recKeyDen + b * k, memory: recMemory + b * n * w,
                memoryDenominators: recMemoryDen + b * n, memorySize: n, width: w,
                dKeys: dHeads + b * rh, dBetas: dHeads + b * rh + rw, scratch: scratch)
            for j in 0..<r { dHeads[b * rh + rw + j] *= Self.softplusDerivative(hd[rw + j]) }
        }
        // Read heads: ∂W = dHeadsᵀ s, ∂b = Σ dHeads, ds += dHeads W.
        if weightGradients { weightGradient(m: count, n: rh, k: h, dHeads, ldd: rh, combined, ldx: cc, gr + l.headW) }
        columnSums(dHeads, rows: count, cols: rh, into: gr + l.headB)
        product(m: count, n: h, k: rh, dHeads, lda: rh, p + l.headW, ldb: h, beta: 1, dCombined, ldc: cc)
        // LSTM from a zero state: s = o tanh(c), c = i g.
        typealias V = SIMD8<Float>
        for b in 0..<count {
            let gt = gates + b * g4, dg = dGates + b * g4, ds = dCombined + b * cc, tc = tanhCell + b * h
            // 8 lanes at a time (the same operations per element as the scalar tail).
            var j = 0
            while j + 8 <= h {
                func ld(_ q: UnsafePointer<Float>) -> V { UnsafeRawPointer(q + j).loadUnaligned(as: V.self) }
                func st(_ q: UnsafeMutablePointer<Float>, _ v: V) { UnsafeMutableRawPointer(q + j).storeBytes(of: v, as: V.self) }
                let ig = ld(gt), gg = ld(gt + 2 * h), og = ld(gt + 3 * h), t = ld(tc), dsv = ld(ds)
                let dc = dsv * og * (1 - t * t)
                st(dg, dc * gg * ig * (1 - ig))
                st(dg + h, V())
                st(dg + 2 * h, dc * ig * (1 - gg * gg))
                st(dg + 3 * h, dsv * t * og * (1 - og))
                j += 8
            }
            while j < h {
                defer { j += 1 }
                let ig = gt[j], gg = gt[2 * h + j], og = gt[3 * h + j], t = tc[j]
                let dc = ds[j] * og * (1 - t * t)
                dg[j] = dc * gg * ig * (1 - ig)
                dg[h + j] = 0
                dg[2 * h + j] = dc * ig * (1 - gg * gg)
                dg[3 * h + j] = ds[j] * t * og * (1 - og)
            }
        }
        if weightGradients { weightGradient(m: count, n: g4, k: i, dGates, ldd: g4, inputs, ldx: i, gr + l.wih) }
        columnSums(dGates, rows: count, cols: g4, into: gr + l.bih)
        (gr + l.bhh).update(from: gr + l.bih, count: g4)
    }

    /// After a one-row `pullback(…, weightGradients: false)`: the factors of the weight gradients
    /// ∂W_ih = dgates ⊗ x, ∂W_heads(read rows) = dheads ⊗ s, ∂W_out = dŷ ⊗ [s ; reads], as (left, right) pointers.
    public var outerFactors: OuterFactors {
        OuterFactors(inputLeft: dGates, inputRight: inputs, headLeft: dHeads, headRight: combined,
                     outputLeft: dOutputs, outputRight: combined)
    }

    @inline(__always)
    func columnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(from: x, count: cols)
        for b in 1..<max(rows, 1) { VectorMath.zip(out, x + b * cols, out, count: cols) { $0 + $1 } }
    }
}

extension MemoryController {
    /// The `state_dict` entry `index`, checking that a buffer of `count` values matches it.
    public func tensor(at index: Int, count: Int) throws(MnemonetError) -> ControllerTensor {
        let tensors = layout.tensors
        guard index >= 0 && index < tensors.count else {
            throw .indexOutOfRange("tensor index \(index) is out of range (0..<\(tensors.count))")
        }
        let t = tensors[index]
        try require(count == t.count, "\(t.name) has \(t.count) values, got \(count)")
        return t
    }

    /// The seed's `forward(x, memory_bank)` for one input x [I] → output [O] (reads, then writes `bank`), using
    /// workspace row 0. Throws if `bank`'s configuration is not the controller's.
    public func forward(x: UnsafePointer<Float>, bank: NeuralMemoryBank, output: UnsafeMutablePointer<Float>) throws(MnemonetError) {
        try require(bank.config == layout.config,
                    "the memory bank's configuration \(bank.config) does not match the controller's \(layout.config)")
        inputs.update(from: x, count: layout.inputDim)
        forward(row: 0, bank: bank, record: false)
        output.update(from: outputs, count: layout.outputDim)
    }
}

/// The factors of a one-row pullback's weight gradients (see `MemoryController.outerFactors`).
public struct OuterFactors {
    /// ∂W_ih = inputLeft [4H] ⊗ inputRight [I].
    public let inputLeft: UnsafePointer<Float>, inputRight: UnsafePointer<Float>
    /// ∂W_heads (read rows) = headLeft [R·W + R] ⊗ headRight [H].
    public let headLeft: UnsafePointer<Float>, headRight: UnsafePointer<Float>
    /// ∂W_out = outputLeft [O] ⊗ outputRight [H + R·W].
    public let outputLeft: UnsafePointer<Float>, outputRight: UnsafePointer<Float>
}
