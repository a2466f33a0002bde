import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import Testing

/// The fused controller (forward + hand-derived pullback) against the same computation composed from the engine's
/// autodiff ops — the seed's PyTorch graph op for op, with the memory each row read as a constant (detached writes).
struct ControllerAutodiffTests {
    @Test func fusedForwardAndPullbackEqualComposedAutodiff() throws {
        let config = MemoryConfig(memorySize: 9, memoryDim: 5, numReadHeads: 3)
        let inputDim = 6, hiddenDim = 7, rows = 4
        var rng = Xoshiro256(seed: 21)
        let c = try MemoryController(inputDim: inputDim, hiddenDim: hiddenDim, config: config, capacity: rows, rng: &rng)
        for k in 0..<c.parameters.count { c.parameters[k] *= 2 }
        let bank = try NeuralMemoryBank(config: config)
        for k in 0..<bank.memory.count { bank.memory[k] = Float(rng.nextNormal()) * 0.7 }
        for k in 0..<rows * inputDim {
            c.inputs[k] = Float(rng.nextNormal())
            c.targets[k] = Float(rng.nextNormal()) * 0.5
        }
        let scales: [Float] = [1, 0.21, 0.3, 0.12]

        // Fused: batched encode, sequential access (recording the memory each row reads), batched decode, pullback.
        var snapshots: [[Float]] = []
        c.encode(rows: 0, count: rows)
        for r in 0..<rows {
            snapshots.append(Array(bank.memory))
            c.access(row: r, bank: bank, record: true)
        }
        c.decode(rows: 0, count: rows)
        scales.withUnsafeBufferPointer { c.pullback(count: rows, scales: $0.baseAddress!) }
        let fusedGradients = Array(c.gradients)
        let fusedOutputs = Array(UnsafeBufferPointer(start: c.outputs, count: rows * inputDim))

        // Composed: one graph per row, summed.
        let layout = c.layout
        let params = layout.tensors.map { t in
            Variable(Tensor(shape: t.shape, copying: c.parameters.baseAddress! + t.offset), requiresGrad: true)
        }
        func p(_ name: String) -> Variable { params[layout.tensorIndex(named: name)!] }
        let h = hiddenDim, n = config.memorySize, w = config.memoryDim, heads = config.numReadHeads
        var total: Variable? = nil
        var composedOutputs: [Float] = []
        for r in 0..<rows {
            let x = Variable(Tensor(shape: [1, inputDim], copying: c.inputs + r * inputDim))
            let y = Variable(Tensor(shape: [1, inputDim], copying: c.targets + r * inputDim))
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
            let memory = Variable(Tensor(shape: [n, w], values: snapshots[r]))
            let similarity = matmul(keys.normalized(axis: 1), memory.normalized(axis: 1), transposeB: true)
            let weights = (similarity * betas).softmax()
            let reads = matmul(weights, memory).reshaped([1, heads * w])
            let out = linear(concat([s, reads], axis: 1), p("output.weight"), p("output.bias"))
            composedOutputs += out.value.array
            let term = mseLoss(out, y) * scales[r]
            total = total.map { $0 + term } ?? term
        }
        let grads = gradients(of: total!, wrt: params)

        for k in 0..<fusedOutputs.count {
            #expect(abs(fusedOutputs[k] - composedOutputs[k]) <= 1e-5 * max(1, abs(composedOutputs[k])))
        }
        for (t, g) in zip(layout.tensors, grads) {
            let composed = g.value.array
            let fused = Array(fusedGradients[t.offset..<(t.offset + t.count)])
            let scale = max(composed.map { abs($0) }.max() ?? 0, 1e-6)
            let worst = zip(fused, composed).map { abs($0 - $1) }.max() ?? 0
            if t.name.hasPrefix("write_") || t.name.hasPrefix("erase_") {
                // The write heads only feed the detached write: no path to the loss in either version.
                #expect(composed.allSatisfy { $0 == 0 } && fused.allSatisfy { $0 == 0 }, "\(t.name)")
            } else {
                #expect(worst <= 1e-4 * scale + 1e-7, "\(t.name): max difference \(worst) (scale \(scale))")
            }
        }
        // W_hh's gradient is exactly zero (h₀ = 0), in both.
        #expect(grads[layout.tensorIndex(named: "lstm.weight_hh_l0")!].value.array.allSatisfy { $0 == 0 })
    }
}
