import MnemonetEngine

/// How the inner loop steps: θ_{k+1} = θ_k − α ⊙ ∇L^s(θ_k), with α a scalar (MAML) or a learned vector
/// (Meta-SGD, one rate per parameter).
public enum InnerStepSize {
    /// The same α for every parameter (MAML; Finn et al. 2017, Eq. 1).
    case scalar(Float)
    /// α ∈ ℝ^{|θ|} (Meta-SGD; Li et al. 2017, Eq. 2). The pointer must hold |θ| floats.
    case perParameter(UnsafePointer<Float>)
}

/// The result of one task's meta-gradient.
public struct TaskMetaGradient: Sendable {
    /// L^s(θ): the support loss before adaptation.
    public var supportLossBefore: Float
    /// L^q(θ′): the query loss after adaptation (the meta-objective of this task).
    public var queryLossAfter: Float
}

/// Functional inner loops and exact meta-gradients over an ``MLP``: the shared scratch of MAML, first-order MAML,
/// Meta-SGD, Reptile and pretraining. One instance per thread.
///
/// MAML meta-gradient (Finn et al. 2017, Eq. 1–2) for K inner steps, by reverse accumulation through the steps:
///
///     θ_0 = θ,   θ_{k+1} = θ_k − α ⊙ g_k,   g_k = ∇L^s(θ_k)
///     G_K = ∇L^q(θ_K),   G_k = G_{k+1} − H^s(θ_k) (α ⊙ G_{k+1})     (first order: G_k = G_{k+1})
///     ∇_θ L^q(θ_K(θ)) = G_0,   ∇_α L^q = −Σ_k g_k ⊙ G_{k+1}        (Meta-SGD)
///
/// H^s(θ_k)·u is the exact Hessian-vector product of ``MLPWorkspace`` (forward-over-reverse), which is what
/// `torch.autograd.grad(..., create_graph=True)` differentiates through.
public final class InnerLoop {
    /// The network.
    public let mlp: MLP
    /// Forward / gradient / HVP scratch (also the query pass's).
    public let workspace: MLPWorkspace
    /// One workspace per inner step k, keeping the support pass at θ_k alive for the H^s(θ_k) product of the
    /// backward sweep (no recomputation).
    private var stepWorkspaces: [MLPWorkspace] = []
    private let p: Int
    private var thetas: [UnsafeMutablePointer<Float>] = []   // θ_0 … θ_K
    private var grads: [UnsafeMutablePointer<Float>] = []    // g_0 … g_{K−1}
    private let g: UnsafeMutablePointer<Float>               // G
    private let u: UnsafeMutablePointer<Float>               // α ⊙ G
    private let hu: UnsafeMutablePointer<Float>              // H u

    /// Scratch for `mlp`.
    public init(_ mlp: MLP) {
        self.mlp = mlp
        self.workspace = MLPWorkspace(mlp)
        self.p = mlp.parameterCount
        g = .allocate(capacity: p); u = .allocate(capacity: p); hu = .allocate(capacity: p)
        g.initialize(repeating: 0, count: p); u.initialize(repeating: 0, count: p); hu.initialize(repeating: 0, count: p)
    }

    deinit {
        for t in thetas { t.deallocate() }
        for t in grads { t.deallocate() }
        g.deallocate(); u.deallocate(); hu.deallocate()
    }

    private func reserve(steps: Int) {
        while stepWorkspaces.count < steps { stepWorkspaces.append(MLPWorkspace(mlp)) }
        while thetas.count < steps + 1 {
            let t = UnsafeMutablePointer<Float>.allocate(capacity: p); t.initialize(repeating: 0, count: p)
            thetas.append(t)
        }
        while grads.count < max(steps, 1) {
            let t = UnsafeMutablePointer<Float>.allocate(capacity: p); t.initialize(repeating: 0, count: p)
            grads.append(t)
        }
    }

    /// Runs K inner steps from θ on (x, y) (n rows) and returns a pointer to θ_K (valid until the next call);
    /// θ itself is never written. `lossesOut`, if given, receives L^s(θ_k) for k = 0…K−1.
    @discardableResult
    public func adapt(
        _ theta: UnsafePointer<Float>, steps: Int, stepSize: InnerStepSize,
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, n: Int
    ) -> UnsafePointer<Float> {
        // Plain adaptation keeps no history: two parameter buffers, used in turn.
        while thetas.count < 2 {
            let t = UnsafeMutablePointer<Float>.allocate(capacity: p); t.initialize(repeating: 0, count: p)
            thetas.append(t)
        }
        reserve(steps: 0)
        thetas[0].update(from: theta, count: p)
        let gk = grads[0]
        for k in 0..<steps {
            let tk = UnsafePointer(thetas[k & 1]), next = thetas[(k + 1) & 1]
            workspace.forward(tk, x, n)
            _ = workspace.loss(y)
            workspace.backward(tk, gk)
            switch stepSize {
            case .scalar(let a): for i in 0..<p { next[i] = tk[i] - a * gk[i] }
            case .perParameter(let a): for i in 0..<p { next[i] = tk[i] - a[i] * gk[i] }
            }
        }
        return UnsafePointer(thetas[steps & 1])
    }

    /// Adds `weight`·∇_θ L^q(θ_K(θ)) to `metaGradient` (and `weight`·∇_α L^q to `alphaGradient` for Meta-SGD).
    ///
    /// - Parameters:
    ///   - firstOrder: drop the H terms (FOMAML, Finn et al. 2017 §5.2): G_k = G_{k+1}.
    ///   - steps: K ≥ 0 (K = 0 gives the plain gradient of the query loss, i.e. pretraining).
    public func accumulateMetaGradient(
        _ theta: UnsafePointer<Float>, steps: Int, stepSize: InnerStepSize, firstOrder: Bool,
        supportX: UnsafePointer<Float>, supportY: UnsafePointer<Float>, supportCount: Int,
        queryX: UnsafePointer<Float>, queryY: UnsafePointer<Float>, queryCount: Int,
        weight: Float, metaGradient: UnsafeMutablePointer<Float>, alphaGradient: UnsafeMutablePointer<Float>?
    ) -> TaskMetaGradient {
        var before: Float = 0
        reserve(steps: steps)
        thetas[0].update(from: theta, count: p)
        for k in 0..<steps {
            let tk = UnsafePointer(thetas[k]), gk = grads[k], next = thetas[k + 1]
            let ws = stepWorkspaces[k]
            ws.forward(tk, supportX, supportCount)
            let l = ws.loss(supportY)
            if k == 0 { before = l }
            ws.backward(tk, gk)
            switch stepSize {
            case .scalar(let a): for i in 0..<p { next[i] = tk[i] - a * gk[i] }
            case .perParameter(let a): for i in 0..<p { next[i] = tk[i] - a[i] * gk[i] }
            }
        }
        let tK = UnsafePointer(thetas[steps])
        workspace.forward(tK, queryX, queryCount)
        let after = workspace.loss(queryY)
        workspace.backward(tK, g)
        if steps == 0 {
            workspace.forward(theta, supportX, supportCount)
            before = workspace.loss(supportY)
        }
        for k in stride(from: steps - 1, through: 0, by: -1) {
            if let alphaGradient, case .perParameter = stepSize {
                let gk = grads[k]
                for i in 0..<p { alphaGradient[i] -= weight * gk[i] * g[i] }
            }
            if firstOrder { continue }
            switch stepSize {
            case .scalar(let a): for i in 0..<p { u[i] = a * g[i] }
            case .perParameter(let a): for i in 0..<p { u[i] = a[i] * g[i] }
            }
            // The support pass at θ_k is still in stepWorkspaces[k] (forward, loss, backward of the sweep above).
            stepWorkspaces[k].hessianVectorProduct(UnsafePointer(thetas[k]), u, hu)
            for i in 0..<p { g[i] -= hu[i] }
        }
        for i in 0..<p { metaGradient[i] += weight * g[i] }
        return TaskMetaGradient(supportLossBefore: before, queryLossAfter: after)
    }

    /// Reptile (Nichol et al. 2018): adds `weight`·(θ − θ_K) to `pseudoGradient`, θ_K after K SGD steps of size α
    /// on the support set; returns L^s(θ) before adaptation.
    public func accumulateReptile(
        _ theta: UnsafePointer<Float>, steps: Int, stepSize: Float,
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, n: Int,
        weight: Float, pseudoGradient: UnsafeMutablePointer<Float>
    ) -> Float {
        workspace.forward(theta, x, n)
        let before = workspace.loss(y)
        let tK = adapt(theta, steps: steps, stepSize: .scalar(stepSize), x: x, y: y, n: n)
        for i in 0..<p { pseudoGradient[i] += weight * (theta[i] - tK[i]) }
        return before
    }

    /// Mean squared error of θ on (x, y).
    public func loss(_ theta: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>, n: Int) -> Float {
        workspace.forward(theta, x, n)
        return workspace.loss(y)
    }
}
