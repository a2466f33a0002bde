import MnemonetBase
import MnemonetEngine
import MnemonetSNAIL
import Testing
import MnemonetTestSupport

/// Parity with the independent PyTorch implementation in tools/fixtures/make_snail_fixtures.py (float64 reference):
/// outputs, every parameter gradient and the input gradient to ≤ 1e-4 relative, per block and for whole models.
@Suite struct SNAILParityTests {
    nonisolated(unsafe) static let fixture = try! Fixture("snail_fixtures")

    func load(_ module: any Module, _ name: String) {
        for p in module.namedParameters { p.variable.value.assign(Self.fixture["\(name)/param/\(p.name)"]) }
    }

    func compare(_ module: any Module, _ name: String, y: Variable, objective: Variable, x: Variable) {
        let f = Self.fixture
        #expect(relativeError(y.value, f["\(name)/y"]) <= 1e-4, "\(name): output")
        let params = module.namedParameters
        let grads = gradients(of: objective, wrt: params.map(\.variable) + [x])
        for (p, g) in zip(params, grads) {
            let reference = f["\(name)/grad/\(p.name)"]
            if reference.array.allSatisfy({ abs($0) < 1e-12 }) {
                // The key bias: softmax is invariant to adding q·b_k to every key's score, so ∂L/∂b_k = 0 exactly;
                // ours is 0 up to float32 rounding. Relative error is undefined here: compare absolutely.
                #expect(p.name.hasSuffix("key.bias"), "\(name): \(p.name) has an identically zero reference gradient")
                #expect(g.value.array.allSatisfy { abs($0) <= 1e-6 }, "\(name): gradient of \(p.name) should be 0")
                continue
            }
            let e = relativeError(g.value, reference)
            #expect(e <= 1e-4, "\(name): gradient of \(p.name), relative error \(e)")
        }
        #expect(relativeError(grads.last!.value, f["\(name)/grad/x"]) <= 1e-4, "\(name): input gradient")
    }

    func checkBlock(_ block: any SNAILLayer, _ name: String) {
        load(block, name)
        let x = Variable(Self.fixture["\(name)/x"], requiresGrad: true)
        let y = block(x)
        compare(block, name, y: y, objective: (y * Variable(Self.fixture["\(name)/R"])).sum(), x: x)
    }

    @Test func denseBlock() {
        var rng = Xoshiro256(seed: 0)
        checkBlock(DenseBlock(inChannels: 3, filters: 4, dilation: 2, rng: &rng), "dense")
    }

    @Test func tcBlock() {
        var rng = Xoshiro256(seed: 0)
        checkBlock(TCBlock(inChannels: 3, sequenceLength: 7, filters: 2, rng: &rng), "tc")
    }

    @Test func attentionBlock() {
        var rng = Xoshiro256(seed: 0)
        checkBlock(AttentionBlock(inChannels: 4, keySize: 3, valueSize: 5, rng: &rng), "attention")
    }

    @Test(arguments: [
        ("model_ce", SNAILLoss.crossEntropy, [SNAILBlockSpec.attention(key: 4, value: 3), .tc(filters: 3), .attention(key: 5, value: 4)], 5, 3),
        ("model_mse", SNAILLoss.mse, [SNAILBlockSpec.tc(filters: 2), .attention(key: 3, value: 2)], 5, 3),
    ])
    func wholeModel(_ c: (String, SNAILLoss, [SNAILBlockSpec], Int, Int)) throws {
        let (name, loss, specs, i, o) = c
        let f = Self.fixture
        let x = Variable(f["\(name)/x"], requiresGrad: true)
        let model = try SNAIL(inputSize: i, outputSize: o, sequenceLength: x.shape[1], blocks: specs, seed: 0)
        #expect(Set(model.namedParameters.map { "\(name)/param/\($0.name)" }) == Set(f.tensors.keys.filter { $0.hasPrefix("\(name)/param/") }))
        load(model, name)
        let y = model(x)
        let l = loss(y, targets: Variable(f["\(name)/targets"]), weights: Variable(f["\(name)/weights"]))
        #expect(relativeError(l.value, f["\(name)/loss"]) <= 1e-5)
        compare(model, name, y: y, objective: l, x: x)
    }

    /// The embedding network in front (an MLP over the 4 observation columns of 7, the 3 label columns passed
    /// through), ending in a ReLU or linear: outputs, every gradient (`embedding.{0,2}.*` included) and ∂L/∂x.
    @Test(arguments: [("model_embed", SNAILLoss.crossEntropy, true), ("model_embed_linear", SNAILLoss.mse, false)])
    func wholeModelWithEmbedding(_ c: (String, SNAILLoss, Bool)) throws {
        let (name, loss, finalReLU) = c
        let f = Self.fixture
        let x = Variable(f["\(name)/x"], requiresGrad: true)
        let model = try SNAIL(inputSize: 7, outputSize: 3, sequenceLength: x.shape[1],
                              blocks: [.tc(filters: 3), .attention(key: 4, value: 3)],
                              embedding: SNAILEmbeddingSpec(sizes: [6, 5], inputs: 4, finalReLU: finalReLU), seed: 0)
        #expect(model.stageInputSize == 5 + 3)
        #expect(model.namedParameters.prefix(4).map(\.name)
                == ["embedding.0.weight", "embedding.0.bias", "embedding.2.weight", "embedding.2.bias"])
        #expect(Set(model.namedParameters.map { "\(name)/param/\($0.name)" }) == Set(f.tensors.keys.filter { $0.hasPrefix("\(name)/param/") }))
        load(model, name)
        for fused in [true, false] {
            model.fused = fused
            let y = model(x)
            let l = loss(y, targets: Variable(f["\(name)/targets"]), weights: Variable(f["\(name)/weights"]))
            #expect(relativeError(l.value, f["\(name)/loss"]) <= 1e-5, "\(name) fused \(fused): loss")
            compare(model, name, y: y, objective: l, x: x)
        }
    }
}
