import Glibc

/// The buffers of large tensors, kept for reuse instead of handed back to the C allocator.
///
/// A training step builds a graph whose values (at batch 64, the DNC's link matrices are [B, H_w, N, N] per time
/// step) are freed together when the step ends and allocated again, with the same sizes, by the next step. glibc
/// serves buffers above its mmap threshold (≤ 32 MiB) with fresh `mmap`s and trims the heap top after a large free,
/// so every step paid one page fault and one page clear per 4 KiB of graph (measured: 40% of a batch-64, N = 64 DNC
/// step in the kernel). Buffers of at least `minimumCount` floats are instead kept here, keyed by their exact element
/// count, up to `limitBytes` in total (the oldest sizes are dropped first when a new one would not fit); smaller
/// buffers stay with malloc, whose bins already reuse them. Thread-safe (one mutex, taken only for large buffers).
public final class TensorStorage: @unchecked Sendable {
    /// The process-wide cache used by `Tensor`.
    public static let shared = TensorStorage()
    /// Buffers of at least this many floats (64 KiB) go through the cache.
    public static let minimumCount = 1 << 14

    /// The most bytes kept idle: an eighth of physical memory, at most 2 GiB.
    public let limitBytes: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    /// Element counts in the order their first idle buffer arrived (eviction order).
    private var order: [Int] = []
    private var idleBytes = 0

    private init() {
        let physical = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        limitBytes = physical > 0 ? min(physical / 8, 2 << 30) : 256 << 20
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        // fork() while another thread is inside `take`/`give` would leave the child's mutex locked for ever (and the
        // lists half-updated): hold the mutex across the fork, so it happens between critical sections, and release
        // it on both sides. The critical sections are short and never wait on anything but malloc, which glibc
        // locks for fork only after these handlers ran.
        pthread_atfork({ TensorStorage.shared.lockForFork() }, { TensorStorage.shared.unlockAfterFork() },
                       { TensorStorage.shared.unlockAfterFork() })
    }

    private func lockForFork() { pthread_mutex_lock(mutex) }
    private func unlockAfterFork() { pthread_mutex_unlock(mutex) }

    /// A buffer of `count` floats (uninitialised): a kept one of exactly that size when there is one.
    @inline(__always)
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        count < minimumCount ? .allocate(capacity: max(count, 1)) : shared.take(count)
    }

    /// Gives back a buffer from `allocate(count)`.
    @inline(__always)
    static func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count < minimumCount { pointer.deallocate() } else { shared.give(pointer, count: count) }
    }

    /// The bytes currently kept idle.
    public var cachedBytes: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return idleBytes
    }

    /// Frees every idle buffer (e.g. after training, to hand the memory back to the system).
    public func releaseCached() {
        pthread_mutex_lock(mutex)
        let all = free.values.flatMap { $0 }
        free = [:]
        order = []
        idleBytes = 0
        pthread_mutex_unlock(mutex)
        for p in all { p.deallocate() }
    }

    private func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        pthread_mutex_lock(mutex)
        if let p = free[count]?.popLast() {
            idleBytes -= count * 4
            pthread_mutex_unlock(mutex)
            return p
        }
        pthread_mutex_unlock(mutex)
        return .allocate(capacity: count)
    }

    private func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let bytes = count * 4
        var evicted: [UnsafeMutablePointer<Float>] = []
        pthread_mutex_lock(mutex)
        if bytes > limitBytes {
            pthread_mutex_unlock(mutex)
            pointer.deallocate()
            return
        }
        var i = 0
        while idleBytes + bytes > limitBytes && i < order.count {
            let size = order[i]
            if size != count, let list = free[size] {
                evicted += list
                idleBytes -= list.count * size * 4
                free[size] = nil
            }
            i += 1
        }
        if idleBytes + bytes > limitBytes, let list = free[count] {   // only this size is left: drop its oldest
            let drop = min(list.count, (idleBytes + bytes - limitBytes + bytes - 1) / bytes)
            evicted += list.prefix(drop)
            free[count] = Array(list.dropFirst(drop))
            idleBytes -= drop * bytes
        }
        order.removeAll { free[$0] == nil || free[$0]!.isEmpty }
        if free[count] == nil || free[count]!.isEmpty { order.append(count) }
        free[count, default: []].append(pointer)
        idleBytes += bytes
        pthread_mutex_unlock(mutex)
        for p in evicted { p.deallocate() }
    }
}
