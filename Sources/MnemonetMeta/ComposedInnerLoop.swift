import MnemonetEngine

/// The reference meta-gradient, composed from the engine's autodiff: the inner loop is built from differentiable
/// ops (`mlp`, `mseLoss`) and differentiated with `gradients(of:wrt:createGraph: true)`, exactly as a functional
/// PyTorch MAML uses `torch.autograd.grad(..., create_graph=True)`:
///
///     θ′ = θ − α ⊙ ∇L^s(θ)     (graph kept unless first order)
///     ∇_θ L^q(θ′(θ)), ∇_α L^q(θ′(θ, α))   by reverse mode through the whole graph
///
/// It works for any learner the engine can express; for the ``MLP`` the fused ``InnerLoop`` computes the same
/// quantities with hand-derived Hessian-vector products and is tested against this path.
public final class ComposedInnerLoop {
    /// The network.
    public let mlp: MLP

    /// A composed loop for `mlp`.
    public init(_ mlp: MLP) { self.mlp = mlp }

    /// θ (flat, PyTorch layout) as leaf variables [W₀, b₀, W₁, b₁, …].
    func variables(_ theta: UnsafePointer<Float>, requiresGrad: Bool) -> [Variable] {
        var out: [Variable] = []
        for l in 0..<mlp.layerCount {
            let fin = mlp.layerSizes[l], fout = mlp.layerSizes[l + 1]
            let w = Array(UnsafeBufferPointer(start: theta + mlp.weightOffsets[l], count: fout * fin))
            let b = Array(UnsafeBufferPointer(start: theta + mlp.biasOffsets[l], count: fout))
            out.append(Variable(Tensor(shape: [fout, fin], values: w), requiresGrad: requiresGrad))
            out.append(Variable(Tensor(shape: [fout], values: b), requiresGrad: requiresGrad))
        }
        return out
    }

    func batch(_ p: UnsafePointer<Float>, rows: Int, width: Int) -> Variable {
        Variable(Tensor(shape: [rows, width], values: Array(UnsafeBufferPointer(start: p, count: rows * width))))
    }

    /// Same contract as ``InnerLoop/accumulateMetaGradient(_:steps:stepSize:firstOrder:supportX:supportY:supportCount:queryX:queryY:queryCount:weight:metaGradient:alphaGradient:)``.
    public func accumulateMetaGradient(
        _ theta: UnsafePointer<Float>, steps: Int, stepSize: InnerStepSize, firstOrder: Bool,
        supportX: UnsafePointer<Float>, supportY: UnsafePointer<Float>, supportCount: Int,
        queryX: UnsafePointer<Float>, queryY: UnsafePointer<Float>, queryCount: Int,
        weight: Float, metaGradient: UnsafeMutablePointer<Float>, alphaGradient: UnsafeMutablePointer<Float>?
    ) -> TaskMetaGradient {
        let din = mlp.inputSize, dout = mlp.outputSize, act = mlp.activation
        let params = variables(theta, requiresGrad: true)
        var alphas: [Variable] = []
        if case .perParameter(let a) = stepSize {
            alphas = variables(a, requiresGrad: alphaGradient != nil)
        }
        let sx = batch(supportX, rows: supportCount, width: din), sy = batch(supportY, rows: supportCount, width: dout)
        let qx = batch(queryX, rows: queryCount, width: din), qy = batch(queryY, rows: queryCount, width: dout)
        var fast = params
        var before: Float = 0
        for k in 0..<steps {
            let loss = mseLoss(MnemonetEngine.mlp(sx, parameters: fast, activation: act), sy)
            if k == 0 { before = loss.scalar }
            let grads = gradients(of: loss, wrt: fast, createGraph: !firstOrder)
            switch stepSize {
            case .scalar(let a): fast = zip(fast, grads).map { $0 - $1 * a }
            case .perParameter: fast = (0..<fast.count).map { fast[$0] - alphas[$0] * grads[$0] }
            }
        }
        if steps == 0 {
            before = GradMode.withoutGrad { mseLoss(MnemonetEngine.mlp(sx, parameters: params, activation: act), sy).scalar }
        }
        let outer = mseLoss(MnemonetEngine.mlp(qx, parameters: fast, activation: act), qy)
        let wantAlpha = !alphas.isEmpty && alphaGradient != nil && steps > 0
        let grads = gradients(of: outer, wrt: params + (wantAlpha ? alphas : []))
        for l in 0..<mlp.layerCount {
            add(grads[2 * l], weight, metaGradient + mlp.weightOffsets[l])
            add(grads[2 * l + 1], weight, metaGradient + mlp.biasOffsets[l])
            if wantAlpha, let alphaGradient {
                add(grads[params.count + 2 * l], weight, alphaGradient + mlp.weightOffsets[l])
                add(grads[params.count + 2 * l + 1], weight, alphaGradient + mlp.biasOffsets[l])
            }
        }
        return TaskMetaGradient(supportLossBefore: before, queryLossAfter: outer.scalar)
    }

    private func add(_ g: Variable, _ weight: Float, _ dst: UnsafeMutablePointer<Float>) {
        let src = g.value.pointer
        for i in 0..<g.count { dst[i] += weight * src[i] }
    }
}
