import MnemonetBase
import MnemonetEngine
import MnemonetMemory

#if canImport(Glibc)
import Glibc
#endif

// DNC exports (mnemonet.h, section "dnc"). No logic: unpack, call MnemonetMemory's DNC, report.

/// Refuses a call whose link matrices would not fit in this machine's memory (an allocation failure would trap):
/// `copies` link-sized tensors [B, H_w, N, N] per step kept alive over `steps` steps.
private func requireLinkMemory(_ c: DNCConfig, steps: Int, batch: Int, copies: Int) throws(MnemonetError) {
    let n = c.memory.memorySize, perStep = Double(batch) * Double(c.memory.numWriteHeads) * Double(n) * Double(n) * 4
    let needed = perStep * Double(copies) * Double(max(steps, 1))
    let physical = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    try require(needed <= 0.8 * physical,
                "the link matrices of \(steps) steps at batch \(batch) with memory_size \(n) need about \(Int(needed / 1e6)) MB (batch * num_write_heads * memory_size^2 floats, \(copies) per step), more than this machine's \(Int(physical / 1e6)) MB; use a smaller batch, sequence or memory_size")
}

@inline(__always)
private func trainer(_ h: UnsafeMutableRawPointer) -> DNCTrainer { object(h, as: DNCTrainer.self) }

/// The flat state layout: components in `DNCState.components` order, each [B, …] C-contiguous.
private func stateShapes(_ c: DNCConfig, batch b: Int) -> [[Int]] {
    let m = c.memory, n = m.memorySize
    let controller: [[Int]] = c.controller == .lstm ? [[b, c.hiddenSize], [b, c.hiddenSize]] : []
    return controller + [[b, n, m.memoryDim], [b, n], [b, m.numWriteHeads, n, n], [b, m.numWriteHeads, n],
                         [b, m.numReadHeads, n], [b, m.numWriteHeads, n], [b, m.numReadHeads, m.memoryDim]]
}

/// `int32_t mn_dnc_create(const int64_t *sizes, float lr, float clip, int32_t loss, uint64_t seed, mn_dnc **out,
///  mn_status *status)` — sizes: input, output, hidden, memory_size, memory_dim, read heads, write heads, controller.
@c(mn_dnc_create)
public func mnDncCreate(
    _ sizes: UnsafePointer<Int64>, _ lr: Float, _ clip: Float, _ loss: Int32, _ seed: UInt64,
    _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let s = (0..<8).map { Int(clamping: sizes[$0]) }
        guard let kind = DNCControllerKind(rawValue: Int32(clamping: s[7])) else {
            throw .invalidArgument("controller must be 'lstm' or 'feedforward'")
        }
        guard let lossKind = DNCLoss(rawValue: loss) else { throw .invalidArgument("unknown loss \(loss)") }
        try require(lr.isFinite && lr > 0, "lr must be a positive finite number, got \(lr)")
        try require(!clip.isNaN && clip > 0, "clip must be positive (inf: no clipping), got \(clip)")
        let config = DNCConfig(inputSize: s[0], outputSize: s[1], hiddenSize: s[2],
                               memory: MemoryConfig(memorySize: s[3], memoryDim: s[4], numReadHeads: s[5],
                                                    numWriteHeads: s[6]),
                               controller: kind)
        out.pointee = retainHandle(DNCTrainer(model: try DNC(config: config, seed: seed), lr: lr, clip: clip, loss: lossKind))
    }
}

/// `void mn_dnc_free(mn_dnc *h)`
@c(mn_dnc_free)
public func mnDncFree(_ h: UnsafeMutableRawPointer?) { release(h, as: DNCTrainer.self) }

/// `void mn_dnc_describe(mn_dnc *h, int64_t *sizes, float *lr, float *clip, int32_t *loss, int64_t *steps)`
@c(mn_dnc_describe)
public func mnDncDescribe(_ h: UnsafeMutableRawPointer, _ sizes: UnsafeMutablePointer<Int64>,
                          _ lr: UnsafeMutablePointer<Float>, _ clip: UnsafeMutablePointer<Float>,
                          _ loss: UnsafeMutablePointer<Int32>, _ steps: UnsafeMutablePointer<Int64>) {
    let t = trainer(h), c = t.model.config
    let v = [c.inputSize, c.outputSize, c.hiddenSize, c.memory.memorySize, c.memory.memoryDim, c.memory.numReadHeads,
             c.memory.numWriteHeads, Int(c.controller.rawValue)]
    for i in 0..<8 { sizes[i] = Int64(v[i]) }
    lr.pointee = t.optimizer.lr
    clip.pointee = t.clip
    loss.pointee = t.loss.rawValue
    steps.pointee = Int64(t.optimizer.states.first??.step ?? 0)
}

/// `int64_t mn_dnc_parameter_count(mn_dnc *h)` — Σ of the parameter sizes (named_parameters order, flat).
@c(mn_dnc_parameter_count)
public func mnDncParameterCount(_ h: UnsafeMutableRawPointer) -> Int64 {
    Int64(trainer(h).model.parameters.reduce(0) { $0 + $1.count })
}

/// `int32_t mn_dnc_parameters(mn_dnc *h, float *values, int64_t count, int32_t set, mn_status *status)` — copies
/// all parameters out (set = 0) or in (set = 1), concatenated in named_parameters order.
@c(mn_dnc_parameters)
public func mnDncParameters(_ h: UnsafeMutableRawPointer, _ values: UnsafeMutablePointer<Float>, _ count: Int64,
                            _ set: Int32, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let params = trainer(h).model.parameters
        let total = params.reduce(0) { $0 + $1.count }
        try require(Int(count) == total, "parameter buffer has \(count) floats, expected \(total)")
        var offset = 0
        for p in params {
            if set != 0 { p.pointer.update(from: values + offset, count: p.count) } else { (values + offset).update(from: p.pointer, count: p.count) }
            offset += p.count
        }
    }
}

/// `int32_t mn_dnc_check_memory(mn_dnc *h, int64_t steps, int64_t batch, int32_t training, mn_status *status)` —
/// INVALID_ARGUMENT when the link matrices of such a call would not fit in this machine's memory (checked before
/// the caller allocates output buffers).
@c(mn_dnc_check_memory)
public func mnDncCheckMemory(_ h: UnsafeMutableRawPointer, _ steps: Int64, _ batch: Int64, _ training: Int32,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let c = trainer(h).model.config
        try require(batch >= 1 && batch <= 1 << 24, "batch must be in 1...16777216, got \(batch)")
        if training != 0 {
            try requireLinkMemory(c, steps: Int(steps), batch: Int(batch), copies: 3)
        } else {
            try requireLinkMemory(c, steps: 1, batch: Int(batch), copies: 4)
        }
    }
}

/// `int64_t mn_dnc_state_size(mn_dnc *h, int64_t batch)` — floats in the flat state of a batch.
@c(mn_dnc_state_size)
public func mnDncStateSize(_ h: UnsafeMutableRawPointer, _ batch: Int64) -> Int64 {
    Int64(stateShapes(trainer(h).model.config, batch: Int(batch)).reduce(0) { $0 + $1.reduce(1, *) })
}

/// `int32_t mn_dnc_forward(mn_dnc *h, const float *x, int64_t steps, int64_t batch, const float *mask,
///  const float *state_in, float *y, float *state_out, float *read_weights, float *write_weights, mn_status *status)`
/// x [T, B, X] → y [T, B, Y]; mask [T, B] (1 = real step, 0 = padding: the state is frozen) or NULL; state_in (flat) or NULL for zeros; state_out (flat); the traces
/// read_weights [T, B, R, N] and write_weights [T, B, H_w, N] may be NULL. No graph is recorded.
@c(mn_dnc_forward)
public func mnDncForward(
    _ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ steps: Int64, _ batch: Int64,
    _ mask: UnsafePointer<Float>?, _ stateIn: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
    _ stateOut: UnsafeMutablePointer<Float>, _ reads: UnsafeMutablePointer<Float>?,
    _ writes: UnsafeMutablePointer<Float>?, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let model = trainer(h).model, c = model.config, t = Int(steps), b = Int(batch)
        try require(t >= 1 && b >= 1, "the sequence length and batch must be at least 1, got \(t) and \(b)")
        try requireLinkMemory(c, steps: 1, batch: b, copies: 4)
        let shapes = stateShapes(c, batch: b)
        var initial: DNCState? = nil
        if let stateIn {
            var offset = 0
            let parts = shapes.map { s -> Variable in
                defer { offset += s.reduce(1, *) }
                return Variable(Tensor(shape: s, copying: stateIn + offset))
            }
            initial = DNCState(components: parts, hasController: c.controller == .lstm)
        }
        let maskTensor = mask.map { Tensor(shape: [t, b], copying: $0) }
        let trace = reads != nil || writes != nil
        let unroll = GradMode.withoutGrad {
            model(Variable(Tensor(shape: [t, b, c.inputSize], copying: x)), state: initial, mask: maskTensor, trace: trace)
        }
        y.update(from: unroll.outputs.value.pointer, count: t * b * c.outputSize)
        var offset = 0
        for v in unroll.state.components {
            (stateOut + offset).update(from: v.value.pointer, count: v.count)
            offset += v.count
        }
        for (k, s) in unroll.trace.enumerated() {
            if let reads { let r = s.access.readWeights.value; (reads + k * r.count).update(from: r.pointer, count: r.count) }
            if let writes { let w = s.access.writeWeights.value; (writes + k * w.count).update(from: w.pointer, count: w.count) }
        }
    }
}

/// `int32_t mn_dnc_train_step(mn_dnc *h, const float *x, const float *y, const float *mask, int64_t steps,
///  int64_t batch, int64_t truncation, float lr, float clip, float *loss, mn_status *status)` — one forward + BPTT +
///  clip + Adam step (one per chunk with truncation > 0); mask [T, B] or NULL weights the loss of each step (the
///  state is never frozen); lr, clip replace the trainer's; loss = Σ chunk losses.
@c(mn_dnc_train_step)
public func mnDncTrainStep(
    _ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ targets: UnsafePointer<Float>,
    _ mask: UnsafePointer<Float>?, _ steps: Int64, _ batch: Int64, _ truncation: Int64, _ lr: Float, _ clip: Float,
    _ loss: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let tr = trainer(h), c = tr.model.config, t = Int(steps), b = Int(batch)
        try require(t >= 1 && b >= 1, "the sequence length and batch must be at least 1, got \(t) and \(b)")
        try require(lr.isFinite && lr > 0, "lr must be a positive finite number, got \(lr)")
        try require(!clip.isNaN && clip > 0, "clip must be positive (inf: no clipping), got \(clip)")
        try requireLinkMemory(c, steps: truncation > 0 ? min(Int(truncation), t) : t, batch: b, copies: 3)
        tr.optimizer.lr = lr
        tr.clip = clip
        loss.pointee = tr.step(inputs: Tensor(shape: [t, b, c.inputSize], copying: x),
                               targets: Tensor(shape: [t, b, c.outputSize], copying: targets),
                               mask: mask.map { Tensor(shape: [t, b], copying: $0) },
                               truncation: truncation > 0 ? Int(truncation) : nil)
    }
}

/// `int32_t mn_dnc_save(mn_dnc *h, const char *path, mn_status *status)` — atomic checkpoint (kind "dnc").
@c(mn_dnc_save)
public func mnDncSave(_ h: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in try trainer(h).save(path: String(cString: path)) }
}

/// `int32_t mn_dnc_load(const char *path, mn_dnc **out, mn_status *status)`
@c(mn_dnc_load)
public func mnDncLoad(_ path: UnsafePointer<CChar>, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                      _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        out.pointee = retainHandle(try DNCTrainer.load(path: String(cString: path)))
    }
}
