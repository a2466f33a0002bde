import MnemonetBase
import MnemonetMemory

extension ContinualLearningAgent {
    /// Adapts the controller in place on a new task's support set before training on it (the seed's "new task:
    /// meta-adapt first, then train"): K = `steps` SGD steps of rate α = `learningRate` on the mean support MSE,
    /// exactly `MemoryController.adapted(…)` from the agent's current memory, then θ ← θ_K.
    ///
    /// x [count, I], y [count, O]. The agent's memory and usage are NOT modified (every support pass runs on a copy), nor are
    /// Adam's moments or the replay buffer; only the controller's parameters change (write heads and W_hh keep
    /// their values: they have no gradient). Returns the support losses L_S(θ_0…θ_K) (K + 1 values).
    @discardableResult
    public func adapt(x: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int, steps: Int,
                      learningRate: Float) throws(MnemonetError) -> [Double] {
        try require(learningRate.isFinite && learningRate >= 0, "lr must be finite and >= 0, got \(learningRate)")
        try require(count >= 1, "adapt needs at least one support sample, got \(count)")
        try requireFinite(UnsafeBufferPointer(start: x, count: count * inputDim), "support_x", columns: inputDim)
        try requireFinite(UnsafeBufferPointer(start: y, count: count * outputDim), "support_y", columns: outputDim)
        let result = try controller.adapted(supportX: x, supportY: y, count: count, memory: memoryBank, steps: steps,
                                            learningRate: learningRate)
        // Adaptation is functional: the agent's weights change only if every loss and every adapted weight is finite.
        if let k = result.supportLosses.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite("adapt: the support loss after \(k) step(s) is \(result.supportLosses[k]); the agent is unchanged")
        }
        if let k = firstNonFinite(UnsafeBufferPointer(result.controller.parameters)) {
            throw .nonFinite("adapt: adapted parameter \(k) is \(result.controller.parameters[k]); the agent is unchanged")
        }
        controller.parameters.baseAddress!.update(from: result.controller.parameters.baseAddress!,
                                                  count: controller.layout.count)
        return result.supportLosses
    }
}
