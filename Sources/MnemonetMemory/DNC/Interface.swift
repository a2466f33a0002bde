import MnemonetEngine

/// The interface vector ξ_t emitted by the controller, split and squashed as in the paper (Methods, "interface
/// parameters"), generalised to H_w write heads like deepmind's `MemoryAccess._read_inputs`.
///
/// Layout of ξ_t [B, S] (S = `size(config)`), in this order:
///
/// | piece | width | nonlinearity | symbol |
/// |---|---|---|---|
/// | read keys | R·W | — | k^{r,i}_t |
/// | read strengths | R | oneplus | β^{r,i}_t |
/// | write keys | H_w·W | — | k^w_t |
/// | write strengths | H_w | oneplus | β^w_t |
/// | erase vectors | H_w·W | σ | e_t |
/// | write vectors | H_w·W | — | v_t |
/// | free gates | R | σ | f^i_t |
/// | allocation gates | H_w | σ | g^a_t |
/// | write gates | H_w | σ | g^w_t |
/// | read modes | R·(2H_w + 1) | softmax per head | π^i_t |
///
/// With one write head S = R·W + 3W + 5R + 3, the paper's size.
public struct DNCInterface {
    /// k^r [B, R, W].
    public var readKeys: Variable
    /// β^r [B, R] (≥ 1).
    public var readStrengths: Variable
    /// k^w [B, H_w, W].
    public var writeKeys: Variable
    /// β^w [B, H_w] (≥ 1).
    public var writeStrengths: Variable
    /// e [B, H_w, W] (in (0, 1)).
    public var eraseVectors: Variable
    /// v [B, H_w, W].
    public var writeVectors: Variable
    /// f [B, R] (in (0, 1)).
    public var freeGates: Variable
    /// g^a [B, H_w] (in (0, 1)).
    public var allocationGates: Variable
    /// g^w [B, H_w] (in (0, 1)).
    public var writeGates: Variable
    /// π [B, R, 2H_w + 1] ordered (backward per write head, content, forward per write head); rows sum to 1.
    public var readModes: Variable

    /// S, the width of ξ_t for `memory`.
    public static func size(_ memory: MemoryConfig) -> Int {
        let r = memory.numReadHeads, w = memory.memoryDim, h = memory.numWriteHeads
        return r * w + r + 3 * h * w + h + r + 2 * h + r * (2 * h + 1)
    }

    /// The piece widths of ξ_t, in layout order.
    public static func pieceSizes(_ memory: MemoryConfig) -> [Int] {
        let r = memory.numReadHeads, w = memory.memoryDim, h = memory.numWriteHeads
        return [r * w, r, h * w, h, h * w, h * w, r, h, h, r * (2 * h + 1)]
    }

    /// Splits a raw interface vector ξ [B, S] into its squashed pieces.
    public init(_ xi: Variable, memory: MemoryConfig) {
        let b = xi.shape[0], r = memory.numReadHeads, w = memory.memoryDim, h = memory.numWriteHeads
        precondition(xi.rank == 2 && xi.shape[1] == DNCInterface.size(memory),
                     "DNCInterface: ξ is \(xi.shape), expected [B, \(DNCInterface.size(memory))]")
        let p = xi.split(axis: 1, sizes: DNCInterface.pieceSizes(memory))
        readKeys = p[0].reshaped([b, r, w])
        readStrengths = DNCAddressing.oneplus(p[1])
        writeKeys = p[2].reshaped([b, h, w])
        writeStrengths = DNCAddressing.oneplus(p[3])
        eraseVectors = p[4].sigmoid().reshaped([b, h, w])
        writeVectors = p[5].reshaped([b, h, w])
        freeGates = p[6].sigmoid()
        allocationGates = p[7].sigmoid()
        writeGates = p[8].sigmoid()
        readModes = p[9].reshaped([b, r, 2 * h + 1]).softmax()
    }
}
