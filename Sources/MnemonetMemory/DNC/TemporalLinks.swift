import MnemonetEngine

extension DNCAddressing {
    /// The off-diagonal mask 1 − I [N, N] (the link matrix keeps its diagonal at zero: no self-loops).
    static func offDiagonal(_ n: Int) -> Variable {
        let t = Tensor(shape: [n, n], repeating: 1)
        for i in 0..<n { t.pointer[i * n + i] = 0 }
        return Variable(t)
    }

    /// Temporal link matrix update, one matrix per write head (Methods, "temporal memory linkage"):
    ///
    ///     L_t[i, j] = (1 − w^w_t[i] − w^w_t[j]) L_{t−1}[i, j] + w^w_t[i] p_{t−1}[j],    L_t[i, i] = 0
    ///
    /// L_t[i, j] is the degree to which slot i was written right after slot j.
    ///
    /// - Parameters: link L_{t−1} [B, H_w, N, N]; precedence p_{t−1} [B, H_w, N]; writeWeights w^w_t [B, H_w, N].
    /// - Returns: L_t [B, H_w, N, N]; entries in [0, 1], rows and columns summing to ≤ 1.
    /// - Complexity: O(B·H_w·N²) time and memory.
    public static func link(previous link: Variable, precedence: Variable, writeWeights: Variable) -> Variable {
        let b = writeWeights.shape[0], h = writeWeights.shape[1], n = writeWeights.shape[2]
        let wi = writeWeights.reshaped([b, h, n, 1]), wj = writeWeights.reshaped([b, h, 1, n])
        let updated = (1 - wi - wj) * link + wi * precedence.reshaped([b, h, 1, n])
        return updated * offDiagonal(n)
    }

    /// Precedence weighting p_t = (1 − Σ_i w^w_t[i]) p_{t−1} + w^w_t — how much each slot was the last one written.
    ///
    /// - Parameters: precedence p_{t−1} [B, H_w, N]; writeWeights w^w_t [B, H_w, N].
    /// - Returns: p_t [B, H_w, N], Σ_n p_t[n] ≤ 1.
    public static func precedence(previous precedence: Variable, writeWeights: Variable) -> Variable {
        (1 - writeWeights.sum(axis: -1, keepDims: true)) * precedence + writeWeights
    }

    /// Forward and backward weightings f^i_t = L_t w^{r,i}_{t−1} and b^i_t = L_tᵀ w^{r,i}_{t−1}, for every (read head,
    /// write head) pair (deepmind's `directional_read_weights`).
    ///
    /// - Parameters: link L_t [B, H_w, N, N]; readWeights w^r_{t−1} [B, R, N].
    /// - Returns: (forward, backward), each H_w tensors [B, R, N] (index = write head).
    public static func directionalWeights(link: Variable, readWeights: Variable) -> (forward: [Variable], backward: [Variable]) {
        let b = link.shape[0], h = link.shape[1], n = link.shape[2]
        var forward: [Variable] = [], backward: [Variable] = []
        for i in 0..<h {
            let li = link.slice(axis: 1, start: i, length: 1).reshaped([b, n, n])
            forward.append(matmul(readWeights, li, transposeB: true))   // f[j] = Σ_k L[j, k] w[k]
            backward.append(matmul(readWeights, li))                    // b[j] = Σ_k L[k, j] w[k]
        }
        return (forward, backward)
    }
}
