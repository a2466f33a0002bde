import MnemonetBase
import Testing

import MnemonetReplay

@Suite struct RankIndexTests {
    /// The treap's order equals a full sort by (priority descending, slot ascending) after random sets/removes.
    @Test func orderMatchesASortUnderRandomOperations() {
        var rng = Xoshiro256(seed: 7)
        let capacity = 300
        let index = RankIndex(capacity: capacity)
        var keys = [Double?](repeating: nil, count: capacity)
        for step in 0..<4000 {
            let slot = rng.nextInt(below: capacity)
            if keys[slot] != nil && rng.nextUnitDouble() < 0.2 {
                index.remove(slot: slot)
                keys[slot] = nil
            } else {
                let p = Double(rng.nextInt(below: 50))  // ties on purpose
                index.set(slot: slot, priority: p)
                keys[slot] = p
            }
            if step % 500 == 0 || step == 3999 {
                let expected = (0..<capacity).filter { keys[$0] != nil }
                    .sorted { keys[$0]! > keys[$1]! || (keys[$0]! == keys[$1]! && $0 < $1) }
                #expect(index.ordered() == expected)
                #expect(index.count == expected.count)
                for (r, s) in expected.enumerated() { #expect(index.slot(atRank: r) == s) }
            }
        }
    }
}

@Suite struct TypedStorageTests {
    /// Bytes of every element type go in and come out unchanged, and a checkpoint keeps the types.
    @Test func typedFieldsRoundTripThroughSampleAndCheckpoint() throws {
        let types: [ReplayElementType] = [.uint8, .int64, .float64, .bool]
        let widths = [3, 1, 2, 1]
        let b = try PrioritizedReplayBuffer(capacity: 8, fieldWidths: widths, fieldTypes: types, seed: 1)
        let u8: [UInt8] = [1, 2, 255, 4, 5, 6], i64: [Int64] = [16_777_217, -(1 << 62)]
        let f64: [Double] = [1e-300, 2, 3, 4], flags: [UInt8] = [1, 0]
        try u8.withUnsafeBytes { a in try i64.withUnsafeBytes { b2 in try f64.withUnsafeBytes { c in
            try flags.withUnsafeBytes { d in try b.add(batch: [a, b2, c, d], items: 2, priorities: nil) } } } }
        var w = BinaryWriter()
        b.save(to: &w)
        var r = BinaryReader(w.bytes)
        let c = try PrioritizedReplayBuffer(from: &r)
        #expect(c.fieldTypes == types)
        for k in 0..<2 {
            #expect(Array(c.storage.rawRow(k, field: 1)) == Array(b.storage.rawRow(k, field: 1)))
            #expect(c.storage.rawRow(k, field: 1).load(as: Int64.self) == i64[k])
            #expect(c.storage.rawRow(k, field: 2).load(fromByteOffset: 0, as: Double.self) == f64[2 * k])
        }
        // Byte counts are checked against the field's element size.
        #expect(throws: MnemonetError.self) {
            try [Float](repeating: 0, count: 3).withUnsafeBytes { a in
                try b.add(item: [a, a, a, a], priority: nil) }
        }
    }
}
