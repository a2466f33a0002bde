/// Functional layers: differentiable functions of explicit parameter `Variable`s (learn2learn/`torch.func` style),
/// so that adapted parameters are new variables and meta-parameters are never mutated.

/// An activation applied by fused layers.
public enum Activation: Sendable {
    case identity, relu, tanh, sigmoid

    /// The activation as a composed op (the reference for the fused path).
    public func apply(_ x: Variable) -> Variable {
        switch self {
        case .identity: return x
        case .relu: return x.relu()
        case .tanh: return x.tanh()
        case .sigmoid: return x.sigmoid()
        }
    }
}

/// y = act(x·Wᵀ + b) — `F.linear` with PyTorch's layout: x [N, in] (or [in]), weight [out, in], bias [out] (optional)
/// → [N, out] (or [out]).
///
/// Fused: one sgemm with the bias preloaded into the output, the activation applied in place, and one node whose
/// pullback is g' = g⊙act'(y); ∂x = g'·W, ∂W = g'ᵀ·x, ∂b = Σ_rows g' — all differentiable ops, so second order works.
public func linear(_ x: Variable, _ weight: Variable, _ bias: Variable?, activation: Activation = .identity) -> Variable {
    precondition(weight.rank == 2, "linear: weight must be [out, in], got \(weight.shape)")
    let outF = weight.shape[0], inF = weight.shape[1]
    if x.rank == 1 {
        return linear(x.reshaped([1, x.count]), weight, bias, activation: activation).reshaped([outF])
    }
    precondition(x.rank == 2 && x.shape[1] == inF, "linear: input \(x.shape) for weight \(weight.shape) (need [N, \(inF)])")
    if let bias { precondition(bias.shape == [outF], "linear: bias \(bias.shape) for weight \(weight.shape)") }
    let n = x.shape[0]
    let out = Tensor(uninitializedShape: [n, outF])
    if let bias {
        for i in 0..<n { (out.pointer + i * outF).update(from: bias.value.pointer, count: outF) }
    }
    BLAS.gemm(transB: true, m: n, n: outF, k: inF, x.value.pointer, lda: inF, weight.value.pointer, ldb: inF,
              beta: bias == nil ? 0 : 1, out.pointer, ldc: outF)
    switch activation {
    case .identity: break
    case .relu: VectorMath.relu(out.pointer, out.pointer, count: out.count)
    case .tanh: VectorMath.tanh(out.pointer, out.pointer, count: out.count)
    case .sigmoid: VectorMath.sigmoid(out.pointer, out.pointer, count: out.count)
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.make(out, inputs) { g, y in
        let gz: Variable
        switch activation {
        case .identity: gz = g
        case .relu: gz = g * y.mask { $0 > 0 }
        case .tanh: gz = g * (1 - y * y)
        case .sigmoid: gz = g * (y * (1 - y))
        }
        if x.needsGradient { accumulate(into: x, matmul(gz, weight)) }
        if weight.needsGradient { accumulate(into: weight, matmul(gz, x, transposeA: true)) }
        if let bias, bias.needsGradient { accumulate(into: bias, gz.sum(axis: 0)) }
    }
}

/// A multilayer perceptron as a function of its parameters `[W₁, b₁, W₂, b₂, …]` (PyTorch layouts): hidden layers use
/// `activation`, the last layer is linear.
public func mlp(_ x: Variable, parameters: [Variable], activation: Activation = .relu) -> Variable {
    precondition(parameters.count % 2 == 0 && !parameters.isEmpty, "mlp: parameters must be [W1, b1, W2, b2, …]")
    var h = x
    let layers = parameters.count / 2
    for l in 0..<layers {
        h = linear(h, parameters[2 * l], parameters[2 * l + 1], activation: l == layers - 1 ? .identity : activation)
    }
    return h
}
