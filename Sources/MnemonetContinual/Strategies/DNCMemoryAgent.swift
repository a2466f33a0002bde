import MnemonetAgent
import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import MnemonetReplay

/// The memory agent on the DNC's memory (`ContinualLearningAgent(memory="dnc")` applied to classification): the
/// `MemoryAgentStrategy` recipe with the seed's bank replaced by `DNCMemoryCore` (content + allocation writes,
/// erase/add, read heads; the memory state carried from example to example):
///
///     z, access' = DNC(x, access)[0..<C]                  (writes, then reads the memory)
///     ℓ₀ = CE_A(z, y);   M ← insert((x, y), priority ℓ₀ + 1e-6)
///     L = ℓ₀ + Σ_{j=1..8} 0.3 · w_j · CE_A(DNC(x_j, sg(access'))[0..<C], y_j)     when |M| > 16
///     g = ∇L;  g ← g · min(1, 1/(‖g‖ + 1e-6));  Adam(lr) step;  access ← sg(access')
///
/// The 8 replayed rows run as one batch, each from the memory after the current example's write; their writes are
/// discarded (only the stream writes the memory). Rows enter the replay memory by reservoir sampling and are drawn
/// as in `MemoryAgentStrategy` (P ∝ priority^0.6, β = 0.4). Prediction reads every row from the memory as it is
/// (no write persists). Needs C ≤ I.
public final class DNCMemoryAgentStrategy: ContinualPlugin {
    /// The DNC, its Adam optimizer and the carried memory state.
    public let core: DNCMemoryCore
    /// The replay memory (fields x [d], label [1], task [1]).
    public let replay: PrioritizedReplayBuffer
    let rows: ReplayRows
    let batch: MiniBatch
    let logits: UnsafeMutablePointer<Float>     // [9, C]
    let dLogits: UnsafeMutablePointer<Float>    // [9, C]
    let indices: UnsafeMutableBufferPointer<Int64>
    let weights: UnsafeMutableBufferPointer<Float>
    let classes: Int
    /// B, λ, α, β and whether to replay (the clip is the core's).
    public let options: MemoryAgentOptions
    var seen = 0
    var rng: Xoshiro256

    /// An agent for inputs of width `inputDim` (= I) and `classes` output units, DNC memory `config`, LSTM width
    /// `hiddenDim`, replay memory of `capacity` rows, Adam rate `learningRate`.
    public convenience init(inputDim: Int, classes: Int, hiddenDim: Int = 128, config: MemoryConfig, capacity: Int,
                            learningRate: Float = 1e-3, seed: UInt64) throws(MnemonetError) {
        try require(classes <= inputDim,
                    "the memory agent's outputs have the input width \(inputDim); it cannot classify \(classes) classes")
        var r = Xoshiro256(seed: seed)
        let dc = DNCConfig(inputSize: inputDim, outputSize: inputDim, hiddenSize: hiddenDim, memory: config)
        try dc.validate()
        let core = try DNCMemoryCore(config: dc, learningRate: learningRate, clipNorm: 1, seed: r.next())
        try self.init(core: core, classes: classes, capacity: capacity, options: MemoryAgentOptions(),
                      replaySeed: r.next(), samplerSeed: r.next())
    }

    /// The cross-entropy head on an existing `DNCMemoryAgent`: trains its DNC, Adam state and carried memory state
    /// in place (its own (x, y) replay buffer is not used: rows and labels go to a reservoir memory of `capacity`
    /// rows that lives as long as this strategy), with the agent's B, λ, α, β and clip. The replay memory's seeds
    /// are drawn as `init(inputDim:…seed:)` draws them (after the core's seed), so that an agent whose DNC equals
    /// the strategy's trains identically.
    public convenience init(agent: DNCMemoryAgent, classes: Int, capacity: Int, useReplay: Bool,
                            seed: UInt64) throws(MnemonetError) {
        var r = Xoshiro256(seed: seed)
        _ = r.next()  // the core's seed in init(inputDim:…seed:)
        let o = MemoryAgentOptions(replayBatch: agent.replayBatchSize, replayWeight: agent.replayWeight,
                                   clipNorm: agent.clipNorm, alpha: agent.replayAlpha, beta: agent.replayBeta,
                                   useReplay: useReplay)
        try self.init(core: agent.core, classes: classes, capacity: capacity, options: o, replaySeed: r.next(),
                      samplerSeed: r.next())
    }

    /// The strategy over a given `core` (O ≥ `classes`), a reservoir replay memory of `capacity` rows seeded with
    /// `replaySeed` (sampling) and `samplerSeed` (reservoir admission).
    public init(core: DNCMemoryCore, classes: Int, capacity: Int, options: MemoryAgentOptions, replaySeed: UInt64,
                samplerSeed: UInt64) throws(MnemonetError) {
        let k = options.replayBatch, d = core.inputSize
        try require(classes >= 1 && classes <= core.outputSize,
                    "the memory agent's outputs have width \(core.outputSize); it cannot classify \(classes) classes")
        try require(capacity > options.threshold,
                    "the agent's replay memory needs more than \(options.threshold) rows, got \(capacity)")
        try require(k >= 1, "replay_batch_size must be >= 1, got \(k)")
        self.core = core
        self.options = options
        replay = try PrioritizedReplayBuffer(capacity: capacity, fieldWidths: [d, 1, 1], alpha: options.alpha,
                                             sampling: .seedWithoutReplacement, seed: replaySeed)
        rows = ReplayRows(inputDim: d, capacity: k)
        batch = MiniBatch(capacity: k + 1, inputDim: d)
        logits = .allocate(capacity: (k + 1) * classes)
        dLogits = .allocate(capacity: (k + 1) * classes)
        indices = .allocate(capacity: k)
        weights = .allocate(capacity: k)
        self.classes = classes
        rng = Xoshiro256(seed: samplerSeed)
    }

    deinit {
        logits.deallocate()
        dLogits.deallocate()
        indices.deallocate()
        weights.deallocate()
    }

    /// Copies the first C columns of ŷ [n, I] into `logits` rows `from..<from + n`.
    func gatherLogits(_ y: Variable, from: Int) {
        let i = core.outputSize, v = y.value
        for r in 0..<v.shape[0] { (logits + (from + r) * classes).update(from: v.pointer + r * i, count: classes) }
    }

    /// Σ ŷ ⊙ G with G [n, I] = `dLogits` rows `from..<from + n` in the first C columns (0 elsewhere): its gradient
    /// with respect to ŷ is G, so backpropagating it gives the cross-entropy's parameter gradient.
    func surrogate(_ y: Variable, from: Int) -> Variable {
        let n = y.shape[0], i = core.outputSize
        let g = Tensor(shape: [n, i])
        for r in 0..<n { (g.pointer + r * i).update(from: dLogits + (from + r) * classes, count: classes) }
        return (y * Variable(g)).sum()
    }

    /// One step on the example in row 0 of `batch`; returns L.
    func trainStep(_ learner: ContinualLearner) throws(MnemonetError) -> Float {
        let d = core.inputSize, heads = learner.heads, stage = learner.stage
        let (y0, s0) = core.step(batch.x, from: core.access)
        gatherLogits(y0, from: 0)
        var loss0: Float = 0
        _ = maskedSoftmaxCrossEntropy(logits: logits, rows: 1, classes: classes, labels: batch.labels,
                                      masks: { _ in heads.mask(task: Int(self.batch.tasks[0]), stage: stage) },
                                      weights: nil, dLogits: dLogits, rowLosses: &loss0)
        seen += 1
        try replay.reservoirInsert(item: rows.fields(of: batch, from: 0, count: 1), priority: Double(loss0) + 1e-6,
                                   seen: seen, rng: &rng)
        let state = s0.detached()
        var total = loss0
        var yr: Variable? = nil
        if options.useReplay && replay.count > options.threshold {
            let k = options.replayBatch
            batch.count = 1
            try replay.sample(batchSize: k, beta: options.beta, indices: indices, weights: weights,
                              fields: rows.destination(in: batch, count: k))
            rows.commit(batch, count: k)
            let y = core.stepEach(batch.x + d, rows: k, from: state)
            gatherLogits(y, from: 1)
            yr = y
            let n = 1 + k
            batch.weights[0] = 1
            for j in 0..<k { batch.weights[1 + j] = options.replayWeight * weights[j] }
            // The CE helper averages over rows; the seed's loss is a weighted sum: scale by n.
            total = Float(n) * maskedSoftmaxCrossEntropy(
                logits: logits, rows: n, classes: classes, labels: batch.labels,
                masks: { heads.mask(task: Int(self.batch.tasks[$0]), stage: stage) }, weights: batch.weights,
                dLogits: dLogits, rowLosses: nil)
            for v in 0..<(n * classes) { dLogits[v] *= Float(n) }
        }
        var loss = surrogate(y0, from: 0)
        if let yr { loss = loss + surrogate(yr, from: 1) }
        try core.apply(loss: loss, next: state)
        return total
    }

    /// Trains on each current row of the minibatch in order (one step each).
    public func update(_ learner: ContinualLearner, batch b: MiniBatch) throws(MnemonetError) -> Bool {
        for r in 0..<b.currentCount {
            batch.clear()
            batch.append(b, row: r)
            batch.currentCount = 1
            _ = try trainStep(learner)
        }
        return true
    }

    /// The first C outputs of every row, each read from the memory as it is (in batches of up to 256 rows).
    public func predict(_ learner: ContinualLearner, x: UnsafePointer<Float>, rows n: Int,
                        logits out: UnsafeMutablePointer<Float>) -> Bool {
        let d = core.inputSize
        var start = 0
        while start < n {
            let m = min(256, n - start)
            let y = core.stepEach(x + start * d, rows: m, from: core.access).value
            for r in 0..<m { (out + (start + r) * classes).update(from: y.pointer + r * d, count: classes) }
            start += m
        }
        return true
    }

    /// M [N, W] of the carried memory state.
    public func memoryMatrix() -> [Float]? { core.access.memory.value.array }
}
