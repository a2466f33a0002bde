import MnemonetBase
import MnemonetEngine

/// DenseBlock(R, D) of Mishra et al. 2018 (Alg. 1): a dilated causal convolution of kernel size 2 and dilation R
/// with D filters, the gated activation of WaveNet, and the result concatenated to the input:
///
///     xf_t = W_f[:, :, 1]·x_t + W_f[:, :, 0]·x_{t−R} + b_f        (x_{t−R} = 0 for t < R)
///     xg_t = W_g[:, :, 1]·x_t + W_g[:, :, 0]·x_{t−R} + b_g
///     a_t  = tanh(xf_t) ⊙ σ(xg_t)                                 [B, T, D]
///     y    = concat(x, a)                                         [B, T, C + D]
///
/// Weights have PyTorch's `nn.Conv1d(C, D, kernel_size=2, dilation=R)` layout [D, C, 2] (tap 0 is the past step
/// t − R, tap 1 the current step), so a state_dict moves unchanged. Both convolutions run as one
/// [B·T, 2C]·[2C, 2D] product on the time-major features.
public final class DenseBlock: SNAILLayer {
    /// W_f [D, C, 2], b_f [D]: the filter convolution (tanh).
    public let filterWeight: Variable, filterBias: Variable
    /// W_g [D, C, 2], b_g [D]: the gate convolution (sigmoid).
    public let gateWeight: Variable, gateBias: Variable
    /// R, the dilation.
    public let dilation: Int
    /// C and D.
    public let inChannels: Int, filters: Int

    /// A block reading C = `inChannels` features, with PyTorch's Conv1d initialisation from `rng`
    /// (U(±1/√(2C)) for weights and biases).
    public init(inChannels: Int, filters: Int, dilation: Int, rng: inout Xoshiro256) {
        precondition(inChannels >= 1 && filters >= 1 && dilation >= 1, "DenseBlock: sizes must be ≥ 1")
        self.inChannels = inChannels
        self.filters = filters
        self.dilation = dilation
        let bound = Init.pytorchDefaultBound(fanIn: 2 * inChannels)
        filterWeight = Init.uniformParameter([filters, inChannels, 2], bound: bound, rng: &rng)
        filterBias = Init.uniformParameter([filters], bound: bound, rng: &rng)
        gateWeight = Init.uniformParameter([filters, inChannels, 2], bound: bound, rng: &rng)
        gateBias = Init.uniformParameter([filters], bound: bound, rng: &rng)
    }

    /// C + D.
    public var outChannels: Int { inChannels + filters }

    /// `filter_conv.weight`, `filter_conv.bias`, `gate_conv.weight`, `gate_conv.bias`.
    public var namedParameters: [NamedParameter] {
        [NamedParameter(name: "filter_conv.weight", variable: filterWeight),
         NamedParameter(name: "filter_conv.bias", variable: filterBias),
         NamedParameter(name: "gate_conv.weight", variable: gateWeight),
         NamedParameter(name: "gate_conv.bias", variable: gateBias)]
    }

    /// The stacked weight [2D, 2C] whose columns are (tap, channel): rows 0..<D filter, D..<2D gate.
    func stackedWeight() -> Variable {
        let (d, c) = (filters, inChannels)
        let w = concat([filterWeight, gateWeight], axis: 0)  // [2D, C, 2]
        return w.permuted([0, 2, 1]).reshaped([2 * d, 2 * c])  // [2D, 2, C] → [2D, 2C]
    }

    /// y [B, T, C + D] for x [B, T, C].
    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.rank == 3 && x.shape[2] == inChannels, "DenseBlock: input \(x.shape), need [B, T, \(inChannels)]")
        let (b, t) = (x.shape[0], x.shape[1])
        let taps = concat([x.shiftedInTime(by: dilation), x], axis: 2).reshaped([b * t, 2 * inChannels])
        let pre = linear(taps, stackedWeight(), concat([filterBias, gateBias], axis: 0))  // [B·T, 2D]
        let halves = pre.split(axis: 1, sizes: [filters, filters])
        let a = (halves[0].tanh() * halves[1].sigmoid()).reshaped([b, t, filters])
        return concat([x, a], axis: 2)
    }
}
