/// The items of a replay buffer ordered by priority, for rank-based prioritization (Schaul et al. 2016, §3.3:
/// `P(i) = rank(i)^−α / Σ_k k^−α`): an order-statistic treap whose node `k` is slot `k`.
///
/// Order: item `a` comes before item `b` (a smaller rank) iff `p_a > p_b`, or `p_a == p_b` and `a < b` — the
/// order of NumPy's `np.lexsort((slots, -priorities))`. Rank 0 is the highest priority.
///
/// The treap's heap keys are a fixed hash of the slot, so its shape depends only on the stored keys (a checkpoint
/// restores it exactly by re-inserting them, and no random state is consumed).
///
/// Complexity: `insert`, `remove`, `slot(atRank:)` O(log N) expected.
public final class RankIndex {
    /// Slots the index can hold (`0..<capacity`).
    public let capacity: Int
    var key: [Double]
    var left: [Int32]
    var right: [Int32]
    var size: [Int32]
    let heap: [UInt64]
    var root: Int32 = -1
    var present: [Bool]

    /// An empty index over slots `0..<capacity`.
    public init(capacity: Int) {
        self.capacity = capacity
        key = [Double](repeating: 0, count: capacity)
        left = [Int32](repeating: -1, count: capacity)
        right = [Int32](repeating: -1, count: capacity)
        size = [Int32](repeating: 0, count: capacity)
        present = [Bool](repeating: false, count: capacity)
        heap = (0..<capacity).map { RankIndex.mix(UInt64($0)) }
    }

    /// Number of slots in the index.
    public var count: Int { root < 0 ? 0 : Int(size[Int(root)]) }

    /// splitmix64's finaliser: a fixed pseudo-random heap key per slot.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `a` comes before `b` in rank order.
    @inline(__always)
    func before(_ a: Int, _ b: Int) -> Bool { key[a] > key[b] || (key[a] == key[b] && a < b) }

    @inline(__always)
    func sz(_ t: Int32) -> Int32 { t < 0 ? 0 : size[Int(t)] }

    @inline(__always)
    func fix(_ t: Int32) { size[Int(t)] = 1 + sz(left[Int(t)]) + sz(right[Int(t)]) }

    /// Splits `t` into (items before `pivot`, the others).
    func split(_ t: Int32, _ pivot: Int) -> (Int32, Int32) {
        if t < 0 { return (-1, -1) }
        let n = Int(t)
        if before(n, pivot) {
            let (l, r) = split(right[n], pivot)
            right[n] = l
            fix(t)
            return (t, r)
        } else {
            let (l, r) = split(left[n], pivot)
            left[n] = r
            fix(t)
            return (l, t)
        }
    }

    /// Joins `a` and `b` (every item of `a` before every item of `b`).
    func merge(_ a: Int32, _ b: Int32) -> Int32 {
        if a < 0 { return b }
        if b < 0 { return a }
        if heap[Int(a)] > heap[Int(b)] {
            right[Int(a)] = merge(right[Int(a)], b)
            fix(a)
            return a
        } else {
            left[Int(b)] = merge(a, left[Int(b)])
            fix(b)
            return b
        }
    }

    /// Removes the first item of `t`.
    func dropFirst(_ t: Int32) -> Int32 {
        let n = Int(t)
        if left[n] < 0 { return right[n] }
        left[n] = dropFirst(left[n])
        fix(t)
        return t
    }

    /// Sets slot `slot`'s priority to `priority` (inserting it, or moving it when present).
    public func set(slot: Int, priority: Double) {
        if present[slot] { remove(slot: slot) }
        key[slot] = priority
        left[slot] = -1
        right[slot] = -1
        size[slot] = 1
        present[slot] = true
        let (l, r) = split(root, slot)
        root = merge(merge(l, Int32(slot)), r)
    }

    /// Removes slot `slot` (which must be present).
    public func remove(slot: Int) {
        let (l, r) = split(root, slot)  // r starts with `slot`
        root = merge(l, dropFirst(r))
        present[slot] = false
    }

    /// The slot of rank `rank` (0-based, `0..<count`).
    public func slot(atRank rank: Int) -> Int {
        var t = root
        var k = Int32(rank)
        while true {
            let n = Int(t)
            let l = sz(left[n])
            if k < l {
                t = left[n]
            } else if k == l {
                return n
            } else {
                k -= l + 1
                t = right[n]
            }
        }
    }

    /// The slots in rank order (O(N); tests and invariant checks).
    public func ordered() -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        var stack: [Int32] = []
        var t = root
        while t >= 0 || !stack.isEmpty {
            while t >= 0 {
                stack.append(t)
                t = left[Int(t)]
            }
            let n = stack.removeLast()
            out.append(Int(n))
            t = right[Int(n)]
        }
        return out
    }
}
