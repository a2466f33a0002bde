/// The per-parameter state of `Adam` (PyTorch's `optimizer.state[p]`).
public struct AdamState {
    /// The number of updates applied so far (PyTorch's `step`).
    public var step: Int
    /// First-moment estimate m_t (`exp_avg`), same shape as the parameter.
    public var expAvg: Tensor
    /// Second-moment estimate v_t (`exp_avg_sq`).
    public var expAvgSq: Tensor
    /// max_τ≤t v_τ (`max_exp_avg_sq`), only with `amsgrad`.
    public var maxExpAvgSq: Tensor?

    /// A state restored from a checkpoint (or PyTorch's `optimizer.state_dict()`): `step` updates applied so far and
    /// the moment estimates, each with the parameter's element count.
    public init(step: Int, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor? = nil) {
        self.step = step
        self.expAvg = expAvg
        self.expAvgSq = expAvgSq
        self.maxExpAvgSq = maxExpAvgSq
    }
}

/// Adam (Kingma & Ba 2015) with PyTorch's exact update (`torch.optim.Adam`, single-tensor path, float32):
///
///     g ← g + λ·θ                                  (weight decay λ, if ≠ 0)
///     m ← m + (1−β₁)·(g − m)                        (exp_avg.lerp_(g, 1−β₁))
///     v ← β₂·v + (1−β₂)·g²
///     v̂max ← max(v̂max, v)                           (amsgrad only; then v̂max replaces v below)
///     denom ← √v / √(1−β₂ᵗ) + ε
///     θ ← θ − (lr / (1−β₁ᵗ)) · m / denom
///
/// The bias corrections are computed in Double and rounded to Float, as PyTorch does with Python scalars.
/// Defaults are PyTorch's: lr 1e-3, β = (0.9, 0.999), ε = 1e-8, no weight decay, no amsgrad.
///
/// Two ways to drive it: over `Tensor`s whose `grad` was filled (`step()`, parameters with `grad == nil` are skipped,
/// as in PyTorch), or over raw (parameter, gradient) buffer pairs owned by hand-fused code (`update(index:…)`).
public final class Adam {
    /// The parameters updated by `step()` (empty for an optimizer driven by `update(index:…)`).
    public let parameters: [Tensor]
    /// Learning rate.
    public var lr: Float
    /// β₁, β₂.
    public var beta1: Float, beta2: Float
    /// ε, added to the denominator.
    public var eps: Float
    /// L2 penalty λ added to the gradient (PyTorch's `weight_decay`; not AdamW's decoupled decay).
    public var weightDecay: Float
    /// Use the running maximum of v (Reddi et al. 2018).
    public let amsgrad: Bool
    /// Per-parameter state, `nil` until the parameter's first update.
    public var states: [AdamState?]
    /// The fast paths (`update(index:parameter:gradient:scale:)` and the outer-product form) compute √v and the
    /// quotient from refined hardware estimates instead of `sqrtps`/`divps`: within a few 1e-7 of PyTorch's update,
    /// relative, instead of bit-identical (see `Adam+ScaledUpdate.swift`). Off by default; `step()` and
    /// `update(index:parameter:gradient:)` are always exact.
    public var fastDivision = false

    /// An optimizer over `parameters` (PyTorch's defaults).
    public init(
        parameters: [Tensor], lr: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
        weightDecay: Float = 0, amsgrad: Bool = false
    ) {
        self.parameters = parameters
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.states = Array(repeating: nil, count: parameters.count)
    }

    /// An optimizer for `parameterCount` parameters owned by the caller, updated with `update(index:…)`.
    public convenience init(
        parameterCount: Int, lr: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
        weightDecay: Float = 0, amsgrad: Bool = false
    ) {
        self.init(parameters: [], lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                  amsgrad: amsgrad)
        states = Array(repeating: nil, count: parameterCount)
    }

    /// One update of every parameter that has a gradient (`grad != nil`).
    public func step() {
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            precondition(g.count == p.count, "Adam.step: gradient \(g.shape) for parameter \(p.shape)")
            update(index: i, parameter: p.buffer, gradient: UnsafeBufferPointer(g.buffer))
        }
    }

    /// Sets every parameter's gradient to `nil` (PyTorch's default `set_to_none=True`) or to zeros.
    public func zeroGrad(setToNone: Bool = true) {
        for p in parameters {
            if setToNone { p.grad = nil } else { p.grad?.fill(0) }
        }
    }

    /// One Adam update of the parameter buffer `parameter` with `gradient` (same count), using state slot `index`.
    public func update(index: Int, parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>) {
        let n = parameter.count
        precondition(gradient.count == n, "Adam.update: \(gradient.count) gradient values for \(n) parameters")
        let state = advance(index: index, count: n)
        let c = AdamStepConstants(self, step: state.step)
        let stepSize = c.stepSize, bc2Sqrt = c.bc2Sqrt, w1 = c.w1, w2 = c.w2, b2 = c.b2, e = c.eps, wd = weightDecay
        let p = parameter.baseAddress!, g = gradient.baseAddress!
        let m = state.expAvg.pointer, v = state.expAvgSq.pointer, vmax = state.maxExpAvgSq?.pointer
        typealias V = SIMD8<Float>
        @inline(__always) func lane(_ p: V, _ g0: V, _ m0: V, _ v0: V, _ vm0: V) -> (V, V, V, V) {
            let g = wd != 0 ? g0 + wd * p : g0
            let m = m0 + w1 * (g - m0)
            let v = v0 * b2 + w2 * (g * g)
            var vm = vm0
            let denom: V
            if vmax != nil {
                vm = pointwiseMax(vm0, v)
                denom = VectorMath.squareRoot(vm) / bc2Sqrt + e
            } else {
                denom = VectorMath.squareRoot(v) / bc2Sqrt + e
            }
            return (p + stepSize * (m / denom), m, v, vm)
        }
        var i = 0
        while i + 8 <= n {
            func ld(_ q: UnsafeMutablePointer<Float>?) -> V {
                guard let q else { return V() }
                return UnsafeRawPointer(q + i).loadUnaligned(as: V.self)
            }
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
            let (np, nm, nv, nvm) = lane(ld(p), gv, ld(m), ld(v), ld(vmax))
            UnsafeMutableRawPointer(p + i).storeBytes(of: np, as: V.self)
            UnsafeMutableRawPointer(m + i).storeBytes(of: nm, as: V.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: nv, as: V.self)
            if let vmax { UnsafeMutableRawPointer(vmax + i).storeBytes(of: nvm, as: V.self) }
            i += 8
        }
        while i < n {
            let (np, nm, nv, nvm) = lane(
                V(repeating: p[i]), V(repeating: g[i]), V(repeating: m[i]), V(repeating: v[i]),
                V(repeating: vmax?[i] ?? 0))
            p[i] = np[0]; m[i] = nm[0]; v[i] = nv[0]
            vmax?[i] = nvm[0]
            i += 1
        }
    }
}

extension Double {
    /// selfᵉ for a non-negative integer-valued exponent (repeated squaring; exact like Python's `float ** int`
    /// up to rounding).
    @usableFromInline func pow(_ e: Double) -> Double {
        var result = 1.0, base = self, k = Int(e)
        while k > 0 {
            if k & 1 == 1 { result *= base }
            base *= base
            k >>= 1
        }
        return result
    }
}
