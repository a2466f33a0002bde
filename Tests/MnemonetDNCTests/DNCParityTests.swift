import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import Testing
import MnemonetTestSupport

/// The DNC against the independent PyTorch implementation (tools/fixtures/dnc_reference.py): a 10-step sequence at
/// batch 3, 3 read heads, 1 and 2 write heads, LSTM and feedforward controllers, with and without a sequence mask.
/// Outputs, every final state component, every step's read/write weightings, the loss and every parameter gradient
/// must agree to ≤ 1e-4 relative.
struct DNCParityTests {
    static let tolerance: Float = 1e-4

    @Test(arguments: ["dnc_w1_lstm", "dnc_w2_lstm", "dnc_w2_lstm_masked", "dnc_w1_feedforward"])
    func matchesPyTorchReference(name: String) throws {
        let f = try Fixture(name)
        let memory = MemoryConfig(memorySize: f.int("memory_size"), memoryDim: f.int("memory_dim"),
                                  numReadHeads: f.int("num_read_heads"), numWriteHeads: f.int("num_write_heads"))
        let kind: DNCControllerKind = (f.scalars["controller"] as! String) == "lstm" ? .lstm : .feedforward
        let config = DNCConfig(inputSize: f.int("input_size"), outputSize: f.int("output_size"),
                               hiddenSize: f.int("hidden_size"), memory: memory, controller: kind)
        let model = try DNC(config: config, seed: 0)
        let names = model.namedParameters.map { $0.name }
        #expect(names == (f.scalars["parameter_names"] as! [String]))
        var dict: [String: Tensor] = [:]
        for n in names { dict[n] = f["param." + n] }
        try model.loadStateDict(dict)

        let mask = f.tensors["mask"]
        var initial: DNCState? = nil
        if f.tensors["init.memory"] != nil {
            let keys = (kind == .lstm ? ["h", "c"] : []) + ["memory", "usage", "link", "precedence", "read_weights",
                                                           "write_weights", "read_vectors"]
            initial = DNCState(components: keys.map { Variable(f["init." + $0]) }, hasController: kind == .lstm)
        }
        let unroll = model(Variable(f["inputs"]), state: initial, mask: mask, trace: true)
        #expect(relativeError(unroll.outputs.value, f["outputs"]) <= Self.tolerance)
        let s = unroll.state
        var compared: [(String, Tensor)] = [
            ("memory", s.access.memory.value), ("usage", s.access.usage.value), ("link", s.access.link.value),
            ("precedence", s.access.precedence.value), ("read_weights", s.access.readWeights.value),
            ("write_weights", s.access.writeWeights.value), ("read_vectors", s.readVectors.value)]
        if let c = s.controller { compared += [("h", c.h.value), ("c", c.c.value)] }
        for (key, value) in compared {
            let err = relativeError(value, f["state." + key])
            #expect(err <= Self.tolerance, "state.\(key): relative error \(err)")
        }
        let reads = concat(unroll.trace.map { $0.access.readWeights.reshaped([1] + $0.access.readWeights.shape) }, axis: 0)
        let writes = concat(unroll.trace.map { $0.access.writeWeights.reshaped([1] + $0.access.writeWeights.shape) }, axis: 0)
        #expect(relativeError(reads.value, f["trace.read_weights"]) <= Self.tolerance)
        #expect(relativeError(writes.value, f["trace.write_weights"]) <= Self.tolerance)

        let (loss, grads, _) = DNCTrainer.lossAndGradients(model: model, inputs: f["inputs"], targets: f["targets"],
                                                           lossMask: mask, sequenceMask: mask, loss: .sigmoidCrossEntropy,
                                                           state: initial)
        let refLoss = Float((f.scalars["loss"] as! Double))
        #expect(abs(loss - refLoss) <= Self.tolerance * abs(refLoss))
        for (n, g) in zip(names, grads) {
            let err = relativeError(g, f["grad." + n])
            #expect(err <= Self.tolerance, "grad.\(n): relative error \(err)")
        }
    }
}
