#if canImport(Glibc)
import Glibc
#endif
import MnemonetEngine

/// The engine's ``MnemonetEngine/Activation`` (the MLP learner's hidden nonlinearity σ) as the fused meta-learning
/// path needs it: σ(a) over a buffer, σ′(a) and σ″(a) from the pre-activation `a` and the activation `h = σ(a)`.
/// The Hessian-vector product of ``MLPWorkspace`` needs σ″ (ReLU's is zero almost everywhere, which is also what
/// PyTorch's autograd and the engine's pullbacks use).
extension Activation {
    /// The ABI code (0 relu, 1 tanh, 2 sigmoid, 3 identity).
    public var code: Int32 {
        switch self {
        case .relu: return 0
        case .tanh: return 1
        case .sigmoid: return 2
        case .identity: return 3
        }
    }

    /// The activation with ABI code `code`, or nil.
    public init?(code: Int32) {
        switch code {
        case 0: self = .relu
        case 1: self = .tanh
        case 2: self = .sigmoid
        case 3: self = .identity
        default: return nil
        }
    }

    /// h = σ(a), elementwise over `count` values.
    @inlinable
    func apply(_ a: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .relu: for i in 0..<count { h[i] = a[i] > 0 ? a[i] : 0 }
        case .tanh: VectorMath.tanh(a, h, count: count)
        case .sigmoid: VectorMath.sigmoid(a, h, count: count)
        case .identity: h.update(from: a, count: count)
        }
    }

    /// σ′(a) given the pre-activation `a` and activation `h`: 1[a > 0], 1 − h², h(1 − h), 1.
    @inlinable @inline(__always)
    func derivative(_ a: Float, _ h: Float) -> Float {
        switch self {
        case .relu: return a > 0 ? 1 : 0
        case .tanh: return 1 - h * h
        case .sigmoid: return h * (1 - h)
        case .identity: return 1
        }
    }

    /// σ″(a) given `a` and `h`: 0, −2h(1 − h²), h(1 − h)(1 − 2h), 0.
    @inlinable @inline(__always)
    func secondDerivative(_ a: Float, _ h: Float) -> Float {
        switch self {
        case .relu, .identity: return 0
        case .tanh: return -2 * h * (1 - h * h)
        case .sigmoid: return h * (1 - h) * (1 - 2 * h)
        }
    }
}
