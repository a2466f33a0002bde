import MnemonetBase
import MnemonetMemory
import Testing

/// Finite-difference checks of `MemoryController`'s fused pullback, for every parameter tensor.
struct ControllerGradientTests {
    /// A small controller, a random non-zero memory, 3 rows with distinct scales (like a replay batch).
    final class Setup {
        let c: MemoryController
        let bank: NeuralMemoryBank
        let m0: [Float], u0: [Float]
        let rows = 3
        let scales: [Float] = [1, 0.3 * 0.7, 0.3]

        init(config: MemoryConfig, inputDim: Int = 5, hiddenDim: Int = 6, outputDim: Int? = nil,
             zeroMemory: Bool = false) throws {
            var rng = Xoshiro256(seed: 11)
            c = try MemoryController(inputDim: inputDim, hiddenDim: hiddenDim, outputDim: outputDim, config: config,
                                     capacity: 4, rng: &rng)
            // Larger weights than PyTorch's init so that every path carries a visible gradient.
            for k in 0..<c.parameters.count { c.parameters[k] *= 3 }
            bank = try NeuralMemoryBank(config: config)
            m0 = (0..<bank.memory.count).map { _ in zeroMemory ? 0 : Float(rng.nextNormal()) * 0.5 }
            u0 = (0..<bank.usage.count).map { _ in rng.nextUnitFloat() }
            for k in 0..<rows * inputDim { c.inputs[k] = Float(rng.nextNormal()) }
            for k in 0..<rows * c.layout.outputDim { c.targets[k] = Float(rng.nextNormal()) * 0.5 }
        }

        /// The memory each row read in the unperturbed run (the seed detaches writes, so for the gradient the memory
        /// a row sees is a constant: finite differences must hold it fixed too).
        var snapshots: [([Float], [Float])] = []

        /// Σ_b scale_b · mse_b, each row accessing its recorded memory (recorded first when `record`).
        func loss(record: Bool = false) -> Double {
            m0.withUnsafeBufferPointer { m in
                u0.withUnsafeBufferPointer { u in try! bank.assign(memory: m, usage: u) }
            }
            if record { snapshots = [] }
            c.encode(rows: 0, count: rows)
            for r in 0..<rows {
                if record {
                    snapshots.append((Array(bank.memory), Array(bank.usage)))
                } else {
                    snapshots[r].0.withUnsafeBufferPointer { m in
                        snapshots[r].1.withUnsafeBufferPointer { u in try! bank.assign(memory: m, usage: u) }
                    }
                }
                c.access(row: r, bank: bank, record: true)
            }
            c.decode(rows: 0, count: rows)
            var s = 0.0
            for r in 0..<rows { s += Double(scales[r]) * Double(c.loss(row: r)) }
            return s
        }

        func analytic() -> [Float] {
            _ = loss(record: true)
            scales.withUnsafeBufferPointer { c.pullback(count: rows, scales: $0.baseAddress!) }
            return Array(c.gradients)
        }
    }

    func check(_ s: Setup) {
        let g = s.analytic()
        var rng = Xoshiro256(seed: 5)
        var checked = 0, compared = 0, significant = 0, structuralZeros = 0
        for t in s.c.layout.tensors {
            // Up to 6 entries per tensor, always including the first.
            let picks = [0] + (0..<5).map { _ in rng.nextInt(below: t.count) }
            for e in picks {
                let k = t.offset + e
                let saved = s.c.parameters[k]
                let h: Float = 1e-2
                s.c.parameters[k] = saved + h
                let lp = s.loss()
                s.c.parameters[k] = saved - h
                let lm = s.loss()
                s.c.parameters[k] = saved
                let fd = (lp - lm) / Double(2 * h)
                let an = Double(g[k])
                let frozen = t.name.hasPrefix("write_") || t.name.hasPrefix("erase_") || t.name == "lstm.weight_hh_l0"
                if frozen {
                    // No gradient reaches these (detached writes; h₀ = 0): the analytic gradient is exactly 0.
                    #expect(an == 0, "\(t.name)[\(e)] should have no gradient")
                    if t.name == "lstm.weight_hh_l0" { #expect(abs(fd) < 1e-6, "W_hh[\(e)] moves the loss: \(fd)") }
                } else {
                    let tol = 3e-2 * max(abs(fd), abs(an)) + 2e-5
                    #expect(abs(fd - an) <= tol, "\(t.name)[\(e)]: analytic \(an), finite difference \(fd)")
                    compared += 1
                    // Where |fd| > 2e-5 / (1 − 3e-2) a wrong sign cannot pass the tolerance above.
                    if abs(fd) > 1e-4 { significant += 1 }
                    if fd == 0 { structuralZeros += 1 }
                }
                checked += 1
            }
        }
        #expect(checked >= 6 * s.c.layout.tensors.count)
        // The check must be able to fail: most compared gradients are large enough that a flipped sign or a missing
        // term exceeds the absolute tolerance (otherwise an all-zero pullback would pass).
        // (Entries with an exactly zero difference are structural zeros — forget gate with c₀ = 0, reads of a zero
        // memory — where any non-zero analytic value already fails.)
        #expect(significant * 4 >= (compared - structuralZeros) * 3,
                "only \(significant) of \(compared - structuralZeros) non-zero gradients exceed 1e-4")
    }

    @Test func gradientsMatchFiniteDifferencesDefaultShape() throws {
        check(try Setup(config: MemoryConfig(memorySize: 7, memoryDim: 4, numReadHeads: 2)))
    }

    @Test func gradientsMatchFiniteDifferencesOneHead() throws {
        check(try Setup(config: MemoryConfig(memorySize: 5, memoryDim: 3, numReadHeads: 1), inputDim: 4, hiddenDim: 3))
    }

    @Test func gradientsMatchFiniteDifferencesWiderAndNarrowerOutput() throws {
        // output_dim ≠ input_dim: O sizes only the output layer (loss mean over O values, W_out [O, H + RW]).
        for o in [2, 9] {
            let s = try Setup(config: MemoryConfig(memorySize: 7, memoryDim: 4, numReadHeads: 2), outputDim: o)
            #expect(s.c.layout.tensors[s.c.layout.tensorIndex(named: "output.weight")!].shape == [o, 6 + 8])
            #expect(s.c.layout.tensors[s.c.layout.tensorIndex(named: "output.bias")!].shape == [o])
            check(s)
        }
    }

    @Test func gradientsMatchFiniteDifferencesFromZeroMemory() throws {
        // A fresh (zero) memory: normalisation clamps at ε and every slot gets weight 1/N at the first access.
        check(try Setup(config: MemoryConfig(memorySize: 6, memoryDim: 4, numReadHeads: 2), zeroMemory: true))
    }
}
