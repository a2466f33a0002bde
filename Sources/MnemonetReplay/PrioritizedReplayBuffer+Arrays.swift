import MnemonetBase

/// A sampled batch in Swift arrays (the allocating convenience form of `PrioritizedReplayBuffer.sample`).
public struct ReplaySample: Equatable, Sendable {
    /// Item indices, `[B]` (pass them back to `updatePriorities`).
    public var indices: [Int64]
    /// Importance weights `w_j`, `[B]`, at most 1.
    public var weights: [Float]
    /// One array per field, `[B · width_f]`, item-major.
    public var fields: [[Float]]

    /// A batch from its parts (shapes as documented on the properties).
    public init(indices: [Int64], weights: [Float], fields: [[Float]]) {
        self.indices = indices
        self.weights = weights
        self.fields = fields
    }
}

/// Conveniences over Swift arrays for callers that are not on a hot path (each call allocates its results).
extension PrioritizedReplayBuffer {
    /// Adds one item given as one array per field (`fields[f].count == fieldWidths[f]`).
    public func add(item fields: [[Float]], priority: Double?) throws(MnemonetError) {
        try withBuffers(fields) { (buffers) throws(MnemonetError) in try add(item: buffers, priority: priority) }
    }

    /// Sets the priorities of `indices` (see the buffer-pointer form).
    public func updatePriorities(indices: [Int64], priorities: [Double]) throws(MnemonetError) {
        try indices.withUnsafeBufferPointer { (i) throws(MnemonetError) in
            try priorities.withUnsafeBufferPointer { (p) throws(MnemonetError) in
                try updatePriorities(indices: i, priorities: p)
            }
        }
    }

    /// Draws `batchSize` items (see the buffer-pointer form for the semantics and errors).
    public func sample(batchSize: Int, beta: Double) throws(MnemonetError) -> ReplaySample {
        try require(batchSize >= 1, "sample: batch_size must be >= 1, got \(batchSize)")
        let buffers = fieldWidths.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: batchSize * $0) }
        defer { for b in buffers { b.deallocate() } }
        var out = ReplaySample(indices: .init(repeating: 0, count: batchSize),
                               weights: .init(repeating: 0, count: batchSize), fields: [])
        try out.indices.withUnsafeMutableBufferPointer { (i) throws(MnemonetError) in
            try out.weights.withUnsafeMutableBufferPointer { (w) throws(MnemonetError) in
                try sample(batchSize: batchSize, beta: beta, indices: i, weights: w, fields: buffers)
            }
        }
        out.fields = buffers.map { Array($0) }
        return out
    }
}

/// Calls `body` with buffer pointers over `arrays` (all valid for the duration of the call).
func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeBufferPointer<Float>]) throws(MnemonetError) -> R)
    throws(MnemonetError) -> R
{
    var pointers: [UnsafeBufferPointer<Float>] = []
    pointers.reserveCapacity(arrays.count)
    func nest(_ k: Int) throws(MnemonetError) -> R {
        if k == arrays.count { return try body(pointers) }
        return try arrays[k].withUnsafeBufferPointer { (p) throws(MnemonetError) -> R in
            pointers.append(p)
            return try nest(k + 1)
        }
    }
    return try nest(0)
}

/// Conveniences over Swift arrays (allocating).
extension ReservoirReplayBuffer {
    /// Offers one item given as one array per field (`fields[f].count == fieldWidths[f]`).
    public func add(item fields: [[Float]]) throws(MnemonetError) {
        try withBuffers(fields) { (buffers) throws(MnemonetError) in try add(item: buffers) }
    }

    /// Draws `batchSize` items uniformly with replacement; `weights` are all 1.
    public func sample(batchSize: Int) throws(MnemonetError) -> ReplaySample {
        try require(batchSize >= 1, "sample: batch_size must be >= 1, got \(batchSize)")
        let buffers = fieldWidths.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: batchSize * $0) }
        defer { for b in buffers { b.deallocate() } }
        var indices = [Int64](repeating: 0, count: batchSize)
        try indices.withUnsafeMutableBufferPointer { (i) throws(MnemonetError) in
            try sample(batchSize: batchSize, indices: i, fields: buffers)
        }
        return ReplaySample(indices: indices, weights: .init(repeating: 1, count: batchSize),
                            fields: buffers.map { Array($0) })
    }
}
