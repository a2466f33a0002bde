import MnemonetBase
import MnemonetEngine
import MnemonetMeta
import Testing

/// The meta-batch path (``BatchedMAML``: shared products over the stacked meta-batch, low-rank per-task corrections)
/// against the per-task path (``InnerLoop``), against PyTorch's create_graph fixtures, and against finite
/// differences of the meta-objective; and the learner's training loop on it against the per-task loop.
@Suite struct BatchedMAMLTests {
    /// B random tasks of a `din → … → dout` regression, stacked: x [B, n, din], y [B, n, dout].
    func stackedTasks(_ mlp: MLP, batch: Int, ns: Int, nq: Int, seed: UInt64)
        -> (sx: [Float], sy: [Float], qx: [Float], qy: [Float])
    {
        var rng = Xoshiro256(seed: seed)
        func draw(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.nextNormal()) } }
        let din = mlp.inputSize, dout = mlp.outputSize
        return (draw(batch * ns * din), draw(batch * ns * dout), draw(batch * nq * din), draw(batch * nq * dout))
    }

    /// The mean meta-gradient and losses of the per-task path.
    func perTask(_ mlp: MLP, _ theta: [Float], alpha: Float, firstOrder: Bool, batch: Int, ns: Int, nq: Int,
                 _ t: (sx: [Float], sy: [Float], qx: [Float], qy: [Float])) -> (g: [Float], ls: Float, lq: Float)
    {
        let inner = InnerLoop(mlp)
        let din = mlp.inputSize, dout = mlp.outputSize
        var g = [Float](repeating: 0, count: mlp.parameterCount)
        var ls: Float = 0, lq: Float = 0
        t.sx.withUnsafeBufferPointer { sx in
            t.sy.withUnsafeBufferPointer { sy in
                t.qx.withUnsafeBufferPointer { qx in
                    t.qy.withUnsafeBufferPointer { qy in
                        g.withUnsafeMutableBufferPointer { gb in
                            for b in 0..<batch {
                                let r = inner.accumulateMetaGradient(
                                    theta, steps: 1, stepSize: .scalar(alpha), firstOrder: firstOrder,
                                    supportX: sx.baseAddress! + b * ns * din, supportY: sy.baseAddress! + b * ns * dout,
                                    supportCount: ns, queryX: qx.baseAddress! + b * nq * din,
                                    queryY: qy.baseAddress! + b * nq * dout, queryCount: nq,
                                    weight: 1 / Float(batch), metaGradient: gb.baseAddress!, alphaGradient: nil)
                                ls += r.supportLossBefore / Float(batch); lq += r.queryLossAfter / Float(batch)
                            }
                        }
                    }
                }
            }
        }
        return (g, ls, lq)
    }

    static let shapes: [([Int], Activation, Int, Int, Int, Float)] = [
        ([1, 40, 40, 1], .relu, 25, 10, 10, 0.01),  // the sinusoid benchmark
        ([1, 12, 9, 1], .tanh, 4, 7, 9, 0.1),
        ([3, 8, 5, 2], .sigmoid, 3, 6, 4, 0.5),
        ([2, 16, 16, 16, 3], .tanh, 5, 20, 3, 0.05),  // n_s > width: the Grams are larger than the weights
        ([4, 6, 2], .identity, 2, 5, 5, 0.05),
        ([1, 10, 1], .relu, 1, 1, 1, 0.3),
    ]

    @Test(arguments: shapes)
    func equalsThePerTaskPath(_ c: ([Int], Activation, Int, Int, Int, Float)) throws {
        let (sizes, act, batch, ns, nq, alpha) = c
        let mlp = try MLP(layerSizes: sizes, activation: act)
        let theta = mlp.initialParameters(seed: 4)
        let t = stackedTasks(mlp, batch: batch, ns: ns, nq: nq, seed: 9)
        let batched = BatchedMAML(mlp)
        for fo in [false, true] {
            let a = try batched.metaGradient(theta: theta, alpha: alpha, firstOrder: fo, supportX: t.sx, supportY: t.sy,
                                             queryX: t.qx, queryY: t.qy, batch: batch)
            let b = perTask(mlp, theta, alpha: alpha, firstOrder: fo, batch: batch, ns: ns, nq: nq, t)
            let e = relativeError(a.gradient, b.g.map(Double.init))
            #expect(e <= 1e-5, "\(sizes) \(act) fo \(fo): relative error \(e)")
            #expect(abs(a.supportLoss - b.ls) <= 1e-5 * max(1, abs(b.ls)))
            #expect(abs(a.queryLoss - b.lq) <= 1e-5 * max(1, abs(b.lq)))
        }
        // The second-order term is present (the comparison can tell the two orders apart).
        let so = try batched.metaGradient(theta: theta, alpha: alpha, firstOrder: false, supportX: t.sx,
                                          supportY: t.sy, queryX: t.qx, queryY: t.qy, batch: batch).gradient
        let fo = try batched.metaGradient(theta: theta, alpha: alpha, firstOrder: true, supportX: t.sx,
                                          supportY: t.sy, queryX: t.qx, queryY: t.qy, batch: batch).gradient
        if act != .identity || sizes.count > 2 { #expect(relativeError(so, fo.map(Double.init)) > 1e-4) }
    }

    @Test func matchesPyTorchCreateGraph() throws {
        let cases = try loadFixtures().filter { $0.steps == 1 }
        #expect(cases.count >= 2)
        for f in cases {
            let batched = BatchedMAML(try f.mlp())
            // A meta-batch of the same task twice: the mean is that task's meta-gradient.
            let r = try batched.metaGradient(
                theta: f.theta, alpha: f.inner_lr, firstOrder: false, supportX: f.support_x + f.support_x,
                supportY: f.support_y + f.support_y, queryX: f.query_x + f.query_x, queryY: f.query_y + f.query_y,
                batch: 2)
            #expect(relativeError(r.gradient, f.maml_meta_gradient) <= 1e-4, "\(f.name)")
            #expect(abs(Double(r.queryLoss) - f.maml_query_loss) <= 1e-5 * max(1, f.maml_query_loss))
            #expect(abs(Double(r.supportLoss) - f.support_loss) <= 1e-5 * max(1, f.support_loss))
            let fo = try batched.metaGradient(
                theta: f.theta, alpha: f.inner_lr, firstOrder: true, supportX: f.support_x, supportY: f.support_y,
                queryX: f.query_x, queryY: f.query_y, batch: 1)
            #expect(relativeError(fo.gradient, f.fomaml_meta_gradient) <= 1e-4, "\(f.name)")
        }
    }

    /// (1/B) Σ_i L^q_i(θ − α∇L^s_i(θ)) by plain adaptation and a forward pass (no meta-gradient code).
    func metaObjective(_ mlp: MLP, _ theta: [Float], alpha: Float, batch: Int, ns: Int, nq: Int,
                       _ t: (sx: [Float], sy: [Float], qx: [Float], qy: [Float])) throws -> Double
    {
        let ws = MLPWorkspace(mlp)
        let din = mlp.inputSize, dout = mlp.outputSize
        var total = 0.0
        for b in 0..<batch {
            let sx = Array(t.sx[(b * ns * din)..<((b + 1) * ns * din)]), sy = Array(t.sy[(b * ns * dout)..<((b + 1) * ns * dout)])
            let qx = Array(t.qx[(b * nq * din)..<((b + 1) * nq * din)]), qy = Array(t.qy[(b * nq * dout)..<((b + 1) * nq * dout)])
            let g = try ws.lossAndGradient(theta: theta, x: sx, y: sy).gradient
            let adapted = zip(theta, g).map { $0 - alpha * $1 }
            total += Double(try ws.lossAndGradient(theta: adapted, x: qx, y: qy).loss)
        }
        return total / Double(batch)
    }

    @Test(arguments: [Activation.tanh, Activation.sigmoid])
    func againstFiniteDifferences(_ act: Activation) throws {
        let mlp = try MLP(layerSizes: [2, 10, 8, 1], activation: act)
        let theta = mlp.initialParameters(seed: 6)
        let (batch, ns, nq, alpha): (Int, Int, Int, Float) = (4, 6, 5, 0.3)
        let t = stackedTasks(mlp, batch: batch, ns: ns, nq: nq, seed: 2)
        let g = try BatchedMAML(mlp).metaGradient(theta: theta, alpha: alpha, firstOrder: false, supportX: t.sx,
                                                  supportY: t.sy, queryX: t.qx, queryY: t.qy, batch: batch).gradient
        var rng = Xoshiro256(seed: 13)
        for _ in 0..<3 {
            var v = (0..<mlp.parameterCount).map { _ in Float(rng.nextNormal()) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / norm }
            let eps: Float = 2e-3
            let fp = try metaObjective(mlp, zip(theta, v).map { $0 + eps * $1 }, alpha: alpha, batch: batch, ns: ns, nq: nq, t)
            let fm = try metaObjective(mlp, zip(theta, v).map { $0 - eps * $1 }, alpha: alpha, batch: batch, ns: ns, nq: nq, t)
            let fd = (fp - fm) / Double(2 * eps)
            let an = zip(g, v).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(fd - an) <= 3e-3 * max(0.1, abs(an)), "\(act): fd \(fd) vs analytic \(an)")
        }
    }

    @Test(arguments: [false, true])
    func trainingLoopEqualsThePerTaskLoop(_ firstOrder: Bool) throws {
        // The learner's batched loop against the same task stream through the per-task path (the composed backend:
        // the engine's createGraph autodiff, one task at a time).
        var c = MetaLearnerConfig()
        c.innerLearningRate = 0.01
        c.firstOrder = firstOrder
        let fast = try MetaLearner(mlp: try MLP(layerSizes: [1, 40, 40, 1]), config: c, seed: 3)
        #expect(fast.usesBatchedPath)
        c.backend = .composed
        let reference = try MetaLearner(mlp: try MLP(layerSizes: [1, 40, 40, 1]), config: c, seed: 3)
        #expect(!reference.usesBatchedPath)
        var a = [Float](repeating: 0, count: 15), b = a
        try a.withUnsafeMutableBufferPointer { try fast.trainSinusoid(iterations: 15, metaBatchSize: 25, shots: 10, lossHistory: $0.baseAddress) }
        try b.withUnsafeMutableBufferPointer { try reference.trainSinusoid(iterations: 15, metaBatchSize: 25, shots: 10, lossHistory: $0.baseAddress) }
        #expect(relativeError(fast.parameters, reference.parameters.map(Double.init)) <= 1e-4)
        #expect(relativeError(a, b.map(Double.init)) <= 1e-4)
    }
}
