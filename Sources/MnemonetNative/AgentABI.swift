import MnemonetAgent
import MnemonetBase
import MnemonetMemory

// Exports of mnemonet.h, section "memory" (agent part): the continual-learning agent. No logic: unpack, call.
// A handle holds either memory kind (`ContinualAgent`); the seed-memory-only calls (controller, memory bank, draws,
// adapt) refuse a DNC-memory agent with `.invalidState`.

/// The agent behind `h`, whatever its memory.
func continualAgent(_ h: UnsafeMutableRawPointer) -> any ContinualAgent {
    let o = Unmanaged<AnyObject>.fromOpaque(h).takeUnretainedValue()
    if let a = o as? ContinualLearningAgent { return a }
    return o as! DNCMemoryAgent
}

/// The seed-memory agent behind `h`; `.invalidState` naming `what` for a DNC-memory agent.
func seedAgent(_ h: UnsafeMutableRawPointer, _ what: String) throws(MnemonetError) -> ContinualLearningAgent {
    guard let a = Unmanaged<AnyObject>.fromOpaque(h).takeUnretainedValue() as? ContinualLearningAgent else {
        throw .invalidState("\(what) needs the seed's memory (memory='seed'); this agent has memory='dnc'")
    }
    return a
}

/// `int32_t mn_agent_create(int64_t input_dim, int64_t hidden_dim, int64_t output_dim, int64_t memory_size, int64_t memory_dim,
///  int64_t num_read_heads, int64_t num_write_heads, int64_t replay_capacity, float lr, int64_t replay_batch,
///  float replay_weight, float clip_norm, double replay_alpha, double replay_beta, int32_t memory_kind,
///  int32_t has_seed, uint64_t seed, mn_agent **out, mn_status *status)`: memory_kind 0 = the seed's bank
///  (`ContinualLearningAgent`), 1 = the DNC's memory access (`DNCMemoryAgent`).
@c(mn_agent_create)
public func mnAgentCreate(_ i: Int64, _ hd: Int64, _ o: Int64, _ n: Int64, _ w: Int64, _ r: Int64, _ writes: Int64,
                          _ capacity: Int64, _ lr: Float, _ batch: Int64, _ weight: Float, _ clip: Float,
                          _ alpha: Double, _ beta: Double, _ memoryKind: Int32, _ hasSeed: Int32, _ seed: UInt64,
                          _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                          _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        switch AgentMemoryKind(rawValue: memoryKind) {
        case .seed?:
            out.pointee = retainHandle(try ContinualLearningAgent(
                inputDim: Int(i), hiddenDim: Int(hd), outputDim: Int(o), config: memoryConfig(n, w, r, writes),
                replayCapacity: Int(capacity), learningRate: lr, replayBatchSize: Int(batch), replayWeight: weight,
                clipNorm: clip, replayAlpha: alpha, replayBeta: beta, seed: hasSeed != 0 ? seed : nil))
        case .dnc?:
            try require(o == i, "memory='dnc' maps x back to input_dim (\(i)) values; output_dim must equal it, got \(o)")
            out.pointee = retainHandle(try DNCMemoryAgent(
                inputDim: Int(i), hiddenDim: Int(hd), config: memoryConfig(n, w, r, writes),
                replayCapacity: Int(capacity), learningRate: lr, replayBatchSize: Int(batch), replayWeight: weight,
                clipNorm: clip, replayAlpha: alpha, replayBeta: beta, seed: hasSeed != 0 ? seed : nil))
        case nil:
            throw .invalidArgument("memory kind must be 0 (seed) or 1 (dnc), got \(memoryKind)")
        }
    }
}

/// `int32_t mn_agent_options(mn_agent *agent, int64_t *replay_batch, float *replay_weight, float *clip_norm,
///  double *replay_alpha, double *replay_beta, mn_status *status)`
@c(mn_agent_options)
public func mnAgentOptions(_ h: UnsafeMutableRawPointer, _ batch: UnsafeMutablePointer<Int64>?,
                           _ weight: UnsafeMutablePointer<Float>?, _ clip: UnsafeMutablePointer<Float>?,
                           _ alpha: UnsafeMutablePointer<Double>?, _ beta: UnsafeMutablePointer<Double>?,
                           _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) {
        let a = continualAgent(h)
        batch?.pointee = Int64(a.replayBatchSize)
        weight?.pointee = a.replayWeight
        clip?.pointee = a.clipNorm
        alpha?.pointee = a.replayAlpha
        beta?.pointee = a.replayBeta
    }
}

/// `int32_t mn_agent_exact_adam(mn_agent *agent, int32_t set, int32_t *exact, mn_status *status)`: reads (set < 0)
/// or sets (set = 0 or 1) whether Adam uses PyTorch's exact arithmetic; *exact receives the value after the call.
/// A DNC-memory agent is always exact (set = 0 → `.invalidState`).
@c(mn_agent_exact_adam)
public func mnAgentExactAdam(_ h: UnsafeMutableRawPointer, _ set: Int32, _ exact: UnsafeMutablePointer<Int32>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        // A DNC-memory agent trains with the engine's Adam, which is always PyTorch's exact arithmetic.
        if set == 0, Unmanaged<AnyObject>.fromOpaque(h).takeUnretainedValue() is DNCMemoryAgent {
            throw .invalidState("exact_adam=False needs the seed's memory (memory='seed'); a memory='dnc' agent "
                                + "always uses the engine's exact Adam")
        }
        guard let a = Unmanaged<AnyObject>.fromOpaque(h).takeUnretainedValue() as? ContinualLearningAgent else {
            exact.pointee = 1
            return
        }
        if set >= 0 { a.exactAdam = set != 0 }
        exact.pointee = a.exactAdam ? 1 : 0
    }
}

/// `void mn_agent_free(mn_agent *agent)`
@c(mn_agent_free)
public func mnAgentFree(_ h: UnsafeMutableRawPointer?) { release(h, as: AnyObject.self) }

/// `int32_t mn_agent_info(mn_agent *agent, int64_t *dims, float *lr, mn_status *status)`: dims receives
/// input_dim, hidden_dim, memory_size, memory_dim, num_read_heads, num_write_heads, replay_capacity, output_dim,
/// memory kind.
@c(mn_agent_info)
public func mnAgentInfo(_ h: UnsafeMutableRawPointer, _ dims: UnsafeMutablePointer<Int64>,
                        _ lr: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) {
        let a = continualAgent(h)
        let v = [a.inputDim, a.hiddenDim, a.config.memorySize, a.config.memoryDim, a.config.numReadHeads,
                 a.config.numWriteHeads, a.replayCapacity, a.outputDim, Int(a.memoryKind.rawValue)]
        for k in 0..<v.count { dims[k] = Int64(v[k]) }
        lr.pointee = a.learningRate
    }
}

/// `int32_t mn_agent_controller(mn_agent *agent, mn_controller **out, mn_status *status)`: a new handle on the
/// agent's controller (release it with mn_controller_free).
@c(mn_agent_controller)
public func mnAgentController(_ h: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                              _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        out.pointee = retainHandle(try seedAgent(h, "the controller view").controller)
    }
}

/// `int32_t mn_agent_memory_bank(mn_agent *agent, mn_memory_bank **out, mn_status *status)`: a new handle on the
/// agent's memory bank (release it with mn_memory_bank_free).
@c(mn_agent_memory_bank)
public func mnAgentMemoryBank(_ h: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                              _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        out.pointee = retainHandle(try seedAgent(h, "the memory bank view").memoryBank)
    }
}

/// `int32_t mn_agent_train_step(mn_agent *agent, const float *x, const float *y, int32_t use_replay, double *loss,
///  mn_status *status)`
@c(mn_agent_train_step)
public func mnAgentTrainStep(_ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                             _ useReplay: Int32, _ loss: UnsafeMutablePointer<Double>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        loss.pointee = try continualAgent(h).trainStep(x: x, y: y, useReplay: useReplay != 0)
    }
}

/// `int32_t mn_agent_train_step_with_draws(mn_agent *agent, const float *x, const float *y, const int64_t *indices,
///  const float *weights, double *loss, mn_status *status)`: train_step with the 8 replay draws given.
@c(mn_agent_train_step_with_draws)
public func mnAgentTrainStepWithDraws(_ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>,
                                      _ y: UnsafePointer<Float>, _ indices: UnsafePointer<Int64>,
                                      _ weights: UnsafePointer<Float>, _ loss: UnsafeMutablePointer<Double>,
                                      _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        loss.pointee = try seedAgent(h, "train_step_with_draws").trainStep(
            x: x, y: y, replayIndices: indices, replayWeights: weights)
    }
}

/// `int32_t mn_agent_evaluate(mn_agent *agent, const float *x, const float *y, int64_t count,
///  int32_t write_memory, double *error, mn_status *status)`
@c(mn_agent_evaluate)
public func mnAgentEvaluate(_ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                            _ count: Int64, _ writeMemory: Int32, _ error: UnsafeMutablePointer<Double>,
                            _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        error.pointee = try continualAgent(h).evaluate(
            x: x, y: y, count: Int(count), writeMemory: writeMemory != 0)
    }
}

/// `int32_t mn_agent_predict(mn_agent *agent, const float *x, int64_t count, float *out, mn_status *status)`
@c(mn_agent_predict)
public func mnAgentPredict(_ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ count: Int64,
                           _ out: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try continualAgent(h).predict(x: x, count: Int(count), output: out)
    }
}

/// `int32_t mn_agent_fit(mn_agent *agent, const float *x, const float *y, int64_t count, int64_t epochs,
///  int32_t use_replay, double *losses, mn_status *status)`: losses receives epochs·count values.
@c(mn_agent_fit)
public func mnAgentFit(_ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                       _ count: Int64, _ epochs: Int64, _ useReplay: Int32, _ losses: UnsafeMutablePointer<Double>,
                       _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try continualAgent(h).fit(
            x: x, y: y, count: Int(count), epochs: Int(epochs), useReplay: useReplay != 0, losses: losses)
    }
}

/// `int32_t mn_agent_replay_count(mn_agent *agent, int64_t *count, mn_status *status)`
@c(mn_agent_replay_count)
public func mnAgentReplayCount(_ h: UnsafeMutableRawPointer, _ count: UnsafeMutablePointer<Int64>,
                               _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { count.pointee = Int64(continualAgent(h).replay.count) }
}

/// `int32_t mn_agent_replay_sample(mn_agent *agent, int64_t batch_size, double beta, int64_t *indices,
///  float *weights, float *x, float *y, mn_status *status)`: the seed's `sample(batch_size, beta)` on the agent's
///  buffer (x: [batch_size, input_dim], y: [batch_size, output_dim]).
@c(mn_agent_replay_sample)
public func mnAgentReplaySample(_ h: UnsafeMutableRawPointer, _ batch: Int64, _ beta: Double,
                                _ indices: UnsafeMutablePointer<Int64>, _ weights: UnsafeMutablePointer<Float>,
                                _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let a = continualAgent(h)
        let b = Int(batch), i = a.inputDim, o = a.outputDim
        try require(b >= 1, "batch_size must be >= 1, got \(batch)")
        try a.replay.sample(batchSize: b, beta: beta, indices: UnsafeMutableBufferPointer(start: indices, count: b),
                            weights: UnsafeMutableBufferPointer(start: weights, count: b),
                            fields: [UnsafeMutableRawBufferPointer(start: x, count: b * i * 4),
                                     UnsafeMutableRawBufferPointer(start: y, count: b * o * 4)])
    }
}

/// `int32_t mn_agent_save(mn_agent *agent, const char *path, mn_status *status)`
@c(mn_agent_save)
public func mnAgentSave(_ h: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>,
                        _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try continualAgent(h).save(path: string(path))
    }
}

/// `int32_t mn_agent_load(const char *path, mn_agent **out, mn_status *status)`
@c(mn_agent_load)
public func mnAgentLoad(_ path: UnsafePointer<CChar>, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                        _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        out.pointee = retainHandle(try AgentCheckpoint.load(path: string(path)))
    }
}

/// `int32_t mn_agent_memory(mn_agent *agent, float *out, mn_status *status)`: copies M [N, W] then u [N] of the
/// agent's current memory (either kind) into out [N·W + N].
@c(mn_agent_memory)
public func mnAgentMemory(_ h: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<Float>,
                          _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { continualAgent(h).copyMemory(into: out) }
}

/// `int32_t mn_agent_bench_plain_step_phases(mn_agent *agent, const float *x, const float *y, int64_t iterations,
///  int64_t repeats, double *ns, mn_status *status)`: benchmark hook (bench/bench_floors.py); `ns` [8] receives the CPU
///  ns per call of a whole step without replay and of each of its phases (`plainStepPhaseNames`). Changes the agent.
@c(mn_agent_bench_plain_step_phases)
public func mnAgentBenchPlainStepPhases(_ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>,
                                        _ y: UnsafePointer<Float>, _ iterations: Int64, _ repeats: Int64,
                                        _ ns: UnsafeMutablePointer<Double>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try seedAgent(h, "bench_plain_step_phases").benchmarkPlainStepPhases(
            x: x, y: y, iterations: Int(iterations), repeats: Int(repeats), into: ns)
    }
}
