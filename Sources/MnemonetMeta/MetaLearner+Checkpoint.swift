import MnemonetEngine

/// Checkpoints of a ``MetaLearner`` (kind `"meta-learner"`, written atomically by `CheckpointFile`): the network
/// shape, the configuration, θ, α, the outer Adam state, the task stream's generator state and the iteration count,
/// so that a resumed `trainSinusoid` continues exactly as an uninterrupted run.
extension MetaLearner: Checkpointable {
    /// The checkpoint kind.
    public static let checkpointKind = "meta-learner"
    static let checkpointVersion: UInt32 = 1

    /// The checkpoint payload (`Checkpointable` provides `save(path:)`, `load(path:)` and the in-memory forms).
    public func writeCheckpoint(to w: inout BinaryWriter) {
        w.write(MetaLearner.checkpointVersion)
        w.write(mlp.layerSizes.map { Int64($0) })
        w.write(UInt32(bitPattern: mlp.activation.code))
        w.write(UInt32(bitPattern: config.algorithm.rawValue))
        w.write(config.innerLearningRate)
        w.write(config.innerSteps)
        w.write(config.firstOrder)
        w.write(config.metaLearningRate)
        w.write(UInt32(bitPattern: config.backend.rawValue))
        w.write(config.alphaInitRange.lowerBound)
        w.write(config.alphaInitRange.upperBound)
        w.write(parameters)
        w.write(alphas)
        for slot in 0..<2 { optimizer.writeState(slot: slot, to: &w) }
        w.write(sampler.rng)
        w.write(iteration)
    }

    /// Reads a payload written by ``writeCheckpoint(to:)``; throws `.format` for truncated, corrupt or foreign data.
    public static func readCheckpoint(from r: inout BinaryReader, source: String) throws(MnemonetError) -> MetaLearner {
        let version = try r.readUInt32("checkpoint version")
        guard version == checkpointVersion else { throw .format("unsupported meta-learner checkpoint version \(version)") }
        let sizes = try r.readInt64s("layer sizes")
        // θ (and α for Meta-SGD) must be present before the network is allocated.
        var declared = 0
        for (a, b) in zip(sizes, sizes.dropFirst()) {
            guard a >= 1, b >= 1, a <= 1 << 24, b <= 1 << 24 else {
                throw .format("\(source) is corrupt (layer sizes \(sizes.prefix(8)))")
            }
            let (ab, o1) = Int(a).multipliedReportingOverflow(by: Int(b))
            let (t, o2) = declared.addingReportingOverflow(ab &+ Int(b))
            guard !o1 && !o2 && t <= r.remaining / 4 else {
                throw .format("\(source) is truncated or corrupt (layer sizes \(sizes.prefix(8)) need more than the \(r.remaining) bytes present)")
            }
            declared = t
        }
        guard let act = Activation(code: Int32(bitPattern: try r.readUInt32("activation"))) else {
            throw .format("unknown activation in \(source)")
        }
        guard let algo = MetaAlgorithm(rawValue: Int32(bitPattern: try r.readUInt32("algorithm"))) else {
            throw .format("unknown algorithm in \(source)")
        }
        var c = MetaLearnerConfig()
        c.algorithm = algo
        c.innerLearningRate = try r.readFloat("inner learning rate")
        guard c.innerLearningRate.isFinite else { throw .format("\(source) is corrupt (inner learning rate \(c.innerLearningRate))") }
        c.innerSteps = try r.readInt("inner steps", in: 0...10_000)
        c.firstOrder = try r.readBool("first-order flag")
        c.metaLearningRate = try r.readFloat("meta learning rate")
        guard c.metaLearningRate.isFinite else { throw .format("\(source) is corrupt (meta learning rate \(c.metaLearningRate))") }
        guard let backend = MetaBackend(rawValue: Int32(bitPattern: try r.readUInt32("backend"))) else {
            throw .format("unknown backend in \(source)")
        }
        c.backend = backend
        let lo = try r.readFloat("alpha init low"), hi = try r.readFloat("alpha init high")
        guard lo.isFinite, hi.isFinite, lo <= hi else { throw .format("bad alpha init range in \(source)") }
        c.alphaInitRange = lo...hi
        let mlp: MLP
        do {
            mlp = try MLP(layerSizes: sizes.map { Int(clamping: $0) }, activation: act)
            try c.validate()
        } catch { throw .format("invalid meta-learner in \(source): \(error.message)") }
        let learner: MetaLearner
        do { learner = try MetaLearner(mlp: mlp, config: c, seed: 0) } catch {
            throw .format("invalid meta-learner in \(source): \(error.message)")
        }
        learner.parameters = try r.readFloats("parameters", expectedCount: mlp.parameterCount)
        learner.alphas = try r.readFloats("alphas", expectedCount: algo == .metaSGD ? mlp.parameterCount : 0)
        for slot in 0..<2 {
            let n = slot == 0 ? mlp.parameterCount : learner.alphas.count
            try learner.optimizer.readState(slot: slot, shape: [n], from: &r)
            if n == 0 && learner.optimizer.states[slot] != nil {
                throw .format("optimizer state for an empty slot in \(source)")
            }
        }
        learner.sampler.rng = try r.readRandomGenerator()
        learner.iteration = try r.readInt("iteration")
        return learner
    }
}
