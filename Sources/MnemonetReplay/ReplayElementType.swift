/// The element type of a replay field: every field is stored natively at its own size and sampled back in its own
/// type (a `uint8` frame costs one byte per pixel, an `int64` id keeps all 64 bits).
///
/// The raw values are the ABI and checkpoint codes (mnemonet.h `MNEMONET_DTYPE_*`); NumPy's names in `description`.
public enum ReplayElementType: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case float32 = 0, float64 = 1
    case int8 = 2, int16 = 3, int32 = 4, int64 = 5
    case uint8 = 6, uint16 = 7, uint32 = 8, uint64 = 9
    case bool = 10

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// NumPy's name of the type (`"float32"`, `"uint8"`, `"bool"`, …).
    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .uint16: return "uint16"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .bool: return "bool"
        }
    }
}
