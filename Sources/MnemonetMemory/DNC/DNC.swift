import MnemonetBase
import MnemonetEngine

/// The result of running a DNC over a sequence.
public struct DNCUnroll {
    /// y [T, B, Y] (logits for the algorithmic tasks).
    public var outputs: Variable
    /// The state after the last step (for masked sequences: after each sequence's last unmasked step).
    public var state: DNCState
    /// The state after every step (only when asked for: it keeps every step's tensors alive).
    public var trace: [DNCState]
}

/// A Differentiable Neural Computer (Graves et al. 2016): a controller (LSTM or feedforward) with an external memory
/// addressed by content, by dynamic allocation (usage, free gates) and by temporal links, trained by
/// backpropagation through time over whole sequences (optionally truncated).
///
/// Sequences are time-major: x [T, B, X] → y [T, B, Y]. The state is a `DNCState` (memory [B, N, W], usage [B, N],
/// links [B, H_w, N, N], precedence, read/write weightings, read vectors, controller state).
public final class DNC: Module {
    /// Sizes and controller kind.
    public let config: DNCConfig
    /// The weights (the `Variable`s are the leaves the optimizer updates in place).
    public let weights: DNCParameters

    /// A DNC with PyTorch-default initial weights drawn from `seed`. Throws `.invalidArgument` for bad sizes.
    public init(config: DNCConfig, seed: UInt64 = 0) throws(MnemonetError) {
        try config.validate()
        self.config = config
        var rng = Xoshiro256(seed: seed)
        weights = DNCParameters(config: config, rng: &rng)
    }

    /// `named_parameters()` order: controller.*, interface.weight, interface.bias, output.weight, output.bias.
    public var namedParameters: [NamedParameter] { weights.named }

    /// The zero state for a batch of `batch`.
    public func initialState(batch: Int) -> DNCState {
        let c = config
        return DNCState(controller: c.controller == .lstm ? LSTMState.zeros(batch: batch, hidden: c.hiddenSize) : nil,
                        access: DNCAccessState.zeros(batch: batch, memory: c.memory),
                        readVectors: Variable(Tensor(shape: [batch, c.memory.numReadHeads, c.memory.memoryDim])))
    }

    /// One step: x_t [B, X] → y_t [B, Y] (`dncCell`).
    public func step(_ x: Variable, _ state: DNCState) -> (output: Variable, state: DNCState) {
        dncCell(x, state, parameters: weights, config: config)
    }

    /// Runs the sequence x [T, B, X] from `state` (zeros when nil). `mask` [T, B] (1 = real step, 0 = padding)
    /// freezes the state of finished sequences; `trace` keeps every step's state.
    public func callAsFunction(_ x: Variable, state: DNCState? = nil, mask: Tensor? = nil, trace: Bool = false) -> DNCUnroll {
        precondition(x.rank == 3 && x.shape[2] == config.inputSize, "DNC: input \(x.shape), expected [T, B, \(config.inputSize)]")
        let t = x.shape[0], b = x.shape[1]
        if let mask { precondition(mask.shape == [t, b], "DNC: mask \(mask.shape), expected [\(t), \(b)]") }
        var s = state ?? initialState(batch: b)
        var outputs: [Variable] = []
        var states: [DNCState] = []
        outputs.reserveCapacity(t)
        for k in 0..<t {
            let xt = x.slice(axis: 0, start: k, length: 1).reshaped([b, config.inputSize])
            var (y, next) = step(xt, s)
            if let mask {
                next = next.masked(Variable(Tensor(shape: [b], copying: mask.pointer + k * b)), previous: s)
            }
            s = next
            outputs.append(y.reshaped([1, b, config.outputSize]))
            if trace { states.append(s) }
        }
        return DNCUnroll(outputs: concat(outputs, axis: 0), state: s, trace: states)
    }
}

/// Training losses over time-major sequences.
public enum DNCLoss: Int32, Sendable {
    /// Σ_{t,b,y} m_{t,b} (softplus(ŷ) − ŷ·y) / B: the sigmoid cross-entropy of logits ŷ against bits y, summed over
    /// time and bits and averaged over the batch (deepmind's `masked_sigmoid_cross_entropy`; ÷ ln 2 gives bits per
    /// sequence).
    case sigmoidCrossEntropy = 0
    /// Σ_{t,b,y} m_{t,b} (ŷ − y)² / B.
    case squaredError = 1

    /// The loss of outputs ŷ [T, B, Y] against targets [T, B, Y] with an optional mask [T, B].
    public func callAsFunction(_ outputs: Variable, _ targets: Variable, mask: Tensor?) -> Variable {
        let b = outputs.shape[1]
        let perElement: Variable
        switch self {
        case .sigmoidCrossEntropy: perElement = outputs.softplus() - outputs * targets
        case .squaredError: perElement = (outputs - targets).squared()
        }
        guard let mask else { return perElement.sum() * (1 / Float(b)) }
        let m = Variable(mask.reshaped([mask.shape[0], mask.shape[1], 1]))
        return (perElement * m).sum() * (1 / Float(b))
    }
}

/// Trains a DNC with Adam and global-norm gradient clipping (the deepmind train.py recipe: RMSProp/Adam, clip 10–50).
public final class DNCTrainer {
    /// The model being trained (its weights are updated in place).
    public let model: DNC
    /// The optimizer over `model.parameters`.
    public let optimizer: Adam
    /// Maximum global gradient norm (∞: no clipping).
    public var clip: Float
    /// The loss.
    public var loss: DNCLoss

    /// A trainer with Adam(lr) and clipping at `clip`.
    public init(model: DNC, lr: Float = 1e-4, clip: Float = 10, loss: DNCLoss = .sigmoidCrossEntropy) {
        self.model = model
        self.optimizer = Adam(parameters: model.parameters, lr: lr)
        self.clip = clip
        self.loss = loss
    }

    /// Loss and parameter gradients (in `named_parameters` order) of one batch, through the whole sequence.
    /// `lossMask` [T, B] weights the loss of each step (e.g. only the answer phase of a task); `sequenceMask` [T, B]
    /// (1 = real step, 0 = padding after the end) freezes finished sequences' state (it does not change any scored
    /// output before a sequence's end, so training on padded batches needs only the loss mask).
    public static func lossAndGradients(model: DNC, inputs: Tensor, targets: Tensor, lossMask: Tensor?,
                                        sequenceMask: Tensor? = nil, loss: DNCLoss,
                                        state: DNCState? = nil) -> (loss: Float, gradients: [Tensor], state: DNCState) {
        let unroll = model(Variable(inputs), state: state, mask: sequenceMask)
        let l = loss(unroll.outputs, Variable(targets), mask: lossMask)
        let params = model.namedParameters.map { $0.variable }
        let grads = gradients(of: l, wrt: params)
        return (l.scalar, grads.map { $0.value }, unroll.state)
    }

    /// One training step on inputs [T, B, X], targets [T, B, Y], loss mask [T, B] (optional): forward, backpropagation
    /// through time, clipping, Adam. With `truncation` k, the sequence is cut into chunks of k steps, the state is
    /// carried across chunks without gradient and each chunk makes one optimizer step. Returns the summed loss.
    @discardableResult
    public func step(inputs: Tensor, targets: Tensor, mask: Tensor? = nil, truncation: Int? = nil) -> Float {
        let t = inputs.shape[0]
        let chunk = min(max(truncation ?? t, 1), t)
        var state: DNCState? = nil
        var total: Float = 0
        var start = 0
        while start < t {
            let len = min(chunk, t - start)
            func cut(_ x: Tensor) -> Tensor {
                let inner = x.count / x.shape[0]
                var shape = x.shape
                shape[0] = len
                return Tensor(shape: shape, copying: x.pointer + start * inner)
            }
            let whole = len == t
            let (l, grads, next) = DNCTrainer.lossAndGradients(
                model: model, inputs: whole ? inputs : cut(inputs), targets: whole ? targets : cut(targets),
                lossMask: mask.map { whole ? $0 : cut($0) }, loss: loss, state: state)
            for (p, g) in zip(model.parameters, grads) { p.grad = g }
            if clip.isFinite { clipGradNorm(model.parameters, maxNorm: clip) }
            optimizer.step()
            optimizer.zeroGrad()
            total += l
            state = next.detached()
            start += len
        }
        return total
    }
}
