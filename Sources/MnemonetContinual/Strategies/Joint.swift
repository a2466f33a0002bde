import MnemonetBase

/// Joint (cumulative) training, the upper bound: while at task t the learner trains on the union of the rows of
/// tasks 0…t (so R[t, ·] is the accuracy of a model trained jointly on everything seen so far).
public final class JointTraining: ContinualPlugin {
    /// The plugin.
    public init() {}

    /// D_0 ∪ … ∪ D_t.
    public func trainingSet(_ learner: ContinualLearner, task: Int) -> ContinualDataset? {
        ContinualDataset.concatenating(Array(learner.trainSets[0...task]))
    }
}
