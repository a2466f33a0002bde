import MnemonetBase
import MnemonetEngine

/// AttentionBlock(K, V) of Mishra et al. 2018 (Alg. 3): single-head causal scaled dot-product attention whose read
/// is concatenated to the input:
///
///     q = x·W_qᵀ + b_q,  k = x·W_kᵀ + b_k   [B, T, K];   v = x·W_vᵀ + b_v   [B, T, V]
///     s[b, i, j] = ⟨q[b, i], k[b, j]⟩ / √K             (query step i, key step j)
///     s[b, i, j] = −∞ for j > i                        (causal: step i never sees a later step)
///     p[b, i, :] = softmax_j s[b, i, :]                (normalised over the KEYS axis: Σ_j p[b, i, j] = 1)
///     r = p·v  [B, T, V];   y = concat(x, r)  [B, T, C + V]
///
/// Step i attends to steps 0…i (itself included: its own input, never its own target). The softmax is over the
/// last axis of s, which is the key axis j — the axis error of some public implementations (softmax over the
/// query axis, which lets the past read from the future) is excluded by construction and by the causality tests.
public final class AttentionBlock: SNAILLayer {
    /// W_q [K, C], b_q [K] (`query`).
    public let query: Linear
    /// W_k [K, C], b_k [K] (`key`).
    public let key: Linear
    /// W_v [V, C], b_v [V] (`value`).
    public let value: Linear
    /// C, K and V.
    public let inChannels: Int, keySize: Int, valueSize: Int

    /// A block with PyTorch's `nn.Linear` initialisation from `rng` (query, then key, then value).
    public init(inChannels: Int, keySize: Int, valueSize: Int, rng: inout Xoshiro256) {
        precondition(inChannels >= 1 && keySize >= 1 && valueSize >= 1, "AttentionBlock: sizes must be ≥ 1")
        self.inChannels = inChannels
        self.keySize = keySize
        self.valueSize = valueSize
        query = Linear(inFeatures: inChannels, outFeatures: keySize, rng: &rng)
        key = Linear(inFeatures: inChannels, outFeatures: keySize, rng: &rng)
        value = Linear(inFeatures: inChannels, outFeatures: valueSize, rng: &rng)
    }

    /// C + V.
    public var outChannels: Int { inChannels + valueSize }

    /// `query.weight`, `query.bias`, `key.weight`, `key.bias`, `value.weight`, `value.bias`.
    public var namedParameters: [NamedParameter] {
        [("query", query), ("key", key), ("value", value)].flatMap { prefix, layer in
            layer.namedParameters.map { NamedParameter(name: "\(prefix).\($0.name)", variable: $0.variable) }
        }
    }

    /// The attention weights p [B, T, T] (rows: query steps, Σ over the last axis = 1, zero above the diagonal).
    public func attentionWeights(_ x: Variable) -> Variable {
        precondition(x.rank == 3 && x.shape[2] == inChannels, "AttentionBlock: input \(x.shape), need [B, T, \(inChannels)]")
        let (b, t) = (x.shape[0], x.shape[1])
        let flat = x.reshaped([b * t, inChannels])
        let q = query(flat).reshaped([b, t, keySize]), k = key(flat).reshaped([b, t, keySize])
        let scores = matmul(q, k, transposeB: true) * (1 / Float(keySize).squareRoot())  // [B, T(query), T(key)]
        return scores.causalMasked().softmax()  // softmax over the last axis = keys
    }

    /// y [B, T, C + V] for x [B, T, C].
    public func callAsFunction(_ x: Variable) -> Variable {
        let (b, t) = (x.shape[0], x.shape[1])
        let p = attentionWeights(x)
        let v = value(x.reshaped([b * t, inChannels])).reshaped([b, t, valueSize])
        return concat([x, matmul(p, v)], axis: 2)
    }
}
