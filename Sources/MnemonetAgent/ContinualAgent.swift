import MnemonetBase
import MnemonetMemory
import MnemonetReplay

/// What every continual-learning agent offers whatever its memory (`ContinualLearningAgent`: the seed's bank;
/// `DNCMemoryAgent`: the DNC's memory access): the seed's `train_step`, `evaluate`, `predict` and `fit` over samples
/// x, y [I], a prioritized replay buffer of (x, y) pairs, the replay options and checkpoints of kind "agent".
public protocol ContinualAgent: AnyObject {
    /// I, the size of x and y; H, the controller width.
    var inputDim: Int { get }
    /// H, the LSTM width.
    var hiddenDim: Int { get }
    /// O, the size of y.
    var outputDim: Int { get }
    /// N, W, R, H_w.
    var config: MemoryConfig { get }
    /// The replay buffer's capacity and B, replayed samples per step.
    var replayCapacity: Int { get }
    /// B, replayed samples per step.
    var replayBatchSize: Int { get }
    /// λ, the weight of a replayed loss.
    var replayWeight: Float { get }
    /// c, the gradient-norm clipping threshold.
    var clipNorm: Float { get }
    /// α of the priorities.
    var replayAlpha: Double { get }
    /// β of the importance weights.
    var replayBeta: Double { get }
    /// Adam's learning rate.
    var learningRate: Float { get }
    /// The replay buffer of (x, y) pairs.
    var replay: PrioritizedReplayBuffer { get }
    /// Which memory the agent uses.
    var memoryKind: AgentMemoryKind { get }
    /// One training step on x, y [I]; returns the total loss.
    func trainStep(x: UnsafePointer<Float>, y: UnsafePointer<Float>, useReplay: Bool) throws(MnemonetError) -> Double
    /// Mean MSE over `count` samples, writing the memory or not.
    func evaluate(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int,
                  writeMemory: Bool) throws(MnemonetError) -> Double
    /// ŷ [count, I] for x [count, I] without changing the agent.
    func predict(x: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) throws(MnemonetError)
    /// `epochs` passes of `trainStep`; `losses` [epochs · count].
    func fit(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int, epochs: Int, useReplay: Bool,
             losses: UnsafeMutablePointer<Double>) throws(MnemonetError)
    /// The complete checkpoint in memory.
    func checkpointBytes() -> [UInt8]
    /// Writes the checkpoint atomically to `path`.
    func save(path: String) throws(MnemonetError)
    /// M [N, W] then u [N] of the current memory, copied into `out` [N·W + N].
    func copyMemory(into out: UnsafeMutablePointer<Float>)
}

extension ContinualLearningAgent: ContinualAgent {
    /// `.seed`.
    public var memoryKind: AgentMemoryKind { .seed }
    /// M then u from the memory bank.
    public func copyMemory(into out: UnsafeMutablePointer<Float>) {
        let m = memoryBank.memory, u = memoryBank.usage
        out.update(from: m.baseAddress!, count: m.count)
        (out + m.count).update(from: u.baseAddress!, count: u.count)
    }
}

extension DNCMemoryAgent: ContinualAgent {
    /// `.dnc`.
    public var memoryKind: AgentMemoryKind { .dnc }
    /// M then u of the carried memory state.
    public func copyMemory(into out: UnsafeMutablePointer<Float>) { core.copyMemory(into: out) }
}

/// Checks the replay and optimiser options every continual agent shares, throwing `.invalidArgument` naming the
/// offending one: B in 1...4096, capacity in max(16, B) + 1 ... 2^26, lr and c finite and > 0, λ, α, β finite and ≥ 0.
public func validateReplayOptions(replayCapacity: Int, learningRate: Float, replayBatchSize: Int, replayWeight: Float,
                                  clipNorm: Float, replayAlpha: Double, replayBeta: Double) throws(MnemonetError) {
    try require(replayBatchSize >= 1 && replayBatchSize <= 4096,
                "replay_batch_size must be in 1...4096, got \(replayBatchSize)")
    let threshold = Swift.max(ContinualLearningAgent.replayThreshold, replayBatchSize)
    try require(replayCapacity >= threshold + 1 && replayCapacity <= 1 << 26,
                "replay_capacity must be in \(threshold + 1)...\(1 << 26), got \(replayCapacity)")
    try require(learningRate.isFinite && learningRate > 0, "lr must be finite and > 0, got \(learningRate)")
    try require(replayWeight.isFinite && replayWeight >= 0, "replay_weight must be finite and >= 0, got \(replayWeight)")
    try require(clipNorm.isFinite && clipNorm > 0, "clip_norm must be finite and > 0, got \(clipNorm)")
    try require(replayAlpha.isFinite && replayAlpha >= 0, "replay_alpha must be finite and >= 0, got \(replayAlpha)")
    try require(replayBeta.isFinite && replayBeta >= 0, "replay_beta must be finite and >= 0, got \(replayBeta)")
}
