import MnemonetBase
import MnemonetEngine

/// Checkpoints of a ``SNAILLearner`` (kind `"snail"`, written atomically by `CheckpointFile`): the architecture,
/// the optimiser settings, every parameter (named-parameter order), the Adam state, the generator and the
/// iteration count, so that resumed training continues exactly as an uninterrupted run.
///
/// Version 2 (this one) adds the embedding network after the stage specs: a layer count n (0: none), then, when
/// n > 0, F, the final-ReLU flag and E₁…E_n. Version 1 files (no embedding) still load.
extension SNAILLearner: Checkpointable {
    /// The checkpoint kind.
    public static let checkpointKind = "snail"
    static let checkpointVersion: UInt32 = 2

    /// Appends the checkpoint payload (`Checkpointable` provides `save(path:)`, `load(path:)` and the bytes forms).
    public func writeCheckpoint(to w: inout BinaryWriter) {
        w.write(SNAILLearner.checkpointVersion)
        w.write(model.inputSize)
        w.write(model.outputSize)
        w.write(model.sequenceLength)
        w.write(model.specs.count)
        for spec in model.specs {
            switch spec {
            case .attention(let k, let v): w.write(UInt8(0)); w.write(k); w.write(v)
            case .tc(let d): w.write(UInt8(1)); w.write(d); w.write(0)
            }
        }
        if let e = model.embedding?.spec {
            w.write(e.sizes.count)
            w.write(e.inputs)
            w.write(e.finalReLU)
            for size in e.sizes { w.write(size) }
        } else {
            w.write(0)
        }
        w.write(config.learningRate)
        w.write(config.clipNorm)
        for p in model.parameters { w.write(p.array) }
        for s in optimizer.states {
            if let s {
                w.write(true)
                w.write(s.step)
                w.write(s.expAvg.array)
                w.write(s.expAvgSq.array)
            } else {
                w.write(false)
            }
        }
        w.write(rng)
        w.write(iteration)
    }

    /// Reads a payload written by ``writeCheckpoint(to:)``; `.format` for a truncated, corrupt or foreign one.
    public static func readCheckpoint(from r: inout BinaryReader, source origin: String) throws(MnemonetError) -> SNAILLearner {
        let version = try r.readUInt32("checkpoint version")
        guard version == 1 || version == checkpointVersion else {
            throw .format("unsupported SNAIL checkpoint version \(version)")
        }
        let i = try r.readInt("input size", in: 1...(1 << 20)), o = try r.readInt("output size", in: 1...(1 << 20))
        let t = try r.readInt("sequence length", in: 1...(1 << 20))
        let count = try r.readInt("block count", in: 0...64)
        var specs: [SNAILBlockSpec] = []
        for _ in 0..<count {
            let tag = try r.readUInt8("block kind")
            let a = try r.readInt("block size", in: 1...(1 << 16)), b = try r.readInt("block size", in: 0...(1 << 16))
            switch tag {
            case 0: specs.append(.attention(key: a, value: b))
            case 1: specs.append(.tc(filters: a))
            default: throw .format("unknown SNAIL block kind \(tag) in \(origin)")
            }
        }
        var embedding: SNAILEmbeddingSpec? = nil
        if version >= 2 {
            let layers = try r.readInt("embedding layer count", in: 0...16)
            if layers > 0 {
                let inputs = try r.readInt("embedding inputs", in: 1...i)
                let finalReLU = try r.readBool("embedding final ReLU flag")
                var sizes: [Int] = []
                for _ in 0..<layers { sizes.append(try r.readInt("embedding layer size", in: 1...(1 << 16))) }
                embedding = SNAILEmbeddingSpec(sizes: sizes, inputs: inputs, finalReLU: finalReLU)
            }
        }
        let c = SNAILOptimizerConfig(learningRate: try r.readFloat("learning rate"), clipNorm: try r.readFloat("clip norm"))
        let learner: SNAILLearner
        do {
            learner = try SNAILLearner(
                model: try SNAIL(inputSize: i, outputSize: o, sequenceLength: t, blocks: specs, embedding: embedding, seed: 0), config: c, seed: 0)
        } catch { throw .format("invalid SNAIL checkpoint \(origin): \(error.message)") }
        for p in learner.model.parameters {
            try r.readFloats("parameters", into: p.buffer)
        }
        for (slot, p) in learner.model.parameters.enumerated() {
            guard try r.readBool("optimizer state flag") else { continue }
            let step = try r.readInt("optimizer step", in: 1...Int(Int32.max))
            let m = try r.readFloats("optimizer first moments", expectedCount: p.count)
            let v = try r.readFloats("optimizer second moments", expectedCount: p.count)
            learner.optimizer.states[slot] = AdamState(
                step: step, expAvg: Tensor(shape: p.shape, values: m), expAvgSq: Tensor(shape: p.shape, values: v))
        }
        learner.rng = try r.readRandomGenerator()
        learner.iteration = try r.readInt("iteration")
        return learner
    }
}
