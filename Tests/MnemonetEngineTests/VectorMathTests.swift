import Glibc
import MnemonetEngine
import Testing

/// Distance in units in the last place between two floats of the same sign (0 when equal, ∞ across signs/NaN).
func ulps(_ a: Float, _ b: Float) -> Float {
    if a == b || (a.isNaN && b.isNaN) { return 0 }
    if a.isNaN || b.isNaN || a.isInfinite || b.isInfinite { return .infinity }
    func ordered(_ x: Float) -> Int64 {
        let bits = Int64(Int32(bitPattern: x.bitPattern))
        return bits < 0 ? Int64(Int32.min) - bits : bits
    }
    return Float(abs(ordered(a) - ordered(b)))
}

/// A dense sweep of [lo, hi] plus extremes and specials.
func sweep(_ lo: Float, _ hi: Float, count: Int = 400_000) -> [Float] {
    var xs = (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
    xs += [0, -0.0, 1e-30, -1e-30, 1e-7, -1e-7, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
           -.greatestFiniteMagnitude, .infinity, -.infinity, 88.72, 88.73, -87.33, -103.9, -104.5, 20, 20.0001, 19.999]
    return xs
}

func apply(_ f: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void, _ xs: [Float]) -> [Float] {
    var ys = [Float](repeating: 0, count: xs.count)
    xs.withUnsafeBufferPointer { x in ys.withUnsafeMutableBufferPointer { y in f(x.baseAddress!, y.baseAddress!, xs.count) } }
    return ys
}

@Suite struct VectorMathTests {
    /// exp: ≤ 2 ulp where the result is normal, ≤ 1 subnormal ulp below, exact specials.
    @Test func expMatchesGlibc() {
        let xs = sweep(-110, 90)
        let ys = apply({ VectorMath.exp($0, $1, count: $2) }, xs)
        var worst: Float = 0
        for (x, y) in zip(xs, ys) {
            let ref = expf(x)
            if ref.isNormal || ref.isInfinite || ref == 0 && x < -104 {
                worst = max(worst, ulps(y, ref))
            } else {
                #expect(abs(y - ref) <= 2 * Float.leastNonzeroMagnitude, "exp(\(x)) = \(y), Glibc \(ref)")
            }
        }
        #expect(worst <= 2, "exp max error \(worst) ulp")
        #expect(apply({ VectorMath.exp($0, $1, count: $2) }, [.nan])[0].isNaN)
    }

    @Test func logMatchesGlibc() {
        var xs = sweep(1e-6, 50).filter { $0 > 0 }
        xs += (0..<2000).map { Float.leastNonzeroMagnitude * Float($0 * 977 + 1) }  // subnormals
        xs += (0..<2000).map { powf(2, Float($0 % 250) - 125) * (1 + Float($0) / 2000) }
        let ys = apply({ VectorMath.log($0, $1, count: $2) }, xs)
        var worst: Float = 0
        for (x, y) in zip(xs, ys) { worst = max(worst, ulps(y, logf(x))) }
        #expect(worst <= 2, "log max error \(worst) ulp")
        let specials = apply({ VectorMath.log($0, $1, count: $2) }, [0, -1, .infinity, .nan])
        #expect(specials[0] == -.infinity && specials[1].isNaN && specials[2] == .infinity && specials[3].isNaN)
    }

    /// tanh: ≤ 4 ulp (the 1 − 2/(e^{2x}+1) branch loses up to a couple of bits near |x| = 0.625), ±1 saturation.
    @Test func tanhMatchesGlibc() {
        let xs = sweep(-12, 12)
        let ys = apply({ VectorMath.tanh($0, $1, count: $2) }, xs)
        var worst: Float = 0
        for (x, y) in zip(xs, ys) { worst = max(worst, x.isNaN ? 0 : ulps(y, tanhf(x))) }
        #expect(worst <= 4, "tanh max error \(worst) ulp")
        for (x, y) in zip(xs, ys) where x.isFinite || x.isInfinite { #expect(!y.isNaN && abs(y) <= 1) }
    }

    @Test func sigmoidMatchesDoubleReference() {
        let xs = sweep(-100, 100)
        let ys = apply({ VectorMath.sigmoid($0, $1, count: $2) }, xs)
        var worst: Float = 0
        for (x, y) in zip(xs, ys) {
            let ref = Float(1 / (1 + Glibc.exp(-Double(x))))
            if ref.isNormal { worst = max(worst, ulps(y, ref)) }
            #expect(!y.isNaN && y >= 0 && y <= 1)
        }
        #expect(worst <= 4, "sigmoid max error \(worst) ulp")
    }

    /// PyTorch's softplus: x if x > 20, else log1p(exp(x)).
    @Test func softplusMatchesDoubleReference() {
        let xs = sweep(-100, 60)
        let ys = apply({ VectorMath.softplus($0, $1, count: $2) }, xs)
        var worst: Float = 0
        for (x, y) in zip(xs, ys) {
            let ref = x > 20 ? x : Float(Glibc.log1p(Glibc.exp(Double(x))))
            if ref.isNormal { worst = max(worst, ulps(y, ref)) }
            #expect(!y.isNaN)
        }
        #expect(worst <= 4, "softplus max error \(worst) ulp")
    }

    @Test func tailsAndInPlace() {
        for n in [0, 1, 7, 8, 9, 17] {
            var xs = (0..<n).map { Float($0) * 0.3 - 1 }
            let ref = xs.map { tanhf($0) }
            xs.withUnsafeMutableBufferPointer { VectorMath.tanh($0.baseAddress!, $0.baseAddress!, count: n) }
            for i in 0..<n { #expect(abs(xs[i] - ref[i]) <= 1e-6) }
        }
    }
}

@Suite struct BLASTests {
    @Test func gemmAllTransposesMatchNaive() {
        var rng = Xoshiro256Shim(seed: 1)
        for (m, n, k) in [(5, 7, 3), (1, 7, 3), (5, 1, 3), (1, 1, 4), (4, 6, 1), (1, 5, 1)] {
        for tA in [false, true] {
            for tB in [false, true] {
                let a = (0..<(m * k)).map { _ in rng.next() }, b = (0..<(k * n)).map { _ in rng.next() }
                var c = [Float](repeating: 1, count: m * n)
                BLAS.gemm(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 2, a, lda: tA ? m : k, b, ldb: tB ? k : n,
                          beta: 0.5, &c, ldc: n)
                for i in 0..<m {
                    for j in 0..<n {
                        var s: Float = 0
                        for l in 0..<k { s += (tA ? a[l * m + i] : a[i * k + l]) * (tB ? b[j * k + l] : b[l * n + j]) }
                        #expect(abs(c[i * n + j] - (2 * s + 0.5)) < 1e-5, "m \(m) n \(n) k \(k) tA \(tA) tB \(tB)")
                    }
                }
            }
        }
        }
    }

    @Test func gemvBothWays() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]  // [2, 3]
        var y = [Float](repeating: 0, count: 2)
        BLAS.gemv(m: 2, n: 3, a, lda: 3, [1, 1, 1], &y)
        #expect(y == [6, 15])
        var z = [Float](repeating: 0, count: 3)
        BLAS.gemv(trans: true, m: 2, n: 3, a, lda: 3, [1, -1], &z)
        #expect(z == [-3, -3, -3])
    }
}

/// A tiny deterministic generator for tests that do not need MnemonetBase.
struct Xoshiro256Shim {
    var s: UInt64
    init(seed: UInt64) { s = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> Float {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Float(s >> 40) / Float(1 << 24) * 2 - 1
    }
}

@Suite struct SquareRootTests {
    /// The SSE square root is bit-identical to Float.squareRoot (correctly rounded), specials included.
    @Test func laneSquareRootIsExact() {
        var xs = (0..<100_000).map { Float($0) * 0.37 + 1e-3 } + [0, -0.0, 1e-40, .infinity, -1, .nan, .greatestFiniteMagnitude]
        xs += (0..<1000).map { Float(bitPattern: UInt32($0) &* 2_654_435) }
        for x in xs {
            let y = VectorMath.squareRoot(SIMD8<Float>(repeating: x))
            let r = x.squareRoot()
            #expect(y[3] == r || (y[3].isNaN && r.isNaN), "sqrt(\(x)) = \(y[3]), expected \(r)")
        }
    }
}

/// `TensorStorage`: a large buffer handed back is reused, a reused buffer is still initialised by the tensor's
/// initialiser, and the idle bytes stay within the limit.
@Test func tensorStorageReusesLargeBuffers() {
    let count = TensorStorage.minimumCount * 3 + 5
    do { let t = Tensor(shape: [count], repeating: 7); #expect(t.pointer[count - 1] == 7) }
    let again = Tensor(shape: [count], repeating: 0)
    #expect(again.array.allSatisfy { $0 == 0 })
    #expect(TensorStorage.shared.cachedBytes <= TensorStorage.shared.limitBytes)
    let small = Tensor(shape: [TensorStorage.minimumCount - 1], repeating: 2)
    #expect(small.array.allSatisfy { $0 == 2 })
}
