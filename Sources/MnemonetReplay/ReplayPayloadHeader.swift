import MnemonetBase

/// The common head of both replay payloads (prioritized and reservoir), read and written in one place.
///
/// Layout (little-endian): tag string, version `UInt32`, capacity, field count, field widths… (each an `Int64`),
/// then (version 2) one `UInt8` element type per field (`ReplayElementType` codes). Version 1 checkpoints (every
/// field float32, written before typed fields existed) still load. Bounds on read: capacity in 1...2^40, 1...4096
/// fields, widths in 1...2^30 (the storage's memory guard and the remaining-bytes check then decide whether the
/// contents can exist).
struct ReplayPayloadHeader {
    /// The version `write` emits.
    static let currentVersion: UInt32 = 2
    /// The buffer's capacity (items).
    var capacity: Int
    /// Per-field widths (elements per item).
    var fieldWidths: [Int]
    /// Per-field element types.
    var fieldTypes: [ReplayElementType]

    /// A header for a buffer of `capacity` items with fields of `fieldWidths` elements of `fieldTypes`.
    init(capacity: Int, fieldWidths: [Int], fieldTypes: [ReplayElementType]) {
        self.capacity = capacity
        self.fieldWidths = fieldWidths
        self.fieldTypes = fieldTypes
    }

    /// The header of `storage`.
    init(_ storage: ReplayStorage) {
        self.init(capacity: storage.capacity, fieldWidths: storage.fieldWidths, fieldTypes: storage.fieldTypes)
    }

    /// Bytes per item of each field.
    var rowBytes: [Int] { zip(fieldWidths, fieldTypes).map { $0 * $1.byteSize } }

    /// Appends tag, version, capacity, widths and types.
    func write(to writer: inout BinaryWriter, tag: String) {
        writer.write(tag)
        writer.write(Self.currentVersion)
        writer.write(capacity)
        writer.write(fieldWidths.count)
        for w in fieldWidths { writer.write(w) }
        for t in fieldTypes { writer.write(t.rawValue) }
    }

    /// Reads a header written with `tag` (version 1 or 2); throws `.format` for another tag, another version,
    /// an unknown element type or sizes out of bounds.
    init(from reader: inout BinaryReader, tag: String) throws(MnemonetError) {
        let found = try reader.readString("replay buffer tag")
        guard found == tag else {
            throw .format("checkpoint holds '\(found.prefix(40))', expected a \(tag)")
        }
        let v = try reader.readUInt32("\(tag) version")
        guard v == 1 || v == Self.currentVersion else {
            throw .format("\(tag) checkpoint version \(v) is not supported (expected 1 or \(Self.currentVersion))")
        }
        capacity = try reader.readInt("capacity", in: 1...(1 << 40))
        let fieldCount = try reader.readInt("field count", in: 1...4096)
        fieldWidths = []
        for f in 0..<fieldCount { fieldWidths.append(try reader.readInt("width of field \(f)", in: 1...(1 << 30))) }
        fieldTypes = []
        for f in 0..<fieldCount {
            if v == 1 {
                fieldTypes.append(.float32)
            } else {
                let code = try reader.readUInt8("element type of field \(f)")
                guard let t = ReplayElementType(rawValue: code) else {
                    throw .format("checkpoint is corrupt (field \(f) has unknown element type \(code))")
                }
                fieldTypes.append(t)
            }
        }
    }
}
