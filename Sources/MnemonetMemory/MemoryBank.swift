import COpenBLAS
import MnemonetBase

/// The seed's `NeuralMemoryBank`: a memory matrix M [N, W] and a usage vector u [N], read and written by content.
///
///     read:   r_h = C(M, k_h, β_h) · M                              for each head h, concatenated → [R·W]
///     write:  w = C(M, k_w, β_w);  M ← M ⊙ (1 − w eᵀ);  M ← M + w vᵀ;  u ← 0.99 u + w
///
/// (C is `ContentAddressing`.) Writes are detached in the seed: M and u are constants for backpropagation, which
/// is what `MemoryController`'s fused pullback assumes. All scratch space is allocated once, here.
public final class NeuralMemoryBank {
    /// The configuration (N, W, R).
    public let config: MemoryConfig
    /// M, row-major [N, W].
    public let memory: UnsafeMutableBufferPointer<Float>
    /// u, [N].
    public let usage: UnsafeMutableBufferPointer<Float>

    // Scratch of one access: the memory's row denominators [N]; K = R + 1 keys.
    @usableFromInline let memoryDenominators: UnsafeMutablePointer<Float>
    @usableFromInline let normalizedKeys: UnsafeMutablePointer<Float>
    @usableFromInline let keyDenominators: UnsafeMutablePointer<Float>
    @usableFromInline let similarity: UnsafeMutablePointer<Float>
    @usableFromInline let weights: UnsafeMutablePointer<Float>
    @usableFromInline let keys: UnsafeMutablePointer<Float>
    @usableFromInline let betas: UnsafeMutablePointer<Float>

    /// A zero memory and zero usage of the shape `config` gives.
    public init(config: MemoryConfig) throws(MnemonetError) {
        try config.validate()
        self.config = config
        let n = config.memorySize, w = config.memoryDim, k = config.numReadHeads + 1
        memory = .allocate(capacity: n * w)
        usage = .allocate(capacity: n)
        memoryDenominators = .allocate(capacity: n)
        normalizedKeys = .allocate(capacity: k * w)
        keyDenominators = .allocate(capacity: k)
        similarity = .allocate(capacity: k * n)
        weights = .allocate(capacity: k * n)
        keys = .allocate(capacity: k * w)
        betas = .allocate(capacity: k)
        reset()
    }

    deinit {
        memory.deallocate(); usage.deallocate(); memoryDenominators.deallocate()
        normalizedKeys.deallocate(); keyDenominators.deallocate(); similarity.deallocate(); weights.deallocate()
        keys.deallocate(); betas.deallocate()
    }

    /// The index of the first u_i < 0 (or NaN) in `u`, or nil: usage accumulates write weights, so it is never
    /// negative; a checkpoint holding one is corrupt.
    public static func firstNegative(_ u: UnsafeBufferPointer<Float>) -> Int? {
        u.firstIndex(where: { !($0 >= 0) })
    }

    /// Throws `.format` when the loaded usage of `source` has a negative (or NaN) entry.
    public func requireUsageValid(source: String) throws(MnemonetError) {
        if let k = Self.firstNegative(UnsafeBufferPointer(usage)) {
            throw .format("\(source) is corrupt (usage[\(k)] = \(usage[k]) is negative)")
        }
    }

    /// Zeroes M and u.
    public func reset() {
        memory.update(repeating: 0)
        usage.update(repeating: 0)
    }

    /// Copies `memory` [N·W] and `usage` [N] in (from a checkpoint or a user); u must be ≥ 0 (it accumulates
    /// write weights, u_i ← 0.99·u_i + w_i).
    public func assign(memory m: UnsafeBufferPointer<Float>, usage u: UnsafeBufferPointer<Float>) throws(MnemonetError) {
        try require(m.count == memory.count, "memory must have \(memory.count) values, got \(m.count)")
        try require(u.count == usage.count, "usage must have \(usage.count) values, got \(u.count)")
        if let k = Self.firstNegative(u) { throw .invalidArgument("usage must be >= 0, got \(u[k]) at usage[\(k)]") }
        _ = memory.update(fromContentsOf: m)
        _ = usage.update(fromContentsOf: u)
    }

    /// The seed's `content_addressing(key, beta)` for `count` keys [count, W] and strengths [count]:
    /// writes weights [count, N]. Does not change the memory.
    public func contentAddressing(keys k: UnsafePointer<Float>, betas b: UnsafePointer<Float>, count: Int,
                                  into out: UnsafeMutablePointer<Float>) {
        let n = config.memorySize, w = config.memoryDim
        let nk = UnsafeMutablePointer<Float>.allocate(capacity: count * w)
        let kd = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let sim = UnsafeMutablePointer<Float>.allocate(capacity: count * n)
        defer { nk.deallocate(); kd.deallocate(); sim.deallocate() }
        ContentAddressing.weights(keys: k, betas: b, count: count, memory: memory.baseAddress!, memorySize: n,
                                  width: w, normalizedKeys: nk, keyDenominators: kd,
                                  memoryDenominators: memoryDenominators, similarity: sim, weights: out)
    }

    /// The seed's `read(read_keys, read_strengths)`: keys [R, W], strengths [R] → reads [R·W] (head-major).
    public func read(keys k: UnsafePointer<Float>, strengths b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let r = config.numReadHeads, n = config.memorySize, w = config.memoryDim
        ContentAddressing.weights(keys: k, betas: b, count: r, memory: memory.baseAddress!, memorySize: n, width: w,
                                  normalizedKeys: normalizedKeys, keyDenominators: keyDenominators,
                                  memoryDenominators: memoryDenominators, similarity: similarity, weights: weights)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(r), Int32(w), Int32(n), 1, weights, Int32(n),
                    memory.baseAddress!, Int32(w), 0, out, Int32(w))
    }

    /// The seed's `write(write_key, write_vector, erase_vector, write_strength)`: key, vector, erase [W], strength β.
    public func write(key: UnsafePointer<Float>, vector: UnsafePointer<Float>, erase: UnsafePointer<Float>, strength: Float) {
        var beta = strength
        let n = config.memorySize, w = config.memoryDim
        ContentAddressing.weights(keys: key, betas: &beta, count: 1, memory: memory.baseAddress!, memorySize: n,
                                  width: w, normalizedKeys: normalizedKeys, keyDenominators: keyDenominators,
                                  memoryDenominators: memoryDenominators, similarity: similarity, weights: weights)
        readThenWrite(heads: 0, readWeights: weights, reads: weights, writeWeights: weights, vector: vector,
                      erase: erase, snapshot: nil)
    }

    /// One controller step's memory traffic: the reads (one GEMM on the memory before the write), then one pass that
    /// writes every row:
    ///
    ///     reads[h] = Σ_n w_h[n] M[n]                    (the R read heads, on the memory before the write)
    ///     snapshot ← M                                  (when given: what the pullback needs)
    ///     M[n] ← M[n] ⊙ (1 − w[n] e);  M[n] ← M[n] + w[n] v;  u[n] ← 0.99 u[n] + w[n]
    ///
    /// `readWeights` [heads, N], `reads` [heads, W], `writeWeights` [N], `vector`, `erase` [W].
    @inlinable
    public func readThenWrite(heads: Int, readWeights: UnsafePointer<Float>, reads: UnsafeMutablePointer<Float>,
                              writeWeights ww: UnsafePointer<Float>, vector: UnsafePointer<Float>,
                              erase: UnsafePointer<Float>, snapshot: UnsafeMutablePointer<Float>?,
                              write: Bool = true) {
        let n = config.memorySize, w = config.memoryDim
        let m = memory.baseAddress!
        for h in 0..<heads {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(w), 1, m, Int32(w), readWeights + h * n, 1, 0,
                        reads + h * w, 1)
        }
        if let snapshot { snapshot.update(from: m, count: n * w) }
        if !write { return }  // read-only access (predict, evaluate without writes): M and u unchanged
        for i in 0..<n {
            let row = m + i * w
            let wi = ww[i]
            var j = 0
            while j + 8 <= w {
                let mv = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                let ev = UnsafeRawPointer(erase + j).loadUnaligned(as: SIMD8<Float>.self)
                let vv = UnsafeRawPointer(vector + j).loadUnaligned(as: SIMD8<Float>.self)
                let kept = mv * (1 - wi * ev)
                UnsafeMutableRawPointer(row + j).storeBytes(of: kept + wi * vv, as: SIMD8<Float>.self)
                j += 8
            }
            while j < w {
                let kept = row[j] * (1 - wi * erase[j])
                row[j] = kept + wi * vector[j]
                j += 1
            }
            usage[i] = Float(0.99) * usage[i] + wi
        }
    }
}
