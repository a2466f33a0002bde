import MnemonetBase
import MnemonetEngine

/// What a SNAIL embedding network is, as the user writes it: an MLP over the first `inputs` columns of every step.
public struct SNAILEmbeddingSpec: Equatable, Sendable {
    /// The width of each layer's output, in order (E₁, …, E_n); E_n is the embedding size.
    public var sizes: [Int]
    /// F, the observation columns embedded: x[:, :, 0..<F]. The other I − F columns (the label one-hot of a
    /// few-shot step) pass through unchanged.
    public var inputs: Int
    /// Whether the last layer is followed by a ReLU too (every earlier layer always is).
    public var finalReLU: Bool

    /// An MLP spec; `finalReLU` defaults to true (the paper's embedding CNNs end in a ReLU).
    public init(sizes: [Int], inputs: Int, finalReLU: Bool = true) {
        self.sizes = sizes
        self.inputs = inputs
        self.finalReLU = finalReLU
    }

    /// The number of scalar parameters Σ_j E_j·(E_{j−1} + 1) with E₀ = F (sizes must be in range).
    var parameterCount: Int {
        var n = 0, width = inputs
        for e in sizes { n += e * (width + 1); width = e }
        return n
    }

    /// Throws unless 1 ≤ F ≤ I, 1…16 layers and every size in 1…65536.
    func validate(inputSize: Int) throws(MnemonetError) {
        guard inputs >= 1, inputs <= inputSize else {
            throw .invalidArgument("SNAIL: embedding_inputs \(inputs) must be in 1...input_size (\(inputSize))")
        }
        guard !sizes.isEmpty, sizes.count <= 16 else {
            throw .invalidArgument("SNAIL: an embedding has 1...16 layers, got \(sizes.count)")
        }
        for e in sizes where e < 1 || e > 1 << 16 {
            throw .invalidArgument("SNAIL: embedding layer size \(e) must be in 1...65536")
        }
    }
}

/// The embedding network in front of SNAIL's causal stages (Mishra et al. 2018 put a CNN there for images):
/// applied to every step independently, to the observation columns only, the rest concatenated after it:
///
///     x = [o, l]                     [B, T, I],  o = x[:, :, :F] [B, T, F],  l = x[:, :, F:] [B, T, I − F]
///     e⁰ = o,  eʲ = ReLU(eʲ⁻¹·Wⱼᵀ + bⱼ)   (the last layer without ReLU unless `finalReLU`)
///     h⁰ = [eⁿ, l]                   [B, T, E_n + I − F]   (what the first stage reads)
///
/// A per-step map is causal by construction: h⁰[:, t] depends on x[:, t] only. Parameter names follow PyTorch's
/// `nn.Sequential(Linear, ReLU, Linear, ReLU, …)`: `{2j}.weight`, `{2j}.bias` (the ReLUs hold the odd indices).
public final class SNAILEmbedding: Module {
    /// The spec.
    public let spec: SNAILEmbeddingSpec
    /// The layers W_j [E_j, E_{j−1}], b_j [E_j].
    public let layers: [Linear]

    /// Layers drawn from `rng` in order with PyTorch's default init (the spec is validated by ``SNAIL``).
    init(_ spec: SNAILEmbeddingSpec, rng: inout Xoshiro256) {
        self.spec = spec
        var width = spec.inputs, layers: [Linear] = []
        for e in spec.sizes {
            layers.append(Linear(inFeatures: width, outFeatures: e, rng: &rng))
            width = e
        }
        self.layers = layers
    }

    /// E_n, the embedding size.
    public var outputSize: Int { spec.sizes.last! }

    /// `{2j}.weight`, `{2j}.bias` for layer j.
    public var namedParameters: [NamedParameter] {
        layers.enumerated().flatMap { j, l in
            l.namedParameters.map { NamedParameter(name: "\(2 * j).\($0.name)", variable: $0.variable) }
        }
    }

    /// The activation after layer `j`.
    public func activation(after j: Int) -> Activation { j + 1 < layers.count || spec.finalReLU ? .relu : .identity }

    /// h⁰ [B, T, E_n + I − F] for x [B, T, I] (a composition of engine ops: gradients reach x and every layer).
    public func callAsFunction(_ x: Variable) -> Variable {
        let (b, t, i, f) = (x.shape[0], x.shape[1], x.shape[2], spec.inputs)
        let o = (f == i ? x : x.slice(axis: 2, start: 0, length: f)).reshaped([b * t, f])
        var e = o
        for (j, layer) in layers.enumerated() { e = layer(e, activation: activation(after: j)) }
        let embedded = e.reshaped([b, t, outputSize])
        if f == i { return embedded }
        return concat([embedded, x.slice(axis: 2, start: f, length: i - f)], axis: 2)
    }
}
