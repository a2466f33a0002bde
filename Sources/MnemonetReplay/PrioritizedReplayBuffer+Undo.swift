import MnemonetBase

/// What one `add(item:priority:)` is about to change, recorded so that a caller whose step fails afterwards (a
/// non-finite loss or gradient) can put the buffer back exactly: the slot's old row and leaf, `count`, `position`,
/// `maxPriority` and the sampler's random state (so a `sample` after the add is undone too).
///
/// Allocated once per owner (`makeUndoRecord`); recording and restoring copy one row and never allocate.
public final class ReplayUndoRecord {
    var slot = 0
    var leaf = 0.0
    var count = 0
    var position = 0
    var maxPriority = 1.0
    var rng = Xoshiro256(seed: 0)
    let rows: [UnsafeMutableBufferPointer<Float>]

    init(fieldWidths: [Int]) {
        rows = fieldWidths.map { .allocate(capacity: $0) }
    }

    deinit {
        for r in rows { r.deallocate() }
    }
}

extension PrioritizedReplayBuffer {
    /// A record sized for this buffer's fields.
    public func makeUndoRecord() -> ReplayUndoRecord { ReplayUndoRecord(fieldWidths: fieldWidths) }

    /// Records the state that the next `add(item:)` and `sample` change.
    public func record(_ u: ReplayUndoRecord) {
        u.slot = position
        u.leaf = tree[leaf: position]
        u.count = count
        u.position = position
        u.maxPriority = maxPriority
        u.rng = rng
        if position < count {
            for (f, r) in u.rows.enumerated() {
                r.baseAddress!.update(from: storage.row(position, field: f).baseAddress!, count: r.count)
            }
        }
    }

    /// Puts back what `record(_:)` saw: the buffer is bit-identical to its state at that call.
    public func restore(_ u: ReplayUndoRecord) {
        if u.slot < u.count {
            for (f, r) in u.rows.enumerated() {
                UnsafeMutablePointer(mutating: storage.row(u.slot, field: f).baseAddress!)
                    .update(from: r.baseAddress!, count: r.count)
            }
            tree.update(leaf: u.slot, to: u.leaf)
        } else {
            // The slot was empty: its row is never read again before being overwritten; the leaf becomes empty.
            tree.clear(leaf: u.slot)
        }
        count = u.count
        position = u.position
        maxPriority = u.maxPriority
        rng = u.rng
    }
}
