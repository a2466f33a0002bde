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
}
