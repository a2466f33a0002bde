import MnemonetAgent
import MnemonetBase
import MnemonetContinual
import MnemonetMemory
import MnemonetReplay
import Testing

/// Records the order in which the shared loop calls its hooks.
final class RecordingPlugin: ContinualPlugin {
    var log: [String] = []
    func beforeTask(_ learner: ContinualLearner, task: Int) throws(MnemonetError) { log.append("beforeTask\(task)") }
    func trainingSet(_ learner: ContinualLearner, task: Int) -> ContinualDataset? { log.append("trainingSet"); return nil }
    func extendBatch(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) { log.append("extend") }
    func update(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Bool { log.append("update"); return false }
    func outputGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float { log.append("output"); return 0 }
    func parameterGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float { log.append("parameter"); return 0 }
    func afterUpdate(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) { log.append("after") }
    func afterTask(_ learner: ContinualLearner, task: Int, data: ContinualDataset) throws(MnemonetError) { log.append("afterTask\(task)") }
}

/// Two tasks of two classes in 3-D: class c is a blob around e_c-ish corners.
func toyTasks(rows: Int = 12) throws -> [ContinualDataset] {
    var rng = Xoshiro256(seed: 5)
    return try (0..<2).map { t throws(MnemonetError) -> ContinualDataset in
        var x: [Float] = [], y: [Int32] = []
        for r in 0..<rows {
            let label = Int32(2 * t + r % 2)
            for k in 0..<3 { x.append(Float(Int(label) == k ? 1 : 0) + 0.1 * (rng.nextUnitFloat() - 0.5)) }
            y.append(label)
        }
        return try ContinualDataset(inputDim: 3, x: x, labels: y, tasks: [Int32](repeating: Int32(t), count: rows))
    }
}

@Suite struct ContinualLoopTests {
    @Test func hooksRunInTemplateOrder() throws {
        let rec = RecordingPlugin()
        var c = ContinualConfig()
        c.hiddenSizes = [4]
        c.epochs = 1
        c.batchSize = 6
        let heads = try OutputHeads(mode: .seenSoFar, outputCount: 4, units: [[0, 1], [2, 3]])
        let l = try ContinualLearner(inputDim: 3, heads: heads, config: c, plugins: [rec])
        let data = try toyTasks()
        _ = try l.run(train: data, test: data)
        let step = ["extend", "update", "output", "parameter", "after"]
        let expected = ["beforeTask0", "trainingSet"] + step + step + ["afterTask0", "beforeTask1", "trainingSet"]
            + step + step + ["afterTask1"]
        #expect(rec.log == expected)
    }

    @Test func headMasks() throws {
        let units = [[0, 1], [2, 3], [4, 5]]
        func active(_ h: OutputHeads, _ task: Int, _ stage: Int) -> [Int] {
            let m = h.mask(task: task, stage: stage)
            return (0..<h.outputCount).filter { m[$0] != 0 }
        }
        let perTask = try OutputHeads(mode: .perTask, outputCount: 6, units: units)
        #expect(active(perTask, 1, 2) == [2, 3])
        let seen = try OutputHeads(mode: .seenSoFar, outputCount: 6, units: units)
        #expect(active(seen, 0, 1) == [0, 1, 2, 3])
        #expect(active(seen, 2, 0) == [0, 1, 2, 3, 4, 5])  // evaluating a later task includes its units
        let shared = try OutputHeads(mode: .shared, outputCount: 2, units: [[0, 1], [0, 1]])
        #expect(active(shared, 1, 0) == [0, 1])
        #expect(throws: MnemonetError.self) { try OutputHeads(mode: .perTask, outputCount: 2, units: [[0], []]) }
        #expect(throws: MnemonetError.self) { try OutputHeads(mode: .perTask, outputCount: 2, units: [[0, 2]]) }
    }

    @Test func runRejectsBadStreams() throws {
        var c = ContinualConfig()
        c.hiddenSizes = [4]
        let heads = try OutputHeads(mode: .perTask, outputCount: 4, units: [[0, 1], [2, 3]])
        let l = try ContinualLearner(inputDim: 3, heads: heads, config: c, plugins: [])
        var data = try toyTasks()
        #expect(throws: MnemonetError.self) { try l.run(train: [data[0]], test: [data[0]]) }
        let empty = try ContinualDataset(inputDim: 3, x: [], labels: [], tasks: [])
        #expect(throws: MnemonetError.self) { try l.run(train: [data[0], empty], test: data) }
        data[1].labels[0] = 0  // a task-0 class in task 1
        #expect(throws: MnemonetError.self) { try l.run(train: data, test: data) }
        #expect(throws: MnemonetError.self) { try ContinualDataset(inputDim: 3, x: [1, 2], labels: [0], tasks: [0]) }
    }

    @Test func replayMemoriesHoldEveryTask() throws {
        var c = ContinualConfig()
        c.hiddenSizes = [4]
        c.epochs = 1
        c.bufferSize = 8
        let heads = try OutputHeads(mode: .seenSoFar, outputCount: 4, units: [[0, 1], [2, 3]])
        for strategy in [Strategy.er, .erPrioritized, .mer, .agem] {
            let l = try ContinualLearner(inputDim: 3, heads: heads, config: c, strategy: strategy)
            let data = try toyTasks(rows: 40)
            _ = try l.run(train: data, test: data)
            let storage: MnemonetReplayStorageView
            switch l.plugins[0] {
            case let p as ExperienceReplay: storage = .init(p.memory.storage, p.memory.count)
            case let p as PrioritizedExperienceReplay: storage = .init(p.memory.storage, p.memory.count)
            case let p as MER: storage = .init(p.memory.storage, p.memory.count)
            case let p as AGEM: storage = .init(p.memory.storage, p.memory.count)
            default: Issue.record("unexpected plugin"); return
            }
            #expect(storage.count == 8, "\(strategy)")
            let tasks = Set((0..<storage.count).map { Int(storage.storage.row($0, field: 2)[0]) })
            #expect(tasks == [0, 1], "\(strategy) keeps rows of both tasks (reservoir), got \(tasks)")
        }
    }

    @Test func agentPullbackFromOutputGradientsMatchesTheMSEPullback() throws {
        var rng = Xoshiro256(seed: 3)
        let cfg = MemoryConfig(memorySize: 8, memoryDim: 4, numReadHeads: 2)
        let c = try MemoryController(inputDim: 6, hiddenDim: 5, config: cfg, capacity: 3, rng: &rng)
        let bank = try NeuralMemoryBank(config: cfg)
        for k in 0..<(3 * 6) { c.inputs[k] = rng.nextUnitFloat(); c.targets[k] = rng.nextUnitFloat() }
        c.encode(rows: 0, count: 3)
        for r in 0..<3 { c.access(row: r, bank: bank, record: true) }
        c.decode(rows: 0, count: 3)
        let scales: [Float] = [1, 0.5, 0.25]
        c.pullback(count: 3, scales: scales)
        let reference = Array(c.gradients)
        var d = [Float](repeating: 0, count: 18)
        for r in 0..<3 { for k in 0..<6 { d[r * 6 + k] = scales[r] * 2 / 6 * (c.outputs[r * 6 + k] - c.targets[r * 6 + k]) } }
        c.pullback(count: 3, outputGradients: d)
        #expect(Array(c.gradients) == reference)
    }

    @Test func memoryAgentLearnsTheToyStream() throws {
        var c = ContinualConfig()
        c.epochs = 3
        c.bufferSize = 32
        let heads = try OutputHeads(mode: .perTask, outputCount: 4, units: [[0, 1], [2, 3]])
        let l = try ContinualLearner(inputDim: 4, heads: heads, config: c, strategy: .agent)
        // The agent's outputs have the input width: pad the toy inputs to 4 columns.
        let data = try toyTasks(rows: 40).map { d throws(MnemonetError) -> ContinualDataset in
            var x: [Float] = []
            for r in 0..<d.count { x += Array(d.x[(3 * r)..<(3 * r + 3)]) + [0] }
            return try ContinualDataset(inputDim: 4, x: x, labels: d.labels, tasks: d.tasks)
        }
        let result = try l.run(train: data, test: data)
        #expect(result.accuracy[0] > 0.9 && result.accuracy[3] > 0.9, "\(result.accuracy)")
        #expect(throws: MnemonetError.self) {
            try ContinualLearner(inputDim: 3, heads: heads, config: c, strategy: .agent)  // 4 classes > 3 outputs
        }
    }
}

/// A replay storage and its item count (the four replay plugins own different buffer types).
struct MnemonetReplayStorageView {
    let storage: ReplayStorage
    let count: Int
    init(_ s: ReplayStorage, _ c: Int) { storage = s; count = c }
}

@Suite struct MemoryAgentEvaluationTests {
    @Test func predictionLeavesTheMemoryUnchanged() throws {
        var c = ContinualConfig()
        c.epochs = 1
        c.bufferSize = 32
        let heads = try OutputHeads(mode: .perTask, outputCount: 4, units: [[0, 1], [2, 3]])
        let l = try ContinualLearner(inputDim: 4, heads: heads, config: c, strategy: .agent)
        let agent = try #require(l.plugins[0] as? MemoryAgentStrategy)
        let x: [Float] = [1, 0, 0, 0, 0, 1, 0, 0]
        let before = Array(agent.memoryBank.memory), usage = Array(agent.memoryBank.usage)
        let first = x.withUnsafeBufferPointer { l.predictLogits(x: $0.baseAddress!, rows: 2) }
        #expect(Array(agent.memoryBank.memory) == before && Array(agent.memoryBank.usage) == usage)
        let second = x.withUnsafeBufferPointer { l.predictLogits(x: $0.baseAddress!, rows: 2) }
        #expect(first == second)
    }
}

/// The memory agents' cross-entropy head on an existing agent (`ContinualLearningAgent.fit_stream`): from the agent
/// the strategy would build (seeded with `Strategy.pluginSeed`), the run is the strategy's bit for bit, and it trains
/// the given agent in place.
@Suite struct MemoryAgentOnAnAgentTests {
    func paddedToyTasks() throws -> [ContinualDataset] {
        try toyTasks(rows: 40).map { d throws(MnemonetError) -> ContinualDataset in
            var x: [Float] = []
            for r in 0..<d.count { x += Array(d.x[(3 * r)..<(3 * r + 3)]) + [0] }
            return try ContinualDataset(inputDim: 4, x: x, labels: d.labels, tasks: d.tasks)
        }
    }

    func config() -> ContinualConfig {
        var c = ContinualConfig()
        c.epochs = 2
        c.bufferSize = 32
        c.memorySize = 8
        c.memoryDim = 4
        c.seed = 11
        return c
    }

    @Test func seedMemoryAgentEqualsTheStrategy() throws {
        let data = try paddedToyTasks(), c = config()
        let heads = try OutputHeads(mode: .seenSoFar, outputCount: 4, units: [[0, 1], [2, 3]])
        let reference = try ContinualLearner(inputDim: 4, heads: heads, config: c, strategy: .agent)
            .run(train: data, test: data)
        let agent = try ContinualLearningAgent(inputDim: 4, hiddenDim: 128, config: c.agentMemory,
                                               seed: Strategy.pluginSeed(c.seed))
        agent.exactAdam = true
        let before = Array(agent.controller.parameters)
        let plugin = try MemoryAgentStrategy(agent: agent, classes: 4, capacity: c.bufferSize, useReplay: true,
                                             seed: Strategy.pluginSeed(c.seed))
        let mine = try ContinualLearner(inputDim: 4, heads: heads, config: c, plugins: [plugin])
            .run(train: data, test: data)
        #expect(mine.accuracy == reference.accuracy && mine.baseline == reference.baseline)
        #expect(mine.memory == reference.memory)
        #expect(Array(agent.controller.parameters) != before)       // trained in place
        #expect(Array(agent.memoryBank.memory) == reference.memory.last!)
        #expect(agent.replay.count == 0)                             // its own (x, y) buffer is not used
    }

    @Test func dncMemoryAgentEqualsTheStrategy() throws {
        let data = try paddedToyTasks(), c = config()
        let heads = try OutputHeads(mode: .perTask, outputCount: 4, units: [[0, 1], [2, 3]])
        let reference = try ContinualLearner(inputDim: 4, heads: heads, config: c, strategy: .agentDNC)
            .run(train: data, test: data)
        let agent = try DNCMemoryAgent(inputDim: 4, hiddenDim: 128, config: c.agentMemory,
                                       seed: Strategy.pluginSeed(c.seed))
        let plugin = try DNCMemoryAgentStrategy(agent: agent, classes: 4, capacity: c.bufferSize, useReplay: true,
                                                seed: Strategy.pluginSeed(c.seed))
        let mine = try ContinualLearner(inputDim: 4, heads: heads, config: c, plugins: [plugin])
            .run(train: data, test: data)
        #expect(mine.accuracy == reference.accuracy && mine.memory == reference.memory)
    }

    @Test func refusesTooManyClassesAndATooSmallMemory() throws {
        let agent = try ContinualLearningAgent(inputDim: 4, hiddenDim: 8, outputDim: 3,
                                               config: MemoryConfig(memorySize: 4, memoryDim: 4, numReadHeads: 1),
                                               seed: 0)
        #expect(throws: MnemonetError.self) {
            try MemoryAgentStrategy(agent: agent, classes: 4, capacity: 32, useReplay: true, seed: 0)
        }
        #expect(throws: MnemonetError.self) {
            try MemoryAgentStrategy(agent: agent, classes: 3, capacity: 16, useReplay: true, seed: 0)
        }
    }
}
