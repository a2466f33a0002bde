/// A seedable, serialisable pseudo-random generator: xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64.
///
/// 256 bits of state, period 2^256 − 1, passes BigCrush; `next()` costs ~1 ns. The whole state is four `UInt64`s,
/// so checkpoints store it exactly (`state`) and a restored generator continues the same stream.
public struct Xoshiro256: RandomNumberGenerator, Equatable, Sendable {
    @usableFromInline var s: (UInt64, UInt64, UInt64, UInt64)

    /// The four state words; never all zero.
    public var state: (UInt64, UInt64, UInt64, UInt64) { s }

    /// A generator whose stream is a function of `seed` only.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(&sm), splitMix(&sm), splitMix(&sm), splitMix(&sm))
    }

    /// A generator seeded from the system's entropy source.
    public init() {
        var sys = SystemRandomNumberGenerator()
        self.init(seed: sys.next())
    }

    /// Restores a generator from `state` (as read from a checkpoint). Throws if all four words are zero.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) throws(MnemonetError) {
        guard state.0 | state.1 | state.2 | state.3 != 0 else {
            throw .format("random generator state is all zeros")
        }
        self.s = state
    }

    public static func == (a: Xoshiro256, b: Xoshiro256) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    @inlinable @inline(__always)
    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    /// A double uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A float uniform in [0, 1) with 24 random bits.
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// An integer uniform in `0..<bound` (Lemire's nearly-divisionless method, unbiased). `bound` must be > 0.
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }

    /// A standard normal deviate (Marsaglia's polar method; the spare deviate is discarded so that the state alone
    /// determines the stream).
    @inlinable
    public mutating func nextNormal() -> Double {
        while true {
            let u = 2 * nextUnitDouble() - 1
            let v = 2 * nextUnitDouble() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * _log(s) / s).squareRoot()
            }
        }
    }
}

@usableFromInline
func _log(_ x: Double) -> Double {
    // Glibc's log, without importing Glibc into every client of this file.
    _mnemonetLog(x)
}
