import MnemonetBase
import MnemonetEngine

/// The result of `MemoryController.adapted(…)`: a new controller holding the adapted parameters θ_K, and the
/// support losses along the way.
public struct ControllerAdaptation {
    /// A new controller (its own parameters and workspace) holding θ_K; the source controller is untouched.
    public let controller: MemoryController
    /// `supportLosses[t]` = L_S(θ_t) for t = 0…K: the loss before each step, then after the last one (K + 1 values).
    public let supportLosses: [Double]
}

/// Functional adaptation of the seed's memory controller (the seed's `MetaLearner.adapt`, made well defined).
///
/// The seed's `adapt(support_x, support_y, num_steps, lr)` clones the parameters, then repeats K times: forward the
/// support set through the controller with the memory bank, `loss = mse(pred, y)`, `θ' ← θ' − lr ∇loss`. As written
/// it cannot run (a batched `support_x` makes the controller's `view(R, −1)` fail, `self.model.memory_bank` does
/// not exist, `autograd.grad` raises for the write heads, which have no path to the loss, and every step
/// differentiates the *unadapted* parameters). What is computed here is what it means:
///
///     L_S(θ) = (1/n) Σ_j mse(f_θ(x_j; M_{j−1}), y_j),   M_0 = a copy of the given memory,  M_j = write_θ(M_{j−1}, x_j)
///     θ_0 = θ;   θ_{t+1} = θ_t − α ∇_θ L_S(θ_t)          (t = 0…K−1)
///
/// * Every support pass (one per step, plus the final loss) starts from a fresh COPY of the given memory M_0 and
///   runs the samples in order, each forward reading and then writing the copy (the seed's forward semantics). The
///   caller's memory bank and the source controller's parameters are never modified.
/// * The memory is a constant for differentiation, exactly as in the seed (its writes are detached): ∇L_S treats
///   each M_{j−1} as the constant the sample read. The write heads and W_hh therefore get zero gradient and keep
///   their values (as a PyTorch optimiser leaves parameters whose `.grad` is None).
/// * The gradient is the controller's fused pullback (first order in θ; `ControllerMAML` differentiates through it).
extension MemoryController {
    /// Checks a support or query set of `count` rows and the memory bank against this controller.
    func checkSet(count: Int, bank: NeuralMemoryBank, what: String) throws(MnemonetError) {
        try require(count >= 1 && count <= 4096, "\(what) must have 1...4096 samples, got \(count)")
        try require(bank.config == layout.config,
                    "the memory bank's configuration \(bank.config) does not match the controller's \(layout.config)")
    }

    /// A new controller with this one's sizes and a copy of its parameters, able to batch `capacity` rows.
    public func clone(capacity: Int? = nil) throws(MnemonetError) -> MemoryController {
        var rng = Xoshiro256(seed: 0)
        let c = try MemoryController(inputDim: layout.inputDim, hiddenDim: layout.hiddenDim,
                                     outputDim: layout.outputDim, config: layout.config,
                                     capacity: capacity ?? self.capacity, rng: &rng)
        c.parameters.baseAddress!.update(from: parameters.baseAddress!, count: layout.count)
        return c
    }

    /// One pass over rows `0..<count` (x [count, I], y [count, O]; y nil leaves the targets as they are) from a copy of `start` (copied into `scratch`): the mean
    /// MSE, and with `gradient`, ∇ of that mean into `gradients` (memory constant). Needs `count <= capacity`.
    func supportPass(x: UnsafePointer<Float>, y: UnsafePointer<Float>?, count: Int, start: NeuralMemoryBank,
                     scratch: NeuralMemoryBank, gradient: Bool, record: Bool = false) -> Double {
        let i = layout.inputDim, o = layout.outputDim
        scratch.memory.baseAddress!.update(from: start.memory.baseAddress!, count: start.memory.count)
        scratch.usage.baseAddress!.update(from: start.usage.baseAddress!, count: start.usage.count)
        inputs.update(from: x, count: count * i)
        if let y { targets.update(from: y, count: count * o) }
        encode(rows: 0, count: count)
        for r in 0..<count { access(row: r, bank: scratch, record: gradient || record) }
        decode(rows: 0, count: count)
        var total = 0.0
        for r in 0..<count { total += Double(loss(row: r)) }
        if gradient {
            let scales = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { scales.deallocate() }
            scales.initialize(repeating: 1 / Float(count), count: count)
            pullback(count: count, scales: scales)
        }
        return total / Double(count)
    }

    /// The seed's `MetaLearner.adapt` for this controller (see the extension's doc): K = `steps` SGD steps of rate
    /// α = `learningRate` on the mean support MSE over x [count, I], y [count, O], each pass from a copy of `memory`.
    /// Neither `self` nor `memory` is modified. Throws `.invalidArgument` for bad sizes or a foreign memory bank.
    public func adapted(supportX x: UnsafePointer<Float>, supportY y: UnsafePointer<Float>, count: Int,
                        memory: NeuralMemoryBank, steps: Int, learningRate: Float) throws(MnemonetError)
        -> ControllerAdaptation {
        try checkSet(count: count, bank: memory, what: "the support set")
        try require(steps >= 0 && steps <= 100_000, "num_steps must be in 0...100000, got \(steps)")
        try require(learningRate.isFinite, "lr must be finite, got \(learningRate)")
        let c = try clone(capacity: max(count, 1))
        let scratch = try NeuralMemoryBank(config: layout.config)
        var losses: [Double] = []
        losses.reserveCapacity(steps + 1)
        let p = c.parameters.baseAddress!, g = c.gradients.baseAddress!
        for _ in 0..<steps {
            losses.append(c.supportPass(x: x, y: y, count: count, start: memory, scratch: scratch, gradient: true))
            for range in layout.trainableRanges {
                for k in range { p[k] -= learningRate * g[k] }
            }
        }
        losses.append(c.supportPass(x: x, y: y, count: count, start: memory, scratch: scratch, gradient: false))
        return ControllerAdaptation(controller: c, supportLosses: losses)
    }

    /// The mean MSE of this controller over x [count, I], y [count, O], run in order from a COPY of `memory` (each forward reads
    /// then writes the copy; `memory` itself is untouched). Rows are batched `capacity` at a time.
    public func meanLoss(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int,
                         memory: NeuralMemoryBank) throws(MnemonetError) -> Double {
        try checkSet(count: count, bank: memory, what: "the data")
        let scratch = try NeuralMemoryBank(config: layout.config)
        scratch.memory.baseAddress!.update(from: memory.memory.baseAddress!, count: memory.memory.count)
        scratch.usage.baseAddress!.update(from: memory.usage.baseAddress!, count: memory.usage.count)
        let i = layout.inputDim, o = layout.outputDim
        var total = 0.0, done = 0
        while done < count {
            let b = min(capacity, count - done)
            inputs.update(from: x + done * i, count: b * i)
            targets.update(from: y + done * o, count: b * o)
            encode(rows: 0, count: b)
            for r in 0..<b { access(row: r, bank: scratch, record: false) }
            decode(rows: 0, count: b)
            for r in 0..<b { total += Double(loss(row: r)) }
            done += b
        }
        return total / Double(count)
    }

    /// The memory each row reads in one pass over x [count, I] from a copy of `memory` at the current parameters:
    /// `count` tensors [N, W] (M_0, …, M_{count−1}). The constants the pullback and `ComposedController` use.
    public func memoryTrace(x: UnsafePointer<Float>, count: Int, memory: NeuralMemoryBank) throws(MnemonetError)
        -> [Tensor] {
        try checkSet(count: count, bank: memory, what: "the data")
        let c = try clone(capacity: count)
        let scratch = try NeuralMemoryBank(config: layout.config)
        let nw = layout.config.memorySize * layout.config.memoryDim
        // Targets are irrelevant to the trace (y nil: the targets are left as they are).
        _ = c.supportPass(x: x, y: nil, count: count, start: memory, scratch: scratch, gradient: false, record: true)
        let n = layout.config.memorySize, w = layout.config.memoryDim
        return (0..<count).map { r in Tensor(shape: [n, w], copying: c.recMemory + r * nw) }
    }
}
