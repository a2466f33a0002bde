/// An object whose complete state is one checkpoint payload, written to a file or to memory in the same format.
///
/// A conforming type supplies its payload coding; the extension gives it `save(path:)`, `load(path:)`,
/// `checkpointBytes()` and `load(checkpointBytes:)`, all wrapped by `CheckpointFile` (magic, kind, length, CRC-32).
/// `checkpointBytes()` equals the bytes of the file `save(path:)` writes, so a pickle, a deep copy and a file are
/// one format.
public protocol Checkpointable: AnyObject {
    /// The kind string in the checkpoint header ("agent", "prioritized-replay", …).
    static var checkpointKind: String { get }

    /// Appends the payload: everything needed to continue exactly where the object stands (weights, optimizer
    /// state, contents, random generator state, counters).
    func writeCheckpoint(to writer: inout BinaryWriter)

    /// Reads a payload written by `writeCheckpoint(to:)`, throwing `.format` when it is truncated or inconsistent;
    /// `source` names the data in messages. The caller checks that nothing follows.
    static func readCheckpoint(from reader: inout BinaryReader, source: String) throws(MnemonetError) -> Self
}

extension Checkpointable {
    /// The complete checkpoint in memory (the bytes `save(path:)` writes).
    public func checkpointBytes() -> [UInt8] {
        var w = BinaryWriter()
        writeCheckpoint(to: &w)
        return CheckpointFile.encode(kind: Self.checkpointKind, payload: w.bytes)
    }

    /// Writes the checkpoint atomically to `path` (temporary file, fsync, rename), streaming: a counting pass
    /// learns the payload's length (the header precedes the payload), then the payload goes through a 1 MiB buffer
    /// into the file, so a save's extra memory is ~1 MiB, not a second copy of the object. The caller holds the
    /// object's lock, so both passes see the same state.
    public func save(path: String) throws(MnemonetError) {
        var counter = BinaryWriter.counter()
        writeCheckpoint(to: &counter)
        try CheckpointFile.write(path: path, kind: Self.checkpointKind, length: counter.count) { w in
            writeCheckpoint(to: &w)
        }
    }

    /// Reads a checkpoint from `bytes` (as made by `checkpointBytes()` or read from a saved file).
    public static func load(checkpointBytes bytes: [UInt8]) throws(MnemonetError) -> Self {
        try decodePayload(try CheckpointFile.decode(bytes, kind: checkpointKind, source: "the checkpoint data"),
                          source: "the checkpoint data")
    }

    /// Reads a checkpoint saved by `save(path:)`: `.io` when the file cannot be read, `.format` when it is not a
    /// complete checkpoint of this kind.
    public static func load(path: String) throws(MnemonetError) -> Self {
        try decodePayload(try CheckpointFile.read(path: path, kind: checkpointKind), source: "'\(path)'")
    }

    static func decodePayload(_ reader: BinaryReader, source: String) throws(MnemonetError) -> Self {
        var r = reader
        let object = try readCheckpoint(from: &r, source: source)
        try r.expectEnd("the \(checkpointKind) checkpoint")
        return object
    }
}
