import MnemonetBase
import MnemonetEngine

/// Checkpoints of a ``DNCTrainer`` (kind `"dnc"`, written atomically by `CheckpointFile`): the configuration, the
/// learning rate and clip, every parameter in `named_parameters` order and the Adam state, so that training resumes
/// exactly.
extension DNCTrainer: Checkpointable {
    /// The checkpoint kind.
    public static let checkpointKind = "dnc"
    static let checkpointVersion: UInt32 = 1

    /// The checkpoint payload (`Checkpointable` provides `save(path:)`, `load(path:)` and the in-memory forms).
    public func writeCheckpoint(to w: inout BinaryWriter) {
        let c = model.config
        w.write(DNCTrainer.checkpointVersion)
        w.write([c.inputSize, c.outputSize, c.hiddenSize, c.memory.memorySize, c.memory.memoryDim,
                 c.memory.numReadHeads, c.memory.numWriteHeads, Int(c.controller.rawValue)].map { Int64($0) })
        w.write(optimizer.lr)
        w.write(clip)
        w.write(UInt32(bitPattern: loss.rawValue))
        for p in model.parameters { w.write(UnsafeBufferPointer(p.buffer)) }
        optimizer.writeStates(to: &w)
    }

    /// Reads a payload written by `writeCheckpoint(to:)` (`.format` for truncated or inconsistent data).
    public static func readCheckpoint(from r: inout BinaryReader, source path: String) throws(MnemonetError) -> DNCTrainer {
        let version = try r.readUInt32("checkpoint version")
        guard version == checkpointVersion else { throw .format("unsupported dnc checkpoint version \(version)") }
        let s = try r.readInt64s("sizes").map { Int(clamping: $0) }
        guard s.count == 8, let kind = DNCControllerKind(rawValue: Int32(clamping: s[7])) else {
            throw .format("bad dnc configuration in '\(path)'")
        }
        let config = DNCConfig(inputSize: s[0], outputSize: s[1], hiddenSize: s[2],
                               memory: MemoryConfig(memorySize: s[3], memoryDim: s[4], numReadHeads: s[5], numWriteHeads: s[6]),
                               controller: kind)
        let lr = try r.readFloat("learning rate"), clip = try r.readFloat("clip")
        guard let loss = DNCLoss(rawValue: Int32(bitPattern: try r.readUInt32("loss"))) else {
            throw .format("unknown loss in '\(path)'")
        }
        let model: DNC
        do { model = try DNC(config: config, seed: 0) } catch { throw .format("invalid dnc in '\(path)': \(error.message)") }
        let trainer = DNCTrainer(model: model, lr: lr, clip: clip, loss: loss)
        for p in model.parameters {
            try r.readFloats("parameters", into: p.buffer)
        }
        for (i, p) in model.parameters.enumerated() {
            try trainer.optimizer.readState(slot: i, shape: p.shape, from: &r)
        }
        return trainer
    }
}
