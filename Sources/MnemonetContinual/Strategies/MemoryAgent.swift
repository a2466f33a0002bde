import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import MnemonetReplay

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
    let logits: UnsafeMutablePointer<Float>     // [9, C]
    let dLogits: UnsafeMutablePointer<Float>    // [9, C]
    let dOutputs: UnsafeMutablePointer<Float>   // [9, I]
    let indices: UnsafeMutableBufferPointer<Int64>
    let weights: UnsafeMutableBufferPointer<Float>
    let classes: Int
    var seen = 0
    var rng: Xoshiro256

    /// Rows replayed per step, their loss weight and the replay threshold (the seed's constants).
    public static let replayBatch = 8, replayThreshold = 16
    /// The replayed losses' weight 0.3.
    public static let replayScale: Float = 0.3

    /// An agent for inputs of width `inputDim` (= I) and `classes` output units, memory `config`, replay memory of
    /// `capacity` rows, Adam rate `learningRate`.
    public init(inputDim: Int, classes: Int, hiddenDim: Int = 128, config: MemoryConfig = MemoryConfig(),
                capacity: Int, learningRate: Float = 1e-3, seed: UInt64) throws(MnemonetError) {
        try require(inputDim <= 4096, "the memory agent takes inputs of width <= 4096, got \(inputDim)")
        try require(classes <= inputDim,
                    "the memory agent's outputs have the input width \(inputDim); it cannot classify \(classes) classes")
        try require(capacity > Self.replayThreshold, "the agent's replay memory needs more than \(Self.replayThreshold) rows, got \(capacity)")
        var r = Xoshiro256(seed: seed)
        memoryBank = try NeuralMemoryBank(config: config)
        let controller = try MemoryController(inputDim: inputDim, hiddenDim: hiddenDim, config: config,
                                              capacity: Self.replayBatch + 1, rng: &r)
        self.controller = controller
        replay = try PrioritizedReplayBuffer(capacity: capacity, fieldWidths: [inputDim, 1, 1], alpha: 0.6,
                                             sampling: .seedWithoutReplacement, seed: r.next())
        let ranges = controller.layout.trainableRanges
        optimizer = Adam(parameterCount: ranges.count, lr: learningRate)
        trainable = ranges.map { UnsafeMutableBufferPointer(rebasing: controller.parameters[$0]) }
        trainableGradients = ranges.map { UnsafeMutableBufferPointer(rebasing: controller.gradients[$0]) }
        rows = ReplayRows(inputDim: inputDim, capacity: Self.replayBatch)
        batch = MiniBatch(capacity: Self.replayBatch + 1, inputDim: inputDim)
        let b = Self.replayBatch + 1
        logits = .allocate(capacity: b * classes)
        dLogits = .allocate(capacity: b * classes)
        dOutputs = .allocate(capacity: b * inputDim)
        dOutputs.initialize(repeating: 0, count: b * inputDim)
        indices = .allocate(capacity: Self.replayBatch)
        weights = .allocate(capacity: Self.replayBatch)
        self.classes = classes
        rng = Xoshiro256(seed: r.next())
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
        let i = controller.layout.inputDim
        for r in 0..<n { (logits + r * classes).update(from: controller.outputs + r * i, count: classes) }
    }

    /// One seed-style step on the example in row 0 of `batch`; returns L.
    func trainStep(_ learner: ContinualLearner) throws(MnemonetError) -> Float {
        let c = controller, d = c.layout.inputDim, heads = learner.heads, stage = learner.stage
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
        if replay.count > Self.replayThreshold {
            let k = Self.replayBatch
            batch.count = 1
            try replay.sample(batchSize: k, beta: 0.4, indices: indices, weights: weights,
                              fields: rows.destination(in: batch, count: k))
            rows.commit(batch, count: k)
            c.inputs.advanced(by: d).update(from: batch.x + d, count: k * d)
            c.encode(rows: 1, count: k)
            for r in 1...k { c.access(row: r, bank: memoryBank, record: true) }
            c.decode(rows: 1, count: k)
            n = 1 + k
            gatherLogits(n)
            batch.weights[0] = 1
            for j in 0..<k { batch.weights[1 + j] = Self.replayScale * weights[j] }
            // The CE helper averages over rows; the seed's loss is a weighted sum: scale by n.
            total = Float(n) * maskedSoftmaxCrossEntropy(
                logits: logits, rows: n, classes: classes, labels: batch.labels,
                masks: { heads.mask(task: Int(self.batch.tasks[$0]), stage: stage) }, weights: batch.weights,
                dLogits: dLogits, rowLosses: nil)
            for v in 0..<(n * classes) { dLogits[v] *= Float(n) }
        }
        for r in 0..<n { (dOutputs + r * d).update(from: dLogits + r * classes, count: classes) }
        c.pullback(count: n, outputGradients: dOutputs)
        let coefficient = clipCoefficient(totalNorm: gradientNorm(trainableGradients), maxNorm: 1)
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
