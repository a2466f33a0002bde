import MnemonetBase

/// One named parameter tensor of the controller: its PyTorch `state_dict` name and shape, and where it lives in the
/// controller's flat parameter buffer (every tensor is one contiguous range).
public struct ControllerTensor: Equatable, Sendable {
    /// The seed's `MemoryController.state_dict()` key, e.g. `"lstm.weight_ih_l0"`.
    public let name: String
    /// The PyTorch shape, e.g. `[4H, I]`.
    public let shape: [Int]
    /// First element in the flat buffer.
    public let offset: Int
    /// Number of elements (the product of `shape`).
    public var count: Int { shape.reduce(1, *) }
}

/// Where each parameter of the seed's `MemoryController` lives in one flat float buffer.
///
/// The seed's controller (I = input_dim, H = hidden_dim, O = output_dim (the seed's O = I), N, W, R from
/// `MemoryConfig`; P = R·W + R + 3W + 1):
///
///     gates = W_ih x + b_ih + W_hh h₀ + b_hh      (i, f, g, o)  [4H]      h₀ = c₀ = 0 every call
///     s = o ⊙ tanh(i ⊙ g)                                           [H]      (the controller state)
///     heads = W_heads s + b_heads                                   [P]      read keys | read β | write key | write v | erase | write β
///     y = W_out [s ; reads] + b_out                                 [O]
///
/// O only sizes the output layer: the memory is written from the controller state s (write key, vector and erase
/// are heads of s, as in the seed), never from y, so what the memory stores does not depend on O.
///
/// The six head layers (read_keys, read_strengths, write_key, write_vector, erase_vector, write_strength) are stored
/// as consecutive row blocks of one [P, H] matrix so that one GEMM computes them all; each still maps onto its own
/// `state_dict` entry. Flat order: W_ih, b_ih, b_hh, W_heads, b_heads, W_out, b_out, W_hh (W_hh last: its gradient is
/// exactly zero because h₀ = 0, so it never changes under Adam).
public struct ControllerLayout: Equatable, Sendable {
    /// I and H.
    public let inputDim: Int, hiddenDim: Int
    /// O, the size of the output y (the seed's O = I).
    public let outputDim: Int
    /// N, W, R.
    public let config: MemoryConfig
    /// Width of the head block: R·W + R + 3W + 1.
    public let headCount: Int
    /// Rows of the head block that receive gradients: the read keys and read strengths (R·W + R). The write heads
    /// only feed the detached memory write, so (as in PyTorch, where their `.grad` stays `None`) they never train.
    public let readHeadCount: Int
    /// Width of `[s ; reads]`: H + R·W.
    public let combinedCount: Int
    /// Offsets of the blocks in the flat buffer (see the type's doc for their order).
    public let wih: Int, bih: Int, bhh: Int, headW: Int, headB: Int, outW: Int, outB: Int, whh: Int
    /// Total number of parameters.
    public let count: Int
    /// The `state_dict` entries in PyTorch's order.
    public let tensors: [ControllerTensor]

    /// The layout for I = `inputDim`, H = `hiddenDim`, O = `outputDim` (nil: O = I, the seed's) and `config`;
    /// throws `.invalidArgument` for sizes out of range.
    public init(inputDim: Int, hiddenDim: Int, outputDim: Int? = nil, config: MemoryConfig) throws(MnemonetError) {
        try config.validate()
        try require(inputDim >= 1 && inputDim <= 1 << 16, "input_dim must be in 1...65536, got \(inputDim)")
        try require(hiddenDim >= 1 && hiddenDim <= 1 << 16, "hidden_dim must be in 1...65536, got \(hiddenDim)")
        let o = outputDim ?? inputDim
        try require(o >= 1 && o <= 1 << 16, "output_dim must be in 1...65536, got \(o)")
        let i = inputDim, h = hiddenDim, w = config.memoryDim, r = config.numReadHeads
        self.inputDim = i; self.hiddenDim = h; self.outputDim = o; self.config = config
        headCount = r * w + r + 3 * w + 1
        readHeadCount = r * w + r
        combinedCount = h + r * w
        try require(4 * h * (i + h) + headCount * h + o * combinedCount <= 1 << 26,
                    "the controller would have more than 2^26 parameters (input_dim \(i), hidden_dim \(h), output_dim \(o))")
        wih = 0
        bih = wih + 4 * h * i
        bhh = bih + 4 * h
        headW = bhh + 4 * h
        headB = headW + headCount * h
        outW = headB + headCount
        outB = outW + o * combinedCount
        whh = outB + o
        count = whh + 4 * h * h
        let rw = r * w, hw = headW, hb = headB
        tensors = [
            .init(name: "lstm.weight_ih_l0", shape: [4 * h, i], offset: wih),
            .init(name: "lstm.weight_hh_l0", shape: [4 * h, h], offset: whh),
            .init(name: "lstm.bias_ih_l0", shape: [4 * h], offset: bih),
            .init(name: "lstm.bias_hh_l0", shape: [4 * h], offset: bhh),
            .init(name: "read_keys.weight", shape: [rw, h], offset: hw),
            .init(name: "read_keys.bias", shape: [rw], offset: hb),
            .init(name: "read_strengths.weight", shape: [r, h], offset: hw + rw * h),
            .init(name: "read_strengths.bias", shape: [r], offset: hb + rw),
            .init(name: "write_key.weight", shape: [w, h], offset: hw + (rw + r) * h),
            .init(name: "write_key.bias", shape: [w], offset: hb + rw + r),
            .init(name: "write_vector.weight", shape: [w, h], offset: hw + (rw + r + w) * h),
            .init(name: "write_vector.bias", shape: [w], offset: hb + rw + r + w),
            .init(name: "erase_vector.weight", shape: [w, h], offset: hw + (rw + r + 2 * w) * h),
            .init(name: "erase_vector.bias", shape: [w], offset: hb + rw + r + 2 * w),
            .init(name: "write_strength.weight", shape: [1, h], offset: hw + (rw + r + 3 * w) * h),
            .init(name: "write_strength.bias", shape: [1], offset: hb + rw + r + 3 * w),
            .init(name: "output.weight", shape: [o, h + rw], offset: outW),
            .init(name: "output.bias", shape: [o], offset: outB),
        ]
    }

    /// The parameter blocks that receive gradients, one Adam slot each: W_ih, b_ih, b_hh, the read rows of W_heads
    /// ([R·W + R, H]), the read entries of b_heads, W_out, b_out. (W_hh's gradient is exactly zero and the write
    /// heads have none, so Adam never changes them — as in PyTorch.)
    public var trainableRanges: [Range<Int>] {
        let h = hiddenDim
        return [wih..<bih, bih..<bhh, bhh..<headW, headW..<(headW + readHeadCount * h), headB..<(headB + readHeadCount),
                outW..<outB, outB..<whh]
    }

    /// The index of the entry named `name`, if any.
    public func tensorIndex(named name: String) -> Int? { tensors.firstIndex { $0.name == name } }

    /// PyTorch's default initialisation: LSTM weights and biases U(−1/√H, 1/√H); a Linear(in, out) layer's weight
    /// (kaiming_uniform with a = √5) and bias U(−1/√in, 1/√in).
    public func initialize(_ p: UnsafeMutableBufferPointer<Float>, rng: inout Xoshiro256) {
        for t in tensors {
            let fanIn: Int
            if t.name.hasPrefix("lstm.") { fanIn = hiddenDim }
            else if t.name.hasPrefix("output.") { fanIn = combinedCount }
            else { fanIn = hiddenDim }
            let bound = 1 / Float(fanIn).squareRoot()
            for k in t.offset..<(t.offset + t.count) { p[k] = -bound + 2 * bound * rng.nextUnitFloat() }
        }
    }
}
