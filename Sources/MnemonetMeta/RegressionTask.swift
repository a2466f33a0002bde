import MnemonetEngine

/// A few-shot regression task 𝒯_i: a support set (x^s, y^s) used by the inner loop and a query set (x^q, y^q)
/// on which the adapted learner is scored.
///
/// Shapes (row-major): x is [n, d_in], y is [n, d_out]; `supportCount`/`queryCount` give n.
public struct RegressionTask: Sendable {
    /// Support inputs [supportCount, d_in].
    public var supportX: [Float]
    /// Support targets [supportCount, d_out].
    public var supportY: [Float]
    /// Query inputs [queryCount, d_in].
    public var queryX: [Float]
    /// Query targets [queryCount, d_out].
    public var queryY: [Float]

    /// A task from its four arrays (checked against `mlp` by the learners).
    public init(supportX: [Float], supportY: [Float], queryX: [Float], queryY: [Float]) {
        self.supportX = supportX
        self.supportY = supportY
        self.queryX = queryX
        self.queryY = queryY
    }

    /// Throws `.invalidArgument` unless the four arrays fit `mlp` and both sets are non-empty.
    public func validate(for mlp: MLP) throws(MnemonetError) {
        try require(!supportX.isEmpty, "the support set is empty")
        try require(!queryX.isEmpty, "the query set is empty")
        try require(supportX.count % mlp.inputSize == 0,
                    "support x has \(supportX.count) values, not a multiple of the input size \(mlp.inputSize)")
        try require(queryX.count % mlp.inputSize == 0,
                    "query x has \(queryX.count) values, not a multiple of the input size \(mlp.inputSize)")
        let ns = supportX.count / mlp.inputSize, nq = queryX.count / mlp.inputSize
        try require(supportY.count == ns * mlp.outputSize,
                    "support y has \(supportY.count) values, expected \(ns) × \(mlp.outputSize)")
        try require(queryY.count == nq * mlp.outputSize,
                    "query y has \(queryY.count) values, expected \(nq) × \(mlp.outputSize)")
    }

    var supportCount: Int { supportY.count }
}
