/// Rescales gradients so that their joint norm is at most `maxNorm` — PyTorch's `clip_grad_norm_`:
///
///     total = ‖(‖g₁‖ₚ, …, ‖gₙ‖ₚ)‖ₚ          (p = `normType`; p = ∞ takes the max |gᵢⱼ|)
///     c = min(maxNorm / (total + 1e-6), 1)
///     gᵢ ← c·gᵢ                              (always applied, as in PyTorch, even when c = 1)
///
/// Returns `total` (the norm before clipping). Tensors with `grad == nil` are ignored; with no gradients the result is 0.
/// Norms are accumulated in Double.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float, normType: Float = 2) -> Float {
    clipGradNorm(gradients: parameters.compactMap { $0.grad?.buffer }, maxNorm: maxNorm, normType: normType)
}

/// `clipGradNorm` over raw gradient buffers (for hand-fused code that owns its gradients).
@discardableResult
public func clipGradNorm(gradients: [UnsafeMutableBufferPointer<Float>], maxNorm: Float, normType: Float = 2) -> Float {
    if gradients.isEmpty { return 0 }
    var total: Double
    if normType == .infinity {
        total = 0
        for g in gradients { for x in g { total = max(total, Double(abs(x))) } }
    } else {
        let p = Double(normType)
        var acc = 0.0
        for g in gradients {
            var s = 0.0
            if p == 2 {
                for x in g { s += Double(x) * Double(x) }
                acc += Double(Float(s.squareRoot())) * Double(Float(s.squareRoot()))
            } else {
                for x in g { s += _pow(Double(abs(x)), p) }
                acc += _pow(Double(Float(_pow(s, 1 / p))), p)
            }
        }
        total = p == 2 ? acc.squareRoot() : _pow(acc, 1 / p)
    }
    let totalF = Float(total)
    let coef = min(maxNorm / (totalF + 1e-6), 1)
    for g in gradients { VectorMath.scale(coef, g.baseAddress!, count: g.count) }
    return totalF
}
