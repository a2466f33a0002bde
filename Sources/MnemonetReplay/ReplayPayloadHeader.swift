import MnemonetBase

/// The common head of both replay payloads (prioritized and reservoir), read and written in one place.
///
/// Layout (little-endian): tag string, version `UInt32`, capacity, field count, field widths… (each an `Int64`).
/// Bounds on read: capacity in 1...2^40, 1...4096 fields, widths in 1...2^30 (the storage's memory guard and the
/// remaining-bytes check then decide whether the contents can exist).
struct ReplayPayloadHeader {
    /// The buffer's capacity (items).
    var capacity: Int
    /// Per-field widths (floats per item).
    var fieldWidths: [Int]

    /// A header for a buffer of `capacity` items with fields of `fieldWidths` floats.
    init(capacity: Int, fieldWidths: [Int]) {
        self.capacity = capacity
        self.fieldWidths = fieldWidths
    }

    /// Appends tag, version, capacity and widths.
    func write(to writer: inout BinaryWriter, tag: String, version: UInt32) {
        writer.write(tag)
        writer.write(version)
        writer.write(capacity)
        writer.write(fieldWidths.count)
        for w in fieldWidths { writer.write(w) }
    }

    /// Reads a header written with `tag` and `version`; throws `.format` for another tag, another version or sizes
    /// out of bounds.
    init(from reader: inout BinaryReader, tag: String, version: UInt32) throws(MnemonetError) {
        let found = try reader.readString("replay buffer tag")
        guard found == tag else {
            throw .format("checkpoint holds '\(found.prefix(40))', expected a \(tag)")
        }
        let v = try reader.readUInt32("\(tag) version")
        guard v == version else {
            throw .format("\(tag) checkpoint version \(v) is not supported (expected \(version))")
        }
        capacity = try reader.readInt("capacity", in: 1...(1 << 40))
        let fieldCount = try reader.readInt("field count", in: 1...4096)
        fieldWidths = []
        for f in 0..<fieldCount { fieldWidths.append(try reader.readInt("width of field \(f)", in: 1...(1 << 30))) }
    }
}
