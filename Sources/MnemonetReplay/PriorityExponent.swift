#if canImport(Glibc)
import Glibc
#endif

/// `p ↦ p^α` for a whole batch of priorities, vectorised: `p^α = exp(α · ln p)` with fdlibm's `log` and `exp`
/// kernels (Sun Microsystems, 1993) evaluated on `SIMD4<Double>` lanes.
///
/// Accuracy: the kernels are within 1 ulp; the product `α · ln p` adds a relative error of ~|α ln p| · 2⁻⁵³ to the
/// result, so lanes are computed here only while |α ln p| < 32 (relative error < 1e-14 against Glibc's `pow`,
/// tested); lanes outside that (e.g. p > 1e23 at α = 0.6), zero or subnormal take Glibc's `pow`. Lanes are independent, so a value's power does not
/// depend on its neighbours in a batch, and `power` gives the same result for a single value. Scalar `pow` cost ~11 ns per item, a third of adding
/// an item to the buffer; this costs ~1 ns.
public enum PriorityExponent {
    // fdlibm e_log.c
    static let lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01, lg3 = 2.857142874366239149e-01
    static let lg4 = 2.222219843214978396e-01, lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01
    static let lg7 = 1.479819860511658591e-01
    static let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
    // fdlibm e_exp.c
    static let p1 = 1.66666666666666019037e-01, p2 = -2.77777777770155933842e-03, p3 = 6.61375632143793436117e-05
    static let p4 = -1.65339022054652515390e-06, p5 = 4.13813679705723846039e-08
    static let invLn2 = 1.44269504088896338700e+00

    typealias V = SIMD4<Double>
    typealias U = SIMD4<UInt64>
    typealias I = SIMD4<Int64>

    /// Replaces every `v[i]` (finite, ≥ 0) by `v[i]^alpha`.
    public static func apply(_ v: UnsafeMutableBufferPointer<Double>, alpha: Double) {
        if alpha == 1 { return }
        let n = v.count
        var i = 0
        while i + 4 <= n {
            let x = V(v[i], v[i + 1], v[i + 2], v[i + 3])
            if let y = pow4(x, alpha) {
                v[i] = y[0]; v[i + 1] = y[1]; v[i + 2] = y[2]; v[i + 3] = y[3]
            } else {
                for k in i..<(i + 4) { v[k] = power(v[k], alpha) }
            }
            i += 4
        }
        if i < n {
            // The tail goes through the same kernel (padded with 1s), so a value's power never depends on where it
            // sits in a batch.
            var x = V(repeating: 1)
            for k in i..<n { x[k - i] = v[k] }
            if let y = pow4(x, alpha) {
                for k in i..<n { v[k] = y[k - i] }
            } else {
                for k in i..<n { v[k] = power(v[k], alpha) }
            }
        }
    }

    /// `x^alpha` for one value, with exactly the arithmetic of `apply`.
    public static func power(_ x: Double, _ alpha: Double) -> Double {
        if alpha == 1 { return x }
        if let y = pow4(V(x, 1, 1, 1), alpha) { return y[0] }
        return pow(x, alpha)
    }

    /// `x^alpha` for four positive normal lanes, or `nil` when a lane needs the scalar path.
    ///
    /// Integer ↔ double conversions use the 1.5·2⁵² "magic number" (adding it leaves an integral value in the low
    /// mantissa bits): the generic SIMD conversion initialisers of the standard library are not vectorised.
    @inline(__always)
    static func pow4(_ x: V, _ alpha: Double) -> V? {
        let least = Double.leastNormalMagnitude, most = Double.greatestFiniteMagnitude
        guard x[0] >= least && x[1] >= least && x[2] >= least && x[3] >= least
            && x[0] <= most && x[1] <= most && x[2] <= most && x[3] <= most else { return nil }
        // x = 2^k · m, m in [√½, √2)
        let bits = unsafeBitCast(x, to: U.self)
        let twoTo52 = 4503599627370496.0
        let biased = unsafeBitCast((bits &>> 52) | 0x4330_0000_0000_0000, to: V.self) - twoTo52  // exponent field
        var m = unsafeBitCast((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000, to: V.self)
        let big = m .> V(repeating: 1.4142135623730951)
        m = m.replacing(with: m * 0.5, where: big)
        let dk = (biased - 1023).replacing(with: biased - 1022, where: big)
        let f = m - 1
        let s = f / (2 + f)
        let z = s * s
        let w = z * z
        let t1 = w * (lg2 + w * (lg4 + w * lg6))
        let t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
        let r = t2 + t1
        let hfsq = 0.5 * f * f
        let lnx = dk * ln2Hi - ((hfsq - (s * (hfsq + r) + dk * ln2Lo)) - f)
        let y = alpha * lnx
        // |y| < 32 bounds the error of rounding y (relative error of the result ≈ |y| · 2⁻⁵³ < 4e-15); beyond, and
        // for overflow, Glibc's pow.
        guard y[0] > -32 && y[1] > -32 && y[2] > -32 && y[3] > -32
            && y[0] < 32 && y[1] < 32 && y[2] < 32 && y[3] < 32 else { return nil }
        // exp(y) = 2^j · exp(rr), |rr| ≤ ln2/2, j = round(y / ln2)
        let magic = 6755399441055744.0  // 1.5 · 2^52
        let shifted = y * invLn2 + magic
        let jd = shifted - magic
        let j = unsafeBitCast(shifted, to: I.self) &- unsafeBitCast(V(repeating: magic), to: I.self)
        let hi = y - jd * ln2Hi
        let lo = jd * ln2Lo
        let rr = hi - lo
        let r2 = rr * rr
        let c = rr - r2 * (p1 + r2 * (p2 + r2 * (p3 + r2 * (p4 + r2 * p5))))
        let e = 1 - ((lo - (rr * c) / (2 - c)) - hi)
        return unsafeBitCast(unsafeBitCast(e, to: I.self) &+ (j &<< 52), to: V.self)
    }
}
