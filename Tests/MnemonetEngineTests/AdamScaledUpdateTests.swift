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
}
