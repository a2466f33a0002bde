import MnemonetAgent
import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import MnemonetReplay

/// The replay and optimisation options of the memory agents' cross-entropy path (`MemoryAgentStrategy`,
/// `DNCMemoryAgentStrategy`): the seed's constants by default; `ContinualLearningAgent.fit_stream` passes the agent's.
public struct MemoryAgentOptions: Sendable {
    /// B, replayed rows per step (the controller must batch B + 1 rows).
    public var replayBatch = 8
    /// λ, the weight of each replayed loss.
    public var replayWeight: Float = 0.3
    /// c, the gradient-norm clipping threshold (the seed memory's; the DNC's core clips at its own).
    public var clipNorm: Float = 1
    /// α of P ∝ priority^α and β of the importance weights.
    public var alpha = 0.6, beta = 0.4
    /// false: no replay (the current row's loss only; the rows still enter the replay memory).
    public var useReplay = true
    /// Replay starts once more than max(16, B) rows are stored (the seed's threshold).
    public var threshold: Int { Swift.max(MemoryAgentStrategy.replayThreshold, replayBatch) }

    /// The seed's constants (B 8, λ 0.3, c 1, α 0.6, β 0.4, replay on).
    public init() {}

    /// The settings an existing agent was built with (its B, λ, c, α, β), replay on or off.
    public init(replayBatch: Int, replayWeight: Float, clipNorm: Float, alpha: Double, beta: Double,
                useReplay: Bool) {
        self.replayBatch = replayBatch
        self.replayWeight = replayWeight
        self.clipNorm = clipNorm
        self.alpha = alpha
        self.beta = beta
        self.useReplay = useReplay
    }
}

/// The seed's continual-learning agent applied to classification: the `MemoryController` (LSTM from a zero state,
/// read heads, one write head) over a `NeuralMemoryBank`, trained one example at a time with the seed's
/// `train_step` recipe, but with a cross-entropy head over the first C of its I outputs instead of the MSE:
///
///     z = controller(x, memory)[0..<C]              (reads, then writes the memory)
///     ℓ₀ = CE_A(z, y);   M ← insert((x, y), priority ℓ₀ + 1e-6)
///     L = ℓ₀ + Σ_{j=1..8} 0.3 · w_j · CE_A(controller(x_j, memory)[0..<C], y_j)     when |M| > 16
///     g = ∇L (memory detached);  g ← g · min(1, 1/(‖g‖ + 1e-6));  Adam(lr) step
///
/// A = the active units of each row (the scenario's masks); the 8 replayed rows are drawn without replacement with
/// P ∝ priority^0.6 and importance weights w_j (β = 0.4), as the seed's `ExperienceReplay`. Unlike the seed's
/// ring, rows enter the memory by reservoir sampling, so that it holds the same M-row uniform sample of the stream
/// as the other replay strategies. Prediction runs the controller row by row from a copy of the memory. Needs C ≤ I
/// (the input width d).
///
/// B = 8, 0.3, 0.6, 0.4 and the clip 1 are the defaults of `MemoryAgentOptions`; `init(agent:…)` trains an existing
/// `ContinualLearningAgent`'s controller, memory bank and Adam state in place with the agent's options (this is
/// `ContinualLearningAgent.fit_stream(loss="cross_entropy")`).
public final class MemoryAgentStrategy: ContinualPlugin {
    /// The controller.
    public let controller: MemoryController
    /// The memory bank.
    public let memoryBank: NeuralMemoryBank
    /// The replay memory (fields x [d], label [1], task [1]).
    public let replay: PrioritizedReplayBuffer
    /// Adam over the controller's trainable ranges.
    public let optimizer: Adam
    let rows: ReplayRows
    let trainable: [UnsafeMutableBufferPointer<Float>]
    let trainableGradients: [UnsafeMutableBufferPointer<Float>]
    let batch: MiniBatch
    let logits: UnsafeMutablePointer<Float>     // [B + 1, C]
    let dLogits: UnsafeMutablePointer<Float>    // [B + 1, C]
    let dOutputs: UnsafeMutablePointer<Float>   // [B + 1, O]
    let indices: UnsafeMutableBufferPointer<Int64>
    let weights: UnsafeMutableBufferPointer<Float>
    let classes: Int
    /// B, λ, c, α, β and whether to replay.
    public let options: MemoryAgentOptions
    var seen = 0
    var rng: Xoshiro256

    /// Rows replayed per step, their loss weight and the replay threshold (the seed's constants).
    public static let replayBatch = 8, replayThreshold = 16
    /// The replayed losses' weight 0.3.
    public static let replayScale: Float = 0.3

    /// An agent for inputs of width `inputDim` (= I) and `classes` output units, memory `config`, replay memory of
    /// `capacity` rows, Adam rate `learningRate`.
    public convenience init(inputDim: Int, classes: Int, hiddenDim: Int = 128, config: MemoryConfig = MemoryConfig(),
                            capacity: Int, learningRate: Float = 1e-3, seed: UInt64) throws(MnemonetError) {
        try require(inputDim <= 4096, "the memory agent takes inputs of width <= 4096, got \(inputDim)")
        try require(classes <= inputDim,
                    "the memory agent's outputs have the input width \(inputDim); it cannot classify \(classes) classes")
        var r = Xoshiro256(seed: seed)
        let bank = try NeuralMemoryBank(config: config)
        let controller = try MemoryController(inputDim: inputDim, hiddenDim: hiddenDim, config: config,
                                              capacity: Self.replayBatch + 1, rng: &r)
        let optimizer = Adam(parameterCount: controller.layout.trainableRanges.count, lr: learningRate)
        try self.init(controller: controller, memoryBank: bank, optimizer: optimizer, classes: classes,
                      capacity: capacity, options: MemoryAgentOptions(), replaySeed: r.next(), samplerSeed: r.next())
    }

    /// The cross-entropy head on an existing agent: trains `agent`'s controller, memory bank and Adam state in place
    /// (its own (x, y) replay buffer is not used: the rows and labels go to a reservoir memory of `capacity` rows
    /// that lives as long as this strategy), with the agent's B, λ, c, α, β. The replay memory's seeds are drawn
    /// exactly as the strategy's `init(inputDim:…seed:)` draws them (the controller initialisation it would draw
    /// first is drawn and discarded), so that an agent whose controller equals the strategy's trains identically.
    public convenience init(agent: ContinualLearningAgent, classes: Int, capacity: Int, useReplay: Bool,
                            seed: UInt64) throws(MnemonetError) {
        let c = agent.controller, l = c.layout
        try require(classes <= l.outputDim,
                    "the agent has output_dim=\(l.outputDim) output units; the stream has \(classes)")
        var r = Xoshiro256(seed: seed)
        _ = try MemoryController(inputDim: l.inputDim, hiddenDim: l.hiddenDim, config: agent.config,
                                 capacity: 1, rng: &r)
        let o = MemoryAgentOptions(replayBatch: agent.replayBatchSize, replayWeight: agent.replayWeight,
                                   clipNorm: agent.clipNorm, alpha: agent.replayAlpha, beta: agent.replayBeta,
                                   useReplay: useReplay)
        try self.init(controller: c, memoryBank: agent.memoryBank, optimizer: agent.optimizer, classes: classes,
                      capacity: capacity, options: o, replaySeed: r.next(), samplerSeed: r.next())
    }

    /// The strategy over given parts: `controller` (batching at least B + 1 rows, O ≥ `classes`), its `memoryBank`
    /// and `optimizer` (one slot per trainable range), a reservoir replay memory of `capacity` rows seeded with
    /// `replaySeed` (sampling) and `samplerSeed` (reservoir admission).
    public init(controller: MemoryController, memoryBank: NeuralMemoryBank, optimizer: Adam, classes: Int,
                capacity: Int, options: MemoryAgentOptions, replaySeed: UInt64,
                samplerSeed: UInt64) throws(MnemonetError) {
        let l = controller.layout, k = options.replayBatch
        try require(classes >= 1 && classes <= l.outputDim,
                    "the memory agent's outputs have width \(l.outputDim); it cannot classify \(classes) classes")
        try require(capacity > options.threshold,
                    "the agent's replay memory needs more than \(options.threshold) rows, got \(capacity)")
        try require(k >= 1 && controller.capacity >= k + 1,
                    "the controller batches \(controller.capacity) rows; B = \(k) replayed rows need \(k + 1)")
        try require(optimizer.states.count == l.trainableRanges.count,
                    "the optimizer has \(optimizer.states.count) slots, the controller \(l.trainableRanges.count)")
        self.controller = controller
        self.memoryBank = memoryBank
        self.optimizer = optimizer
        self.options = options
        replay = try PrioritizedReplayBuffer(capacity: capacity, fieldWidths: [l.inputDim, 1, 1], alpha: options.alpha,
                                             sampling: .seedWithoutReplacement, seed: replaySeed)
        let ranges = l.trainableRanges
        trainable = ranges.map { UnsafeMutableBufferPointer(rebasing: controller.parameters[$0]) }
        trainableGradients = ranges.map { UnsafeMutableBufferPointer(rebasing: controller.gradients[$0]) }
        rows = ReplayRows(inputDim: l.inputDim, capacity: k)
        batch = MiniBatch(capacity: k + 1, inputDim: l.inputDim)
        logits = .allocate(capacity: (k + 1) * classes)
        dLogits = .allocate(capacity: (k + 1) * classes)
        dOutputs = .allocate(capacity: (k + 1) * l.outputDim)
        dOutputs.initialize(repeating: 0, count: (k + 1) * l.outputDim)
        indices = .allocate(capacity: k)
        weights = .allocate(capacity: k)
        self.classes = classes
        rng = Xoshiro256(seed: samplerSeed)
    }

    deinit {
        logits.deallocate()
        dLogits.deallocate()
        dOutputs.deallocate()
        indices.deallocate()
        weights.deallocate()
    }

    /// Copies the first C outputs of rows `0..<n` into `logits`.
    func gatherLogits(_ n: Int) {
        let o = controller.layout.outputDim
        for r in 0..<n { (logits + r * classes).update(from: controller.outputs + r * o, count: classes) }
    }

    /// One seed-style step on the example in row 0 of `batch`; returns L.
    func trainStep(_ learner: ContinualLearner) throws(MnemonetError) -> Float {
        let c = controller, d = c.layout.inputDim, o = c.layout.outputDim, heads = learner.heads, stage = learner.stage
        c.inputs.update(from: batch.x, count: d)
        c.forward(row: 0, bank: memoryBank, record: true)
        gatherLogits(1)
        var loss0: Float = 0
        _ = maskedSoftmaxCrossEntropy(logits: logits, rows: 1, classes: classes, labels: batch.labels,
                                      masks: { _ in heads.mask(task: Int(self.batch.tasks[0]), stage: stage) },
                                      weights: nil, dLogits: dLogits, rowLosses: &loss0)
        seen += 1
        try replay.reservoirInsert(item: rows.fields(of: batch, from: 0, count: 1), priority: Double(loss0) + 1e-6,
                                   seen: seen, rng: &rng)
        var n = 1
        var total = loss0
        if options.useReplay && replay.count > options.threshold {
            let k = options.replayBatch
            batch.count = 1
            try replay.sample(batchSize: k, beta: options.beta, indices: indices, weights: weights,
                              fields: rows.destination(in: batch, count: k))
            rows.commit(batch, count: k)
            c.inputs.advanced(by: d).update(from: batch.x + d, count: k * d)
            c.encode(rows: 1, count: k)
            for r in 1...k { c.access(row: r, bank: memoryBank, record: true) }
            c.decode(rows: 1, count: k)
            n = 1 + k
            gatherLogits(n)
            batch.weights[0] = 1
            for j in 0..<k { batch.weights[1 + j] = options.replayWeight * weights[j] }
            // The CE helper averages over rows; the seed's loss is a weighted sum: scale by n.
            total = Float(n) * maskedSoftmaxCrossEntropy(
                logits: logits, rows: n, classes: classes, labels: batch.labels,
                masks: { heads.mask(task: Int(self.batch.tasks[$0]), stage: stage) }, weights: batch.weights,
                dLogits: dLogits, rowLosses: nil)
            for v in 0..<(n * classes) { dLogits[v] *= Float(n) }
        }
        for r in 0..<n { (dOutputs + r * o).update(from: dLogits + r * classes, count: classes) }
        c.pullback(count: n, outputGradients: dOutputs)
        let coefficient = clipCoefficient(totalNorm: gradientNorm(trainableGradients), maxNorm: options.clipNorm)
        for k in 0..<trainable.count {
            optimizer.update(index: k, parameter: trainable[k], gradient: trainableGradients[k], scale: coefficient)
        }
        return total
    }

    /// Trains on each current row of the minibatch in order (one seed step each).
    public func update(_ learner: ContinualLearner, batch b: MiniBatch) throws(MnemonetError) -> Bool {
        for r in 0..<b.currentCount {
            batch.clear()
            batch.append(b, row: r)
            batch.currentCount = 1
            _ = try trainStep(learner)
        }
        return true
    }

    /// The controller's first C outputs, row by row. Each forward reads, then writes the memory, as the seed's
    /// `evaluate` does, but on a copy: the memory and usage are restored afterwards, so that evaluating (after each
    /// task, and the random-init baseline) never changes what the agent trains with.
    public func predict(_ learner: ContinualLearner, x: UnsafePointer<Float>, rows n: Int,
                        logits out: UnsafeMutablePointer<Float>) -> Bool {
        let c = controller, d = c.layout.inputDim
        let memory = Array(memoryBank.memory), usage = Array(memoryBank.usage)
        for r in 0..<n {
            c.inputs.update(from: x + r * d, count: d)
            c.forward(row: 0, bank: memoryBank, record: false)
            (out + r * classes).update(from: c.outputs, count: classes)
        }
        memory.withUnsafeBufferPointer { m in
            usage.withUnsafeBufferPointer { u in try? memoryBank.assign(memory: m, usage: u) }
        }
        return true
    }

    /// M [N, W] of the memory bank.
    public func memoryMatrix() -> [Float]? { Array(memoryBank.memory) }
}
