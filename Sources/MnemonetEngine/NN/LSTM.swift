/// The recurrent state of an LSTM: hidden h [N, H] and cell c [N, H].
public struct LSTMState {
    /// Hidden state h [N, H].
    public var h: Variable
    /// Cell state c [N, H].
    public var c: Variable
    /// A state from its two parts.
    public init(h: Variable, c: Variable) {
        self.h = h
        self.c = c
    }
    /// Zeros for a batch of `batch`.
    public static func zeros(batch: Int, hidden: Int) -> LSTMState {
        LSTMState(h: Variable(Tensor(shape: [batch, hidden])), c: Variable(Tensor(shape: [batch, hidden])))
    }
}

/// The parameters of one LSTM layer in PyTorch's layout (gate order i, f, g, o).
public struct LSTMWeights {
    /// W_ih [4H, in], W_hh [4H, H], b_ih [4H], b_hh [4H].
    public let weightIH: Variable, weightHH: Variable, biasIH: Variable, biasHH: Variable
    /// Weights from their four tensors (PyTorch's `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`).
    public init(weightIH: Variable, weightHH: Variable, biasIH: Variable, biasHH: Variable) {
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }
    var all: [Variable] { [weightIH, weightHH, biasIH, biasHH] }
}

/// One LSTM step, composed from primitive ops — the reference for the fused `lstmCell`:
///
///     z = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh = [z_i | z_f | z_g | z_o]
///     i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
///     c' = f⊙c + i⊙g,   h' = o⊙tanh(c')
public func lstmCellComposed(_ x: Variable, _ state: LSTMState, _ w: LSTMWeights) -> LSTMState {
    let hidden = w.weightHH.shape[1]
    let z = linear(x, w.weightIH, w.biasIH) + linear(state.h, w.weightHH, w.biasHH)
    let p = z.split(axis: 1, sizes: [hidden, hidden, hidden, hidden])
    let i = p[0].sigmoid(), f = p[1].sigmoid(), g = p[2].tanh(), o = p[3].sigmoid()
    let c = f * state.c + i * g
    return LSTMState(h: o * c.tanh(), c: c)
}

/// One LSTM step, fused: two sgemms into one gate buffer, SIMD activations and state update, one graph node
/// (whose value is [h' | c'] [N, 2H], sliced into the returned state). First-order backward runs a fused kernel;
/// under `createGraph` the pullback is written with differentiable ops, so second order works too.
/// x [N, in], state h, c [N, H].
public func lstmCell(_ x: Variable, _ state: LSTMState, _ w: LSTMWeights) -> LSTMState {
    let hid = w.weightHH.shape[1], inF = w.weightIH.shape[1], n = x.shape[0]
    precondition(x.rank == 2 && x.shape[1] == inF, "lstmCell: input \(x.shape) for W_ih \(w.weightIH.shape)")
    precondition(w.weightIH.shape[0] == 4 * hid && w.weightHH.shape == [4 * hid, hid]
                 && w.biasIH.shape == [4 * hid] && w.biasHH.shape == [4 * hid], "lstmCell: inconsistent weights")
    precondition(state.h.shape == [n, hid] && state.c.shape == [n, hid],
                 "lstmCell: state h \(state.h.shape), c \(state.c.shape) for batch \(n), hidden \(hid)")
    let h4 = 4 * hid
    // Gates: a [N, 4H] = act(z).
    let a = Tensor(uninitializedShape: [n, h4])
    let pa = a.pointer, bi = w.biasIH.value.pointer, bh = w.biasHH.value.pointer
    for r in 0..<n {
        VectorMath.zip(bi, bh, pa + r * h4, count: h4) { $0 + $1 }
    }
    BLAS.gemm(transB: true, m: n, n: h4, k: inF, x.value.pointer, lda: inF, w.weightIH.value.pointer, ldb: inF,
              beta: 1, pa, ldc: h4)
    BLAS.gemm(transB: true, m: n, n: h4, k: hid, state.h.value.pointer, lda: hid, w.weightHH.value.pointer, ldb: hid,
              beta: 1, pa, ldc: h4)
    let out = Tensor(uninitializedShape: [n, 2 * hid])  // [h' | c']
    let tc = Tensor(uninitializedShape: [n, hid])  // tanh(c')
    let po = out.pointer, pc = state.c.value.pointer, ptc = tc.pointer
    for r in 0..<n {
        let row = pa + r * h4
        VectorMath.sigmoid(row, row, count: 2 * hid)
        VectorMath.tanh(row + 2 * hid, row + 2 * hid, count: hid)
        VectorMath.sigmoid(row + 3 * hid, row + 3 * hid, count: hid)
        let cNew = po + r * 2 * hid + hid, hNew = po + r * 2 * hid
        let cPrev = pc + r * hid
        // c' = f⊙c + i⊙g
        VectorMath.zip(row + hid, cPrev, cNew, count: hid) { $0 * $1 }
        var j = 0
        while j < hid { cNew[j] += row[j] * row[2 * hid + j]; j += 1 }
        VectorMath.tanh(cNew, ptc + r * hid, count: hid)
        VectorMath.zip(row + 3 * hid, ptc + r * hid, hNew, count: hid) { $0 * $1 }
    }
    let inputs = [x, state.h, state.c] + w.all
    let node = Variable.make(out, inputs) { g, _ in
        if GradMode.isEnabled {
            lstmCellPullbackComposed(g, x, state, w)
        } else {
            lstmCellPullbackFused(g, a, tc, x, state, w)
        }
    }
    return LSTMState(h: node.slice(axis: 1, start: 0, length: hid), c: node.slice(axis: 1, start: hid, length: hid))
}

/// The fused cell's pullback as differentiable ops (used under `createGraph`).
func lstmCellPullbackComposed(_ g: Variable, _ x: Variable, _ state: LSTMState, _ w: LSTMWeights) {
    let hid = w.weightHH.shape[1]
    let z = linear(x, w.weightIH, w.biasIH) + linear(state.h, w.weightHH, w.biasHH)
    let p = z.split(axis: 1, sizes: [hid, hid, hid, hid])
    let i = p[0].sigmoid(), f = p[1].sigmoid(), gg = p[2].tanh(), o = p[3].sigmoid()
    let tc = (f * state.c + i * gg).tanh()
    let gh = g.slice(axis: 1, start: 0, length: hid), gc = g.slice(axis: 1, start: hid, length: hid)
    let gcT = gc + gh * o * (1 - tc * tc)
    let dz = concat([gcT * gg * (i * (1 - i)), gcT * state.c * (f * (1 - f)), gcT * i * (1 - gg * gg),
                     gh * tc * (o * (1 - o))], axis: 1)
    lstmAccumulate(dz, gcT * f, x, state, w)
}

/// The fused cell's first-order pullback: SIMD loops over the saved gates `a` and tanh(c').
func lstmCellPullbackFused(_ g: Variable, _ a: Tensor, _ tc: Tensor, _ x: Variable, _ state: LSTMState, _ w: LSTMWeights) {
    let hid = w.weightHH.shape[1], n = x.shape[0], h4 = 4 * hid
    let dz = Tensor(uninitializedShape: [n, h4]), dc = Tensor(uninitializedShape: [n, hid])
    let pg = g.value.pointer, pa = a.pointer, ptc = tc.pointer, pc = state.c.value.pointer
    let pdz = dz.pointer, pdc = dc.pointer
    typealias V = SIMD8<Float>
    @inline(__always) func ld(_ p: UnsafePointer<Float>, _ j: Int, _ lanes: Int) -> V {
        if lanes == 8 { return UnsafeRawPointer(p + j).loadUnaligned(as: V.self) }
        var v = V()
        for l in 0..<lanes { v[l] = p[j + l] }
        return v
    }
    @inline(__always) func st(_ v: V, _ p: UnsafeMutablePointer<Float>, _ j: Int, _ lanes: Int) {
        if lanes == 8 { UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: V.self); return }
        for l in 0..<lanes { p[j + l] = v[l] }
    }
    for r in 0..<n {
        let gr = pg + r * 2 * hid, ar = pa + r * h4, tr = ptc + r * hid, cr = pc + r * hid
        let zr = pdz + r * h4, dcr = pdc + r * hid
        var j = 0
        while j < hid {
            let lanes = min(8, hid - j)
            let gh = ld(gr, j, lanes), gc = ld(gr + hid, j, lanes)
            let i = ld(ar, j, lanes), f = ld(ar + hid, j, lanes), gg = ld(ar + 2 * hid, j, lanes), o = ld(ar + 3 * hid, j, lanes)
            let t = ld(tr, j, lanes), c = ld(cr, j, lanes)
            let gcT = gc + gh * o * (1 - t * t)
            st(gcT * gg * i * (1 - i), zr, j, lanes)
            st(gcT * c * f * (1 - f), zr + hid, j, lanes)
            st(gcT * i * (1 - gg * gg), zr + 2 * hid, j, lanes)
            st(gh * t * o * (1 - o), zr + 3 * hid, j, lanes)
            st(gcT * f, dcr, j, lanes)
            j += 8
        }
    }
    lstmAccumulate(Variable(dz), Variable(dc), x, state, w)
}

/// Pre-activation gradient dz [N, 4H] → gradients of x, h, W_ih, W_hh, b_ih, b_hh; dc → c.
func lstmAccumulate(_ dz: Variable, _ dc: Variable, _ x: Variable, _ state: LSTMState, _ w: LSTMWeights) {
    if x.needsGradient { accumulate(into: x, matmul(dz, w.weightIH)) }
    if state.h.needsGradient { accumulate(into: state.h, matmul(dz, w.weightHH)) }
    if state.c.needsGradient { accumulate(into: state.c, dc) }
    if w.weightIH.needsGradient { accumulate(into: w.weightIH, matmul(dz, x, transposeA: true)) }
    if w.weightHH.needsGradient { accumulate(into: w.weightHH, matmul(dz, state.h, transposeA: true)) }
    if w.biasIH.needsGradient || w.biasHH.needsGradient {
        let db = dz.sum(axis: 0)
        if w.biasIH.needsGradient { accumulate(into: w.biasIH, db) }
        if w.biasHH.needsGradient { accumulate(into: w.biasHH, db) }
    }
}

/// `nn.LSTM(inputSize, hiddenSize, num_layers=1, batch_first=…)` with PyTorch's parameter names
/// (`weight_ih_l0` [4H, in], `weight_hh_l0` [4H, H], `bias_ih_l0`, `bias_hh_l0` [4H]; gate order i, f, g, o) and
/// initialisation (every parameter U(−1/√H, 1/√H)).
public final class LSTM: Module {
    /// Input features and hidden units H.
    public let inputSize: Int, hiddenSize: Int
    /// Whether sequences are [N, T, in] (true) or [T, N, in] (false, PyTorch's default).
    public let batchFirst: Bool
    /// The parameters (leaves that require grad).
    public let weights: LSTMWeights

    /// A layer with PyTorch's default initialisation, U(−1/√H, 1/√H) for every parameter, drawn from `rng`.
    public init(inputSize: Int, hiddenSize: Int, batchFirst: Bool = false, rng: inout Xoshiro256) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.batchFirst = batchFirst
        let bound = Init.pytorchDefaultBound(fanIn: hiddenSize)
        weights = LSTMWeights(
            weightIH: Init.uniformParameter([4 * hiddenSize, inputSize], bound: bound, rng: &rng),
            weightHH: Init.uniformParameter([4 * hiddenSize, hiddenSize], bound: bound, rng: &rng),
            biasIH: Init.uniformParameter([4 * hiddenSize], bound: bound, rng: &rng),
            biasHH: Init.uniformParameter([4 * hiddenSize], bound: bound, rng: &rng))
    }

    /// `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` (PyTorch's order).
    public var namedParameters: [NamedParameter] {
        [NamedParameter(name: "weight_ih_l0", variable: weights.weightIH),
         NamedParameter(name: "weight_hh_l0", variable: weights.weightHH),
         NamedParameter(name: "bias_ih_l0", variable: weights.biasIH),
         NamedParameter(name: "bias_hh_l0", variable: weights.biasHH)]
    }

    /// One step: x [N, in] → new state (fused cell).
    public func step(_ x: Variable, _ state: LSTMState) -> LSTMState { lstmCell(x, state, weights) }

    /// The output of every step and the final state, like PyTorch: x [N, T, in] when `batchFirst` (else [T, N, in])
    /// → output [N, T, H] (or [T, N, H]); `state` defaults to zeros. (PyTorch's h_n, c_n have a leading layer
    /// dimension of 1; reshape `state.h` to [1, N, H] to compare.)
    public func callAsFunction(_ x: Variable, _ state: LSTMState? = nil) -> (output: Variable, state: LSTMState) {
        precondition(x.rank == 3 && x.shape[2] == inputSize, "LSTM: input \(x.shape), expected rank 3 with \(inputSize) features")
        return lstm(x, state, weights, batchFirst: batchFirst)
    }
}

/// A one-layer LSTM over a sequence as a function of explicit weights (what `LSTM.callAsFunction` runs): x [N, T, in]
/// when `batchFirst` (else [T, N, in]) → the output of every step, [N, T, H] (or [T, N, H]), and the final state.
/// `state` defaults to zeros. Each step is the fused `lstmCell`.
public func lstm(_ x: Variable, _ state: LSTMState?, _ w: LSTMWeights, batchFirst: Bool) -> (output: Variable, state: LSTMState) {
    let inputSize = w.weightIH.shape[1], hiddenSize = w.weightHH.shape[1]
    precondition(x.rank == 3 && x.shape[2] == inputSize, "lstm: input \(x.shape), expected rank 3 with \(inputSize) features")
    let (n, t) = batchFirst ? (x.shape[0], x.shape[1]) : (x.shape[1], x.shape[0])
    var s = state ?? .zeros(batch: n, hidden: hiddenSize)
    var outs: [Variable] = []
    outs.reserveCapacity(t)
    let timeAxis = batchFirst ? 1 : 0
    for step in 0..<t {
        let xt = x.slice(axis: timeAxis, start: step, length: 1).reshaped([n, inputSize])
        s = lstmCell(xt, s, w)
        outs.append(s.h.reshaped(batchFirst ? [n, 1, hiddenSize] : [1, n, hiddenSize]))
    }
    return (concat(outs, axis: timeAxis), s)
}
