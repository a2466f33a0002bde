import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import MnemonetReplay

/// The seed's `ContinualLearningAgent`: a `MemoryController` with a `NeuralMemoryBank`, prioritized experience
/// replay (the seed's `ExperienceReplay` semantics) and Adam, trained one sample at a time.
///
/// `trainStep(x, y)` is exactly the seed's `train_step`:
///
///     ŷ = controller(x, memory)                   (reads, then writes the memory)
///     ℓ₀ = mse(ŷ, y);   replay.push((x, y), priority = ℓ₀ + 1e-6)
///     L = ℓ₀ + Σ_{j=1..B} λ · w_j · mse(controller(x_j, memory), y_j)     if use_replay and |replay| > max(16, B)
///     g = ∇L (memory detached);   g ← g · min(1, c / (‖g‖ + 1e-6));   Adam(lr) step
///
/// where the B replayed samples are drawn without replacement with probability ∝ priority^α and weighted by
/// `w_j = (N P(j))^−β / max`. The seed's values (the defaults): B = 8, λ = 0.3, c = 1, α = 0.6, β = 0.4. The replayed forwards run in order (each writes the memory the next reads), but
/// their LSTM, heads and output layers are batched into GEMMs, as are all nine pullbacks.
///
/// x has I values and y has O (`outputDim`; the seed's O = I). O sizes only the controller's output layer: the
/// memory is written from the controller state (write key, vector, erase are heads of s), never from ŷ, and the
/// replay buffer stores (x [I], y [O]) pairs.
///
/// All buffers are allocated at construction: a step allocates nothing (the replay buffer's `sample` validates the
/// preallocated field views in place).
public final class ContinualLearningAgent {
    /// Number of stored items above which replay starts (`len(buffer) > 16`).
    public static let replayThreshold = 16
    /// The seed's replayed samples per step.
    public static let replayBatch = 8
    /// The seed's weight of a replayed loss (`0.3 · weight · loss`).
    public static let replayScale: Float = 0.3
    /// The seed's β of the importance weights (its `sample(8)` default).
    public static let importanceBeta = 0.4
    /// The seed's gradient-norm clipping threshold.
    public static let maxGradNorm: Float = 1.0

    /// B, replayed samples per step.
    public let replayBatchSize: Int
    /// λ, the weight of a replayed loss.
    public let replayWeight: Float
    /// c, the gradient-norm clipping threshold.
    public let clipNorm: Float
    /// α of the replay buffer's priorities.
    public let replayAlpha: Double
    /// β of the importance weights.
    public let replayBeta: Double

    /// I, the size of x; H, the LSTM width.
    public let inputDim: Int, hiddenDim: Int
    /// O, the size of y and of the controller's output (the seed's O = I).
    public let outputDim: Int
    /// The memory's shape (N, W, R).
    public let config: MemoryConfig
    /// Maximum number of (x, y) pairs the replay buffer keeps (the oldest is overwritten).
    public let replayCapacity: Int
    /// Adam's learning rate.
    public let learningRate: Float
    /// The memory bank (M, u).
    public let memoryBank: NeuralMemoryBank
    /// The controller (parameters, gradients, workspace).
    public let controller: MemoryController
    /// The replay buffer of (x, y) pairs (fields of widths [I, O], seed sampling mode, α = 0.6).
    public internal(set) var replay: PrioritizedReplayBuffer
    /// Adam over the controller's trainable ranges (`ControllerLayout.trainableRanges`, one state slot each).
    public internal(set) var optimizer: Adam
    /// PyTorch's Adam arithmetic bit for bit (`sqrtps` and two `divps` per 8 parameters) when true; when false (the
    /// default) √v and the quotient come from refined hardware estimates (`Adam.fastDivision`): each update within
    /// a few 1e-7 of PyTorch's, relative, and the step no longer bound by the divider.
    public var exactAdam: Bool {
        get { !optimizer.fastDivision }
        set { optimizer.fastDivision = !newValue }
    }

    // Preallocated per-step views (no allocation in the hot path).
    let trainable: [UnsafeMutableBufferPointer<Float>]
    let trainableGradients: [UnsafeMutableBufferPointer<Float>]
    let clipGradients: [UnsafeMutableBufferPointer<Float>]
    let replayFields: [UnsafeMutableRawBufferPointer]
    let pushFields: [UnsafeRawBufferPointer]
    let biasGradients: [[UnsafeMutableBufferPointer<Float>]]
    let biasSlots = [1, 2, 4, 6]
    let replayIndices: UnsafeMutableBufferPointer<Int64>
    let replayWeights: UnsafeMutableBufferPointer<Float>
    let scales: UnsafeMutablePointer<Float>
    /// M and u as they were before the current step or evaluation ([N·W + N]): restored if it fails.
    let memorySnapshot: UnsafeMutableBufferPointer<Float>
    /// What the current step's replay push and sample change: restored if it fails.
    let replayUndo: ReplayUndoRecord

    /// A fresh agent (the seed's defaults: I = 64, H = 128, O = I, `MemoryConfig()`, replay capacity 5000, lr 1e-3,
    /// B = 8, λ = 0.3, c = 1, α = 0.6, β = 0.4). `seed` fixes the initial weights and the replay sampler; `nil`
    /// draws them from the system.
    public init(inputDim: Int = 64, hiddenDim: Int = 128, outputDim: Int? = nil, config: MemoryConfig = MemoryConfig(),
                replayCapacity: Int = 5000, learningRate: Float = 1e-3, replayBatchSize: Int = 8,
                replayWeight: Float = 0.3, clipNorm: Float = 1.0, replayAlpha: Double = 0.6, replayBeta: Double = 0.4,
                seed: UInt64? = nil) throws(MnemonetError) {
        try require(inputDim >= 1 && inputDim <= 1 << 16, "input_dim must be in 1...65536, got \(inputDim)")
        try require(hiddenDim >= 1 && hiddenDim <= 1 << 16, "hidden_dim must be in 1...65536, got \(hiddenDim)")
        try validateReplayOptions(replayCapacity: replayCapacity, learningRate: learningRate,
                                  replayBatchSize: replayBatchSize, replayWeight: replayWeight, clipNorm: clipNorm,
                                  replayAlpha: replayAlpha, replayBeta: replayBeta)
        self.replayBatchSize = replayBatchSize
        self.replayWeight = replayWeight
        self.clipNorm = clipNorm
        self.replayAlpha = replayAlpha
        self.replayBeta = replayBeta
        var rng = seed.map { Xoshiro256(seed: $0) } ?? Xoshiro256()
        self.inputDim = inputDim
        self.hiddenDim = hiddenDim
        let o = outputDim ?? inputDim
        try require(o >= 1 && o <= 1 << 16, "output_dim must be in 1...65536, got \(o)")
        self.outputDim = o
        self.config = config
        self.replayCapacity = replayCapacity
        self.learningRate = learningRate
        memoryBank = try NeuralMemoryBank(config: config)
        controller = try MemoryController(inputDim: inputDim, hiddenDim: hiddenDim, outputDim: o, config: config,
                                          capacity: replayBatchSize + 1, rng: &rng)
        replay = try PrioritizedReplayBuffer(capacity: replayCapacity, fieldWidths: [inputDim, o], alpha: replayAlpha,
                                             sampling: .seedWithoutReplacement, seed: rng.next())
        let layout = controller.layout
        optimizer = Adam(parameterCount: layout.trainableRanges.count, lr: learningRate)
        optimizer.fastDivision = true
        let p = controller.parameters, g = controller.gradients
        trainable = layout.trainableRanges.map { UnsafeMutableBufferPointer(rebasing: p[$0]) }
        trainableGradients = layout.trainableRanges.map { UnsafeMutableBufferPointer(rebasing: g[$0]) }
        // clip_grad_norm_ sees every gradient that is not None: all tensors but the four write heads (W_hh's is 0).
        // (W_hh's is exactly zero, so leaving it out changes no bit of the norm.)
        clipGradients = layout.tensors
            .filter { !$0.name.hasPrefix("write_") && !$0.name.hasPrefix("erase_") && $0.name != "lstm.weight_hh_l0" }
            .map { UnsafeMutableBufferPointer(rebasing: g[$0.offset..<($0.offset + $0.count)]) }
        let b = replayBatchSize
        replayFields = [UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(start: controller.inputs + inputDim, count: b * inputDim)),
                        UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(start: controller.targets + o, count: b * o))]
        // The bias gradients (b_ih, b_hh, read entries of b_heads, b_out): the trainable slots 1, 2, 4, 6.
        biasGradients = [1, 2, 4, 6].map { [UnsafeMutableBufferPointer(rebasing: g[layout.trainableRanges[$0]])] }
        pushFields = [UnsafeRawBufferPointer(UnsafeBufferPointer(start: controller.inputs, count: inputDim)),
                      UnsafeRawBufferPointer(UnsafeBufferPointer(start: controller.targets, count: o))]
        replayIndices = .allocate(capacity: b)
        replayWeights = .allocate(capacity: b)
        scales = .allocate(capacity: b + 1)
        memorySnapshot = .allocate(capacity: config.memorySize * config.memoryDim + config.memorySize)
        replayUndo = replay.makeUndoRecord()
    }

    deinit {
        replayIndices.deallocate()
        replayWeights.deallocate()
        scales.deallocate()
        memorySnapshot.deallocate()
    }

    /// Copies M and u into `memorySnapshot`.
    func snapshotMemory() {
        let m = memoryBank.memory, u = memoryBank.usage
        memorySnapshot.baseAddress!.update(from: m.baseAddress!, count: m.count)
        (memorySnapshot.baseAddress! + m.count).update(from: u.baseAddress!, count: u.count)
    }

    /// Puts M and u back from `memorySnapshot`.
    func restoreMemory() {
        let m = memoryBank.memory, u = memoryBank.usage
        m.baseAddress!.update(from: memorySnapshot.baseAddress!, count: m.count)
        u.baseAddress!.update(from: memorySnapshot.baseAddress! + m.count, count: u.count)
    }

    /// The seed's `train_step(x, y, use_replay)`: x [I], y [O]; returns the total loss L.
    public func trainStep(x: UnsafePointer<Float>, y: UnsafePointer<Float>, useReplay: Bool) throws(MnemonetError) -> Double {
        try trainStep(x: x, y: y, useReplay: useReplay, draws: nil)
    }

    /// `trainStep` with the replay draws given instead of sampled: `indices` [8] (positions in the buffer, 0 = oldest,
    /// like the seed's deque indices, taken after the current sample is pushed) and `weights` [8]. For reproducing a
    /// recorded PyTorch run; replay happens when more than 16 items are stored, as in `trainStep`.
    public func trainStep(x: UnsafePointer<Float>, y: UnsafePointer<Float>, replayIndices indices: UnsafePointer<Int64>,
                          replayWeights weights: UnsafePointer<Float>) throws(MnemonetError) -> Double {
        try trainStep(x: x, y: y, useReplay: true, draws: (indices, weights))
    }

    func trainStep(x: UnsafePointer<Float>, y: UnsafePointer<Float>, useReplay: Bool,
                   draws: (UnsafePointer<Int64>, UnsafePointer<Float>)?) throws(MnemonetError) -> Double {
        let i = inputDim, o = outputDim, c = controller
        try requireFinite(UnsafeBufferPointer(start: x, count: i), "x")
        try requireFinite(UnsafeBufferPointer(start: y, count: o), "y")
        // Transactional: the forward writes M and u, the push and the sample change the replay buffer and its random
        // state. If the loss or the gradient turns out non-finite, all of it is put back and nothing is updated, so
        // the agent is bit-identical to its state before the call (weights, Adam moments, M, u, replay, RNG).
        snapshotMemory()
        c.inputs.update(from: x, count: i)
        c.targets.update(from: y, count: o)
        c.forward(row: 0, bank: memoryBank, record: true)
        let current = c.loss(row: 0)
        guard current.isFinite else {
            restoreMemory()
            throw .nonFinite("train_step: the loss is \(current) (inputs are finite, but the forward pass overflowed); "
                             + "the agent is unchanged")
        }
        replay.record(replayUndo)
        do {
            return try update(draws: draws, useReplay: useReplay, current: current)
        } catch {
            replay.restore(replayUndo)
            restoreMemory()
            throw error
        }
    }

    /// The part of a step after the current sample's forward: push, replay, pullback, clipping and Adam. Throws
    /// before changing any parameter or moment when the total loss or the gradient norm is not finite.
    func update(draws: (UnsafePointer<Int64>, UnsafePointer<Float>)?, useReplay: Bool,
                current: Float) throws(MnemonetError) -> Double {
        let c = controller
        try replay.add(item: pushFields, priority: Double(current) + 1e-6)  // row 0 holds (x, y)
        var total = current
        var rows = 1
        scales[0] = 1
        if useReplay && replay.count > Swift.max(Self.replayThreshold, replayBatchSize) {
            let b = replayBatchSize
            if let (indices, weights) = draws {
                try gather(indices: indices, weights: weights)
            } else {
                try replay.sample(batchSize: b, beta: replayBeta, indices: replayIndices,
                                  weights: replayWeights, fields: replayFields)
            }
            c.encode(rows: 1, count: b)
            for r in 1...b { c.access(row: r, bank: memoryBank, record: true) }
            c.decode(rows: 1, count: b)
            for r in 1...b {
                let w = replayWeights[r - 1]
                total = total + (replayWeight * c.loss(row: r)) * w
                scales[r] = w * replayWeight
            }
            rows = 1 + b
        }
        guard total.isFinite else {
            throw .nonFinite("train_step: the loss with replay is \(total); the agent is unchanged")
        }
        if rows == 1 {
            // One row: the weight gradients are outer products; Adam forms them on the fly (bit-identical) and
            // their norms come from the factors, so no weight-gradient buffer is written or read.
            c.pullback(count: 1, scales: scales, weightGradients: false)
            let sq = oneRowGradientNormSquared()
            guard sq.isFinite else {
                throw .nonFinite("train_step: the gradient norm is \(sq.squareRoot()); the agent is unchanged")
            }
            oneRowAdam(scale: clipCoefficient(totalNorm: Float(sq.squareRoot()), maxNorm: clipNorm))
        } else {
            c.pullback(count: rows, scales: scales)
            // clip_grad_norm_(…, 1.0) then Adam, fused: the clip coefficient is applied inside the update.
            let norm = gradientNorm(clipGradients)
            guard norm.isFinite else {
                throw .nonFinite("train_step: the gradient norm is \(norm); the agent is unchanged")
            }
            let coefficient = clipCoefficient(totalNorm: norm, maxNorm: clipNorm)
            for k in 0..<trainable.count {
                optimizer.update(index: k, parameter: trainable[k], gradient: trainableGradients[k], scale: coefficient)
            }
        }
        return Double(total)
    }

    /// Copies the items at buffer positions `indices` (0 = oldest) into the replay rows, with `weights`.
    func gather(indices: UnsafePointer<Int64>, weights: UnsafePointer<Float>) throws(MnemonetError) {
        let n = replay.count, cap = replay.capacity, i = inputDim, o = outputDim
        for j in 0..<replayBatchSize {
            let k = indices[j]
            guard k >= 0 && k < Int64(n) else {
                throw .indexOutOfRange("replay index \(k) is out of range for a buffer of \(n) item(s)")
            }
            let slot = n < cap ? Int(k) : (replay.position + Int(k)) % cap
            (controller.inputs + (1 + j) * i).update(from: replay.storage.row(slot, field: 0).baseAddress!, count: i)
            (controller.targets + (1 + j) * o).update(from: replay.storage.row(slot, field: 1).baseAddress!, count: o)
            replayIndices[j] = k
            replayWeights[j] = weights[j]
        }
    }

    /// The mean over `count` samples (x [count, I], y [count, O]) of mse(controller(x), y). With `writeMemory` (the seed's
    /// `evaluate(test_data)`) each forward writes the memory, as in training; without, every forward reads the
    /// memory as it is and nothing in the agent changes (two identical calls give identical results).
    public func evaluate(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int,
                         writeMemory: Bool = true) throws(MnemonetError) -> Double {
        try require(count >= 1, "evaluate needs at least one sample, got \(count)")
        let i = inputDim, o = outputDim, c = controller
        try requireFinite(UnsafeBufferPointer(start: x, count: count * i), "X", columns: i)
        try requireFinite(UnsafeBufferPointer(start: y, count: count * o), "Y", columns: o)
        snapshotMemory()
        var total = 0.0
        for s in 0..<count {
            c.inputs.update(from: x + s * i, count: i)
            c.targets.update(from: y + s * o, count: o)
            c.forward(row: 0, bank: memoryBank, record: false, write: writeMemory)
            let loss = c.loss(row: 0)
            guard loss.isFinite else {
                restoreMemory()
                throw .nonFinite("evaluate: the loss of sample \(s) is \(loss) (the forward pass overflowed); "
                                 + "the memory is unchanged")
            }
            total += Double(loss)
        }
        return total / Double(count)
    }

    /// The controller's outputs ŷ [count, O] for x [count, I], reading the memory without writing it and without
    /// training: nothing in the agent changes.
    public func predict(x: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) throws(MnemonetError) {
        try require(count >= 0, "predict needs count >= 0, got \(count)")
        let i = inputDim, o = outputDim, c = controller
        for s in 0..<count {
            c.inputs.update(from: x + s * i, count: i)
            c.forward(row: 0, bank: memoryBank, record: false, write: false)
            (output + s * o).update(from: c.outputs, count: o)
        }
    }

    /// `epochs` passes of `trainStep` over `count` samples (x [count, I], y [count, O]) in order; `losses` [epochs · count] receives each step's L.
    public func fit(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int, epochs: Int, useReplay: Bool,
                    losses: UnsafeMutablePointer<Double>) throws(MnemonetError) {
        try require(count >= 1, "fit needs at least one sample, got \(count)")
        try require(epochs >= 0, "epochs must be >= 0, got \(epochs)")
        // The whole data set is checked before the first step (not at the step that meets the first NaN).
        try requireFinite(UnsafeBufferPointer(start: x, count: count * inputDim), "X", columns: inputDim)
        try requireFinite(UnsafeBufferPointer(start: y, count: count * outputDim), "Y", columns: outputDim)
        var k = 0
        for _ in 0..<epochs {
            for s in 0..<count {
                losses[k] = try trainStep(x: x + s * inputDim, y: y + s * outputDim, useReplay: useReplay)
                k += 1
            }
        }
    }
}

extension ContinualLearningAgent {
    /// ‖g‖² of a one-row step (after `pullback(count: 1, …, weightGradients: false)`): the bias gradients' norms plus
    /// the three weight gradients' norms, computed from their outer-product factors (no weight-gradient buffer).
    @inline(__always)
    func oneRowGradientNormSquared() -> Double {
        let l = controller.layout, f = controller.outerFactors
        let i = l.inputDim, o = l.outputDim, h = l.hiddenDim, rh = l.readHeadCount, cc = l.combinedCount
        var sq = 0.0
        for g in biasGradients { let v = Double(gradientNorm(g)); sq += v * v }
        let n0 = Double(outerProductNorm(f.inputLeft, count: 4 * h, f.inputRight, count: i))
        let n1 = Double(outerProductNorm(f.headLeft, count: rh, f.headRight, count: h))
        let n2 = Double(outerProductNorm(f.outputLeft, count: o, f.outputRight, count: cc))
        return sq + n0 * n0 + n1 * n1 + n2 * n2
    }

    /// Adam on every trainable tensor of a one-row step, the gradients scaled by `scale` (the clip coefficient)
    /// inside the update: the three weight blocks from their outer-product factors (formed on the fly,
    /// bit-identical), the biases from their gradient buffers.
    @inline(__always)
    func oneRowAdam(scale: Float) {
        let l = controller.layout, f = controller.outerFactors
        let i = l.inputDim, o = l.outputDim, h = l.hiddenDim, rh = l.readHeadCount, cc = l.combinedCount
        optimizer.update(index: 0, parameter: trainable[0], outerLeft: f.inputLeft, rows: 4 * h,
                         outerRight: f.inputRight, columns: i, scale: scale)
        optimizer.update(index: 3, parameter: trainable[3], outerLeft: f.headLeft, rows: rh,
                         outerRight: f.headRight, columns: h, scale: scale)
        optimizer.update(index: 5, parameter: trainable[5], outerLeft: f.outputLeft, rows: o,
                         outerRight: f.outputRight, columns: cc, scale: scale)
        for k in biasSlots {
            optimizer.update(index: k, parameter: trainable[k], gradient: trainableGradients[k], scale: scale)
        }
    }
}
