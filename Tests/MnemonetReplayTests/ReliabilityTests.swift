import MnemonetBase
@testable import MnemonetReplay
import Testing

/// Issue 14: lazily zero trees (the min-tree's key encoding), undo of an add + sample, priority-sum overflow.
@Suite struct ReliabilityTests {
    @Test func minTreeKeysOrderValuesAndZeroIsEmpty() {
        let values: [Double] = [0, 1e-300, 0.5, 1, 3, 1e300, .greatestFiniteMagnitude, .infinity]
        for (a, b) in zip(values, values.dropFirst()) {
            #expect(SumTree.minKey(a) > SumTree.minKey(b))
        }
        #expect(SumTree.minKey(.infinity) == 0)
        for v in values { #expect(SumTree.minValue(SumTree.minKey(v)) == v) }
    }

    @Test func clearRestoresAnEmptyLeafBitForBit() throws {
        let tree = try SumTree(capacity: 10)
        tree.update(leaf: 0, to: 2)
        tree.update(leaf: 1, to: 5)
        tree.update(leaf: 2, to: 0.25)
        #expect(tree.minimum == 0.25)
        tree.clear(leaf: 2)
        #expect(tree.minimum == 2)
        #expect(tree.total == 7)
        #expect(tree._checkInvariants() == nil)
    }

    @Test func undoRecordRestoresAddAndSample() throws {
        for fill in [3, 8] {  // not full, and full (the add overwrites the oldest item)
            let b = try PrioritizedReplayBuffer(capacity: 8, fieldWidths: [2], alpha: 0.6, seed: 1)
            for k in 0..<fill {
                let row: [Float] = [Float(k), -Float(k)]
                try row.withUnsafeBufferPointer { try b.add(item: [$0], priority: Double(k) + 1) }
            }
            var before = BinaryWriter()
            b.save(to: &before)
            let undo = b.makeUndoRecord()
            b.record(undo)
            let row: [Float] = [42, 43]
            try row.withUnsafeBufferPointer { try b.add(item: [$0], priority: 1e3) }
            let idx = UnsafeMutableBufferPointer<Int64>.allocate(capacity: 2)
            let w = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2)
            let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4)
            defer { idx.deallocate(); w.deallocate(); out.deallocate() }
            try b.sample(batchSize: 2, beta: 0.4, indices: idx, weights: w, fields: [out])
            b.restore(undo)
            var after = BinaryWriter()
            b.save(to: &after)
            #expect(after.bytes == before.bytes)
            #expect(b._checkInvariants() == nil)
        }
    }

    @Test func prioritySumOverflowIsRefused() throws {
        let b = try PrioritizedReplayBuffer(capacity: 4, fieldWidths: [1], alpha: 1, seed: 0)
        let row: [Float] = [1]
        try row.withUnsafeBufferPointer { try b.add(item: [$0], priority: 1e308) }
        #expect(throws: MnemonetError.self) {
            try row.withUnsafeBufferPointer { try b.add(item: [$0], priority: 1e308) }
        }
        #expect(b.count == 1 && b.tree.total.isFinite)
    }
}
