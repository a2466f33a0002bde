import MnemonetBase
import MnemonetEngine
import MnemonetSNAIL
import Testing
import MnemonetTestSupport

/// The largest |f(x)[:, ≤ t] − f(x')[:, ≤ t]| over t and random x' that equals x on steps ≤ t and differs after t.
/// A causal stage gives exactly 0 (up to BLAS rounding); any leak from the future gives O(1).
func worstFutureLeak(batch: Int = 2, length: Int, channels: Int, seed: UInt64 = 3, _ f: (Variable) -> Variable) -> Float {
    let x = rand([batch, length, channels], seed: seed)
    let y = GradMode.withoutGrad { f(Variable(x)).value }
    var worst: Float = 0
    for t in 0..<(length - 1) {
        let other = rand([batch, length, channels], seed: seed &+ UInt64(t) &+ 100)
        let x2 = x.copy()
        for b in 0..<batch {
            for s in (t + 1)..<length {
                for c in 0..<channels { x2[flat: (b * length + s) * channels + c] = other[flat: (b * length + s) * channels + c] * 5 }
            }
        }
        let y2 = GradMode.withoutGrad { f(Variable(x2)).value }
        let width = y.shape[2]
        for b in 0..<batch {
            for s in 0...t {
                for c in 0..<width {
                    let i = (b * length + s) * width + c
                    worst = max(worst, abs(y[flat: i] - y2[flat: i]))
                }
            }
        }
    }
    return worst
}

@Suite struct SNAILBlockTests {
    @Test(arguments: [1, 2, 3, 5])
    func denseBlockIsCausal(_ dilation: Int) {
        var rng = Xoshiro256(seed: 1)
        let block = DenseBlock(inChannels: 3, filters: 4, dilation: dilation, rng: &rng)
        #expect(worstFutureLeak(length: 9, channels: 3) { block($0) } <= 1e-6)
    }

    @Test(arguments: [1, 2, 7, 8, 9, 16])
    func tcBlockIsCausal(_ length: Int) {
        var rng = Xoshiro256(seed: 2)
        let block = TCBlock(inChannels: 3, sequenceLength: length, filters: 2, rng: &rng)
        #expect(block.denseBlocks.count == TCBlock.depth(sequenceLength: length))
        #expect(block.denseBlocks.map(\.dilation) == (0..<block.denseBlocks.count).map { 1 << $0 })
        if length > 1 { #expect(worstFutureLeak(length: length, channels: 3) { block($0) } <= 1e-6) }
    }

    @Test func tcDepthIsCeilLog2() {
        #expect([1, 2, 3, 4, 5, 8, 9, 51, 101, 1000].map(TCBlock.depth) == [1, 1, 2, 2, 3, 3, 4, 6, 7, 10])
    }

    @Test func attentionBlockIsCausal() {
        var rng = Xoshiro256(seed: 3)
        let block = AttentionBlock(inChannels: 4, keySize: 3, valueSize: 5, rng: &rng)
        #expect(worstFutureLeak(length: 7, channels: 4) { block($0) } <= 1e-6)
    }

    /// The causality check is not vacuous: softmax over the query axis (a known public-implementation bug) and a
    /// mask that lets step i see step i + 1 both fail it.
    @Test func causalityCheckCatchesTheKnownBugs() {
        var rng = Xoshiro256(seed: 3)
        let block = AttentionBlock(inChannels: 4, keySize: 3, valueSize: 5, rng: &rng)
        func scores(_ x: Variable) -> Variable {
            let (b, t) = (x.shape[0], x.shape[1])
            let flat = x.reshaped([b * t, 4])
            return matmul(block.query(flat).reshaped([b, t, 3]), block.key(flat).reshaped([b, t, 3]), transposeB: true)
        }
        let wrongAxis: (Variable) -> Variable = { x in scores(x).causalMasked().transposed().softmax().transposed() }
        #expect(worstFutureLeak(length: 6, channels: 4, wrongAxis) > 1e-2)
        let offByOne: (Variable) -> Variable = { x in
            let s = scores(x), t = s.shape[1]
            let mask = Tensor(shape: [t, t])
            for i in 0..<t { for j in 0..<t where j > i + 1 { mask[flat: i * t + j] = 1 } }
            return s.maskedFill(mask, with: -.infinity).softmax()
        }
        #expect(worstFutureLeak(length: 6, channels: 4, offByOne) > 1e-2)
    }

    @Test func attentionWeightsAreDistributionsOverPastKeys() {
        var rng = Xoshiro256(seed: 4)
        let block = AttentionBlock(inChannels: 4, keySize: 3, valueSize: 2, rng: &rng)
        let p = block.attentionWeights(Variable(rand([2, 6, 4], seed: 9))).value
        for b in 0..<2 {
            for i in 0..<6 {
                var s: Float = 0
                for j in 0..<6 {
                    let w = p[flat: (b * 6 + i) * 6 + j]
                    if j > i { #expect(w == 0) } else { #expect(w > 0) }
                    s += w
                }
                #expect(abs(s - 1) <= 1e-5)
            }
        }
    }

    @Test func wholeModelIsCausal() throws {
        let model = try SNAIL(inputSize: 3, outputSize: 2, sequenceLength: 8,
                              blocks: [.attention(key: 4, value: 3), .tc(filters: 3), .attention(key: 2, value: 2)], seed: 5)
        #expect(worstFutureLeak(length: 8, channels: 3) { model($0) } <= 1e-6)
    }

    /// The embedding network is per step: changing steps t+1… (observation and label columns) never changes y[:, ≤ t].
    @Test(arguments: [true, false])
    func wholeModelWithEmbeddingIsCausal(_ fused: Bool) throws {
        let model = try SNAIL(inputSize: 5, outputSize: 2, sequenceLength: 8,
                              blocks: [.attention(key: 4, value: 3), .tc(filters: 3), .attention(key: 2, value: 2)],
                              embedding: SNAILEmbeddingSpec(sizes: [6, 4], inputs: 3), seed: 5)
        model.fused = fused
        #expect(worstFutureLeak(length: 8, channels: 5) { model($0) } <= 1e-6)
        // Not vacuous: the same check sees a change of step t itself.
        let x = rand([2, 8, 5], seed: 3), x2 = x.copy()
        x2[flat: 2 * 5] += 1  // b 0, t 2, observation column 0
        let (y, y2) = GradMode.withoutGrad { (model(Variable(x)).value, model(Variable(x2)).value) }
        #expect((0..<2).contains { abs(y[flat: 2 * 2 + $0] - y2[flat: 2 * 2 + $0]) > 1e-6 })
    }

    @Test func blockGradientsMatchFiniteDifferences() {
        var rng = Xoshiro256(seed: 6)
        let dense = DenseBlock(inChannels: 3, filters: 2, dilation: 2, rng: &rng)
        let tc = TCBlock(inChannels: 3, sequenceLength: 5, filters: 2, rng: &rng)
        let attention = AttentionBlock(inChannels: 3, keySize: 2, valueSize: 3, rng: &rng)
        let x = rand([2, 5, 3], seed: 11)
        for (name, block) in [("dense", dense as any SNAILLayer), ("tc", tc), ("attention", attention)] {
            let wx = GradCheck().worst(inputs: [x]) { v in block(v[0]) }
            #expect(wx <= 1, "\(name): input gradient ratio \(wx)")
            let bad = parameterGradientMismatches(block, input: x) { block($0) }
            #expect(bad.isEmpty, "\(name): \(bad)")
        }
    }

    @Test func modelGradientsMatchFiniteDifferences() throws {
        let model = try SNAIL(inputSize: 3, outputSize: 2, sequenceLength: 4,
                              blocks: [.tc(filters: 2), .attention(key: 2, value: 2)], seed: 8)
        let x = rand([2, 4, 3], seed: 12)
        let bad = parameterGradientMismatches(model, input: x) { model($0) }
        #expect(bad.isEmpty, "\(bad)")
        let wx = GradCheck().worst(inputs: [x], secondOrder: false) { v in model(v[0]) }
        #expect(wx <= 1, "input gradient ratio \(wx)")
    }
}

/// For each parameter of `module`: the analytic directional derivative ⟨∂L/∂θ, d⟩ of L = Σ f(x) ⊙ R against the
/// fourth-order central difference of L(θ + h·d) (h = 1e-2, same tolerance as `GradCheck`). Returns the mismatches.
func parameterGradientMismatches(_ module: any Module, input x: Tensor, _ f: (Variable) -> Variable) -> [String] {
    var rng = Xoshiro256(seed: 21)
    let named = module.namedParameters
    let params = named.map(\.variable)
    let probe = GradMode.withoutGrad { f(Variable(x)) }
    let r = Variable(Tensor.uniform(shape: probe.shape, low: -1, high: 1, rng: &rng))
    func loss() -> Float { GradMode.withoutGrad { (f(Variable(x)) * r).sum().scalar } }
    let grads = gradients(of: (f(Variable(x)) * r).sum(), wrt: params)
    var bad: [String] = []
    for (i, p) in params.enumerated() {
        let saved = p.value.copy()
        let d = Tensor.normal(shape: p.shape, rng: &rng)
        let analytic = zip(grads[i].value.array, d.array).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        func at(_ h: Float) -> Float {
            p.value.assign(Tensor(shape: p.shape, values: zip(saved.array, d.array).map { $0 + h * $1 }))
            return loss()
        }
        let h: Float = 1e-2
        let numeric = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)
        p.value.assign(saved)
        if !(abs(analytic - numeric) <= 1e-2 * abs(numeric) + 2e-3) { bad.append("\(named[i].name): \(analytic) vs \(numeric)") }
    }
    return bad
}
