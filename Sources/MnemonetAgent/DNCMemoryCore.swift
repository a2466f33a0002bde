import MnemonetBase
import MnemonetEngine
import MnemonetMemory

/// The trainable part of an agent on the DNC's memory: a DNC (LSTM controller, interface, output layer) with Adam
/// and gradient-norm clipping, and the memory state carried from sample to sample (batch 1).
///
/// One forward of rows x [b, X] from a memory state is one DNC step (`dncCell`, Graves et al. 2016) with the
/// controller's LSTM state and the previous read vectors at zero (each sample is an independent query; what persists
/// between samples is the memory alone):
///
///     h = LSTM([x; 0], 0);  ξ = W_ξ h + b_ξ;  (r, access') = access(ξ, access);  ŷ = W_y [h; r] + b_y
///
/// The write precedes the read inside a step, so the write parameters (keys, gates, erase/add vectors) receive a
/// gradient through the same step's read. Training a step (`apply`) differentiates a loss built from the forwards,
/// clips ‖g‖ at c, takes an Adam step and carries the chosen memory state on as a constant (stop-gradient).
public final class DNCMemoryCore {
    /// The DNC and its Adam optimizer (the trainer's loss is not used: callers build their own).
    public let trainer: DNCTrainer
    /// The memory state carried from sample to sample (batch 1).
    public var access: DNCAccessState

    /// X, the input width; Y, the output width.
    public var inputSize: Int { trainer.model.config.inputSize }
    /// Y, the output width.
    public var outputSize: Int { trainer.model.config.outputSize }

    /// A DNC of `config` (LSTM controller) with PyTorch-default weights from `seed`, Adam(`learningRate`) and
    /// clipping at `clipNorm`; the memory state at zero (deepmind's initial state).
    public init(config: DNCConfig, learningRate: Float, clipNorm: Float, seed: UInt64) throws(MnemonetError) {
        try require(config.controller == .lstm, "the DNC-memory agent uses an LSTM controller")
        trainer = DNCTrainer(model: try DNC(config: config, seed: seed), lr: learningRate, clip: clipNorm,
                             loss: .squaredError)
        access = DNCAccessState.zeros(batch: 1, memory: config.memory)
    }

    /// Adopts a trainer read from a checkpoint (weights and Adam state) and a memory state.
    public init(trainer: DNCTrainer, access: DNCAccessState) {
        self.trainer = trainer
        self.access = access
    }

    /// One forward of x [rows, X] from `state` (batch `rows`): ŷ [rows, Y] and the memory state after the step.
    public func step(_ x: UnsafePointer<Float>, rows: Int = 1,
                     from state: DNCAccessState) -> (output: Variable, state: DNCAccessState) {
        let c = trainer.model.config, m = c.memory
        let s = DNCState(controller: LSTMState.zeros(batch: rows, hidden: c.hiddenSize), access: state,
                         readVectors: Variable(Tensor(shape: [rows, m.numReadHeads, m.memoryDim])))
        let (y, next) = trainer.model.step(Variable(Tensor(shape: [rows, c.inputSize], copying: x)), s)
        return (y, next.access)
    }

    /// `rows` rows x [rows, X], each from the batch-1 memory state `state` (one batch-`rows` step): ŷ [rows, Y].
    public func stepEach(_ x: UnsafePointer<Float>, rows: Int, from state: DNCAccessState) -> Variable {
        step(x, rows: rows, from: rows == 1 ? state : state.expanded(batch: rows)).output
    }

    /// ∇`loss` over the DNC's parameters, clipped at the trainer's clip, one Adam step; then `access ← sg(next)`.
    /// Throws `.nonFinite` (nothing changed) when the loss or the gradient norm is not finite. Returns the loss.
    @discardableResult
    public func apply(loss: Variable, next: DNCAccessState) throws(MnemonetError) -> Float {
        let value = loss.scalar
        guard value.isFinite else { throw .nonFinite("train_step: the loss is \(value); the agent is unchanged") }
        let model = trainer.model
        let grads = gradients(of: loss, wrt: model.namedParameters.map { $0.variable })
        for (p, g) in zip(model.parameters, grads) { p.grad = g.value }
        // The norm clipGradNorm returns is the one before clipping: non-finite → nothing is updated.
        let norm = clipGradNorm(model.parameters, maxNorm: trainer.clip)
        guard norm.isFinite else {
            trainer.optimizer.zeroGrad()
            throw .nonFinite("train_step: the gradient norm is \(norm); the agent is unchanged")
        }
        trainer.optimizer.step()
        trainer.optimizer.zeroGrad()
        access = next.detached()
        return value
    }

    /// M then u of the carried memory state into `out` [N·W + N].
    public func copyMemory(into out: UnsafeMutablePointer<Float>) {
        let m = access.memory.value, u = access.usage.value
        out.update(from: m.pointer, count: m.count)
        (out + m.count).update(from: u.pointer, count: u.count)
    }
}

extension DNCAccessState {
    /// A batch-1 state repeated `batch` times, as constants (no gradient flows back to `self`).
    public func expanded(batch b: Int) -> DNCAccessState {
        DNCAccessState(components: components.map { c -> Variable in
            let v = c.value, n = v.count
            precondition(v.shape[0] == 1, "expanded(batch:) needs a batch-1 state, got \(v.shape)")
            let out = Tensor(shape: [b] + Array(v.shape.dropFirst()))
            for k in 0..<b { (out.pointer + k * n).update(from: v.pointer, count: n) }
            return Variable(out)
        })
    }
}
