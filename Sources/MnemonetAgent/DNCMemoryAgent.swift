import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import MnemonetReplay

/// The continual-learning agent on the DNC's memory (`ContinualLearningAgent(memory="dnc")`): the seed's training
/// recipe (prioritized replay, importance-weighted replayed losses, gradient clipping, Adam), with the memory read
/// and written by `DNCMemoryAccess` — content and allocation write weighting, erase/add, read heads — instead of the
/// seed's uniform writes.
///
/// One forward of a sample x [I] is one DNC step from the carried memory state `access` = (M, u, L, p, w^r, w^w)
/// (`DNCMemoryCore`: ŷ = W_y [h; r] + b_y with h = LSTM([x; 0], 0)). `trainStep(x, y)`:
///
///     ŷ₀, access' = step(x, access);   ℓ₀ = mean_i (ŷ₀ − y)²;   replay.push((x, y), priority ℓ₀ + 1e-6)
///     ŷ_j, _ = step(x_j, sg(access')),  j = 1..B, as one batch   (when use_replay and |replay| > max(16, B))
///     L = ℓ₀ + Σ_j λ w_j mean_i (ŷ_j − y_j)²
///     g = ∇L (the memory state is a constant between samples: sg = stop-gradient);  clip ‖g‖ at c;  Adam(lr) step
///     access ← sg(access')
///
/// with the seed's sampling (without replacement, P ∝ priority^α, w_j = (N P(j))^−β / max). Unlike the seed, whose
/// replayed forwards write the memory one after another, the B replayed samples run as one batch-B step, each from
/// the memory after the current sample's write, and their writes are discarded: only the stream writes the memory
/// (and a step costs about two DNC steps instead of B + 1). The step is transactional: a non-finite loss or gradient
/// leaves weights, Adam moments, memory state and replay buffer exactly as they were.
public final class DNCMemoryAgent {
    /// I, the size of x and y; H, the LSTM width.
    public let inputDim: Int, hiddenDim: Int
    /// N, W, R, H_w.
    public let config: MemoryConfig
    /// Replay capacity, B, λ, c, α, β (as in `ContinualLearningAgent`).
    public let replayCapacity: Int, replayBatchSize: Int
    /// λ, the weight of a replayed loss; c, the gradient-norm clipping threshold.
    public let replayWeight: Float, clipNorm: Float
    /// α of the priorities, β of the importance weights.
    public let replayAlpha: Double, replayBeta: Double
    /// The DNC (controller, interface and output layers), its Adam optimizer and the carried memory state.
    public internal(set) var core: DNCMemoryCore
    /// The replay buffer of (x, y) pairs (fields [I, I], the seed's sampling mode).
    public internal(set) var replay: PrioritizedReplayBuffer

    let sampledX: UnsafeMutableBufferPointer<Float>, sampledY: UnsafeMutableBufferPointer<Float>
    let replayIndices: UnsafeMutableBufferPointer<Int64>, replayWeights: UnsafeMutableBufferPointer<Float>
    let replayUndo: ReplayUndoRecord

    /// The DNC's configuration: x [I] → ŷ [I], LSTM of width H, memory `config`.
    public var dncConfig: DNCConfig { core.trainer.model.config }
    /// Adam's learning rate.
    public var learningRate: Float { core.trainer.optimizer.lr }
    /// O, the size of y: the input size (the DNC maps x back to I values).
    public var outputDim: Int { inputDim }

    /// A fresh agent (PyTorch-default initial weights from `seed`, the memory state at zero). Throws
    /// `.invalidArgument` naming the offending value.
    public init(inputDim: Int = 64, hiddenDim: Int = 128, config: MemoryConfig = MemoryConfig(),
                replayCapacity: Int = 5000, learningRate: Float = 1e-3, replayBatchSize: Int = 8,
                replayWeight: Float = 0.3, clipNorm: Float = 1.0, replayAlpha: Double = 0.6, replayBeta: Double = 0.4,
                seed: UInt64? = nil) throws(MnemonetError) {
        try require(inputDim >= 1 && inputDim <= 1 << 16, "input_dim must be in 1...65536, got \(inputDim)")
        try require(hiddenDim >= 1 && hiddenDim <= 1 << 14, "hidden_dim must be in 1...16384, got \(hiddenDim)")
        try validateReplayOptions(replayCapacity: replayCapacity, learningRate: learningRate,
                                  replayBatchSize: replayBatchSize, replayWeight: replayWeight, clipNorm: clipNorm,
                                  replayAlpha: replayAlpha, replayBeta: replayBeta)
        var rng = seed.map { Xoshiro256(seed: $0) } ?? Xoshiro256()
        core = try DNCMemoryCore(config: DNCConfig(inputSize: inputDim, outputSize: inputDim, hiddenSize: hiddenDim,
                                                   memory: config, controller: .lstm),
                                 learningRate: learningRate, clipNorm: clipNorm, seed: rng.next())
        replay = try PrioritizedReplayBuffer(capacity: replayCapacity, fieldWidths: [inputDim, inputDim],
                                             alpha: replayAlpha, sampling: .seedWithoutReplacement, seed: rng.next())
        self.inputDim = inputDim
        self.hiddenDim = hiddenDim
        self.config = config
        self.replayCapacity = replayCapacity
        self.replayBatchSize = replayBatchSize
        self.replayWeight = replayWeight
        self.clipNorm = clipNorm
        self.replayAlpha = replayAlpha
        self.replayBeta = replayBeta
        sampledX = .allocate(capacity: replayBatchSize * inputDim)
        sampledY = .allocate(capacity: replayBatchSize * inputDim)
        replayIndices = .allocate(capacity: replayBatchSize)
        replayWeights = .allocate(capacity: replayBatchSize)
        replayUndo = replay.makeUndoRecord()
    }

    deinit {
        sampledX.deallocate()
        sampledY.deallocate()
        replayIndices.deallocate()
        replayWeights.deallocate()
    }

    /// mean_i (ŷ − y)² of ŷ [1, I] against y [I].
    public func mse(_ output: Variable, _ y: UnsafePointer<Float>) -> Variable {
        (output - Variable(Tensor(shape: [1, inputDim], copying: y))).squared().sum() * (1 / Float(inputDim))
    }

    /// Σ_j λ w_j mean_i (ŷ_j − y_j)² of `count` replayed samples x, y [count, I] with importance weights w [count],
    /// run as one batch-`count` step, each from the batch-1 memory state `state`.
    public func replayLoss(x: UnsafePointer<Float>, y: UnsafePointer<Float>, weights: UnsafePointer<Float>, count b: Int,
                           from state: DNCAccessState) -> Variable {
        let i = inputDim
        let yr = core.stepEach(x, rows: b, from: state)
        let scale = Tensor(shape: [b, 1])
        for j in 0..<b { scale.pointer[j] = replayWeight * weights[j] / Float(i) }
        let targets = Variable(Tensor(shape: [b, i], copying: y))
        return ((yr - targets).squared() * Variable(scale)).sum()
    }

    /// The seed's `train_step(x, y, use_replay)` on the DNC's memory: x, y [I]; returns the total loss L.
    public func trainStep(x: UnsafePointer<Float>, y: UnsafePointer<Float>, useReplay: Bool) throws(MnemonetError) -> Double {
        let i = inputDim
        try requireFinite(UnsafeBufferPointer(start: x, count: i), "x")
        try requireFinite(UnsafeBufferPointer(start: y, count: i), "y")
        let (y0, s0) = core.step(x, from: core.access)
        let l0 = mse(y0, y)
        let current = l0.scalar
        guard current.isFinite else {
            throw .nonFinite("train_step: the loss is \(current) (inputs are finite, but the forward pass overflowed); "
                             + "the agent is unchanged")
        }
        replay.record(replayUndo)
        do throws(MnemonetError) {
            try replay.add(item: [UnsafeBufferPointer(start: x, count: i), UnsafeBufferPointer(start: y, count: i)],
                           priority: Double(current) + 1e-6)
            var total = l0
            let state = s0.detached()
            if useReplay && replay.count > Swift.max(ContinualLearningAgent.replayThreshold, replayBatchSize) {
                let b = replayBatchSize
                try replay.sample(batchSize: b, beta: replayBeta, indices: replayIndices, weights: replayWeights,
                                  fields: [sampledX, sampledY])
                total = total + replayLoss(x: sampledX.baseAddress!, y: sampledY.baseAddress!,
                                           weights: replayWeights.baseAddress!, count: b, from: state)
            }
            guard total.scalar.isFinite else {
                throw MnemonetError.nonFinite("train_step: the loss with replay is \(total.scalar); the agent is unchanged")
            }
            return Double(try core.apply(loss: total, next: state))
        } catch {
            replay.restore(replayUndo)
            throw error
        }
    }

    /// The mean over `count` samples of mse(ŷ, y). With `writeMemory` each forward's write persists (as in
    /// training and the seed's `evaluate`); without, every sample is read from the memory as it is and nothing in the
    /// agent changes.
    public func evaluate(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int,
                         writeMemory: Bool = true) throws(MnemonetError) -> Double {
        try require(count >= 1, "evaluate needs at least one sample, got \(count)")
        let i = inputDim
        try requireFinite(UnsafeBufferPointer(start: x, count: count * i), "X", columns: i)
        try requireFinite(UnsafeBufferPointer(start: y, count: count * i), "Y", columns: i)
        var state = core.access, total = 0.0
        for s in 0..<count {
            let (out, next) = core.step(x + s * i, from: state)
            let loss = mse(out, y + s * i).scalar
            guard loss.isFinite else {
                throw .nonFinite("evaluate: the loss of sample \(s) is \(loss) (the forward pass overflowed); "
                                 + "the memory is unchanged")
            }
            total += Double(loss)
            if writeMemory { state = next.detached() }
        }
        if writeMemory { core.access = state }
        return total / Double(count)
    }

    /// ŷ [count, I] for x [count, I], each from the memory as it is (no write persists, no training).
    public func predict(x: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) throws(MnemonetError) {
        try require(count >= 0, "predict needs count >= 0, got \(count)")
        for s in 0..<count {
            let (out, _) = core.step(x + s * inputDim, from: core.access)
            (output + s * inputDim).update(from: out.value.pointer, count: inputDim)
        }
    }

    /// `epochs` passes of `trainStep` over `count` samples in order; `losses` [epochs · count] receives each L.
    public func fit(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int, epochs: Int, useReplay: Bool,
                    losses: UnsafeMutablePointer<Double>) throws(MnemonetError) {
        try require(count >= 1, "fit needs at least one sample, got \(count)")
        try require(epochs >= 0, "epochs must be >= 0, got \(epochs)")
        try requireFinite(UnsafeBufferPointer(start: x, count: count * inputDim), "X", columns: inputDim)
        try requireFinite(UnsafeBufferPointer(start: y, count: count * inputDim), "Y", columns: inputDim)
        var k = 0
        for _ in 0..<epochs {
            for s in 0..<count {
                losses[k] = try trainStep(x: x + s * inputDim, y: y + s * inputDim, useReplay: useReplay)
                k += 1
            }
        }
    }
}

