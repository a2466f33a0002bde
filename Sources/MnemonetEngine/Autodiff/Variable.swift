/// A node of the autodiff graph: a value and, for op results, how to pull a gradient back to the op's inputs.
///
/// Leaves are made with `Variable(tensor, requiresGrad:)`; every differentiable op (`+`, `matmul`, `tanh`, …)
/// returns a new `Variable`. An op result records its `inputs` and a `pullback` only when grad mode is on and an
/// input requires a gradient; otherwise it is a constant and costs no graph.
///
/// A pullback maps the upstream gradient ∂L/∂y *as a Variable* to contributions to the inputs' gradients, built
/// from the same differentiable ops — so with `createGraph: true` the gradients are themselves graph nodes and can be
/// differentiated again (second-order MAML). An op's forward and pullback live together in `Ops+<Family>.swift`.
///
/// Graph bookkeeping fields (`_grad`, marks) are used during one backward pass; a graph must not be differentiated
/// from two threads at once, nor re-entrantly from inside a pullback (nested `gradients` calls over *disjoint* graphs
/// are fine, e.g. an inner loop's `gradients` before the outer one).
public final class Variable {
    /// The value (owned; ops never write into an input's value).
    public let value: Tensor
    /// Whether gradients flow to/through this node.
    public let requiresGrad: Bool
    /// The op's first two inputs (stored inline: no array allocation for unary and binary ops) and any others.
    @usableFromInline let input0: Variable?, input1: Variable?
    @usableFromInline let moreInputs: [Variable]
    /// The number of inputs (0 for leaves and constants).
    @usableFromInline let inputCount: Int
    /// Pulls the upstream gradient `g` (shape of `self`) back to `inputs` via `accumulate`; `y` is `self`
    /// (passed in so that closures need not capture their own output).
    @usableFromInline let pullback: ((_ g: Variable, _ y: Variable) -> Void)?

    // Backward-pass scratch. Only the (single-threaded) backward pass touches these, never across an overlapping
    // access, so the dynamic exclusivity checks (≈ 6% of a MAML meta-gradient) are turned off for them.
    @exclusivity(unchecked) @usableFromInline var _grad: Variable?
    @exclusivity(unchecked) @usableFromInline var _gradOwned = false
    @exclusivity(unchecked) @usableFromInline var _visited = false
    @exclusivity(unchecked) @usableFromInline var _needed = false
    @exclusivity(unchecked) @usableFromInline var _isTarget = false

    /// A leaf (`requiresGrad: true` for a parameter) or a constant.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.input0 = nil
        self.input1 = nil
        self.moreInputs = []
        self.inputCount = 0
        self.pullback = nil
    }

    /// An op result that records `inputs` and `pullback` (use `Variable.make`, which decides whether to record).
    @usableFromInline init(value: Tensor, inputs: [Variable], pullback: @escaping (_ g: Variable, _ y: Variable) -> Void) {
        self.value = value
        self.requiresGrad = true
        self.input0 = inputs.count > 0 ? inputs[0] : nil
        self.input1 = inputs.count > 1 ? inputs[1] : nil
        self.moreInputs = inputs.count > 2 ? Array(inputs[2...]) : []
        self.inputCount = inputs.count
        self.pullback = pullback
    }

    /// A recorded unary or binary op (no inputs array).
    @usableFromInline init(value: Tensor, _ a: Variable, _ b: Variable?, pullback: @escaping (_ g: Variable, _ y: Variable) -> Void) {
        self.value = value
        self.requiresGrad = true
        self.input0 = a
        self.input1 = b
        self.moreInputs = []
        self.inputCount = b == nil ? 1 : 2
        self.pullback = pullback
    }

    /// Input `i` (`0..<inputCount`).
    @inlinable @inline(__always)
    func input(_ i: Int) -> Variable {
        i == 0 ? input0.unsafelyUnwrapped : i == 1 ? input1.unsafelyUnwrapped : moreInputs[i - 2]
    }

    /// A constant of `shape` filled with `value`.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(Tensor(shape: shape, repeating: value))
    }

    /// A rank-0 constant.
    public convenience init(scalar: Float) { self.init(Tensor(scalar: scalar)) }

    /// The shape of `value`.
    @inlinable public var shape: [Int] { value.shape }
    /// The rank of `value`.
    @inlinable public var rank: Int { value.shape.count }
    /// The element count of `value`.
    @inlinable public var count: Int { value.count }
    /// The single value of a one-element variable.
    public var scalar: Float { value.scalar }
    /// Whether this node is a leaf (no recorded op).
    public var isLeaf: Bool { pullback == nil }

    /// A constant with the same value (shares the tensor; PyTorch's `detach()`).
    public func detached() -> Variable { Variable(value) }

    /// Whether an op over `inputs` must record a node: grad mode on and an input requires a gradient.
    @inlinable @inline(__always)
    public static func shouldRecord(_ a: Variable) -> Bool { a.requiresGrad && GradMode.isEnabled }
    /// Whether a binary op over `a`, `b` must record a node.
    @inlinable @inline(__always)
    public static func shouldRecord(_ a: Variable, _ b: Variable) -> Bool {
        (a.requiresGrad || b.requiresGrad) && GradMode.isEnabled
    }
    /// Whether an op over `xs` must record a node.
    @inlinable @inline(__always)
    public static func shouldRecord(_ xs: [Variable]) -> Bool {
        GradMode.isEnabled && xs.contains { $0.requiresGrad }
    }

    /// The result of an op: a recorded node when `shouldRecord(inputs)`, else a constant.
    ///
    /// `pullback(g, y)` must call `accumulate(into: input, gradient)` for each input whose `needsGradient` is true,
    /// computing the gradient with differentiable ops only.
    @inlinable
    public static func make(
        _ value: Tensor, _ inputs: [Variable], _ pullback: @escaping (_ g: Variable, _ y: Variable) -> Void
    ) -> Variable {
        shouldRecord(inputs) ? Variable(value: value, inputs: inputs, pullback: pullback) : Variable(value)
    }

    /// A pullback: `(g, y)` → contributions to the inputs' gradients via `accumulate(into:_:)`.
    public typealias Pullback = (_ g: Variable, _ y: Variable) -> Void

    /// `make` for a unary op; the pullback closure (and the inputs array) are only allocated when recording.
    @inlinable @inline(__always)
    public static func make(_ value: Tensor, _ a: Variable, pullback: @autoclosure () -> Pullback) -> Variable {
        shouldRecord(a) ? Variable(value: value, a, nil, pullback: pullback()) : Variable(value)
    }

    /// `make` for a binary op; the pullback closure (and the inputs array) are only allocated when recording.
    @inlinable @inline(__always)
    public static func make(_ value: Tensor, _ a: Variable, _ b: Variable, pullback: @autoclosure () -> Pullback) -> Variable {
        shouldRecord(a, b) ? Variable(value: value, a, b, pullback: pullback()) : Variable(value)
    }

    /// During a backward pass: whether this input's gradient is wanted (it requires grad and leads to a target).
    @inlinable public var needsGradient: Bool { _needed }
}

extension Variable: CustomStringConvertible {
    /// `Variable(shape: […], requiresGrad, first values…)`.
    public var description: String {
        "Variable(shape: \(shape)\(requiresGrad ? ", requiresGrad" : ""), \(value.array.prefix(6).map { "\($0)" }.joined(separator: ", "))\(count > 6 ? ", …" : ""))"
    }
}
