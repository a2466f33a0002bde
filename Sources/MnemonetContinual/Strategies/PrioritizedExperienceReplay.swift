import MnemonetBase
import MnemonetReplay

/// Experience replay with the prioritized buffer (Schaul et al. 2016, proportional, stratified): replayed rows are
/// drawn with P(i) ∝ p_i^α and weighted by the importance weights w_i (β); each row's priority is its latest loss ℓ_i
/// (new rows enter with their loss on the step that saw them). Rows enter by reservoir sampling (Algorithm R, as
/// ``ExperienceReplay``), so both replay strategies keep a uniform sample of the stream in the same M rows and differ
/// only in how they draw from it.
public final class PrioritizedExperienceReplay: ContinualPlugin {
    /// Rows replayed per step.
    public let replayBatch: Int
    /// β of the importance weights.
    public let beta: Double
    /// The memory.
    public let memory: PrioritizedReplayBuffer
    let rows: ReplayRows
    let weights: UnsafeMutableBufferPointer<Float>
    let sampled: UnsafeMutableBufferPointer<Int64>
    let priorities: UnsafeMutableBufferPointer<Double>
    var replayed = 0
    var rng: Xoshiro256
    /// Rows offered to the memory so far.
    public private(set) var seen = 0

    /// A plugin with a memory of `capacity` rows.
    public init(inputDim: Int, capacity: Int, replayBatch: Int, batchSize: Int, alpha: Double, beta: Double,
                seed: UInt64) throws(MnemonetError) {
        self.replayBatch = replayBatch
        self.beta = beta
        memory = try PrioritizedReplayBuffer(capacity: capacity, fieldWidths: [inputDim, 1, 1], alpha: alpha,
                                             eps: 1e-3, sampling: .proportionalStratified, seed: seed)
        rows = ReplayRows(inputDim: inputDim, capacity: max(replayBatch, batchSize))
        weights = .allocate(capacity: replayBatch)
        sampled = .allocate(capacity: replayBatch)
        priorities = .allocate(capacity: max(replayBatch, batchSize))
        rng = Xoshiro256(seed: seed ^ 0x5851_F42D_4C95_7F2D)
    }

    deinit {
        weights.deallocate()
        sampled.deallocate()
        priorities.deallocate()
    }

    /// Appends replayed rows with their importance weights.
    public func extendBatch(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) {
        replayed = 0
        if memory.count == 0 { return }
        let n = replayBatch
        try memory.sample(batchSize: n, beta: beta, indices: sampled, weights: weights,
                          fields: rows.destination(in: batch, count: n))
        let start = batch.count
        rows.commit(batch, count: n)
        for r in 0..<n { batch.weights[start + r] = weights[r] }
        replayed = n
    }

    /// Updates the replayed rows' priorities and adds the current rows with theirs (losses before the step).
    public func afterUpdate(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) {
        let cur = batch.currentCount
        if replayed > 0 {
            for r in 0..<replayed { priorities[r] = Double(learner.rowLosses[cur + r]) }
            try memory.updatePriorities(indices: UnsafeBufferPointer(sampled),
                                        priorities: UnsafeBufferPointer(rebasing: priorities[0..<replayed]))
        }
        for r in 0..<cur {
            seen += 1
            try memory.reservoirInsert(item: rows.fields(of: batch, from: r, count: 1),
                                       priority: Double(learner.rowLosses[r]), seen: seen, rng: &rng)
        }
    }
}
