/// Fast paths for hand-fused training loops that own their gradient buffers (added by the agent, issue 4).
///
/// `clipGradNorm(gradients:)` followed by `Adam.update(index:…)` makes three passes over the gradients (norm, scale,
/// update). These two functions make it two: `gradientNorm` computes the same total norm with vector lanes, and
/// `Adam.update(index:parameter:gradient:scale:)` applies `g ← scale·g` inside the update, rounding exactly as the
/// separate scaling does, so the result is bit-identical to `VectorMath.scale` + `update(index:…)`.

/// The total 2-norm `‖(‖g₁‖, …, ‖gₙ‖)‖` that `clipGradNorm(gradients:maxNorm:)` computes (per-buffer sums of
/// squares in Double, each norm rounded to Float as PyTorch's per-tensor norms are), with 8 Double lanes.
public func gradientNorm(_ gradients: [UnsafeMutableBufferPointer<Float>]) -> Float {
    var acc = 0.0
    for g in gradients {
        let p = g.baseAddress!, n = g.count
        // Eight independent Double accumulators: with two, the loop was bound by the add latency.
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
        var s4 = SIMD4<Double>(), s5 = SIMD4<Double>(), s6 = SIMD4<Double>(), s7 = SIMD4<Double>()
        var i = 0
        while i + 32 <= n {
            let a = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(p + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            let c = UnsafeRawPointer(p + i + 16).loadUnaligned(as: SIMD8<Float>.self)
            let d = UnsafeRawPointer(p + i + 24).loadUnaligned(as: SIMD8<Float>.self)
            let a0 = SIMD4<Double>(a.lowHalf), a1 = SIMD4<Double>(a.highHalf)
            let b0 = SIMD4<Double>(b.lowHalf), b1 = SIMD4<Double>(b.highHalf)
            let c0 = SIMD4<Double>(c.lowHalf), c1 = SIMD4<Double>(c.highHalf)
            let d0 = SIMD4<Double>(d.lowHalf), d1 = SIMD4<Double>(d.highHalf)
            s0 += a0 * a0; s1 += a1 * a1; s2 += b0 * b0; s3 += b1 * b1
            s4 += c0 * c0; s5 += c1 * c1; s6 += d0 * d0; s7 += d1 * d1
            i += 32
        }
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            let lo = SIMD4<Double>(v.lowHalf), hi = SIMD4<Double>(v.highHalf)
            s0 += lo * lo
            s1 += hi * hi
            i += 8
        }
        var s = (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))).sum()
        while i < n { s += Double(p[i]) * Double(p[i]); i += 1 }
        let norm = Double(Float(s.squareRoot()))
        acc += norm * norm
    }
    return Float(acc.squareRoot())
}

/// The 2-norm of an outer-product gradient `g = d xᵀ` without forming it: `‖d‖·‖x‖` (sums of squares in Double,
/// rounded to Float like a per-tensor norm). Equal to `gradientNorm` of the formed `g` up to the rounding of its
/// products (relative ~1e-8).
public func outerProductNorm(_ d: UnsafePointer<Float>, count n: Int, _ x: UnsafePointer<Float>, count k: Int) -> Float {
    var sd = 0.0, sx = 0.0
    for i in 0..<n { sd += Double(d[i]) * Double(d[i]) }
    for j in 0..<k { sx += Double(x[j]) * Double(x[j]) }
    return Float((sd * sx).squareRoot())
}

/// The coefficient `clipGradNorm` multiplies the gradients by: `min(maxNorm / (total + 1e-6), 1)`.
@inlinable
public func clipCoefficient(totalNorm: Float, maxNorm: Float) -> Float { min(maxNorm / (totalNorm + 1e-6), 1) }

extension Adam {
    /// `update(index:parameter:gradient:)` with the gradient scaled by `scale` on the fly (the gradient buffer is not
    /// modified). Bit-identical to `VectorMath.scale(scale, gradient)` followed by `update(index:…)`. Falls back to
    /// that for weight decay or amsgrad.
    public func update(index: Int, parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>,
                       scale: Float) {
        if weightDecay != 0 || amsgrad {
            VectorMath.scale(scale, gradient.baseAddress!, count: gradient.count)
            update(index: index, parameter: parameter, gradient: UnsafeBufferPointer(gradient))
            return
        }
        precondition(index >= 0 && index < states.count, "Adam.update: index \(index) of \(states.count)")
        let n = parameter.count
        precondition(gradient.count == n, "Adam.update: \(gradient.count) gradient values for \(n) parameters")
        if states[index] == nil {
            states[index] = AdamState(step: 0, expAvg: Tensor(shape: [n]), expAvgSq: Tensor(shape: [n]), maxExpAvgSq: nil)
        }
        states[index]!.step += 1
        let state = states[index]!
        let t = Double(state.step)
        let bc1 = 1 - Double(beta1).pow(t)
        let bc2 = 1 - Double(beta2).pow(t)
        let stepSize = Float(-(Double(lr) / bc1))
        let bc2Sqrt = Float(bc2.squareRoot())
        let w1 = Float(1 - Double(beta1)), w2 = Float(1 - Double(beta2)), b2 = beta2, e = eps
        let p = parameter.baseAddress!, g = gradient.baseAddress!
        let m = state.expAvg.pointer, v = state.expAvgSq.pointer
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= n {
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: V.self) * scale
            let m0 = UnsafeRawPointer(m + i).loadUnaligned(as: V.self)
            let v0 = UnsafeRawPointer(v + i).loadUnaligned(as: V.self)
            let p0 = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            let m1 = m0 + w1 * (gv - m0)
            let v1 = v0 * b2 + w2 * (gv * gv)
            let denom = VectorMath.squareRoot(v1) / bc2Sqrt + e
            UnsafeMutableRawPointer(p + i).storeBytes(of: p0 + stepSize * (m1 / denom), as: V.self)
            UnsafeMutableRawPointer(m + i).storeBytes(of: m1, as: V.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: v1, as: V.self)
            i += 8
        }
        while i < n {
            let gs = g[i] * scale
            let m1 = m[i] + w1 * (gs - m[i])
            let v1 = v[i] * b2 + w2 * (gs * gs)
            let denom = v1.squareRoot() / bc2Sqrt + e
            p[i] = p[i] + stepSize * (m1 / denom)
            m[i] = m1
            v[i] = v1
            i += 1
        }
    }

    /// `update(index:parameter:gradient:scale:)` for a parameter [n, k] whose gradient is the outer product
    /// `g[i, j] = d[i] · x[j]` (a linear layer's weight gradient for one input row), formed on the fly: no gradient
    /// buffer is written or read. Bit-identical to forming `g` (one Float product per entry) and then updating.
    public func update(index: Int, parameter: UnsafeMutableBufferPointer<Float>, outerLeft d: UnsafePointer<Float>,
                       rows n: Int, outerRight x: UnsafePointer<Float>, columns k: Int, scale: Float) {
        precondition(parameter.count == n * k, "Adam.update: \(parameter.count) parameters for a [\(n), \(k)] outer product")
        precondition(index >= 0 && index < states.count, "Adam.update: index \(index) of \(states.count)")
        precondition(weightDecay == 0 && !amsgrad, "Adam.update(outerLeft:…) supports neither weight decay nor amsgrad")
        if states[index] == nil {
            states[index] = AdamState(step: 0, expAvg: Tensor(shape: [n * k]), expAvgSq: Tensor(shape: [n * k]),
                                      maxExpAvgSq: nil)
        }
        states[index]!.step += 1
        let state = states[index]!
        let t = Double(state.step)
        let bc1 = 1 - Double(beta1).pow(t)
        let bc2 = 1 - Double(beta2).pow(t)
        let stepSize = Float(-(Double(lr) / bc1))
        let bc2Sqrt = Float(bc2.squareRoot())
        let w1 = Float(1 - Double(beta1)), w2 = Float(1 - Double(beta2)), b2 = beta2, e = eps
        typealias V = SIMD8<Float>
        for i in 0..<n {
            let di = d[i]
            let p = parameter.baseAddress! + i * k, m = state.expAvg.pointer + i * k, v = state.expAvgSq.pointer + i * k
            var j = 0
            while j + 8 <= k {
                let gv = (di * UnsafeRawPointer(x + j).loadUnaligned(as: V.self)) * scale
                let m0 = UnsafeRawPointer(m + j).loadUnaligned(as: V.self)
                let v0 = UnsafeRawPointer(v + j).loadUnaligned(as: V.self)
                let p0 = UnsafeRawPointer(p + j).loadUnaligned(as: V.self)
                let m1 = m0 + w1 * (gv - m0)
                let v1 = v0 * b2 + w2 * (gv * gv)
                let denom = VectorMath.squareRoot(v1) / bc2Sqrt + e
                UnsafeMutableRawPointer(p + j).storeBytes(of: p0 + stepSize * (m1 / denom), as: V.self)
                UnsafeMutableRawPointer(m + j).storeBytes(of: m1, as: V.self)
                UnsafeMutableRawPointer(v + j).storeBytes(of: v1, as: V.self)
                j += 8
            }
            while j < k {
                let gs = (di * x[j]) * scale
                let m1 = m[j] + w1 * (gs - m[j])
                let v1 = v[j] * b2 + w2 * (gs * gs)
                let denom = v1.squareRoot() / bc2Sqrt + e
                p[j] = p[j] + stepSize * (m1 / denom)
                m[j] = m1
                v[j] = v1
                j += 1
            }
        }
    }
}
