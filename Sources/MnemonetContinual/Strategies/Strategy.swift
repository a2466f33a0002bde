import MnemonetBase
import MnemonetMeta

/// The strategies of the benchmark table, each a list of plugins over the shared loop.
public enum Strategy: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// Fine-tuning on each task in turn (the lower bound).
    case naive = 0
    /// Cumulative joint training (the upper bound).
    case joint = 1
    /// Online EWC.
    case ewc = 2
    /// Synaptic Intelligence.
    case si = 3
    /// Learning without Forgetting.
    case lwf = 4
    /// A-GEM.
    case agem = 5
    /// Experience replay, reservoir memory.
    case er = 6
    /// Experience replay, prioritized memory.
    case erPrioritized = 7
    /// Meta-Experience Replay.
    case mer = 8
    /// The seed's memory agent (controller + memory bank + prioritized replay + Adam) with a cross-entropy head.
    case agent = 9
    /// The memory agent on the DNC's memory (allocation writes; `DNCMemoryAgentStrategy`).
    case agentDNC = 10

    /// The name used by the Python API and the benchmark table.
    public var description: String {
        switch self {
        case .naive: return "naive"
        case .joint: return "joint"
        case .ewc: return "ewc"
        case .si: return "si"
        case .lwf: return "lwf"
        case .agem: return "agem"
        case .er: return "er"
        case .erPrioritized: return "er-prioritized"
        case .mer: return "mer"
        case .agent: return "agent"
        case .agentDNC: return "agent-dnc"
        }
    }

    /// The seed of a strategy's own random streams (replay memories, the memory agents' weights) for a run seeded
    /// with `seed` (the learner's weights and shuffles use `seed` itself).
    public static func pluginSeed(_ seed: UInt64) -> UInt64 { seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// The plugins of this strategy for a learner of `inputDim` inputs and `parameterCount` parameters.
    public func plugins(config c: ContinualConfig, inputDim: Int, parameterCount: Int,
                        classes: Int) throws(MnemonetError) -> [ContinualPlugin] {
        let seed = Strategy.pluginSeed(c.seed)
        switch self {
        case .naive: return []
        case .joint: return [JointTraining()]
        case .ewc: return [EWC(lambda: c.ewcLambda, decay: c.ewcDecay)]
        case .si: return [SynapticIntelligence(strength: c.siStrength, damping: c.siDamping)]
        case .lwf: return [LwF(alpha: c.lwfAlpha, temperature: c.lwfTemperature)]
        case .agem:
            return [try AGEM(learner: inputDim, parameterCount: parameterCount, capacity: c.bufferSize,
                             sampleSize: c.agemSampleSize, seed: seed)]
        case .er:
            return [try ExperienceReplay(inputDim: inputDim, capacity: c.bufferSize, replayBatch: c.replayBatch,
                                         batchSize: c.batchSize, seed: seed)]
        case .erPrioritized:
            return [try PrioritizedExperienceReplay(inputDim: inputDim, capacity: c.bufferSize, replayBatch: c.replayBatch,
                                                    batchSize: c.batchSize, alpha: c.priorityAlpha, beta: c.priorityBeta,
                                                    seed: seed)]
        case .mer:
            return [try MER(inputDim: inputDim, parameterCount: parameterCount, capacity: c.bufferSize, beta: c.merBeta,
                            gamma: c.merGamma, batches: c.merBatches, batchRows: c.merBatchRows, seed: seed)]
        case .agent:
            return [try MemoryAgentStrategy(inputDim: inputDim, classes: classes, config: c.agentMemory,
                                            capacity: c.bufferSize, seed: seed)]
        case .agentDNC:
            return [try DNCMemoryAgentStrategy(inputDim: inputDim, classes: classes, config: c.agentMemory,
                                               capacity: c.bufferSize, seed: seed)]
        }
    }
}

extension ContinualLearner {
    /// A learner running `strategy`.
    public convenience init(inputDim: Int, heads: OutputHeads, config: ContinualConfig, strategy: Strategy) throws(MnemonetError) {
        try config.validate(inputDim: inputDim)
        let p = try MLP(layerSizes: [inputDim] + config.hiddenSizes + [heads.outputCount]).parameterCount
        try self.init(inputDim: inputDim, heads: heads, config: config,
                      plugins: strategy.plugins(config: config, inputDim: inputDim, parameterCount: p,
                                                classes: heads.outputCount))
    }
}
