import MnemonetBase

/// Synaptic Intelligence (Zenke, Poole & Ganguli 2017):
///
///     during task t, after each step:  ω ← ω − g ⊙ Δθ        (g: gradient of the task loss, Δθ: the step taken)
///     after task t:   Ω ← Ω + ω / ((θ_t − θ_{t−1})² + ξ),   ω ← 0,   θ̃ ← θ_t
///     penalty         c Σ_i Ω_i (θ_i − θ̃_i)²,   gradient 2c Ω ⊙ (θ − θ̃)
public final class SynapticIntelligence: ContinualPlugin {
    /// c.
    public let strength: Float
    /// ξ.
    public let damping: Float
    /// Ω [P] (empty before the first task ends).
    public private(set) var importance: [Float] = []
    /// ω [P], the running path integral of the current task.
    public private(set) var pathIntegral: [Float] = []
    /// θ̃ [P].
    public private(set) var anchor: [Float] = []
    var taskStart: [Float] = []
    var previous: [Float] = []
    var taskGradient: [Float] = []

    /// The plugin.
    public init(strength: Float, damping: Float) {
        self.strength = strength
        self.damping = damping
    }

    /// Starts a task: θ_{t−1} ← θ, ω ← 0.
    public func beginTask(parameters: UnsafeBufferPointer<Float>) {
        taskStart = Array(parameters)
        pathIntegral = [Float](repeating: 0, count: parameters.count)
    }

    /// Records the task gradient `g` and θ before a step.
    public func recordStep(gradient g: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>) {
        taskGradient = Array(g)
        previous = Array(parameters)
    }

    /// ω ← ω − g ⊙ (θ − θ_before) after the step recorded by `recordStep`.
    public func accumulate(parameters: UnsafeBufferPointer<Float>) {
        for i in 0..<pathIntegral.count { pathIntegral[i] -= taskGradient[i] * (parameters[i] - previous[i]) }
    }

    /// Ω ← Ω + ω / (Δ² + ξ), θ̃ ← θ.
    public func endTask(parameters: UnsafeBufferPointer<Float>) {
        if importance.isEmpty { importance = [Float](repeating: 0, count: parameters.count) }
        for i in 0..<parameters.count {
            let delta = parameters[i] - taskStart[i]
            importance[i] += pathIntegral[i] / (delta * delta + damping)
        }
        anchor = Array(parameters)
    }

    /// The penalty at `theta`, adding its gradient into `grad`.
    public func penalty(theta: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>) -> Float {
        if importance.isEmpty { return 0 }
        return quadraticPenalty(theta: theta, anchor: anchor, weights: importance, coefficient: strength, grad: grad)
    }

    /// `beginTask`.
    public func beforeTask(_ learner: ContinualLearner, task: Int) throws(MnemonetError) {
        beginTask(parameters: UnsafeBufferPointer(learner.parameters))
    }

    /// Records g (the task loss's) and θ, then adds the penalty's gradient.
    public func parameterGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float {
        recordStep(gradient: UnsafeBufferPointer(learner.gradient), parameters: UnsafeBufferPointer(learner.parameters))
        return penalty(theta: learner.parameters.baseAddress!, grad: learner.gradient.baseAddress!)
    }

    /// `accumulate`.
    public func afterUpdate(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) {
        accumulate(parameters: UnsafeBufferPointer(learner.parameters))
    }

    /// `endTask`.
    public func afterTask(_ learner: ContinualLearner, task: Int, data: ContinualDataset) throws(MnemonetError) {
        endTask(parameters: UnsafeBufferPointer(learner.parameters))
    }
}
