import Glibc

/// Timed workloads for bench/bench_engine.py (exposed through the C ABI so that Python can compare them with
/// PyTorch in the same process). Each returns the median over `repeats` of the mean nanoseconds per iteration.
public enum EngineBenchmarks {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func median(repeats: Int, iterations: Int, _ body: () -> Void) -> Double {
        body()  // warm-up
        var samples: [Double] = []
        for _ in 0..<max(1, repeats) {
            let t0 = now()
            for _ in 0..<iterations { body() }
            samples.append(Double(now() - t0) / Double(iterations))
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// One fused LSTM cell step (input `input`, hidden `hidden`, batch `batch`): forward only, or forward + backward of
    /// L = Σh' + Σc' into the parameters' `.grad` (PyTorch: `LSTMCell` + `backward()`).
    /// Throws `.invalidArgument` for sizes < 1 or tensors over 2^26 values (a failed allocation would trap).
    public static func lstmStep(batch: Int, input: Int, hidden: Int, backward: Bool, iterations: Int, repeats: Int) throws(MnemonetError) -> Double {
        try require(batch >= 1 && input >= 1 && hidden >= 1 && iterations >= 1 && repeats >= 1,
                    "bench_lstm: sizes, iterations and repeats must be ≥ 1")
        try require(batch <= 1 << 20 && input <= 1 << 20 && hidden <= 1 << 20
                    && batch * (input + 8 * hidden) <= 1 << 26 && 4 * hidden * (input + hidden) <= 1 << 26,
                    "bench_lstm: batch \(batch), input \(input), hidden \(hidden) need tensors of more than 2^26 values")
        var rng = Xoshiro256(seed: 1)
        let lstm = LSTM(inputSize: input, hiddenSize: hidden, rng: &rng)
        let x = Variable(Tensor.uniform(shape: [batch, input], low: -1, high: 1, rng: &rng))
        let s = LSTMState(h: Variable(Tensor.uniform(shape: [batch, hidden], low: -1, high: 1, rng: &rng)),
                          c: Variable(Tensor.uniform(shape: [batch, hidden], low: -1, high: 1, rng: &rng)))
        return median(repeats: repeats, iterations: iterations) {
            if backward {
                let out = lstm.step(x, s)
                (out.h.sum() + out.c.sum()).backward()
            } else {
                _ = GradMode.withoutGrad { lstm.step(x, s) }
            }
        }
    }

    /// Per-op overhead: a chain of `2·length` element-wise ops y ← (y + b)·a on tensors of `size` elements, in
    /// nanoseconds per op. `mode` 0: no graph (constants); 1: recording the graph (a, b require grad);
    /// 2: recording + backward (per forward op).
    /// Throws `.invalidArgument` for sizes < 1, a mode outside 0...2, or a chain holding more than 2^26 values.
    public static func opOverhead(size: Int, length: Int, mode: Int, iterations: Int, repeats: Int) throws(MnemonetError) -> Double {
        try require(size >= 1 && length >= 1 && iterations >= 1 && repeats >= 1 && (0...2).contains(mode),
                    "bench_op_overhead: sizes ≥ 1 and mode in 0...2")
        try require(size <= 1 << 26 && length <= 1 << 20 && size * length <= 1 << 26,
                    "bench_op_overhead: size \(size) × length \(length) would hold more than 2^26 values")
        var rng = Xoshiro256(seed: 2)
        let a = Variable(Tensor.uniform(shape: [size], low: 0.9, high: 1.1, rng: &rng), requiresGrad: mode > 0)
        let b = Variable(Tensor.uniform(shape: [size], low: -0.1, high: 0.1, rng: &rng), requiresGrad: mode > 0)
        let x = Variable(Tensor.uniform(shape: [size], low: -1, high: 1, rng: &rng))
        let perIteration = median(repeats: repeats, iterations: iterations) {
            var y = x
            for _ in 0..<length { y = (y + b) * a }
            if mode == 2 { _ = gradients(of: y.sum(), wrt: [a, b]) }
        }
        return perIteration / Double(2 * length)
    }

    /// One second-order MAML meta-gradient (Finn et al. 2017) on sinusoid-like data: an MLP 1→40→40→1 (ReLU),
    /// `metaBatch` tasks, K support and K query points each, one inner SGD step (α = 0.01) with `createGraph`, the
    /// meta-gradient of the mean query loss w.r.t. the meta-parameters (no optimizer step).
    /// Throws `.invalidArgument` for sizes < 1 or more than 2^20 data points (meta_batch · k).
    public static func mamlMetaGradient(metaBatch: Int, k: Int, secondOrder: Bool, iterations: Int, repeats: Int) throws(MnemonetError) -> Double {
        try require(metaBatch >= 1 && k >= 1 && iterations >= 1 && repeats >= 1, "bench_maml: sizes must be ≥ 1")
        try require(metaBatch <= 1 << 20 && k <= 1 << 20 && metaBatch * k <= 1 << 20,
                    "bench_maml: meta_batch \(metaBatch) × k \(k) is more than 2^20 data points")
        var rng = Xoshiro256(seed: 3)
        let shapes = [[40, 1], [40], [40, 40], [40], [1, 40], [1]]
        let fanIns = [1, 1, 40, 40, 40, 40]
        let params = zip(shapes, fanIns).map { Init.uniformParameter($0, bound: Init.pytorchDefaultBound(fanIn: $1), rng: &rng) }
        struct Task { let xs, ys, xq, yq: Variable }
        let tasks = (0..<metaBatch).map { _ -> Task in
            let amp = 0.1 + 4.9 * rng.nextUnitFloat(), phase = Float.pi * rng.nextUnitFloat()
            func batch() -> (Variable, Variable) {
                let x = Tensor.uniform(shape: [k, 1], low: -5, high: 5, rng: &rng)
                return (Variable(x), Variable(Tensor(shape: [k, 1], values: x.array.map { amp * sinf($0 + phase) })))
            }
            let (xs, ys) = batch(), (xq, yq) = batch()
            return Task(xs: xs, ys: ys, xq: xq, yq: yq)
        }
        return median(repeats: repeats, iterations: iterations) {
            var total = Variable(scalar: 0)
            for t in tasks {
                let inner = mseLoss(mlp(t.xs, parameters: params), t.ys)
                let gs = gradients(of: inner, wrt: params, createGraph: secondOrder)
                let adapted = zip(params, gs).map { $0 - $1 * 0.01 }
                total = total + mseLoss(mlp(t.xq, parameters: adapted), t.yq)
            }
            _ = gradients(of: total * (1 / Float(metaBatch)), wrt: params)
        }
    }
}
