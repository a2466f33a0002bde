#if canImport(Glibc)
import Glibc
#endif

/// Natural logarithm (Glibc's `log`), exposed so that `@inlinable` code in this module can call it.
@usableFromInline
func _mnemonetLog(_ x: Double) -> Double { log(x) }

/// The index of the first NaN or infinity in `values`, or `nil`. Eight lanes at a time (a float is non-finite when
/// its exponent bits are all ones), so checking a step's inputs or a loaded tensor costs a fraction of using it.
public func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
    guard let base = values.baseAddress else { return nil }
    let n = values.count
    var k = 0
    let raw = UnsafeRawPointer(base)
    while k + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<UInt32>.self)
        if any((v & 0x7F80_0000) .== 0x7F80_0000) { break }
        k += 8
    }
    while k < n {
        if !values[k].isFinite { return k }
        k += 1
    }
    return nil
}

/// Throws `.invalidArgument` naming `what` and the first non-finite value of `values` and its index (`[row, column]`
/// when `columns` is given, for a row-major matrix).
public func requireFinite(_ values: UnsafeBufferPointer<Float>, _ what: @autoclosure () -> String,
                          columns: Int? = nil) throws(MnemonetError) {
    if let k = firstNonFinite(values) {
        let at = columns.map { $0 > 0 ? "[\(k / $0), \(k % $0)]" : "[\(k)]" } ?? "[\(k)]"
        throw .invalidArgument("\(what()) must be finite, got \(values[k]) at \(what())\(at)")
    }
}
