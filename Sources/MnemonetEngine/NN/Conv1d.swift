/// `nn.Conv1d` (stride 1, groups 1): weight [C_out, C_in, K], bias [C_out], PyTorch's default init
/// (U(−1/√(C_in·K), 1/√(C_in·K))).
public final class Conv1d: Module {
    /// W [C_out, C_in, K].
    public let weight: Variable
    /// b [C_out], or `nil` for `bias: false`.
    public let bias: Variable?
    /// Spacing d between kernel taps.
    public let dilation: Int
    /// Symmetric zero padding or causal (left) padding.
    public let padding: Conv1dPadding

    /// A layer with PyTorch's default initialisation drawn from `rng`.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, dilation: Int = 1, padding: Conv1dPadding = .symmetric(0),
                bias: Bool = true, rng: inout Xoshiro256) {
        let bound = Init.pytorchDefaultBound(fanIn: inChannels * kernelSize)
        weight = Init.uniformParameter([outChannels, inChannels, kernelSize], bound: bound, rng: &rng)
        self.bias = bias ? Init.uniformParameter([outChannels], bound: bound, rng: &rng) : nil
        self.dilation = dilation
        self.padding = padding
    }

    /// `weight`, then `bias` (PyTorch's order).
    public var namedParameters: [NamedParameter] {
        [NamedParameter(name: "weight", variable: weight)] + (bias.map { [NamedParameter(name: "bias", variable: $0)] } ?? [])
    }

    /// y [N, C_out, L_out] for x [N, C_in, L].
    public func callAsFunction(_ x: Variable) -> Variable {
        conv1d(x, weight, bias, dilation: dilation, padding: padding)
    }
}
