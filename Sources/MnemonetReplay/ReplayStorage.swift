#if canImport(Glibc)
import Glibc
#endif
import CMnemonetKernels
import MnemonetBase

/// The item storage shared by every replay buffer: `capacity` rows of `F` typed fields, field `f` holding
/// `fieldWidths[f]` elements of `fieldTypes[f]` per item (a flattened per-item shape such as `(84, 84)` of `uint8`).
///
/// Each field is one flat, contiguous `[capacity, width_f]` block of its own element type, so writing a batch of
/// consecutive slots is one `memcpy` per field (two when it wraps) and gathering a sampled batch copies rows straight
/// into the caller's output buffers. Memory is allocated at creation but only touched when written, so a large,
/// mostly empty buffer costs address space, not RAM. The storage moves bytes: buffers cross it as raw pointers whose
/// byte counts are checked against `items · width_f · size_f`.
public final class ReplayStorage {
    /// Number of item slots.
    public let capacity: Int
    /// Elements per item of each field.
    public let fieldWidths: [Int]
    /// Element type of each field.
    public let fieldTypes: [ReplayElementType]
    /// Bytes per item of each field (`width_f · size_f`).
    public let rowBytes: [Int]
    @usableFromInline let data: [UnsafeMutableRawPointer]
    /// Bytes from the start of each mapped field block whose pages have been populated ahead of the writes
    /// (`populateAhead`); `Int.max` once the whole block is populated or the kernel refused.
    private var populated: [Int]
    /// Keeps the prefetching loads of `gather` from being optimised away.
    var touchSink: UInt8 = 0

    /// Storage for `capacity` items with the given field widths (each ≥ 1, at least one field) and element types
    /// (`nil`: every field float32).
    public init(capacity: Int, fieldWidths: [Int], fieldTypes: [ReplayElementType]? = nil) throws(MnemonetError) {
        try require(capacity >= 1, "capacity must be at least 1, got \(capacity)")
        try require(!fieldWidths.isEmpty, "a replay buffer needs at least one field, got none")
        let types = fieldTypes ?? [ReplayElementType](repeating: .float32, count: fieldWidths.count)
        try require(types.count == fieldWidths.count,
                    "expected one element type per field (\(fieldWidths.count)), got \(types.count)")
        for (f, w) in fieldWidths.enumerated() {
            try require(w >= 1 && w <= 1 << 31, "field \(f) must hold 1...2^31 values per item, got width \(w)")
        }
        let rows = zip(fieldWidths, types).map { $0 * $1.byteSize }
        try ReplayStorage.checkFits(capacity: capacity, bytesPerItem: rows.reduce(0) { $0 &+ $1 } + 96,
                                    what: "a replay buffer with field widths \(fieldWidths)")
        var blocks: [UnsafeMutableRawPointer] = []
        for r in rows {
            // Pages are only touched when written (a mostly empty buffer costs address space, not RAM); unwritten
            // rows are never read. Not advised for huge pages: on a machine whose free memory was never touched
            // (a fresh VM) a first fill into huge pages ran at 2,100 ns per 512-byte item against 285 with 4 KiB
            // pages (the host backs each huge page on first touch), which is what made the first fill 12× slower
            // than cpprb's.
            guard let raw = LargeAllocation.allocate(bytes: capacity * r, hugePages: false) else {
                for (b, rb) in zip(blocks, rows) { LargeAllocation.release(b, bytes: capacity * rb) }
                throw .invalidArgument("cannot allocate \(capacity * r) bytes for a replay buffer of capacity \(capacity)")
            }
            blocks.append(raw)
        }
        self.capacity = capacity
        self.fieldWidths = fieldWidths
        self.fieldTypes = types
        rowBytes = rows
        data = blocks
        // Only mapped blocks (page-aligned) are populated ahead; small ones were zeroed by posix_memalign + memset.
        populated = rows.map { capacity * $0 >= LargeAllocation.mapFrom ? 0 : Int.max }
    }

    /// How far ahead of a write the pages of a mapped block are populated.
    static let populateStep = 2 << 20

    /// Populates the pages of field `f` up to byte `end` (and `populateStep` beyond) with one
    /// `madvise(MADV_POPULATE_WRITE)` (Linux 5.14+) instead of one page fault per 4 KiB page as the writes reach them.
    /// Measured on this VM, 512 MB filled in 256 KiB copies: 312 ns per 512-byte item with faults, 207–219 populated
    /// 2 MiB ahead (huge pages instead, as NumPy advises: 138 on memory the host had backed before, 6,472 on memory it
    /// had not — why item storage is not advised for them). Where the kernel refuses (older kernels: EINVAL; memory
    /// limits: ENOMEM) the pages fault in as before.
    @inline(__always)
    private func populate(field f: Int, through end: Int) {
        let done = populated[f]
        guard end > done else { return }
        let total = capacity * rowBytes[f]
        let target = Swift.min(total, (end + Self.populateStep + 4095) & ~4095)
        if target <= done || madvise(data[f] + done, target - done, 23 /* MADV_POPULATE_WRITE */) != 0 {
            populated[f] = Int.max
        } else {
            populated[f] = target >= total ? Int.max : target
        }
    }

    /// Throws `.invalidArgument` unless `capacity` items of `bytesPerItem` bytes (storage plus index structures)
    /// fit in the machine's physical memory: asking for more would be killed by the OOM killer or abort in malloc,
    /// and a replay buffer that swaps is useless anyway.
    public static func checkFits(capacity: Int, bytesPerItem: Int, what: String) throws(MnemonetError) {
        let (bytes, overflow) = capacity.multipliedReportingOverflow(by: bytesPerItem)
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        let physical = pages > 0 && pageSize > 0 ? pages &* pageSize : Int.max
        guard !overflow && bytesPerItem > 0 && bytes <= physical else {
            throw .invalidArgument(
                "\(what) of capacity \(capacity) needs "
                    + (overflow ? "more than 2^63 bytes" : "\(bytes) bytes") + ", more than this machine's \(physical) bytes of memory")
        }
    }

    deinit {
        for (p, rb) in zip(data, rowBytes) { LargeAllocation.release(p, bytes: capacity * rb) }
    }

    /// Field `f` of slot `row` as float32 values (`fieldTypes[f]` must be `.float32`).
    public func row(_ row: Int, field f: Int) -> UnsafeBufferPointer<Float> {
        precondition(fieldTypes[f] == .float32, "field \(f) holds \(fieldTypes[f]), not float32")
        return UnsafeBufferPointer(start: (data[f] + row * rowBytes[f]).assumingMemoryBound(to: Float.self),
                                   count: fieldWidths[f])
    }

    /// The bytes of field `f` of slot `row` (`rowBytes[f]` bytes).
    public func rawRow(_ row: Int, field f: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: data[f] + row * rowBytes[f], count: rowBytes[f])
    }

    /// Checks that `fields` holds `items` items of every field (`fields[f].count == items · rowBytes_f` bytes).
    public func validate(_ fields: [UnsafeRawBufferPointer], items: Int, _ what: String) throws(MnemonetError) {
        try validate(fieldCount: fields.count, items: items, what, count: { fields[$0].count },
                     isNull: { fields[$0].baseAddress == nil })
    }

    /// `validate` for output buffers (no per-call conversion of the array: sampling allocates nothing).
    public func validate(_ fields: [UnsafeMutableRawBufferPointer], items: Int, _ what: String) throws(MnemonetError) {
        try validate(fieldCount: fields.count, items: items, what, count: { fields[$0].count },
                     isNull: { fields[$0].baseAddress == nil })
    }

    @inline(__always)
    func validate(fieldCount: Int, items: Int, _ what: String, count: (Int) -> Int,
                  isNull: (Int) -> Bool) throws(MnemonetError) {
        try require(fieldCount == fieldWidths.count,
                    "\(what): expected \(fieldWidths.count) field buffer(s), got \(fieldCount)")
        for f in 0..<fieldCount {
            let (expected, overflow) = items.multipliedReportingOverflow(by: rowBytes[f])
            try require(!overflow && items >= 0, "\(what): \(items) items is out of range")
            try require(count(f) == expected,
                        "\(what): field \(f) must hold \(items) × \(fieldWidths[f]) \(fieldTypes[f]) values (\(expected) bytes), got \(count(f)) bytes")
            try require(items == 0 || !isNull(f), "\(what): field \(f) buffer is null")
        }
    }

    /// Copies items `sourceStart..<sourceStart + count` of `fields` into slots `slot..<slot + count`
    /// (`slot + count ≤ capacity`; no wrap-around here).
    public func write(_ fields: [UnsafeRawBufferPointer], sourceStart: Int, count: Int, toSlot slot: Int) {
        for f in 0..<rowBytes.count {
            let r = rowBytes[f], bytes = count * r
            let dst = data[f] + slot * r, src = fields[f].baseAddress! + sourceStart * r
            populate(field: f, through: (slot + count) * r)
            // Batches go around a ring far larger than the caches and are not read back soon: streaming stores skip
            // reading each destination line first (measured, 1M items of 2 × 64 float32 in batches of 1024: a
            // pass over the full ring 311 → 178 ns per item). Small writes (a single item) stay in the cache.
            if bytes >= Self.streamingThreshold {
                mn_stream_copy(dst, src, bytes)
            } else {
                dst.copyMemory(from: src, byteCount: bytes)
            }
        }
    }

    /// Copies of at least this many bytes use streaming stores (`mn_stream_copy`).
    static let streamingThreshold = 64 << 10

    /// Copies the single item `fields` (one item per buffer) into `slot`.
    public func write(item fields: [UnsafeRawBufferPointer], toSlot slot: Int) {
        write(fields, sourceStart: 0, count: 1, toSlot: slot)
    }

    /// Gathers the rows `slots[j]` into `out[f][j·rowBytes_f ..< (j+1)·rowBytes_f]`. Slots must be in `0..<capacity`.
    public func gather(slots: UnsafeBufferPointer<Int>, into out: [UnsafeMutableRawBufferPointer]) {
        // Touch every cache line of every sampled row first: these loads are independent, so the core keeps many
        // misses in flight, whereas the copy loop below would expose each row's latency in turn. (Measured at 1M
        // items, fields 2 × 64 floats: sample(256) 27–29 µs without this pass, 24–25 µs with it.)
        var sink: UInt8 = 0
        for f in 0..<rowBytes.count {
            let r = rowBytes[f]
            let src = data[f]
            for j in 0..<slots.count {
                let row = src + slots[j] * r
                var k = 0
                while k < r {
                    sink &+= row.load(fromByteOffset: k, as: UInt8.self)
                    k += 64
                }
            }
        }
        touchSink = sink
        for f in 0..<rowBytes.count {
            let r = rowBytes[f]
            let src = data[f]
            let dst = out[f].baseAddress!
            for j in 0..<slots.count {
                (dst + j * r).copyMemory(from: src + slots[j] * r, byteCount: r)
            }
        }
    }

    /// Writes the first `count` rows of every field (checkpoints): per field, the element count then the bytes.
    public func save(rows count: Int, to writer: inout BinaryWriter) {
        for f in 0..<rowBytes.count {
            writer.write(count * fieldWidths[f])
            writer.writeRaw(UnsafeRawBufferPointer(start: data[f], count: count * rowBytes[f]))
        }
    }

    /// Bytes that `save(rows:to:)` writes for `count` rows, or `nil` on overflow.
    public static func savedBytes(rows count: Int, rowBytes: [Int]) -> Int? {
        var total = 0
        for r in rowBytes {
            let (b, o1) = count.multipliedReportingOverflow(by: r)
            let (c, o2) = total.addingReportingOverflow(b &+ 8)
            if o1 || o2 || b > Int.max - 8 { return nil }
            total = c
        }
        return total
    }

    /// Reads what `save(rows:to:)` wrote into the first `count` rows.
    public func load(rows count: Int, from reader: inout BinaryReader) throws(MnemonetError) {
        for f in 0..<rowBytes.count {
            try reader.readRaw("field \(f) data", elementCount: count * fieldWidths[f], elementSize: fieldTypes[f].byteSize,
                               into: UnsafeMutableRawBufferPointer(start: data[f], count: count * rowBytes[f]))
            // Saved items are always finite (add refuses NaN/inf): a non-finite float in a file is corruption.
            let n = count * fieldWidths[f]
            var bad: Int? = nil
            switch fieldTypes[f] {
            case .float32:
                bad = firstNonFinite(UnsafeBufferPointer(start: data[f].assumingMemoryBound(to: Float.self), count: n))
            case .float64:
                let v = UnsafeBufferPointer(start: data[f].assumingMemoryBound(to: Double.self), count: n)
                bad = v.firstIndex(where: { !$0.isFinite })
            default:
                break
            }
            if let k = bad {
                throw .format("checkpoint is corrupt (field \(f) data[\(k)] is not finite; saved items are always finite)")
            }
        }
    }
}
