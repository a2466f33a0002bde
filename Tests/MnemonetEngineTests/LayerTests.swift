import Foundation
import MnemonetEngine
import Testing
import MnemonetTestSupport

func lstmWeights(input: Int, hidden: Int, seed: UInt64) -> [Tensor] {
    [rand([4 * hidden, input], -0.5, 0.5, seed: seed), rand([4 * hidden, hidden], -0.5, 0.5, seed: seed + 1),
     rand([4 * hidden], -0.5, 0.5, seed: seed + 2), rand([4 * hidden], -0.5, 0.5, seed: seed + 3)]
}

func weights(_ v: ArraySlice<Variable>) -> LSTMWeights {
    let a = Array(v)
    return LSTMWeights(weightIH: a[0], weightHH: a[1], biasIH: a[2], biasHH: a[3])
}

@Suite struct LayerTests {
    let check = GradCheck()

    @Test func fusedLSTMCellMatchesComposed() {
        for (n, inF, hid) in [(1, 5, 8), (3, 4, 13)] {
            let vars = ([rand([n, inF]), rand([n, hid], seed: 2), rand([n, hid], seed: 3)]
                        + lstmWeights(input: inF, hidden: hid, seed: 4)).map { Variable($0, requiresGrad: true) }
            let s = LSTMState(h: vars[1], c: vars[2])
            let fused = lstmCell(vars[0], s, weights(vars[3...]))
            let composed = lstmCellComposed(vars[0], s, weights(vars[3...]))
            #expect(maxAbsDiff(fused.h.value, composed.h.value) < 1e-6)
            #expect(maxAbsDiff(fused.c.value, composed.c.value) < 1e-6)
            let r1 = Variable(rand([n, hid], seed: 20)), r2 = Variable(rand([n, hid], seed: 21))
            let g1 = gradients(of: (fused.h * r1 + fused.c * r2).sum(), wrt: vars)
            let g2 = gradients(of: (composed.h * r1 + composed.c * r2).sum(), wrt: vars)
            for (a, b) in zip(g1, g2) { #expect(maxAbsDiff(a.value, b.value) < 1e-5) }
            // createGraph path of the fused cell (composed pullback) equals the fused first-order kernel.
            let g3 = gradients(of: (fused.h * r1 + fused.c * r2).sum(), wrt: vars, createGraph: true)
            for (a, b) in zip(g1, g3) { #expect(maxAbsDiff(a.value, b.value) < 1e-5) }
        }
    }

    @Test func lstmCellGradients() {
        let inputs = [rand([2, 3]), rand([2, 5], seed: 2), rand([2, 5], seed: 3)] + lstmWeights(input: 3, hidden: 5, seed: 4)
        for fusedPath in [true, false] {
            let w = check.worst(inputs: inputs) { v in
                let s = LSTMState(h: v[1], c: v[2])
                let out = fusedPath ? lstmCell(v[0], s, weights(v[3...])) : lstmCellComposed(v[0], s, weights(v[3...]))
                return concat([out.h, out.c * 0.5], axis: 1)
            }
            #expect(w <= 1, "lstm cell (fused: \(fusedPath)) ratio \(w)")
        }
    }

    @Test func lstmLayerOverTimeGradients() {
        var rng = Xoshiro256(seed: 5)
        let ps = LSTM(inputSize: 3, hiddenSize: 4, batchFirst: true, rng: &rng).parameters
        for batchFirst in [true, false] {
            let x = batchFirst ? rand([2, 4, 3]) : rand([4, 2, 3])
            let h0 = rand([2, 4], seed: 8), c0 = rand([2, 4], seed: 9)
            let w = check.worst(inputs: [x, h0, c0] + ps, secondOrder: batchFirst) { v in
                let l = LSTMWeights(weightIH: v[3], weightHH: v[4], biasIH: v[5], biasHH: v[6])
                let (out, s) = lstm(v[0], LSTMState(h: v[1], c: v[2]), l, batchFirst: batchFirst)
                return concat([out.reshaped([-1]), s.c.reshaped([-1])], axis: 0)
            }
            #expect(w <= 1, "lstm over time (batchFirst \(batchFirst)) ratio \(w)")
        }
    }

    @Test func conv1dGradientsAndValues() {
        let x = rand([2, 3, 7]), wgt = rand([4, 3, 3], seed: 2), b = rand([4], seed: 3)
        for (pad, d) in [(Conv1dPadding.causal, 2), (.symmetric(1), 1), (.symmetric(0), 3), (.causal, 1)] {
            let w = check.worst(inputs: [x, wgt, b]) { v in conv1d(v[0], v[1], v[2], dilation: d, padding: pad).tanh() }
            #expect(w <= 1, "conv1d \(pad) d=\(d) ratio \(w)")
            // Values against a direct loop.
            let y = conv1d(Variable(x), Variable(wgt), Variable(b), dilation: d, padding: pad)
            let padLeft: Int
            switch pad { case .causal: padLeft = d * 2; case .symmetric(let p): padLeft = p }
            let lOut = y.shape[2]
            for n in 0..<2 { for o in 0..<4 { for t in 0..<lOut {
                var s = b[flat: o]
                for c in 0..<3 { for k in 0..<3 {
                    let src = t + k * d - padLeft
                    if src >= 0 && src < 7 { s += wgt[flat: (o * 3 + c) * 3 + k] * x[flat: (n * 3 + c) * 7 + src] }
                } }
                #expect(abs(y.value[flat: (n * 4 + o) * lOut + t] - s) < 1e-5)
            } } }
        }
    }

    @Test func causalConvSeesNoFuture() {
        let x = rand([1, 2, 9]), w = Variable(rand([3, 2, 2], seed: 2))
        let y1 = conv1d(Variable(x), w, nil, dilation: 4, padding: .causal)
        let x2 = x.copy()
        x2[flat: 6] += 1  // channel 0, t = 6
        let y2 = conv1d(Variable(x2), w, nil, dilation: 4, padding: .causal)
        #expect(y1.shape == [1, 3, 9])
        for o in 0..<3 { for t in 0..<9 {
            let changed = y1.value[flat: o * 9 + t] != y2.value[flat: o * 9 + t]
            #expect(changed == (t == 6 || t == 10) || (!changed && t >= 6), "o \(o) t \(t)")
            if t < 6 { #expect(!changed) }
        } }
    }

    @Test func causalAttentionGradients() {
        let w = check.worst(inputs: [rand([2, 4, 4], -2, 2)]) { $0[0].causalMasked().softmax() }
        #expect(w <= 1, "causal softmax ratio \(w)")
        let p = Variable(rand([4, 4])).causalMasked().softmax()
        for i in 0..<4 { for j in 0..<4 where j > i { #expect(p.value[flat: i * 4 + j] == 0) } }
    }

    // MARK: PyTorch parity

    @Test func linearParity() throws {
        let f = try Fixture("linear")
        var rng = Xoshiro256(seed: 0)
        let lin = Linear(inFeatures: 5, outFeatures: 3, rng: &rng)
        try lin.loadStateDict(["weight": f["weight"], "bias": f["bias"]])
        let x = Variable(f["x"].copy(), requiresGrad: true)
        let y = lin(x)
        #expect(relativeError(y.value, f["y"]) <= 1e-5)
        (y * Variable(f["r"])).sum().backward()
        #expect(relativeError(lin.weight.value.grad!, f["grad_weight"]) <= 1e-5)
        #expect(relativeError(lin.bias!.value.grad!, f["grad_bias"]) <= 1e-5)
        #expect(relativeError(x.value.grad!, f["grad_x"]) <= 1e-5)
    }

    @Test func lstmParity() throws {
        let f = try Fixture("lstm")
        var rng = Xoshiro256(seed: 0)
        let lstm = LSTM(inputSize: 4, hiddenSize: 6, batchFirst: true, rng: &rng)
        try lstm.loadStateDict(f.tensors)
        let x = Variable(f["x"].copy(), requiresGrad: true)
        let h0 = Variable(f["h0"].reshaped([2, 6]), requiresGrad: true), c0 = Variable(f["c0"].reshaped([2, 6]), requiresGrad: true)
        let (out, s) = lstm(x, LSTMState(h: h0, c: c0))
        #expect(relativeError(out.value, f["out"]) <= 1e-5)
        #expect(relativeError(s.h.value, f["hn"]) <= 1e-5)
        #expect(relativeError(s.c.value, f["cn"]) <= 1e-5)
        let loss = (out * Variable(f["r"])).sum() + (s.c * Variable(f["rc"].reshaped([2, 6]))).sum()
        loss.backward()
        for p in lstm.namedParameters {
            let e = relativeError(p.variable.value.grad!, f["grad_" + p.name])
            #expect(e <= 1e-5, "\(p.name): \(e)")
        }
        #expect(relativeError(x.value.grad!, f["grad_x"]) <= 1e-5)
        #expect(relativeError(h0.value.grad!, f["grad_h0"]) <= 1e-5)
        #expect(relativeError(c0.value.grad!, f["grad_c0"]) <= 1e-5)
    }

    /// Default initialisation: the same bounds as PyTorch (min/max within the bound and close to it, std ≈ bound/√3,
    /// compared with PyTorch's draws of the same shapes).
    @Test func defaultInitMatchesPyTorchDistributions() throws {
        let f = try Fixture("init_stats")
        var rng = Xoshiro256(seed: 11)
        let modules: [(String, Module, Int)] = [
            ("linear", Linear(inFeatures: 200, outFeatures: 300, rng: &rng), 200),
            ("lstm", LSTM(inputSize: 50, hiddenSize: 100, rng: &rng), 100),
            ("conv1d", Conv1d(inChannels: 8, outChannels: 16, kernelSize: 3, rng: &rng), 24),
        ]
        for (prefix, m, fanIn) in modules {
            for p in m.namedParameters {
                let ref = f.scalars["\(prefix).\(p.name)"] as! [String: Any]
                #expect((ref["shape"] as! [NSNumber]).map(\.intValue) == p.variable.shape, "\(prefix).\(p.name)")
                let refMax = (ref["max"] as! NSNumber).floatValue, refMin = (ref["min"] as! NSNumber).floatValue
                let refStd = (ref["std"] as! NSNumber).floatValue
                let v = p.variable.value.array
                let mean = v.reduce(0, +) / Float(v.count)
                let std = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(v.count - 1)).squareRoot()
                let bound = 1 / Float(fanIn).squareRoot()
                // PyTorch's draws respect the same bound and come close to it.
                #expect(refMax <= bound && refMin >= -bound && max(refMax, -refMin) >= bound * 0.8, "\(prefix).\(p.name) PyTorch range")
                #expect(v.max()! <= bound && v.min()! >= -bound, "\(prefix).\(p.name) range")
                #expect(max(v.max()!, -v.min()!) >= bound * 0.8, "\(prefix).\(p.name) max \(v.max()!) vs \(bound)")
                let tol: Float = v.count > 1000 ? 0.05 : 0.3
                #expect(abs(std - refStd) <= tol * refStd, "\(prefix).\(p.name) std \(std) vs PyTorch \(refStd)")
            }
        }
    }

    @Test func stateDictRoundTripAndErrors() throws {
        var rng = Xoshiro256(seed: 1)
        let a = LSTM(inputSize: 3, hiddenSize: 4, rng: &rng), b = LSTM(inputSize: 3, hiddenSize: 4, rng: &rng)
        try b.loadStateDict(a.stateDict())
        for (p, q) in zip(a.parameters, b.parameters) { #expect(p.array == q.array) }
        #expect(Set(a.stateDict().keys) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
        #expect(throws: MnemonetError.self) { try b.loadStateDict(["weight_ih_l0": Tensor(shape: [2, 2])]) }
        var d = a.stateDict()
        d["bias_hh_l0"] = Tensor(shape: [3])
        #expect(throws: MnemonetError.self) { try b.loadStateDict(d) }
    }
}
