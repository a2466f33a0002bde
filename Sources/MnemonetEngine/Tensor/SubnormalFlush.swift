#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with subnormal floats flushed to zero (SSE MXCSR FTZ and DAZ set; the caller's floating-point
/// environment is restored afterwards), on x86-64 Linux; elsewhere it just runs `body`.
///
/// On x86 every operation that reads or produces a subnormal float takes a microcode assist of ~100+ cycles:
/// an Adam update over 92k parameters whose squared gradients underflow (g ≈ 1e-20) measured 2,146 µs against 42 µs
/// flushed. Flushing changes only values below 1.2e-38 (to 0), so it is for code whose results are not meant to be
/// bit-identical to a reference that keeps subnormals (e.g. `Adam.fastDivision`).
@inline(__always)
public func withSubnormalsFlushed<R>(_ body: () -> R) -> R {
    #if arch(x86_64) && canImport(Glibc)
    var saved = fenv_t()
    fegetenv(&saved)
    var flushed = saved
    flushed.__mxcsr |= 0x8040  // FTZ (bit 15) | DAZ (bit 6)
    fesetenv(&flushed)
    defer { fesetenv(&saved) }
    return body()
    #else
    return body()
    #endif
}
