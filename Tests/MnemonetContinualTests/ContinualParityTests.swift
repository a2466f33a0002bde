import Foundation
import MnemonetBase
import MnemonetContinual
import Testing

/// Fixtures/continual_fixtures.json, written by tools/fixtures/make_continual_fixtures.py (PyTorch, float64 autograd).
struct Rows: Decodable {
    let x: [Float]
    let labels: [Int32]
    let tasks: [Int32]
    var count: Int { labels.count }
    func dataset() throws -> ContinualDataset { try ContinualDataset(inputDim: 5, x: x, labels: labels, tasks: tasks) }
    func batch() -> MiniBatch {
        let b = MiniBatch(capacity: count, inputDim: 5)
        let d = try! dataset()
        for r in 0..<count { b.append(d, row: r) }
        b.currentCount = count
        return b
    }
}
struct CECase: Decodable { let x: [Float]; let labels: [Int32]; let tasks: [Int32]; let weights: [Float]; let stage: Int
    let loss: Double; let gradient: [Double] }
struct EWCCase: Decodable { let a, b: Rows; let decay, lam: Float; let fisher_a, fisher_online: [Double]
    let theta2: [Float]; let penalty: Double; let penalty_gradient: [Double] }
struct SICase: Decodable { let lr, xi, c: Float; let steps: [Rows]; let omega, importance: [Double]
    let theta_end: [Double]; let theta3: [Float]; let penalty: Double; let penalty_gradient: [Double] }
struct AGEMCase: Decodable { let current, memory: Rows; let gradient, reference, projected: [Double]; let dot: Double }
struct LwFCase: Decodable { let batch: Rows; let alpha, temperature: Float; let theta_old: [Float]; let loss: Double
    let gradient: [Double] }
struct MERCase: Decodable { let lr, beta, gamma: Float; let batches: [Rows]; let theta_after: [Double] }
struct ContinualFixtures: Decodable {
    let theta: [Float]
    let ce_perTask, ce_seenSoFar: CECase
    let ewc: EWCCase
    let si: SICase
    let agem: AGEMCase
    let lwf: LwFCase
    let mer: MERCase
}

func loadContinualFixtures() throws -> ContinualFixtures {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/continual_fixtures.json")
    return try JSONDecoder().decode(ContinualFixtures.self, from: Data(contentsOf: url))
}

/// max_i |a_i − b_i|.
func maxError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

func learner(_ f: ContinualFixtures, mode: HeadMode = .seenSoFar, lr: Float = 0.05,
             plugins: [ContinualPlugin] = []) throws -> ContinualLearner {
    var c = ContinualConfig()
    c.hiddenSizes = [6]
    c.learningRate = lr
    let heads = try OutputHeads(mode: mode, outputCount: 4, units: [[0, 1], [2, 3]])
    let l = try ContinualLearner(inputDim: 5, heads: heads, config: c, plugins: plugins)
    #expect(l.parameterCount == f.theta.count)
    set(l, f.theta)
    return l
}

func set(_ l: ContinualLearner, _ theta: [Float]) {
    for i in 0..<theta.count { l.parameters[i] = theta[i] }
}

func lossAndGradient(_ l: ContinualLearner, _ b: MiniBatch, stage: Int, weights: Bool = false,
                     hook: (() throws(MnemonetError) -> Float)? = nil) throws -> (Float, [Float]) {
    let loss = try l.lossAndGradient(theta: l.parameters.baseAddress!, x: b.x, labels: b.labels, tasks: b.tasks,
                                     weights: weights ? b.weights : nil, rows: b.count, stage: stage,
                                     grad: l.gradient.baseAddress!, hook: hook)
    return (loss, Array(l.gradient))
}

@Suite struct ContinualPyTorchParityTests {
    let f: ContinualFixtures
    init() throws { f = try loadContinualFixtures() }

    @Test func maskedCrossEntropyBothHeads() throws {
        for (mode, c) in [(HeadMode.perTask, f.ce_perTask), (.seenSoFar, f.ce_seenSoFar)] {
            let l = try learner(f, mode: mode)
            let b = Rows(x: c.x, labels: c.labels, tasks: c.tasks).batch()
            for r in 0..<b.count { b.weights[r] = c.weights[r] }
            let (loss, g) = try lossAndGradient(l, b, stage: c.stage, weights: true)
            #expect(abs(Double(loss) - c.loss) <= 1e-5, "\(mode) loss \(loss) vs \(c.loss)")
            #expect(maxError(g, c.gradient) <= 1e-5, "\(mode) gradient")
        }
    }

    @Test func onlineEWCFisherAndPenalty() throws {
        let l = try learner(f)
        let fa = try EWC.empiricalFisher(l, data: try f.ewc.a.dataset(), stage: 0)
        #expect(maxError(fa, f.ewc.fisher_a) <= 1e-5)
        let fb = try EWC.empiricalFisher(l, data: try f.ewc.b.dataset(), stage: 1)
        let ewc = EWC(lambda: f.ewc.lam, decay: f.ewc.decay)
        ewc.consolidate(fisher: fa, parameters: UnsafeBufferPointer(l.parameters))
        ewc.consolidate(fisher: fb, parameters: UnsafeBufferPointer(l.parameters))
        #expect(maxError(ewc.fisher, f.ewc.fisher_online) <= 1e-5)
        var g = [Float](repeating: 0, count: l.parameterCount)
        let p = f.ewc.theta2.withUnsafeBufferPointer { ewc.penalty(theta: $0.baseAddress!, grad: &g) }
        #expect(abs(Double(p) - f.ewc.penalty) <= 1e-5 * max(1, abs(f.ewc.penalty)))
        #expect(maxError(g, f.ewc.penalty_gradient) <= 1e-4)
    }

    @Test func synapticIntelligenceImportance() throws {
        let l = try learner(f, lr: f.si.lr)
        let si = SynapticIntelligence(strength: f.si.c, damping: f.si.xi)
        si.beginTask(parameters: UnsafeBufferPointer(l.parameters))
        for s in f.si.steps {
            _ = try lossAndGradient(l, s.batch(), stage: 0)
            si.recordStep(gradient: UnsafeBufferPointer(l.gradient), parameters: UnsafeBufferPointer(l.parameters))
            l.sgdStep(l.parameters.baseAddress!, l.gradient.baseAddress!, rate: f.si.lr)
            si.accumulate(parameters: UnsafeBufferPointer(l.parameters))
        }
        #expect(maxError(Array(l.parameters), f.si.theta_end) <= 1e-5)
        #expect(maxError(si.pathIntegral, f.si.omega) <= 1e-5)
        si.endTask(parameters: UnsafeBufferPointer(l.parameters))
        #expect(maxError(si.importance, f.si.importance) <= 1e-4)
        var g = [Float](repeating: 0, count: l.parameterCount)
        let p = f.si.theta3.withUnsafeBufferPointer { si.penalty(theta: $0.baseAddress!, grad: &g) }
        #expect(abs(Double(p) - f.si.penalty) <= 1e-4 * max(1, abs(f.si.penalty)))
        #expect(maxError(g, f.si.penalty_gradient) <= 1e-4)
    }

    @Test func agemProjection() throws {
        let l = try learner(f)
        let (_, g) = try lossAndGradient(l, f.agem.current.batch(), stage: 1)
        let (_, r) = try lossAndGradient(l, f.agem.memory.batch(), stage: 1)
        #expect(maxError(g, f.agem.gradient) <= 1e-5)
        #expect(maxError(r, f.agem.reference) <= 1e-5)
        var projected = g
        let did = r.withUnsafeBufferPointer { AGEM.project(&projected, reference: $0.baseAddress!, count: g.count) }
        #expect(did)
        #expect(maxError(projected, f.agem.projected) <= 1e-5)
        // Projected onto the half-space: g̃ᵀg_ref = 0 (up to rounding); a non-conflicting g is left alone.
        let dot = zip(projected, r).map { Double($0) * Double($1) }.reduce(0, +)
        #expect(abs(dot) <= 1e-5)
        var same = r
        #expect(!r.withUnsafeBufferPointer { AGEM.project(&same, reference: $0.baseAddress!, count: r.count) })
        #expect(same == r)
    }

    @Test func lwfDistillationLoss() throws {
        let lwf = LwF(alpha: f.lwf.alpha, temperature: f.lwf.temperature)
        let l = try learner(f, plugins: [lwf])
        set(l, f.lwf.theta_old)
        try lwf.afterTask(l, task: 0, data: try f.lwf.batch.dataset())
        set(l, f.theta)
        let b = f.lwf.batch.batch()
        let (loss, g) = try lossAndGradient(l, b, stage: 1, hook: { () throws(MnemonetError) -> Float in
            try lwf.outputGradient(l, batch: b)
        })
        #expect(abs(Double(loss) - f.lwf.loss) <= 1e-5)
        #expect(maxError(g, f.lwf.gradient) <= 1e-5)
    }

    @Test func merMetaUpdate() throws {
        let l = try learner(f, lr: f.mer.lr)
        l.stage = 1
        let mer = try MER(inputDim: 5, parameterCount: l.parameterCount, capacity: 10, beta: f.mer.beta,
                          gamma: f.mer.gamma, batches: 2, batchRows: 3, seed: 0)
        try mer.metaUpdate(l, batches: f.mer.batches.map { $0.batch() })
        #expect(maxError(Array(l.parameters), f.mer.theta_after) <= 1e-5)
    }
}
