import MnemonetBase
import MnemonetEngine
import MnemonetMeta
import Testing

/// Finite-difference checks (float32 central differences on directional derivatives) and algebraic identities.
@Suite struct FiniteDifferenceTests {
    /// A random unit direction (unit norm keeps θ ± εv off ReLU kinks for small ε).
    func randomVector(_ n: Int, _ rng: inout Xoshiro256) -> [Float] {
        let v = (0..<n).map { _ in Float(rng.nextNormal()) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }

    func sinusoidTask(seed: UInt64, k: Int) -> RegressionTask {
        var s = SinusoidTaskSampler(seed: seed)
        return s.sampleTask(shots: k).task
    }

    func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    /// L^q(θ_K(θ)) computed by plain adaptation (no meta-gradient code involved).
    func metaObjective(_ l: MetaLearner, _ theta: [Float], _ task: RegressionTask, steps: Int, lr: Float) throws -> Double {
        let adapted = try l.adapt(x: task.supportX, y: task.supportY, steps: steps, lr: lr, from: theta)
        let ws = MLPWorkspace(l.mlp)
        return Double(try ws.lossAndGradient(theta: adapted, x: task.queryX, y: task.queryY).loss)
    }

    @Test(arguments: [Activation.tanh, Activation.relu])
    func gradientAndHVPAgainstFiniteDifferences(_ act: Activation) throws {
        let mlp = try MLP(layerSizes: [1, 12, 10, 1], activation: act)
        let ws = MLPWorkspace(mlp)
        var rng = Xoshiro256(seed: 11)
        let theta = mlp.initialParameters(seed: 3)
        let task = sinusoidTask(seed: 5, k: 8)
        let (_, g) = try ws.lossAndGradient(theta: theta, x: task.supportX, y: task.supportY)
        for _ in 0..<4 {
            let v = randomVector(mlp.parameterCount, &rng)
            let eps: Float = 1e-3
            let lp = try ws.lossAndGradient(theta: zip(theta, v).map { $0 + eps * $1 }, x: task.supportX, y: task.supportY)
            let lm = try ws.lossAndGradient(theta: zip(theta, v).map { $0 - eps * $1 }, x: task.supportX, y: task.supportY)
            let fd = (Double(lp.loss) - Double(lm.loss)) / Double(2 * eps)
            let an = dot(g, v)
            #expect(abs(fd - an) <= 2e-3 * max(0.1, abs(an)), "directional derivative: fd \(fd) vs \(an)")
            // H v against the central difference of gradients.
            let hv = try ws.hessianVectorProduct(theta: theta, x: task.supportX, y: task.supportY, v: v)
            let fdHv = zip(lp.gradient, lm.gradient).map { (Double($0) - Double($1)) / Double(2 * eps) }
            #expect(relativeError(hv, fdHv) <= 2e-2, "HVP relative error \(relativeError(hv, fdHv))")
        }
    }

    @Test(arguments: [(Activation.tanh, 1), (Activation.tanh, 3), (Activation.relu, 1), (Activation.relu, 2)])
    func metaGradientAgainstFiniteDifferences(_ act: Activation, _ steps: Int) throws {
        var c = MetaLearnerConfig()
        c.innerSteps = steps
        c.innerLearningRate = 0.05
        let l = try MetaLearner(mlp: try MLP(layerSizes: [1, 10, 10, 1], activation: act), config: c, seed: 7)
        let task = sinusoidTask(seed: 9, k: 6)
        let g = try l.metaGradient(task: task).gradient
        let fo = try l.metaGradient(task: task, firstOrder: true).gradient
        var rng = Xoshiro256(seed: 2)
        let theta = l.parameters
        for _ in 0..<3 {
            let v = randomVector(theta.count, &rng)
            let eps: Float = 1e-3
            let fp = try metaObjective(l, zip(theta, v).map { $0 + eps * $1 }, task, steps: steps, lr: 0.05)
            let fm = try metaObjective(l, zip(theta, v).map { $0 - eps * $1 }, task, steps: steps, lr: 0.05)
            let fd = (fp - fm) / Double(2 * eps)
            let an = dot(g, v), anFO = dot(fo, v)
            #expect(abs(fd - an) <= 3e-3 * max(0.1, abs(an)), "fd \(fd) vs second-order \(an) (first-order \(anFO))")
        }
    }

    /// g_SO − g_FO = −α H^s(θ) ∇L^q(θ₁) for one inner step; H·v here comes from finite differences of gradients,
    /// so the identity is checked against a second-order term computed without the meta-gradient code.
    @Test func firstOrderDiffersExactlyByTheSecondOrderTerm() throws {
        let alpha: Float = 0.1
        var c = MetaLearnerConfig()
        c.innerLearningRate = alpha
        let l = try MetaLearner(mlp: try MLP(layerSizes: [1, 16, 16, 1], activation: .tanh), config: c, seed: 1)
        let task = sinusoidTask(seed: 4, k: 10)
        let so = try l.metaGradient(task: task).gradient
        let fo = try l.metaGradient(task: task, firstOrder: true).gradient
        let ws = MLPWorkspace(l.mlp)
        let theta1 = try l.adapt(x: task.supportX, y: task.supportY, steps: 1, lr: alpha)
        let gq = try ws.lossAndGradient(theta: theta1, x: task.queryX, y: task.queryY).gradient
        #expect(relativeError(fo, gq.map(Double.init)) <= 1e-6)  // FOMAML = ∇L^q(θ₁)
        // Exact HVP and a finite-difference HVP of the support loss at θ₀ in the direction ∇L^q(θ₁).
        let hv = try ws.hessianVectorProduct(theta: l.parameters, x: task.supportX, y: task.supportY, v: gq)
        let eps: Float = 1e-3
        let gp = try ws.lossAndGradient(theta: zip(l.parameters, gq).map { $0 + eps * $1 }, x: task.supportX, y: task.supportY).gradient
        let gm = try ws.lossAndGradient(theta: zip(l.parameters, gq).map { $0 - eps * $1 }, x: task.supportX, y: task.supportY).gradient
        let fdHv = zip(gp, gm).map { (Double($0) - Double($1)) / Double(2 * eps) }
        let difference = zip(so, fo).map { Double($0) - Double($1) }
        let term = hv.map { -Double(alpha) * Double($0) }
        #expect(relativeError(term.map { Float($0) }, difference) <= 1e-4)
        #expect(relativeError(hv, fdHv) <= 1e-2)
        #expect(difference.map(abs).max()! > 1e-4)  // the term is not negligible here
    }
}

@Suite struct FunctionalAdaptationTests {
    @Test func adaptNeverMutatesTheMetaParameters() throws {
        let l = try MetaLearner(mlp: try MLP(layerSizes: [1, 40, 40, 1]), seed: 3)
        var s = SinusoidTaskSampler(seed: 1)
        let task = s.sampleTask(shots: 10).task
        let before = l.parameters
        let adapted = try l.adapt(x: task.supportX, y: task.supportY, steps: 5, lr: 0.01)
        _ = try l.metaGradient(task: task)
        #expect(l.parameters == before)
        #expect(adapted != before)
        #expect(try l.adapt(x: task.supportX, y: task.supportY, steps: 0) == before)
        // Adaptation lowers the support loss.
        let ws = MLPWorkspace(l.mlp)
        let l0 = try ws.lossAndGradient(theta: before, x: task.supportX, y: task.supportY).loss
        let l5 = try ws.lossAndGradient(theta: adapted, x: task.supportX, y: task.supportY).loss
        #expect(l5 < l0)
    }

    @Test func reptilePseudoGradientIsThetaMinusAdapted() throws {
        var c = MetaLearnerConfig()
        c.algorithm = .reptile
        c.innerSteps = 4
        c.innerLearningRate = 0.02
        let l = try MetaLearner(mlp: try MLP(layerSizes: [1, 8, 1]), config: c, seed: 3)
        var s = SinusoidTaskSampler(seed: 2)
        let task = s.sampleTask(shots: 5).task
        let g = try l.metaGradient(task: task).gradient
        let adapted = try l.adapt(x: task.supportX, y: task.supportY, steps: 4, lr: 0.02)
        #expect(g == zip(l.parameters, adapted).map { $0 - $1 })
    }

    @Test func invalidArgumentsThrow() throws {
        #expect(throws: MnemonetError.self) { try MLP(layerSizes: [3]) }
        #expect(throws: MnemonetError.self) { try MLP(layerSizes: [1, 0, 1]) }
        #expect(throws: MnemonetError.self) { try MLP(layerSizes: [65536, 65536, 1]) }  // 4.3e9 parameters
        var big = MetaLearnerConfig()
        big.innerSteps = 10_000
        #expect(throws: MnemonetError.self) { try MetaLearner(mlp: try MLP(layerSizes: [1, 200, 200, 1]), config: big) }
        let l = try MetaLearner(mlp: try MLP(layerSizes: [2, 4, 1]), seed: 0)
        #expect(throws: MnemonetError.self) { try l.adapt(x: [1, 2, 3], y: [1], steps: 1) }
        #expect(throws: MnemonetError.self) { try l.adapt(x: [1, 2], y: [1, 2], steps: 1) }
        #expect(throws: MnemonetError.self) { try l.adapt(x: [1, 2], y: [1], steps: -1) }
        #expect(throws: MnemonetError.self) { try l.setAlphas([Float](repeating: 0.1, count: l.mlp.parameterCount)) }
        #expect(throws: MnemonetError.self) { try l.trainSinusoid(iterations: 1, metaBatchSize: 2, shots: 2, lossHistory: nil) }
        // Long plain adaptation keeps no history (two buffers), so it is allowed where a meta-gradient is not.
        let one = try MetaLearner(mlp: try MLP(layerSizes: [1, 4, 1]), seed: 0)
        #expect(try one.adapt(x: [0.5], y: [1], steps: 50_000, lr: 0.01).count == one.mlp.parameterCount)
        #expect(throws: MnemonetError.self) { try one.evaluateSinusoid(taskCount: 1_000_000, shots: 1, maxSteps: 200, lr: nil, seed: 0) }
    }
}

@Suite struct MetaTrainingTests {
    /// A short MAML run must improve the post-adaptation loss on held-out tasks (and the pre-training baseline
    /// must improve its own objective), all inside the native loop.
    @Test(arguments: [MetaAlgorithm.maml, .metaSGD, .reptile, .pretrain])
    func shortRunImprovesAdaptedLoss(_ algo: MetaAlgorithm) throws {
        var c = MetaLearnerConfig()
        c.algorithm = algo
        c.innerLearningRate = algo == .reptile ? 0.02 : 0.01
        c.innerSteps = algo == .reptile ? 5 : 1
        let l = try MetaLearner(mlp: try MLP(layerSizes: [1, 40, 40, 1]), config: c, seed: 1)
        let before = try l.evaluateSinusoid(taskCount: 100, shots: 10, maxSteps: 1, lr: nil, seed: 99)
        var history = [Float](repeating: 0, count: 400)
        try history.withUnsafeMutableBufferPointer {
            try l.trainSinusoid(iterations: 400, metaBatchSize: 10, shots: 10, lossHistory: $0.baseAddress)
        }
        let after = try l.evaluateSinusoid(taskCount: 100, shots: 10, maxSteps: 1, lr: nil, seed: 99)
        func mean(_ a: [Float], _ col: Int) -> Float {
            stride(from: col, to: a.count, by: 2).map { a[$0] }.reduce(0, +) / 100
        }
        #expect(mean(after, 1) < 0.8 * mean(before, 1), "\(algo): \(mean(before, 1)) → \(mean(after, 1))")
        #expect(l.iteration == 400)
        #expect(history.allSatisfy { $0.isFinite })
    }
}
