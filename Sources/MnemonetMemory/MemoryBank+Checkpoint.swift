import MnemonetBase

/// Checkpoints of a `NeuralMemoryBank` (kind "memory-bank"): the configuration, the memory M [N, W] and the usage
/// u [N].
///
/// Payload (little-endian):
/// ```
/// "NeuralMemoryBank"   tag string
/// version              UInt32 (1)
/// N, W, R, write heads Int64 × 4
/// memory M             [Float] (N·W, row-major)
/// usage u              [Float] (N)
/// ```
extension NeuralMemoryBank: Checkpointable {
    /// The checkpoint kind.
    public static let checkpointKind = "memory-bank"
    static let payloadTag = "NeuralMemoryBank"
    static let payloadVersion: UInt32 = 1

    /// The checkpoint payload (`Checkpointable` provides `save(path:)`, `load(path:)` and the in-memory forms).
    public func writeCheckpoint(to w: inout BinaryWriter) {
        w.write(Self.payloadTag)
        w.write(Self.payloadVersion)
        config.write(to: &w)
        w.write(UnsafeBufferPointer(memory))
        w.write(UnsafeBufferPointer(usage))
    }

    /// Reads a payload written by `writeCheckpoint(to:)`; throws `.format` for truncated, corrupt or foreign data.
    public static func readCheckpoint(from r: inout BinaryReader, source: String) throws(MnemonetError)
        -> NeuralMemoryBank {
        try readTag(&r, tag: payloadTag, version: payloadVersion, source: source)
        let config = try MemoryConfig(from: &r)
        let bank: NeuralMemoryBank
        do { bank = try NeuralMemoryBank(config: config) } catch {
            throw .format("\(source) is corrupt (\(error.message))")
        }
        try r.readFloats("memory", into: bank.memory)
        try r.readFloats("usage", into: bank.usage)
        try bank.requireUsageValid(source: source)
        return bank
    }
}

/// Reads and checks a payload's tag string and version.
func readTag(_ r: inout BinaryReader, tag: String, version: UInt32, source: String) throws(MnemonetError) {
    let found = try r.readString("payload tag")
    guard found == tag else { throw .format("\(source) does not hold a \(tag)") }
    let v = try r.readUInt32("payload version")
    guard v == version else {
        throw .format("\(source) has \(tag) checkpoint version \(v); this mnemonet reads version \(version)")
    }
}

extension MemoryConfig {
    /// Appends N, W, R and the number of write heads (Int64 each).
    func write(to w: inout BinaryWriter) {
        for v in [memorySize, memoryDim, numReadHeads, numWriteHeads] { w.write(v) }
    }

    /// Reads what `write(to:)` wrote, with the sizes bounded as the agent's checkpoint bounds them.
    init(from r: inout BinaryReader) throws(MnemonetError) {
        let n = try r.readInt("memory_size", in: 1...(1 << 20)), w = try r.readInt("memory_dim", in: 1...(1 << 16))
        let heads = try r.readInt("num_read_heads", in: 1...1024), writes = try r.readInt("num_write_heads", in: 1...1)
        self.init(memorySize: n, memoryDim: w, numReadHeads: heads, numWriteHeads: writes)
    }
}
