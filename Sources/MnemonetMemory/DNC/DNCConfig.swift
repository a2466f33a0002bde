import MnemonetBase

/// The controller network of a DNC.
public enum DNCControllerKind: Int32, Sendable, Equatable {
    /// One LSTM layer (PyTorch `nn.LSTM` layout): h_t, s_t = LSTM([x_t; r_{t−1}], h_{t−1}, s_{t−1}).
    case lstm = 0
    /// One tanh layer: h_t = tanh(W [x_t; r_{t−1}] + b) (no recurrent state of its own; all memory is external).
    case feedforward = 1
}

/// The sizes of a Differentiable Neural Computer: input X, output Y, controller width H and the memory
/// (`MemoryConfig`: N slots of W, R read heads, H_w write heads).
public struct DNCConfig: Equatable, Sendable {
    /// X, the input width.
    public var inputSize: Int
    /// Y, the output width.
    public var outputSize: Int
    /// H, the controller's hidden width.
    public var hiddenSize: Int
    /// N, W, R, H_w.
    public var memory: MemoryConfig
    /// LSTM or feedforward controller.
    public var controller: DNCControllerKind

    /// A configuration (validated by `validate()`).
    public init(inputSize: Int, outputSize: Int, hiddenSize: Int = 64, memory: MemoryConfig,
                controller: DNCControllerKind = .lstm) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.hiddenSize = hiddenSize
        self.memory = memory
        self.controller = controller
    }

    /// The link matrices hold B·H_w·N² floats per step and the graph keeps several per step: N·N·H_w is capped at
    /// 2^26 (N = 8192 with one write head, 256 MiB per batch entry and step).
    public static let maxLinkEntries = 1 << 26

    /// Throws `.invalidArgument` naming the offending size unless every size is positive and bounded.
    public func validate() throws(MnemonetError) {
        let m = memory
        try require(inputSize >= 1 && inputSize <= 1 << 20, "input_size must be in 1...1048576, got \(inputSize)")
        try require(outputSize >= 1 && outputSize <= 1 << 20, "output_size must be in 1...1048576, got \(outputSize)")
        try require(hiddenSize >= 1 && hiddenSize <= 1 << 14, "hidden_size must be in 1...16384, got \(hiddenSize)")
        try require(m.memorySize >= 1 && m.memorySize <= 1 << 16, "memory_size must be in 1...65536, got \(m.memorySize)")
        try require(m.memoryDim >= 1 && m.memoryDim <= 1 << 14, "memory_dim must be in 1...16384, got \(m.memoryDim)")
        try require(m.numReadHeads >= 1 && m.numReadHeads <= 64, "num_read_heads must be in 1...64, got \(m.numReadHeads)")
        try require(m.numWriteHeads >= 1 && m.numWriteHeads <= 16, "num_write_heads must be in 1...16, got \(m.numWriteHeads)")
        try require(m.memorySize * m.memorySize * m.numWriteHeads <= DNCConfig.maxLinkEntries,
                    "the link matrix memory_size^2 * num_write_heads = \(m.memorySize * m.memorySize * m.numWriteHeads) floats per sequence exceeds 2^26 (67,108,864); use a smaller memory_size")
        try require(m.memorySize * m.memoryDim <= 1 << 22, "memory_size * memory_dim must be at most 2^22 (4,194,304), got \(m.memorySize * m.memoryDim)")
        try require(m.numReadHeads * m.memoryDim <= 1 << 16, "num_read_heads * memory_dim must be at most 65536, got \(m.numReadHeads * m.memoryDim)")
    }

    /// Width of the controller's input [x_t; r_{t−1}]: X + R·W.
    public var controllerInputSize: Int { inputSize + memory.numReadHeads * memory.memoryDim }
    /// Width of the interface vector ξ_t (`DNCInterface.size`).
    public var interfaceSize: Int { DNCInterface.size(memory) }
    /// Width of the output layer's input [h_t; r_t]: H + R·W.
    public var outputLayerInputSize: Int { hiddenSize + memory.numReadHeads * memory.memoryDim }
}
