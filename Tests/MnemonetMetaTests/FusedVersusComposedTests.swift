import MnemonetBase
import MnemonetEngine
import MnemonetMeta
import Testing

/// The fused MLP path (hand-derived Hessian-vector products) against the engine's composed createGraph autodiff:
/// same meta-gradients for MAML (second and first order), Meta-SGD (θ and α) and pretraining, over activations,
/// step counts and step sizes.
@Suite struct FusedVersusComposedTests {
    static let cases: [(Activation, Int, Float)] = [
        (.relu, 1, 0.01), (.relu, 3, 0.1), (.tanh, 2, 0.05), (.sigmoid, 2, 0.5), (.tanh, 0, 0.1), (.identity, 2, 0.05),
    ]

    func learners(_ act: Activation, _ steps: Int, _ lr: Float, _ algo: MetaAlgorithm, firstOrder: Bool)
        throws -> (MetaLearner, MetaLearner)
    {
        func make(_ backend: MetaBackend) throws -> MetaLearner {
            var c = MetaLearnerConfig()
            c.algorithm = algo
            c.innerSteps = steps
            c.innerLearningRate = lr
            c.firstOrder = firstOrder
            c.backend = backend
            return try MetaLearner(mlp: try MLP(layerSizes: [1, 12, 9, 1], activation: act), config: c, seed: 5)
        }
        return (try make(.fused), try make(.composed))
    }

    @Test(arguments: cases)
    func sameMetaGradients(_ c: (Activation, Int, Float)) throws {
        let (act, steps, lr) = c
        var s = SinusoidTaskSampler(seed: 17)
        let task = s.sampleTask(shots: 7, queryCount: 9).task
        for algo in [MetaAlgorithm.maml, .metaSGD, .pretrain] {
            for fo in [false, true] {
                let (fused, composed) = try learners(act, steps, lr, algo, firstOrder: fo)
                let a = try fused.metaGradient(task: task), b = try composed.metaGradient(task: task)
                let e = relativeError(a.gradient, b.gradient.map(Double.init))
                #expect(e <= 1e-4, "\(act) steps \(steps) \(algo) fo \(fo): θ relative error \(e)")
                #expect(abs(a.queryLoss - b.queryLoss) <= 1e-5 * max(1, abs(b.queryLoss)))
                #expect(abs(a.supportLoss - b.supportLoss) <= 1e-5 * max(1, abs(b.supportLoss)))
                if algo == .metaSGD && steps > 0 {
                    let ea = relativeError(a.alphaGradient, b.alphaGradient.map(Double.init))
                    #expect(ea <= 1e-4, "\(act) steps \(steps) fo \(fo): α relative error \(ea)")
                }
            }
        }
    }

    @Test func composedTrainingFollowsFusedTraining() throws {
        let (fused, composed) = try learners(.relu, 1, 0.01, .maml, firstOrder: false)
        try fused.trainSinusoid(iterations: 20, metaBatchSize: 5, shots: 10, lossHistory: nil)
        try composed.trainSinusoid(iterations: 20, metaBatchSize: 5, shots: 10, lossHistory: nil)
        #expect(relativeError(fused.parameters, composed.parameters.map(Double.init)) <= 1e-4)
    }
}

/// g_SO − g_FO is exactly the second-order term, computed here independently of both meta-gradient paths with the
/// engine's double backward: H_k·v = ∇_θ ⟨∇_θ L^s(θ_k), v⟩ (gradients with createGraph, then again), and
/// g_SO = Π_k (I − α H_k) ∇L^q(θ_K), g_FO = ∇L^q(θ_K), so the term is G_0 − G_K with G_k = G_{k+1} − α H_k G_{k+1}.
@Suite struct SecondOrderTermTests {
    /// H(θ)·v of the MSE of `mlp` on (x, y) by double backward through the engine (no fused code).
    func engineHVP(_ mlp: MLP, _ theta: [Float], _ x: [Float], _ y: [Float], _ v: [Float]) -> [Float] {
        func vars(_ flat: [Float], grad: Bool) -> [Variable] {
            var out: [Variable] = []
            for l in 0..<mlp.layerCount {
                let fin = mlp.layerSizes[l], fout = mlp.layerSizes[l + 1]
                out.append(Variable(Tensor(shape: [fout, fin], values: Array(flat[mlp.weightOffsets[l]..<(mlp.weightOffsets[l] + fout * fin)])), requiresGrad: grad))
                out.append(Variable(Tensor(shape: [fout], values: Array(flat[mlp.biasOffsets[l]..<(mlp.biasOffsets[l] + fout)])), requiresGrad: grad))
            }
            return out
        }
        let ps = vars(theta, grad: true), vs = vars(v, grad: false)
        let n = x.count
        let loss = mseLoss(MnemonetEngine.mlp(Variable(Tensor(shape: [n, 1], values: x)), parameters: ps, activation: mlp.activation),
                           Variable(Tensor(shape: [n, 1], values: y)))
        let g = gradients(of: loss, wrt: ps, createGraph: true)
        var dot = (g[0] * vs[0]).sum()
        for i in 1..<g.count { dot = dot + (g[i] * vs[i]).sum() }
        return gradients(of: dot, wrt: ps).flatMap { $0.value.array }
    }

    @Test(arguments: [(Activation.tanh, 1), (Activation.tanh, 3), (Activation.relu, 2), (Activation.sigmoid, 2)])
    func firstOrderPlusSecondOrderTermIsSecondOrder(_ act: Activation, _ steps: Int) throws {
        let alpha: Float = 0.1
        var c = MetaLearnerConfig()
        c.innerLearningRate = alpha
        c.innerSteps = steps
        let l = try MetaLearner(mlp: try MLP(layerSizes: [1, 16, 12, 1], activation: act), config: c, seed: 2)
        var s = SinusoidTaskSampler(seed: 8)
        let task = s.sampleTask(shots: 10).task
        let so = try l.metaGradient(task: task).gradient
        let fo = try l.metaGradient(task: task, firstOrder: true).gradient
        // θ_0 … θ_K by plain adaptation, G_K = ∇L^q(θ_K).
        var thetas = [l.parameters]
        for _ in 0..<steps {
            thetas.append(try l.adapt(x: task.supportX, y: task.supportY, steps: 1, lr: alpha, from: thetas.last!))
        }
        let ws = MLPWorkspace(l.mlp)
        let gK = try ws.lossAndGradient(theta: thetas[steps], x: task.queryX, y: task.queryY).gradient
        var g = gK
        for k in stride(from: steps - 1, through: 0, by: -1) {
            let hv = engineHVP(l.mlp, thetas[k], task.supportX, task.supportY, g)
            g = zip(g, hv).map { $0 - alpha * $1 }
        }
        let term = zip(g, gK).map { Double($0) - Double($1) }
        let difference = zip(so, fo).map { Double($0) - Double($1) }
        #expect(relativeError(fo, gK.map(Double.init)) <= 1e-6)
        #expect(relativeError(difference.map { Float($0) }, term) <= 1e-3, "\(act) K=\(steps)")
        #expect(relativeError(so, g.map(Double.init)) <= 1e-5, "\(act) K=\(steps)")
        #expect(difference.map(abs).max()! > 1e-4)  // the term is not negligible
    }
}
