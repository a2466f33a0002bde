/// The quadratic anchor penalty of the regularisation strategies (EWC: k = λ/2, w = F̃; SI: k = c, w = Ω):
///
///     Ω(θ) = k Σ_i w_i (θ_i − θ*_i)²,   ∂Ω/∂θ_i = 2k w_i (θ_i − θ*_i)
///
/// θ `theta` [P], θ* `anchor` [P], w `weights` [P]; adds ∇Ω into `grad` [P] and returns Ω(θ).
public func quadraticPenalty(theta: UnsafePointer<Float>, anchor: [Float], weights: [Float], coefficient k: Float,
                             grad: UnsafeMutablePointer<Float>) -> Float {
    var total: Float = 0
    for i in 0..<weights.count {
        let delta = theta[i] - anchor[i]
        total += weights[i] * delta * delta
        grad[i] += 2 * k * weights[i] * delta
    }
    return k * total
}
