import MnemonetEngine

extension DNCAddressing {
    /// Π over axis 1 of a [B, K, N] tensor → [B, N] (K is a small head count; a product of K slices).
    static func productOverHeads(_ x: Variable) -> Variable {
        let b = x.shape[0], k = x.shape[1], n = x.shape[2]
        var p = x.slice(axis: 1, start: 0, length: 1).reshaped([b, n])
        for i in 1..<max(k, 1) { p = p * x.slice(axis: 1, start: i, length: 1).reshaped([b, n]) }
        return p
    }

    /// Usage after the previous write (the multi-head form of deepmind's `_usage_after_write`):
    ///
    ///     ŵ = 1 − Π_i (1 − w^{w,i}_{t−1}),    u' = u_{t−1} + ŵ − u_{t−1}∘ŵ
    ///
    /// - Parameters: usage u_{t−1} [B, N]; writeWeights w^w_{t−1} [B, H_w, N].
    /// - Returns: u' [B, N].
    public static func usageAfterWrite(usage: Variable, writeWeights: Variable) -> Variable {
        let written = 1 - productOverHeads(1 - writeWeights)
        return usage + written - usage * written
    }

    /// Memory retention vector ψ_t = Π_{i=1}^{R} (1 − f^i_t w^{r,i}_{t−1}) — how much of each slot is *not* freed by
    /// the free gates.
    ///
    /// - Parameters: freeGates f_t [B, R] (in [0, 1]); readWeights w^r_{t−1} [B, R, N].
    /// - Returns: ψ_t [B, N].
    public static func retention(freeGates: Variable, readWeights: Variable) -> Variable {
        let b = readWeights.shape[0], r = readWeights.shape[1]
        return productOverHeads(1 - freeGates.reshaped([b, r, 1]) * readWeights)
    }

    /// Usage u_t = (u_{t−1} + w^w_{t−1} − u_{t−1}∘w^w_{t−1}) ∘ ψ_t (Methods, "dynamic memory allocation").
    ///
    /// - Parameters: usage u_{t−1} [B, N]; writeWeights w^w_{t−1} [B, H_w, N]; freeGates f_t [B, R];
    ///   readWeights w^r_{t−1} [B, R, N].
    /// - Returns: u_t [B, N], in [0, 1].
    public static func usage(previous usage: Variable, writeWeights: Variable, freeGates: Variable,
                             readWeights: Variable) -> Variable {
        usageAfterWrite(usage: usage, writeWeights: writeWeights)
            * retention(freeGates: freeGates, readWeights: readWeights)
    }
}
