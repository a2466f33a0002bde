import MnemonetAgent
import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Functional adaptation of the memory controller (the seed's `MetaLearner.adapt`) and MAML over it: gradients
/// against the composed autodiff graph and finite differences, meta-parameters and memory never mutated.
struct ControllerAdaptationTests {
    final class Setup {
        let config = MemoryConfig(memorySize: 7, memoryDim: 5, numReadHeads: 2)
        let inputDim = 4, hiddenDim = 6, ns = 5, nq = 4
        let c: MemoryController
        let bank: NeuralMemoryBank
        var sx: [Float] = [], sy: [Float] = [], qx: [Float] = [], qy: [Float] = []

        init(weightScale: Float = 2) throws {
            var rng = Xoshiro256(seed: 5)
            c = try MemoryController(inputDim: inputDim, hiddenDim: hiddenDim, config: config, rng: &rng)
            for k in 0..<c.parameters.count { c.parameters[k] *= weightScale }
            bank = try NeuralMemoryBank(config: config)
            for k in 0..<bank.memory.count { bank.memory[k] = Float(rng.nextNormal()) * 0.6 }
            for k in 0..<bank.usage.count { bank.usage[k] = rng.nextUnitFloat() }
            func draw(_ n: Int, _ s: Float) -> [Float] { (0..<n).map { _ in Float(rng.nextNormal()) * s } }
            sx = draw(ns * inputDim, 1); sy = draw(ns * inputDim, 0.5)
            qx = draw(nq * inputDim, 1); qy = draw(nq * inputDim, 0.5)
        }

        func adapt(steps: Int, lr: Float) throws -> ControllerAdaptation {
            try c.adapted(supportX: sx, supportY: sy, count: ns, memory: bank, steps: steps, learningRate: lr)
        }

        func meta(steps: Int, lr: Float, firstOrder: Bool, on controller: MemoryController? = nil,
                  trace: ControllerMemoryTrace? = nil) throws -> ControllerMetaGradient {
            try ControllerMAML.metaGradient(controller: controller ?? c, memory: bank, supportX: sx, supportY: sy,
                                            supportCount: ns, queryX: qx, queryY: qy, queryCount: nq, steps: steps,
                                            learningRate: lr, firstOrder: firstOrder, trace: trace)
        }
    }

    /// Coordinates to check: a spread over every trainable block.
    static func coordinates(_ layout: ControllerLayout) -> [Int] {
        layout.trainableRanges.flatMap { r in stride(from: r.lowerBound, to: r.upperBound, by: max(1, r.count / 5)) }
    }

    @Test func adaptIsFunctionalAndLowersTheSupportLoss() throws {
        let s = try Setup()
        let theta = Array(s.c.parameters), m0 = Array(s.bank.memory), u0 = Array(s.bank.usage)
        let a = try s.adapt(steps: 5, lr: 0.05)
        defer { withExtendedLifetime(a) {} }
        #expect(Array(s.c.parameters) == theta, "meta-parameters mutated")
        #expect(Array(s.bank.memory) == m0 && Array(s.bank.usage) == u0, "memory mutated")
        #expect(a.supportLosses.count == 6)
        #expect(a.supportLosses.last! < a.supportLosses.first! * 0.98, "\(a.supportLosses)")
        // The first loss is the unadapted one, computed from a copy of M_0.
        let l0 = try s.c.meanLoss(x: s.sx, y: s.sy, count: s.ns, memory: s.bank)
        #expect(abs(l0 - a.supportLosses[0]) <= 1e-6 * l0)
        let lK = try a.controller.meanLoss(x: s.sx, y: s.sy, count: s.ns, memory: s.bank)
        #expect(abs(lK - a.supportLosses[5]) <= 1e-6 * lK)
        // Write heads and W_hh have no gradient: unchanged; everything trainable moved.
        let l = s.c.layout
        var frozen = Set(0..<l.count)
        for r in l.trainableRanges { for k in r { frozen.remove(k) } }
        let adapted = Array(a.controller.parameters)
        #expect(frozen.allSatisfy { adapted[$0] == theta[$0] })
        #expect(l.trainableRanges.allSatisfy { r in r.contains { adapted[$0] != theta[$0] } })
        // Zero steps: θ itself.
        let none = try s.adapt(steps: 0, lr: 0.05)
        withExtendedLifetime(none) { #expect(Array(none.controller.parameters) == theta) }
    }

    /// One step: (θ − θ₁)/α is the fused support gradient; it equals the composed autodiff gradient (all entries)
    /// and central finite differences of the composed loss with the memory trace held fixed.
    @Test func adaptationGradientMatchesComposedAndFiniteDifferences() throws {
        let s = try Setup()
        let lr: Float = 1
        let a = try s.adapt(steps: 1, lr: lr)
        defer { withExtendedLifetime(a) {} }
        let l = s.c.layout
        let fused = (0..<l.count).map { (s.c.parameters[$0] - a.controller.parameters[$0]) / lr }
        let memories = try s.c.memoryTrace(x: s.sx, count: s.ns, memory: s.bank)
        let ps = ComposedController.variables(s.c.parameters.baseAddress!, layout: l)
        let loss = ComposedController.loss(x: s.sx, y: s.sy, count: s.ns, memories: memories, parameters: ps, layout: l)
        #expect(abs(Double(loss.value.scalar) - a.supportLosses[0]) <= 1e-5 * a.supportLosses[0])
        let g = gradients(of: loss, wrt: ps)
        var composed = [Float](repeating: 0, count: l.count)
        for (t, gt) in zip(l.tensors, g) { for k in 0..<t.count { composed[t.offset + k] = gt.value.pointer[k] } }
        let scale = composed.map { abs($0) }.max()!
        #expect(scale > 1e-3)
        for k in 0..<l.count { #expect(abs(fused[k] - composed[k]) <= 2e-4 * scale, "entry \(k)") }
        // Finite differences (Double accumulation of the Float loss; ε = 1e-2 on a spread of coordinates).
        func lossAt(_ k: Int, _ d: Float) -> Double {
            let q = ComposedController.variables(s.c.parameters.baseAddress!, layout: l, requiresGrad: false)
            let t = l.tensors.firstIndex { k >= $0.offset && k < $0.offset + $0.count }!
            q[t].value.pointer[k - l.tensors[t].offset] += d
            return Double(ComposedController.loss(x: s.sx, y: s.sy, count: s.ns, memories: memories, parameters: q,
                                                  layout: l).value.scalar)
        }
        let eps: Float = 1e-2
        var checked = 0
        for k in Self.coordinates(l) {
            let fd = (lossAt(k, eps) - lossAt(k, -eps)) / Double(2 * eps)
            #expect(abs(fd - Double(fused[k])) <= 3e-3 * Double(scale) + 2e-2 * abs(fd), "entry \(k): fd \(fd) fused \(fused[k])")
            checked += 1
        }
        #expect(checked >= 30)
    }

    /// θ_K of the composed inner loop (the meta-gradient's) equals the fused adaptation: L_Q(θ_K) agrees.
    @Test func composedInnerLoopEqualsFusedAdaptation() throws {
        let s = try Setup()
        let a = try s.adapt(steps: 3, lr: 0.1)
        let m = try s.meta(steps: 3, lr: 0.1, firstOrder: true)
        let fusedQuery = try a.controller.meanLoss(x: s.qx, y: s.qy, count: s.nq, memory: s.bank)
        #expect(abs(fusedQuery - m.queryLoss) <= 1e-4 * fusedQuery, "\(fusedQuery) vs \(m.queryLoss)")
        for t in 0..<3 { #expect(abs(a.supportLosses[t] - m.supportLosses[t]) <= 1e-4 * a.supportLosses[t]) }
    }

    /// The second-order meta-gradient equals finite differences of L_Q(θ_K(θ)) (memory trace held fixed); the
    /// first-order one does not (the check can fail: it sees the dropped Hessian terms).
    @Test func secondOrderMetaGradientMatchesFiniteDifferences() throws {
        let s = try Setup()
        let steps = 2, lr: Float = 0.5
        let theta = Array(s.c.parameters), m0 = Array(s.bank.memory)
        let so = try s.meta(steps: steps, lr: lr, firstOrder: false)
        let fo = try s.meta(steps: steps, lr: lr, firstOrder: true, trace: so.trace)
        #expect(Array(s.c.parameters) == theta && Array(s.bank.memory) == m0)
        let l = s.c.layout
        func flat(_ gs: [Tensor]) -> [Float] {
            var out = [Float](repeating: 0, count: l.count)
            for (t, g) in zip(l.tensors, gs) { for k in 0..<t.count { out[t.offset + k] = g.pointer[k] } }
            return out
        }
        let gSO = flat(so.gradients), gFO = flat(fo.gradients)
        let probe = try s.c.clone()
        func objective(_ k: Int, _ d: Float) throws -> Double {
            probe.parameters.baseAddress!.update(from: s.c.parameters.baseAddress!, count: l.count)
            probe.parameters[k] += d
            return try s.meta(steps: steps, lr: lr, firstOrder: false, on: probe, trace: so.trace).queryLoss
        }
        let eps: Float = 1e-2
        var errSO = 0.0, errFO = 0.0, norm = 0.0
        for k in Self.coordinates(l) {
            let fd = (try objective(k, eps) - objective(k, -eps)) / Double(2 * eps)
            errSO += (fd - Double(gSO[k])) * (fd - Double(gSO[k]))
            errFO += (fd - Double(gFO[k])) * (fd - Double(gFO[k]))
            norm += fd * fd
        }
        errSO = errSO.squareRoot(); errFO = errFO.squareRoot(); norm = norm.squareRoot()
        #expect(norm > 1e-3)
        #expect(errSO <= 2e-2 * norm, "second order: |fd − g| = \(errSO), |fd| = \(norm)")
        #expect(errFO > 5 * errSO, "first order should miss the Hessian terms: \(errFO) vs \(errSO)")
    }

    @Test func agentAdaptChangesOnlyTheControllerParameters() throws {
        let agent = try ContinualLearningAgent(inputDim: 6, hiddenDim: 8,
                                               config: MemoryConfig(memorySize: 9, memoryDim: 4, numReadHeads: 2),
                                               seed: 3)
        var rng = Xoshiro256(seed: 9)
        let x = (0..<10 * 6).map { _ in Float(rng.nextNormal()) }
        let y = x.map { tanhf(0.5 * $0 + 2) }
        for s in 0..<10 { _ = try agent.trainStep(x: Array(x[s * 6..<(s + 1) * 6]), y: Array(y[s * 6..<(s + 1) * 6]), useReplay: false) }
        let m0 = Array(agent.memoryBank.memory), u0 = Array(agent.memoryBank.usage), replay = agent.replay.count
        let expected = try agent.controller.adapted(supportX: x, supportY: y, count: 10, memory: agent.memoryBank,
                                                    steps: 5, learningRate: 0.01)
        defer { withExtendedLifetime(expected) {} }
        let losses = try agent.adapt(x: x, y: y, count: 10, steps: 5, learningRate: 0.01)
        #expect(losses == expected.supportLosses)
        #expect(Array(agent.controller.parameters) == Array(expected.controller.parameters))
        #expect(Array(agent.memoryBank.memory) == m0 && Array(agent.memoryBank.usage) == u0)
        #expect(agent.replay.count == replay)
        #expect(losses.last! < losses.first!)
        #expect(throws: MnemonetError.self) { try agent.adapt(x: x, y: y, count: 0, steps: 5, learningRate: 0.01) }
        #expect(throws: MnemonetError.self) { try agent.adapt(x: x, y: y, count: 10, steps: -1, learningRate: 0.01) }
        #expect(throws: MnemonetError.self) { try agent.adapt(x: x, y: y, count: 10, steps: 1, learningRate: .nan) }
    }
}
