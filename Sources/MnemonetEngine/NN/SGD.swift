/// Stochastic gradient descent with PyTorch's exact update (`torch.optim.SGD`):
///
///     d ← g + λ·θ                                   (weight decay λ, if ≠ 0)
///     b ← d                       on the first step (momentum μ ≠ 0)
///     b ← μ·b + (1−τ)·d           afterwards (dampening τ)
///     d ← d + μ·b  (Nesterov)  or  d ← b
///     θ ← θ − lr·d
///
/// `maximize` negates the gradient first. Parameters with `grad == nil` are skipped.
public final class SGD {
    /// The parameters updated by `step()` (empty for an optimizer driven by `update(index:…)`).
    public let parameters: [Tensor]
    /// Learning rate, momentum μ, dampening τ, weight decay λ.
    public var lr: Float, momentum: Float, dampening: Float, weightDecay: Float
    /// Nesterov momentum (requires μ > 0 and τ = 0, as in PyTorch).
    public let nesterov: Bool
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The momentum buffers (`momentum_buffer`), `nil` until a parameter's first update with μ ≠ 0.
    public var momentumBuffers: [Tensor?]

    /// An optimizer over `parameters` (PyTorch's defaults besides lr, which PyTorch 2.x defaults to 1e-3).
    public init(
        parameters: [Tensor], lr: Float = 1e-3, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0,
        nesterov: Bool = false, maximize: Bool = false
    ) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.maximize = maximize
        self.momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    /// An optimizer for `parameterCount` caller-owned parameters, updated with `update(index:…)`.
    public convenience init(
        parameterCount: Int, lr: Float = 1e-3, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0,
        nesterov: Bool = false, maximize: Bool = false
    ) {
        self.init(parameters: [], lr: lr, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
                  nesterov: nesterov, maximize: maximize)
        momentumBuffers = Array(repeating: nil, count: parameterCount)
    }

    /// One update of every parameter that has a gradient.
    public func step() {
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            precondition(g.count == p.count, "SGD.step: gradient \(g.shape) for parameter \(p.shape)")
            update(index: i, parameter: p.buffer, gradient: UnsafeBufferPointer(g.buffer))
        }
    }

    /// Sets every parameter's gradient to `nil` (default) or to zeros.
    public func zeroGrad(setToNone: Bool = true) {
        for p in parameters {
            if setToNone { p.grad = nil } else { p.grad?.fill(0) }
        }
    }

    /// One SGD update of the buffer `parameter` with `gradient`, using momentum slot `index`.
    public func update(index: Int, parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>) {
        precondition(index >= 0 && index < momentumBuffers.count, "SGD.update: index \(index) of \(momentumBuffers.count)")
        let n = parameter.count
        precondition(gradient.count == n, "SGD.update: \(gradient.count) gradient values for \(n) parameters")
        let p = parameter.baseAddress!, g = gradient.baseAddress!
        let sign: Float = maximize ? -1 : 1
        if momentum == 0 {
            for i in 0..<n {
                var d = sign * g[i]
                if weightDecay != 0 { d += weightDecay * p[i] }
                p[i] += -lr * d
            }
            return
        }
        let first = momentumBuffers[index] == nil
        if first { momentumBuffers[index] = Tensor(shape: [n]) }
        let b = momentumBuffers[index]!.pointer
        let keep = 1 - dampening
        for i in 0..<n {
            var d = sign * g[i]
            if weightDecay != 0 { d += weightDecay * p[i] }
            b[i] = first ? d : b[i] * momentum + keep * d
            d = nesterov ? d + momentum * b[i] : b[i]
            p[i] += -lr * d
        }
    }
}
