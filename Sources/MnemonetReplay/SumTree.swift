#if canImport(Glibc)
import Glibc
#endif
import MnemonetBase

/// A sum-tree with a parallel min-tree over `capacity` non-negative leaf values (Schaul et al. 2016, Appendix B.2.1).
///
/// Layout: one flat array per tree with a power-of-two number of leaves `L ≥ capacity`; node `1` is the root, node
/// `i` has children `2i` and `2i + 1`, leaf `k` is node `L + k`. Every internal node is *recomputed* from its two
/// children (`s_i = s_{2i} + s_{2i+1}`, `m_i = min(m_{2i}, m_{2i+1})`), never adjusted by a delta, so sums do not
/// drift and restoring a leaf's old value restores the tree bit for bit.
///
/// Precision: sums are `Double` (53-bit mantissa). With 1M leaves the relative rounding error of the root is
/// ~1e-16 · log2(L), far below what a sampling test can detect, so no periodic rebuild is needed (a `Float` tree
/// would need one).
///
/// Empty leaves hold `0` in the sum-tree and `+∞` in the min-tree, so `minimum` is the smallest value among the
/// leaves that were set. The min-tree stores each value `v ∈ [0, +∞]` as the key `bits(+∞) − bits(v)` (an
/// order-reversing map of non-negative doubles, so the minimum of the values is the maximum of the keys) and `+∞` as
/// key 0: both trees of a new tree are all-zero bytes, which fresh pages already are, so creating a large tree touches
/// no memory and a mostly empty one costs address space, not RAM.
///
/// Complexity: `update` O(log L); `prefixSearch` O(log L); the batch forms process a whole batch level by level so
/// that the independent memory accesses of different descents overlap.
public final class SumTree {
    /// Number of usable leaves.
    public let capacity: Int
    /// `L`: the number of leaves of the complete tree (a power of two ≥ `capacity`).
    public let leafCount: Int
    @usableFromInline let sums: UnsafeMutablePointer<Double>
    /// The min-tree as keys (see `minKey`): a max-tree of `UInt64`.
    @usableFromInline let mins: UnsafeMutablePointer<UInt64>
    /// Scratch node indices for the batch operations.
    var scratch: [Int] = []

    /// A tree of `capacity` empty leaves. `capacity` must be in `1...2^40`.
    public init(capacity: Int) throws(MnemonetError) {
        try require(capacity >= 1, "sum-tree capacity must be at least 1, got \(capacity)")
        try ReplayStorage.checkFits(capacity: capacity, bytesPerItem: 64, what: "a sum-tree")
        self.capacity = capacity
        var l = 1
        while l < capacity { l <<= 1 }
        leafCount = l
        guard let s = LargeAllocation.allocate(bytes: 2 * l * 8) else {
            throw .invalidArgument("cannot allocate a sum-tree of \(capacity) leaves")
        }
        guard let m = LargeAllocation.allocate(bytes: 2 * l * 8) else {
            LargeAllocation.release(s, bytes: 2 * l * 8)
            throw .invalidArgument("cannot allocate a min-tree of \(capacity) leaves")
        }
        // Zero bytes: sums 0.0, min keys 0 (= +∞).
        sums = s.bindMemory(to: Double.self, capacity: 2 * l)
        mins = m.bindMemory(to: UInt64.self, capacity: 2 * l)
    }

    deinit {
        LargeAllocation.release(UnsafeMutableRawPointer(sums), bytes: 2 * leafCount * 8)
        LargeAllocation.release(UnsafeMutableRawPointer(mins), bytes: 2 * leafCount * 8)
    }

    /// The min-tree key of `v ≥ 0`: `bits(+∞) − bits(|v|)`, so `v < w ⇔ key(v) > key(w)` and `key(+∞) = 0`.
    @inlinable @inline(__always)
    static func minKey(_ v: Double) -> UInt64 {
        0x7FF0_0000_0000_0000 &- (v.bitPattern & 0x7FFF_FFFF_FFFF_FFFF)
    }

    /// The value of a min-tree key.
    @inlinable @inline(__always)
    static func minValue(_ key: UInt64) -> Double { Double(bitPattern: 0x7FF0_0000_0000_0000 &- key) }

    /// `Σ_k v_k`, the root of the sum-tree.
    @inlinable public var total: Double { sums[1] }

    /// `min_k v_k` over the leaves that were set (`+∞` when none was).
    @inlinable public var minimum: Double { SumTree.minValue(mins[1]) }

    /// The value of leaf `k` (0 for an empty leaf). `k` must be in `0..<capacity`.
    @inlinable public subscript(leaf k: Int) -> Double { sums[leafCount + k] }

    /// Sets leaf `k` to `value` (≥ 0, finite) and recomputes its ancestors. O(log L).
    @inlinable
    public func update(leaf k: Int, to value: Double) {
        var node = leafCount + k
        sums[node] = value
        mins[node] = SumTree.minKey(value)
        node >>= 1
        while node >= 1 {
            sums[node] = sums[2 * node] + sums[2 * node + 1]
            mins[node] = Swift.max(mins[2 * node], mins[2 * node + 1])
            node >>= 1
        }
    }

    /// Makes leaf `k` empty again (sum 0, min +∞) and recomputes its ancestors: undoes the first `update` of a leaf
    /// bit for bit. O(log L).
    public func clear(leaf k: Int) {
        update(leaf: k, to: 0)
        var node = leafCount + k
        mins[node] = 0
        node >>= 1
        while node >= 1 {
            mins[node] = Swift.max(mins[2 * node], mins[2 * node + 1])
            node >>= 1
        }
    }

    /// Sets leaf `leaves[j]` to `values[j]` for every `j` (later entries win for repeated leaves), then recomputes
    /// the ancestors level by level: all leaves are at the same depth, so one pass per level covers the batch and the
    /// loads of different paths overlap in memory. O(n log L).
    public func update(leaves: UnsafeBufferPointer<Int>, values: UnsafeBufferPointer<Double>) {
        let n = leaves.count
        if n == 0 { return }
        if scratch.count < n { scratch = [Int](repeating: 0, count: n) }
        let leafCount = self.leafCount, sums = self.sums, mins = self.mins
        scratch.withUnsafeMutableBufferPointer { nodes in
            for j in 0..<n {
                let node = leafCount + leaves[j]
                sums[node] = values[j]
                mins[node] = SumTree.minKey(values[j])
                nodes[j] = node >> 1
            }
            while nodes[0] >= 1 {
                for j in 0..<n {
                    let node = nodes[j]
                    sums[node] = sums[2 * node] + sums[2 * node + 1]
                    mins[node] = Swift.max(mins[2 * node], mins[2 * node + 1])
                    nodes[j] = node >> 1
                }
            }
        }
    }

    /// Sets the contiguous leaves `start..<start + values.count` and recomputes the ancestors range by range.
    /// O(n + log L).
    public func update(leavesFrom start: Int, values: UnsafeBufferPointer<Double>) {
        if values.isEmpty { return }
        let lo = leafCount + start
        for j in 0..<values.count {
            sums[lo + j] = values[j]
            mins[lo + j] = SumTree.minKey(values[j])
        }
        recomputeAncestors(lo: lo, hi: lo + values.count - 1)
    }

    /// Sets the contiguous leaves `start..<start + count` to the same `value`. O(n + log L).
    public func update(leavesFrom start: Int, count: Int, value: Double) {
        if count == 0 { return }
        let lo = leafCount + start
        for node in lo..<(lo + count) {
            sums[node] = value
            mins[node] = SumTree.minKey(value)
        }
        recomputeAncestors(lo: lo, hi: lo + count - 1)
    }

    func recomputeAncestors(lo: Int, hi: Int) {
        var lo = lo, hi = hi
        while lo > 1 {
            lo >>= 1
            hi >>= 1
            for node in lo...hi {
                sums[node] = sums[2 * node] + sums[2 * node + 1]
                mins[node] = Swift.max(mins[2 * node], mins[2 * node + 1])
            }
        }
    }

    /// The leaf `k` with `Σ_{i<k} v_i ≤ u < Σ_{i≤k} v_i` (prefix-sum inversion).
    ///
    /// Requires `total > 0`. Rounding can never select a zero-valued leaf: the descent only enters a subtree whose
    /// sum is positive (it goes right only when the right sum is > 0, and left otherwise), so `u ≥ total` selects the
    /// last positive leaf.
    @inlinable
    public func prefixSearch(_ u: Double) -> Int {
        var u = u
        var node = 1
        while node < leafCount {
            let left = sums[2 * node]
            let right = Int(truncatingIfNeeded: (u >= left ? 1 : 0) & (sums[2 * node + 1] > 0 ? 1 : 0))
            u -= left * Double(right)  // branch-free: the direction is a coin flip, a branch would mispredict
            node = 2 * node + right
        }
        return node - leafCount
    }

    /// `prefixSearch` for a whole batch, processed level by level (the descents are independent, so their cache
    /// misses overlap instead of being paid one after another). `prefixes` is overwritten (it holds the residuals).
    public func prefixSearch(_ prefixes: UnsafeMutableBufferPointer<Double>, into leaves: UnsafeMutableBufferPointer<Int>) {
        let n = prefixes.count
        for j in 0..<n { leaves[j] = 1 }
        var level = leafCount
        while level > 1 {
            for j in 0..<n {
                let node = leaves[j]
                let left = sums[2 * node]
                let u = prefixes[j]
                let right = Int(truncatingIfNeeded: (u >= left ? 1 : 0) & (sums[2 * node + 1] > 0 ? 1 : 0))
                prefixes[j] = u - left * Double(right)
                leaves[j] = 2 * node + right
            }
            level >>= 1
        }
        for j in 0..<n { leaves[j] -= leafCount }
    }

    /// Checks every internal node against its children and every leaf beyond `capacity` for emptiness.
    /// Returns a description of the first violation, or `nil`. O(L). Tests call it; debug builds assert it.
    public func _checkInvariants() -> String? {
        for k in capacity..<leafCount where sums[leafCount + k] != 0 || mins[leafCount + k] != 0 {
            return "leaf \(k) beyond capacity \(capacity) is not empty"
        }
        for k in 0..<capacity {
            let v = sums[leafCount + k]
            if !(v >= 0) || !v.isFinite { return "leaf \(k) holds \(v)" }
            let m = SumTree.minValue(mins[leafCount + k])
            if m != v && !(m == .infinity && v == 0) { return "leaf \(k): min-tree \(m) differs from sum-tree \(v)" }
        }
        var node = leafCount - 1
        while node >= 1 {
            let s = sums[2 * node] + sums[2 * node + 1]
            if sums[node] != s { return "node \(node): sum \(sums[node]) != children's \(s)" }
            let m = Swift.max(mins[2 * node], mins[2 * node + 1])
            if mins[node] != m {
                return "node \(node): min \(SumTree.minValue(mins[node])) != children's \(SumTree.minValue(m))"
            }
            node -= 1
        }
        return nil
    }
}
