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

    /// With an embedding network in front, the fused pass (composed MLP + one node) equals the composed model, and
    /// its gradients (the embedding's included, reached through the fused node's input gradient) match finite
    /// differences, for a final ReLU and a linear last layer.
    @Test(arguments: [true, false])
    func embeddingThroughTheFusedPass(_ finalReLU: Bool) throws {
        let model = try SNAIL(inputSize: 5, outputSize: 2, sequenceLength: 6,
                              blocks: [.attention(key: 3, value: 2), .tc(filters: 2)],
                              embedding: SNAILEmbeddingSpec(sizes: [4, 3], inputs: 3, finalReLU: finalReLU), seed: 13)
        let xt = rand([2, 6, 5], seed: 8)
        var rng = Xoshiro256(seed: 9)
        let r = Variable(Tensor.uniform(shape: [2, 6, 2], low: -1, high: 1, rng: &rng))
        func run(_ f: (Variable) -> Variable) -> (y: [Float], grads: [[Float]]) {
            let x = Variable(xt.copy(), requiresGrad: true)
            let y = GradMode.withGrad { f(x) }
            let g = gradients(of: GradMode.withGrad { (y * r).sum() }, wrt: model.namedParameters.map(\.variable) + [x])
            return (y.value.array, g.map { $0.value.array })
        }
        let fused = run { model.fusedForward($0) }, composed = run { model.composedForward($0) }
        #expect(zip(fused.y, composed.y).allSatisfy { abs($0 - $1) <= 1e-5 * (1 + abs($1)) })
        for (name, (a, b)) in zip(model.namedParameters.map(\.name) + ["x"], zip(fused.grads, composed.grads)) {
            let scale = b.map(abs).max() ?? 0
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * (1 + scale), "\(name): |fused − composed| = \(worst) (scale \(scale))")
            #expect(scale > 0 || name == "x", "\(name): an identically zero gradient")
        }
        let bad = kinkFreeGradientMismatches(model, input: xt)
        #expect(bad.isEmpty, "\(bad)")
    }

    /// The signs of every ReLU input of the embedding for x (the pieces of the piecewise-linear MLP).
    func reluPattern(_ model: SNAIL, _ x: Tensor) -> [Bool] {
        let e = model.embedding!
        let (b, t, f) = (x.shape[0], x.shape[1], e.spec.inputs)
        return GradMode.withoutGrad {
            var h = Variable(x).slice(axis: 2, start: 0, length: f).reshaped([b * t, f])
            var signs: [Bool] = []
            for (j, layer) in e.layers.enumerated() {
                let z = layer(h)
                if e.activation(after: j) == .relu { signs += z.value.array.map { $0 > 0 } }
                h = e.activation(after: j).apply(z)
            }
            return signs
        }
    }

    /// ``parameterGradientMismatches`` for a model with ReLUs in its embedding: the directional derivative of
    /// L = Σ y ⊙ R along a random d against the 4th-order central difference, with the largest step h ≤ 1e-2 (halved
    /// as needed) for which θ ± h·d, θ ± 2h·d leave every ReLU on the same side (the check is exact on one linear
    /// piece; a kink inside the stencil would make it meaningless), for every parameter and the input x.
    func kinkFreeGradientMismatches(_ model: SNAIL, input x: Tensor) -> [String] {
        var rng = Xoshiro256(seed: 21)
        let named = model.namedParameters
        let probe = GradMode.withoutGrad { model.fusedForward(Variable(x)) }
        let r = Variable(Tensor.uniform(shape: probe.shape, low: -1, high: 1, rng: &rng))
        let xv = Variable(x.copy(), requiresGrad: true)
        let grads = gradients(of: GradMode.withGrad { (model.fusedForward(xv) * r).sum() }, wrt: named.map(\.variable) + [xv])
        let base = reluPattern(model, x)
        var bad: [String] = []
        for (i, name) in (named.map(\.name) + ["x"]).enumerated() {
            let target = i < named.count ? named[i].variable.value : x.copy()
            let saved = target.copy()
            let d = Tensor.normal(shape: saved.shape, rng: &rng)
            let analytic = zip(grads[i].value.array, d.array).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            func set(_ h: Float) { target.assign(Tensor(shape: saved.shape, values: zip(saved.array, d.array).map { $0 + h * $1 })) }
            let input = i < named.count ? x : target  // the parameter is changed in place; x is changed in its copy
            func at(_ h: Float) -> Float {
                set(h)
                return GradMode.withoutGrad { (model.fusedForward(Variable(input)) * r).sum().scalar }
            }
            var h: Float = 1e-2
            func stable(_ h: Float) -> Bool {
                [-2, -1, 1, 2].allSatisfy { (k: Float) in set(k * h); return reluPattern(model, input) == base }
            }
            while h > 1e-4 && !stable(h) { h /= 2 }
            let numeric = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)
            target.assign(saved)
            if !stable(h) { bad.append("\(name): no kink-free step down to h = \(h)") }
            target.assign(saved)
            if !(abs(analytic - numeric) <= 1e-2 * abs(numeric) + 2e-3) { bad.append("\(name): \(analytic) vs \(numeric) (h \(h))") }
        }
        return bad
    }

    /// Without a graph (prediction) the fused pass gives the same values and records nothing.
    @Test func fusedForwardWithoutGradIsAConstant() throws {
        let model = try SNAIL(inputSize: 3, outputSize: 2, sequenceLength: 4, blocks: [.tc(filters: 2)], seed: 1)
        let y = GradMode.withoutGrad { model.fusedForward(Variable(rand([2, 4, 3], seed: 2))) }
        #expect(y.isLeaf && !y.requiresGrad)
    }
}
