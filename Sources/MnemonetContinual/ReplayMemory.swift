import MnemonetBase
import MnemonetReplay

/// Rows (x, label, task) stored in a replay buffer as three float fields of widths [d, 1, 1], and moved between
/// the buffer and a ``MiniBatch``. Labels and tasks are small integers, exact in float32.
public final class ReplayRows {
    /// d.
    public let inputDim: Int
    let labelScratch: UnsafeMutablePointer<Float>
    let taskScratch: UnsafeMutablePointer<Float>
    let indexScratch: UnsafeMutablePointer<Int64>
    let capacity: Int

    /// Scratch for moving up to `capacity` rows at once.
    public init(inputDim: Int, capacity: Int) {
        self.inputDim = inputDim
        self.capacity = max(1, capacity)
        labelScratch = .allocate(capacity: self.capacity)
        taskScratch = .allocate(capacity: self.capacity)
        indexScratch = .allocate(capacity: self.capacity)
    }

    deinit {
        labelScratch.deallocate()
        taskScratch.deallocate()
        indexScratch.deallocate()
    }

    /// The field widths [d, 1, 1].
    public var fieldWidths: [Int] { [inputDim, 1, 1] }

    /// The fields of rows `start..<start+n` of `batch` (labels and tasks converted to floats).
    public func fields(of batch: MiniBatch, from start: Int, count n: Int) -> [UnsafeBufferPointer<Float>] {
        precondition(n <= capacity, "ReplayRows: \(n) rows > \(capacity)")
        for r in 0..<n {
            labelScratch[r] = Float(batch.labels[start + r])
            taskScratch[r] = Float(batch.tasks[start + r])
        }
        return [UnsafeBufferPointer(start: batch.x + start * inputDim, count: n * inputDim),
                UnsafeBufferPointer(start: labelScratch, count: n), UnsafeBufferPointer(start: taskScratch, count: n)]
    }

    /// Output buffers for `n` rows appended at `batch.count` (call `commit` after the buffer filled them).
    public func destination(in batch: MiniBatch, count n: Int) -> [UnsafeMutableBufferPointer<Float>] {
        precondition(n <= capacity && batch.count + n <= batch.capacity, "ReplayRows: no room for \(n) rows")
        return [UnsafeMutableBufferPointer(start: batch.x + batch.count * inputDim, count: n * inputDim),
                UnsafeMutableBufferPointer(start: labelScratch, count: n), UnsafeMutableBufferPointer(start: taskScratch, count: n)]
    }

    /// The slot indices buffer for `n` rows.
    public func indices(count n: Int) -> UnsafeMutableBufferPointer<Int64> {
        UnsafeMutableBufferPointer(start: indexScratch, count: n)
    }

    /// Appends the `n` rows written through `destination` to `batch` (weights 1).
    public func commit(_ batch: MiniBatch, count n: Int) {
        for r in 0..<n {
            batch.labels[batch.count + r] = Int32(labelScratch[r])
            batch.tasks[batch.count + r] = Int32(taskScratch[r])
            batch.weights[batch.count + r] = 1
        }
        batch.count += n
    }

    /// Draws `n` rows uniformly (with replacement) from `reservoir` and appends them to `batch`.
    public func sample(_ reservoir: ReservoirReplayBuffer, count n: Int, into batch: MiniBatch) throws(MnemonetError) {
        try reservoir.sample(batchSize: n, indices: indices(count: n), fields: destination(in: batch, count: n))
        commit(batch, count: n)
    }

    /// Offers rows `start..<start+n` of `batch` to `reservoir`.
    public func add(_ batch: MiniBatch, from start: Int, count n: Int, to reservoir: ReservoirReplayBuffer) throws(MnemonetError) {
        if n == 0 { return }
        try reservoir.add(batch: fields(of: batch, from: start, count: n), items: n)
    }
}

extension PrioritizedReplayBuffer {
    /// Offers one item to the buffer by reservoir sampling (Vitter's Algorithm R) instead of the ring's
    /// oldest-first overwrite: while not full the item is added; afterwards, item number `seen` (1-based, counted by
    /// the caller) replaces a uniformly chosen slot with probability capacity/seen. The item gets `priority`.
    public func reservoirInsert(item fields: [UnsafeBufferPointer<Float>], priority: Double, seen: Int,
                                rng: inout Xoshiro256) throws(MnemonetError) {
        if count < capacity {
            try add(item: fields, priority: priority)
            return
        }
        let slot = rng.nextInt(below: seen)
        if slot >= capacity { return }
        let raw = fields.map { UnsafeRawBufferPointer($0) }
        try storage.validate(raw, items: 1, "add")
        storage.write(item: raw, toSlot: slot)
        var index = Int64(slot), p = priority
        try withUnsafePointer(to: &index) { (i) throws(MnemonetError) in
            try withUnsafePointer(to: &p) { (q) throws(MnemonetError) in
                try updatePriorities(indices: UnsafeBufferPointer(start: i, count: 1),
                                     priorities: UnsafeBufferPointer(start: q, count: 1))
            }
        }
    }
}
