import MnemonetEngine

/// The per-step losses a ``SNAILLearner`` is fitted with; the objective is their weighted mean
///
///     L = Σ_{b,t} w[b, t]·ℓ[b, t] / Σ_{b,t} w[b, t]
///
/// with step weights w [B, T] (1 on the steps that are scored, e.g. the query of a few-shot episode, 0 elsewhere).
public enum SNAILLoss: Int32, Sendable {
    /// ℓ[b, t] = mean_o (y[b, t, o] − target[b, t, o])².
    case mse = 0
    /// ℓ[b, t] = −Σ_o target[b, t, o]·log softmax(y[b, t])_o (target a one-hot or any distribution over O classes).
    case crossEntropy = 1

    /// L for outputs y [B, T, O], targets [B, T, O] and weights [B, T] (a constant; Σ w > 0).
    public func callAsFunction(_ y: Variable, targets: Variable, weights: Variable) -> Variable {
        precondition(y.shape == targets.shape && weights.shape == Array(y.shape.prefix(2)),
                     "SNAILLoss: outputs \(y.shape), targets \(targets.shape), weights \(weights.shape)")
        let perStep: Variable
        switch self {
        case .mse: perStep = (y - targets).squared().mean(axis: 2)
        case .crossEntropy: perStep = -(targets * y.logSoftmax()).sum(axis: 2)
        }
        let total = weights.value.array.reduce(0, +)
        return (perStep * weights).sum() * (1 / total)
    }
}
