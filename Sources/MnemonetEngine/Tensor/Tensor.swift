import MnemonetBase

/// A dense, row-major Float32 tensor: a shape and a contiguous (16-byte-aligned) buffer of `count` values that the
/// tensor owns.
///
/// `Tensor` is the engine's storage type. It is a final class (reference semantics, no copy-on-write): kernels,
/// optimizers and hand-fused code read and write `pointer` / `buffer` directly. Element `[i0, i1, …, ik]` lives at
/// offset `Σ i_j · strides[j]` with `strides[k] = 1` (C order). A rank-0 tensor (`shape == []`) holds one value.
///
/// `grad` plays the role of PyTorch's `param.grad`: `Variable.backward()` accumulates into it for leaves, the
/// optimizers read it, `zeroGrad` sets it to `nil` (PyTorch's default `set_to_none=True`).
public final class Tensor {
    /// The dimensions, outermost first.
    public let shape: [Int]
    /// The number of elements, `shape.reduce(1, *)`.
    public let count: Int
    /// The first element. Owned by the tensor; valid for its lifetime.
    public let pointer: UnsafeMutablePointer<Float>
    /// The gradient accumulated by `Variable.backward()` (PyTorch's `.grad`), `nil` until the first backward.
    public var grad: Tensor?
    /// For a view made by `Tensor(viewing:shape:)`: the tensor that owns the buffer (kept alive by this reference).
    @usableFromInline let owner: Tensor?

    /// A tensor of `shape` with uninitialised values (write every element before reading).
    public init(uninitializedShape shape: [Int]) {
        var n = 1
        for d in shape {
            precondition(d >= 0, "Tensor: negative dimension in \(shape)")
            n *= d
        }
        self.shape = shape
        self.count = n
        // malloc's 16-byte alignment (an over-aligned allocation costs a slower allocator path per op); large
        // buffers are reused through `TensorStorage`.
        self.pointer = TensorStorage.allocate(n)
        self.owner = nil
    }

    /// A view of `base`'s buffer with another shape of the same element count (no copy; writes through either are
    /// seen by both). The engine uses views only for values that no op writes (graph values).
    public init(viewing base: Tensor, shape: [Int]) {
        var n = 1
        for d in shape {
            precondition(d >= 0, "Tensor: negative dimension in \(shape)")
            n *= d
        }
        precondition(n == base.count, "Tensor(viewing:): \(base.shape) → \(shape) changes the element count")
        self.shape = shape
        self.count = n
        self.pointer = base.pointer
        self.owner = base.owner ?? base
    }

    /// A tensor of `shape` filled with `value`.
    public convenience init(shape: [Int], repeating value: Float = 0) {
        self.init(uninitializedShape: shape)
        pointer.initialize(repeating: value, count: count)
    }

    /// A tensor of `shape` holding `values` in row-major order (`values.count` must equal the shape's product).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(uninitializedShape: shape)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    /// A rank-0 tensor holding `value`.
    public convenience init(scalar value: Float) {
        self.init(shape: [], repeating: value)
    }

    /// A tensor of `shape` copying `count` floats from `source`.
    public convenience init(shape: [Int], copying source: UnsafePointer<Float>) {
        self.init(uninitializedShape: shape)
        pointer.update(from: source, count: count)
    }

    deinit { if owner == nil { TensorStorage.release(pointer, count: count) } }

    /// The values as a mutable buffer (for kernels and hand-fused code).
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The values in row-major order, copied into an array.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements")
        return pointer[0]
    }

    /// Element `i` of the flat row-major buffer.
    @inlinable public subscript(flat i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// A deep copy (values only; `grad` is not copied).
    public func copy() -> Tensor { Tensor(shape: shape, copying: pointer) }

    /// A tensor sharing nothing with `self` that has the same values and a new shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let t = Tensor(uninitializedShape: newShape)
        precondition(t.count == count, "Tensor.reshaped: \(shape) → \(newShape) changes the element count")
        t.pointer.update(from: pointer, count: count)
        return t
    }

    /// Overwrites every value with `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Copies the values of `other` (same element count) into `self`.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "Tensor.assign: \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }

    /// Row-major strides of `shape` (`strides.last == 1`).
    public static func strides(of shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }
}

extension Tensor: CustomStringConvertible {
    /// `Tensor(shape: […], [first values…])`.
    public var description: String {
        let shown = array.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

// MARK: Random initialisation

extension Tensor {
    /// Values drawn uniformly from `[low, high)` (24 random bits each).
    public static func uniform(shape: [Int], low: Float, high: Float, rng: inout Xoshiro256) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let width = high - low
        for i in 0..<t.count { t.pointer[i] = low + width * rng.nextUnitFloat() }
        return t
    }

    /// Values drawn from N(mean, std²).
    public static func normal(shape: [Int], mean: Float = 0, std: Float = 1, rng: inout Xoshiro256) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        for i in 0..<t.count { t.pointer[i] = mean + std * Float(rng.nextNormal()) }
        return t
    }
}
