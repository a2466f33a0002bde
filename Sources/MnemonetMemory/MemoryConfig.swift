import MnemonetBase

/// The shape of a neural memory bank (the seed's `MemoryConfig`).
///
/// A memory of `memorySize` slots (N) of `memoryDim` values (W), read by `numReadHeads` heads (R) and written by
/// `numWriteHeads` heads. The seed's controller emits one write key whatever `numWriteHeads` says, so only 1 is accepted.
public struct MemoryConfig: Equatable, Sendable {
    /// N, the number of memory slots.
    public var memorySize: Int
    /// W, the width of one slot.
    public var memoryDim: Int
    /// R, the number of read heads.
    public var numReadHeads: Int
    /// The number of write heads (the seed's controller has exactly one).
    public var numWriteHeads: Int

    /// The seed's defaults: N = 128, W = 64, R = 4, one write head.
    public init(memorySize: Int = 128, memoryDim: Int = 64, numReadHeads: Int = 4, numWriteHeads: Int = 1) {
        self.memorySize = memorySize
        self.memoryDim = memoryDim
        self.numReadHeads = numReadHeads
        self.numWriteHeads = numWriteHeads
    }

    /// Throws `.invalidArgument` unless every size is positive (and not absurdly large: N·W, R·N and R·W at most 2^22)
    /// and there is one write head.
    public func validate() throws(MnemonetError) {
        try require(memorySize >= 1 && memorySize <= 1 << 20, "memory_size must be in 1...1048576, got \(memorySize)")
        try require(memoryDim >= 1 && memoryDim <= 1 << 16, "memory_dim must be in 1...65536, got \(memoryDim)")
        try require(numReadHeads >= 1 && numReadHeads <= 1024, "num_read_heads must be in 1...1024, got \(numReadHeads)")
        try require(numWriteHeads == 1, "num_write_heads must be 1 (the seed's controller has one write head), got \(numWriteHeads)")
        try require(memorySize * memoryDim <= 1 << 22, "memory_size * memory_dim must be at most 2^22 (4,194,304), got \(memorySize * memoryDim)")
        // The read weights are [R, N] and the read vector R·W per step: bound them like the memory itself, so a
        // legal-looking config cannot ask for gigabytes (an allocation failure traps instead of throwing).
        try require(numReadHeads * memorySize <= 1 << 22, "num_read_heads * memory_size must be at most 2^22 (4,194,304), got \(numReadHeads * memorySize)")
        try require(numReadHeads * memoryDim <= 1 << 22, "num_read_heads * memory_dim must be at most 2^22 (4,194,304), got \(numReadHeads * memoryDim)")
    }
}
