import MnemonetEngine
import Testing

/// The fused clip-and-update path (`gradientNorm`, `Adam.update(…, scale:)`) against the engine's reference path.
struct AdamScaledUpdateTests {
    @Test func scaledUpdateIsBitIdenticalToScaleThenUpdate() {
        var rng = Xoshiro256(seed: 3)
        for n in [1, 7, 8, 9, 100, 1003] {
            let p0 = (0..<n).map { _ in Float(rng.nextNormal()) }
            let grads = (0..<3).map { _ in (0..<n).map { _ in Float(rng.nextNormal()) * 3 } }
            let a = Adam(parameterCount: 1), b = Adam(parameterCount: 1)
            var pa = p0, pb = p0
            for g in grads {
                var ga = g, gb = g
                let scale: Float = 0.37
                pa.withUnsafeMutableBufferPointer { p in
                    ga.withUnsafeMutableBufferPointer { gg in
                        VectorMath.scale(scale, gg.baseAddress!, count: n)
                        a.update(index: 0, parameter: p, gradient: UnsafeBufferPointer(gg))
                    }
                }
                pb.withUnsafeMutableBufferPointer { p in
                    gb.withUnsafeMutableBufferPointer { gg in b.update(index: 0, parameter: p, gradient: gg, scale: scale) }
                }
            }
            #expect(pa.map(\.bitPattern) == pb.map(\.bitPattern), "n = \(n)")
            #expect(a.states[0]!.expAvgSq.array == b.states[0]!.expAvgSq.array)
        }
    }

    @Test func gradientNormMatchesClipGradNorm() {
        var rng = Xoshiro256(seed: 4)
        let sizes = [17, 64, 1000]
        let a = sizes.map { n in Tensor(shape: [n], values: (0..<n).map { _ in Float(rng.nextNormal()) }) }
        let b = a.map { $0.copy() }
        // The buffers are unsafe views: keep their tensors alive across the calls.
        let fast = withExtendedLifetime(a) { gradientNorm(a.map { $0.buffer }) }
        let reference = withExtendedLifetime(b) { clipGradNorm(gradients: b.map { $0.buffer }, maxNorm: 1e9) }
        #expect(abs(fast - reference) <= reference.ulp, "\(fast) vs \(reference)")
    }

    @Test func outerProductUpdateIsBitIdenticalToFormingTheGradient() {
        var rng = Xoshiro256(seed: 9)
        for (n, k) in [(1, 1), (3, 8), (5, 13), (16, 64)] {
            let p0 = (0..<n * k).map { _ in Float(rng.nextNormal()) }
            let a = Adam(parameterCount: 1), b = Adam(parameterCount: 1)
            let pa = Tensor(shape: [n * k], values: p0), pb = Tensor(shape: [n * k], values: p0)
            for _ in 0..<3 {
                let d = Tensor(shape: [n], values: (0..<n).map { _ in Float(rng.nextNormal()) })
                let x = Tensor(shape: [k], values: (0..<k).map { _ in Float(rng.nextNormal()) })
                let g = Tensor(shape: [n * k], values: (0..<n * k).map { d.pointer[$0 / k] * x.pointer[$0 % k] })
                let scale: Float = 0.61
                withExtendedLifetime((d, x, g, pa, pb)) {
                    a.update(index: 0, parameter: pa.buffer, gradient: g.buffer, scale: scale)
                    b.update(index: 0, parameter: pb.buffer, outerLeft: d.pointer, rows: n, outerRight: x.pointer,
                             columns: k, scale: scale)
                    let formed = gradientNorm([g.buffer]), fromFactors = outerProductNorm(d.pointer, count: n, x.pointer, count: k)
                    #expect(abs(formed - fromFactors) <= 2 * formed.ulp, "\(formed) vs \(fromFactors)")
                }
            }
            #expect(pa.array.map(\.bitPattern) == pb.array.map(\.bitPattern), "[\(n), \(k)]")
        }
    }

    /// `fastDivision`: every update within 1e-6 (relative) of PyTorch's exact one, over gradients spanning 1e-30…1e3,
    /// exact zeros (v = 0 must give a zero update, not NaN) and subnormals (flushed to 0 by the fast path), for both
    /// fast paths and many steps.
    @Test func fastDivisionStaysWithinOneMillionthOfTheExactUpdate() {
        var rng = Xoshiro256(seed: 21)
        let n = 4099
        let exact = Adam(parameterCount: 2), fast = Adam(parameterCount: 2)
        fast.fastDivision = true
        let p0 = (0..<n).map { _ in Float(rng.nextNormal()) }
        var pe = p0, pf = p0
        var compared = 0
        for step in 0..<40 {
            var g = (0..<n).map { k -> Float in
                switch k % 7 {
                case 0: return 0
                case 1: return Float(rng.nextNormal()) * 1e-40  // subnormal (or zero)
                default:
                    var magnitude: Float = 1e-30
                    for _ in 0..<rng.nextInt(below: 34) { magnitude *= 10 }
                    return Float(rng.nextNormal()) * magnitude
                }
            }
            if step % 5 == 4 { g = g.map { $0 * 1e3 } }
            let before = pe
            pe.withUnsafeMutableBufferPointer { p in
                g.withUnsafeMutableBufferPointer { exact.update(index: 0, parameter: p, gradient: $0, scale: 0.9) }
            }
            pf.withUnsafeMutableBufferPointer { p in
                g.withUnsafeMutableBufferPointer { fast.update(index: 0, parameter: p, gradient: $0, scale: 0.9) }
            }
            for k in 0..<n {
                #expect(pf[k].isFinite, "step \(step) [\(k)]")
                let de = Double(pe[k]) - Double(before[k]), df = Double(pf[k]) - Double(before[k])
                // Same parameters before the step: compare the updates (re-synchronised each step), up to the
                // rounding of θ + Δθ (an ulp of θ).
                let slack = 2 * Double(before[k].ulp)
                #expect(abs(df - de) <= slack + 1e-6 * abs(de), "step \(step) [\(k)]: \(df) against \(de)")
                if abs(de) > 1e3 * slack { compared += 1 }
            }
            pf = pe
            fast.states[0] = AdamState(step: exact.states[0]!.step, expAvg: exact.states[0]!.expAvg.copy(),
                                       expAvgSq: exact.states[0]!.expAvgSq.copy())
        }
        // Parameters of magnitude ~1 round updates of 1e-3 to 2^-24 / 1e-3 ≈ 6e-5 relative: measure the update
        // itself on zero parameters instead, where nothing rounds it away.
        // (8 columns: the outer-product path uses the estimate on whole 8-lane blocks, its k mod 8 tail is exact.)
        let zeros = Tensor(shape: [n * 8]), zerosFast = Tensor(shape: [n * 8])
        let d = Tensor(shape: [n], values: (0..<n).map { _ in Float(rng.nextNormal()) })
        let one = [Float](repeating: 1, count: 8)
        for _ in 0..<5 {
            withExtendedLifetime((zeros, zerosFast, d)) {
                one.withUnsafeBufferPointer { x in
                    exact.update(index: 1, parameter: zeros.buffer, outerLeft: d.pointer, rows: n, outerRight: x.baseAddress!,
                                 columns: 8, scale: 1)
                    fast.update(index: 1, parameter: zerosFast.buffer, outerLeft: d.pointer, rows: n,
                                outerRight: x.baseAddress!, columns: 8, scale: 1)
                }
            }
        }
        var worstUpdate = 0.0
        for k in 0..<n * 8 where zeros.pointer[k] != 0 {
            worstUpdate = max(worstUpdate, abs(Double(zerosFast.pointer[k]) / Double(zeros.pointer[k]) - 1))
        }
        #expect(compared > 10 * n)
        #expect(worstUpdate <= 1e-6, "update-level deviation \(worstUpdate)")
        #expect(worstUpdate > 0, "the fast path should not be bit-identical (is it running?)")
    }
}
