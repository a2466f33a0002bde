import MnemonetBase
import MnemonetEngine
import MnemonetSNAIL

// SNAIL exports (mnemonet.h, section "SNAIL"). No logic: unpack, call MnemonetSNAIL, report.

@inline(__always)
private func snail(_ h: UnsafeMutableRawPointer) -> SNAILLearner { object(h, as: SNAILLearner.self) }

/// A tensor copied from `count` floats at `p`, of `shape`.
@inline(__always)
private func tensor(_ p: UnsafePointer<Float>, _ shape: [Int]) -> Tensor { Tensor(shape: shape, copying: p) }

/// `int32_t mn_snail_create(int64_t input_size, int64_t output_size, int64_t sequence_length, const int64_t *blocks,
///  int64_t block_count, const int64_t *embedding, int64_t embedding_count, int64_t embedding_inputs,
///  int32_t embedding_final_relu, float lr, float clip_norm, uint64_t seed, mn_snail **out, mn_status *status)` —
///  blocks: 3 integers per block, (0, key, value) for attention, (1, filters, 0) for a TC block; embedding: layer
///  sizes (count 0: none) over the first embedding_inputs columns.
@c(mn_snail_create)
public func mnSnailCreate(
    _ input: Int64, _ output: Int64, _ length: Int64, _ blocks: UnsafePointer<Int64>?, _ count: Int64,
    _ embedding: UnsafePointer<Int64>?, _ embeddingCount: Int64, _ embeddingInputs: Int64, _ finalReLU: Int32,
    _ lr: Float, _ clip: Float, _ seed: UInt64, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
    _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try require(count >= 0 && count <= 64 && (count == 0 || blocks != nil), "blocks has \(count) entries (at most 64)")
        try require(embeddingCount >= 0 && embeddingCount <= 16 && (embeddingCount == 0 || embedding != nil),
                    "embedding has \(embeddingCount) layers (at most 16)")
        try require(embeddingCount > 0 || embeddingInputs == 0,
                    "embedding_inputs is \(embeddingInputs) but there is no embedding (embedding_inputs needs one)")
        let embeddingSpec = embeddingCount == 0 ? nil : SNAILEmbeddingSpec(
            sizes: (0..<Int(embeddingCount)).map { Int(clamping: embedding![$0]) }, inputs: Int(clamping: embeddingInputs),
            finalReLU: finalReLU != 0)
        var specs: [SNAILBlockSpec] = []
        for i in 0..<Int(count) {
            let (kind, a, b) = (blocks![3 * i], Int(clamping: blocks![3 * i + 1]), Int(clamping: blocks![3 * i + 2]))
            switch kind {
            case 0: specs.append(.attention(key: a, value: b))
            case 1: specs.append(.tc(filters: a))
            default: throw .invalidArgument("unknown block kind \(kind)")
            }
        }
        let model = try SNAIL(inputSize: Int(clamping: input), outputSize: Int(clamping: output),
                              sequenceLength: Int(clamping: length), blocks: specs, embedding: embeddingSpec, seed: seed)
        out.pointee = retainHandle(try SNAILLearner(model: model, config: SNAILOptimizerConfig(learningRate: lr, clipNorm: clip), seed: seed))
    }
}

/// `void mn_snail_free(mn_snail *h)`
@c(mn_snail_free)
public func mnSnailFree(_ h: UnsafeMutableRawPointer?) { release(h, as: SNAILLearner.self) }

/// `int64_t mn_snail_tensor_count(mn_snail *h)` — the number of parameter tensors.
@c(mn_snail_tensor_count)
public func mnSnailTensorCount(_ h: UnsafeMutableRawPointer) -> Int64 { Int64(snail(h).model.namedParameters.count) }

/// `int64_t mn_snail_iteration(mn_snail *h)`
@c(mn_snail_iteration)
public func mnSnailIteration(_ h: UnsafeMutableRawPointer) -> Int64 { Int64(snail(h).iteration) }

/// `int32_t mn_snail_tensor_info(mn_snail *h, int64_t index, char *name, int64_t capacity, int64_t *shape,
///  int64_t *rank, mn_status *status)` — name NUL-terminated (capacity ≥ 128), shape receives ≤ 4 dims.
@c(mn_snail_tensor_info)
public func mnSnailTensorInfo(
    _ h: UnsafeMutableRawPointer, _ index: Int64, _ name: UnsafeMutablePointer<CChar>, _ capacity: Int64,
    _ shape: UnsafeMutablePointer<Int64>, _ rank: UnsafeMutablePointer<Int64>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let params = snail(h).model.namedParameters
        guard index >= 0, Int(index) < params.count else { throw .indexOutOfRange("tensor \(index) of \(params.count)") }
        let p = params[Int(index)]
        let utf8 = Array(p.name.utf8)
        try require(utf8.count < Int(capacity), "name buffer of \(capacity) bytes is too small")
        for (i, c) in utf8.enumerated() { name[i] = CChar(bitPattern: c) }
        name[utf8.count] = 0
        try require(p.variable.rank <= 4, "parameter rank \(p.variable.rank) > 4")
        for (i, d) in p.variable.shape.enumerated() { shape[i] = Int64(d) }
        rank.pointee = Int64(p.variable.rank)
    }
}

/// Parameter tensor `index`, checked against a caller's buffer of `count` floats.
private func parameter(_ h: UnsafeMutableRawPointer, _ index: Int64, count: Int64) throws(MnemonetError) -> Tensor {
    let params = snail(h).model.parameters
    guard index >= 0, Int(index) < params.count else { throw .indexOutOfRange("tensor \(index) of \(params.count)") }
    let t = params[Int(index)]
    try require(Int(count) == t.count, "buffer has \(count) floats, expected \(t.count)")
    return t
}

/// `int32_t mn_snail_get_tensor(mn_snail *h, int64_t index, float *out, int64_t count, mn_status *status)`
@c(mn_snail_get_tensor)
public func mnSnailGetTensor(
    _ h: UnsafeMutableRawPointer, _ index: Int64, _ out: UnsafeMutablePointer<Float>, _ count: Int64,
    _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let t = try parameter(h, index, count: count)
        out.update(from: t.pointer, count: t.count)
    }
}

/// `int32_t mn_snail_set_tensor(mn_snail *h, int64_t index, const float *values, int64_t count, mn_status *status)`
@c(mn_snail_set_tensor)
public func mnSnailSetTensor(
    _ h: UnsafeMutableRawPointer, _ index: Int64, _ values: UnsafePointer<Float>, _ count: Int64,
    _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let t = try parameter(h, index, count: count)
        for i in 0..<t.count where !values[i].isFinite { throw .invalidArgument("parameter values must be finite") }
        t.pointer.update(from: values, count: t.count)
    }
}

/// `int32_t mn_snail_forward(mn_snail *h, const float *x, int64_t batch, int64_t length, float *y, mn_status *status)`
/// — x [B, T, I] → y [B, T, O].
@c(mn_snail_forward)
public func mnSnailForward(
    _ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ b: Int64, _ t: Int64, _ y: UnsafeMutablePointer<Float>,
    _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let l = snail(h)
        let out = try l.predict(tensor(x, [Int(b), Int(t), l.model.inputSize]))
        y.update(from: out.pointer, count: out.count)
    }
}

/// `int32_t mn_snail_loss(mn_snail *h, const float *x, const float *targets, const float *weights, int64_t batch,
///  int64_t length, int32_t loss, int32_t update, float *value, float *gradients, mn_status *status)` — loss 0 mse,
///  1 cross-entropy; update ≠ 0: one clipped Adam step; gradients (NULL or all parameters concatenated in tensor
///  order) receive ∂L/∂θ before the step.
@c(mn_snail_loss)
public func mnSnailLoss(
    _ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ targets: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
    _ b: Int64, _ t: Int64, _ loss: Int32, _ update: Int32, _ value: UnsafeMutablePointer<Float>,
    _ grads: UnsafeMutablePointer<Float>?, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let l = snail(h)
        guard let kind = SNAILLoss(rawValue: loss) else { throw .invalidArgument("unknown loss \(loss)") }
        let (bi, ti) = (Int(b), Int(t))
        let (v, g) = try l.lossAndGradients(
            x: tensor(x, [bi, ti, l.model.inputSize]), targets: tensor(targets, [bi, ti, l.model.outputSize]),
            weights: tensor(weights, [bi, ti]), loss: kind)
        value.pointee = v
        if let grads {
            var offset = 0
            for gt in g { (grads + offset).update(from: gt.pointer, count: gt.count); offset += gt.count }
        }
        if update != 0 {
            guard v.isFinite else { throw .invalidState("SNAIL: the loss is \(v) (lower the learning rate)") }
            l.apply(gradients: g)
        }
    }
}

/// `int32_t mn_snail_set_optimizer(mn_snail *h, float lr, float clip_norm, mn_status *status)`
@c(mn_snail_set_optimizer)
public func mnSnailSetOptimizer(_ h: UnsafeMutableRawPointer, _ lr: Float, _ clip: Float, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let c = SNAILOptimizerConfig(learningRate: lr, clipNorm: clip)
        try c.validate()
        snail(h).config = c
    }
}

/// `int32_t mn_snail_describe(mn_snail *h, int64_t *sizes, int64_t *blocks, int64_t capacity, int64_t *block_count,
///  float *optimizer, mn_status *status)` — sizes [3] = (I, O, T); blocks 3 per block (as in create);
///  optimizer [2] = (lr, clip_norm).
@c(mn_snail_describe)
public func mnSnailDescribe(
    _ h: UnsafeMutableRawPointer, _ sizes: UnsafeMutablePointer<Int64>, _ blocks: UnsafeMutablePointer<Int64>,
    _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>, _ optimizer: UnsafeMutablePointer<Float>,
    _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let l = snail(h), m = l.model
        sizes[0] = Int64(m.inputSize); sizes[1] = Int64(m.outputSize); sizes[2] = Int64(m.sequenceLength)
        count.pointee = Int64(m.specs.count)
        for (i, s) in m.specs.enumerated() where i < Int(capacity) {
            switch s {
            case .attention(let k, let v): blocks[3 * i] = 0; blocks[3 * i + 1] = Int64(k); blocks[3 * i + 2] = Int64(v)
            case .tc(let d): blocks[3 * i] = 1; blocks[3 * i + 1] = Int64(d); blocks[3 * i + 2] = 0
            }
        }
        optimizer[0] = l.config.learningRate
        optimizer[1] = l.config.clipNorm
    }
}

/// `int32_t mn_snail_describe_embedding(mn_snail *h, int64_t *info, int64_t *sizes, int64_t capacity,
///  mn_status *status)` — info [3] = (layer count n, 0 without an embedding; F; final ReLU 0/1); sizes E_1…E_n
///  (at most `capacity` written).
@c(mn_snail_describe_embedding)
public func mnSnailDescribeEmbedding(
    _ h: UnsafeMutableRawPointer, _ info: UnsafeMutablePointer<Int64>, _ sizes: UnsafeMutablePointer<Int64>,
    _ capacity: Int64, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let e = snail(h).model.embedding?.spec
        info[0] = Int64(e?.sizes.count ?? 0); info[1] = Int64(e?.inputs ?? 0); info[2] = e?.finalReLU == true ? 1 : 0
        for (i, s) in (e?.sizes ?? []).enumerated() where i < Int(capacity) { sizes[i] = Int64(s) }
    }
}

/// Unpacks `config` [5] = (γ, λ, c_v, c_H, normalise advantages ≠ 0).
private func actorCritic(_ c: UnsafePointer<Float>) throws(MnemonetError) -> ActorCriticConfig {
    var a = ActorCriticConfig()
    a.discount = c[0]; a.gaeLambda = c[1]; a.valueCoefficient = c[2]; a.entropyCoefficient = c[3]
    a.normalizeAdvantages = c[4] != 0
    try a.validate()
    return a
}

/// `int32_t mn_snail_bandit_train(mn_snail *h, int64_t arms, int64_t pulls, int64_t batch, int64_t iterations,
///  const float *config, float *mean_rewards, mn_status *status)` — config [5] = (discount, gae_lambda,
///  value_coef, entropy_coef, normalize_advantages); mean_rewards [iterations] (NULL allowed).
@c(mn_snail_bandit_train)
public func mnSnailBanditTrain(
    _ h: UnsafeMutableRawPointer, _ arms: Int64, _ pulls: Int64, _ batch: Int64, _ iterations: Int64,
    _ config: UnsafePointer<Float>, _ rewards: UnsafeMutablePointer<Float>?, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let task = try BanditTask(arms: Int(clamping: arms), pulls: Int(clamping: pulls))
        let c = try actorCritic(config)
        try require(iterations >= 0 && batch >= 1 && batch <= 1 << 16, "iterations \(iterations) / batch \(batch)")
        for i in 0..<Int(iterations) {
            let r = try BanditActorCritic.trainStep(learner: snail(h), task: task, batch: Int(batch), config: c)
            rewards?[i] = r
        }
    }
}

/// `int32_t mn_snail_bandit_evaluate(mn_snail *h, int64_t arms, int64_t pulls, const float *probabilities,
///  const float *uniforms, int64_t episodes, int32_t greedy, float *totals, mn_status *status)` — p [E, K],
///  u [E, N, K] (reward of arm a at step t: u[e, t, a] < p[e, a]); totals [E] = Σ_t r_t.
@c(mn_snail_bandit_evaluate)
public func mnSnailBanditEvaluate(
    _ h: UnsafeMutableRawPointer, _ arms: Int64, _ pulls: Int64, _ p: UnsafePointer<Float>, _ u: UnsafePointer<Float>,
    _ episodes: Int64, _ greedy: Int32, _ totals: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let task = try BanditTask(arms: Int(clamping: arms), pulls: Int(clamping: pulls))
        let (e, n, k) = (Int(episodes), task.pulls, task.arms)
        let out = try BanditActorCritic.evaluate(
            learner: snail(h), task: task, probabilities: tensor(p, [e, k]), uniforms: tensor(u, [e, n, k]), greedy: greedy != 0)
        out.withUnsafeBufferPointer { totals.update(from: $0.baseAddress!, count: e) }
    }
}

/// `int32_t mn_snail_save(mn_snail *h, const char *path, mn_status *status)`
@c(mn_snail_save)
public func mnSnailSave(_ h: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in try snail(h).save(path: string(path)) }
}

/// `int32_t mn_snail_load(const char *path, mn_snail **out, mn_status *status)`
@c(mn_snail_load)
public func mnSnailLoad(
    _ path: UnsafePointer<CChar>, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in out.pointee = retainHandle(try SNAILLearner.load(path: string(path))) }
}

/// `int32_t mn_snail_to_bytes(mn_snail *h, void **data, int64_t *length, mn_status *status)`
@c(mn_snail_to_bytes)
public func mnSnailToBytes(_ h: UnsafeMutableRawPointer, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                           _ length: UnsafeMutablePointer<Int64>, _ status: UnsafeMutableRawPointer) -> Int32 {
    exportCheckpoint(h, as: SNAILLearner.self, data, length, status)
}

/// `int32_t mn_snail_from_bytes(const void *data, int64_t length, mn_snail **out, mn_status *status)`
@c(mn_snail_from_bytes)
public func mnSnailFromBytes(_ data: UnsafeRawPointer?, _ length: Int64,
                             _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    importCheckpoint(data, length, as: SNAILLearner.self, out, status)
}
