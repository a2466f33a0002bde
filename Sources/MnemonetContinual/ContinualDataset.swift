import MnemonetBase

/// One task's examples: inputs `x` [count, inputDim] (row-major), the output unit of each label `labels` [count]
/// and the task each example belongs to `tasks` [count] (so that a mixed batch, e.g. with replayed rows, knows each
/// row's head).
public struct ContinualDataset: Sendable {
    /// d, the width of an input row.
    public let inputDim: Int
    /// x [count, d].
    public var x: [Float]
    /// y [count]: the target output unit of each row.
    public var labels: [Int32]
    /// τ [count]: the task of each row.
    public var tasks: [Int32]

    /// The number of rows.
    public var count: Int { labels.count }

    /// A dataset; throws `.invalidArgument` when the lengths disagree.
    public init(inputDim: Int, x: [Float], labels: [Int32], tasks: [Int32]) throws(MnemonetError) {
        try require(inputDim >= 1, "input_dim must be >= 1, got \(inputDim)")
        try require(x.count == labels.count * inputDim,
                    "x has \(x.count) values, expected \(labels.count) rows × \(inputDim) = \(labels.count * inputDim)")
        try require(tasks.count == labels.count, "tasks has \(tasks.count) entries but labels has \(labels.count)")
        self.inputDim = inputDim
        self.x = x
        self.labels = labels
        self.tasks = tasks
    }

    /// The rows of `parts`, concatenated in order (joint training's union of tasks).
    public static func concatenating(_ parts: [ContinualDataset]) -> ContinualDataset {
        var x: [Float] = [], y: [Int32] = [], t: [Int32] = []
        for p in parts {
            x += p.x
            y += p.labels
            t += p.tasks
        }
        return ContinualDataset(unchecked: parts.first?.inputDim ?? 1, x: x, labels: y, tasks: t)
    }

    init(unchecked inputDim: Int, x: [Float], labels: [Int32], tasks: [Int32]) {
        self.inputDim = inputDim
        self.x = x
        self.labels = labels
        self.tasks = tasks
    }
}
