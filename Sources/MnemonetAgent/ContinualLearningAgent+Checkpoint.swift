import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import MnemonetReplay

/// Checkpoints of a `ContinualLearningAgent`: everything needed to continue training exactly where it stopped.
///
/// Payload (little-endian, inside `CheckpointFile` kind "agent", which adds magic, length and CRC-32):
/// ```
/// "ContinualLearningAgent"   tag string
/// version                    UInt32 (3; versions 1 (the seed's replay options) and 2 (O = I) still load;
///                            version 4 adds a memory kind UInt32 right after it — 0 = this seed memory, read as
///                            version 3; 1 = `DNCMemoryAgent`, see DNCMemoryAgent+Checkpoint.swift)
/// I, H, N, W, R, write heads, replay capacity      Int64 × 7
/// lr                         Float
/// B, λ, c, α, β              Int64, Float, Float, Double, Double       (version ≥ 2)
/// O, exact Adam              Int64, Bool                               (version 3)
/// parameters                 [Float] (ControllerLayout order)
/// Adam slots                 Int64, then per slot: has state (Bool), step, m [Float], v [Float]
/// memory M, usage u          [Float], [Float]
/// replay buffer              PrioritizedReplayBuffer.save(to:) (items, priorities, position, sampler RNG state)
/// ```
extension ContinualLearningAgent: Checkpointable {
    /// The checkpoint kind.
    public static let checkpointKind = "agent"
    static let payloadTag = "ContinualLearningAgent"
    static let payloadVersion: UInt32 = 3

    /// The checkpoint payload (`Checkpointable` provides `save(path:)`, `load(path:)` and the in-memory forms).
    public func writeCheckpoint(to w: inout BinaryWriter) {
        w.write(Self.payloadTag)
        w.write(Self.payloadVersion)
        for v in [inputDim, hiddenDim, config.memorySize, config.memoryDim, config.numReadHeads, config.numWriteHeads,
                  replayCapacity] { w.write(v) }
        w.write(learningRate)
        w.write(replayBatchSize)
        w.write(replayWeight)
        w.write(clipNorm)
        w.write(replayAlpha)
        w.write(replayBeta)
        w.write(outputDim)
        w.write(exactAdam)
        w.write(UnsafeBufferPointer(controller.parameters))
        w.write(optimizer.states.count)
        optimizer.writeStates(to: &w)
        w.write(UnsafeBufferPointer(memoryBank.memory))
        w.write(UnsafeBufferPointer(memoryBank.usage))
        replay.save(to: &w)
    }

    /// Reads a payload written by `writeCheckpoint(to:)`; truncated, corrupt or foreign data throws `.format`.
    public static func readCheckpoint(from r: inout BinaryReader, source: String) throws(MnemonetError)
        -> ContinualLearningAgent {
        let tag = try r.readString("agent tag")
        guard tag == payloadTag else { throw .format("\(source) does not hold a \(payloadTag)") }
        let version = try r.readUInt32("agent version")
        guard version >= 1 && version <= DNCMemoryAgent.payloadVersion else {
            throw .format("\(source) has agent checkpoint version \(version); this mnemonet reads versions 1...\(DNCMemoryAgent.payloadVersion)")
        }
        // Version 4 records the memory kind (DNCMemoryAgent+Checkpoint.swift); 1...3 are the seed's memory.
        if version >= 4 {
            let kind = try r.readUInt32("memory kind")
            guard kind == UInt32(AgentMemoryKind.seed.rawValue) else {
                throw .format("\(source) holds an agent with memory kind \(kind) (1 = 'dnc'), not the seed's memory")
            }
        }
        let i = try r.readInt("input_dim", in: 1...(1 << 16)), h = try r.readInt("hidden_dim", in: 1...(1 << 16))
        let n = try r.readInt("memory_size", in: 1...(1 << 20)), wd = try r.readInt("memory_dim", in: 1...(1 << 16))
        let heads = try r.readInt("num_read_heads", in: 1...1024), writes = try r.readInt("num_write_heads", in: 1...1)
        let capacity = try r.readInt("replay capacity", in: 1...(1 << 26))
        let lr = try r.readFloat("learning rate")
        guard lr.isFinite && lr >= 0 else { throw .format("\(source) is corrupt (learning rate \(lr))") }
        var batch = ContinualLearningAgent.replayBatch, weight = ContinualLearningAgent.replayScale
        var clip = ContinualLearningAgent.maxGradNorm, alpha = 0.6, beta = ContinualLearningAgent.importanceBeta
        if version >= 2 {
            batch = try r.readInt("replay batch size", in: 1...4096)
            weight = try r.readFloat("replay weight")
            clip = try r.readFloat("clip norm")
            alpha = try r.readDouble("replay alpha")
            beta = try r.readDouble("replay beta")
        }
        let o = version >= 3 ? try r.readInt("output_dim", in: 1...(1 << 16)) : i
        // Files from before the choice existed trained with PyTorch's exact arithmetic: they continue with it.
        let exact = version >= 3 ? try r.readBool("exact adam") : true
        // The parameters, memory and usage must be present before anything is allocated for them: a 100-byte file
        // must not make us allocate gigabytes before failing.
        let config = MemoryConfig(memorySize: n, memoryDim: wd, numReadHeads: heads, numWriteHeads: writes)
        let layout: ControllerLayout
        do { layout = try ControllerLayout(inputDim: i, hiddenDim: h, outputDim: o, config: config) } catch {
            throw .format("\(source) is corrupt (\(error.message))")
        }
        let (cells, o1) = n.multipliedReportingOverflow(by: wd)
        let (needed, o2) = (layout.count &+ cells &+ n).multipliedReportingOverflow(by: 4)
        guard !o1 && !o2 && layout.count > 0 && needed + 24 <= r.remaining else {
            throw .format("\(source) is truncated or corrupt (a \(i)-\(h) agent with \(n) × \(wd) memory needs "
                          + "more than the \(r.remaining) bytes present)")
        }
        let agent: ContinualLearningAgent
        do {
            agent = try ContinualLearningAgent(
                inputDim: i, hiddenDim: h, outputDim: o,
                config: config,
                replayCapacity: capacity, learningRate: lr, replayBatchSize: batch, replayWeight: weight,
                clipNorm: clip, replayAlpha: alpha, replayBeta: beta, seed: 0)
        } catch {
            throw .format("\(source) is corrupt (\(error.message))")
        }
        agent.exactAdam = exact
        try r.readFloats("parameters", into: agent.controller.parameters)
        let slots = try r.readInt("optimizer slots", in: agent.optimizer.states.count...agent.optimizer.states.count)
        for k in 0..<slots {
            try agent.optimizer.readState(slot: k, shape: [agent.trainable[k].count], from: &r, maxStep: Int.max)
        }
        try r.readFloats("memory", into: agent.memoryBank.memory)
        try r.readFloats("usage", into: agent.memoryBank.usage)
        try agent.memoryBank.requireUsageValid(source: source)
        let replay = try PrioritizedReplayBuffer(from: &r)
        guard replay.capacity == capacity, replay.fieldWidths == [i, o], replay.sampling == .seedWithoutReplacement else {
            throw .format("\(source) is corrupt (its replay buffer does not match the agent)")
        }
        agent.replay = replay
        return agent
    }
}
