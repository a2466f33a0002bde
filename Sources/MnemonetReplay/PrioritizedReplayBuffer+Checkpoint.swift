import MnemonetBase

/// Checkpoints of a `PrioritizedReplayBuffer`: configuration, contents, priorities, position, maximum priority,
/// random generator state and metadata — everything needed for a restored buffer to draw the same future samples.
///
/// Payload (little-endian, version 2; version 1, every field float32, still loads):
/// ```
/// "PrioritizedReplayBuffer"  tag string
/// version                    UInt32
/// capacity, field count, field widths…, element types… (v2), alpha, eps, sampling mode
/// count, position, maxPriority, rng state, metadata
/// leaves p_i^α (rank: p_i)    [Double] × count
/// field data                 count · width_f elements of the field's type, per field
/// ```
extension PrioritizedReplayBuffer: Checkpointable {
    /// The checkpoint kind written by `save(path:)`.
    public static let checkpointKind = "prioritized-replay"
    static let payloadTag = "PrioritizedReplayBuffer"

    /// Appends the whole buffer to `writer` (to embed it in another checkpoint, e.g. the agent's).
    public func save(to writer: inout BinaryWriter) {
        ReplayPayloadHeader(storage).write(to: &writer, tag: Self.payloadTag)
        writer.write(alpha)
        writer.write(eps)
        writer.write(UInt32(bitPattern: sampling.rawValue))
        writer.write(count)
        writer.write(position)
        writer.write(maxPriority)
        writer.write(rng)
        writer.write(metadata)
        writer.write((0..<count).map { tree[leaf: $0] })
        storage.save(rows: count, to: &writer)
    }

    /// Reads a buffer written by `save(to:)`. Throws `.format` when the data is truncated or inconsistent.
    public convenience init(from reader: inout BinaryReader) throws(MnemonetError) {
        let header = try ReplayPayloadHeader(from: &reader, tag: Self.payloadTag)
        let capacity = header.capacity, widths = header.fieldWidths
        let alpha = try reader.readDouble("alpha"), eps = try reader.readDouble("eps")
        guard let sampling = SamplingMode(rawValue: Int32(bitPattern: try reader.readUInt32("sampling mode"))) else {
            throw .format("checkpoint is corrupt (unknown sampling mode)")
        }
        let count = try reader.readInt("count", in: 0...capacity)
        let position = try reader.readInt("position", in: 0...(capacity - 1))
        guard count == capacity || position == count else {
            throw .format("checkpoint is corrupt (position \(position) with \(count) of \(capacity) items)")
        }
        let maxPriority = try reader.readDouble("max priority")
        let rng = try reader.readRandomGenerator()
        let metadata = try reader.readString("metadata")
        let leaves = try reader.readDoubles("priorities", expectedCount: count)
        // The item data must be present before anything large is allocated (a corrupt capacity cannot make us
        // allocate more than the checkpoint could describe).
        guard let needed = ReplayStorage.savedBytes(rows: count, rowBytes: header.rowBytes), reader.remaining >= needed else {
            throw .format("checkpoint is truncated or corrupt (item data of \(count) items × widths \(widths) does not fit in the \(reader.remaining) bytes left)")
        }
        do {
            try self.init(capacity: capacity, fieldWidths: widths, fieldTypes: header.fieldTypes, alpha: alpha, eps: eps,
                          sampling: sampling, seed: 0)
        } catch {
            throw .format("checkpoint is corrupt (\(error.message))")
        }
        guard maxPriority.isFinite && maxPriority >= 0 else {
            throw .format("checkpoint is corrupt (max priority \(maxPriority))")
        }
        for (k, v) in leaves.enumerated() where !(v.isFinite && v >= 0) {
            throw .format("checkpoint is corrupt (priority of item \(k) is \(v))")
        }
        try storage.load(rows: count, from: &reader)
        leaves.withUnsafeBufferPointer { tree.update(leavesFrom: 0, values: $0) }
        if let ranks { for (k, v) in leaves.enumerated() { ranks.set(slot: k, priority: v) } }
        self.count = count
        self.position = position
        self.maxPriority = maxPriority
        self.rng = rng
        self.metadata = metadata
        // The tree is rebuilt from the validated leaves by `update`, so its own invariants hold; what a file can still
        // get wrong is the leaves as a whole (checked here in O(count), without touching the empty rest of the tree).
        if sampling == .proportionalStratified, let k = leaves.firstIndex(where: { !($0 > 0) }) {
            throw .format("checkpoint is corrupt (priority of item \(k) is \(leaves[k]) in a proportional buffer)")
        }
        guard tree.total.isFinite else {
            throw .format("checkpoint is corrupt (the priorities sum to \(tree.total))")
        }
    }

    /// The checkpoint payload (`Checkpointable`; `save(path:)` and `checkpointBytes()` come from there).
    public func writeCheckpoint(to writer: inout BinaryWriter) { save(to: &writer) }

    /// Reads a payload written by `writeCheckpoint(to:)` (`Checkpointable`).
    public static func readCheckpoint(from reader: inout BinaryReader, source: String) throws(MnemonetError)
        -> PrioritizedReplayBuffer {
        try PrioritizedReplayBuffer(from: &reader)
    }
}
