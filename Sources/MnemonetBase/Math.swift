#if canImport(Glibc)
import Glibc
#endif

/// Natural logarithm (Glibc's `log`), exposed so that `@inlinable` code in this module can call it.
@usableFromInline
func _mnemonetLog(_ x: Double) -> Double { log(x) }
