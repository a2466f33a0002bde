/// The one error type of the Swift core.
///
/// Every failure that can reach a user is one of these cases. The C ABI turns a case into a status code
/// (`MNEMONET_STATUS_*` in `mnemonet.h`) and a message; the Python extension maps the code to exactly one
/// exception class (`mnemonet.InvalidArgumentError`, …). Keep the raw values in sync with the header.
public enum MnemonetError: Error, CustomStringConvertible, Equatable {
    /// An argument is outside its domain (a negative capacity, a NaN priority, mismatched shapes…).
    case invalidArgument(String)
    /// An index is outside `0..<count`.
    case indexOutOfRange(String)
    /// The object is not in a state that allows the call (sampling an empty buffer…).
    case invalidState(String)
    /// The operating system refused a file operation; `errno` is kept.
    case io(String, errno: Int32)
    /// A file is not a mnemonet checkpoint of the expected kind, or it is truncated or corrupt.
    case format(String)
    /// A computation produced a NaN or an infinity (a step's loss or gradient); the object was left as it was.
    case nonFinite(String)

    /// The status code that crosses the C ABI (`MNEMONET_STATUS_*`).
    public var statusCode: Int32 {
        switch self {
        case .invalidArgument: return 1
        case .indexOutOfRange: return 2
        case .invalidState: return 3
        case .io: return 4
        case .format: return 5
        case .nonFinite: return 6
        }
    }

    /// The human-readable message, without the category.
    public var message: String {
        switch self {
        case .invalidArgument(let m), .indexOutOfRange(let m), .invalidState(let m), .format(let m),
             .nonFinite(let m): return m
        case .io(let m, _): return m
        }
    }

    /// `errno` for `.io`, 0 otherwise.
    public var errnoValue: Int32 {
        if case .io(_, let e) = self { return e }
        return 0
    }

    public var description: String { message }
}

/// Throws `.invalidArgument(message())` unless `condition` holds.
@inlinable
public func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(MnemonetError) {
    if !condition { throw .invalidArgument(message()) }
}
