import MnemonetEngine

extension DNCAddressing {
    /// Read weighting w^{r,i}_t = Σ_j π^i_t[b_j] b^{i,j}_t + π^i_t[c] c^{r,i}_t + Σ_j π^i_t[f_j] f^{i,j}_t (Methods,
    /// "read weighting"; one backward and one forward mode per write head j).
    ///
    /// - Parameters: modes π_t [B, R, 2H_w + 1] ordered (b_1…b_{H_w}, c, f_1…f_{H_w}), each row a distribution;
    ///   content c^r_t [B, R, N]; forward/backward f^j_t, b^j_t: H_w tensors [B, R, N].
    /// - Returns: w^r_t [B, R, N].
    public static func readWeights(modes: Variable, content: Variable, forward: [Variable],
                                   backward: [Variable]) -> Variable {
        let h = forward.count
        var total = modes.slice(axis: 2, start: h, length: 1) * content
        for j in 0..<h {
            total = total + modes.slice(axis: 2, start: j, length: 1) * backward[j]
            total = total + modes.slice(axis: 2, start: h + 1 + j, length: 1) * forward[j]
        }
        return total
    }

    /// Read vectors r^i_t = M_tᵀ w^{r,i}_t.
    ///
    /// - Parameters: memory M_t [B, N, W]; readWeights w^r_t [B, R, N].
    /// - Returns: r_t [B, R, W].
    public static func readVectors(memory: Variable, readWeights: Variable) -> Variable {
        matmul(readWeights, memory)
    }
}
