import MnemonetEngine

// Engine exports (mnemonet.h, section "engine"): benchmark hooks only. The engine itself is used from Swift by the
// other modules; Python sees it through their wrappers.

/// `int32_t mn_engine_bench_lstm(int64_t batch, int64_t input, int64_t hidden, int32_t backward, int64_t iterations,
/// int64_t repeats, double *ns_per_step, mn_status *status)`
@c(mn_engine_bench_lstm)
public func mnEngineBenchLSTM(
    _ batch: Int64, _ input: Int64, _ hidden: Int64, _ backward: Int32, _ iterations: Int64, _ repeats: Int64,
    _ result: UnsafeMutablePointer<Double>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        result.pointee = try EngineBenchmarks.lstmStep(batch: Int(batch), input: Int(input), hidden: Int(hidden),
                                                   backward: backward != 0, iterations: Int(iterations), repeats: Int(repeats))
    }
}

/// `int32_t mn_engine_bench_op_overhead(int64_t size, int64_t length, int32_t mode, int64_t iterations,
/// int64_t repeats, double *ns_per_op, mn_status *status)`
@c(mn_engine_bench_op_overhead)
public func mnEngineBenchOpOverhead(
    _ size: Int64, _ length: Int64, _ mode: Int32, _ iterations: Int64, _ repeats: Int64,
    _ result: UnsafeMutablePointer<Double>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        result.pointee = try EngineBenchmarks.opOverhead(size: Int(size), length: Int(length), mode: Int(mode),
                                                     iterations: Int(iterations), repeats: Int(repeats))
    }
}

/// `int32_t mn_engine_bench_maml(int64_t meta_batch, int64_t k, int32_t second_order, int64_t iterations,
/// int64_t repeats, double *ns_per_iteration, mn_status *status)`
@c(mn_engine_bench_maml)
public func mnEngineBenchMAML(
    _ metaBatch: Int64, _ k: Int64, _ secondOrder: Int32, _ iterations: Int64, _ repeats: Int64,
    _ result: UnsafeMutablePointer<Double>, _ status: UnsafeMutableRawPointer
) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        result.pointee = try EngineBenchmarks.mamlMetaGradient(metaBatch: Int(metaBatch), k: Int(k), secondOrder: secondOrder != 0,
                                                           iterations: Int(iterations), repeats: Int(repeats))
    }
}
