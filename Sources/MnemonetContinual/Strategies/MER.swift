import MnemonetBase
import MnemonetReplay

/// Meta-Experience Replay (Riemer et al. 2019, Algorithm 1): experience replay whose updates are Reptile
/// meta-updates, so that the gradients of old and new examples are pushed to align (transfer) rather than interfere.
/// For each incoming example (x, y):
///
///     θ_A ← θ
///     for i = 1…s:   B_i ← k−1 rows drawn from the reservoir M, then (x, y)
///                    θ_W ← θ;  for each row (x_j, y_j) of B_i: θ ← θ − α ∇ℓ(x_j, y_j; θ)
///                    θ ← θ_W + β (θ − θ_W)                       (within-batch Reptile)
///     θ ← θ_A + γ (θ − θ_A)                                      (across-batch Reptile)
///     M ← reservoir(M, (x, y))
///
/// α is the loop's learning rate. With an empty memory B_i is the example alone. The minibatch's current rows are
/// processed as a stream, one example after another.
public final class MER: ContinualPlugin {
    /// β, γ, s, k.
    public let beta: Float, gamma: Float, batches: Int, batchRows: Int
    /// The memory.
    public let memory: ReservoirReplayBuffer
    let rows: ReplayRows
    let metaBatches: [MiniBatch]
    let current: MiniBatch
    let acrossStart: UnsafeMutableBufferPointer<Float>
    let withinStart: UnsafeMutableBufferPointer<Float>

    /// A plugin with a memory of `capacity` rows.
    public init(inputDim: Int, parameterCount: Int, capacity: Int, beta: Float, gamma: Float, batches: Int,
                batchRows: Int, seed: UInt64) throws(MnemonetError) {
        self.beta = beta
        self.gamma = gamma
        self.batches = batches
        self.batchRows = batchRows
        memory = try ReservoirReplayBuffer(capacity: capacity, fieldWidths: [inputDim, 1, 1], seed: seed)
        rows = ReplayRows(inputDim: inputDim, capacity: batchRows)
        metaBatches = (0..<batches).map { _ in MiniBatch(capacity: batchRows, inputDim: inputDim) }
        current = MiniBatch(capacity: 1, inputDim: inputDim)
        acrossStart = .allocate(capacity: parameterCount)
        acrossStart.initialize(repeating: 0)
        withinStart = .allocate(capacity: parameterCount)
        withinStart.initialize(repeating: 0)
    }

    deinit {
        acrossStart.deallocate()
        withinStart.deallocate()
    }

    /// θ ← θ_0 + r (θ − θ_0).
    @inline(__always)
    static func interpolate(_ theta: UnsafeMutablePointer<Float>, from start: UnsafePointer<Float>, rate: Float, count n: Int) {
        for i in 0..<n { theta[i] = start[i] + rate * (theta[i] - start[i]) }
    }

    /// One meta-update of the learner's θ over the given batches B_1…B_s (each processed row by row, in order).
    public func metaUpdate(_ learner: ContinualLearner, batches bs: [MiniBatch]) throws(MnemonetError) {
        let p = learner.parameterCount, theta = learner.parameters.baseAddress!, g = learner.gradient.baseAddress!
        acrossStart.baseAddress!.update(from: theta, count: p)
        for b in bs {
            withinStart.baseAddress!.update(from: theta, count: p)
            for r in 0..<b.count {
                _ = try learner.lossAndGradient(
                    theta: theta, x: b.x + r * b.inputDim, labels: b.labels + r, tasks: b.tasks + r, weights: nil,
                    rows: 1, stage: learner.stage, grad: g)
                learner.sgdStep(theta, g, rate: learner.config.learningRate)
            }
            Self.interpolate(theta, from: withinStart.baseAddress!, rate: beta, count: p)
        }
        Self.interpolate(theta, from: acrossStart.baseAddress!, rate: gamma, count: p)
    }

    /// Runs the meta-update for each current row of the batch, then adds the row to the reservoir.
    public func update(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Bool {
        for r in 0..<batch.currentCount {
            current.clear()
            current.append(batch, row: r)
            for b in metaBatches {
                b.clear()
                if memory.count > 0 && batchRows > 1 { try rows.sample(memory, count: batchRows - 1, into: b) }
                b.append(current, row: 0)
            }
            try metaUpdate(learner, batches: metaBatches)
            try rows.add(current, from: 0, count: 1, to: memory)
        }
        return true
    }
}
