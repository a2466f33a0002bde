import Glibc

/// Whether differentiable ops record the graph (PyTorch's grad mode), per thread.
///
/// Ops record a node only when grad mode is on *and* an input requires a gradient. First-order backward runs the
/// pullbacks with grad mode off, so it builds no graph; `createGraph: true` keeps it on, so the gradients are
/// themselves differentiable. The flag is thread-local (pthread key), so two threads may train two models at once.
public enum GradMode {
    @usableFromInline static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// `true` unless the current thread is inside `withoutGrad` (or a first-order backward).
    @inlinable public static var isEnabled: Bool { pthread_getspecific(key) == nil }

    /// Sets grad mode for the current thread; returns the previous value.
    @discardableResult
    public static func set(_ enabled: Bool) -> Bool {
        let old = isEnabled
        pthread_setspecific(key, enabled ? nil : UnsafeRawPointer(bitPattern: 1))
        return old
    }

    /// Runs `body` with grad mode off (PyTorch's `torch.no_grad()`): ops return constants.
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        let old = set(false)
        defer { set(old) }
        return try body()
    }

    /// Runs `body` with grad mode on (PyTorch's `torch.enable_grad()`).
    public static func withGrad<R>(_ body: () throws -> R) rethrows -> R {
        let old = set(true)
        defer { set(old) }
        return try body()
    }
}
