import MnemonetEngine

/// A fully connected network `sizes[0] → sizes[1] → … → sizes[L]` with a hidden nonlinearity σ and a linear output:
///
///     a₁ = x W₀ᵀ + b₀,   h_l = σ(a_l),   a_{l+1} = h_l W_lᵀ + b_l,   ŷ = a_L
///
/// The network itself holds no parameters: every function takes a flat parameter vector θ, so that adaptation is
/// functional (θ′ = θ − α∇L(θ) is a new vector; the meta-parameters are never mutated). θ is laid out exactly as
/// PyTorch's `nn.Sequential(Linear, act, Linear, act, …, Linear).state_dict()` flattened in order:
/// `0.weight` [sizes[1], sizes[0]] (row-major, PyTorch's [out, in]), `0.bias` [sizes[1]], `2.weight`, `2.bias`, …
public final class MLP: Sendable {
    /// Layer widths, input first: `[1, 40, 40, 1]` for the sinusoid network of Finn et al. (2017).
    public let layerSizes: [Int]
    /// Hidden nonlinearity σ.
    public let activation: Activation
    /// Number of linear layers L = `layerSizes.count − 1`.
    public let layerCount: Int
    /// |θ| = Σ_l sizes[l+1]·(sizes[l] + 1).
    public let parameterCount: Int
    /// Offset of W_l (shape [sizes[l+1], sizes[l]]) in θ.
    public let weightOffsets: [Int]
    /// Offset of b_l (shape [sizes[l+1]]) in θ.
    public let biasOffsets: [Int]

    /// Input width `sizes[0]`.
    public var inputSize: Int { layerSizes[0] }
    /// Output width `sizes[L]`.
    public var outputSize: Int { layerSizes[layerCount] }

    /// Throws `.invalidArgument` unless there are at least two sizes, each in 1...65536.
    public init(layerSizes: [Int], activation: Activation = .relu) throws(MnemonetError) {
        try require(layerSizes.count >= 2, "an MLP needs at least an input and an output size, got \(layerSizes)")
        try require(layerSizes.count <= 64, "at most 63 layers, got \(layerSizes.count - 1)")
        for s in layerSizes { try require(s >= 1 && s <= 65536, "layer sizes must be in 1...65536, got \(layerSizes)") }
        self.layerSizes = layerSizes
        self.activation = activation
        self.layerCount = layerSizes.count - 1
        var w: [Int] = [], b: [Int] = [], offset = 0
        for l in 0..<layerSizes.count - 1 {
            w.append(offset)
            offset += layerSizes[l + 1] * layerSizes[l]
            b.append(offset)
            offset += layerSizes[l + 1]
        }
        self.weightOffsets = w
        self.biasOffsets = b
        self.parameterCount = offset
        try require(offset <= MLP.maxParameterCount,
                    "an MLP of sizes \(layerSizes) has \(offset) parameters, more than the \(MLP.maxParameterCount) supported")
    }

    /// The largest |θ| accepted (2²⁶ floats = 256 MiB per parameter vector).
    public static let maxParameterCount = 1 << 26

    /// PyTorch's default `nn.Linear` initialisation: W, b ~ U(−1/√fan_in, 1/√fan_in).
    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        var theta = [Float](repeating: 0, count: parameterCount)
        for l in 0..<layerCount {
            let bound = 1 / Float(layerSizes[l]).squareRoot()
            let end = l + 1 < layerCount ? weightOffsets[l + 1] : parameterCount
            for i in weightOffsets[l]..<end { theta[i] = (2 * rng.nextUnitFloat() - 1) * bound }
        }
        return theta
    }

    /// The PyTorch `state_dict` key and shape of every tensor in θ, in layout order
    /// (`("0.weight", [40, 1]), ("0.bias", [40]), ("2.weight", [40, 40]), …`).
    public var stateDictLayout: [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        for l in 0..<layerCount {
            out.append(("\(2 * l).weight", [layerSizes[l + 1], layerSizes[l]]))
            out.append(("\(2 * l).bias", [layerSizes[l + 1]]))
        }
        return out
    }
}
