import MnemonetBase

/// Adam's per-slot state in the checkpoints of every trainer that owns an `Adam` (the agent, the DNC, SNAIL and the
/// meta-learners), in one format:
///
/// ```
/// has state      Bool
/// step           Int64                (only when has state)
/// m (exp_avg)    [Float], count-prefixed
/// v (exp_avg_sq) [Float], count-prefixed
/// ```
///
/// Trainers write their slots in their own parameter order, with or without a slot count of their own before them.
extension Adam {
    /// Writes slot `index`'s state (or "no state" when it has none yet). AMSGrad's running maximum is not part of
    /// the format: trainers that checkpoint do not use AMSGrad (a debug assertion).
    public func writeState(slot index: Int, to w: inout BinaryWriter) {
        guard let s = states[index] else {
            w.write(false)
            return
        }
        assert(s.maxExpAvgSq == nil, "Adam.writeState: AMSGrad state is not checkpointed")
        w.write(true)
        w.write(s.step)
        w.write(UnsafeBufferPointer(s.expAvg.buffer))
        w.write(UnsafeBufferPointer(s.expAvgSq.buffer))
    }

    /// Writes every slot in order (`writeState(slot:to:)` for 0..<states.count), without a count.
    public func writeStates(to w: inout BinaryWriter) {
        for k in states.indices { writeState(slot: k, to: &w) }
    }

    /// Reads what `writeState(slot:to:)` wrote into slot `index`, for a parameter of `shape`: the moments must have
    /// its element count, be finite, and the second moment must be ≥ 0 (a negative v would make the next update NaN);
    /// `step` must lie in `1...maxStep`. A slot written without state is left as it is (nil for a new optimizer).
    ///
    /// - Throws: `MnemonetError.format` naming the field, for a truncated or corrupt state.
    public func readState(slot index: Int, shape: [Int], from r: inout BinaryReader,
                          maxStep: Int = Int(Int32.max)) throws(MnemonetError) {
        precondition(index >= 0 && index < states.count, "Adam.readState: slot \(index) of \(states.count)")
        guard try r.readBool("optimizer state flag") else { return }
        let count = shape.reduce(1, *)
        let step = try r.readInt("optimizer step", in: 1...maxStep)
        let m = try r.readFloats("optimizer first moments", expectedCount: count)
        let v = try r.readFloats("optimizer second moments", expectedCount: count)
        if let bad = v.firstIndex(where: { $0 < 0 }) {
            throw .format("checkpoint is corrupt (optimizer second moments[\(bad)] is negative)")
        }
        states[index] = AdamState(step: step, expAvg: Tensor(shape: shape, values: m),
                                  expAvgSq: Tensor(shape: shape, values: v))
    }
}
