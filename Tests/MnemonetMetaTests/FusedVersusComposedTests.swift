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
