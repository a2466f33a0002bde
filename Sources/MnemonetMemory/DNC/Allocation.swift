import MnemonetEngine

extension DNCAddressing {
    /// The inverse of each row's permutation: `inverse[r·n + perm[r·n + j]] = j` ([rows, n] flat).
    static func invertPermutations(_ perm: [Int], rowLength n: Int) -> [Int] {
        var inverse = [Int](repeating: 0, count: perm.count)
        var r = 0
        while r < perm.count {
            for j in 0..<n { inverse[r + perm[r + j]] = j }
            r += n
        }
        return inverse
    }

    /// Allocation weighting a_t (Methods, "dynamic memory allocation"): with φ_t the slot indices sorted by
    /// ascending usage (stable: ties keep the lower index first),
    ///
    ///     a_t[φ_t[j]] = (1 − u_t[φ_t[j]]) Π_{i<j} u_t[φ_t[i]]
    ///
    /// computed on ε + (1 − ε)u_t (deepmind's guard: no exact zero enters the cumulative product). Differentiable
    /// through the sorted values (the permutation itself is piecewise constant).
    ///
    /// - Parameter usage: u_t [B, N].
    /// - Returns: a_t [B, N]; Σ_n a_t[n] ≤ 1, and ≈ 0 everywhere when every slot is fully used.
    public static func allocation(usage: Variable) -> Variable {
        let n = usage.shape[usage.rank - 1]
        let guarded = epsilon + (1 - epsilon) * usage
        let sorted = guarded.sorted()                                        // ascending usage, φ_t
        let sortedAllocation = (1 - sorted.values) * sorted.values.cumprod(exclusive: true)
        return sortedAllocation.gather(indices: invertPermutations(sorted.indices, rowLength: n), count: n)
    }

    /// Allocation weightings of H_w write heads, allocated one after another as deepmind does
    /// (`write_allocation_weights`): head i allocates from the usage left after heads < i wrote with their gates,
    ///
    ///     a^i = allocation(u^i),    u^{i+1} = u^i + (1 − u^i) ∘ g^i a^i,    u^0 = u_t
    ///
    /// - Parameters: usage u_t [B, N]; writeGates g^i = g^{a,i}_t g^{w,i}_t [B, H_w].
    /// - Returns: a_t [B, H_w, N].
    public static func writeAllocationWeights(usage: Variable, writeGates: Variable) -> Variable {
        let b = usage.shape[0], n = usage.shape[1], heads = writeGates.shape[1]
        var u = usage
        var weights: [Variable] = []
        for i in 0..<heads {
            let a = allocation(usage: u)
            weights.append(a.reshaped([b, 1, n]))
            if i + 1 < heads { u = u + (1 - u) * writeGates.slice(axis: 1, start: i, length: 1) * a }
        }
        return concat(weights, axis: 1)
    }
}
