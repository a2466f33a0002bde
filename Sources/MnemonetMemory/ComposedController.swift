import MnemonetBase
import MnemonetEngine

/// The seed's `MemoryController.forward` composed from the engine's autodiff ops, op for op like the PyTorch graph,
/// with the memory each row reads as a constant (the seed detaches every write). The reference for the fused
/// controller (`ControllerAutodiffTests`) and the differentiable path of second-order MAML (`ControllerMAML`):
/// every op has a differentiable pullback, so `gradients(…, createGraph: true)` through it gives Hessian terms.
///
/// Parameters are one `Variable` per `state_dict` entry, in `ControllerLayout.tensors` order.
public enum ComposedController {
    /// The parameters' current values as `Variable`s (`requiresGrad` leaves), in `layout.tensors` order.
    public static func variables(_ parameters: UnsafePointer<Float>, layout: ControllerLayout,
                                 requiresGrad: Bool = true) -> [Variable] {
        layout.tensors.map { t in
            Variable(Tensor(shape: t.shape, copying: parameters + t.offset), requiresGrad: requiresGrad)
        }
    }

    /// One forward: x [1, I], memory [N, W] (constant) → ŷ [1, O].
    ///
    ///     gates = W_ih x + b_ih + W_hh h₀ + b_hh (h₀ = c₀ = 0);  c = σ(f) c₀ + σ(i) tanh(g);  s = σ(o) tanh(c)
    ///     k = reshape(W_rk s + b_rk, [R, W]);  β = softplus(W_rs s + b_rs);  w = softmax(β · cos(k, M));  r = w M
    ///     ŷ = W_out [s ; r] + b_out
    public static func output(x: Variable, memory: Variable, parameters ps: [Variable],
                              layout: ControllerLayout) -> Variable {
        func p(_ name: String) -> Variable { ps[layout.tensorIndex(named: name)!] }
        let h = layout.hiddenDim, w = layout.config.memoryDim, heads = layout.config.numReadHeads
        let h0 = Variable(Tensor(shape: [1, h]))
        let gates = linear(x, p("lstm.weight_ih_l0"), p("lstm.bias_ih_l0"))
            + linear(h0, p("lstm.weight_hh_l0"), p("lstm.bias_hh_l0"))
        let ig = gates.slice(axis: 1, start: 0, length: h).sigmoid()
        let fg = gates.slice(axis: 1, start: h, length: h).sigmoid()
        let gg = gates.slice(axis: 1, start: 2 * h, length: h).tanh()
        let og = gates.slice(axis: 1, start: 3 * h, length: h).sigmoid()
        let cell = fg * h0 + ig * gg
        let s = og * cell.tanh()
        let keys = linear(s, p("read_keys.weight"), p("read_keys.bias")).reshaped([heads, w])
        let betas = linear(s, p("read_strengths.weight"), p("read_strengths.bias")).softplus().reshaped([heads, 1])
        let similarity = matmul(keys.normalized(axis: 1), memory.normalized(axis: 1), transposeB: true)
        let weights = (similarity * betas).softmax()
        let reads = matmul(weights, memory).reshaped([1, heads * w])
        return linear(concat([s, reads], axis: 1), p("output.weight"), p("output.bias"))
    }

    /// Σ_j scale_j · mse(f(x_j; memories[j]), y_j) over x [count, I], y [count, O] with the given memory constants
    /// (`scales` nil: the mean, 1/count each) — the loss whose gradient the fused `pullback` computes.
    public static func loss(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int, memories: [Tensor],
                            parameters ps: [Variable], layout: ControllerLayout, scales: [Float]? = nil) -> Variable {
        precondition(memories.count >= count, "one memory per row")
        let i = layout.inputDim, o = layout.outputDim
        var total: Variable? = nil
        for r in 0..<count {
            let xr = Variable(Tensor(shape: [1, i], copying: x + r * i))
            let yr = Variable(Tensor(shape: [1, o], copying: y + r * o))
            let out = output(x: xr, memory: Variable(memories[r]), parameters: ps, layout: layout)
            let term = mseLoss(out, yr) * (scales?[r] ?? 1 / Float(count))
            total = total.map { $0 + term } ?? term
        }
        return total!
    }
}
