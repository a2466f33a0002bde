/// `nn.Linear`: y = x·Wᵀ + b with weight [out, in], bias [out], initialised like PyTorch
/// (U(−1/√in, 1/√in) for both).
public final class Linear: Module {
    /// W [out, in].
    public let weight: Variable
    /// b [out], or `nil` for `bias: false`.
    public let bias: Variable?

    /// A layer with PyTorch's default initialisation drawn from `rng`.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout Xoshiro256) {
        let bound = Init.pytorchDefaultBound(fanIn: inFeatures)
        weight = Init.uniformParameter([outFeatures, inFeatures], bound: bound, rng: &rng)
        self.bias = bias ? Init.uniformParameter([outFeatures], bound: bound, rng: &rng) : nil
    }

    /// `weight`, then `bias` (PyTorch's order).
    public var namedParameters: [NamedParameter] {
        [NamedParameter(name: "weight", variable: weight)] + (bias.map { [NamedParameter(name: "bias", variable: $0)] } ?? [])
    }

    /// act(x·Wᵀ + b) for x [N, in] or [in] (fused; see `linear`).
    public func callAsFunction(_ x: Variable, activation: Activation = .identity) -> Variable {
        linear(x, weight, bias, activation: activation)
    }
}
