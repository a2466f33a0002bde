#if canImport(Glibc)
import Glibc
#endif

/// Little-endian binary encoding for checkpoints.
///
/// A checkpoint is a `BinaryWriter`'s bytes wrapped by `CheckpointFile` (magic, kind, length, CRC-32). Readers throw
/// `MnemonetError.format` on any shortfall, so a truncated or foreign file is an error, never a crash.
///
/// A writer has one of three destinations: memory (`init()`, the bytes in `bytes`), nothing (`counter()`: only
/// `count` advances, to learn a payload's length before it is streamed) or a file (`CheckpointFile`'s streaming
/// save: the bytes go through a fixed 1 MiB buffer to the file and the running CRC-32, so a save never holds a
/// second copy of the object).
public struct BinaryWriter {
    public private(set) var bytes: [UInt8] = []
    /// The number of bytes written so far (every destination).
    public private(set) var count = 0
    let sink: BinarySink?
    let counting: Bool

    /// A writer into memory (`bytes`).
    public init() {
        sink = nil
        counting = false
    }

    /// A writer that keeps nothing and only counts (`count`).
    public static func counter() -> BinaryWriter { BinaryWriter(sink: nil, counting: true) }

    init(sink: BinarySink?, counting: Bool) {
        self.sink = sink
        self.counting = counting
    }

    public mutating func write(_ v: UInt8) { withUnsafeBytes(of: v) { writeRaw($0) } }
    public mutating func write(_ v: Bool) { write(UInt8(v ? 1 : 0)) }

    public mutating func write(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { writeRaw($0) } }

    public mutating func write(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { writeRaw($0) } }

    public mutating func write(_ v: Int64) { write(UInt64(bitPattern: v)) }
    public mutating func write(_ v: Int) { write(Int64(v)) }
    public mutating func write(_ v: Float) { write(v.bitPattern) }
    public mutating func write(_ v: Double) { write(v.bitPattern) }

    /// A UTF-8 string, length-prefixed.
    public mutating func write(_ s: String) {
        let utf8 = Array(s.utf8)
        write(Int64(utf8.count))
        utf8.withUnsafeBytes { writeRaw($0) }
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
        count += raw.count
        if let sink {
            sink.write(raw)
        } else if !counting {
            bytes.append(contentsOf: raw)
        }
    }
}

/// The file destination of a streaming `BinaryWriter`: bytes are gathered in a 1 MiB buffer and written to `fd`
/// when it fills (large raw blocks, e.g. a replay buffer's storage, go straight to the file), each byte folded into
/// the running CRC-32 `crc` on its way. `writeCheckpoint` cannot throw, so the first I/O error is kept in `failure`
/// and later bytes are dropped; the caller checks it after `flush()`.
final class BinarySink {
    static let capacity = 1 << 20
    let fd: Int32
    let path: String
    /// The running CRC-32 state (not yet finalised with `^ 0xFFFF_FFFF`).
    var crc: UInt32
    var failure: MnemonetError?
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: BinarySink.capacity, alignment: 16)
    private var used = 0

    init(fd: Int32, path: String, crc: UInt32) {
        self.fd = fd
        self.path = path
        self.crc = crc
    }

    deinit { buffer.deallocate() }

    func write(_ raw: UnsafeRawBufferPointer) {
        guard failure == nil, let base = raw.baseAddress, raw.count > 0 else { return }
        if used + raw.count <= BinarySink.capacity {
            (buffer + used).copyMemory(from: base, byteCount: raw.count)
            used += raw.count
            return
        }
        flush()
        if raw.count >= BinarySink.capacity {
            emit(raw)
        } else {
            buffer.copyMemory(from: base, byteCount: raw.count)
            used = raw.count
        }
    }

    /// Writes what the buffer holds.
    func flush() {
        guard used > 0 else { return }
        emit(UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    private func emit(_ raw: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        crc = CRC32.update(crc, raw)
        do throws(MnemonetError) { try AtomicFile.writeAll(fd, raw, path: path) } catch { failure = error }
    }
}

#if !(arch(x86_64) || arch(arm64))
#error("mnemonet checkpoints assume a little-endian host")
#endif

/// The bytes a `BinaryReader` walks over: a private copy of an array, or a read-only mapping of a checkpoint file.
///
/// A file is mapped rather than read into an array so that loading a large buffer copies each value once, straight
/// into its destination, and the pages already consumed are dropped (`release(through:)`): a load's peak resident
/// memory is the restored object plus a few megabytes, not twice or three times the file.
final class ReaderStorage {
    let base: UnsafeRawPointer
    let count: Int
    /// Length of the mapping (0 when the bytes are a heap copy).
    let mappedLength: Int
    /// Bytes `0..<releasedUpTo` of the mapping were handed back to the kernel.
    var releasedUpTo = 0

    init(copying bytes: [UInt8]) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: bytes.count) } }
        base = UnsafeRawPointer(p)
        count = bytes.count
        mappedLength = 0
    }

    init(mapping fd: Int32, length: Int) throws(MnemonetError) {
        guard length > 0 else {
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16))
            count = 0
            mappedLength = 0
            return
        }
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw .io("cannot map the checkpoint into memory: \(String(cString: strerror(errno)))", errno: errno)
        }
        _ = madvise(p, length, 2 /* MADV_SEQUENTIAL */)
        base = UnsafeRawPointer(p)
        count = length
        mappedLength = length
    }

    /// Drops the resident pages of bytes `..<offset` (a mapping only; they are never read again).
    func release(through offset: Int) {
        guard mappedLength > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let upTo = Swift.min(offset, count) / page * page
        guard upTo > releasedUpTo else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base) + releasedUpTo, upTo - releasedUpTo, 4 /* MADV_DONTNEED */)
        releasedUpTo = upTo
    }

    deinit {
        if mappedLength > 0 {
            munmap(UnsafeMutableRawPointer(mutating: base), mappedLength)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}

/// Reads what `BinaryWriter` wrote, throwing `.format` when the data runs out or is inconsistent.
///
/// Float arrays read into a destination (`readFloats(_:into:)`) are refused when they hold a NaN or an infinity
/// (`finite: true`, the default): every float state mnemonet saves is finite, so a non-finite value is corruption.
public struct BinaryReader {
    let storage: ReaderStorage
    /// The reader's window inside `storage`: `start..<end`.
    let start: Int
    let end: Int
    /// Bytes consumed so far (relative to `start`).
    public private(set) var offset: Int = 0

    /// A reader over a copy of `bytes`.
    public init(_ bytes: [UInt8]) {
        storage = ReaderStorage(copying: bytes)
        start = 0
        end = bytes.count
    }

    init(storage: ReaderStorage, start: Int, end: Int) {
        self.storage = storage
        self.start = start
        self.end = end
    }

    /// Bytes not yet read.
    public var remaining: Int { end - start - offset }

    /// The byte at `offset + k` (bounds already checked by `take`).
    @inline(__always) func byte(_ k: Int) -> UInt8 { storage.base.load(fromByteOffset: start + k, as: UInt8.self) }

    /// Raw bytes `k..<k + n` of the window.
    @inline(__always) func raw(_ k: Int, _ n: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base + start + k, count: n)
    }

    mutating func take(_ n: Int, _ what: String) throws(MnemonetError) -> Int {
        guard n >= 0, n <= remaining else {
            throw .format("checkpoint is truncated or corrupt (needed \(n) bytes for \(what), \(remaining) left)")
        }
        let s = offset
        offset += n
        return s
    }

    /// Copies `n` bytes at window offset `s` into `destination`, in chunks whose source pages are dropped once copied.
    func copy(_ s: Int, _ n: Int, into destination: UnsafeMutableRawPointer) {
        let chunk = 8 << 20
        var done = 0
        while done < n {
            let k = Swift.min(chunk, n - done)
            (destination + done).copyMemory(from: storage.base + start + s + done, byteCount: k)
            done += k
            storage.release(through: start + s + done)
        }
    }

    public mutating func readUInt8(_ what: String = "a byte") throws(MnemonetError) -> UInt8 {
        byte(try take(1, what))
    }

    public mutating func readBool(_ what: String = "a flag") throws(MnemonetError) -> Bool {
        let b = try readUInt8(what)
        guard b <= 1 else { throw .format("checkpoint is corrupt (\(what) is \(b), expected 0 or 1)") }
        return b == 1
    }

    public mutating func readUInt32(_ what: String = "a 32-bit integer") throws(MnemonetError) -> UInt32 {
        let s = try take(4, what)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(byte(s + i)) << (8 * UInt32(i)) }
        return v
    }

    public mutating func readUInt64(_ what: String = "a 64-bit integer") throws(MnemonetError) -> UInt64 {
        let s = try take(8, what)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(byte(s + i)) << (8 * UInt64(i)) }
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
        return String(decoding: raw(s, n), as: UTF8.self)
    }

    /// A count-prefixed float array; `expectedCount`, when given, must match; non-finite values are refused when
    /// `finite`.
    public mutating func readFloats(_ what: String, expectedCount: Int? = nil, finite: Bool = true) throws(MnemonetError) -> [Float] {
        let n = try readCount(what, elementSize: 4, expectedCount: expectedCount)
        let s = try take(4 * n, what)
        let values = [Float](unsafeUninitializedCapacity: n) { buf, count in
            if n > 0 { copy(s, 4 * n, into: UnsafeMutableRawPointer(buf.baseAddress!)) }
            count = n
        }
        if finite { try values.withUnsafeBufferPointer { (b) throws(MnemonetError) in try BinaryReader.requireFinite(b, what) } }
        return values
    }

    /// Reads a count-prefixed float array straight into `destination` (whose count it must equal); non-finite values
    /// are refused when `finite` (the destination may then hold part of the data: discard the object).
    public mutating func readFloats(_ what: String, into destination: UnsafeMutableBufferPointer<Float>,
                                    finite: Bool = true) throws(MnemonetError) {
        let n = try readCount(what, elementSize: 4, expectedCount: destination.count)
        let s = try take(4 * n, what)
        if n > 0 { copy(s, 4 * n, into: UnsafeMutableRawPointer(destination.baseAddress!)) }
        if finite { try BinaryReader.requireFinite(UnsafeBufferPointer(destination), what) }
    }

    /// Throws `.format` naming `what` and the first index when `values` holds a NaN or an infinity.
    public static func requireFinite(_ values: UnsafeBufferPointer<Float>, _ what: String) throws(MnemonetError) {
        if let k = MnemonetBase.firstNonFinite(values) {
            throw .format("checkpoint is corrupt (\(what)[\(k)] is \(values[k]); saved states are always finite)")
        }
    }

    /// A count prefix for `elementSize`-byte elements: at most what the bytes left can hold, and `expectedCount` when
    /// given.
    mutating func readCount(_ what: String, elementSize: Int, expectedCount: Int?) throws(MnemonetError) -> Int {
        let n = try readInt("length of \(what)", in: 0...(Swift.max(remaining - 8, 0) / elementSize))
        if let e = expectedCount, e != n {
            throw .format("checkpoint is corrupt (\(what) has \(n) values, expected \(e))")
        }
        return n
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
        copy(s, n * elementSize, into: destination.baseAddress!)
    }

    public mutating func readDoubles(_ what: String, expectedCount: Int? = nil) throws(MnemonetError) -> [Double] {
        let n = try readCount(what, elementSize: 8, expectedCount: expectedCount)
        let s = try take(8 * n, what)
        return [Double](unsafeUninitializedCapacity: n) { buf, count in
            if n > 0 { copy(s, 8 * n, into: UnsafeMutableRawPointer(buf.baseAddress!)) }
            count = n
        }
    }

    public mutating func readInt64s(_ what: String, expectedCount: Int? = nil) throws(MnemonetError) -> [Int64] {
        let n = try readCount(what, elementSize: 8, expectedCount: expectedCount)
        let s = try take(8 * n, what)
        return [Int64](unsafeUninitializedCapacity: n) { buf, count in
            if n > 0 { copy(s, 8 * n, into: UnsafeMutableRawPointer(buf.baseAddress!)) }
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
