import MnemonetBase
import MnemonetEngine

/// SNAIL, the Simple Neural Attentive meta-Learner (Mishra et al. 2018): an optional per-step embedding network
/// (``SNAILEmbedding``, an MLP over the first F observation columns), then a stack of causal stages (``TCBlock``s and
/// ``AttentionBlock``s, each concatenating its output to its input), then a per-step linear read-out (the paper's
/// final 1×1 convolution):
///
///     h⁰ = x  or  [embed(x[:, :, :F]), x[:, :, F:]]    [B, T, C₀]  (C₀ = I, or E_n + I − F with an embedding)
///     hˡ = stageₗ(hˡ⁻¹)               [B, T, Cₗ],  Cₗ = Cₗ₋₁ + (V or n·D)
///     y  = h^L·W_oᵀ + b_o             [B, T, O]
///
/// Every stage is causal, so y[:, t] depends on x[:, ≤ t] only. `sequenceLength` T fixes the depth ⌈log₂ T⌉ of the
/// TC blocks; sequences of any length can be fed, but steps more than 2^depth apart are connected only through
/// attention.
///
/// Parameter names follow PyTorch: `embedding.{2j}.weight` (an `nn.Sequential` of Linear and ReLU),
/// `blocks.{i}.dense.{j}.filter_conv.weight`, `blocks.{i}.query.weight`, …, `output.weight`, `output.bias`.
public final class SNAIL: Module {
    /// I, O and T.
    public let inputSize: Int, outputSize: Int, sequenceLength: Int
    /// The stages as specified.
    public let specs: [SNAILBlockSpec]
    /// The embedding network in front of the stages, if any.
    public let embedding: SNAILEmbedding?
    /// C₀, the feature width the first stage reads (I without an embedding).
    public let stageInputSize: Int
    /// The stages, in order.
    public let blocks: [any SNAILLayer]
    /// The read-out W_o [O, C_L], b_o [O].
    public let output: Linear

    /// A network drawn from `seed` (the embedding's layers, the stages in order, then the read-out, each with
    /// PyTorch's default init; without an embedding the draws are those of a network that never had one).
    public init(inputSize: Int, outputSize: Int, sequenceLength: Int, blocks specs: [SNAILBlockSpec],
                embedding embeddingSpec: SNAILEmbeddingSpec? = nil, seed: UInt64) throws(MnemonetError)
    {
        guard inputSize >= 1, outputSize >= 1, inputSize <= 1 << 20, outputSize <= 1 << 20 else {
            throw .invalidArgument("SNAIL: input_size \(inputSize) and output_size \(outputSize) must be in 1...\(1 << 20)")
        }
        guard sequenceLength >= 1, sequenceLength <= 1 << 20 else {
            throw .invalidArgument("SNAIL: sequence_length \(sequenceLength) must be in 1...\(1 << 20)")
        }
        guard specs.count <= 64 else { throw .invalidArgument("SNAIL: \(specs.count) blocks (at most 64)") }
        // Every size in range first: the parameter count below must not overflow (a trap) on a hostile size.
        for spec in specs {
            switch spec {
            case .attention(let k, let v):
                guard k >= 1, v >= 1, k <= 1 << 16, v <= 1 << 16 else {
                    throw .invalidArgument("SNAIL: attention sizes (\(k), \(v)) must be in 1...65536")
                }
            case .tc(let d):
                guard d >= 1, d <= 1 << 16 else { throw .invalidArgument("SNAIL: tc filters \(d) must be in 1...65536") }
            }
        }
        // The parameter count, before anything is allocated (a typo in a size must not exhaust memory).
        var params = 0, width = inputSize
        if let e = embeddingSpec {
            try e.validate(inputSize: inputSize)
            params = e.parameterCount
            width = e.sizes.last! + inputSize - e.inputs
            guard width <= 1 << 20, params <= SNAIL.maxParameters else {
                throw .invalidArgument("SNAIL: this embedding needs more than \(SNAIL.maxParameters) parameters")
            }
        }
        let stageInput = width
        for spec in specs {
            switch spec {
            case .attention(let k, let v):
                params += (2 * k + v) * (width + 1)
                width += v
            case .tc(let d):
                for _ in 0..<TCBlock.depth(sequenceLength: sequenceLength) {
                    params += 2 * d * (2 * width + 1)
                    width += d
                }
            }
            guard width <= 1 << 20, params <= SNAIL.maxParameters else {
                throw .invalidArgument("SNAIL: these blocks need more than \(SNAIL.maxParameters) parameters or a feature width above 2^20")
            }
        }
        guard outputSize * (width + 1) + params <= SNAIL.maxParameters else {
            throw .invalidArgument("SNAIL: more than \(SNAIL.maxParameters) parameters")
        }
        var rng = Xoshiro256(seed: seed)
        let embedding = embeddingSpec.map { SNAILEmbedding($0, rng: &rng) }
        var c = stageInput
        var layers: [any SNAILLayer] = []
        for spec in specs {
            let layer: any SNAILLayer
            switch spec {
            case .attention(let k, let v):
                guard k >= 1, v >= 1, k <= 1 << 16, v <= 1 << 16 else {
                    throw .invalidArgument("SNAIL: attention sizes (\(k), \(v)) must be in 1...65536")
                }
                layer = AttentionBlock(inChannels: c, keySize: k, valueSize: v, rng: &rng)
            case .tc(let d):
                guard d >= 1, d <= 1 << 16 else { throw .invalidArgument("SNAIL: tc filters \(d) must be in 1...65536") }
                layer = TCBlock(inChannels: c, sequenceLength: sequenceLength, filters: d, rng: &rng)
            }
            c = layer.outChannels
            guard c <= 1 << 20 else { throw .invalidArgument("SNAIL: the feature width grows to \(c) (at most 2^20)") }
            layers.append(layer)
        }
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.sequenceLength = sequenceLength
        self.specs = specs
        self.embedding = embedding
        self.stageInputSize = stageInput
        self.blocks = layers
        self.output = Linear(inFeatures: c, outFeatures: outputSize, rng: &rng)
    }

    /// The largest network accepted (2^28 parameters, 1 GiB of Float32).
    public static let maxParameters = 1 << 28

    /// Throws unless a batch of `batch` sequences of `length` steps fits the workload limits: B·T·C_L feature
    /// values and B·T² attention scores at most 2^30 each.
    public func checkWorkload(batch: Int, length: Int) throws(MnemonetError) {
        let (features, f1) = batch.multipliedReportingOverflow(by: length)
        let widest = max(featureWidth, inputSize, embedding?.spec.sizes.max() ?? 0)
        let (total, f2) = features.multipliedReportingOverflow(by: widest)
        let (scores, f3) = features.multipliedReportingOverflow(by: length)
        guard !f1, !f2, !f3, total <= 1 << 30, scores <= 1 << 30 else {
            throw .invalidArgument("SNAIL: a batch of \(batch) × \(length) steps is too large for width \(widest)")
        }
    }

    /// C_L, the feature width the read-out sees.
    public var featureWidth: Int { blocks.last?.outChannels ?? stageInputSize }

    /// `embedding.{2j}.…`, then `blocks.{i}.…`, then `output.weight`, `output.bias`.
    public var namedParameters: [NamedParameter] {
        (embedding?.namedParameters ?? []).map { NamedParameter(name: "embedding.\($0.name)", variable: $0.variable) }
        + blocks.enumerated().flatMap { i, b in
            b.namedParameters.map { NamedParameter(name: "blocks.\(i).\($0.name)", variable: $0.variable) }
        } + output.namedParameters.map { NamedParameter(name: "output.\($0.name)", variable: $0.variable) }
    }

    /// The number of scalar parameters.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.variable.count } }

    /// h⁰ [B, T, C₀] for x [B, T, I]: x itself, or the embedding of its first F columns with the rest appended.
    public func stageInput(_ x: Variable) -> Variable {
        precondition(x.rank == 3 && x.shape[2] == inputSize, "SNAIL: input \(x.shape), need [B, T, \(inputSize)]")
        return embedding.map { $0(x) } ?? x
    }

    /// h^L [B, T, C_L] for x [B, T, I].
    public func features(_ x: Variable) -> Variable {
        blocks.reduce(stageInput(x)) { h, block in block(h) }
    }

    /// Whether `callAsFunction` runs the fused pass (``fusedForward(_:)``, one graph node, the default) or the
    /// composed blocks (``composedForward(_:)``, the reference it is tested against; same values).
    public var fused = true
    /// The fused pass's reusable storage: activations saved for the pullback, and the pullback's scratch.
    var forwardArena: SNAILFusedArena?, backwardArena: SNAILFusedArena?

    /// y [B, T, O] for x [B, T, I].
    public func callAsFunction(_ x: Variable) -> Variable { fused ? fusedForward(x) : composedForward(x) }

    /// y [B, T, O] for x [B, T, I] through the composed blocks (one graph node per engine op).
    public func composedForward(_ x: Variable) -> Variable {
        let h = features(x)
        let (b, t) = (x.shape[0], x.shape[1])
        return output(h.reshaped([b * t, featureWidth])).reshaped([b, t, outputSize])
    }
}
