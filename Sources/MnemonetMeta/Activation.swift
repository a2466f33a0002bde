#if canImport(Glibc)
import Glibc
#endif

/// The hidden-layer nonlinearity σ of an ``MLP`` (the output layer is linear).
///
/// Each case knows σ(a), σ′(a) and σ″(a) expressed through the pre-activation `a` and the activation `h = σ(a)`:
/// the Hessian-vector product of ``MLPWorkspace`` needs the second derivative (ReLU's is zero almost everywhere,
/// which is also what PyTorch's autograd uses).
public enum Activation: Int32, Sendable, CaseIterable {
    /// σ(a) = max(a, 0); σ′ = 1[a > 0]; σ″ = 0.
    case relu = 0
    /// σ(a) = tanh a; σ′ = 1 − h²; σ″ = −2h(1 − h²).
    case tanh = 1

    /// The name used by the Python API and PyTorch (`"relu"`, `"tanh"`).
    public var name: String {
        switch self {
        case .relu: return "relu"
        case .tanh: return "tanh"
        }
    }

    /// h = σ(a), elementwise over `count` values.
    @inlinable
    func apply(_ a: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .relu:
            for i in 0..<count { h[i] = a[i] > 0 ? a[i] : 0 }
        case .tanh:
            for i in 0..<count { h[i] = tanhf(a[i]) }
        }
    }

    /// σ′(a) given the pre-activation `a` and activation `h`.
    @inlinable @inline(__always)
    func derivative(_ a: Float, _ h: Float) -> Float {
        switch self {
        case .relu: return a > 0 ? 1 : 0
        case .tanh: return 1 - h * h
        }
    }

    /// σ″(a) given the pre-activation `a` and activation `h`.
    @inlinable @inline(__always)
    func secondDerivative(_ a: Float, _ h: Float) -> Float {
        switch self {
        case .relu: return 0
        case .tanh: return -2 * h * (1 - h * h)
        }
    }
}
