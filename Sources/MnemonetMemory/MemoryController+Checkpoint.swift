import MnemonetBase

/// Checkpoints of a `MemoryController` (kind "memory-controller"): its shape and its parameters θ in
/// `ControllerLayout` order (the seed's state_dict order). The controller has no other state: its scratch buffers are
/// rewritten by every pass.
///
/// Payload (little-endian):
/// ```
/// "MemoryController"   tag string
/// version              UInt32 (1)
/// I, H                 Int64 × 2
/// N, W, R, write heads Int64 × 4
/// batch capacity       Int64
/// parameters θ         [Float] (layout.count)
/// ```
extension MemoryController: Checkpointable {
    /// The checkpoint kind.
    public static let checkpointKind = "memory-controller"
    static let payloadTag = "MemoryController"
    static let payloadVersion: UInt32 = 1

    /// The checkpoint payload (`Checkpointable` provides `save(path:)`, `load(path:)` and the in-memory forms).
    public func writeCheckpoint(to w: inout BinaryWriter) {
        w.write(Self.payloadTag)
        w.write(Self.payloadVersion)
        w.write(layout.inputDim)
        w.write(layout.hiddenDim)
        layout.config.write(to: &w)
        w.write(capacity)
        w.write(UnsafeBufferPointer(parameters))
    }

    /// Reads a payload written by `writeCheckpoint(to:)`; throws `.format` for truncated, corrupt or foreign data.
    public static func readCheckpoint(from r: inout BinaryReader, source: String) throws(MnemonetError)
        -> MemoryController {
        try readTag(&r, tag: payloadTag, version: payloadVersion, source: source)
        let i = try r.readInt("input_dim", in: 1...(1 << 16)), h = try r.readInt("hidden_dim", in: 1...(1 << 16))
        let config = try MemoryConfig(from: &r)
        let capacity = try r.readInt("batch capacity", in: 1...4096)
        var rng = Xoshiro256(seed: 0)  // overwritten below: every parameter comes from the checkpoint
        let controller: MemoryController
        do {
            controller = try MemoryController(inputDim: i, hiddenDim: h, config: config, capacity: capacity, rng: &rng)
        } catch {
            throw .format("\(source) is corrupt (\(error.message))")
        }
        try r.readFloats("parameters", into: controller.parameters)
        return controller
    }
}
