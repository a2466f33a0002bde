import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import MnemonetReplay

/// Checkpoints of a `DNCMemoryAgent`, in the agent's checkpoint kind ("agent") and payload tag, at payload version 4,
/// which records the memory kind (versions 1 to 3 are the seed's memory, `ContinualLearningAgent`):
/// ```
/// "ContinualLearningAgent"   tag string
/// version                    UInt32 (4)
/// memory kind                UInt32 (AgentMemoryKind: 1 = dnc)
/// I, H, N, W, R, write heads, replay capacity      Int64 × 7
/// B, λ, c, α, β              Int64, Float, Float, Double, Double
/// DNC and Adam               DNCTrainer payload (its configuration, lr, clip, parameters, Adam state)
/// memory state               M, u, L, p, w^r, w^w as [Float] (batch 1)
/// replay buffer              PrioritizedReplayBuffer.save(to:)
/// ```
extension DNCMemoryAgent: Checkpointable {
    /// The checkpoint kind (the same as the seed agent's: one `ContinualLearningAgent.load` reads both).
    public static let checkpointKind = ContinualLearningAgent.checkpointKind
    /// The payload version that records the memory kind.
    static let payloadVersion: UInt32 = 4

    /// The checkpoint payload.
    public func writeCheckpoint(to w: inout BinaryWriter) {
        w.write(ContinualLearningAgent.payloadTag)
        w.write(Self.payloadVersion)
        w.write(UInt32(AgentMemoryKind.dnc.rawValue))
        for v in [inputDim, hiddenDim, config.memorySize, config.memoryDim, config.numReadHeads, config.numWriteHeads,
                  replayCapacity] { w.write(v) }
        w.write(replayBatchSize)
        w.write(replayWeight)
        w.write(clipNorm)
        w.write(replayAlpha)
        w.write(replayBeta)
        core.trainer.writeCheckpoint(to: &w)
        for c in core.access.components { w.write(UnsafeBufferPointer(c.value.buffer)) }
        replay.save(to: &w)
    }

    /// Reads a payload written by `writeCheckpoint(to:)`; truncated, corrupt or foreign data throws `.format`.
    public static func readCheckpoint(from r: inout BinaryReader, source: String) throws(MnemonetError) -> DNCMemoryAgent {
        let tag = try r.readString("agent tag")
        guard tag == ContinualLearningAgent.payloadTag else { throw .format("\(source) does not hold a \(ContinualLearningAgent.payloadTag)") }
        let version = try r.readUInt32("agent version")
        let kind = version >= 4 ? try r.readUInt32("memory kind") : 0
        guard version == payloadVersion, kind == UInt32(AgentMemoryKind.dnc.rawValue) else {
            throw .format("\(source) holds an agent with the seed's memory (payload version \(version)), not memory='dnc'")
        }
        let i = try r.readInt("input_dim", in: 1...(1 << 16)), h = try r.readInt("hidden_dim", in: 1...(1 << 14))
        let n = try r.readInt("memory_size", in: 1...(1 << 16)), wd = try r.readInt("memory_dim", in: 1...(1 << 14))
        let heads = try r.readInt("num_read_heads", in: 1...64), writes = try r.readInt("num_write_heads", in: 1...16)
        let capacity = try r.readInt("replay capacity", in: 1...(1 << 26))
        let batch = try r.readInt("replay batch size", in: 1...4096)
        let weight = try r.readFloat("replay weight"), clip = try r.readFloat("clip norm")
        let alpha = try r.readDouble("replay alpha"), beta = try r.readDouble("replay beta")
        let config = MemoryConfig(memorySize: n, memoryDim: wd, numReadHeads: heads, numWriteHeads: writes)
        let trainer = try DNCTrainer.readCheckpoint(from: &r, source: source)
        let dc = trainer.model.config
        guard dc.inputSize == i, dc.outputSize == i, dc.hiddenSize == h, dc.memory == config, dc.controller == .lstm else {
            throw .format("\(source) is corrupt (its DNC does not match the agent's sizes)")
        }
        let agent: DNCMemoryAgent
        do {
            agent = try DNCMemoryAgent(inputDim: i, hiddenDim: h, config: config, replayCapacity: capacity,
                                       learningRate: trainer.optimizer.lr, replayBatchSize: batch, replayWeight: weight,
                                       clipNorm: clip, replayAlpha: alpha, replayBeta: beta, seed: 0)
        } catch {
            throw .format("\(source) is corrupt (\(error.message))")
        }
        let access = DNCAccessState.zeros(batch: 1, memory: config)
        for (k, c) in access.components.enumerated() {
            try r.readFloats("memory state component \(k)", into: c.value.buffer)
        }
        agent.core = DNCMemoryCore(trainer: trainer, access: access)
        let replay = try PrioritizedReplayBuffer(from: &r)
        guard replay.capacity == capacity, replay.fieldWidths == [i, i], replay.sampling == .seedWithoutReplacement else {
            throw .format("\(source) is corrupt (its replay buffer does not match the agent)")
        }
        agent.replay = replay
        return agent
    }
}

/// Which memory a continual-learning agent uses (recorded in agent checkpoints from payload version 4 on).
public enum AgentMemoryKind: Int32, Sendable {
    /// The seed's `NeuralMemoryBank` (uniform writes): `ContinualLearningAgent`.
    case seed = 0
    /// The DNC's memory access (allocation, erase/add, read heads): `DNCMemoryAgent`.
    case dnc = 1
}

/// Reads an agent checkpoint of either memory kind: payload versions 1 to 3 (no memory kind: the seed's) and
/// version 4 with memory kind 0 → `ContinualLearningAgent`, version 4 with kind 1 → `DNCMemoryAgent`.
public enum AgentCheckpoint {
    /// The agent in `reader` (the payload of a checkpoint of kind "agent").
    public static func read(_ reader: BinaryReader, source: String) throws(MnemonetError) -> AnyObject {
        var peek = reader
        _ = try peek.readString("agent tag")
        let version = try peek.readUInt32("agent version")
        let kind = version >= 4 ? try peek.readUInt32("memory kind") : 0
        var r = reader
        let agent: AnyObject
        switch AgentMemoryKind(rawValue: Int32(bitPattern: kind)) {
        case .seed?: agent = try ContinualLearningAgent.readCheckpoint(from: &r, source: source)
        case .dnc?: agent = try DNCMemoryAgent.readCheckpoint(from: &r, source: source)
        case nil: throw .format("\(source) holds an agent with unknown memory kind \(kind)")
        }
        try r.expectEnd("the agent checkpoint")
        return agent
    }

    /// The agent saved at `path`.
    public static func load(path: String) throws(MnemonetError) -> AnyObject {
        try read(try CheckpointFile.read(path: path, kind: ContinualLearningAgent.checkpointKind), source: "'\(path)'")
    }

    /// The agent in checkpoint `bytes`.
    public static func load(checkpointBytes bytes: [UInt8]) throws(MnemonetError) -> AnyObject {
        try read(try CheckpointFile.decode(bytes, kind: ContinualLearningAgent.checkpointKind,
                                           source: "the checkpoint data"), source: "the checkpoint data")
    }
}
