/// A preallocated minibatch of up to `capacity` rows: x [capacity, d], labels, tasks, per-row loss weights.
///
/// The first `currentCount` rows come from the task being trained; replay plugins append rows after them
/// (`count ≥ currentCount`).
public final class MiniBatch {
    /// Maximum number of rows.
    public let capacity: Int
    /// d.
    public let inputDim: Int
    /// x [capacity, d].
    public let x: UnsafeMutablePointer<Float>
    /// Output unit of each row.
    public let labels: UnsafeMutablePointer<Int32>
    /// Task of each row.
    public let tasks: UnsafeMutablePointer<Int32>
    /// Loss weight w_r of each row (1 unless a plugin sets it, e.g. importance weights).
    public let weights: UnsafeMutablePointer<Float>
    /// Rows in use.
    public var count = 0
    /// Rows of the current task (the rest were appended by plugins).
    public var currentCount = 0

    /// An empty batch.
    public init(capacity: Int, inputDim: Int) {
        self.capacity = capacity
        self.inputDim = inputDim
        x = .allocate(capacity: max(1, capacity * inputDim))
        x.initialize(repeating: 0, count: max(1, capacity * inputDim))
        labels = .allocate(capacity: max(1, capacity))
        labels.initialize(repeating: 0, count: max(1, capacity))
        tasks = .allocate(capacity: max(1, capacity))
        tasks.initialize(repeating: 0, count: max(1, capacity))
        weights = .allocate(capacity: max(1, capacity))
        weights.initialize(repeating: 1, count: max(1, capacity))
    }

    deinit {
        x.deallocate()
        labels.deallocate()
        tasks.deallocate()
        weights.deallocate()
    }

    /// Empties the batch.
    public func clear() {
        count = 0
        currentCount = 0
    }

    /// Appends row `i` of another batch (weight 1).
    public func append(_ other: MiniBatch, row i: Int) {
        precondition(count < capacity, "MiniBatch: full (\(capacity) rows)")
        let d = inputDim
        (x + count * d).update(from: other.x + i * d, count: d)
        labels[count] = other.labels[i]
        tasks[count] = other.tasks[i]
        weights[count] = 1
        count += 1
    }

    /// Appends row `i` of `data` (weight 1).
    public func append(_ data: ContinualDataset, row i: Int) {
        precondition(count < capacity, "MiniBatch: full (\(capacity) rows)")
        let d = inputDim
        data.x.withUnsafeBufferPointer { (x + count * d).update(from: $0.baseAddress! + i * d, count: d) }
        labels[count] = data.labels[i]
        tasks[count] = data.tasks[i]
        weights[count] = 1
        count += 1
    }
}
