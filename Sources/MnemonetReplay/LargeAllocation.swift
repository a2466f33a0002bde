#if canImport(Glibc)
import Glibc
#endif

/// Allocation of the large, long-lived blocks (sum-trees, item storage): zero-filled, 64-byte aligned at least.
///
/// Blocks of `mapFrom` bytes or more are anonymous `mmap` regions of their own, released with `munmap`: their memory
/// goes back to the system the moment the buffer is dropped (malloc would keep it in its arena; creating and dropping
/// 20,000 agents grew the process by 440 MB), and their pages are zero and untouched until written, so a large,
/// mostly empty buffer — or one a checkpoint declares — costs address space, not RAM. Blocks of 16 MiB or more are
/// 2 MiB-aligned and advised for transparent huge pages (`MADV_HUGEPAGE`, as NumPy does for its large arrays), so
/// that random descents of a 1M-leaf tree (2 × 16 MiB) miss the TLB far less.
/// Returns `nil` when the system refuses the memory.
enum LargeAllocation {
    static let hugePage = 2 << 20
    /// Smaller blocks fit the TLB anyway; advising them only exposes the caller to compaction stalls (measured:
    /// creating + filling a 10k-item buffer took 15 ms with advice instead of 3 ms).
    static let adviseFrom = 16 << 20
    /// Blocks from this size on are mapped directly (below it, `posix_memalign` + zeroing is cheaper).
    static let mapFrom = 64 << 10

    /// `bytes` zero bytes, or `nil`. Release with `release(_:bytes:)` and the same `bytes`. `hugePages: false` never
    /// advises for transparent huge pages (item storage: see `ReplayStorage.init`).
    static func allocate(bytes: Int, hugePages: Bool = true) -> UnsafeMutableRawPointer? {
        let size = Swift.max(bytes, 1)
        guard size >= mapFrom else {
            var p: UnsafeMutableRawPointer? = nil
            // 64-byte (cache-line) alignment: a sum-tree's sibling groups never straddle two lines.
            guard posix_memalign(&p, 64, size) == 0, let p else { return nil }
            memset(p, 0, size)
            return p
        }
        let advise = hugePages && size >= adviseFrom
        let align = advise ? hugePage : Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = mappedLength(size)
        // Over-map by `align` and trim both ends so the block starts on an `align` boundary.
        guard let raw = mmap(nil, length + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                             -1, 0), raw != MAP_FAILED else { return nil }
        let address = UInt(bitPattern: raw)
        let aligned = (address + UInt(align) - 1) / UInt(align) * UInt(align)
        let head = Int(aligned - address), tail = align - head
        if head > 0 { munmap(raw, head) }
        if tail > 0 { munmap(raw + head + length, tail) }
        let p = raw + head
        if advise { _ = madvise(p, length, 14 /* MADV_HUGEPAGE */) }
        return p
    }

    /// Releases a block from `allocate(bytes:)`.
    static func release(_ p: UnsafeMutableRawPointer, bytes: Int) {
        let size = Swift.max(bytes, 1)
        if size >= mapFrom { munmap(p, mappedLength(size)) } else { free(p) }
    }

    static func mappedLength(_ size: Int) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return size >= adviseFrom ? (size + hugePage - 1) / hugePage * hugePage : (size + page - 1) / page * page
    }
}
