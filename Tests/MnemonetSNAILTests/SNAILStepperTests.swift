import Glibc
import MnemonetBase
import MnemonetEngine
import MnemonetSNAIL
import Testing
import MnemonetTestSupport

@Suite struct SNAILStepperTests {
    /// Stepping one step at a time gives the full-sequence forward pass.
    @Test func stepsEqualTheFullForwardPass() throws {
        let model = try SNAIL(inputSize: 4, outputSize: 3, sequenceLength: 11,
                              blocks: [.tc(filters: 5), .attention(key: 4, value: 3), .tc(filters: 2), .attention(key: 2, value: 6)],
                              seed: 2)
        let x = rand([3, 11, 4], seed: 4)
        let full = GradMode.withoutGrad { model(Variable(x)).value }
        let stepper = SNAILStepper(model)
        var state = stepper.initialState(batch: 3, maxLength: 11)
        var worst: Float = 0
        var xt = [Float](repeating: 0, count: 3 * 4), yt = [Float](repeating: 0, count: 3 * 3)
        for t in 0..<11 {
            for b in 0..<3 { for c in 0..<4 { xt[b * 4 + c] = x[flat: (b * 11 + t) * 4 + c] } }
            stepper.step(xt, &state, output: &yt)
            for b in 0..<3 { for o in 0..<3 { worst = max(worst, abs(yt[b * 3 + o] - full[flat: (b * 11 + t) * 3 + o])) } }
        }
        #expect(worst <= 1e-5, "worst difference \(worst)")
    }

    /// With an embedding network (final ReLU or linear), stepping equals the full forward pass too.
    @Test(arguments: [true, false])
    func stepsWithAnEmbeddingEqualTheFullForwardPass(_ finalReLU: Bool) throws {
        let model = try SNAIL(inputSize: 6, outputSize: 3, sequenceLength: 7,
                              blocks: [.tc(filters: 3), .attention(key: 4, value: 3)],
                              embedding: SNAILEmbeddingSpec(sizes: [5, 4], inputs: 4, finalReLU: finalReLU), seed: 4)
        let x = rand([2, 7, 6], seed: 5)
        let full = GradMode.withoutGrad { model(Variable(x)).value }
        let stepper = SNAILStepper(model)
        var state = stepper.initialState(batch: 2, maxLength: 7)
        var worst: Float = 0
        var xt = [Float](repeating: 0, count: 2 * 6), yt = [Float](repeating: 0, count: 2 * 3)
        for t in 0..<7 {
            for b in 0..<2 { for c in 0..<6 { xt[b * 6 + c] = x[flat: (b * 7 + t) * 6 + c] } }
            stepper.step(xt, &state, output: &yt)
            for b in 0..<2 { for o in 0..<3 { worst = max(worst, abs(yt[b * 3 + o] - full[flat: (b * 7 + t) * 3 + o])) } }
        }
        #expect(worst <= 1e-5, "worst difference \(worst)")
    }

    /// A checkpoint keeps the embedding (spec and weights): resumed supervised training continues exactly.
    @Test func checkpointWithAnEmbeddingResumesExactly() throws {
        func make() throws -> SNAILLearner {
            try SNAILLearner(model: try SNAIL(inputSize: 5, outputSize: 2, sequenceLength: 4, blocks: [.tc(filters: 2)],
                                              embedding: SNAILEmbeddingSpec(sizes: [3], inputs: 3, finalReLU: false),
                                              seed: 6), seed: 6)
        }
        let x = rand([2, 4, 5], seed: 1), targets = rand([2, 4, 2], seed: 2), w = Tensor(shape: [2, 4], repeating: 1)
        let straight = try make(), first = try make()
        for _ in 0..<4 { try straight.trainStep(x: x, targets: targets, weights: w, loss: .mse) }
        for _ in 0..<2 { try first.trainStep(x: x, targets: targets, weights: w, loss: .mse) }
        var writer = BinaryWriter()
        first.writeCheckpoint(to: &writer)
        var reader = BinaryReader(writer.bytes)
        let resumed = try SNAILLearner.readCheckpoint(from: &reader, source: "test")
        #expect(resumed.model.embedding?.spec == SNAILEmbeddingSpec(sizes: [3], inputs: 3, finalReLU: false))
        for _ in 0..<2 { try resumed.trainStep(x: x, targets: targets, weights: w, loss: .mse) }
        #expect(resumed.model.parameters.map(\.array) == straight.model.parameters.map(\.array))
        #expect(resumed.model.namedParameters.map(\.name) == straight.model.namedParameters.map(\.name))
    }

    @Test func advantagesFollowGAE() throws {
        let r = BanditRollout(inputs: Tensor(shape: [1, 3, 4]), actions: [0, 1, 0], rewards: [1, 0, 1], values: [0.5, 0.2, 0.4])
        var c = ActorCriticConfig()
        c.discount = 0.9
        c.gaeLambda = 0.5
        let (adv, ret) = BanditActorCritic.advantages(r, pulls: 3, config: c)
        let d2: Float = 1 - 0.4, d1: Float = 0 + 0.9 * 0.4 - 0.2, d0: Float = 1 + 0.9 * 0.2 - 0.5
        let a2 = d2, a1 = d1 + 0.45 * a2, a0 = d0 + 0.45 * a1
        for (x, y) in zip(adv, [a0, a1, a2] as [Float]) { #expect(Swift.abs(x - y) <= 1e-6) }
        for (x, y) in zip(ret, [a0 + 0.5, a1 + 0.2, a2 + 0.4] as [Float]) { #expect(Swift.abs(x - y) <= 1e-6) }
    }

    /// The rollout's recorded values equal the critic of the full forward pass, and the inputs follow the encoding
    /// (previous action one-hot, previous reward, t/N) and the common random numbers.
    @Test func rolloutIsConsistent() throws {
        let task = try BanditTask(arms: 3, pulls: 6)
        let model = try SNAIL(inputSize: task.inputSize, outputSize: task.outputSize, sequenceLength: 6,
                              blocks: [.tc(filters: 4), .attention(key: 3, value: 3)], seed: 1)
        var rng = Xoshiro256(seed: 9)
        let (p, u) = task.draw(episodes: 4, rng: &rng)
        let r = BanditActorCritic.rollout(model: model, task: task, config: ActorCriticConfig(), probabilities: p, uniforms: u,
                                          greedy: false, rng: &rng)
        let y = GradMode.withoutGrad { model(Variable(r.inputs)).value }
        let h = BanditActorCritic.valueScale(pulls: 6, config: ActorCriticConfig())
        #expect(abs(h - (1 - powf(0.99, 6)) / 0.01) <= 1e-4)
        for e in 0..<4 {
            for t in 0..<6 {
                let i = e * 6 + t
                #expect(abs(h * y[flat: i * 4 + 3] - r.values[i]) <= 1e-4)
                let a = r.actions[i]
                #expect(r.rewards[i] == (u[flat: i * 3 + a] < p[flat: e * 3 + a] ? 1 : 0))
                let x = Array(r.inputs.array[(i * 5)..<(i * 5 + 5)])
                #expect(x[4] == Float(t) / 6)
                if t == 0 { #expect(x[0..<4].allSatisfy { $0 == 0 }) } else {
                    #expect(x[r.actions[i - 1]] == 1 && x[0..<3].reduce(0, +) == 1 && x[3] == r.rewards[i - 1])
                }
            }
        }
    }

    @Test func checkpointRoundTripResumesExactly() throws {
        let task = try BanditTask(arms: 2, pulls: 5)
        func make() throws -> SNAILLearner {
            try SNAILLearner(model: try SNAIL(inputSize: 4, outputSize: 3, sequenceLength: 5,
                                              blocks: [.attention(key: 2, value: 2), .tc(filters: 3)], seed: 3), seed: 3)
        }
        let straight = try make(), first = try make()
        for _ in 0..<4 { try BanditActorCritic.trainStep(learner: straight, task: task, batch: 3, config: ActorCriticConfig()) }
        for _ in 0..<2 { try BanditActorCritic.trainStep(learner: first, task: task, batch: 3, config: ActorCriticConfig()) }
        let path = "/tmp/mnemonet-snail-test-\(getpid())"
        defer { unlink(path) }
        try first.save(path: path)
        let resumed = try SNAILLearner.load(path: path)
        #expect(resumed.iteration == 2)
        for _ in 0..<2 { try BanditActorCritic.trainStep(learner: resumed, task: task, batch: 3, config: ActorCriticConfig()) }
        #expect(resumed.model.parameters.map(\.array) == straight.model.parameters.map(\.array))
        #expect(resumed.model.namedParameters.map(\.name) == straight.model.namedParameters.map(\.name))
    }
}
