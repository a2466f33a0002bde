import MnemonetBase

/// Checkpoints of a `MemoryController` (kind "memory-controller"): its shape and its parameters θ in
/// `ControllerLayout` order (the seed's state_dict order). The controller has no other state: its scratch buffers are
/// rewritten by every pass.
///
/// Payload (little-endian):
/// ```
/// "MemoryController"   tag string
/// version              UInt32 (1 when O = I, the seed's shape; 2 otherwise)
/// I, H                 Int64 × 2
/// O                    Int64                  (version 2 only)
/// N, W, R, write heads Int64 × 4
/// batch capacity       Int64
/// parameters θ         [Float] (layout.count)
/// ```
extension MemoryController: Checkpointable {
    /// The checkpoint kind.
    public static let checkpointKind = "memory-controller"
    static let payloadTag = "MemoryController"
    static let payloadVersion: UInt32 = 2

    /// The checkpoint payload (`Checkpointable` provides `save(path:)`, `load(path:)` and the in-memory forms).
    public func writeCheckpoint(to w: inout BinaryWriter) {
        // The seed's shape (O = I) keeps writing version 1, byte for byte what earlier releases wrote and read.
        let seedShape = layout.outputDim == layout.inputDim
        w.write(Self.payloadTag)
        w.write(seedShape ? UInt32(1) : Self.payloadVersion)
        w.write(layout.inputDim)
        w.write(layout.hiddenDim)
        if !seedShape { w.write(layout.outputDim) }
        layout.config.write(to: &w)
        w.write(capacity)
        w.write(UnsafeBufferPointer(parameters))
    }

    /// Reads a payload written by `writeCheckpoint(to:)`; throws `.format` for truncated, corrupt or foreign data.
    public static func readCheckpoint(from r: inout BinaryReader, source: String) throws(MnemonetError)
        -> MemoryController {
        let found = try r.readString("payload tag")
        guard found == payloadTag else { throw .format("\(source) does not hold a \(payloadTag)") }
        let version = try r.readUInt32("payload version")
        guard version == 1 || version == payloadVersion else {
            throw .format("\(source) has \(payloadTag) checkpoint version \(version); this mnemonet reads versions 1 and "
                          + "\(payloadVersion)")
        }
        let i = try r.readInt("input_dim", in: 1...(1 << 16)), h = try r.readInt("hidden_dim", in: 1...(1 << 16))
        let o = version >= 2 ? try r.readInt("output_dim", in: 1...(1 << 16)) : i
        let config = try MemoryConfig(from: &r)
        let capacity = try r.readInt("batch capacity", in: 1...4096)
        var rng = Xoshiro256(seed: 0)  // overwritten below: every parameter comes from the checkpoint
        let controller: MemoryController
        do {
            controller = try MemoryController(inputDim: i, hiddenDim: h, outputDim: o, config: config, capacity: capacity,
                                              rng: &rng)
        } catch {
            throw .format("\(source) is corrupt (\(error.message))")
        }
        try r.readFloats("parameters", into: controller.parameters)
        return controller
    }
}
