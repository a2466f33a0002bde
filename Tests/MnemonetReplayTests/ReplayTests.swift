import Foundation
import MnemonetBase
import MnemonetReplay
import Testing

// MARK: Helpers

/// Upper quantile of χ²(df) at tail probability `p` (Wilson–Hilferty; accurate to <1% for df ≥ 3).
func chiSquareQuantile(df: Int, upperTail p: Double) -> Double {
    // z for the upper tail p (Acklam-free: bisection on erfc is plenty here).
    var lo = 0.0, hi = 10.0
    for _ in 0..<100 {
        let mid = (lo + hi) / 2
        if 0.5 * erfc(mid / 2.0.squareRoot()) > p { lo = mid } else { hi = mid }
    }
    let z = (lo + hi) / 2
    let k = Double(df)
    let t = 1 - 2 / (9 * k) + z * (2 / (9 * k)).squareRoot()
    return k * t * t * t
}

/// |a − b| ≤ tol · |b| (stored priorities use a vectorised power accurate to ~1e-14, not Glibc's pow).
func close(_ a: Double, _ b: Double, _ tol: Double = 1e-13) -> Bool { abs(a - b) <= tol * abs(b) }

func chiSquare(observed: [Int], expected: [Double]) -> Double {
    zip(observed, expected).reduce(0) { acc, oe in acc + (Double(oe.0) - oe.1) * (Double(oe.0) - oe.1) / oe.1 }
}

/// A buffer whose single field (width 1) holds the item's insertion number.
func numberedBuffer(capacity: Int, priorities: [Double], alpha: Double = 0.6, eps: Double = 1e-6,
                    sampling: SamplingMode = .proportionalStratified, seed: UInt64 = 1) throws -> PrioritizedReplayBuffer {
    let b = try PrioritizedReplayBuffer(capacity: capacity, fieldWidths: [1], alpha: alpha, eps: eps,
                                        sampling: sampling, seed: seed)
    for (i, p) in priorities.enumerated() {
        let x = [Float(i)]
        try x.withUnsafeBufferPointer { try b.add(item: [$0], priority: p) }
    }
    return b
}

struct Batch {
    var indices: [Int64]
    var weights: [Float]
    var field: [Float]
}

func draw(_ b: PrioritizedReplayBuffer, _ n: Int, beta: Double = 0.4) throws -> Batch {
    var out = Batch(indices: .init(repeating: -1, count: n), weights: .init(repeating: .nan, count: n),
                    field: .init(repeating: .nan, count: n * b.fieldWidths[0]))
    try out.indices.withUnsafeMutableBufferPointer { i in
        try out.weights.withUnsafeMutableBufferPointer { w in
            try out.field.withUnsafeMutableBufferPointer { f in
                try b.sample(batchSize: n, beta: beta, indices: i, weights: w, fields: [f])
            }
        }
    }
    return out
}

func update(_ b: PrioritizedReplayBuffer, _ indices: [Int64], _ priorities: [Double]) throws {
    try indices.withUnsafeBufferPointer { i in
        try priorities.withUnsafeBufferPointer { p in try b.updatePriorities(indices: i, priorities: p) }
    }
}

// MARK: Sum-tree

@Suite struct SumTreeTests {
    @Test(arguments: [1, 2, 3, 4, 5, 7, 16, 17, 64, 1000, 1025])
    func invariantsUnderRandomUpdates(capacity: Int) throws {
        let tree = try SumTree(capacity: capacity)
        var g = Xoshiro256(seed: UInt64(capacity))
        var reference = [Double](repeating: 0, count: capacity)
        var set = [Bool](repeating: false, count: capacity)
        for step in 0..<300 {
            switch step % 3 {
            case 0:
                let k = g.nextInt(below: capacity), v = g.nextUnitDouble() * 10
                tree.update(leaf: k, to: v)
                reference[k] = v
                set[k] = true
            case 1:
                let n = 1 + g.nextInt(below: 20)
                let ks = (0..<n).map { _ in g.nextInt(below: capacity) }
                let vs = (0..<n).map { _ in g.nextUnitDouble() }
                ks.withUnsafeBufferPointer { k in vs.withUnsafeBufferPointer { v in tree.update(leaves: k, values: v) } }
                for (k, v) in zip(ks, vs) { reference[k] = v; set[k] = true }  // later entries win
            default:
                let start = g.nextInt(below: capacity)
                let n = 1 + g.nextInt(below: capacity - start)
                let vs = (0..<n).map { _ in g.nextUnitDouble() * 3 }
                vs.withUnsafeBufferPointer { tree.update(leavesFrom: start, values: $0) }
                for j in 0..<n { reference[start + j] = vs[j]; set[start + j] = true }
            }
            #expect(tree._checkInvariants() == nil)
        }
        for k in 0..<capacity { #expect(tree[leaf: k] == reference[k]) }
        let sum = reference.reduce(0, +)
        #expect(abs(tree.total - sum) <= 1e-12 * sum)
        #expect(tree.minimum == zip(reference, set).filter { $0.1 }.map { $0.0 }.min()!)
        // prefixSearch inverts the prefix sums (single and batched agree).
        var prefix = 0.0
        var us: [Double] = [], expected: [Int] = []
        for k in 0..<capacity where reference[k] > 0 {
            us.append(prefix + 0.5 * reference[k]); expected.append(k)
            prefix += reference[k]
        }
        for (u, k) in zip(us, expected) { #expect(tree.prefixSearch(u) == k) }
        var leaves = [Int](repeating: -1, count: us.count)
        us.withUnsafeMutableBufferPointer { u in leaves.withUnsafeMutableBufferPointer { tree.prefixSearch(u, into: $0) } }
        #expect(leaves == expected)
    }

    @Test func roundingNeverSelectsAnEmptyLeaf() throws {
        let tree = try SumTree(capacity: 10)
        tree.update(leaf: 3, to: 0.1)
        tree.update(leaf: 4, to: 0.2)
        for u in [0.0, 0.3, 0.30000000000000004, 1.0, 1e300] {
            #expect([3, 4].contains(tree.prefixSearch(u)))
        }
        #expect(tree.prefixSearch(1e300) == 4)
    }

    @Test func restoringALeafRestoresTheTreeExactly() throws {
        let tree = try SumTree(capacity: 37)
        var g = Xoshiro256(seed: 5)
        for k in 0..<37 { tree.update(leaf: k, to: g.nextUnitDouble()) }
        let before = (tree.total, tree.minimum)
        let old = tree[leaf: 11]
        tree.update(leaf: 11, to: 0)
        tree.update(leaf: 11, to: old)
        #expect(tree.total == before.0 && tree.minimum == before.1)
    }

    @Test func invalidCapacityThrows() {
        #expect(throws: MnemonetError.self) { try SumTree(capacity: 0) }
        #expect(throws: MnemonetError.self) { try SumTree(capacity: Int.max / 2) }
    }
}

@Suite struct PriorityExponentTests {
    @Test func matchesGlibcPow() {
        var g = Xoshiro256(seed: 2)
        for alpha in [0.0, 0.3, 0.6, 1.0, 0.999, 2.0] {
            var xs = (0..<4001).map { _ in pow(10, 60 * g.nextUnitDouble() - 30) }
            xs += [0, 5e-324, 1e-310, 1e300, 1, 2, 0.5, 1e-6, .greatestFiniteMagnitude]
            var ys = xs
            ys.withUnsafeMutableBufferPointer { PriorityExponent.apply($0, alpha: alpha) }
            for (x, y) in zip(xs, ys) {
                let want = pow(x, alpha)
                #expect(y == want || close(y, want, 2e-14), "\(x)^\(alpha): \(y) vs \(want)")
                #expect(PriorityExponent.power(x, alpha) == y || (y.isNaN && PriorityExponent.power(x, alpha).isNaN))
            }
        }
    }
}

// MARK: Proportional (Schaul) sampling

@Suite struct ProportionalSamplingTests {
    @Test func frequenciesMatchTheProbabilities() throws {
        var g = Xoshiro256(seed: 11)
        let n = 40
        let priorities = (0..<n).map { _ in 0.05 + 3 * g.nextUnitDouble() }
        let b = try numberedBuffer(capacity: 64, priorities: priorities, seed: 7)
        #expect(b._checkInvariants() == nil)
        let leaves = priorities.map { pow($0 + 1e-6, 0.6) }
        let total = leaves.reduce(0, +)
        var counts = [Int](repeating: 0, count: n)
        let draws = 160_000, batch = 32
        for _ in 0..<(draws / batch) {
            let s = try draw(b, batch)
            for (j, i) in s.indices.enumerated() {
                counts[Int(i)] += 1
                #expect(s.field[j] == Float(i))  // the gathered item is the indexed one
            }
        }
        let stat = chiSquare(observed: counts, expected: leaves.map { Double(draws) * $0 / total })
        #expect(stat < chiSquareQuantile(df: n - 1, upperTail: 1e-4), "chi-square \(stat)")
        // A wrong distribution (uniform) must fail the same test: the test can fail.
        let uniform = chiSquare(observed: counts, expected: .init(repeating: Double(draws) / Double(n), count: n))
        #expect(uniform > chiSquareQuantile(df: n - 1, upperTail: 1e-4))
    }

    @Test func weightsMatchTheFormula() throws {
        let priorities = [0.1, 2.0, 0.5, 7.0, 1.0, 0.0]
        let alpha = 0.7, beta = 0.55, eps = 0.01
        let b = try numberedBuffer(capacity: 8, priorities: priorities, alpha: alpha, eps: eps)
        let p = priorities.map { pow($0 + eps, alpha) }
        let total = p.reduce(0, +), nItems = Double(priorities.count)
        let maxWeight = p.map { pow(nItems * $0 / total, -beta) }.max()!
        for _ in 0..<20 {
            let s = try draw(b, 16, beta: beta)
            for (j, i) in s.indices.enumerated() {
                let expected = pow(nItems * p[Int(i)] / total, -beta) / maxWeight
                #expect(abs(Double(s.weights[j]) - expected) <= 1e-6 * expected)
            }
        }
        #expect(close(try b.storedPriority(at: 3), pow(7.0 + eps, alpha)))
    }

    @Test func newItemsGetTheLargestPrioritySeen() throws {
        let b = try numberedBuffer(capacity: 8, priorities: [0.5], alpha: 1, eps: 0)
        #expect(b.maxPriority == 1)
        try [Float(1)].withUnsafeBufferPointer { try b.add(item: [$0], priority: nil) }
        #expect(try b.storedPriority(at: 1) == 1)
        try update(b, [0], [5])
        try [Float(2)].withUnsafeBufferPointer { try b.add(item: [$0], priority: nil) }
        #expect(try b.storedPriority(at: 2) == 5)
        #expect(b.maxPriority == 5)
    }

    @Test func ringBufferOverwritesTheOldestFirst() throws {
        let b = try numberedBuffer(capacity: 3, priorities: [1, 2, 3, 4, 5])
        #expect(b.count == 3 && b.position == 2)
        #expect([0, 1, 2].map { b.storage.row($0, field: 0)[0] } == [3, 4, 2])
        #expect(close(try b.storedPriority(at: 0), pow(4 + 1e-6, 0.6)))
        // A batch larger than the capacity keeps the last `capacity` items, like adding them one by one.
        let c = try PrioritizedReplayBuffer(capacity: 4, fieldWidths: [2], seed: 1)
        let data = (0..<20).map(Float.init)  // 10 items of width 2
        let pr = (0..<10).map(Double.init)
        try data.withUnsafeBufferPointer { d in try pr.withUnsafeBufferPointer { try c.add(batch: [d], items: 10, priorities: $0) } }
        let d = try numberedLike(c)
        #expect(d == [[16, 17], [18, 19], [12, 13], [14, 15]])
        #expect(c.position == 2 && c.count == 4 && c._checkInvariants() == nil)
        #expect(close(try c.storedPriority(at: 0), pow(8 + 1e-6, 0.6)))
    }

    func numberedLike(_ c: PrioritizedReplayBuffer) throws -> [[Float]] {
        (0..<c.count).map { Array(c.storage.row($0, field: 0)) }
    }

    @Test func capacityOneAndEqualPriorities() throws {
        let one = try numberedBuffer(capacity: 1, priorities: [3, 9])
        let s = try draw(one, 5)
        #expect(s.indices == [0, 0, 0, 0, 0] && s.weights == [1, 1, 1, 1, 1] && s.field == [1, 1, 1, 1, 1])
        let equal = try numberedBuffer(capacity: 10, priorities: .init(repeating: 2, count: 10))
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<100 {
            let t = try draw(equal, 10)
            #expect(t.weights.allSatisfy { $0 == 1 })
            for i in t.indices { counts[Int(i)] += 1 }
        }
        // Stratified draws over equal masses hit every item exactly once per batch.
        #expect(counts == .init(repeating: 100, count: 10))
    }

    @Test func badInputThrows() throws {
        let b = try PrioritizedReplayBuffer(capacity: 4, fieldWidths: [2], seed: 1)
        #expect(throws: MnemonetError.invalidState("cannot sample from an empty replay buffer (add items first)")) {
            _ = try draw(b, 1)
        }
        let x: [Float] = [1, 2]
        for bad in [Double.nan, -1, .infinity] {
            #expect(throws: MnemonetError.self) { try x.withUnsafeBufferPointer { try b.add(item: [$0], priority: bad) } }
        }
        #expect(throws: MnemonetError.self) { try [Float(1)].withUnsafeBufferPointer { try b.add(item: [$0], priority: 1) } }
        try x.withUnsafeBufferPointer { try b.add(item: [$0], priority: 1) }
        #expect(throws: MnemonetError.self) { _ = try draw(b, 0) }
        #expect(throws: MnemonetError.self) { _ = try draw(b, 2, beta: -1) }
        if case .indexOutOfRange? = caught({ () throws(MnemonetError) in
            try [Int64(1)].withUnsafeBufferPointer { (i) throws(MnemonetError) in
                try [1.0].withUnsafeBufferPointer { (p) throws(MnemonetError) in try b.updatePriorities(indices: i, priorities: p) } }
        }) {} else { Issue.record("expected an index error") }
        #expect(throws: MnemonetError.self) { try update(b, [0], [.nan]) }
        #expect(throws: MnemonetError.self) { try PrioritizedReplayBuffer(capacity: 0, fieldWidths: [1]) }
        #expect(throws: MnemonetError.self) { try PrioritizedReplayBuffer(capacity: 4, fieldWidths: []) }
        #expect(throws: MnemonetError.self) { try PrioritizedReplayBuffer(capacity: 4, fieldWidths: [1], alpha: -1) }
        #expect(throws: MnemonetError.self) { try PrioritizedReplayBuffer(capacity: 1 << 40, fieldWidths: [64]) }
        #expect(b._checkInvariants() == nil && b.count == 1)
    }
}

@Suite struct ArrayConveniencesTests {
    @Test func arraysMatchTheBufferPointerForms() throws {
        let a = try PrioritizedReplayBuffer(capacity: 8, fieldWidths: [2, 1], sampling: .seedWithoutReplacement, seed: 5)
        let b = try PrioritizedReplayBuffer(capacity: 8, fieldWidths: [2, 1], sampling: .seedWithoutReplacement, seed: 5)
        for i in 0..<6 {
            let x: [Float] = [Float(i), -Float(i)], y: [Float] = [Float(10 * i)]
            try a.add(item: [x, y], priority: Double(i) + 1e-6)
            try x.withUnsafeBufferPointer { x in try y.withUnsafeBufferPointer { y in
                try b.add(item: [x, y], priority: Double(i) + 1e-6) } }
        }
        let s = try a.sample(batchSize: 4, beta: 0.4)
        #expect(s.fields[0].count == 8 && s.fields[1].count == 4 && Set(s.indices).count == 4)
        for (j, i) in s.indices.enumerated() {
            #expect(s.fields[0][2 * j] == Float(i) && s.fields[1][j] == Float(10 * i))
        }
        try a.updatePriorities(indices: s.indices, priorities: [1, 2, 3, 4])
        try update(b, try draw2Fields(b).indices, [1, 2, 3, 4])
        #expect(try a.sample(batchSize: 3, beta: 0.4).indices == draw2Fields(b, 3).indices)
        #expect(throws: MnemonetError.self) { try a.add(item: [[1]], priority: nil) }
        #expect(throws: MnemonetError.self) { _ = try a.sample(batchSize: 0, beta: 0.4) }
    }

    func draw2Fields(_ b: PrioritizedReplayBuffer, _ n: Int = 4) throws -> ReplaySample {
        var i = [Int64](repeating: 0, count: n), w = [Float](repeating: 0, count: n)
        var x = [Float](repeating: 0, count: 2 * n), y = [Float](repeating: 0, count: n)
        try i.withUnsafeMutableBufferPointer { i in try w.withUnsafeMutableBufferPointer { w in
            try x.withUnsafeMutableBufferPointer { x in try y.withUnsafeMutableBufferPointer { y in
                try b.sample(batchSize: n, beta: 0.4, indices: i, weights: w, fields: [x, y]) } } } }
        return ReplaySample(indices: i, weights: w, fields: [x, y])
    }
}

// MARK: Seed semantics (without replacement)

@Suite struct SeedSamplingTests {
    @Test func storesPriorityToTheAlphaExactly() throws {
        let b = try numberedBuffer(capacity: 5, priorities: [0.25 + 1e-6, 3], alpha: 0.6, sampling: .seedWithoutReplacement)
        #expect(close(try b.storedPriority(at: 0), pow(0.25 + 1e-6, 0.6)))
        #expect(close(try b.storedPriority(at: 1), pow(3.0, 0.6)))
        try [Float(9)].withUnsafeBufferPointer { try b.add(item: [$0], priority: nil) }
        #expect(try b.storedPriority(at: 2) == 1)  // the seed's default priority=1.0
    }

    @Test func orderedPairsFollowSuccessiveSampling() throws {
        let priorities = [1.0, 2.0, 3.0, 4.0, 0.5]
        let b = try numberedBuffer(capacity: 8, priorities: priorities, alpha: 0.6, sampling: .seedWithoutReplacement, seed: 3)
        let q = priorities.map { pow($0, 0.6) }
        let total = q.reduce(0, +)
        let p = q.map { $0 / total }
        var counts = [Int](repeating: 0, count: 25)
        let draws = 100_000
        for _ in 0..<draws {
            let s = try draw(b, 2, beta: 0.4)
            #expect(s.indices[0] != s.indices[1])
            counts[Int(s.indices[0]) * 5 + Int(s.indices[1])] += 1
            // Weights: (N·P(i))^−β over the batch maximum.
            let w = s.indices.map { pow(5 * p[Int($0)], -0.4) }
            for j in 0..<2 { #expect(abs(Double(s.weights[j]) - w[j] / w.max()!) < 1e-6) }
        }
        var observed: [Int] = [], expected: [Double] = []
        for i in 0..<5 { for j in 0..<5 where i != j {
            observed.append(counts[i * 5 + j])
            expected.append(Double(draws) * p[i] * p[j] / (1 - p[i]))
        } }
        let stat = chiSquare(observed: observed, expected: expected)
        #expect(stat < chiSquareQuantile(df: 19, upperTail: 1e-4), "chi-square \(stat)")
        // With replacement-like expectations (p_i p_j) the test fails: it can tell the difference.
        let naive = (0..<5).flatMap { i in (0..<5).filter { $0 != i }.map { j in p[i] * p[j] } }
        let z = naive.reduce(0, +)
        #expect(chiSquare(observed: observed, expected: naive.map { Double(draws) * $0 / z }) > chiSquareQuantile(df: 19, upperTail: 1e-4))
        #expect(b._checkInvariants() == nil)
        #expect(close(try b.storedPriority(at: 3), pow(4.0, 0.6)))  // the temporary zeroing was undone
    }

    @Test func wholeBufferAndImpossibleBatches() throws {
        let b = try numberedBuffer(capacity: 6, priorities: [1, 0, 2, 3], sampling: .seedWithoutReplacement)
        let s = try draw(b, 3)
        #expect(Set(s.indices) == [0, 2, 3])
        #expect(throws: MnemonetError.self) { _ = try draw(b, 4) }  // only 3 non-zero priorities
        #expect(throws: MnemonetError.self) { _ = try draw(b, 5) }  // more than the buffer holds
        #expect(b._checkInvariants() == nil)
        #expect(close(try b.storedPriority(at: 3), pow(3.0, 0.6)))
    }
}

// MARK: Checkpoints

@Suite struct CheckpointTests {
    func tempPath(_ name: String) -> String { NSTemporaryDirectory() + "mnemonet-replay-\(getpid())-\(name)" }

    @Test(arguments: [SamplingMode.proportionalStratified, .seedWithoutReplacement])
    func saveLoadContinuesTheSameSamples(mode: SamplingMode) throws {
        let b = try PrioritizedReplayBuffer(capacity: 50, fieldWidths: [3, 2], alpha: 0.7, eps: 0.01, sampling: mode, seed: 9)
        var g = Xoshiro256(seed: 1)
        for i in 0..<70 {
            let x = (0..<3).map { _ in Float(g.nextUnitDouble()) }, y = [Float(i), -Float(i)]
            try x.withUnsafeBufferPointer { x in try y.withUnsafeBufferPointer { y in
                try b.add(item: [x, y], priority: i % 3 == 0 ? nil : g.nextUnitDouble()) } }
        }
        b.metadata = "{\"fields\": [\"x\", \"y\"]}"
        _ = try draw2(b)
        let path = tempPath("pr-\(mode.rawValue)")
        defer { unlink(path) }
        try b.save(path: path)
        let c = try PrioritizedReplayBuffer.load(path: path)
        #expect(c.count == b.count && c.position == b.position && c.maxPriority == b.maxPriority)
        #expect(c.alpha == 0.7 && c.eps == 0.01 && c.sampling == mode && c.metadata == b.metadata)
        for _ in 0..<5 { #expect(try draw2(b) == draw2(c)) }

        // Embedding in another writer round-trips too.
        var w = BinaryWriter()
        b.save(to: &w)
        var r = BinaryReader(w.bytes)
        let d = try PrioritizedReplayBuffer(from: &r)
        #expect(r.remaining == 0)
        #expect(try draw2(b) == draw2(d))

        // Truncated and foreign files are format errors; a missing file an I/O error.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in [0, 5, 20, bytes.count / 2, bytes.count - 1] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            expectFormatError { () throws(MnemonetError) in _ = try PrioritizedReplayBuffer.load(path: path) }
        }
        var corrupt = bytes
        corrupt[corrupt.count - 3] ^= 0xFF
        try corrupt.write(to: URL(fileURLWithPath: path))
        expectFormatError { () throws(MnemonetError) in _ = try PrioritizedReplayBuffer.load(path: path) }
        if case .io? = caught({ () throws(MnemonetError) in _ = try PrioritizedReplayBuffer.load(path: path + ".missing") }) {
        } else { Issue.record("expected an I/O error") }
    }

    /// Corrupt payloads behind a valid checksum (what a crafted file could hold) must throw, never trap.
    @Test func mutatedPayloadsThrowOrLoadButNeverTrap() throws {
        let b = try numberedBuffer(capacity: 6, priorities: [1, 2, 0.5, 3], sampling: .seedWithoutReplacement)
        let r = try ReservoirReplayBuffer(capacity: 3, fieldWidths: [2], seed: 1)
        try [Float](repeating: 1, count: 10).withUnsafeBufferPointer { try r.add(batch: [$0], items: 5) }
        var wb = BinaryWriter(), wr = BinaryWriter()
        b.save(to: &wb)
        r.save(to: &wr)
        var g = Xoshiro256(seed: 99)
        var loaded = 0, rejected = 0
        // The capacity (an Int64 after the tag string and the version) is left alone: a larger capacity is a valid
        // buffer, merely slow to allocate (up to GBs of sum-tree), which would make this test take a minute.
        let capacityAt = [8 + "PrioritizedReplayBuffer".utf8.count + 4, 8 + "ReservoirReplayBuffer".utf8.count + 4]
        for (kind, (bytes, isReservoir)) in [(wb.bytes, false), (wr.bytes, true)].enumerated() {
            for trial in 0..<1500 {
                var m = bytes
                if trial % 10 == 0 {
                    m.removeLast(1 + g.nextInt(below: m.count))
                } else {
                    for _ in 0..<(1 + g.nextInt(below: 3)) {
                        var k = g.nextInt(below: m.count)
                        while (capacityAt[kind]..<(capacityAt[kind] + 8)).contains(k) { k = g.nextInt(below: m.count) }
                        m[k] = trial % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: g.next())
                    }
                }
                var reader = BinaryReader(m)
                let error = caught { () throws(MnemonetError) in
                    if isReservoir { _ = try ReservoirReplayBuffer(from: &reader) } else {
                        let c = try PrioritizedReplayBuffer(from: &reader)
                        if c.count > 0 { _ = try? draw(c, 1) }
                    }
                }
                if let error {
                    if case .format = error { rejected += 1 } else { Issue.record("unexpected \(error)") }
                } else {
                    loaded += 1
                }
            }
        }
        #expect(rejected > 1000 && loaded + rejected == 3000)
    }

    @Test func reservoirFileIsNotAPrioritizedOne() throws {
        let r = try ReservoirReplayBuffer(capacity: 3, fieldWidths: [1], seed: 1)
        let path = tempPath("kind")
        defer { unlink(path) }
        try r.save(path: path)
        expectFormatError { () throws(MnemonetError) in _ = try PrioritizedReplayBuffer.load(path: path) }
    }

    struct Drawn: Equatable { var i: [Int64]; var w: [Float]; var x: [Float]; var y: [Float] }

    func draw2(_ b: PrioritizedReplayBuffer) throws -> Drawn {
        var d = Drawn(i: .init(repeating: 0, count: 8), w: .init(repeating: 0, count: 8),
                      x: .init(repeating: 0, count: 24), y: .init(repeating: 0, count: 16))
        try d.i.withUnsafeMutableBufferPointer { i in try d.w.withUnsafeMutableBufferPointer { w in
            try d.x.withUnsafeMutableBufferPointer { x in try d.y.withUnsafeMutableBufferPointer { y in
                try b.sample(batchSize: 8, beta: 0.5, indices: i, weights: w, fields: [x, y]) } } } }
        try update(b, Array(d.i.prefix(3)), [0.3, 1.5, 0.7])
        return d
    }
}

/// The error `body` throws, or nil.
func caught(_ body: () throws(MnemonetError) -> Void) -> MnemonetError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

func expectFormatError(_ body: () throws(MnemonetError) -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    let e = caught(body)
    if case .format? = e {} else { Issue.record("expected a format error, got \(String(describing: e))", sourceLocation: sourceLocation) }
}

// MARK: Reservoir

@Suite struct ReservoirTests {
    @Test func everyStreamItemIsKeptWithEqualProbability() throws {
        let stream = 20, capacity = 5, trials = 20_000
        var counts = [Int](repeating: 0, count: stream)
        let data = (0..<stream).map(Float.init)
        for t in 0..<trials {
            let r = try ReservoirReplayBuffer(capacity: capacity, fieldWidths: [1], seed: UInt64(t))
            // Half the trials add one by one, half in one batch: both are Algorithm R.
            if t % 2 == 0 {
                for v in data { try [v].withUnsafeBufferPointer { try r.add(item: [$0]) } }
            } else {
                try data.withUnsafeBufferPointer { try r.add(batch: [$0], items: stream) }
            }
            #expect(r.count == capacity && r.seen == stream)
            for k in 0..<capacity { counts[Int(r.storage.row(k, field: 0)[0])] += 1 }
        }
        let e = Double(trials * capacity) / Double(stream)
        let stat = chiSquare(observed: counts, expected: .init(repeating: e, count: stream))
        #expect(stat < chiSquareQuantile(df: stream - 1, upperTail: 1e-4), "chi-square \(stat)")
    }

    @Test func uniformSamplingAndCheckpoint() throws {
        let r = try ReservoirReplayBuffer(capacity: 8, fieldWidths: [2], seed: 4)
        #expect(throws: MnemonetError.self) {
            var i = [Int64](repeating: 0, count: 1), f = [Float](repeating: 0, count: 2)
            try i.withUnsafeMutableBufferPointer { i in try f.withUnsafeMutableBufferPointer { try r.sample(batchSize: 1, indices: i, fields: [$0]) } }
        }
        let data = (0..<40).map(Float.init)
        try data.withUnsafeBufferPointer { try r.add(batch: [$0], items: 20) }
        var counts = [Int](repeating: 0, count: 8)
        var idx = [Int64](repeating: 0, count: 64), out = [Float](repeating: 0, count: 128)
        for _ in 0..<1000 {
            try idx.withUnsafeMutableBufferPointer { i in try out.withUnsafeMutableBufferPointer { try r.sample(batchSize: 64, indices: i, fields: [$0]) } }
            for (j, i) in idx.enumerated() {
                counts[Int(i)] += 1
                #expect(out[2 * j] == r.storage.row(Int(i), field: 0)[0])
            }
        }
        let stat = chiSquare(observed: counts, expected: .init(repeating: 8000, count: 8))
        #expect(stat < chiSquareQuantile(df: 7, upperTail: 1e-4))
        var w = BinaryWriter()
        r.save(to: &w)
        var rd = BinaryReader(w.bytes)
        let s = try ReservoirReplayBuffer(from: &rd)
        #expect(s.seen == 20 && s.count == 8)
        try data.withUnsafeBufferPointer { try r.add(batch: [$0], items: 20) }
        try data.withUnsafeBufferPointer { try s.add(batch: [$0], items: 20) }
        #expect((0..<8).map { Array(r.storage.row($0, field: 0)) } == (0..<8).map { Array(s.storage.row($0, field: 0)) })
        try s.add(item: [[7, 8]])
        let batch = try s.sample(batchSize: 5)
        #expect(batch.indices.count == 5 && batch.weights == [1, 1, 1, 1, 1] && batch.fields[0].count == 10)
        for (j, i) in batch.indices.enumerated() { #expect(batch.fields[0][2 * j] == s.storage.row(Int(i), field: 0)[0]) }
    }
}
