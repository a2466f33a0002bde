import Foundation
import MnemonetAgent
import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import Testing

/// `DNCMemoryAgent` (`ContinualLearningAgent(memory="dnc")`): the training loss's gradient against finite
/// differences, a checkpoint round trip through the agent-kind dispatcher, transactional failure.
struct DNCMemoryAgentTests {
    static func data(_ count: Int, _ width: Int, seed: UInt64) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        return (0..<count * width).map { _ in Float(rng.nextNormal()) }
    }

    static func agent() throws -> DNCMemoryAgent {
        try DNCMemoryAgent(inputDim: 6, hiddenDim: 8, config: MemoryConfig(memorySize: 5, memoryDim: 4, numReadHeads: 2),
                           replayCapacity: 40, seed: 3)
    }

    static func fit(_ a: DNCMemoryAgent, _ x: [Float], _ y: [Float], count: Int) throws {
        var losses = [Double](repeating: 0, count: count)
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeBufferPointer { yp in
                try losses.withUnsafeMutableBufferPointer { lp in
                    try a.fit(x: xp.baseAddress!, y: yp.baseAddress!, count: count, epochs: 1, useReplay: true,
                              losses: lp.baseAddress!)
                }
            }
        }
    }

    /// L(θ) = mse(step(x, M)) + Σ_j λ w_j mse(step(x_j, sg(M'))) — the loss `trainStep` differentiates — has the
    /// gradient of a fourth-order central difference along a random direction of every parameter tensor (with M'
    /// held fixed, as the stop-gradient says).
    @Test func lossGradientMatchesFiniteDifferences() throws {
        let a = try Self.agent()
        // A non-trivial memory, but with usages still apart: the allocation weighting sorts the usage, and near a tie
        // of two usages the loss has a kink that a finite difference straddles.
        try Self.fit(a, Self.data(3, 6, seed: 1), Self.data(3, 6, seed: 2), count: 3)
        let x = Self.data(1, 6, seed: 3), y = Self.data(1, 6, seed: 4)
        let xr = Self.data(3, 6, seed: 5), yr = Self.data(3, 6, seed: 6), w: [Float] = [1, 0.5, 0.8]
        // The replayed rows read sg(M'): M' is a constant of the loss (computed once, at the unperturbed weights).
        let after = a.core.step(x, from: a.core.access).state.detached()
        func loss() -> Variable {
            let (y0, _) = a.core.step(x, from: a.core.access)
            return a.mse(y0, y) + a.replayLoss(x: xr, y: yr, weights: w, count: 3, from: after)
        }
        let params = a.core.trainer.model.namedParameters.map { $0.variable }
        let grads = gradients(of: loss(), wrt: params)
        var rng = Xoshiro256(seed: 9)
        for (p, g) in zip(params, grads) {
            let buffer = p.value.buffer
            let d = (0..<buffer.count).map { _ in Float(rng.nextNormal()) }
            let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let dir = d.map { $0 / norm }
            let saved = Array(buffer)
            func at(_ t: Float) -> Double {
                for k in 0..<buffer.count { buffer[k] = saved[k] + t * dir[k] }
                defer { for k in 0..<buffer.count { buffer[k] = saved[k] } }
                return Double(loss().scalar)
            }
            let h: Float = 2e-3
            let numeric = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * Double(h))
            var analytic = 0.0
            for k in 0..<buffer.count { analytic += Double(g.value.buffer[k]) * Double(dir[k]) }
            #expect(abs(analytic - numeric) <= 2e-2 * abs(numeric) + 5e-4,
                    "\(p.shape): analytic \(analytic), numeric \(numeric)")
        }
    }

    /// The checkpoint records the memory kind: `AgentCheckpoint` gives back a `DNCMemoryAgent` that continues
    /// identically; the seed agent's reader refuses it with a clear error.
    @Test func checkpointRoundTripThroughTheDispatcher() throws {
        let a = try Self.agent()
        let x = Self.data(30, 6, seed: 1), y = Self.data(30, 6, seed: 2)
        try Self.fit(a, x, y, count: 30)
        let bytes = a.checkpointBytes()
        let b = try #require(try AgentCheckpoint.load(checkpointBytes: bytes) as? DNCMemoryAgent)
        let la = try a.trainStep(x: x, y: y, useReplay: true), lb = try b.trainStep(x: x, y: y, useReplay: true)
        #expect(la == lb)
        #expect(b.replay.count == a.replay.count && b.memoryKind == .dnc)
        #expect(throws: MnemonetError.self) { _ = try ContinualLearningAgent.load(checkpointBytes: bytes) }
        let seed = try ContinualLearningAgent(inputDim: 6, hiddenDim: 8, config: MemoryConfig(memorySize: 5, memoryDim: 4, numReadHeads: 2),
                                              replayCapacity: 40, seed: 3)
        #expect(try AgentCheckpoint.load(checkpointBytes: seed.checkpointBytes()) is ContinualLearningAgent)
    }

    /// A step whose loss overflows leaves the agent bit-identical.
    @Test func failedStepChangesNothing() throws {
        let a = try Self.agent()
        try Self.fit(a, Self.data(20, 6, seed: 1), Self.data(20, 6, seed: 2), count: 20)
        let before = a.checkpointBytes()
        let huge = [Float](repeating: 3e38, count: 6)
        #expect(throws: MnemonetError.self) { _ = try a.trainStep(x: huge, y: huge, useReplay: true) }
        #expect(a.checkpointBytes() == before)
    }
}
