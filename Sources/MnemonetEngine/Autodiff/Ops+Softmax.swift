/// Softmax, log-softmax (last axis) and L2 normalisation.
///
///   softmax:      yᵢ = e^{xᵢ − max x} / Σⱼ e^{xⱼ − max x};      ∂x = y ⊙ (g − Σ g⊙y)
///   logSoftmax:   yᵢ = xᵢ − max x − log Σⱼ e^{xⱼ − max x};       ∂x = g − eʸ ⊙ Σ g
///   normalized:   y = x / max(‖x‖₂, ε) along an axis (`F.normalize`, ε = 1e-12)
/// Rows that are all −inf give NaN (as in PyTorch).

extension Variable {
    /// Softmax over the last axis.
    public func softmax() -> Variable {
        let out = Tensor(uninitializedShape: shape)
        let n = shape.last ?? 1
        let rows = n == 0 ? 0 : count / n
        for r in 0..<rows {
            let src = value.pointer + r * n, dst = out.pointer + r * n
            var m = -Float.infinity
            for j in 0..<n { m = Swift.max(m, src[j]) }
            VectorMath.map(src, dst, count: n) { VectorMath.exp($0 - m) }
            VectorMath.scale(1 / VectorMath.sum(dst, count: n), dst, count: n)
        }
        let x = self
        return Variable.make(out, x, pullback: { g, y in
            accumulate(into: x, y * (g - (g * y).sum(axis: -1, keepDims: true)))
        })
    }

    /// log(softmax(x)) over the last axis, computed stably.
    public func logSoftmax() -> Variable {
        let out = Tensor(uninitializedShape: shape)
        let n = shape.last ?? 1
        let rows = n == 0 ? 0 : count / n
        for r in 0..<rows {
            let src = value.pointer + r * n, dst = out.pointer + r * n
            var m = -Float.infinity
            for j in 0..<n { m = Swift.max(m, src[j]) }
            VectorMath.map(src, dst, count: n) { VectorMath.exp($0 - m) }
            let lse = m + _logf(VectorMath.sum(dst, count: n))
            VectorMath.map(src, dst, count: n) { $0 - lse }
        }
        let x = self
        return Variable.make(out, x, pullback: { g, y in
            accumulate(into: x, g - y.exp() * g.sum(axis: -1, keepDims: true))
        })
    }

    /// ‖x‖₂ along `axis` (kept as size 1). ∂x = g⊙x/‖x‖ (0 where ‖x‖ = 0, like PyTorch's norm backward).
    public func norm(axis: Int = -1, keepDims: Bool = true) -> Variable {
        let n = squared().sum(axis: axis, keepDims: true)
        let out = Tensor(uninitializedShape: n.shape)
        VectorMath.map(n.value.pointer, out.pointer, count: out.count) { VectorMath.squareRoot($0) }
        let x = self
        let result = Variable.make(out, x, pullback: { g, y in accumulate(into: x, x * (g * y.safeReciprocal())) })
        if keepDims { return result }
        var s = shape
        s.remove(at: normalizeAxis(axis, rank: rank))
        return result.reshaped(s)
    }

    /// x / max(‖x‖₂, eps) along `axis` (`F.normalize(x, p=2, dim=axis, eps=1e-12)`).
    public func normalized(axis: Int = -1, eps: Float = 1e-12) -> Variable {
        self / norm(axis: axis).clamped(min: eps)
    }
}
