import MnemonetBase

/// A strategy's hooks into the shared training loop of ``ContinualLearner`` (Avalanche's plugin template: every
/// strategy is the same loop plus hooks, never a branch in the loop). Every hook has a no-op default.
///
/// The loop, for each task t = 0…T−1:
///
///     beforeTask(t);  D ← trainingSet(t) ?? D_t
///     for each epoch, for each shuffled minibatch B of D:
///         extendBatch(B)                          (replay appends rows)
///         if update(B) { afterUpdate(B); continue }  (a plugin that owns the whole update, e.g. MER)
///         L = CE(f_θ(B)) + Σ outputGradient(…)      (adds to ∂L/∂z, e.g. LwF)
///         g = ∇_θ L;  L += Σ parameterGradient(…)   (adds penalties or projects g: EWC, SI, A-GEM)
///         θ ← θ − η g;  afterUpdate(B)
///     afterTask(t)                                  (Fisher, importance, snapshots, memory)
public protocol ContinualPlugin: AnyObject {
    /// Called before training task `task`.
    func beforeTask(_ learner: ContinualLearner, task: Int) throws(MnemonetError)
    /// The rows to train on during task `task` instead of that task's own rows (nil: the task's rows).
    func trainingSet(_ learner: ContinualLearner, task: Int) -> ContinualDataset?
    /// May append rows to `batch` (after `batch.currentCount`).
    func extendBatch(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError)
    /// Performs the whole parameter update for `batch` and returns true, or returns false to let the loop do it.
    func update(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Bool
    /// After the forward pass: may add to ∂L/∂z (`learner.dLogits`, [batch.count, C]); returns the added loss.
    func outputGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float
    /// After the backward pass: may change ∇_θ L (`learner.gradient`); returns the added loss.
    func parameterGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float
    /// After θ changed.
    func afterUpdate(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError)
    /// After training task `task` on `data` (its own rows).
    func afterTask(_ learner: ContinualLearner, task: Int, data: ContinualDataset) throws(MnemonetError)
    /// For a plugin that brings its own model (the memory agent): writes the logits of `rows` rows of `x` into
    /// `logits` [rows, C] and returns true; false (the default) lets the learner's MLP predict.
    func predict(_ learner: ContinualLearner, x: UnsafePointer<Float>, rows: Int,
                 logits: UnsafeMutablePointer<Float>) -> Bool
    /// For a plugin with an external memory (the memory agents): a copy of M [N, W] as it is now; nil otherwise.
    func memoryMatrix() -> [Float]?
}

extension ContinualPlugin {
    /// No-op.
    public func beforeTask(_ learner: ContinualLearner, task: Int) throws(MnemonetError) {}
    /// nil.
    public func trainingSet(_ learner: ContinualLearner, task: Int) -> ContinualDataset? { nil }
    /// No-op.
    public func extendBatch(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) {}
    /// false.
    public func update(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Bool { false }
    /// 0.
    public func outputGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float { 0 }
    /// 0.
    public func parameterGradient(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) -> Float { 0 }
    /// No-op.
    public func afterUpdate(_ learner: ContinualLearner, batch: MiniBatch) throws(MnemonetError) {}
    /// No-op.
    public func afterTask(_ learner: ContinualLearner, task: Int, data: ContinualDataset) throws(MnemonetError) {}
    /// false.
    public func predict(_ learner: ContinualLearner, x: UnsafePointer<Float>, rows: Int,
                        logits: UnsafeMutablePointer<Float>) -> Bool { false }
    /// nil.
    public func memoryMatrix() -> [Float]? { nil }
}
