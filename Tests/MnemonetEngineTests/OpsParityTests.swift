import Foundation
import MnemonetEngine
import Testing
import MnemonetTestSupport

/// Functional ops against PyTorch (values and gradients, ≤ 1e-5 relative): softmax, log-softmax, F.normalize (incl. a
/// zero row: eps = 1e-12 semantics), softplus (incl. x > 20), sigmoid, tanh, cross-entropy, cumprod, dilated causal
/// conv1d.
@Suite struct OpsParityTests {
    func check(_ f: Fixture, _ name: String, input: String = "x", r: Tensor? = nil,
               _ op: (Variable) -> Variable, sourceLocation: SourceLocation = #_sourceLocation) {
        let x = Variable(f[input].copy(), requiresGrad: true)
        let y = op(x)
        #expect(relativeError(y.value, f[name]) <= 1e-5, "\(name) value: \(relativeError(y.value, f[name]))",
                sourceLocation: sourceLocation)
        let weights = r ?? f["r"]
        let g = gradients(of: (y * Variable(weights)).sum(), wrt: [x])[0]
        #expect(relativeError(g.value, f["grad_" + name]) <= 1e-5, "\(name) gradient: \(relativeError(g.value, f["grad_" + name]))",
                sourceLocation: sourceLocation)
    }

    @Test func elementwiseAndRowOps() throws {
        let f = try Fixture("ops")
        check(f, "softmax") { $0.softmax() }
        check(f, "log_softmax") { $0.logSoftmax() }
        check(f, "normalize") { $0.normalized() }
        check(f, "softplus") { $0.softplus() }
        check(f, "sigmoid") { $0.sigmoid() }
        check(f, "tanh") { $0.tanh() }
        let r = f["r"]
        let r24 = Tensor(shape: [2, 4], values: (0..<8).map { r[flat: ($0 / 4) * 5 + $0 % 4] })
        check(f, "normalize_zero_row", input: "z", r: r24) { $0.normalized() }
        let r21 = Tensor(shape: [2, 1], values: [r[flat: 0], r[flat: 5]])
        check(f, "cumprod", input: "u", r: r21) { $0.cumprod() }
    }

    @Test func crossEntropy() throws {
        let f = try Fixture("ops")
        let targets = (f.scalars["targets"] as! [NSNumber]).map(\.intValue)
        let x = Variable(f["x"].copy(), requiresGrad: true)
        let loss = crossEntropyLoss(x, targets: targets)
        #expect(abs(loss.scalar - f["cross_entropy"][flat: 0]) <= 1e-5 * abs(f["cross_entropy"][flat: 0]))
        #expect(relativeError(gradients(of: loss, wrt: [x])[0].value, f["grad_cross_entropy"]) <= 1e-5)
    }

    @Test func dilatedCausalConv1d() throws {
        let f = try Fixture("ops")
        var rng = Xoshiro256(seed: 0)
        let conv = Conv1d(inChannels: 3, outChannels: 4, kernelSize: 3, dilation: 2, padding: .causal, rng: &rng)
        try conv.loadStateDict(["weight": f["conv_weight"], "bias": f["conv_bias"]])
        let x = Variable(f["conv_x"].copy(), requiresGrad: true)
        let y = conv(x)
        #expect(relativeError(y.value, f["conv_y"]) <= 1e-5)
        let gs = gradients(of: (y * Variable(f["conv_r"])).sum(), wrt: [x, conv.weight, conv.bias!])
        #expect(relativeError(gs[0].value, f["conv_grad_x"]) <= 1e-5)
        #expect(relativeError(gs[1].value, f["conv_grad_weight"]) <= 1e-5)
        #expect(relativeError(gs[2].value, f["conv_grad_bias"]) <= 1e-5)
    }

    /// The fused softmax / log-softmax ops equal their composed definitions (values and gradients).
    @Test func fusedSoftmaxMatchesComposed() {
        let x = Variable(rand([4, 6], -3, 3), requiresGrad: true)
        let r = Variable(rand([4, 6], seed: 3))
        let shifted = x - Variable(Tensor(shape: [4, 1], values: (0..<4).map { i in (0..<6).map { x.value[flat: i * 6 + $0] }.max()! }))
        let composed = shifted.exp() / shifted.exp().sum(axis: -1, keepDims: true)
        #expect(maxAbsDiff(x.softmax().value, composed.value) < 1e-6)
        let g1 = gradients(of: (x.softmax() * r).sum(), wrt: [x])[0]
        let g2 = gradients(of: (composed * r).sum(), wrt: [x])[0]
        #expect(maxAbsDiff(g1.value, g2.value) < 1e-6)
        let lg1 = gradients(of: (x.logSoftmax() * r).sum(), wrt: [x])[0]
        let lg2 = gradients(of: (composed.log() * r).sum(), wrt: [x])[0]
        #expect(maxAbsDiff(x.logSoftmax().value, composed.log().value) < 1e-5)
        #expect(maxAbsDiff(lg1.value, lg2.value) < 1e-5)
    }
}
