import MnemonetBase
import MnemonetReplay

/// Experience replay with a reservoir memory (Chaudhry et al. 2019, "tiny episodic memories"; Rolnick et al. 2019):
/// each minibatch of the current task is concatenated with `replayBatch` rows drawn uniformly from a reservoir of M
/// rows, which holds a uniform sample of every row seen so far (Vitter's Algorithm R, updated after each step).
public final class ExperienceReplay: ContinualPlugin {
    /// Rows replayed per step.
    public let replayBatch: Int
    /// The memory.
    public let memory: ReservoirReplayBuffer
    let rows: ReplayRows

    /// A plugin with a memory of `capacity` rows.
    public init(inputDim: Int, capacity: Int, replayBatch: Int, batchSize: Int, seed: UInt64) throws(MnemonetError) {
        self.replayBatch = replayBatch
        memory = try ReservoirReplayBuffer(capacity: capacity, fieldWidths: [inputDim, 1, 1], seed: seed)
        rows = ReplayRows(inputDim: inputDim, capacity: max(replayBatch, batchSize))
    }

    /// Appends replayed rows.
    public func extendBatch(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) {
        if memory.count > 0 { try rows.sample(memory, count: replayBatch, into: batch) }
    }

    /// Offers the current rows to the reservoir.
    public func afterUpdate(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) {
        try rows.add(batch, from: 0, count: batch.currentCount, to: memory)
    }
}
