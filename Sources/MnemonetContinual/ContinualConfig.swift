import MnemonetMemory
import MnemonetBase

/// The hyperparameters of a continual-learning run: the classifier, the shared training loop, and every strategy's
/// own constants (each strategy reads only its own).
public struct ContinualConfig: Sendable {
    /// Hidden layer widths of the MLP classifier (ReLU).
    public var hiddenSizes: [Int] = [100, 100]
    /// SGD learning rate η of the shared loop (and MER's inner rate α).
    public var learningRate: Float = 0.05
    /// Passes over each task's training rows.
    public var epochs: Int = 20
    /// Rows of the current task per minibatch.
    public var batchSize: Int = 16
    /// Seeds the initial weights, the shuffling and every replay buffer.
    public var seed: UInt64 = 0
    /// Capacity M of the replay memory (ER, prioritized ER, A-GEM, MER: equal memory for a fair comparison).
    public var bufferSize: Int = 200
    /// Replayed rows appended to each minibatch (ER, prioritized ER).
    public var replayBatch: Int = 16
    /// EWC: λ and the online decay γ of F̃ ← γF̃ + F_t (Schwarz et al. 2018).
    public var ewcLambda: Float = 100, ewcDecay: Float = 1
    /// SI: c and the damping ξ (Zenke, Poole & Ganguli 2017).
    public var siStrength: Float = 1, siDamping: Float = 0.1
    /// LwF: α (weight of the distillation term) and the temperature T.
    public var lwfAlpha: Float = 1, lwfTemperature: Float = 2
    /// A-GEM: rows drawn from the memory for the reference gradient.
    public var agemSampleSize: Int = 64
    /// Prioritized ER: α of P(i) ∝ p_i^α and β of the importance weights.
    public var priorityAlpha: Double = 0.6, priorityBeta: Double = 0.4
    /// MER (Riemer et al. 2019): within-batch rate β, across-batch rate γ, batches s per example, rows k per batch.
    public var merBeta: Float = 0.3, merGamma: Float = 1, merBatches: Int = 5, merBatchRows: Int = 10
    /// N and W of the memory agents' memories (R = 4 read heads, one write head): the seed's 128 × 64 by default.
    public var memorySize: Int = 128, memoryDim: Int = 64
    /// The memory agents' memory: N × W, 4 read heads, 1 write head.
    public var agentMemory: MemoryConfig { MemoryConfig(memorySize: memorySize, memoryDim: memoryDim, numReadHeads: 4) }

    /// The defaults.
    public init() {}

    /// `validate()` plus the buffer sizes that depend on the input width d (each ≤ 2²⁶ floats).
    public func validate(inputDim d: Int) throws(MnemonetError) {
        try validate()
        try require(d >= 1 && d <= 1 << 20, "the input width must be in 1...1048576, got \(d)")
        let limit = 1 << 26
        try require((batchSize + replayBatch) * d <= limit,
                    "(batch_size + replay_batch) × input width = \((batchSize + replayBatch) * d) floats exceeds 2^26")
        try require(bufferSize * (d + 2) <= limit, "buffer_size × (input width + 2) = \(bufferSize * (d + 2)) floats exceeds 2^26")
        try require(agemSampleSize * d <= limit, "agem_sample_size × input width exceeds 2^26 floats")
        try require(merBatches * merBatchRows * d <= limit, "mer_batches × mer_batch_rows × input width exceeds 2^26 floats")
    }

    /// Throws `.invalidArgument` naming the first out-of-range field.
    public func validate() throws(MnemonetError) {
        try require(!hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 >= 1 && $0 <= 65536 },
                    "hidden sizes must be in 1...65536, got \(hiddenSizes)")
        try require(learningRate.isFinite && learningRate > 0, "lr must be finite and > 0, got \(learningRate)")
        try require(epochs >= 1 && epochs <= 100_000, "epochs must be in 1...100000, got \(epochs)")
        try require(batchSize >= 1 && batchSize <= 65536, "batch_size must be in 1...65536, got \(batchSize)")
        try require(bufferSize >= 1 && bufferSize <= 1 << 24, "buffer_size must be in 1...16777216, got \(bufferSize)")
        try require(replayBatch >= 1 && replayBatch <= 65536, "replay_batch must be in 1...65536, got \(replayBatch)")
        for (name, v) in [("ewc_lambda", ewcLambda), ("si_c", siStrength), ("lwf_alpha", lwfAlpha)] {
            try require(v.isFinite && v >= 0, "\(name) must be finite and >= 0, got \(v)")
        }
        try require(ewcDecay.isFinite && ewcDecay >= 0 && ewcDecay <= 1, "ewc_decay must be in [0, 1], got \(ewcDecay)")
        try require(siDamping.isFinite && siDamping > 0, "si_xi must be finite and > 0, got \(siDamping)")
        try require(lwfTemperature.isFinite && lwfTemperature > 0, "lwf_temperature must be > 0, got \(lwfTemperature)")
        try require(agemSampleSize >= 1 && agemSampleSize <= 65536, "agem_sample_size must be in 1...65536, got \(agemSampleSize)")
        try require(priorityAlpha.isFinite && priorityAlpha >= 0, "priority_alpha must be >= 0, got \(priorityAlpha)")
        try require(priorityBeta.isFinite && priorityBeta >= 0, "priority_beta must be >= 0, got \(priorityBeta)")
        try require(merBeta.isFinite && merBeta > 0 && merBeta <= 1, "mer_beta must be in (0, 1], got \(merBeta)")
        try require(merGamma.isFinite && merGamma > 0 && merGamma <= 1, "mer_gamma must be in (0, 1], got \(merGamma)")
        try require(merBatches >= 1 && merBatches <= 1000, "mer_batches must be in 1...1000, got \(merBatches)")
        try require(merBatchRows >= 1 && merBatchRows <= 1000, "mer_batch_rows must be in 1...1000, got \(merBatchRows)")
        try require(memorySize >= 1 && memorySize <= 4096, "memory_size must be in 1...4096, got \(memorySize)")
        try require(memoryDim >= 1 && memoryDim <= 4096, "memory_dim must be in 1...4096, got \(memoryDim)")
    }
}
