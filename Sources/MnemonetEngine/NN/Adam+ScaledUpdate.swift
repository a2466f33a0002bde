#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Fast paths for hand-fused training loops that own their gradient buffers (added by the agent, issue 4).
///
/// `clipGradNorm(gradients:)` followed by `Adam.update(index:…)` makes three passes over the gradients (norm, scale,
/// update). These two functions make it two: `gradientNorm` computes the same total norm with vector lanes, and
/// `Adam.update(index:parameter:gradient:scale:)` applies `g ← scale·g` inside the update, rounding exactly as the
/// separate scaling does, so the result is bit-identical to `VectorMath.scale` + `update(index:…)`.
///
/// With `Adam.fastDivision` the two fast paths replace the two divisions of PyTorch's update (per 8 parameters one
/// `sqrtps` and two `divps`, which bind the loop to the divider) by one reciprocal estimate refined with a Newton
/// step, `θ ← θ + (s·√bc₂) · m · r(√v + ε√bc₂)` (the same quotient, rearranged; √v stays the exact `sqrtps`):
/// within a few 1e-7 of PyTorch's update, relative (`AdamScaledUpdateTests` bounds it), no longer bit-identical.
/// (An `rsqrtps` estimate of √v as well was measured slower on this machine's Xeon, not faster: 148 against 62 µs
/// for 92k parameters, where the reciprocal alone gives 41 µs.)

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

/// The scalars of one Adam step, rounded as PyTorch rounds them (bias corrections in Double, then Float), and the
/// per-element update `m ← m + (1−β₁)(g − m)`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − lr/bc₁ · m / (√v/√bc₂ + ε)`.
/// One definition for the fast paths below (no weight decay, no amsgrad) and `Adam.update`.
@usableFromInline
struct AdamStepConstants {
    let stepSize: Float, bc2Sqrt: Float, w1: Float, w2: Float, b2: Float, eps: Float

    init(_ adam: Adam, step: Int) {
        let t = Double(step)
        let bc1 = 1 - Double(adam.beta1).pow(t)
        let bc2 = 1 - Double(adam.beta2).pow(t)
        stepSize = Float(-(Double(adam.lr) / bc1))
        bc2Sqrt = Float(bc2.squareRoot())
        w1 = Float(1 - Double(adam.beta1))
        w2 = Float(1 - Double(adam.beta2))
        b2 = adam.beta2
        eps = adam.eps
    }

    /// Updates eight consecutive parameters at `p` (moments at `m`, `v`) with gradients `g`. With `fast` (a
    /// constant at every call site) the estimate of `Adam.fastDivision` (see the file's doc): the quotient as a
    /// product with rcp(√v + ε√bc₂), refined by one Newton step (≈ 23 correct bits); that denominator is ≥ ε√bc₂ > 0.
    @inline(__always)
    func apply(_ g: SIMD8<Float>, p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
               v: UnsafeMutablePointer<Float>, fast: Bool = false) {
        typealias V = SIMD8<Float>
        let m0 = UnsafeRawPointer(m).loadUnaligned(as: V.self)
        let v0 = UnsafeRawPointer(v).loadUnaligned(as: V.self)
        let p0 = UnsafeRawPointer(p).loadUnaligned(as: V.self)
        let m1 = m0 + w1 * (g - m0)
        let v1 = v0 * b2 + w2 * (g * g)
        let p1: V
        if fast {
            let denom = VectorMath.squareRoot(v1) + eps * bc2Sqrt
            p1 = p0 + (stepSize * bc2Sqrt) * (m1 * AdamEstimates.reciprocal(denom))
        } else {
            p1 = p0 + stepSize * (m1 / (VectorMath.squareRoot(v1) / bc2Sqrt + eps))
        }
        UnsafeMutableRawPointer(p).storeBytes(of: p1, as: V.self)
        UnsafeMutableRawPointer(m).storeBytes(of: m1, as: V.self)
        UnsafeMutableRawPointer(v).storeBytes(of: v1, as: V.self)
    }

    /// Updates one parameter (the loops' tails), rounding exactly as the vector lanes do.
    @inline(__always)
    func apply(_ g: Float, p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) {
        let m1 = m.pointee + w1 * (g - m.pointee)
        let v1 = v.pointee * b2 + w2 * (g * g)
        let denom = v1.squareRoot() / bc2Sqrt + eps
        p.pointee = p.pointee + stepSize * (m1 / denom)
        m.pointee = m1
        v.pointee = v1
    }
}

/// The refined hardware estimate `AdamStepConstants.apply(…, fast: true)` uses (the exact division off x86-64).
@usableFromInline
enum AdamEstimates {
    typealias V = SIMD8<Float>

    /// 1/d from `rcpps` (12 bits) and one Newton step r ← r + r(1 − d r): relative error ≲ 2.5e-7 for normal d > 0.
    @inline(__always)
    static func reciprocal(_ d: V) -> V {
        #if arch(x86_64) && MNEMONET_HASWELL
        // One 256-bit `vrcpps` (the same estimate per lane as two 128-bit ones, so bit-identical; measured: Adam over
        // the agent's 92k parameters 46–47 → 40 µs, the step 80.7 → 72.0 µs on a Zen 4 EPYC). Needs AVX at compile
        // time, hence the condition (a baseline x86-64 build takes the 128-bit path below).
        let r = _mm256_rcp_ps(d)
        return r + r * (1 - d * r)
        #elseif arch(x86_64)
        let r = V(lowHalf: _mm_rcp_ps(d.lowHalf), highHalf: _mm_rcp_ps(d.highHalf))
        return r + r * (1 - d * r)
        #else
        return 1 / d
        #endif
    }
}

extension Adam {
    /// Advances state slot `index` (created with `count` zeros if new) by one step and returns it.
    @usableFromInline
    func advance(index: Int, count: Int) -> AdamState {
        precondition(index >= 0 && index < states.count, "Adam.update: index \(index) of \(states.count)")
        if states[index] == nil {
            states[index] = AdamState(step: 0, expAvg: Tensor(shape: [count]), expAvgSq: Tensor(shape: [count]),
                                      maxExpAvgSq: amsgrad ? Tensor(shape: [count]) : nil)
        }
        states[index]!.step += 1
        return states[index]!
    }

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
        let n = parameter.count
        precondition(gradient.count == n, "Adam.update: \(gradient.count) gradient values for \(n) parameters")
        let state = advance(index: index, count: n)
        let c = AdamStepConstants(self, step: state.step)
        let p = parameter.baseAddress!, g = gradient.baseAddress!
        let m = state.expAvg.pointer, v = state.expAvgSq.pointer
        var i = 0
        if fastDivision {
            i = withSubnormalsFlushed {
                var i = 0
                while i + 8 <= n {
                    c.apply(UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self) * scale, p: p + i,
                            m: m + i, v: v + i, fast: true)
                    i += 8
                }
                return i
            }
        }
        while i + 8 <= n {
            c.apply(UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self) * scale, p: p + i, m: m + i, v: v + i)
            i += 8
        }
        while i < n {
            c.apply(g[i] * scale, p: p + i, m: m + i, v: v + i)
            i += 1
        }
    }

    /// `update(index:parameter:gradient:scale:)` for a parameter [n, k] whose gradient is the outer product
    /// `g[i, j] = d[i] · x[j]` (a linear layer's weight gradient for one input row), formed on the fly: no gradient
    /// buffer is written or read. Bit-identical to forming `g` (one Float product per entry) and then updating.
    public func update(index: Int, parameter: UnsafeMutableBufferPointer<Float>, outerLeft d: UnsafePointer<Float>,
                       rows n: Int, outerRight x: UnsafePointer<Float>, columns k: Int, scale: Float) {
        precondition(parameter.count == n * k, "Adam.update: \(parameter.count) parameters for a [\(n), \(k)] outer product")
        precondition(weightDecay == 0 && !amsgrad, "Adam.update(outerLeft:…) supports neither weight decay nor amsgrad")
        let state = advance(index: index, count: n * k)
        let c = AdamStepConstants(self, step: state.step)
        if fastDivision && k >= 8 {
            // Whole rows of 8-lane blocks with the estimate, subnormals flushed; the tails (k mod 8) exactly below.
            withSubnormalsFlushed {
                for i in 0..<n {
                    let di = d[i], o = i * k
                    let p = parameter.baseAddress! + o, m = state.expAvg.pointer + o, v = state.expAvgSq.pointer + o
                    var j = 0
                    while j + 8 <= k {
                        c.apply((di * UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)) * scale,
                                p: p + j, m: m + j, v: v + j, fast: true)
                        j += 8
                    }
                }
            }
        }
        let start = fastDivision ? k - k % 8 : 0
        for i in 0..<n {
            let di = d[i]
            let p = parameter.baseAddress! + i * k, m = state.expAvg.pointer + i * k, v = state.expAvgSq.pointer + i * k
            var j = start
            while j + 8 <= k {
                c.apply((di * UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)) * scale, p: p + j, m: m + j, v: v + j)
                j += 8
            }
            while j < k {
                c.apply((di * x[j]) * scale, p: p + j, m: m + j, v: v + j)
                j += 1
            }
        }
    }
}
