import MnemonetBase
import MnemonetEngine

/// How a ``SNAILLearner`` is optimised: Adam (PyTorch's update) with gradient-norm clipping.
public struct SNAILOptimizerConfig: Equatable, Sendable {
    /// Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// The joint gradient norm is clipped to this (`clip_grad_norm_`); 0 turns clipping off.
    public var clipNorm: Float = 1
    /// Defaults: lr 1e-3, clip 1.
    public init(learningRate: Float = 1e-3, clipNorm: Float = 1) {
        self.learningRate = learningRate
        self.clipNorm = clipNorm
    }
    /// Throws for a non-positive or non-finite learning rate or a negative clip norm.
    public func validate() throws(MnemonetError) {
        guard learningRate.isFinite, learningRate > 0 else { throw .invalidArgument("lr \(learningRate) must be > 0") }
        guard clipNorm.isFinite, clipNorm >= 0 else { throw .invalidArgument("clip_norm \(clipNorm) must be ≥ 0") }
    }
}

/// A ``SNAIL`` network with its optimiser and training counters: the object behind `mnemonet.SNAIL`.
///
/// Supervised fitting (`trainStep`) minimises a ``SNAILLoss`` on whole sequences; meta-RL on bandits lives in
/// ``BanditActorCritic``. Both update the same parameters with the same Adam.
public final class SNAILLearner {
    /// The network.
    public let model: SNAIL
    /// Adam over `model.parameters`, in `namedParameters` order.
    public let optimizer: Adam
    /// The optimiser settings.
    public var config: SNAILOptimizerConfig { didSet { optimizer.lr = config.learningRate } }
    /// Updates applied so far.
    public var iteration: Int = 0
    /// The generator for everything the learner samples (bandit draws, actions).
    public var rng: Xoshiro256

    /// A learner over a new network drawn from `seed`.
    public init(model: SNAIL, config: SNAILOptimizerConfig = SNAILOptimizerConfig(), seed: UInt64) throws(MnemonetError) {
        try config.validate()
        self.model = model
        self.config = config
        self.optimizer = Adam(parameters: model.parameters, lr: config.learningRate)
        self.rng = Xoshiro256(seed: seed ^ 0x5A1_1BAD_5EED)
    }

    /// The loss and its gradients (one per named parameter, same shapes) for x [B, T, I], targets [B, T, O],
    /// weights [B, T]. Does not change the parameters.
    public func lossAndGradients(x: Tensor, targets: Tensor, weights: Tensor, loss: SNAILLoss)
        throws(MnemonetError) -> (loss: Float, gradients: [Tensor])
    {
        try checkBatch(x: x, targets: targets, weights: weights)
        let params = model.namedParameters.map(\.variable)
        let l = GradMode.withGrad { loss(model(Variable(x)), targets: Variable(targets), weights: Variable(weights)) }
        let grads = gradients(of: l, wrt: params)
        return (l.scalar, grads.map { $0.value.reshaped($0.shape) })
    }

    /// One Adam step on the loss of a batch; returns the loss before the step.
    @discardableResult
    public func trainStep(x: Tensor, targets: Tensor, weights: Tensor, loss: SNAILLoss) throws(MnemonetError) -> Float {
        let (l, grads) = try lossAndGradients(x: x, targets: targets, weights: weights, loss: loss)
        guard l.isFinite else { throw .invalidState("SNAIL: the loss is \(l) at iteration \(iteration) (lower the learning rate)") }
        apply(gradients: grads)
        return l
    }

    /// Clips `gradients` (named-parameter order) and applies one Adam update.
    public func apply(gradients grads: [Tensor]) {
        for (p, g) in zip(model.parameters, grads) { p.grad = g }
        if config.clipNorm > 0 { clipGradNorm(model.parameters, maxNorm: config.clipNorm) }
        optimizer.step()
        optimizer.zeroGrad()
        iteration += 1
    }

    /// y [B, T, O] for x [B, T, I], without recording a graph.
    public func predict(_ x: Tensor) throws(MnemonetError) -> Tensor {
        guard x.rank == 3, x.shape[2] == model.inputSize, x.shape[0] >= 1, x.shape[1] >= 1 else {
            throw .invalidArgument("x has shape \(x.shape), expected [B, T, \(model.inputSize)]")
        }
        try model.checkWorkload(batch: x.shape[0], length: x.shape[1])
        return GradMode.withoutGrad { model(Variable(x)).value }
    }

    func checkBatch(x: Tensor, targets: Tensor, weights: Tensor) throws(MnemonetError) {
        guard x.rank == 3, x.shape[2] == model.inputSize, x.shape[0] >= 1, x.shape[1] >= 1 else {
            throw .invalidArgument("x has shape \(x.shape), expected [B, T, \(model.inputSize)]")
        }
        let (b, t) = (x.shape[0], x.shape[1])
        try model.checkWorkload(batch: b, length: t)
        guard targets.shape == [b, t, model.outputSize] else {
            throw .invalidArgument("targets have shape \(targets.shape), expected [\(b), \(t), \(model.outputSize)]")
        }
        guard weights.shape == [b, t] else { throw .invalidArgument("weights have shape \(weights.shape), expected [\(b), \(t)]") }
        var total: Float = 0
        for i in 0..<weights.count {
            let w = weights[flat: i]
            guard w.isFinite, w >= 0 else { throw .invalidArgument("weights must be finite and ≥ 0 (got \(w))") }
            total += w
        }
        guard total > 0 else { throw .invalidArgument("weights are all zero: no step is scored") }
    }
}
