import MnemonetEngine

/// One stage of a SNAIL network: maps features x [B, T, C_in] to [B, T, C_out] with C_out = C_in + (what it adds),
/// causally (output step t depends on input steps ≤ t only), and concatenates its result to its input (dense
/// connections, Mishra et al. 2018 §3).
public protocol SNAILLayer: Module {
    /// C_in, the feature width read.
    var inChannels: Int { get }
    /// C_out = C_in + the width this stage appends.
    var outChannels: Int { get }
    /// y [B, T, C_out] = [x, f(x)] for x [B, T, C_in].
    func callAsFunction(_ x: Variable) -> Variable
}

/// What a SNAIL stage is, as the user writes it: `("attention", key, value)` or `("tc", filters)`.
public enum SNAILBlockSpec: Equatable, Sendable {
    /// A causal single-head ``AttentionBlock`` with key/query size `key` and value size `value`.
    case attention(key: Int, value: Int)
    /// A ``TCBlock`` of ⌈log₂ T⌉ dense blocks with `filters` filters each.
    case tc(filters: Int)
}

extension Variable {
    /// x [B, T, C] shifted forward in time by `d` steps: y[:, t] = x[:, t − d] for t ≥ d, 0 before
    /// (the past tap of a causal convolution).
    public func shiftedInTime(by d: Int) -> Variable {
        precondition(rank == 3 && d >= 0, "shiftedInTime: need [B, T, C] and d ≥ 0, got \(shape), \(d)")
        let t = shape[1]
        if d == 0 { return self }
        if d >= t { return Variable(Tensor(shape: shape, repeating: 0)) }  // every tap is before the start
        return slice(axis: 1, start: 0, length: t - d).padded(axis: 1, before: d, after: 0)
    }
}
