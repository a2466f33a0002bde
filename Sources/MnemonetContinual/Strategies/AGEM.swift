import MnemonetBase
import MnemonetReplay

/// Averaged Gradient Episodic Memory (Chaudhry, Ranzato, Rohrbach & Elhoseiny 2019): with g the gradient on the
/// current batch and g_ref the gradient on S rows drawn from the episodic memory of past tasks,
///
///     g̃ = g − (gᵀg_ref / g_refᵀg_ref) g_ref   if gᵀg_ref < 0,   else g̃ = g
///
/// The memory is a reservoir of M rows over every past task's training rows (filled after each task).
public final class AGEM: ContinualPlugin {
    /// S.
    public let sampleSize: Int
    /// The episodic memory.
    public let memory: ReservoirReplayBuffer
    let rows: ReplayRows
    let memoryBatch: MiniBatch
    let reference: UnsafeMutableBufferPointer<Float>
    let staging: MiniBatch

    /// A plugin with a memory of `capacity` rows.
    public init(learner inputDim: Int, parameterCount: Int, capacity: Int, sampleSize: Int, seed: UInt64) throws(MnemonetError) {
        self.sampleSize = sampleSize
        memory = try ReservoirReplayBuffer(capacity: capacity, fieldWidths: [inputDim, 1, 1], seed: seed)
        rows = ReplayRows(inputDim: inputDim, capacity: sampleSize)
        memoryBatch = MiniBatch(capacity: sampleSize, inputDim: inputDim)
        staging = MiniBatch(capacity: 1, inputDim: inputDim)
        reference = .allocate(capacity: parameterCount)
        reference.initialize(repeating: 0)
    }

    deinit { reference.deallocate() }

    /// Projects `g` [n] in place given `gRef` [n]; returns whether it was projected.
    @discardableResult
    public static func project(_ g: UnsafeMutablePointer<Float>, reference r: UnsafePointer<Float>, count n: Int) -> Bool {
        var dot: Double = 0, refNorm: Double = 0
        for i in 0..<n {
            dot += Double(g[i]) * Double(r[i])
            refNorm += Double(r[i]) * Double(r[i])
        }
        if dot >= 0 || refNorm == 0 { return false }
        let c = Float(dot / refNorm)
        for i in 0..<n { g[i] -= c * r[i] }
        return true
    }

    /// Computes g_ref on S memory rows and projects the learner's gradient.
    public func parameterGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float {
        if memory.count == 0 { return 0 }
        memoryBatch.clear()
        try rows.sample(memory, count: sampleSize, into: memoryBatch)
        _ = try learner.lossAndGradient(
            theta: learner.parameters.baseAddress!, x: memoryBatch.x, labels: memoryBatch.labels,
            tasks: memoryBatch.tasks, weights: nil, rows: memoryBatch.count, stage: learner.stage,
            grad: reference.baseAddress!)
        Self.project(learner.gradient.baseAddress!, reference: reference.baseAddress!, count: learner.parameterCount)
        return 0
    }

    /// Offers the task's rows to the memory.
    public func afterTask(_ learner: ContinualLearner, task: Int, data: ContinualDataset) throws(MnemonetError) {
        for i in 0..<data.count {
            staging.clear()
            staging.append(data, row: i)
            try rows.add(staging, from: 0, count: 1, to: memory)
        }
    }
}
