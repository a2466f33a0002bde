import Glibc

// Scalar Glibc functions re-exported inside the module, so files need not import Glibc.

@inlinable @inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
@inlinable @inline(__always) func _expf(_ x: Float) -> Float { Glibc.expf(x) }
@inlinable @inline(__always) func _logf(_ x: Float) -> Float { Glibc.logf(x) }
@inlinable @inline(__always) func _log1pf(_ x: Float) -> Float { Glibc.log1pf(x) }
