import MnemonetBase
import MnemonetMeta

/// Learning without Forgetting (Li & Hoiem 2017): after each task the model is frozen as f_old; while training later
/// tasks, `distillationLoss` (α, T) between f_θ and f_old on the current batch, over the units of the tasks already
/// trained (every unit in the shared-head scenario), is added to the loss.
public final class LwF: ContinualPlugin {
    /// α.
    public let alpha: Float
    /// T.
    public let temperature: Float
    /// θ_old [P] (empty before the first task ends).
    public private(set) var oldParameters: [Float] = []
    /// The old units O (C flags).
    public private(set) var oldUnits: [UInt8] = []
    var workspace: MLPWorkspace?

    /// The plugin.
    public init(alpha: Float, temperature: Float) {
        self.alpha = alpha
        self.temperature = temperature
    }

    /// The units of tasks 0…`through` (all units for a shared head).
    public static func units(_ heads: OutputHeads, through task: Int) -> [UInt8] {
        var m = [UInt8](repeating: 0, count: heads.outputCount)
        if heads.mode == .shared { return [UInt8](repeating: 1, count: heads.outputCount) }
        for k in 0...task { for c in heads.units[k] { m[c] = 1 } }
        return m
    }

    /// Adds α·KL(f_old ‖ f_θ) on the batch to ∂L/∂z.
    public func outputGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float {
        if oldParameters.isEmpty { return 0 }
        let ws = workspace ?? MLPWorkspace(learner.mlp)
        workspace = ws
        let old = oldParameters.withUnsafeBufferPointer { ws.forward($0.baseAddress!, batch.x, batch.count) }
        return oldUnits.withUnsafeBufferPointer { m in
            distillationLoss(logits: learner.logits, oldLogits: old, rows: batch.count, classes: learner.heads.outputCount,
                             mask: m.baseAddress!, temperature: temperature, alpha: alpha, dLogits: learner.dLogits)
        }
    }

    /// θ_old ← θ, O ← units of tasks 0…t.
    public func afterTask(_ learner: ContinualLearner, task: Int, data: ContinualDataset) throws(MnemonetError) {
        oldParameters = Array(learner.parameters)
        oldUnits = Self.units(learner.heads, through: task)
    }
}
