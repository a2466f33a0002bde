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

        // Composed (ComposedController, the engine-autodiff reference in Sources): one graph per row, summed.
        let layout = c.layout
        let params = ComposedController.variables(c.parameters.baseAddress!, layout: layout)
        let memories = snapshots.map { Tensor(shape: [config.memorySize, config.memoryDim], values: $0) }
        var total: Variable? = nil
        var composedOutputs: [Float] = []
        for r in 0..<rows {
            let x = Variable(Tensor(shape: [1, inputDim], copying: c.inputs + r * inputDim))
            let y = Variable(Tensor(shape: [1, inputDim], copying: c.targets + r * inputDim))
            let out = ComposedController.output(x: x, memory: Variable(memories[r]), parameters: params, layout: layout)
            composedOutputs += out.value.array
            let term = mseLoss(out, y) * scales[r]
            total = total.map { $0 + term } ?? term
        }
        // The same sum through ComposedController.loss.
        let viaLoss = ComposedController.loss(x: c.inputs, y: c.targets, count: rows, memories: memories,
                                              parameters: params, layout: layout, scales: scales)
        #expect(abs(viaLoss.value.scalar - total!.value.scalar) <= 1e-6 * abs(total!.value.scalar))
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
