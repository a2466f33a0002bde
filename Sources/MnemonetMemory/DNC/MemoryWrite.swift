import MnemonetEngine

extension DNCAddressing {
    /// Write weighting w^w_t = g^w_t (g^a_t a_t + (1 − g^a_t) c^w_t) (Methods, "write weighting"), per write head.
    ///
    /// - Parameters: allocation a_t [B, H_w, N]; content c^w_t [B, H_w, N]; allocationGates g^a_t [B, H_w];
    ///   writeGates g^w_t [B, H_w].
    /// - Returns: w^w_t [B, H_w, N].
    public static func writeWeights(allocation: Variable, content: Variable, allocationGates: Variable,
                                    writeGates: Variable) -> Variable {
        let b = allocation.shape[0], h = allocation.shape[1]
        let ga = allocationGates.reshaped([b, h, 1]), gw = writeGates.reshaped([b, h, 1])
        return gw * (ga * allocation + (1 - ga) * content)
    }

    /// Erase-then-add memory write (Methods, "reading and writing to memory"; several heads as deepmind's
    /// `_erase_and_write`):
    ///
    ///     M_t = M_{t−1} ∘ Π_i (E − w^{w,i}_t e^{iᵀ}_t) + Σ_i w^{w,i}_t v^{iᵀ}_t
    ///
    /// - Parameters: memory M_{t−1} [B, N, W]; writeWeights w^w_t [B, H_w, N]; erase e_t [B, H_w, W] (in [0, 1]);
    ///   values v_t [B, H_w, W].
    /// - Returns: M_t [B, N, W].
    public static func eraseAndWrite(memory: Variable, writeWeights: Variable, erase: Variable,
                                     values: Variable) -> Variable {
        let b = memory.shape[0], n = memory.shape[1], w = memory.shape[2], h = writeWeights.shape[1]
        var keep: Variable? = nil
        for i in 0..<h {
            let wi = writeWeights.slice(axis: 1, start: i, length: 1).reshaped([b, n, 1])
            let ei = erase.slice(axis: 1, start: i, length: 1).reshaped([b, 1, w])
            let term = 1 - wi * ei
            keep = keep.map { $0 * term } ?? term
        }
        return memory * keep! + matmul(writeWeights, values, transposeA: true)
    }
}
