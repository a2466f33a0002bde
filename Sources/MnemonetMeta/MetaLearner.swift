import MnemonetEngine

/// The meta-learning rule of a ``MetaLearner``.
public enum MetaAlgorithm: Int32, Sendable, CaseIterable {
    /// MAML (Finn et al. 2017): θ ← θ − β ∇_θ Σ_i L^q_i(θ − α∇L^s_i(θ)), exact second order unless `firstOrder`.
    case maml = 0
    /// Meta-SGD (Li et al. 2017): like MAML with a learned per-parameter inner step α ∈ ℝ^{|θ|}, meta-learned jointly.
    case metaSGD = 1
    /// Reptile (Nichol et al. 2018): θ ← θ + β·mean_i(θ_K,i − θ) (fed to Adam as the pseudo-gradient θ − θ_K).
    case reptile = 2
    /// The "pretrained on all tasks" baseline of Finn et al.: plain multi-task regression on the support sets,
    /// θ ← Adam(∇_θ Σ_i L^s_i(θ)); adapted at test time by ordinary fine-tuning.
    case pretrain = 3

    /// The Python name (`"maml"`, `"meta-sgd"`, `"reptile"`, `"pretrain"`).
    public var name: String {
        switch self {
        case .maml: return "maml"
        case .metaSGD: return "meta-sgd"
        case .reptile: return "reptile"
        case .pretrain: return "pretrain"
        }
    }
}

/// Which implementation computes meta-gradients.
public enum MetaBackend: Int32, Sendable, CaseIterable {
    /// The fused MLP path (``InnerLoop``: hand-derived R-operator Hessian-vector products, preallocated buffers).
    case fused = 0
    /// The engine's autodiff with `createGraph` (``ComposedInnerLoop``): the reference the fused path is tested against.
    case composed = 1
}

/// Hyperparameters of a ``MetaLearner``. Defaults: Finn et al. (2017) sinusoid, as their code runs it.
public struct MetaLearnerConfig: Sendable {
    /// The rule.
    public var algorithm: MetaAlgorithm = .maml
    /// Inner step size α (MAML, Reptile, pretrain fine-tuning). Also the default of ``MetaLearner/adapt``.
    public var innerLearningRate: Float = 0.01
    /// Inner steps during meta-training (the paper: 1 for the sinusoid).
    public var innerSteps: Int = 1
    /// First-order MAML / Meta-SGD: ignore the second-order terms H^s(θ_k).
    public var firstOrder: Bool = false
    /// Adam's learning rate β for the outer loop.
    public var metaLearningRate: Float = 1e-3
    /// Fused (default) or engine-composed meta-gradients (same values; the fused path is faster).
    public var backend: MetaBackend = .fused
    /// Meta-SGD: α is initialised U[low, high] (Li et al. 2017: [0.005, 0.1]).
    public var alphaInitRange: ClosedRange<Float> = 0.005...0.1

    /// The defaults.
    public init() {}

    /// Throws `.invalidArgument` for a step size or step count outside its domain.
    public func validate() throws(MnemonetError) {
        try require(innerLearningRate.isFinite && innerLearningRate >= 0, "inner_lr must be finite and >= 0, got \(innerLearningRate)")
        try require(innerSteps >= 0 && innerSteps <= 10_000, "inner_steps must be in 0...10000, got \(innerSteps)")
        try require(metaLearningRate.isFinite && metaLearningRate > 0, "meta_lr must be finite and > 0, got \(metaLearningRate)")
        try require(alphaInitRange.lowerBound.isFinite && alphaInitRange.upperBound.isFinite,
                    "the alpha init range must be finite")
    }
}

/// A meta-learner over an ``MLP``: the meta-parameters θ (and Meta-SGD's α), the outer Adam state and the task
/// stream, with functional adaptation and the meta-training loop (meta-batch included) in native code.
///
/// `adapt` never mutates θ: it returns θ′ = θ_K, a new parameter vector the caller predicts with.
public final class MetaLearner {
    /// The network.
    public let mlp: MLP
    /// The hyperparameters.
    public private(set) var config: MetaLearnerConfig
    /// The meta-parameters θ (PyTorch `nn.Sequential` layout, see ``MLP``).
    public internal(set) var parameters: [Float]
    /// Meta-SGD's per-parameter inner step sizes α (|θ| floats); empty for the other rules.
    public internal(set) var alphas: [Float]
    /// The outer optimizer (the engine's Adam on caller-owned buffers: slot 0 is θ, slot 1 is Meta-SGD's α).
    public let optimizer: Adam
    /// The task stream of ``trainSinusoid(iterations:metaBatchSize:shots:lossHistory:)``.
    public var sampler: SinusoidTaskSampler
    /// Bound on K·|θ|: a meta-gradient keeps every θ_k and ∇L^s(θ_k) of the K inner steps (2²⁸ floats = 1 GiB each).
    public static let maxUnrolledFloats = 1 << 28

    /// Meta-iterations done.
    public internal(set) var iteration: Int = 0
    let inner: InnerLoop
    let composed: ComposedInnerLoop
    /// The meta-batch path (``BatchedMAML``) of one-step MAML on the fused backend.
    let batched: BatchedMAML
    private var gradientBuffer: [Float]

    /// A learner with θ from PyTorch's default init (seeded) and, for Meta-SGD, α ~ U(alphaInitRange).
    public init(mlp: MLP, config: MetaLearnerConfig = MetaLearnerConfig(), seed: UInt64 = 0) throws(MnemonetError) {
        try config.validate()
        try require(config.innerSteps * mlp.parameterCount <= MetaLearner.maxUnrolledFloats,
                    "inner_steps × |θ| = \(config.innerSteps) × \(mlp.parameterCount) exceeds the \(MetaLearner.maxUnrolledFloats) floats the unrolled inner loop may keep")
        self.mlp = mlp
        self.config = config
        self.parameters = mlp.initialParameters(seed: seed)
        var rng = Xoshiro256(seed: seed ^ 0xA1FA_A1FA_A1FA_A1FA)
        if config.algorithm == .metaSGD {
            let r = config.alphaInitRange
            alphas = (0..<mlp.parameterCount).map { _ in r.lowerBound + (r.upperBound - r.lowerBound) * rng.nextUnitFloat() }
        } else {
            alphas = []
        }
        let trainable = mlp.parameterCount + alphas.count
        optimizer = Adam(parameterCount: 2, lr: config.metaLearningRate)
        sampler = SinusoidTaskSampler(seed: seed &+ 0x5EED)
        inner = InnerLoop(mlp)
        composed = ComposedInnerLoop(mlp)
        batched = BatchedMAML(mlp)
        gradientBuffer = [Float](repeating: 0, count: trainable)
    }

    /// Replaces θ (e.g. from a PyTorch state dict); the optimizer state is kept.
    public func setParameters(_ theta: [Float]) throws(MnemonetError) {
        try require(theta.count == mlp.parameterCount, "parameters have \(theta.count) values, expected \(mlp.parameterCount)")
        try require(theta.allSatisfy { $0.isFinite }, "parameters must be finite")
        parameters = theta
    }

    /// Replaces Meta-SGD's α.
    public func setAlphas(_ a: [Float]) throws(MnemonetError) {
        try require(config.algorithm == .metaSGD, "only a meta-sgd learner has per-parameter step sizes")
        try require(a.count == mlp.parameterCount, "alphas have \(a.count) values, expected \(mlp.parameterCount)")
        try require(a.allSatisfy { $0.isFinite }, "alphas must be finite")
        alphas = a
    }

    /// The inner step of this learner: α (Meta-SGD) or the scalar `lr`.
    func withStepSize<R>(_ lr: Float?, _ body: (InnerStepSize) -> R) -> R {
        if config.algorithm == .metaSGD && lr == nil {
            return alphas.withUnsafeBufferPointer { body(.perParameter($0.baseAddress!)) }
        }
        return body(.scalar(lr ?? config.innerLearningRate))
    }

    /// θ′ after `steps` gradient steps on (x, y) from `theta` (default: the meta-parameters), of size `lr`
    /// (default: the learned α for Meta-SGD, else the configured α). Functional: no state of the learner changes.
    public func adapt(x: [Float], y: [Float], steps: Int, lr: Float? = nil, from theta: [Float]? = nil) throws(MnemonetError) -> [Float] {
        let start = theta ?? parameters
        try inner.workspace.check(theta: start, x: x, y: y)
        try require(!x.isEmpty, "the support set is empty")
        try require(steps >= 0 && steps <= 100_000, "num_steps must be in 0...100000, got \(steps)")
        if let lr { try require(lr.isFinite && lr >= 0, "lr must be finite and >= 0, got \(lr)") }
        let n = x.count / mlp.inputSize
        let adapted = start.withUnsafeBufferPointer { t in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    withStepSize(lr) { s in
                        let out = inner.adapt(t.baseAddress!, steps: steps, stepSize: s, x: xb.baseAddress!, y: yb.baseAddress!, n: n)
                        return Array(UnsafeBufferPointer(start: out, count: mlp.parameterCount))
                    }
                }
            }
        }
        // θ′ is returned, never committed: a diverged adaptation is refused rather than handed back as NaN/inf.
        if let k = adapted.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite("adaptation diverged: θ′[\(k)] = \(adapted[k]) after \(steps) step(s); use a smaller lr")
        }
        return adapted
    }

    /// ŷ = f(x; θ) for n × d_in inputs (θ: any parameter vector of this network, e.g. an adapted one).
    public func predict(theta: [Float], x: [Float]) throws(MnemonetError) -> [Float] {
        try inner.workspace.predict(theta: theta, x: x)
    }

    /// One task's meta-gradient at the current θ (α) with this learner's rule, `steps` inner steps of size `lr`
    /// (defaults: the config). Returns (∇_θ, ∇_α (empty unless Meta-SGD), L^s before, L^q after).
    /// For Reptile the "gradient" is the pseudo-gradient θ − θ_K; for pretrain it is ∇L^q(θ).
    public func metaGradient(
        task: RegressionTask, steps: Int? = nil, lr: Float? = nil, firstOrder: Bool? = nil
    ) throws(MnemonetError) -> (gradient: [Float], alphaGradient: [Float], supportLoss: Float, queryLoss: Float) {
        try task.validate(for: mlp)
        let k = steps ?? config.innerSteps
        try require(k >= 0 && k <= 10_000, "num_steps must be in 0...10000, got \(k)")
        try require(k * mlp.parameterCount <= MetaLearner.maxUnrolledFloats,
                    "num_steps × |θ| = \(k) × \(mlp.parameterCount) exceeds \(MetaLearner.maxUnrolledFloats) floats")
        var g = [Float](repeating: 0, count: mlp.parameterCount)
        var ga = [Float](repeating: 0, count: alphas.count)
        let ns = task.supportX.count / mlp.inputSize, nq = task.queryX.count / mlp.inputSize
        let fo = firstOrder ?? config.firstOrder
        var result = TaskMetaGradient(supportLossBefore: 0, queryLossAfter: 0)
        let lrArg: Float? = config.algorithm == .metaSGD ? nil : (lr ?? config.innerLearningRate)
        parameters.withUnsafeBufferPointer { t in
            task.supportX.withUnsafeBufferPointer { sx in
                task.supportY.withUnsafeBufferPointer { sy in
                    task.queryX.withUnsafeBufferPointer { qx in
                        task.queryY.withUnsafeBufferPointer { qy in
                            g.withUnsafeMutableBufferPointer { gb in
                                ga.withUnsafeMutableBufferPointer { gab in
                                    withStepSize(lrArg) { s in
                                        switch config.algorithm {
                                        case .maml, .metaSGD:
                                            result = taskMetaGradient(
                                                t.baseAddress!, steps: k, stepSize: s, firstOrder: fo,
                                                supportX: sx.baseAddress!, supportY: sy.baseAddress!, supportCount: ns,
                                                queryX: qx.baseAddress!, queryY: qy.baseAddress!, queryCount: nq,
                                                weight: 1, metaGradient: gb.baseAddress!, alphaGradient: gab.baseAddress)
                                        case .reptile:
                                            let before = inner.accumulateReptile(
                                                t.baseAddress!, steps: k, stepSize: lrArg!, x: sx.baseAddress!,
                                                y: sy.baseAddress!, n: ns, weight: 1, pseudoGradient: gb.baseAddress!)
                                            result = TaskMetaGradient(supportLossBefore: before, queryLossAfter: before)
                                        case .pretrain:
                                            result = taskMetaGradient(
                                                t.baseAddress!, steps: 0, stepSize: s, firstOrder: true,
                                                supportX: sx.baseAddress!, supportY: sy.baseAddress!, supportCount: ns,
                                                queryX: sx.baseAddress!, queryY: sy.baseAddress!, queryCount: ns,
                                                weight: 1, metaGradient: gb.baseAddress!, alphaGradient: nil)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (g, ga, result.supportLossBefore, result.queryLossAfter)
    }

    /// Meta-trains on sinusoid tasks drawn from ``sampler``: `iterations` outer Adam steps, each on the mean
    /// meta-gradient of `metaBatchSize` K-shot tasks (K support, K query points each). Writes the meta-batch mean of
    /// the meta-objective (post-adaptation query loss; support loss for pretrain and Reptile) of every iteration
    /// into `lossHistory` (`iterations` floats) if given.
    public func trainSinusoid(
        iterations: Int, metaBatchSize: Int, shots: Int, lossHistory: UnsafeMutablePointer<Float>?
    ) throws(MnemonetError) {
        try require(mlp.inputSize == 1 && mlp.outputSize == 1, "the sinusoid benchmark needs a 1 → … → 1 network, got \(mlp.layerSizes)")
        try require(iterations >= 0, "iterations must be >= 0, got \(iterations)")
        try require(metaBatchSize >= 1 && metaBatchSize <= 100_000, "meta_batch_size must be in 1...100000, got \(metaBatchSize)")
        try require(shots >= 1 && shots <= 100_000, "k_shot must be in 1...100000, got \(shots)")
        let k = shots
        var sx = [Float](repeating: 0, count: k), sy = sx, qx = sx, qy = sx
        let p = mlp.parameterCount
        let weight = 1 / Float(metaBatchSize)
        let steps = config.innerSteps, fo = config.firstOrder, algo = config.algorithm
        if usesBatchedPath {
            // The same task stream as the per-task loop below (per task: A, φ, K support, K query points), stacked.
            let n = metaBatchSize * k
            var bsx = [Float](repeating: 0, count: n), bsy = bsx, bqx = bsx, bqy = bsx
            for it in 0..<iterations {
                for b in 0..<metaBatchSize {
                    let task = sampler.sampleParameters()
                    bsx.withUnsafeMutableBufferPointer { x in
                        bsy.withUnsafeMutableBufferPointer { y in
                            sampler.samplePoints(task, count: k, x: x.baseAddress! + b * k, y: y.baseAddress! + b * k)
                        }
                    }
                    bqx.withUnsafeMutableBufferPointer { x in
                        bqy.withUnsafeMutableBufferPointer { y in
                            sampler.samplePoints(task, count: k, x: x.baseAddress! + b * k, y: y.baseAddress! + b * k)
                        }
                    }
                }
                let r = batchedMetaGradient(supportX: bsx, supportY: bsy, supportCount: k, queryX: bqx, queryY: bqy,
                                            queryCount: k, batch: metaBatchSize)
                applyOuterStep()
                iteration += 1
                lossHistory?[it] = r.queryLoss * weight
            }
            return
        }
        for it in 0..<iterations {
            var total: Float = 0
            gradientBuffer.withUnsafeMutableBufferPointer { gb in
                let g = gb.baseAddress!
                g.update(repeating: 0, count: gb.count)
                for _ in 0..<metaBatchSize {
                    let task = sampler.sampleParameters()
                    sampler.samplePoints(task, count: k, x: &sx, y: &sy)
                    sampler.samplePoints(task, count: k, x: &qx, y: &qy)
                    parameters.withUnsafeBufferPointer { t in
                        withStepSize(nil) { s in
                            switch algo {
                            case .maml, .metaSGD:
                                let r = taskMetaGradient(
                                    t.baseAddress!, steps: steps, stepSize: s, firstOrder: fo,
                                    supportX: sx, supportY: sy, supportCount: k, queryX: qx, queryY: qy, queryCount: k,
                                    weight: weight, metaGradient: g, alphaGradient: algo == .metaSGD ? g + p : nil)
                                total += r.queryLossAfter
                            case .reptile:
                                total += inner.accumulateReptile(
                                    t.baseAddress!, steps: steps, stepSize: config.innerLearningRate,
                                    x: sx, y: sy, n: k, weight: weight, pseudoGradient: g)
                            case .pretrain:
                                let r = taskMetaGradient(
                                    t.baseAddress!, steps: 0, stepSize: s, firstOrder: true,
                                    supportX: sx, supportY: sy, supportCount: k, queryX: sx, queryY: sy, queryCount: k,
                                    weight: weight, metaGradient: g, alphaGradient: nil)
                                total += r.queryLossAfter
                            }
                        }
                    }
                }
            }
            applyOuterStep()
            iteration += 1
            lossHistory?[it] = total / Float(metaBatchSize)
        }
    }

    /// One meta-iteration on a caller-supplied meta-batch of B tasks with `supportCount` support and `queryCount`
    /// query rows each: x arrays are [B, n, d_in], y arrays [B, n, d_out] (row-major). Computes every task's
    /// meta-gradient with this learner's rule, averages them and takes one Adam step. Returns the meta-batch means
    /// (L^s before adaptation, L^q after adaptation).
    public func metaStep(
        supportX: UnsafePointer<Float>, supportY: UnsafePointer<Float>, supportCount: Int,
        queryX: UnsafePointer<Float>, queryY: UnsafePointer<Float>, queryCount: Int, batch: Int
    ) throws(MnemonetError) -> (supportLoss: Float, queryLoss: Float) {
        try require(batch >= 1, "the meta-batch is empty")
        try require(supportCount >= 1 && queryCount >= 1, "support and query sets must be non-empty")
        let din = mlp.inputSize, dout = mlp.outputSize, p = mlp.parameterCount
        let weight = 1 / Float(batch)
        let steps = config.innerSteps, fo = config.firstOrder, algo = config.algorithm
        var before: Float = 0, after: Float = 0
        if usesBatchedPath {
            (before, after) = batchedMetaGradient(supportX: supportX, supportY: supportY, supportCount: supportCount,
                                                  queryX: queryX, queryY: queryY, queryCount: queryCount, batch: batch)
        } else {
            gradientBuffer.withUnsafeMutableBufferPointer { gb in
                let g = gb.baseAddress!
                g.update(repeating: 0, count: gb.count)
                for b in 0..<batch {
                    let sx = supportX + b * supportCount * din, sy = supportY + b * supportCount * dout
                    let qx = queryX + b * queryCount * din, qy = queryY + b * queryCount * dout
                    parameters.withUnsafeBufferPointer { t in
                        withStepSize(nil) { s in
                            switch algo {
                            case .maml, .metaSGD:
                                let r = taskMetaGradient(
                                    t.baseAddress!, steps: steps, stepSize: s, firstOrder: fo,
                                    supportX: sx, supportY: sy, supportCount: supportCount,
                                    queryX: qx, queryY: qy, queryCount: queryCount,
                                    weight: weight, metaGradient: g, alphaGradient: algo == .metaSGD ? g + p : nil)
                                before += r.supportLossBefore; after += r.queryLossAfter
                            case .reptile:
                                let l = inner.accumulateReptile(
                                    t.baseAddress!, steps: steps, stepSize: config.innerLearningRate,
                                    x: sx, y: sy, n: supportCount, weight: weight, pseudoGradient: g)
                                before += l; after += l
                            case .pretrain:
                                let r = taskMetaGradient(
                                    t.baseAddress!, steps: 0, stepSize: s, firstOrder: true,
                                    supportX: sx, supportY: sy, supportCount: supportCount,
                                    queryX: sx, queryY: sy, queryCount: supportCount,
                                    weight: weight, metaGradient: g, alphaGradient: nil)
                                before += r.supportLossBefore; after += r.queryLossAfter
                            }
                        }
                    }
                }
            }
        }
        try require(gradientBuffer.allSatisfy { $0.isFinite }, "the meta-gradient is not finite (diverging inner loop?)")
        applyOuterStep()
        iteration += 1
        return (before * weight, after * weight)
    }

    /// Whether meta-iterations take the meta-batch path (``BatchedMAML``): MAML, one inner step, fused backend.
    /// Every other rule, step count or backend computes the meta-batch task by task (the same meta-gradient).
    public var usesBatchedPath: Bool {
        config.algorithm == .maml && config.innerSteps == 1 && config.backend == .fused
    }

    /// Zeroes the gradient buffer and fills it with the mean one-step MAML meta-gradient of the stacked meta-batch
    /// (x [B, n, d_in], y [B, n, d_out]); returns the sums over tasks of L^s(θ) and L^q(θ′).
    private func batchedMetaGradient(
        supportX: UnsafePointer<Float>, supportY: UnsafePointer<Float>, supportCount: Int,
        queryX: UnsafePointer<Float>, queryY: UnsafePointer<Float>, queryCount: Int, batch: Int
    ) -> (supportLoss: Float, queryLoss: Float) {
        let alpha = config.innerLearningRate, fo = config.firstOrder
        return parameters.withUnsafeBufferPointer { t in
            gradientBuffer.withUnsafeMutableBufferPointer { gb in
                gb.baseAddress!.update(repeating: 0, count: gb.count)
                return batched.accumulateMetaGradient(
                    t.baseAddress!, alpha: alpha, firstOrder: fo, supportX: supportX, supportY: supportY,
                    supportCount: supportCount, queryX: queryX, queryY: queryY, queryCount: queryCount, batch: batch,
                    weight: 1 / Float(batch), metaGradient: gb.baseAddress!)
            }
        }
    }

    /// One task's meta-gradient on the configured backend (see ``InnerLoop`` and ``ComposedInnerLoop``).
    func taskMetaGradient(
        _ theta: UnsafePointer<Float>, steps: Int, stepSize: InnerStepSize, firstOrder: Bool,
        supportX: UnsafePointer<Float>, supportY: UnsafePointer<Float>, supportCount: Int,
        queryX: UnsafePointer<Float>, queryY: UnsafePointer<Float>, queryCount: Int,
        weight: Float, metaGradient: UnsafeMutablePointer<Float>, alphaGradient: UnsafeMutablePointer<Float>?
    ) -> TaskMetaGradient {
        switch config.backend {
        case .fused:
            return inner.accumulateMetaGradient(
                theta, steps: steps, stepSize: stepSize, firstOrder: firstOrder, supportX: supportX, supportY: supportY,
                supportCount: supportCount, queryX: queryX, queryY: queryY, queryCount: queryCount, weight: weight,
                metaGradient: metaGradient, alphaGradient: alphaGradient)
        case .composed:
            return composed.accumulateMetaGradient(
                theta, steps: steps, stepSize: stepSize, firstOrder: firstOrder, supportX: supportX, supportY: supportY,
                supportCount: supportCount, queryX: queryX, queryY: queryY, queryCount: queryCount, weight: weight,
                metaGradient: metaGradient, alphaGradient: alphaGradient)
        }
    }

    /// θ (and α) ← Adam(θ, ∇) with the accumulated gradient buffer (slot 0: θ, slot 1: α).
    private func applyOuterStep() {
        let p = mlp.parameterCount
        gradientBuffer.withUnsafeBufferPointer { g in
            parameters.withUnsafeMutableBufferPointer { optimizer.update(index: 0, parameter: $0, gradient: UnsafeBufferPointer(rebasing: g[0..<p])) }
            if !alphas.isEmpty {
                alphas.withUnsafeMutableBufferPointer { optimizer.update(index: 1, parameter: $0, gradient: UnsafeBufferPointer(rebasing: g[p..<(2 * p)])) }
            }
        }
    }

    /// Applies one outer Adam step with a caller-supplied meta-gradient (|θ| floats, plus |α| for Meta-SGD).
    public func applyMetaGradient(_ gradient: [Float]) throws(MnemonetError) {
        try require(gradient.count == gradientBuffer.count, "the meta-gradient has \(gradient.count) values, expected \(gradientBuffer.count)")
        try require(gradient.allSatisfy { $0.isFinite }, "the meta-gradient must be finite")
        gradientBuffer = gradient
        applyOuterStep()
        iteration += 1
    }

    /// The evaluation protocol of Finn et al.'s `test()`: `taskCount` fresh K-shot sinusoid tasks from a sampler
    /// seeded with `seed`; for each, the query MSE before adaptation and after each of 1…`maxSteps` inner steps of
    /// size `lr` (nil: α for Meta-SGD, else the configured α) on its K support points.
    /// Returns `taskCount × (maxSteps + 1)` losses, row-major; a diverging task shows up as inf/NaN or a large value.
    public func evaluateSinusoid(taskCount: Int, shots: Int, maxSteps: Int, lr: Float?, seed: UInt64) throws(MnemonetError) -> [Float] {
        try require(mlp.inputSize == 1 && mlp.outputSize == 1, "the sinusoid benchmark needs a 1 → … → 1 network, got \(mlp.layerSizes)")
        try require(taskCount >= 1 && taskCount <= 1_000_000, "num_tasks must be in 1...1000000, got \(taskCount)")
        try require(shots >= 1 && shots <= 100_000, "k_shot must be in 1...100000, got \(shots)")
        try require(maxSteps >= 0 && maxSteps <= 10_000, "steps must be in 0...10000, got \(maxSteps)")
        try require(taskCount * (maxSteps + 1) <= 100_000_000,
                    "num_tasks × (max_steps + 1) must be at most 1e8, got \(taskCount) × \(maxSteps + 1)")
        if let lr { try require(lr.isFinite && lr >= 0, "lr must be finite and >= 0, got \(lr)") }
        var s = SinusoidTaskSampler(seed: seed)
        let k = shots, p = mlp.parameterCount
        var sx = [Float](repeating: 0, count: k), sy = sx, qx = sx, qy = sx
        var out = [Float](repeating: 0, count: taskCount * (maxSteps + 1))
        var theta = [Float](repeating: 0, count: p)
        for t in 0..<taskCount {
            let task = s.sampleParameters()
            s.samplePoints(task, count: k, x: &sx, y: &sy)
            s.samplePoints(task, count: k, x: &qx, y: &qy)
            theta = parameters
            out[t * (maxSteps + 1)] = theta.withUnsafeBufferPointer { inner.loss($0.baseAddress!, x: qx, y: qy, n: k) }
            for j in 1...max(maxSteps, 1) where j <= maxSteps {
                theta.withUnsafeMutableBufferPointer { tb in
                    withStepSize(lr) { st in
                        let next = inner.adapt(tb.baseAddress!, steps: 1, stepSize: st, x: sx, y: sy, n: k)
                        tb.baseAddress!.update(from: next, count: p)
                    }
                }
                out[t * (maxSteps + 1) + j] = theta.withUnsafeBufferPointer { inner.loss($0.baseAddress!, x: qx, y: qy, n: k) }
            }
        }
        return out
    }
}
