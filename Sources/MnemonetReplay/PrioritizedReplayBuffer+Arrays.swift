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
        try requireFloat32(fieldTypes)
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
        try requireFloat32(fieldTypes)
        var out = ReplaySample(indices: .init(repeating: 0, count: batchSize),
                               weights: .init(repeating: 0, count: batchSize), fields: [])
        try out.indices.withUnsafeMutableBufferPointer { (i) throws(MnemonetError) in
            try out.weights.withUnsafeMutableBufferPointer { (w) throws(MnemonetError) in
                try sample(batchSize: batchSize, beta: beta, indices: i, weights: w,
                           fields: buffers.map { UnsafeMutableRawBufferPointer($0) })
            }
        }
        out.fields = buffers.map { Array($0) }
        return out
    }
}

/// Throws unless every field is float32 (the `[[Float]]` conveniences).
func requireFloat32(_ types: [ReplayElementType]) throws(MnemonetError) {
    for (f, t) in types.enumerated() where t != .float32 {
        throw .invalidArgument("field \(f) holds \(t): the [[Float]] conveniences need float32 fields")
    }
}

/// Calls `body` with raw buffer pointers over `arrays` (all valid for the duration of the call).
func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeRawBufferPointer]) throws(MnemonetError) -> R)
    throws(MnemonetError) -> R
{
    var pointers: [UnsafeRawBufferPointer] = []
    pointers.reserveCapacity(arrays.count)
    func nest(_ k: Int) throws(MnemonetError) -> R {
        if k == arrays.count { return try body(pointers) }
        return try arrays[k].withUnsafeBufferPointer { (p) throws(MnemonetError) -> R in
            pointers.append(UnsafeRawBufferPointer(p))
            return try nest(k + 1)
        }
    }
    return try nest(0)
}

/// Conveniences over Swift arrays (allocating).
extension ReservoirReplayBuffer {
    /// Offers one item given as one array per field (`fields[f].count == fieldWidths[f]`).
    public func add(item fields: [[Float]]) throws(MnemonetError) {
        try requireFloat32(fieldTypes)
        try withBuffers(fields) { (buffers) throws(MnemonetError) in try add(item: buffers) }
    }

    /// Draws `batchSize` items uniformly with replacement; `weights` are all 1.
    public func sample(batchSize: Int) throws(MnemonetError) -> ReplaySample {
        try require(batchSize >= 1, "sample: batch_size must be >= 1, got \(batchSize)")
        let buffers = fieldWidths.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: batchSize * $0) }
        defer { for b in buffers { b.deallocate() } }
        try requireFloat32(fieldTypes)
        var indices = [Int64](repeating: 0, count: batchSize)
        try indices.withUnsafeMutableBufferPointer { (i) throws(MnemonetError) in
            try sample(batchSize: batchSize, indices: i, fields: buffers.map { UnsafeMutableRawBufferPointer($0) })
        }
        return ReplaySample(indices: indices, weights: .init(repeating: 1, count: batchSize),
                            fields: buffers.map { Array($0) })
    }
}

/// float32 buffer forms of the raw-buffer API (each call maps its buffer list: use the raw forms on hot paths).
extension PrioritizedReplayBuffer {
    /// `add(item:priority:)` over float32 buffers (every field must be float32).
    public func add(item fields: [UnsafeBufferPointer<Float>], priority: Double?) throws(MnemonetError) {
        try requireFloat32(fieldTypes)
        try add(item: fields.map { UnsafeRawBufferPointer($0) }, priority: priority)
    }

    /// `add(batch:items:priorities:)` over float32 buffers.
    public func add(batch fields: [UnsafeBufferPointer<Float>], items: Int,
                    priorities: UnsafeBufferPointer<Double>?) throws(MnemonetError) {
        try requireFloat32(fieldTypes)
        try add(batch: fields.map { UnsafeRawBufferPointer($0) }, items: items, priorities: priorities)
    }

    /// `sample(batchSize:beta:indices:weights:fields:)` into float32 buffers.
    public func sample(batchSize: Int, beta: Double, indices: UnsafeMutableBufferPointer<Int64>,
                       weights: UnsafeMutableBufferPointer<Float>,
                       fields: [UnsafeMutableBufferPointer<Float>]) throws(MnemonetError) {
        try requireFloat32(fieldTypes)
        try sample(batchSize: batchSize, beta: beta, indices: indices, weights: weights,
                   fields: fields.map { UnsafeMutableRawBufferPointer($0) })
    }
}

/// float32 buffer forms of the reservoir's raw-buffer API.
extension ReservoirReplayBuffer {
    /// `add(batch:items:)` over float32 buffers (every field must be float32).
    public func add(batch fields: [UnsafeBufferPointer<Float>], items: Int) throws(MnemonetError) {
        try requireFloat32(fieldTypes)
        try add(batch: fields.map { UnsafeRawBufferPointer($0) }, items: items)
    }

    /// `add(item:)` over float32 buffers.
    public func add(item fields: [UnsafeBufferPointer<Float>]) throws(MnemonetError) {
        try add(batch: fields, items: 1)
    }

    /// `sample(batchSize:indices:fields:)` into float32 buffers.
    public func sample(batchSize: Int, indices: UnsafeMutableBufferPointer<Int64>,
                       fields: [UnsafeMutableBufferPointer<Float>]) throws(MnemonetError) {
        try requireFloat32(fieldTypes)
        try sample(batchSize: batchSize, indices: indices, fields: fields.map { UnsafeMutableRawBufferPointer($0) })
    }
}
