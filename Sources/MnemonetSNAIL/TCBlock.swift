import MnemonetBase
import MnemonetEngine

/// TCBlock(T, D) of Mishra et al. 2018 (Alg. 2): ⌈log₂ T⌉ ``DenseBlock``s with dilations 1, 2, 4, …, 2^{n−1}, so
/// that the receptive field (2ⁿ steps) covers a whole sequence of length T. Each dense block appends D features:
/// x [B, T, C] → [B, T, C + n·D].
public final class TCBlock: SNAILLayer {
    /// The dense blocks, dilation 2^i for block i.
    public let denseBlocks: [DenseBlock]
    /// C.
    public let inChannels: Int

    /// ⌈log₂ T⌉ for T ≥ 2 and 1 for T = 1 (at least one dense block).
    public static func depth(sequenceLength t: Int) -> Int {
        precondition(t >= 1, "TCBlock: sequence length \(t) < 1")
        var n = 0
        while (1 << n) < t { n += 1 }
        return max(n, 1)
    }

    /// A block for sequences of length `sequenceLength` reading `inChannels` features.
    public init(inChannels: Int, sequenceLength: Int, filters: Int, rng: inout Xoshiro256) {
        self.inChannels = inChannels
        var blocks: [DenseBlock] = []
        var c = inChannels
        for i in 0..<TCBlock.depth(sequenceLength: sequenceLength) {
            let block = DenseBlock(inChannels: c, filters: filters, dilation: 1 << i, rng: &rng)
            blocks.append(block)
            c = block.outChannels
        }
        denseBlocks = blocks
    }

    /// C + n·D.
    public var outChannels: Int { denseBlocks.last!.outChannels }

    /// `dense.{i}.filter_conv.weight`, … in block order.
    public var namedParameters: [NamedParameter] {
        denseBlocks.enumerated().flatMap { i, b in
            b.namedParameters.map { NamedParameter(name: "dense.\(i).\($0.name)", variable: $0.variable) }
        }
    }

    /// y [B, T, C + n·D] for x [B, T, C].
    public func callAsFunction(_ x: Variable) -> Variable {
        denseBlocks.reduce(x) { h, block in block(h) }
    }
}
