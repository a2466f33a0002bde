import MnemonetBase
import MnemonetEngine
import MnemonetMeta

// Meta-learning exports (mnemonet.h, section "meta-learning"). No logic: unpack, call MnemonetMeta, report.

@inline(__always)
private func learner(_ h: UnsafeMutableRawPointer) -> MetaLearner { object(h, as: MetaLearner.self) }

@inline(__always)
private func floats(_ p: UnsafePointer<Float>, _ count: Int) -> [Float] {
    Array(UnsafeBufferPointer(start: p, count: count))
}

/// `int32_t mn_meta_create(const int64_t *layer_sizes, int64_t layer_count, int32_t activation, int32_t algorithm,
///  float inner_lr, int32_t inner_steps, int32_t first_order, float meta_lr, int32_t backend, uint64_t seed,
///  mn_meta_learner **out, mn_status *status)`
@c(mn_meta_create)
public func mnMetaCreate(
    _ sizes: UnsafePointer<Int64>, _ count: Int64, _ activation: Int32, _ algorithm: Int32, _ innerLR: Float,
    _ innerSteps: Int32, _ firstOrder: Int32, _ metaLR: Float, _ backend: Int32, _ seed: UInt64,
    _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try require(count >= 0 && count <= 64, "layer_sizes has \(count) entries")
        guard let act = Activation(code: activation) else { throw .invalidArgument("unknown activation \(activation)") }
        guard let algo = MetaAlgorithm(rawValue: algorithm) else { throw .invalidArgument("unknown algorithm \(algorithm)") }
        guard let be = MetaBackend(rawValue: backend) else { throw .invalidArgument("unknown backend \(backend)") }
        let mlp = try MLP(layerSizes: (0..<Int(count)).map { Int(clamping: sizes[$0]) }, activation: act)
        var c = MetaLearnerConfig()
        c.algorithm = algo
        c.innerLearningRate = innerLR
        c.innerSteps = Int(innerSteps)
        c.firstOrder = firstOrder != 0
        c.metaLearningRate = metaLR
        c.backend = be
        out.pointee = retainHandle(try MetaLearner(mlp: mlp, config: c, seed: seed))
    }
}

/// `void mn_meta_free(mn_meta_learner *h)`
@c(mn_meta_free)
public func mnMetaFree(_ h: UnsafeMutableRawPointer?) { release(h, as: MetaLearner.self) }

/// `int64_t mn_meta_parameter_count(mn_meta_learner *h)`
@c(mn_meta_parameter_count)
public func mnMetaParameterCount(_ h: UnsafeMutableRawPointer) -> Int64 { Int64(learner(h).mlp.parameterCount) }

/// `int64_t mn_meta_alpha_count(mn_meta_learner *h)`
@c(mn_meta_alpha_count)
public func mnMetaAlphaCount(_ h: UnsafeMutableRawPointer) -> Int64 { Int64(learner(h).alphas.count) }

/// `int64_t mn_meta_iteration(mn_meta_learner *h)`
@c(mn_meta_iteration)
public func mnMetaIteration(_ h: UnsafeMutableRawPointer) -> Int64 { Int64(learner(h).iteration) }

/// `int32_t mn_meta_get_parameters(mn_meta_learner *h, int32_t which, float *out, int64_t count, mn_status *status)`
/// which: 0 = θ, 1 = α.
@c(mn_meta_get_parameters)
public func mnMetaGetParameters(
    _ h: UnsafeMutableRawPointer, _ which: Int32, _ out: UnsafeMutablePointer<Float>, _ count: Int64,
    _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let l = learner(h)
        let src = which == 0 ? l.parameters : l.alphas
        try require(Int(count) == src.count, "buffer has \(count) floats, expected \(src.count)")
        src.withUnsafeBufferPointer { if let b = $0.baseAddress { out.update(from: b, count: src.count) } }
    }
}

/// `int32_t mn_meta_set_parameters(mn_meta_learner *h, int32_t which, const float *values, int64_t count,
///  mn_status *status)`
@c(mn_meta_set_parameters)
public func mnMetaSetParameters(
    _ h: UnsafeMutableRawPointer, _ which: Int32, _ values: UnsafePointer<Float>, _ count: Int64,
    _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let v = floats(values, Int(count))
        if which == 0 { try learner(h).setParameters(v) } else { try learner(h).setAlphas(v) }
    }
}

/// `int32_t mn_meta_predict(mn_meta_learner *h, const float *params, const float *x, int64_t n, float *y,
///  mn_status *status)` — params NULL: the meta-parameters.
@c(mn_meta_predict)
public func mnMetaPredict(
    _ h: UnsafeMutableRawPointer, _ params: UnsafePointer<Float>?, _ x: UnsafePointer<Float>, _ n: Int64,
    _ y: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let l = learner(h)
        let theta = params.map { floats($0, l.mlp.parameterCount) } ?? l.parameters
        let out = try l.predict(theta: theta, x: floats(x, Int(n) * l.mlp.inputSize))
        out.withUnsafeBufferPointer { if let b = $0.baseAddress { y.update(from: b, count: out.count) } }
    }
}

/// `int32_t mn_meta_adapt(mn_meta_learner *h, const float *params, const float *x, const float *y, int64_t n,
///  int32_t steps, float lr, float *out, mn_status *status)` — params NULL: from the meta-parameters; lr < 0: the
///  learner's default (α for Meta-SGD, else inner_lr).
@c(mn_meta_adapt)
public func mnMetaAdapt(
    _ h: UnsafeMutableRawPointer, _ params: UnsafePointer<Float>?, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
    _ n: Int64, _ steps: Int32, _ lr: Float, _ out: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let l = learner(h)
        let theta = params.map { floats($0, l.mlp.parameterCount) }
        let adapted = try l.adapt(
            x: floats(x, Int(n) * l.mlp.inputSize), y: floats(y, Int(n) * l.mlp.outputSize), steps: Int(steps),
            lr: lr < 0 ? nil : lr, from: theta)
        adapted.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: adapted.count) }
    }
}

/// `int32_t mn_meta_meta_gradient(mn_meta_learner *h, const float *sx, const float *sy, int64_t ns, const float *qx,
///  const float *qy, int64_t nq, int32_t steps, float lr, int32_t first_order, float *gradient, float *alpha_gradient,
///  float *losses, mn_status *status)` — steps < 0, lr < 0, first_order < 0: the learner's defaults;
///  alpha_gradient may be NULL (ignored unless Meta-SGD); losses[0] = L^s before, losses[1] = L^q after.
@c(mn_meta_meta_gradient)
public func mnMetaMetaGradient(
    _ h: UnsafeMutableRawPointer, _ sx: UnsafePointer<Float>, _ sy: UnsafePointer<Float>, _ ns: Int64,
    _ qx: UnsafePointer<Float>, _ qy: UnsafePointer<Float>, _ nq: Int64, _ steps: Int32, _ lr: Float,
    _ firstOrder: Int32, _ gradient: UnsafeMutablePointer<Float>, _ alphaGradient: UnsafeMutablePointer<Float>?,
    _ losses: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let l = learner(h)
        let din = l.mlp.inputSize, dout = l.mlp.outputSize
        let task = RegressionTask(
            supportX: floats(sx, Int(ns) * din), supportY: floats(sy, Int(ns) * dout),
            queryX: floats(qx, Int(nq) * din), queryY: floats(qy, Int(nq) * dout))
        let r = try l.metaGradient(
            task: task, steps: steps < 0 ? nil : Int(steps), lr: lr < 0 ? nil : lr,
            firstOrder: firstOrder < 0 ? nil : firstOrder != 0)
        r.gradient.withUnsafeBufferPointer { gradient.update(from: $0.baseAddress!, count: r.gradient.count) }
        if let alphaGradient, !r.alphaGradient.isEmpty {
            r.alphaGradient.withUnsafeBufferPointer { alphaGradient.update(from: $0.baseAddress!, count: r.alphaGradient.count) }
        }
        losses[0] = r.supportLoss
        losses[1] = r.queryLoss
    }
}

/// `int32_t mn_meta_apply_meta_gradient(mn_meta_learner *h, const float *gradient, int64_t count, mn_status *status)`
@c(mn_meta_apply_meta_gradient)
public func mnMetaApplyMetaGradient(
    _ h: UnsafeMutableRawPointer, _ g: UnsafePointer<Float>, _ count: Int64, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in try learner(h).applyMetaGradient(floats(g, Int(count))) }
}

/// `int32_t mn_meta_train_sinusoid(mn_meta_learner *h, int64_t iterations, int32_t meta_batch_size, int32_t k_shot,
///  float *loss_history, mn_status *status)` — loss_history: `iterations` floats or NULL.
@c(mn_meta_train_sinusoid)
public func mnMetaTrainSinusoid(
    _ h: UnsafeMutableRawPointer, _ iterations: Int64, _ metaBatch: Int32, _ shots: Int32,
    _ history: UnsafeMutablePointer<Float>?, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try learner(h).trainSinusoid(iterations: Int(iterations), metaBatchSize: Int(metaBatch), shots: Int(shots), lossHistory: history)
    }
}

/// `int32_t mn_meta_evaluate_sinusoid(mn_meta_learner *h, int64_t num_tasks, int32_t k_shot, int32_t max_steps,
///  float lr, uint64_t seed, float *out, mn_status *status)` — out: num_tasks × (max_steps + 1); lr < 0: default.
@c(mn_meta_evaluate_sinusoid)
public func mnMetaEvaluateSinusoid(
    _ h: UnsafeMutableRawPointer, _ tasks: Int64, _ shots: Int32, _ maxSteps: Int32, _ lr: Float, _ seed: UInt64,
    _ out: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let r = try learner(h).evaluateSinusoid(
            taskCount: Int(tasks), shots: Int(shots), maxSteps: Int(maxSteps), lr: lr < 0 ? nil : lr, seed: seed)
        r.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: r.count) }
    }
}

/// `int32_t mn_meta_step(mn_meta_learner *h, const float *sx, const float *sy, int64_t ns, const float *qx,
///  const float *qy, int64_t nq, int64_t batch, float *losses, mn_status *status)` — x: [batch, n, d_in],
///  y: [batch, n, d_out]; losses[0..1] = meta-batch mean (L^s before, L^q after).
@c(mn_meta_step)
public func mnMetaStep(
    _ h: UnsafeMutableRawPointer, _ sx: UnsafePointer<Float>, _ sy: UnsafePointer<Float>, _ ns: Int64,
    _ qx: UnsafePointer<Float>, _ qy: UnsafePointer<Float>, _ nq: Int64, _ batch: Int64,
    _ losses: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let r = try learner(h).metaStep(
            supportX: sx, supportY: sy, supportCount: Int(ns), queryX: qx, queryY: qy, queryCount: Int(nq),
            batch: Int(batch))
        losses[0] = r.supportLoss
        losses[1] = r.queryLoss
    }
}

/// `int32_t mn_meta_save(mn_meta_learner *h, const char *path, mn_status *status)`
@c(mn_meta_save)
public func mnMetaSave(_ h: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in try learner(h).save(path: string(path)) }
}

/// `int32_t mn_meta_load(const char *path, mn_meta_learner **out, mn_status *status)`
@c(mn_meta_load)
public func mnMetaLoad(
    _ path: UnsafePointer<CChar>, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in out.pointee = retainHandle(try MetaLearner.load(path: string(path))) }
}

/// `int32_t mn_meta_describe(mn_meta_learner *h, int64_t *layer_sizes, int64_t capacity, int64_t *layer_count,
///  int32_t *activation, int32_t *algorithm, float *inner_lr, int32_t *inner_steps, int32_t *first_order,
///  float *meta_lr, int32_t *backend, mn_status *status)` — layer_sizes receives min(capacity, count) sizes.
@c(mn_meta_describe)
public func mnMetaDescribe(
    _ h: UnsafeMutableRawPointer, _ sizes: UnsafeMutablePointer<Int64>, _ capacity: Int64,
    _ count: UnsafeMutablePointer<Int64>, _ activation: UnsafeMutablePointer<Int32>,
    _ algorithm: UnsafeMutablePointer<Int32>, _ innerLR: UnsafeMutablePointer<Float>,
    _ innerSteps: UnsafeMutablePointer<Int32>, _ firstOrder: UnsafeMutablePointer<Int32>,
    _ metaLR: UnsafeMutablePointer<Float>, _ backend: UnsafeMutablePointer<Int32>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let l = learner(h)
        let ls = l.mlp.layerSizes
        count.pointee = Int64(ls.count)
        for i in 0..<min(Int(capacity), ls.count) { sizes[i] = Int64(ls[i]) }
        activation.pointee = l.mlp.activation.code
        algorithm.pointee = l.config.algorithm.rawValue
        innerLR.pointee = l.config.innerLearningRate
        innerSteps.pointee = Int32(l.config.innerSteps)
        firstOrder.pointee = l.config.firstOrder ? 1 : 0
        metaLR.pointee = l.config.metaLearningRate
        backend.pointee = l.config.backend.rawValue
    }
}
