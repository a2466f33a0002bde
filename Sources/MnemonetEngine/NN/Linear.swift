/// `nn.Linear`: y = x·Wᵀ + b with weight [out, in], bias [out], initialised like PyTorch
/// (U(−1/√in, 1/√in) for both).
public final class Linear: Module {
    public let weight: Variable
    public let bias: Variable?

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout Xoshiro256) {
        let bound = Init.pytorchDefaultBound(fanIn: inFeatures)
        weight = Init.uniformParameter([outFeatures, inFeatures], bound: bound, rng: &rng)
        self.bias = bias ? Init.uniformParameter([outFeatures], bound: bound, rng: &rng) : nil
    }

    public var namedParameters: [NamedParameter] {
        [NamedParameter(name: "weight", variable: weight)] + (bias.map { [NamedParameter(name: "bias", variable: $0)] } ?? [])
    }

    /// act(x·Wᵀ + b) for x [N, in] or [in] (fused; see `linear`).
    public func callAsFunction(_ x: Variable, activation: Activation = .identity) -> Variable {
        linear(x, weight, bias, activation: activation)
    }
}

/// `nn.Conv1d` (stride 1, groups 1): weight [C_out, C_in, K], bias [C_out], PyTorch's default init
/// (U(−1/√(C_in·K), 1/√(C_in·K))).
public final class Conv1d: Module {
    public let weight: Variable
    public let bias: Variable?
    public let dilation: Int
    public let padding: Conv1dPadding

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, dilation: Int = 1, padding: Conv1dPadding = .symmetric(0),
                bias: Bool = true, rng: inout Xoshiro256) {
        let bound = Init.pytorchDefaultBound(fanIn: inChannels * kernelSize)
        weight = Init.uniformParameter([outChannels, inChannels, kernelSize], bound: bound, rng: &rng)
        self.bias = bias ? Init.uniformParameter([outChannels], bound: bound, rng: &rng) : nil
        self.dilation = dilation
        self.padding = padding
    }

    public var namedParameters: [NamedParameter] {
        [NamedParameter(name: "weight", variable: weight)] + (bias.map { [NamedParameter(name: "bias", variable: $0)] } ?? [])
    }

    /// y [N, C_out, L_out] for x [N, C_in, L].
    public func callAsFunction(_ x: Variable) -> Variable {
        conv1d(x, weight, bias, dilation: dilation, padding: padding)
    }
}
