import MnemonetEngine

extension DNCAddressing {
    /// ‖x‖ = √(Σ_w x_w² + ε) along the last axis, kept as size 1 — never zero, so a zero key or an empty memory row
    /// is never divided by zero. x [..., W] → [..., 1].
    public static func vectorNorms(_ x: Variable) -> Variable {
        (x.squared().sum(axis: -1, keepDims: true) + epsilon).sqrt()
    }

    /// Content weighting C(M, k, β) (Methods, "content-based addressing"):
    ///
    ///     D(k, M[n]) = k·M[n] / (‖k‖‖M[n]‖ + ε)
    ///     C(M, k, β)[n] = exp(D(k, M[n])·β) / Σ_m exp(D(k, M[m])·β)
    ///
    /// - Parameters:
    ///   - memory: M [B, N, W].
    ///   - keys: k [B, H, W], one key per head.
    ///   - strengths: β [B, H] (already ≥ 1, i.e. after `oneplus`).
    /// - Returns: c [B, H, N], each row a distribution over the N slots.
    public static func contentWeights(memory: Variable, keys: Variable, strengths: Variable) -> Variable {
        let b = memory.shape[0], n = memory.shape[1], h = keys.shape[1]
        let dot = matmul(keys, memory, transposeB: true)                      // [B, H, N]
        let memoryNorms = vectorNorms(memory).reshaped([b, 1, n])             // [B, 1, N]
        let keyNorms = vectorNorms(keys)                                      // [B, H, 1]
        let similarity = dot / (keyNorms * memoryNorms + epsilon)
        return (similarity * strengths.reshaped([b, h, 1])).softmax()
    }
}
