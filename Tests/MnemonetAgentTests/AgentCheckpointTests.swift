import Foundation
import MnemonetAgent
import MnemonetBase
import MnemonetMemory
import Testing

/// `ContinualLearningAgent` checkpoints: an exact round trip (training continues identically) and clear errors.
struct AgentCheckpointTests {
    static func data(_ count: Int, _ width: Int, seed: UInt64) -> ([Float], [Float]) {
        var rng = Xoshiro256(seed: seed)
        let x = (0..<count * width).map { _ in Float(rng.nextNormal()) }
        return (x, x.map { Float(Glibc.tanh(Double($0) * 0.5 + 2)) })
    }

    func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "mnemonet-agent-\(getpid())-\(name)"
    }

    @Test func roundTripContinuesIdentically() throws {
        let config = MemoryConfig(memorySize: 12, memoryDim: 8, numReadHeads: 2)
        let a = try ContinualLearningAgent(inputDim: 16, hiddenDim: 10, config: config, replayCapacity: 40, seed: 7)
        let (x, y) = Self.data(25, 16, seed: 1)
        var first = [Double](repeating: 0, count: 50)
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeBufferPointer { yp in
                try first.withUnsafeMutableBufferPointer { lp in
                    try a.fit(x: xp.baseAddress!, y: yp.baseAddress!, count: 25, epochs: 2, useReplay: true,
                              losses: lp.baseAddress!)
                }
            }
        }
        let path = temporaryPath("roundtrip")
        defer { unlink(path) }
        try a.save(path: path)
        let b = try ContinualLearningAgent.load(path: path)
        #expect(b.replay.count == 40 && b.config == config && b.hiddenDim == 10)
        var la = [Double](repeating: 0, count: 25), lb = la
        for (agent, out) in [(a, 0), (b, 1)] {
            var losses = [Double](repeating: 0, count: 25)
            try x.withUnsafeBufferPointer { xp in
                try y.withUnsafeBufferPointer { yp in
                    try losses.withUnsafeMutableBufferPointer { lp in
                        try agent.fit(x: xp.baseAddress!, y: yp.baseAddress!, count: 25, epochs: 1, useReplay: true,
                                      losses: lp.baseAddress!)
                    }
                }
            }
            if out == 0 { la = losses } else { lb = losses }
        }
        #expect(la == lb)
        #expect(Array(a.memoryBank.memory) == Array(b.memoryBank.memory))
        #expect(Array(a.controller.parameters) == Array(b.controller.parameters))
    }

    @Test func truncatedOrCorruptFilesAreFormatErrors() throws {
        let a = try ContinualLearningAgent(inputDim: 16, hiddenDim: 4,
                                           config: MemoryConfig(memorySize: 4, memoryDim: 4, numReadHeads: 1), seed: 1)
        let path = temporaryPath("corrupt")
        defer { unlink(path) }
        try a.save(path: path)
        let bytes = try AtomicFile.readAll(path: path)
        for cut in [10, bytes.count / 2, bytes.count - 1] {
            try AtomicFile.write(path: path, chunks: [Array(bytes[0..<cut])])
            #expect(throws: MnemonetError.self) { _ = try ContinualLearningAgent.load(path: path) }
            do { _ = try ContinualLearningAgent.load(path: path) } catch {
                if case .format = error {} else { Issue.record("cut at \(cut): \(error) is not a format error") }
            }
        }
        var flipped = bytes
        flipped[bytes.count - 5] ^= 0x10
        try AtomicFile.write(path: path, chunks: [flipped])
        do {
            _ = try ContinualLearningAgent.load(path: path)
            Issue.record("a flipped byte was not detected")
        } catch {
            #expect(error.message.contains("checksum"))
        }
    }
}
