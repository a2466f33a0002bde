/// Element-wise ops: broadcasting `+ − × ÷`, scalar variants, negation and the unary functions.
///
/// Binary ops broadcast like NumPy (see `Broadcast`); their pullbacks sum the gradient back over the broadcast
/// dimensions (`sumToShape`). Unary pullbacks use the op's output where cheaper (exp, tanh, sigmoid, sqrt).

typealias V8 = SIMD8<Float>

extension Variable {
    /// Σ of `self` over broadcast dimensions so that the result has `shape` (identity when shapes match).
    /// Pullback: broadcast back (`expand`).
    public func sumToShape(_ shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        let x = self
        return Variable.make(Broadcast.sum(value, to: shape), x, pullback: { g, _ in
            accumulate(into: x, g.expand(to: x.shape))
        })
    }

    /// `self` broadcast to `shape` (a copy). Pullback: `sumToShape`.
    public func expand(to shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        let x = self
        return Variable.make(Broadcast.expand(value, to: shape), x, pullback: { g, _ in
            accumulate(into: x, g.sumToShape(x.shape))
        })
    }
}

// MARK: Binary

/// a + b (broadcasting). ∂/∂a = g, ∂/∂b = g (summed over broadcast dimensions).
public func + (a: Variable, b: Variable) -> Variable {
    Variable.make(Broadcast.binary(a.value, b.value) { $0 + $1 }, a, b, pullback: { g, _ in
        if a.needsGradient { accumulate(into: a, g.sumToShape(a.shape)) }
        if b.needsGradient { accumulate(into: b, g.sumToShape(b.shape)) }
    })
}

/// a − b (broadcasting). ∂/∂a = g, ∂/∂b = −g.
public func - (a: Variable, b: Variable) -> Variable {
    Variable.make(Broadcast.binary(a.value, b.value) { $0 - $1 }, a, b, pullback: { g, _ in
        if a.needsGradient { accumulate(into: a, g.sumToShape(a.shape)) }
        if b.needsGradient { accumulate(into: b, (-g).sumToShape(b.shape)) }
    })
}

/// a ⊙ b (broadcasting). ∂/∂a = g⊙b, ∂/∂b = g⊙a.
public func * (a: Variable, b: Variable) -> Variable {
    Variable.make(Broadcast.binary(a.value, b.value) { $0 * $1 }, a, b, pullback: { g, _ in
        if a.needsGradient { accumulate(into: a, (g * b).sumToShape(a.shape)) }
        if b.needsGradient { accumulate(into: b, (g * a).sumToShape(b.shape)) }
    })
}

/// a ⊘ b (broadcasting). ∂/∂a = g⊘b, ∂/∂b = −g⊙a⊘b².
public func / (a: Variable, b: Variable) -> Variable {
    Variable.make(Broadcast.binary(a.value, b.value) { $0 / $1 }, a, b, pullback: { g, _ in
        if a.needsGradient { accumulate(into: a, (g / b).sumToShape(a.shape)) }
        if b.needsGradient { accumulate(into: b, (-(g * a) / (b * b)).sumToShape(b.shape)) }
    })
}

// MARK: Scalar

/// x + s.
public func + (x: Variable, s: Float) -> Variable {
    let out = Tensor(uninitializedShape: x.shape)
    VectorMath.map(x.value.pointer, out.pointer, count: out.count) { $0 + s }
    return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, g) })
}
/// s + x.
public func + (s: Float, x: Variable) -> Variable { x + s }
/// x − s.
public func - (x: Variable, s: Float) -> Variable { x + (-s) }
/// s − x.
public func - (s: Float, x: Variable) -> Variable {
    let out = Tensor(uninitializedShape: x.shape)
    VectorMath.map(x.value.pointer, out.pointer, count: out.count) { s - $0 }
    return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, -g) })
}
/// x·s.
public func * (x: Variable, s: Float) -> Variable {
    let out = Tensor(uninitializedShape: x.shape)
    VectorMath.map(x.value.pointer, out.pointer, count: out.count) { $0 * s }
    return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, g * s) })
}
/// s·x.
public func * (s: Float, x: Variable) -> Variable { x * s }
/// x / s.
public func / (x: Variable, s: Float) -> Variable { x * (1 / s) }
/// s / x. ∂/∂x = −g·s/x².
public func / (s: Float, x: Variable) -> Variable {
    let out = Tensor(uninitializedShape: x.shape)
    VectorMath.map(x.value.pointer, out.pointer, count: out.count) { s / $0 }
    return Variable.make(out, x, pullback: { g, y in accumulate(into: x, -(g * y) / x) })
}

/// −x.
public prefix func - (x: Variable) -> Variable {
    let out = Tensor(uninitializedShape: x.shape)
    VectorMath.map(x.value.pointer, out.pointer, count: out.count) { -$0 }
    return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, -g) })
}

// MARK: Unary

extension Variable {
    @inline(__always)
    func unary(_ f: (V8) -> V8) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        VectorMath.map(value.pointer, out.pointer, count: out.count, f)
        return out
    }

    /// eˣ. ∂ = g⊙y.
    public func exp() -> Variable {
        let x = self
        return Variable.make(unary { VectorMath.exp($0) }, x, pullback: { g, y in accumulate(into: x, g * y) })
    }

    /// ln x. ∂ = g⊘x.
    public func log() -> Variable {
        let x = self
        return Variable.make(unary { VectorMath.log($0) }, x, pullback: { g, _ in accumulate(into: x, g / x) })
    }

    /// √x. ∂ = g⊘(2y).
    public func sqrt() -> Variable {
        let x = self
        return Variable.make(unary { VectorMath.squareRoot($0) }, x, pullback: { g, y in accumulate(into: x, (g * 0.5) / y) })
    }

    /// tanh x. ∂ = g⊙(1 − y²).
    public func tanh() -> Variable {
        let x = self
        return Variable.make(unary { VectorMath.tanh($0) }, x, pullback: { g, y in accumulate(into: x, g * (1 - y * y)) })
    }

    /// σ(x) = 1/(1+e⁻ˣ). ∂ = g⊙y⊙(1 − y).
    public func sigmoid() -> Variable {
        let x = self
        return Variable.make(unary { VectorMath.sigmoid($0) }, x, pullback: { g, y in accumulate(into: x, g * (y * (1 - y))) })
    }

    /// PyTorch's softplus (β = 1, threshold 20): x if x > 20 else log(1 + eˣ). ∂ = g⊙σ(x) (g where x > 20).
    public func softplus() -> Variable {
        let x = self
        return Variable.make(unary { VectorMath.softplus($0) }, x, pullback: { g, _ in
            let s = x.sigmoid()
            var above = false
            for i in 0..<x.count where x.value.pointer[i] > 20 { above = true; break }
            if !above { accumulate(into: x, g * s); return }
            let mask = Tensor(uninitializedShape: x.shape)  // 1 where x ≤ 20
            for i in 0..<x.count { mask.pointer[i] = x.value.pointer[i] > 20 ? 0 : 1 }
            let m = Variable(mask)
            accumulate(into: x, g * (s * m + (1 - m)))
        })
    }

    /// max(x, 0). ∂ = g⊙[x > 0].
    public func relu() -> Variable {
        let x = self
        return Variable.make(unary { VectorMath.relu($0) }, x, pullback: { g, _ in accumulate(into: x, g * x.mask { $0 > 0 }) })
    }

    /// x². ∂ = 2g⊙x.
    public func squared() -> Variable { self * self }

    /// clamp(x, lo, hi). ∂ = g⊙[lo ≤ x ≤ hi] (PyTorch's convention: the gradient passes at the bounds).
    public func clamped(min lo: Float = -.infinity, max hi: Float = .infinity) -> Variable {
        let x = self
        return Variable.make(unary { $0.clamped(lowerBound: V8(repeating: lo), upperBound: V8(repeating: hi)) }, x, pullback: { g, _ in
            accumulate(into: x, g * x.mask { $0 >= lo && $0 <= hi })
        })
    }

    /// 1/x where x ≠ 0, and 0 where x = 0. ∂ = −g/x² (0 where x = 0). Used where a norm may vanish.
    public func safeReciprocal() -> Variable {
        let x = self
        let out = Tensor(uninitializedShape: shape)
        for i in 0..<count { let v = value.pointer[i]; out.pointer[i] = v == 0 ? 0 : 1 / v }
        return Variable.make(out, x, pullback: { g, y in accumulate(into: x, -(g * (y * y))) })
    }

    /// A constant 0/1 tensor: 1 where `predicate(x)` holds.
    public func mask(_ predicate: (Float) -> Bool) -> Variable {
        let out = Tensor(uninitializedShape: shape)
        for i in 0..<count { out.pointer[i] = predicate(value.pointer[i]) ? 1 : 0 }
        return Variable(out)
    }

    /// `value` where `mask` (a constant, broadcastable to `self`) is nonzero, `self` elsewhere (PyTorch's
    /// `masked_fill`). ∂ = g⊙(1 − mask).
    public func maskedFill(_ mask: Tensor, with fill: Float) -> Variable {
        let x = self
        let out = Broadcast.binary(value, mask) { v, m in v.replacing(with: fill, where: m .!= 0) }
        return Variable.make(out, x, pullback: { g, _ in
            let keep = Variable(Broadcast.binary(x.value, mask) { _, m in V8(repeating: 1).replacing(with: 0, where: m .!= 0) })
            accumulate(into: x, g * keep)
        })
    }
}
