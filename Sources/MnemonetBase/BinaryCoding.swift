/// Little-endian binary encoding for checkpoints.
///
/// A checkpoint is a `BinaryWriter`'s bytes wrapped by `CheckpointFile` (magic, kind, length, CRC-32). Readers throw
/// `MnemonetError.format` on any shortfall, so a truncated or foreign file is an error, never a crash.
public struct BinaryWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ v: UInt8) { bytes.append(v) }
    public mutating func write(_ v: Bool) { bytes.append(v ? 1 : 0) }

    public mutating func write(_ v: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    public mutating func write(_ v: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    public mutating func write(_ v: Int64) { write(UInt64(bitPattern: v)) }
    public mutating func write(_ v: Int) { write(Int64(v)) }
    public mutating func write(_ v: Float) { write(v.bitPattern) }
    public mutating func write(_ v: Double) { write(v.bitPattern) }

    /// A UTF-8 string, length-prefixed.
    public mutating func write(_ s: String) {
        let utf8 = Array(s.utf8)
        write(Int64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A float buffer, count-prefixed.
    public mutating func write(_ values: UnsafeBufferPointer<Float>) {
        write(Int64(values.count))
        writeRaw(UnsafeRawBufferPointer(values))
    }

    public mutating func write(_ values: [Float]) {
        values.withUnsafeBufferPointer { write($0) }
    }

    /// A double buffer, count-prefixed.
    public mutating func write(_ values: [Double]) {
        write(Int64(values.count))
        values.withUnsafeBytes { writeRaw($0) }
    }

    /// An Int64 buffer, count-prefixed.
    public mutating func write(_ values: [Int64]) {
        write(Int64(values.count))
        values.withUnsafeBytes { writeRaw($0) }
    }

    /// The state of a random generator.
    public mutating func write(_ rng: Xoshiro256) {
        write(rng.state.0); write(rng.state.1); write(rng.state.2); write(rng.state.3)
    }

    /// Raw bytes (the host is little-endian; checked at compile time below).
    public mutating func writeRaw(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }
}

#if !(arch(x86_64) || arch(arm64))
#error("mnemonet checkpoints assume a little-endian host")
#endif

/// Reads what `BinaryWriter` wrote, throwing `.format` when the data runs out or is inconsistent.
public struct BinaryReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int, _ what: String) throws(MnemonetError) -> Int {
        guard n >= 0, n <= remaining else {
            throw .format("checkpoint is truncated or corrupt (needed \(n) bytes for \(what), \(remaining) left)")
        }
        let start = offset
        offset += n
        return start
    }

    public mutating func readUInt8(_ what: String = "a byte") throws(MnemonetError) -> UInt8 {
        bytes[try take(1, what)]
    }

    public mutating func readBool(_ what: String = "a flag") throws(MnemonetError) -> Bool {
        let b = try readUInt8(what)
        guard b <= 1 else { throw .format("checkpoint is corrupt (\(what) is \(b), expected 0 or 1)") }
        return b == 1
    }

    public mutating func readUInt32(_ what: String = "a 32-bit integer") throws(MnemonetError) -> UInt32 {
        let s = try take(4, what)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[s + i]) << (8 * UInt32(i)) }
        return v
    }

    public mutating func readUInt64(_ what: String = "a 64-bit integer") throws(MnemonetError) -> UInt64 {
        let s = try take(8, what)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[s + i]) << (8 * UInt64(i)) }
        return v
    }

    public mutating func readInt64(_ what: String = "a 64-bit integer") throws(MnemonetError) -> Int64 {
        Int64(bitPattern: try readUInt64(what))
    }

    /// An `Int` in `range`; throws `.format` outside it.
    public mutating func readInt(_ what: String, in range: ClosedRange<Int> = 0...Int.max) throws(MnemonetError) -> Int {
        let v = try readInt64(what)
        guard v >= Int64(range.lowerBound), v <= Int64(range.upperBound) else {
            throw .format("checkpoint is corrupt (\(what) = \(v), expected \(range.lowerBound)...\(range.upperBound))")
        }
        return Int(v)
    }

    public mutating func readFloat(_ what: String = "a float") throws(MnemonetError) -> Float {
        Float(bitPattern: try readUInt32(what))
    }

    public mutating func readDouble(_ what: String = "a double") throws(MnemonetError) -> Double {
        Double(bitPattern: try readUInt64(what))
    }

    public mutating func readString(_ what: String = "a string") throws(MnemonetError) -> String {
        let n = try readInt("length of \(what)", in: 0...remaining)
        let s = try take(n, what)
        return String(decoding: bytes[s..<(s + n)], as: UTF8.self)
    }

    /// A count-prefixed float array; `expectedCount`, when given, must match.
    public mutating func readFloats(_ what: String, expectedCount: Int? = nil) throws(MnemonetError) -> [Float] {
        let n = try readInt("length of \(what)", in: 0...(remaining / 4))
        if let e = expectedCount, e != n {
            throw .format("checkpoint is corrupt (\(what) has \(n) values, expected \(e))")
        }
        let s = try take(4 * n, what)
        return [Float](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[s..<(s + 4 * n)]))
            }
            count = n
        }
    }

    /// Reads a count-prefixed float array straight into `destination` (whose count it must equal).
    public mutating func readFloats(_ what: String, into destination: UnsafeMutableBufferPointer<Float>) throws(MnemonetError) {
        let n = try readInt("length of \(what)", in: 0...(remaining / 4))
        guard n == destination.count else {
            throw .format("checkpoint is corrupt (\(what) has \(n) values, expected \(destination.count))")
        }
        let s = try take(4 * n, what)
        bytes.withUnsafeBytes { raw in
            UnsafeMutableRawBufferPointer(destination).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[s..<(s + 4 * n)]))
        }
    }

    /// Reads a count-prefixed buffer of `elementCount` elements of `elementSize` bytes straight into `destination`
    /// (whose byte count must be `elementCount · elementSize`); the prefix must equal `elementCount`.
    public mutating func readRaw(_ what: String, elementCount: Int, elementSize: Int,
                                 into destination: UnsafeMutableRawBufferPointer) throws(MnemonetError) {
        let n = try readInt("length of \(what)", in: 0...(remaining / Swift.max(elementSize, 1)))
        guard n == elementCount, n * elementSize == destination.count else {
            throw .format("checkpoint is corrupt (\(what) has \(n) values, expected \(elementCount))")
        }
        let s = try take(n * elementSize, what)
        if n == 0 { return }
        bytes.withUnsafeBytes { raw in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[s..<(s + n * elementSize)]))
        }
    }

    public mutating func readDoubles(_ what: String, expectedCount: Int? = nil) throws(MnemonetError) -> [Double] {
        let n = try readInt("length of \(what)", in: 0...(remaining / 8))
        if let e = expectedCount, e != n {
            throw .format("checkpoint is corrupt (\(what) has \(n) values, expected \(e))")
        }
        let s = try take(8 * n, what)
        return [Double](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[s..<(s + 8 * n)]))
            }
            count = n
        }
    }

    public mutating func readInt64s(_ what: String, expectedCount: Int? = nil) throws(MnemonetError) -> [Int64] {
        let n = try readInt("length of \(what)", in: 0...(remaining / 8))
        if let e = expectedCount, e != n {
            throw .format("checkpoint is corrupt (\(what) has \(n) values, expected \(e))")
        }
        let s = try take(8 * n, what)
        return [Int64](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[s..<(s + 8 * n)]))
            }
            count = n
        }
    }

    public mutating func readRandomGenerator(_ what: String = "random generator state") throws(MnemonetError) -> Xoshiro256 {
        let a = try readUInt64(what), b = try readUInt64(what), c = try readUInt64(what), d = try readUInt64(what)
        return try Xoshiro256(state: (a, b, c, d))
    }

    /// Throws unless every byte has been consumed.
    public func expectEnd(_ what: String) throws(MnemonetError) {
        guard remaining == 0 else { throw .format("checkpoint is corrupt (\(remaining) unexpected bytes after \(what))") }
    }
}
