#if canImport(Glibc)
import Glibc
#endif

/// The container of every mnemonet checkpoint, and its atomic write.
///
/// Layout (little-endian):
/// ```
/// "MNEMONET"            8 bytes magic
/// format version        UInt32 (2; version 1 files are still read)
/// kind                  length-prefixed UTF-8 ("replay", "agent", …)
/// payload length        UInt64
/// CRC-32                UInt32: version 2, of every byte before it and of the payload; version 1, of the payload
/// payload               the object's own BinaryWriter bytes
/// ```
/// Writing goes to a temporary file in the same directory, is fsync'ed, renamed over the target and the directory is
/// fsync'ed: a crash leaves either the old file or the new one, never a mixture.
///
/// Reading maps the file, checks magic, version, kind, the declared length against the bytes present and the
/// checksum before any object is built; the payload is then copied once, straight into the restored object.
public enum CheckpointFile {
    public static let magic: [UInt8] = Array("MNEMONET".utf8)
    public static let formatVersion: UInt32 = 2
    /// The oldest format version `read` accepts.
    public static let oldestReadableVersion: UInt32 = 1
    /// Longest accepted kind string (the kinds are short ASCII names).
    static let maxKindLength = 64

    /// The header that precedes `payload` (magic, version, kind, payload length, CRC-32 of both).
    static func header(kind: String, payload: [UInt8]) -> [UInt8] {
        var header = BinaryWriter()
        magic.withUnsafeBytes { header.writeRaw($0) }
        header.write(formatVersion)
        header.write(kind)
        header.write(UInt64(payload.count))
        var crc = header.bytes.withUnsafeBytes { CRC32.update(0xFFFF_FFFF, $0) }
        crc = payload.withUnsafeBytes { CRC32.update(crc, $0) } ^ 0xFFFF_FFFF
        header.write(crc)
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

    /// Streams a payload of `length` bytes, produced by `body` (run once, writing exactly `length` bytes: the
    /// length a counting pass of the same `body` found), atomically to `path` without holding it in memory. The
    /// header is written with a placeholder checksum, the payload flows through a 1 MiB buffer into the file and
    /// the CRC-32 (header fields, then payload), and the checksum is written in place before the fsync and rename:
    /// the file at `path` is still always absent, the old checkpoint or the whole new one.
    public static func write(path: String, kind: String, length: Int, payload body: (inout BinaryWriter) -> Void)
        throws(MnemonetError) {
        var prefix = BinaryWriter()
        magic.withUnsafeBytes { prefix.writeRaw($0) }
        prefix.write(formatVersion)
        prefix.write(kind)
        prefix.write(UInt64(length))
        let start = prefix.bytes.withUnsafeBytes { CRC32.update(0xFFFF_FFFF, $0) }
        try AtomicFile.write(path: path) { (fd: Int32, tmp: String) throws(MnemonetError) in
            try AtomicFile.writeAll(fd, prefix.bytes + [0, 0, 0, 0], path: tmp)  // the CRC-32 comes last
            let sink = BinarySink(fd: fd, path: tmp, crc: start)
            var w = BinaryWriter(sink: sink, counting: false)
            body(&w)
            sink.flush()
            if let failure = sink.failure { throw failure }
            guard w.count == length else {
                throw .invalidState("the object changed while it was saved (\(w.count) bytes, \(length) counted)")
            }
            let crc = (sink.crc ^ 0xFFFF_FFFF).littleEndian
            let written = withUnsafeBytes(of: crc) { pwrite(fd, $0.baseAddress!, 4, off_t(prefix.bytes.count)) }
            guard written == 4 else { throw AtomicFile.ioError("cannot write", tmp) }
        }
    }

    /// Checks magic, version, kind, length and checksum of a complete checkpoint held in `bytes` and returns a
    /// reader over its payload. `source` names the bytes in error messages (a quoted path, or "the checkpoint data").
    public static func decode(_ bytes: [UInt8], kind: String, source: String) throws(MnemonetError) -> BinaryReader {
        try unwrap(ReaderStorage(copying: bytes), kind: kind, source: source)
    }

    /// Reads `path`, checks magic, version, kind, length and checksum, and returns a reader over the payload.
    public static func read(path: String, kind: String) throws(MnemonetError) -> BinaryReader {
        try unwrap(try AtomicFile.map(path: path), kind: kind, source: "'\(path)'")
    }

    /// The checks of `decode` and `read`, over the bytes of `storage`.
    static func unwrap(_ storage: ReaderStorage, kind: String, source path: String) throws(MnemonetError) -> BinaryReader {
        var r = BinaryReader(storage: storage, start: 0, end: storage.count)
        guard storage.count >= magic.count,
              (0..<magic.count).allSatisfy({ storage.base.load(fromByteOffset: $0, as: UInt8.self) == magic[$0] }) else {
            throw .format("\(path) is not a mnemonet checkpoint (bad magic bytes)")
        }
        _ = try r.take(magic.count, "magic")
        let version = try r.readUInt32("format version")
        guard version >= oldestReadableVersion && version <= formatVersion else {
            throw .format("\(path) has checkpoint format version \(version); this mnemonet reads versions \(oldestReadableVersion)...\(formatVersion)")
        }
        let kindLength = try r.readInt("length of the checkpoint kind", in: 0...maxKindLength)
        let k = try r.take(kindLength, "checkpoint kind")
        let foundKind = String(decoding: r.raw(k, kindLength), as: UTF8.self)
        guard foundKind == kind else {
            throw .format("\(path) holds a '\(foundKind)' checkpoint, expected '\(kind)'")
        }
        let length = try r.readUInt64("payload length")
        let headerLength = r.offset
        let crc = try r.readUInt32("checksum")
        guard UInt64(r.remaining) == length else {
            throw .format("\(path) is truncated or corrupt (payload is \(r.remaining) bytes, header says \(length))")
        }
        var state: UInt32 = 0xFFFF_FFFF
        if version >= 2 { state = CRC32.update(state, r.raw(0, headerLength)) }
        // Checksum in chunks, dropping each chunk's pages once summed (the copy into place maps them again).
        let payloadStart = r.offset, chunk = 8 << 20
        var done = 0
        while done < Int(length) {
            let n = Swift.min(chunk, Int(length) - done)
            state = CRC32.update(state, r.raw(payloadStart + done, n))
            done += n
            storage.release(through: payloadStart + done)
        }
        storage.releasedUpTo = 0
        guard state ^ 0xFFFF_FFFF == crc else {
            throw .format("\(path) is corrupt (checksum mismatch)")
        }
        return BinaryReader(storage: storage, start: payloadStart, end: storage.count)
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
        try write(path: path) { (fd: Int32, tmp: String) throws(MnemonetError) in
            for chunk in chunks { try writeAll(fd, chunk, path: tmp) }
        }
    }

    /// Writes all of `raw` to `fd` (retrying short writes and EINTR); `path` names the file in the error.
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws(MnemonetError) {
        guard writeAllOrFail(fd, raw) else { throw ioError("cannot write", path) }
    }

    /// `writeAll` for an array.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(MnemonetError) {
        guard bytes.withUnsafeBytes({ writeAllOrFail(fd, $0) }) else { throw ioError("cannot write", path) }
    }

    /// Writes all of `raw`; false (errno set) on a write error other than EINTR.
    private static func writeAllOrFail(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }

    /// Creates a fresh temporary file next to `path`, lets `fill(fd, temporaryPath)` write its content, then
    /// fsyncs, renames it over `path` and fsyncs the directory; on any failure the temporary file is removed and
    /// `path` is untouched.
    static func write(path: String, fill: (Int32, String) throws(MnemonetError) -> Void) throws(MnemonetError) {
        guard !path.isEmpty else { throw .invalidArgument("path must not be empty") }
        var tmp = ""
        var fd: Int32 = -1
        for _ in 0..<16 {
            tmp = temporaryName(for: path)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw ioError("cannot create", tmp) }
        var failure: MnemonetError? = nil
        do throws(MnemonetError) { try fill(fd, tmp) } catch { failure = error }
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
        removeStaleTemporaries(of: path)
    }

    /// `path.tmp-<pid>-<random>`: unique per call (two threads, or two processes, saving to one path never share a
    /// temporary file), and the pid tells `removeStaleTemporaries` whether its writer can still be alive.
    static func temporaryName(for path: String) -> String {
        var system = SystemRandomNumberGenerator()  // getrandom(2): no shared state between threads
        let r = system.next()
        return path + ".tmp-\(getpid())-" + String(r, radix: 16)
    }

    /// Deletes `path.tmp-<pid>-…` files left by writers that no longer run (a save killed mid-write): the pid does
    /// not exist any more. Files of live processes (possibly saving right now) are left alone.
    static func removeStaleTemporaries(of path: String) {
        let dir = directory(of: path)
        let base = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        let prefix = base + ".tmp-"
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(prefix) else { continue }
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]) ?? Int32(rest),
                  pid > 0, pid != getpid() else {
                // Old-style `.tmp-<pid>` names.
                if let pid = Int32(rest), pid > 0, pid != getpid(), kill(pid, 0) != 0 && errno == ESRCH {
                    _ = unlink(dir + "/" + name)
                }
                continue
            }
            if kill(pid, 0) != 0 && errno == ESRCH { _ = unlink(dir + "/" + name) }
        }
    }

    /// A read-only mapping of the whole regular file `path`.
    static func map(path: String) throws(MnemonetError) -> ReaderStorage {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("cannot open", path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError("cannot stat", path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .io("'\(path)' is not a regular file", errno: EISDIR) }
        return try ReaderStorage(mapping: fd, length: Int(st.st_size))
    }

    /// The whole content of `path` (a copy of its mapping).
    public static func readAll(path: String) throws(MnemonetError) -> [UInt8] {
        let storage = try map(path: path)
        return Array(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }
}
