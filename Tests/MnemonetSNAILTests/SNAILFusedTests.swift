import MnemonetBase
import MnemonetEngine
import MnemonetSNAIL
import MnemonetTestSupport
import Testing

/// The fused pass (`SNAIL.fusedForward`, one graph node with a hand-derived pullback) against the composed blocks:
/// same outputs, same gradients for every parameter and for the input, including sequences shorter than a dilation
/// (the past tap is then all padding), a single step and a single sequence.
@Suite struct SNAILFusedTests {
    static let cases: [(blocks: [SNAILBlockSpec], sequenceLength: Int, batch: Int, length: Int)] = [
        ([.attention(key: 4, value: 3), .tc(filters: 3), .attention(key: 5, value: 2)], 8, 3, 8),
        ([.tc(filters: 4), .attention(key: 3, value: 3), .tc(filters: 2)], 16, 2, 5),  // dilation 8 ≥ T = 5
        ([.tc(filters: 2)], 4, 1, 1),
        ([.attention(key: 2, value: 2)], 3, 4, 3),
        ([], 2, 2, 2),
    ]

    @Test(arguments: 0..<5)
    func fusedEqualsComposed(_ index: Int) throws {
        let c = Self.cases[index]
        let model = try SNAIL(inputSize: 3, outputSize: 4, sequenceLength: c.sequenceLength, blocks: c.blocks, seed: 17)
        let xt = rand([c.batch, c.length, 3], seed: 5)
        var rng = Xoshiro256(seed: 6)
        let r = Variable(Tensor.uniform(shape: [c.batch, c.length, 4], low: -1, high: 1, rng: &rng))
        func run(_ f: (Variable) -> Variable) -> (y: [Float], grads: [[Float]]) {
            let x = Variable(xt.copy(), requiresGrad: true)
            let y = GradMode.withGrad { f(x) }
            let loss = GradMode.withGrad { (y * r).sum() }
            let g = gradients(of: loss, wrt: model.namedParameters.map(\.variable) + [x])
            return (y.value.array, g.map { $0.value.array })
        }
        let fused = run { model.fusedForward($0) }, composed = run { model.composedForward($0) }
        #expect(zip(fused.y, composed.y).allSatisfy { abs($0 - $1) <= 1e-5 * (1 + abs($1)) })
        let names = model.namedParameters.map(\.name) + ["x"]
        for (name, (a, b)) in zip(names, zip(fused.grads, composed.grads)) {
            let scale = b.map(abs).max() ?? 0
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * (1 + scale), "\(name): |fused − composed| = \(worst) (scale \(scale))")
        }
    }

    /// Finite differences on the fused path where a dilation reaches past the sequence (T = 3 < R = 4).
    @Test func fusedGradientsMatchFiniteDifferencesWithLongDilations() throws {
        let model = try SNAIL(inputSize: 2, outputSize: 2, sequenceLength: 8,
                              blocks: [.tc(filters: 2), .attention(key: 2, value: 2)], seed: 9)
        let x = rand([2, 3, 2], seed: 4)
        let bad = parameterGradientMismatches(model, input: x) { model.fusedForward($0) }
        #expect(bad.isEmpty, "\(bad)")
        let wx = GradCheck().worst(inputs: [x], secondOrder: false) { v in model.fusedForward(v[0]) }
        #expect(wx <= 1, "input gradient ratio \(wx)")
    }

    /// Without a graph (prediction) the fused pass gives the same values and records nothing.
    @Test func fusedForwardWithoutGradIsAConstant() throws {
        let model = try SNAIL(inputSize: 3, outputSize: 2, sequenceLength: 4, blocks: [.tc(filters: 2)], seed: 1)
        let y = GradMode.withoutGrad { model.fusedForward(Variable(rand([2, 4, 3], seed: 2))) }
        #expect(y.isLeaf && !y.requiresGrad)
    }
}
