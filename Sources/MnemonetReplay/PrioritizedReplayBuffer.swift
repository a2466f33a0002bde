#if canImport(Glibc)
import Glibc
#endif
import MnemonetBase

/// How `PrioritizedReplayBuffer` turns priorities into a sampled batch. Both modes share the same sum-tree.
public enum SamplingMode: Int32, Sendable, CustomStringConvertible {
    /// Schaul et al. 2016, proportional variant: leaf `p_i^α` with `p_i = priority + ε`; the batch is drawn with
    /// replacement, one draw in each of `B` equal-mass segments of `[0, Σ_k p_k^α)` (stratified); importance weights
    /// `w_i = (N·P(i))^−β / max_k (N·P(k))^−β`, the maximum taken over the whole buffer (the smallest `P(k)`).
    case proportionalStratified = 0
    /// The seed tutorial's `ExperienceReplay`: leaf `priority^α` with the priority exactly as given (no ε);
    /// the batch is drawn *without* replacement (successive draws proportional to the remaining mass, the
    /// distribution of `np.random.choice(N, B, p=P, replace=False)`); `w_i = (N·P(i))^−β` normalised by the largest
    /// weight *in the batch*. `B` may not exceed the number of items with a non-zero priority.
    case seedWithoutReplacement = 1
    /// Schaul et al. 2016, rank-based variant: `P(i) = rank(i)^−α / Σ_{k=1..N} k^−α`, `rank(i)` the 1-based position
    /// of item `i` in order of decreasing priority (ties: the smaller index first; `RankIndex`). The batch is drawn
    /// with replacement, one draw in each of `B` equal-mass segments of the rank distribution (the paper's
    /// stratification, computed exactly); `w_i = (N·P(i))^−β / max_k (N·P(k))^−β = (rank(i)/N)^{αβ}`. Priorities are
    /// used as given (no ε: only their order matters).
    case rankBased = 2

    /// The case's name.
    public var description: String {
        switch self {
        case .proportionalStratified: return "proportionalStratified"
        case .seedWithoutReplacement: return "seedWithoutReplacement"
        case .rankBased: return "rankBased"
        }
    }
}

/// Prioritized experience replay over a ring buffer of typed items (Schaul, Quan, Antonoglou & Silver 2016).
///
/// Items are `F` fields of fixed widths and element types (`fieldWidths`, `fieldTypes`, e.g. `[64, 64]` float32
/// for `(x, y)`). Item `i` is sampled with probability `P(i) = p_i^α / Σ_k p_k^α` (proportional; the `p_i^α` live in
/// a `SumTree` with a min-tree for the largest importance weight) or by rank (`.rankBased`; the sum-tree's leaves then
/// hold the priorities themselves and a `RankIndex` orders them). When full, a new item overwrites the oldest one.
///
/// New items get the largest priority seen so far (`maxPriority`, 1 at the start) unless one is given; in
/// `.seedWithoutReplacement` mode the default is the seed's `priority=1.0`.
///
/// Not thread-safe: callers serialise calls (the Python extension holds a lock per buffer).
///
/// Complexity: `add` O(n + log N) for a batch of n consecutive slots; `sample` O(B log N); `updatePriorities`
/// O(n log N).
public final class PrioritizedReplayBuffer {
    /// Maximum number of items.
    public var capacity: Int { storage.capacity }
    /// Values per item of each field.
    public var fieldWidths: [Int] { storage.fieldWidths }
    /// Element type of each field.
    public var fieldTypes: [ReplayElementType] { storage.fieldTypes }
    /// `α`: how much prioritisation is used (0 = uniform).
    public let alpha: Double
    /// `ε`: added to every priority in `.proportionalStratified` mode so that no item has probability 0.
    public let eps: Double
    /// The sampling semantics.
    public let sampling: SamplingMode
    /// Number of items stored (`N`), at most `capacity`.
    public internal(set) var count: Int = 0
    /// The slot the next item goes to (the oldest item's slot once full).
    public internal(set) var position: Int = 0
    /// The largest priority seen so far (after adding ε in proportional mode); 1 before any.
    public internal(set) var maxPriority: Double = 1
    /// Free-form text saved with the buffer (the Python wrapper stores its field names and shapes here).
    public var metadata: String = ""
    /// The items.
    public let storage: ReplayStorage
    /// The leaves `p_i^α` (`.rankBased`: `p_i`).
    public let tree: SumTree
    /// The rank order of the items (`.rankBased` only).
    public let ranks: RankIndex?
    /// `S_r = Σ_{k=1..r} k^−α` for `r = 1...` (`rankCDF[r−1]`), extended as the buffer grows (`.rankBased` only).
    var rankCDF: [Double] = []
    var rng: Xoshiro256
    // Scratch space reused across calls (no allocation on the hot path once warmed up).
    var prefixes: [Double] = []
    var slots: [Int] = []
    var values: [Double] = []

    /// A buffer of `capacity` items whose fields hold `fieldWidths` elements of `fieldTypes` each (`nil`: float32).
    ///
    /// - Parameters:
    ///   - alpha: `α ≥ 0`, finite.
    ///   - eps: `ε ≥ 0`, finite (ignored by `.seedWithoutReplacement`).
    ///   - seed: seeds the sampler; `nil` draws a seed from the system.
    public init(capacity: Int, fieldWidths: [Int], fieldTypes: [ReplayElementType]? = nil, alpha: Double = 0.6,
                eps: Double = 1e-6, sampling: SamplingMode = .proportionalStratified,
                seed: UInt64? = nil) throws(MnemonetError) {
        try require(alpha.isFinite && alpha >= 0, "alpha must be finite and >= 0, got \(alpha)")
        try require(eps.isFinite && eps >= 0, "eps must be finite and >= 0, got \(eps)")
        storage = try ReplayStorage(capacity: capacity, fieldWidths: fieldWidths, fieldTypes: fieldTypes)
        tree = try SumTree(capacity: capacity)
        if sampling == .rankBased {
            try require(capacity <= Int(Int32.max), "a rank-based buffer holds at most 2^31 - 1 items, got capacity \(capacity)")
            ranks = RankIndex(capacity: capacity)
        } else {
            ranks = nil
        }
        self.alpha = alpha
        self.eps = eps
        self.sampling = sampling
        rng = seed.map { Xoshiro256(seed: $0) } ?? Xoshiro256()
    }

    /// The stored leaf `p_i^α` of item `index` (in `0..<count`).
    public func storedPriority(at index: Int) throws(MnemonetError) -> Double {
        guard index >= 0 && index < count else {
            throw .indexOutOfRange("index \(index) is out of range for a buffer of \(count) item(s)")
        }
        return tree[leaf: index]
    }

    // MARK: Priorities

    /// Checks a user priority: finite, ≥ 0, and with `priority + ε > 0` in proportional mode.
    @inline(__always)
    func validate(priority p: Double, _ what: @autoclosure () -> String) throws(MnemonetError) {
        guard p.isFinite && p >= 0 else {
            throw .invalidArgument("\(what()) must be finite and >= 0, got \(p)")
        }
        if sampling == .proportionalStratified && p + eps <= 0 {
            throw .invalidArgument("\(what()) is 0 and eps is 0: the item could never be sampled (use eps > 0)")
        }
    }

    /// The priority that `maxPriority` tracks: `priority + ε` (proportional) or `priority` (seed).
    @inline(__always)
    func effective(_ p: Double) -> Double { sampling == .proportionalStratified ? p + eps : p }

    /// The leaf value of an effective priority: `p^α` (`.rankBased`: `p`).
    @inline(__always)
    func leaf(_ effectivePriority: Double) -> Double {
        sampling == .rankBased ? effectivePriority : PriorityExponent.power(effectivePriority, alpha)
    }

    /// The leaf value of an item added without a priority.
    var defaultLeaf: Double { sampling == .seedWithoutReplacement ? 1 : leaf(maxPriority) }

    /// Sets leaf `slot` (and its rank in `.rankBased` mode).
    @inline(__always)
    func setLeaf(_ slot: Int, _ value: Double) {
        tree.update(leaf: slot, to: value)
        ranks?.set(slot: slot, priority: value)
    }

    // MARK: Adding

    /// Adds one item (`fields[f].count == fieldWidths[f]`) with `priority` (`nil`: the default, see the type's doc).
    public func add(item fields: [UnsafeRawBufferPointer], priority: Double?) throws(MnemonetError) {
        try storage.validate(fields, items: 1, "add")
        let value: Double
        if let p = priority {
            try validate(priority: p, "priority")
            value = leaf(effective(p))
            guard value <= .greatestFiniteMagnitude else {
                throw .invalidArgument("priority \(p) overflows: priority^alpha is infinite")
            }
            try requireFiniteTotal(adding: value, "priority")
            maxPriority = Swift.max(maxPriority, effective(p))
        } else {
            value = defaultLeaf
            try requireFiniteTotal(adding: value, "the default priority")
        }
        storage.write(item: fields, toSlot: position)
        setLeaf(position, value)
        advance(by: 1)
        debugCheck()
    }

    /// Adds `items` items at once (`fields[f].count == items · fieldWidths[f]`, item-major), with one priority each
    /// (`priorities.count == items`) or the default priority (`nil`). Equivalent to adding them one by one; when
    /// `items > capacity` only the last `capacity` are kept. Nothing changes if any argument is invalid.
    public func add(batch fields: [UnsafeRawBufferPointer], items: Int,
                    priorities: UnsafeBufferPointer<Double>?) throws(MnemonetError) {
        try require(items >= 0, "add: item count must be >= 0, got \(items)")
        try storage.validate(fields, items: items, "add")
        if let priorities {
            try require(priorities.count == items,
                        "add: expected \(items) priorities (one per item), got \(priorities.count)")
        }
        if items == 0 { return }
        let cap = capacity
        // Items that would be overwritten within this very batch are skipped (but their priorities count for
        // `maxPriority`, as if they had been added one by one).
        let skip = Swift.max(0, items - cap)
        var newMax = maxPriority
        if let priorities {
            newMax = try computeLeaves(priorities, "priority")  // validates everything before any change
        } else {
            try requireFiniteTotal(adding: defaultLeaf * Double(Swift.min(items, cap)), "the default priority")
        }
        maxPriority = newMax
        if skip > 0 { advance(by: skip) }
        var done = skip
        while done < items {
            let chunk = Swift.min(items - done, cap - position)
            storage.write(fields, sourceStart: done, count: chunk, toSlot: position)
            if priorities != nil {
                values.withUnsafeBufferPointer { v in
                    tree.update(leavesFrom: position, values: UnsafeBufferPointer(rebasing: v[done..<(done + chunk)]))
                }
            } else {
                tree.update(leavesFrom: position, count: chunk, value: defaultLeaf)
            }
            if let ranks {
                for k in 0..<chunk { ranks.set(slot: position + k, priority: tree[leaf: position + k]) }
            }
            advance(by: chunk)
            done += chunk
        }
        debugCheck()
    }

    /// Validates `priorities` and writes their leaves `effective(p)^α` into `values[0..<n]`; returns the new
    /// `maxPriority`. Throws (changing nothing else) on the first invalid priority.
    func computeLeaves(_ priorities: UnsafeBufferPointer<Double>, _ what: String) throws(MnemonetError) -> Double {
        let n = priorities.count
        if values.count < n { values = [Double](repeating: 0, count: Swift.max(n, 2 * values.count)) }
        let shift = sampling == .proportionalStratified ? eps : 0
        let needPositive = sampling == .proportionalStratified
        var newMax = maxPriority
        let applyAlpha = sampling != .rankBased
        var valid = true
        values.withUnsafeMutableBufferPointer { v in
            for j in 0..<n {
                let p = priorities[j]
                let e = p + shift
                // One combined test; NaN fails every comparison.
                valid = valid && p >= 0 && p <= .greatestFiniteMagnitude && (!needPositive || e > 0)
                v[j] = e
                newMax = Swift.max(newMax, e)
            }
        }
        if !valid {
            for j in 0..<n { try validate(priority: priorities[j], "\(what)[\(j)]") }
        }
        var finite = true
        var sum = 0.0
        values.withUnsafeMutableBufferPointer { v in
            if applyAlpha { PriorityExponent.apply(UnsafeMutableBufferPointer(rebasing: v[0..<n]), alpha: alpha) }
            for j in 0..<n {
                finite = finite && v[j] <= .greatestFiniteMagnitude
                sum += v[j]
            }
        }
        if !finite {
            for j in 0..<n where !(values[j] <= .greatestFiniteMagnitude) {
                throw .invalidArgument("\(what)[\(j)] = \(priorities[j]) overflows: priority^alpha is infinite")
            }
        }
        try requireFiniteTotal(adding: sum, what)
        return newMax
    }

    /// Throws unless the sum-tree's total stays finite after adding leaves summing to `sum` (a conservative bound:
    /// the leaves they replace are not subtracted). An infinite total would make every later `sample` fail.
    func requireFiniteTotal(adding sum: Double, _ what: @autoclosure () -> String) throws(MnemonetError) {
        guard (tree.total + sum).isFinite else {
            throw .invalidArgument("\(what()): the priorities would sum to \(tree.total + sum) (alpha = \(alpha)); the "
                                   + "sum of priority^alpha over the buffer must stay below \(Double.greatestFiniteMagnitude)")
        }
    }

    func advance(by n: Int) {
        position = (position + n) % capacity
        count = Swift.min(count + n, capacity)
    }

    // MARK: Priorities update

    /// Sets the priority of item `indices[j]` to `priorities[j]` (repeated indices: the last one wins).
    /// Indices must be in `0..<count`; nothing changes if any argument is invalid. O(n log N).
    public func updatePriorities(indices: UnsafeBufferPointer<Int64>,
                                 priorities: UnsafeBufferPointer<Double>) throws(MnemonetError) {
        let n = indices.count
        try require(priorities.count == n,
                    "update_priorities: got \(n) indices but \(priorities.count) priorities")
        if n == 0 { return }
        if slots.count < n { slots = [Int](repeating: 0, count: Swift.max(n, 2 * slots.count)) }
        let limit = Int64(count)
        var inRange = true
        slots.withUnsafeMutableBufferPointer { s in
            for j in 0..<n {
                let i = indices[j]
                inRange = inRange && i >= 0 && i < limit
                s[j] = Int(truncatingIfNeeded: i)
            }
        }
        if !inRange {
            for j in 0..<n where !(indices[j] >= 0 && indices[j] < limit) {
                throw .indexOutOfRange(
                    "update_priorities: indices[\(j)] = \(indices[j]) is out of range for a buffer of \(count) item(s)")
            }
        }
        let newMax = try computeLeaves(priorities, "priorities")
        maxPriority = newMax
        slots.withUnsafeBufferPointer { s in
            values.withUnsafeBufferPointer { v in
                tree.update(leaves: UnsafeBufferPointer(rebasing: s[0..<n]), values: UnsafeBufferPointer(rebasing: v[0..<n]))
                if let ranks { for j in 0..<n { ranks.set(slot: s[j], priority: v[j]) } }
            }
        }
        debugCheck()
    }

    // MARK: Sampling

    /// Draws a batch of `batchSize` items into caller-provided buffers (nothing is allocated once warmed up):
    /// `indices[j]` (the item's index, for `updatePriorities`), `weights[j]` (importance weight `w_j`, max 1) and
    /// `fields[f][j·width_f ..< (j+1)·width_f]`.
    ///
    /// Throws `.invalidState` on an empty buffer (or when every priority is 0), `.invalidArgument` for
    /// `batchSize < 1`, a `beta` that is not finite and ≥ 0, wrong buffer sizes, or (seed mode) more items than
    /// have a non-zero priority.
    public func sample(batchSize: Int, beta: Double, indices: UnsafeMutableBufferPointer<Int64>,
                       weights: UnsafeMutableBufferPointer<Float>,
                       fields: [UnsafeMutableRawBufferPointer]) throws(MnemonetError) {
        try require(batchSize >= 1, "sample: batch_size must be >= 1, got \(batchSize)")
        try require(beta.isFinite && beta >= 0, "sample: beta must be finite and >= 0, got \(beta)")
        try require(indices.count == batchSize, "sample: indices buffer must hold \(batchSize) values, got \(indices.count)")
        try require(weights.count == batchSize, "sample: weights buffer must hold \(batchSize) values, got \(weights.count)")
        try storage.validate(fields, items: batchSize, "sample")
        guard count > 0 else { throw .invalidState("cannot sample from an empty replay buffer (add items first)") }
        let total = tree.total
        guard sampling == .rankBased || (total > 0 && total.isFinite) else {
            throw .invalidState("cannot sample: the sum of priorities^alpha is \(total)")
        }
        if slots.count < batchSize { slots = [Int](repeating: 0, count: batchSize) }
        if prefixes.count < batchSize { prefixes = [Double](repeating: 0, count: batchSize) }
        switch sampling {
        case .proportionalStratified:
            sampleStratified(batchSize, beta, total, weights)
        case .rankBased:
            sampleByRank(batchSize, beta, weights)
        case .seedWithoutReplacement:
            try require(batchSize <= count,
                        "sample: batch_size \(batchSize) is larger than the buffer (\(count) item(s)); sampling is without replacement")
            try sampleWithoutReplacement(batchSize, beta, total, weights)
        }
        slots.withUnsafeBufferPointer { s in
            let s = UnsafeBufferPointer(rebasing: s[0..<batchSize])
            for j in 0..<batchSize { indices[j] = Int64(s[j]) }
            storage.gather(slots: s, into: fields)
        }
    }

    /// Stratified proportional draws: `u_j = (j + U_j) · Σ/B`, `U_j ~ U[0, 1)`; `w_j = (p_j^α / min_k p_k^α)^−β`,
    /// which equals `(N·P(j))^−β / (N·P_min)^−β`.
    func sampleStratified(_ b: Int, _ beta: Double, _ total: Double, _ weights: UnsafeMutableBufferPointer<Float>) {
        let segment = total / Double(b)
        let minLeaf = tree.minimum
        let last = count - 1
        let negBeta = Float(-beta)
        prefixes.withUnsafeMutableBufferPointer { u in
            slots.withUnsafeMutableBufferPointer { s in
                for j in 0..<b { u[j] = (Double(j) + rng.nextUnitDouble()) * segment }
                let s = UnsafeMutableBufferPointer(rebasing: s[0..<b])
                tree.prefixSearch(UnsafeMutableBufferPointer(rebasing: u[0..<b]), into: s)
                for j in 0..<b {
                    let k = Swift.min(s[j], last)  // never needed (empty leaves are never selected); cheap insurance
                    s[j] = k
                    // float32 power: the weights are float32 anyway (relative error ~1e-7), at half the cost.
                    let ratio = Float(tree[leaf: k] / minLeaf)
                    weights[j] = beta == 0 ? 1 : powf(ratio, negBeta)
                }
            }
        }
    }

    /// Stratified draws over ranks: `u_j = (j + U_j) · S_N/B`, rank `r_j` the smallest `r` with `S_r > u_j`
    /// (`S_r = Σ_{k≤r} k^−α`), item `ranks.slot(atRank: r_j − 1)`; `w_j = (r_j/N)^{αβ}`.
    func sampleByRank(_ b: Int, _ beta: Double, _ weights: UnsafeMutableBufferPointer<Float>) {
        let n = count
        if rankCDF.count < n {
            var s = rankCDF.last ?? 0
            rankCDF.reserveCapacity(capacity)
            for r in (rankCDF.count + 1)...n {
                s += PriorityExponent.power(Double(r), -alpha)
                rankCDF.append(s)
            }
        }
        let segment = rankCDF[n - 1] / Double(b)
        let exponent = alpha * beta
        rankCDF.withUnsafeBufferPointer { cdf in
            for j in 0..<b {
                let u = (Double(j) + rng.nextUnitDouble()) * segment
                var lo = 0, hi = n - 1  // smallest r (0-based) with cdf[r] > u
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if cdf[mid] > u { hi = mid } else { lo = mid + 1 }
                }
                slots[j] = ranks!.slot(atRank: lo)
                weights[j] = exponent == 0 ? 1 : Float(pow(Double(lo + 1) / Double(n), exponent))
            }
        }
    }

    /// Successive draws proportional to the remaining mass: draw, zero the drawn leaf, repeat; then restore the
    /// leaves (recomputation makes the tree bit-identical to before). Weights use the probabilities *before* the
    /// draws, like the seed: `w_j = (N · p_j^α/Σ)^−β / max_batch`.
    func sampleWithoutReplacement(_ b: Int, _ beta: Double, _ total: Double,
                                  _ weights: UnsafeMutableBufferPointer<Float>) throws(MnemonetError) {
        if values.count < b { values = [Double](repeating: 0, count: b) }
        var drawn = 0
        var exhausted = false
        while drawn < b {
            let remaining = tree.total
            if !(remaining > 0) {
                exhausted = true
                break
            }
            let k = tree.prefixSearch(rng.nextUnitDouble() * remaining)
            slots[drawn] = k
            values[drawn] = tree[leaf: k]
            tree.update(leaf: k, to: 0)
            drawn += 1
        }
        for j in stride(from: drawn - 1, through: 0, by: -1) { tree.update(leaf: slots[j], to: values[j]) }
        debugCheck()
        if exhausted {
            throw .invalidArgument(
                "sample: batch_size \(b) is larger than the number of items with a non-zero priority (\(drawn)); sampling is without replacement")
        }
        let n = Double(count)
        var largest = 0.0
        for j in 0..<b {
            let w = pow(n * (values[j] / total), -beta)
            values[j] = w
            largest = Swift.max(largest, w)
        }
        for j in 0..<b { weights[j] = Float(values[j] / largest) }
    }

    // MARK: Invariants

    /// Checks the sum-tree and the buffer's bookkeeping; returns the first violation or `nil`. O(capacity).
    public func _checkInvariants() -> String? {
        if let e = tree._checkInvariants() { return e }
        guard count >= 0 && count <= capacity && position >= 0 && position < capacity else {
            return "count \(count) / position \(position) outside capacity \(capacity)"
        }
        if count < capacity && position != count { return "position \(position) != count \(count) before the buffer is full" }
        for k in 0..<capacity {
            let v = tree[leaf: k]
            if k >= count && v != 0 { return "empty slot \(k) has priority \(v)" }
            if k < count && sampling == .proportionalStratified && !(v > 0) { return "slot \(k) has priority \(v)" }
        }
        if let ranks {
            guard ranks.count == count else { return "rank index holds \(ranks.count) items, buffer \(count)" }
            let order = ranks.ordered()
            for j in 1..<Swift.max(order.count, 1) {
                let a = order[j - 1], b = order[j]
                let ka = tree[leaf: a], kb = tree[leaf: b]
                if !(ka > kb || (ka == kb && a < b)) { return "rank order broken at rank \(j)" }
            }
        }
        return nil
    }

    @inline(__always)
    func debugCheck() {
        assert(tree.capacity > 1 << 16 || _checkInvariants() == nil, "replay invariant violated: \(_checkInvariants() ?? "")")
    }
}
