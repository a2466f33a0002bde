#if canImport(Glibc)
import Glibc
#endif
import MnemonetBase

/// The item storage shared by every replay buffer: `capacity` rows of `F` float32 fields, field `f` holding
/// `fieldWidths[f]` values per item (a flattened per-item shape such as `(64,)`).
///
/// Each field is one flat, contiguous `[capacity, width_f]` block, so writing a batch of consecutive slots is one
/// `memcpy` per field (two when it wraps) and gathering a sampled batch copies rows straight into the caller's
/// output buffers. Memory is allocated at creation but only touched when written, so a large, mostly empty buffer
/// costs address space, not RAM.
public final class ReplayStorage {
    /// Number of item slots.
    public let capacity: Int
    /// Values per item of each field.
    public let fieldWidths: [Int]
    @usableFromInline let data: [UnsafeMutablePointer<Float>]
    /// Keeps the prefetching loads of `gather` from being optimised away.
    var touchSink: Float = 0

    /// Storage for `capacity` items with the given field widths (each ≥ 1, at least one field).
    public init(capacity: Int, fieldWidths: [Int]) throws(MnemonetError) {
        try require(capacity >= 1, "capacity must be at least 1, got \(capacity)")
        try require(!fieldWidths.isEmpty, "a replay buffer needs at least one field, got none")
        for (f, w) in fieldWidths.enumerated() {
            try require(w >= 1, "field \(f) must hold at least one value per item, got width \(w)")
        }
        let rowBytes = fieldWidths.reduce(0) { $0 &+ $1 } &* 4
        try ReplayStorage.checkFits(capacity: capacity, bytesPerItem: rowBytes + 96,
                                    what: "a replay buffer with field widths \(fieldWidths)")
        var blocks: [UnsafeMutablePointer<Float>] = []
        for w in fieldWidths {
            // Pages are only touched when written (a mostly empty buffer costs address space, not RAM); unwritten
            // rows are never read. Large blocks are advised for huge pages: random row gathers at 1M items then
            // rarely miss the TLB (sample(256) with the gather: 30 → 24 µs, measured). The price: on a host short
            // of free huge pages, the kernel compacts memory during the first fill.
            guard let raw = LargeAllocation.allocate(bytes: capacity * w * 4) else {
                for (b, w) in zip(blocks, fieldWidths) { LargeAllocation.release(b, bytes: capacity * w * 4) }
                throw .invalidArgument("cannot allocate \(capacity * w * 4) bytes for a replay buffer of capacity \(capacity)")
            }
            blocks.append(raw.bindMemory(to: Float.self, capacity: capacity * w))
        }
        self.capacity = capacity
        self.fieldWidths = fieldWidths
        data = blocks
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
        for (p, w) in zip(data, fieldWidths) { LargeAllocation.release(p, bytes: capacity * w * 4) }
    }

    /// Field `f` of slot `row` (`fieldWidths[f]` values).
    public func row(_ row: Int, field f: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: data[f] + row * fieldWidths[f], count: fieldWidths[f])
    }

    /// Checks that `fields` holds `items` items of every field (`fields[f].count == items · width_f`).
    public func validate(_ fields: [UnsafeBufferPointer<Float>], items: Int, _ what: String) throws(MnemonetError) {
        try validate(fieldCount: fields.count, items: items, what, count: { fields[$0].count },
                     isNull: { fields[$0].baseAddress == nil })
    }

    /// `validate` for output buffers (no per-call conversion of the array: sampling allocates nothing).
    public func validate(_ fields: [UnsafeMutableBufferPointer<Float>], items: Int, _ what: String) throws(MnemonetError) {
        try validate(fieldCount: fields.count, items: items, what, count: { fields[$0].count },
                     isNull: { fields[$0].baseAddress == nil })
    }

    @inline(__always)
    func validate(fieldCount: Int, items: Int, _ what: String, count: (Int) -> Int,
                  isNull: (Int) -> Bool) throws(MnemonetError) {
        try require(fieldCount == fieldWidths.count,
                    "\(what): expected \(fieldWidths.count) field buffer(s), got \(fieldCount)")
        for f in 0..<fieldCount {
            let (expected, overflow) = items.multipliedReportingOverflow(by: fieldWidths[f])
            try require(!overflow && items >= 0, "\(what): \(items) items is out of range")
            try require(count(f) == expected,
                        "\(what): field \(f) must hold \(items) × \(fieldWidths[f]) = \(items * fieldWidths[f]) values, got \(count(f))")
            try require(items == 0 || !isNull(f), "\(what): field \(f) buffer is null")
        }
    }

    /// Copies items `sourceStart..<sourceStart + count` of `fields` into slots `slot..<slot + count`
    /// (`slot + count ≤ capacity`; no wrap-around here).
    public func write(_ fields: [UnsafeBufferPointer<Float>], sourceStart: Int, count: Int, toSlot slot: Int) {
        for f in 0..<fieldWidths.count {
            let w = fieldWidths[f]
            (data[f] + slot * w).update(from: fields[f].baseAddress! + sourceStart * w, count: count * w)
        }
    }

    /// Copies the single item `fields` (one item per buffer) into `slot`.
    public func write(item fields: [UnsafeBufferPointer<Float>], toSlot slot: Int) {
        write(fields, sourceStart: 0, count: 1, toSlot: slot)
    }

    /// Gathers the rows `slots[j]` into `out[f][j·width_f ..< (j+1)·width_f]`. Slots must be in `0..<capacity`.
    public func gather(slots: UnsafeBufferPointer<Int>, into out: [UnsafeMutableBufferPointer<Float>]) {
        // Touch every cache line of every sampled row first: these loads are independent, so the core keeps many
        // misses in flight, whereas the copy loop below would expose each row's latency in turn. (Measured at 1M
        // items, fields 2 × 64 floats: sample(256) 27–29 µs without this pass, 24–25 µs with it.)
        var sink: Float = 0
        for f in 0..<fieldWidths.count {
            let w = fieldWidths[f]
            let src = data[f]
            for j in 0..<slots.count {
                let row = src + slots[j] * w
                var k = 0
                while k < w {
                    sink += row[k]
                    k += 16
                }
            }
        }
        touchSink = sink
        for f in 0..<fieldWidths.count {
            let w = fieldWidths[f]
            let src = data[f]
            let dst = out[f].baseAddress!
            for j in 0..<slots.count {
                (dst + j * w).update(from: src + slots[j] * w, count: w)
            }
        }
    }

    /// Writes the first `count` rows of every field (checkpoints).
    public func save(rows count: Int, to writer: inout BinaryWriter) {
        for f in 0..<fieldWidths.count {
            writer.write(UnsafeBufferPointer(start: data[f], count: count * fieldWidths[f]))
        }
    }

    /// Bytes that `save(rows:to:)` writes for `count` rows of `fieldWidths`, or `nil` on overflow.
    public static func savedBytes(rows count: Int, fieldWidths: [Int]) -> Int? {
        var total = 0
        for w in fieldWidths {
            let (a, o1) = count.multipliedReportingOverflow(by: w)
            let (b, o2) = a.multipliedReportingOverflow(by: 4)
            let (c, o3) = total.addingReportingOverflow(b &+ 8)
            if o1 || o2 || o3 || b > Int.max - 8 { return nil }
            total = c
        }
        return total
    }

    /// Reads what `save(rows:to:)` wrote into the first `count` rows.
    public func load(rows count: Int, from reader: inout BinaryReader) throws(MnemonetError) {
        for f in 0..<fieldWidths.count {
            try reader.readFloats("field \(f) data",
                                  into: UnsafeMutableBufferPointer(start: data[f], count: count * fieldWidths[f]))
        }
    }
}
