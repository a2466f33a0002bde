import MnemonetBase

// The plumbing shared by every export: status reporting and handle boxing. No logic lives in this target.

/// Byte offsets of `mn_status` in mnemonet.h: `int32_t code; int32_t os_errno; char message[512]`.
private let statusCodeOffset = 0
private let statusErrnoOffset = 4
private let statusMessageOffset = 8
private let statusMessageCapacity = 512

/// Writes `error` into the `mn_status` at `status` (message truncated at a UTF-8 boundary) and returns its code.
@usableFromInline
func report(_ error: MnemonetError, to status: UnsafeMutableRawPointer) -> Int32 {
    status.storeBytes(of: error.statusCode, toByteOffset: statusCodeOffset, as: Int32.self)
    status.storeBytes(of: error.errnoValue, toByteOffset: statusErrnoOffset, as: Int32.self)
    var utf8 = Array(error.message.utf8)
    if utf8.count > statusMessageCapacity - 1 {
        var cut = statusMessageCapacity - 1
        while cut > 0 && (utf8[cut] & 0xC0) == 0x80 { cut -= 1 }  // do not split a multi-byte character
        utf8.removeSubrange(cut...)
    }
    let dst = status + statusMessageOffset
    utf8.withUnsafeBytes { dst.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    dst.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
    return error.statusCode
}

/// Runs `body`, turning a thrown `MnemonetError` into a status; returns `MNEMONET_STATUS_OK` (0) on success.
@inlinable
func withStatus(_ status: UnsafeMutableRawPointer, _ body: () throws(MnemonetError) -> Void) -> Int32 {
    status.storeBytes(of: 0, toByteOffset: 0, as: Int32.self)
    do {
        try body()
        return 0
    } catch {
        return report(error, to: status)
    }
}

/// A retained opaque handle for `object` (released by `release`).
@inlinable
func retainHandle<T: AnyObject>(_ object: T) -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(object).toOpaque()
}

/// The object behind a handle made by `retainHandle`, without changing its retain count.
@inlinable
func object<T: AnyObject>(_ handle: UnsafeMutableRawPointer, as _: T.Type = T.self) -> T {
    Unmanaged<T>.fromOpaque(handle).takeUnretainedValue()
}

/// Releases a handle made by `retainHandle`.
@inlinable
func release<T: AnyObject>(_ handle: UnsafeMutableRawPointer?, as _: T.Type) {
    guard let handle else { return }
    Unmanaged<T>.fromOpaque(handle).release()
}

/// A Swift string from a NUL-terminated UTF-8 C string.
@inlinable
func string(_ cString: UnsafePointer<CChar>) -> String { String(cString: cString) }
