#if canImport(Glibc)
import Glibc
#endif

/// The container of every mnemonet checkpoint, and its atomic write.
///
/// Layout (little-endian):
/// ```
/// "MNEMONET"            8 bytes magic
/// format version        UInt32 (currently 1)
/// kind                  length-prefixed UTF-8 ("replay", "agent", …)
/// payload length        UInt64
/// payload CRC-32        UInt32
/// payload               the object's own BinaryWriter bytes
/// ```
/// Writing goes to a temporary file in the same directory, is fsync'ed, renamed over the target and the directory is
/// fsync'ed: a crash leaves either the old file or the new one, never a mixture.
public enum CheckpointFile {
    public static let magic: [UInt8] = Array("MNEMONET".utf8)
    public static let formatVersion: UInt32 = 1

    /// The header that precedes `payload` (magic, version, kind, payload length, payload CRC-32).
    static func header(kind: String, payload: [UInt8]) -> [UInt8] {
        var header = BinaryWriter()
        magic.withUnsafeBytes { header.writeRaw($0) }
        header.write(formatVersion)
        header.write(kind)
        header.write(UInt64(payload.count))
        header.write(CRC32.checksum(payload))
        return header.bytes
    }

    /// The complete checkpoint (header + payload) in memory: exactly the bytes `write(path:kind:payload:)` puts in
    /// a file.
    public static func encode(kind: String, payload: [UInt8]) -> [UInt8] {
        header(kind: kind, payload: payload) + payload
    }

    /// Wraps `payload` and writes it atomically to `path`.
    public static func write(path: String, kind: String, payload: [UInt8]) throws(MnemonetError) {
        try AtomicFile.write(path: path, chunks: [header(kind: kind, payload: payload), payload])
    }

    /// Checks magic, version, kind, length and checksum of a complete checkpoint held in `bytes` and returns a
    /// reader over its payload. `source` names the bytes in error messages (a quoted path, or "the checkpoint data").
    public static func decode(_ bytes: [UInt8], kind: String, source: String) throws(MnemonetError) -> BinaryReader {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw .format("\(source) is not a mnemonet checkpoint (bad magic bytes)")
        }
        var r = BinaryReader(bytes)
        _ = try r.take(magic.count, "magic")
        let version = try r.readUInt32("format version")
        guard version == formatVersion else {
            throw .format("\(source) has checkpoint format version \(version); this mnemonet reads version \(formatVersion)")
        }
        let foundKind = try r.readString("checkpoint kind")
        guard foundKind == kind else {
            throw .format("\(source) holds a '\(foundKind)' checkpoint, expected '\(kind)'")
        }
        let length = try r.readUInt64("payload length")
        let crc = try r.readUInt32("payload checksum")
        guard UInt64(r.remaining) == length else {
            throw .format("\(source) is truncated or corrupt (payload is \(r.remaining) bytes, header says \(length))")
        }
        let payload = Array(bytes[r.offset...])
        guard CRC32.checksum(payload) == crc else {
            throw .format("\(source) is corrupt (checksum mismatch)")
        }
        return BinaryReader(payload)
    }

    /// Reads `path`, checks magic, version, kind, length and checksum, and returns a reader over the payload.
    public static func read(path: String, kind: String) throws(MnemonetError) -> BinaryReader {
        try decode(try AtomicFile.readAll(path: path), kind: kind, source: "'\(path)'")
    }
}

/// Whole-file reads and atomic whole-file writes with Glibc only.
public enum AtomicFile {
    static func ioError(_ what: String, _ path: String) -> MnemonetError {
        let e = errno
        let reason = String(cString: strerror(e))
        return .io("\(what) '\(path)': \(reason)", errno: e)
    }

    /// Writes the concatenation of `chunks` to `path` atomically (temporary file, fsync, rename, fsync directory).
    public static func write(path: String, chunks: [[UInt8]]) throws(MnemonetError) {
        guard !path.isEmpty else { throw .invalidArgument("path must not be empty") }
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError("cannot create", tmp) }
        var failure: MnemonetError? = nil
        outer: for chunk in chunks {
            var done = 0
            while done < chunk.count {
                let n = chunk.withUnsafeBytes { raw in
                    Glibc.write(fd, raw.baseAddress! + done, chunk.count - done)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = ioError("cannot write", tmp)
                    break outer
                }
                done += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = ioError("cannot sync", tmp) }
        if close(fd) != 0 && failure == nil { failure = ioError("cannot close", tmp) }
        if failure == nil && rename(tmp, path) != 0 { failure = ioError("cannot rename onto", path) }
        if let failure {
            unlink(tmp)
            throw failure
        }
        // Persist the rename itself.
        let dir = directory(of: path)
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// The whole content of `path`.
    public static func readAll(path: String) throws(MnemonetError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("cannot open", path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError("cannot stat", path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .io("'\(path)' is not a regular file", errno: EISDIR) }
        let size = Int(st.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + done, size - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot read", path)
            }
            if n == 0 { break }
            done += n
        }
        if done < size { bytes.removeLast(size - done) }
        return bytes
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }
}
