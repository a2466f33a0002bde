import MnemonetAgent
import MnemonetBase
import MnemonetContinual

// Continual-learning exports (mnemonet.h, section "continual learning"). No logic: unpack, call MnemonetContinual.

/// The number of hyperparameters `mn_continual_run` reads from `hyper` (order in mnemonet.h).
let continualHyperparameterCount = 20

/// The shared body of `mn_continual_run` and `mn_continual_run_agent`: unpacks the stream and the hyperparameters,
/// builds the learner with `plugins(config, inputDim, classes)` (nil: `strategy`'s) and runs it.
func continualRun(
    _ strategy: Int32, _ headMode: Int32, _ outputCount: Int64, _ units: UnsafePointer<Int64>,
    _ unitOffsets: UnsafePointer<Int64>, _ taskCount: Int64, _ inputDim: Int64,
    _ trainX: UnsafePointer<Float>, _ trainY: UnsafePointer<Int32>, _ trainOffsets: UnsafePointer<Int64>,
    _ testX: UnsafePointer<Float>, _ testY: UnsafePointer<Int32>, _ testOffsets: UnsafePointer<Int64>,
    _ hidden: UnsafePointer<Int64>, _ hiddenCount: Int64, _ hyper: UnsafePointer<Double>, _ hyperCount: Int64,
    _ seed: UInt64, _ accuracy: UnsafeMutablePointer<Double>, _ baseline: UnsafeMutablePointer<Double>,
    _ memory: UnsafeMutablePointer<Float>?, _ memoryCount: Int64,
    plugins: ((ContinualConfig, Int, Int) throws(MnemonetError) -> (plugins: [ContinualPlugin], memoryCells: Int))?
) throws(MnemonetError) {
    guard let s = Strategy(rawValue: strategy) else { throw .invalidArgument("unknown strategy code \(strategy)") }
    guard let mode = HeadMode(rawValue: headMode) else { throw .invalidArgument("unknown head mode \(headMode)") }
    try require(taskCount >= 1 && taskCount <= 10_000, "task count must be in 1...10000, got \(taskCount)")
    try require(hyperCount == Int64(continualHyperparameterCount),
                "expected \(continualHyperparameterCount) hyperparameters, got \(hyperCount)")
    try require(hiddenCount >= 1 && hiddenCount <= 62, "expected 1...62 hidden sizes, got \(hiddenCount)")
    try require(inputDim >= 1 && inputDim <= 1 << 20, "input width must be in 1...1048576, got \(inputDim)")
    let t = Int(taskCount), d = Int(inputDim)
    let unitLists = (0..<t).map { k in (Int(unitOffsets[k])..<Int(unitOffsets[k + 1])).map { Int(units[$0]) } }
    let heads = try OutputHeads(mode: mode, outputCount: Int(outputCount), units: unitLists)
    func sets(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Int32>, _ off: UnsafePointer<Int64>) throws(MnemonetError) -> [ContinualDataset] {
        var out: [ContinualDataset] = []
        for k in 0..<t {
            let a = Int(off[k]), b = Int(off[k + 1])
            out.append(try ContinualDataset(
                inputDim: d, x: Array(UnsafeBufferPointer(start: x + a * d, count: (b - a) * d)),
                labels: Array(UnsafeBufferPointer(start: y + a, count: b - a)),
                tasks: [Int32](repeating: Int32(k), count: b - a)))
        }
        return out
    }
    var c = ContinualConfig()
    c.hiddenSizes = (0..<Int(hiddenCount)).map { Int(clamping: hidden[$0]) }
    func int(_ i: Int) throws(MnemonetError) -> Int {
        try require(hyper[i].isFinite && hyper[i] == hyper[i].rounded() && abs(hyper[i]) < 1e15,
                    "hyperparameter \(i) must be an integer, got \(hyper[i])")
        return Int(hyper[i])
    }
    c.learningRate = Float(hyper[0]); c.epochs = try int(1); c.batchSize = try int(2)
    c.bufferSize = try int(3); c.replayBatch = try int(4)
    c.ewcLambda = Float(hyper[5]); c.ewcDecay = Float(hyper[6])
    c.siStrength = Float(hyper[7]); c.siDamping = Float(hyper[8])
    c.lwfAlpha = Float(hyper[9]); c.lwfTemperature = Float(hyper[10])
    c.agemSampleSize = try int(11); c.priorityAlpha = hyper[12]; c.priorityBeta = hyper[13]
    c.merBeta = Float(hyper[14]); c.merGamma = Float(hyper[15]); c.merBatches = try int(16)
    c.merBatchRows = try int(17)
    c.memorySize = try int(18); c.memoryDim = try int(19)
    c.seed = seed
    var cells = c.memorySize * c.memoryDim
    let learner: ContinualLearner
    if let plugins {
        let made = try plugins(c, d, heads.outputCount)
        cells = made.memoryCells
        learner = try ContinualLearner(inputDim: d, heads: heads, config: c, plugins: made.plugins)
    } else {
        learner = try ContinualLearner(inputDim: d, heads: heads, config: c, strategy: s)
    }
    // Checked before training: with `plugins` the run trains the caller's agent in place, which a refused call
    // must leave unchanged.
    if memory != nil, plugins != nil || s == .agent || s == .agentDNC {
        try require(memoryCount == Int64(t * cells), "memory output needs \(t * cells) floats, got \(memoryCount)")
    }
    let result = try learner.run(train: try sets(trainX, trainY, trainOffsets), test: try sets(testX, testY, testOffsets))
    for i in 0..<(t * t) { accuracy[i] = result.accuracy[i] }
    for j in 0..<t { baseline[j] = result.baseline[j] }
    if let memory, !result.memory.isEmpty {
        try require(memoryCount == Int64(t * cells) && result.memory.count == t,
                    "memory output needs \(t * cells) floats, got \(memoryCount) (\(result.memory.count) snapshots)")
        for (k, m) in result.memory.enumerated() { (memory + k * cells).update(from: m, count: cells) }
    }
}

/// `int32_t mn_continual_run(int32_t strategy, int32_t head_mode, int64_t output_count, const int64_t *units,
///  const int64_t *unit_offsets, int64_t task_count, int64_t input_dim, const float *train_x, const int32_t *train_y,
///  const int64_t *train_offsets, const float *test_x, const int32_t *test_y, const int64_t *test_offsets,
///  const int64_t *hidden, int64_t hidden_count, const double *hyper, int64_t hyper_count, uint64_t seed,
///  double *accuracy, double *baseline, float *memory, int64_t memory_count, mn_status *status)`: memory (may be
///  NULL) receives M [T, N, W] after each task for the memory agents, memory_count = T·N·W floats.
@c(mn_continual_run)
public func mnContinualRun(
    _ strategy: Int32, _ headMode: Int32, _ outputCount: Int64, _ units: UnsafePointer<Int64>,
    _ unitOffsets: UnsafePointer<Int64>, _ taskCount: Int64, _ inputDim: Int64,
    _ trainX: UnsafePointer<Float>, _ trainY: UnsafePointer<Int32>, _ trainOffsets: UnsafePointer<Int64>,
    _ testX: UnsafePointer<Float>, _ testY: UnsafePointer<Int32>, _ testOffsets: UnsafePointer<Int64>,
    _ hidden: UnsafePointer<Int64>, _ hiddenCount: Int64, _ hyper: UnsafePointer<Double>, _ hyperCount: Int64,
    _ seed: UInt64, _ accuracy: UnsafeMutablePointer<Double>, _ baseline: UnsafeMutablePointer<Double>,
    _ memory: UnsafeMutablePointer<Float>?, _ memoryCount: Int64, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try continualRun(strategy, headMode, outputCount, units, unitOffsets, taskCount, inputDim, trainX, trainY,
                         trainOffsets, testX, testY, testOffsets, hidden, hiddenCount, hyper, hyperCount, seed,
                         accuracy, baseline, memory, memoryCount, plugins: nil)
    }
}

/// `int32_t mn_continual_run_agent(mn_agent *agent, int32_t strategy, int32_t use_replay, int32_t head_mode, int64_t output_count,
///  const int64_t *units, const int64_t *unit_offsets, int64_t task_count, int64_t input_dim, const float *train_x,
///  const int32_t *train_y, const int64_t *train_offsets, const float *test_x, const int32_t *test_y,
///  const int64_t *test_offsets, const int64_t *hidden, int64_t hidden_count, const double *hyper,
///  int64_t hyper_count, uint64_t seed, double *accuracy, double *baseline, float *memory, int64_t memory_count,
///  mn_status *status)`: `mn_continual_run` of the memory agent strategy (9 "agent" for a seed-memory agent,
///  10 "agent-dnc" for a DNC-memory one: `strategy` must be the agent's) on the given agent, trained in place (`ContinualLearningAgent.fit_stream`
///  with the cross-entropy head); hyper's epochs and buffer_size apply, its memory_size/memory_dim are ignored
///  (memory_count must be T·N·W of the agent's memory).
@c(mn_continual_run_agent)
public func mnContinualRunAgent(
    _ h: UnsafeMutableRawPointer, _ strategy: Int32, _ useReplay: Int32, _ headMode: Int32, _ outputCount: Int64,
    _ units: UnsafePointer<Int64>, _ unitOffsets: UnsafePointer<Int64>, _ taskCount: Int64, _ inputDim: Int64,
    _ trainX: UnsafePointer<Float>, _ trainY: UnsafePointer<Int32>, _ trainOffsets: UnsafePointer<Int64>,
    _ testX: UnsafePointer<Float>, _ testY: UnsafePointer<Int32>, _ testOffsets: UnsafePointer<Int64>,
    _ hidden: UnsafePointer<Int64>, _ hiddenCount: Int64, _ hyper: UnsafePointer<Double>, _ hyperCount: Int64,
    _ seed: UInt64, _ accuracy: UnsafeMutablePointer<Double>, _ baseline: UnsafeMutablePointer<Double>,
    _ memory: UnsafeMutablePointer<Float>?, _ memoryCount: Int64, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let agent = continualAgent(h)
        let kind: Strategy = agent.memoryKind == .seed ? .agent : .agentDNC
        try require(strategy == kind.rawValue,
                    "strategy \(strategy) does not match the agent's memory (strategy \(kind.rawValue), \(kind))")
        try require(Int(inputDim) == agent.inputDim,
                    "the stream's inputs have width \(inputDim); the agent's input_dim is \(agent.inputDim)")
        try continualRun(strategy, headMode, outputCount, units, unitOffsets, taskCount, inputDim, trainX,
                         trainY, trainOffsets, testX, testY, testOffsets, hidden, hiddenCount, hyper, hyperCount,
                         seed, accuracy, baseline, memory, memoryCount,
                         plugins: { (c, _, classes) throws(MnemonetError) in
            // The strategies' replay seed (Strategy.plugins): fit_stream(seed=s) replays as continual.run(seed=s).
            let s = Strategy.pluginSeed(c.seed)
            let plugin: ContinualPlugin
            if let a = agent as? ContinualLearningAgent {
                plugin = try MemoryAgentStrategy(agent: a, classes: classes, capacity: c.bufferSize,
                                                 useReplay: useReplay != 0, seed: s)
            } else if let a = agent as? DNCMemoryAgent {
                plugin = try DNCMemoryAgentStrategy(agent: a, classes: classes, capacity: c.bufferSize,
                                                    useReplay: useReplay != 0, seed: s)
            } else {
                throw .invalidState("fit_stream: an agent of an unknown memory kind")
            }
            return ([plugin], agent.config.memorySize * agent.config.memoryDim)
        })
    }
}
