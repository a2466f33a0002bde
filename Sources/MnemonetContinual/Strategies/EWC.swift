import MnemonetBase

/// Online Elastic Weight Consolidation (Kirkpatrick et al. 2017; online form of Schwarz et al. 2018):
///
///     after task t:  F_t = (1/N) Σ_n (∇_θ ℓ(x_n, y_n; θ_t))²   (empirical Fisher, diagonal, per example)
///                    F̃ ← γ F̃ + F_t,   θ* ← θ_t
///     penalty        Ω(θ) = (λ/2) Σ_i F̃_i (θ_i − θ*_i)²,   ∇Ω = λ F̃ ⊙ (θ − θ*)
public final class EWC: ContinualPlugin {
    /// λ.
    public let lambda: Float
    /// γ.
    public let decay: Float
    /// F̃ [P] (empty before the first task ends).
    public private(set) var fisher: [Float] = []
    /// θ* [P].
    public private(set) var anchor: [Float] = []

    /// The plugin.
    public init(lambda: Float, decay: Float) {
        self.lambda = lambda
        self.decay = decay
    }

    /// F = (1/N) Σ_n (∇_θ ℓ_n)² on `data` at `stage`, at the learner's θ.
    public static func empiricalFisher(_ learner: ContinualLearner, data: ContinualDataset, stage: Int) throws(MnemonetError) -> [Float] {
        let p = learner.parameterCount, d = data.inputDim
        var f = [Float](repeating: 0, count: p)
        var g = [Float](repeating: 0, count: p)
        let inv = 1 / Float(max(data.count, 1))
        try data.x.withUnsafeBufferPointer { (x) throws(MnemonetError) in
            try data.labels.withUnsafeBufferPointer { (y) throws(MnemonetError) in
                try data.tasks.withUnsafeBufferPointer { (t) throws(MnemonetError) in
                    for n in 0..<data.count {
                        _ = try g.withUnsafeMutableBufferPointer { (gb) throws(MnemonetError) in
                            try learner.lossAndGradient(
                                theta: learner.parameters.baseAddress!, x: x.baseAddress! + n * d,
                                labels: y.baseAddress! + n, tasks: t.baseAddress! + n, weights: nil, rows: 1,
                                stage: stage, grad: gb.baseAddress!)
                        }
                        for i in 0..<p { f[i] += inv * g[i] * g[i] }
                    }
                }
            }
        }
        return f
    }

    /// Ω(θ) at `theta`, adding ∇Ω into `grad` (0 before the first task ends).
    public func penalty(theta: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>) -> Float {
        if fisher.isEmpty { return 0 }
        return quadraticPenalty(theta: theta, anchor: anchor, weights: fisher, coefficient: 0.5 * lambda, grad: grad)
    }

    /// F̃ ← γF̃ + F_t (F̃ = F_0 after the first task), θ* ← θ.
    public func consolidate(fisher f: [Float], parameters: UnsafeBufferPointer<Float>) {
        if fisher.isEmpty {
            fisher = f
        } else {
            for i in 0..<f.count { fisher[i] = decay * fisher[i] + f[i] }
        }
        anchor = Array(parameters)
    }

    /// Adds ∇Ω.
    public func parameterGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float {
        penalty(theta: learner.parameters.baseAddress!, grad: learner.gradient.baseAddress!)
    }

    /// Estimates F_t and consolidates.
    public func afterTask(_ learner: ContinualLearner, task: Int, data: ContinualDataset) throws(MnemonetError) {
        let f = try Self.empiricalFisher(learner, data: data, stage: task)
        consolidate(fisher: f, parameters: UnsafeBufferPointer(learner.parameters))
    }
}
