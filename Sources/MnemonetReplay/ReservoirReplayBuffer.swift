import MnemonetBase

/// A reservoir of `capacity` items that is, at every moment, a uniform random sample of the whole stream seen so far
/// (Vitter 1985, Algorithm R): item `t` (1-based) is kept with probability `capacity / t`, replacing a uniformly
/// chosen resident. Used by continual-learning agents to rehearse all past tasks equally, whatever their lengths.
///
/// Same storage as `PrioritizedReplayBuffer` (`ReplayStorage`); `sample` draws uniformly with replacement.
/// Not thread-safe: callers serialise calls.
public final class ReservoirReplayBuffer: Checkpointable {
    /// Maximum number of items.
    public var capacity: Int { storage.capacity }
    /// Values per item of each field.
    public var fieldWidths: [Int] { storage.fieldWidths }
    /// Number of items stored, `min(seen, capacity)`.
    public internal(set) var count: Int = 0
    /// Number of items offered to the reservoir so far (`t`).
    public internal(set) var seen: Int = 0
    /// Free-form text saved with the buffer (the Python wrapper stores its field names and shapes here).
    public var metadata: String = ""
    /// The items.
    public let storage: ReplayStorage
    var rng: Xoshiro256
    var slots: [Int] = []

    /// An empty reservoir of `capacity` items with the given field widths; `seed: nil` draws a seed from the system.
    public init(capacity: Int, fieldWidths: [Int], seed: UInt64? = nil) throws(MnemonetError) {
        storage = try ReplayStorage(capacity: capacity, fieldWidths: fieldWidths)
        rng = seed.map { Xoshiro256(seed: $0) } ?? Xoshiro256()
    }

    /// Offers `items` items (`fields[f].count == items · fieldWidths[f]`, item-major) to the reservoir, in order.
    public func add(batch fields: [UnsafeBufferPointer<Float>], items: Int) throws(MnemonetError) {
        try require(items >= 0, "add: item count must be >= 0, got \(items)")
        try storage.validate(fields, items: items, "add")
        for j in 0..<items {
            seen += 1
            let slot: Int
            if count < capacity {
                slot = count
                count += 1
            } else {
                slot = rng.nextInt(below: seen)
                if slot >= capacity { continue }
            }
            storage.write(fields, sourceStart: j, count: 1, toSlot: slot)
        }
    }

    /// Offers one item (`fields[f].count == fieldWidths[f]`).
    public func add(item fields: [UnsafeBufferPointer<Float>]) throws(MnemonetError) {
        try add(batch: fields, items: 1)
    }

    /// Draws `batchSize` items uniformly with replacement into caller buffers: `indices[j]` (slot) and
    /// `fields[f][j·width_f ..< (j+1)·width_f]`. Throws `.invalidState` on an empty reservoir.
    public func sample(batchSize: Int, indices: UnsafeMutableBufferPointer<Int64>,
                       fields: [UnsafeMutableBufferPointer<Float>]) throws(MnemonetError) {
        try require(batchSize >= 1, "sample: batch_size must be >= 1, got \(batchSize)")
        try require(indices.count == batchSize, "sample: indices buffer must hold \(batchSize) values, got \(indices.count)")
        try storage.validate(fields, items: batchSize, "sample")
        guard count > 0 else { throw .invalidState("cannot sample from an empty reservoir (add items first)") }
        if slots.count < batchSize { slots = [Int](repeating: 0, count: batchSize) }
        slots.withUnsafeMutableBufferPointer { s in
            for j in 0..<batchSize {
                s[j] = rng.nextInt(below: count)
                indices[j] = Int64(s[j])
            }
            storage.gather(slots: UnsafeBufferPointer(rebasing: s[0..<batchSize]), into: fields)
        }
    }

    // MARK: Checkpoints

    /// The checkpoint kind written by `save(path:)`.
    public static let checkpointKind = "reservoir-replay"
    static let payloadTag = "ReservoirReplayBuffer"
    static let payloadVersion: UInt32 = 1

    /// Appends the whole reservoir (configuration, contents, `seen`, random state, metadata) to `writer`.
    public func save(to writer: inout BinaryWriter) {
        ReplayPayloadHeader(capacity: capacity, fieldWidths: fieldWidths)
            .write(to: &writer, tag: Self.payloadTag, version: Self.payloadVersion)
        writer.write(count)
        writer.write(seen)
        writer.write(rng)
        writer.write(metadata)
        storage.save(rows: count, to: &writer)
    }

    /// Reads a reservoir written by `save(to:)`; throws `.format` when truncated or inconsistent.
    public convenience init(from reader: inout BinaryReader) throws(MnemonetError) {
        let header = try ReplayPayloadHeader(from: &reader, tag: Self.payloadTag, version: Self.payloadVersion)
        let capacity = header.capacity, widths = header.fieldWidths
        let count = try reader.readInt("count", in: 0...capacity)
        let seen = try reader.readInt("seen")
        guard seen >= count && (count == capacity || seen == count) else {
            throw .format("checkpoint is corrupt (seen \(seen) with \(count) of \(capacity) items)")
        }
        let rng = try reader.readRandomGenerator()
        let metadata = try reader.readString("metadata")
        guard let needed = ReplayStorage.savedBytes(rows: count, fieldWidths: widths), reader.remaining >= needed else {
            throw .format("checkpoint is truncated or corrupt (item data of \(count) items × widths \(widths) does not fit in the \(reader.remaining) bytes left)")
        }
        do {
            try self.init(capacity: capacity, fieldWidths: widths, seed: 0)
        } catch {
            throw .format("checkpoint is corrupt (\(error.message))")
        }
        try storage.load(rows: count, from: &reader)
        self.count = count
        self.seen = seen
        self.rng = rng
        self.metadata = metadata
    }

    /// The checkpoint payload (`Checkpointable`; `save(path:)` and `checkpointBytes()` come from there).
    public func writeCheckpoint(to writer: inout BinaryWriter) { save(to: &writer) }

    /// Reads a payload written by `writeCheckpoint(to:)` (`Checkpointable`).
    public static func readCheckpoint(from reader: inout BinaryReader, source: String) throws(MnemonetError)
        -> ReservoirReplayBuffer {
        try ReservoirReplayBuffer(from: &reader)
    }
}
