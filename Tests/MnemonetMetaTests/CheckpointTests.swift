import Glibc
import MnemonetBase
import MnemonetMeta
import Testing

@Suite struct MetaCheckpointTests {
    func tempPath(_ name: String) -> String { "/tmp/mnemonet-meta-test-\(getpid())-\(name)" }

    @Test func resumedTrainingMatchesUninterrupted() throws {
        var c = MetaLearnerConfig()
        c.algorithm = .metaSGD
        let straight = try MetaLearner(mlp: try MLP(layerSizes: [1, 10, 10, 1]), config: c, seed: 4)
        try straight.trainSinusoid(iterations: 30, metaBatchSize: 4, shots: 5, lossHistory: nil)
        let first = try MetaLearner(mlp: try MLP(layerSizes: [1, 10, 10, 1]), config: c, seed: 4)
        try first.trainSinusoid(iterations: 12, metaBatchSize: 4, shots: 5, lossHistory: nil)
        let path = tempPath("resume")
        defer { unlink(path) }
        try first.save(path: path)
        let resumed = try MetaLearner.load(path: path)
        #expect(resumed.iteration == 12 && resumed.parameters == first.parameters && resumed.alphas == first.alphas)
        try resumed.trainSinusoid(iterations: 18, metaBatchSize: 4, shots: 5, lossHistory: nil)
        #expect(resumed.parameters == straight.parameters)
        #expect(resumed.alphas == straight.alphas)
    }

    @Test func foreignOrMissingFilesThrow() throws {
        #expect(throws: MnemonetError.self) { try MetaLearner.load(path: tempPath("does-not-exist")) }
        let path = tempPath("foreign")
        defer { unlink(path) }
        try CheckpointFile.write(path: path, kind: "replay", payload: [1, 2, 3])
        do {
            _ = try MetaLearner.load(path: path)
            Issue.record("loading a foreign checkpoint must throw")
        } catch {
            #expect(error.statusCode == 5)
        }
    }
}
