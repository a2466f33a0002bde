import MnemonetBase
import MnemonetEngine

/// Checkpoints of a ``DNCTrainer`` (kind `"dnc"`, written atomically by `CheckpointFile`): the configuration, the
/// learning rate and clip, every parameter in `named_parameters` order and the Adam state, so that training resumes
/// exactly.
extension DNCTrainer {
    /// The checkpoint kind.
    public static let checkpointKind = "dnc"
    static let checkpointVersion: UInt32 = 1

    /// The checkpoint bytes (payload of `save`).
    public func checkpointPayload() -> [UInt8] {
        var w = BinaryWriter()
        let c = model.config
        w.write(DNCTrainer.checkpointVersion)
        w.write([c.inputSize, c.outputSize, c.hiddenSize, c.memory.memorySize, c.memory.memoryDim,
                 c.memory.numReadHeads, c.memory.numWriteHeads, Int(c.controller.rawValue)].map { Int64($0) })
        w.write(optimizer.lr)
        w.write(clip)
        w.write(UInt32(bitPattern: loss.rawValue))
        for p in model.parameters { w.write(UnsafeBufferPointer(p.buffer)) }
        for s in optimizer.states {
            if let s {
                w.write(true)
                w.write(s.step)
                w.write(s.expAvg.array)
                w.write(s.expAvgSq.array)
            } else {
                w.write(false)
            }
        }
        return w.bytes
    }

    /// Writes the trainer (model + optimizer) to `path` atomically.
    public func save(path: String) throws(MnemonetError) {
        try CheckpointFile.write(path: path, kind: DNCTrainer.checkpointKind, payload: checkpointPayload())
    }

    /// Reads a trainer written by ``save(path:)``. Throws `.format` for a truncated, corrupt or foreign file and
    /// `.io` when it cannot be read.
    public static func load(path: String) throws(MnemonetError) -> DNCTrainer {
        var r = try CheckpointFile.read(path: path, kind: checkpointKind)
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
            guard try r.readBool("optimizer state flag") else { continue }
            let step = try r.readInt("optimizer step", in: 1...Int(Int32.max))
            let m = try r.readFloats("optimizer first moments", expectedCount: p.count)
            let v = try r.readFloats("optimizer second moments", expectedCount: p.count)
            trainer.optimizer.states[i] = AdamState(step: step, expAvg: Tensor(shape: p.shape, values: m),
                                                    expAvgSq: Tensor(shape: p.shape, values: v))
        }
        try r.expectEnd("dnc checkpoint")
        return trainer
    }
}
