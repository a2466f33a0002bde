import MnemonetEngine

/// The state of the DNC's memory between steps (every tensor has the batch B first).
public struct DNCAccessState {
    /// M_t [B, N, W].
    public var memory: Variable
    /// u_t [B, N].
    public var usage: Variable
    /// L_t [B, H_w, N, N] (one link matrix per write head).
    public var link: Variable
    /// p_t [B, H_w, N].
    public var precedence: Variable
    /// w^r_t [B, R, N].
    public var readWeights: Variable
    /// w^w_t [B, H_w, N].
    public var writeWeights: Variable

    /// A state from its parts.
    public init(memory: Variable, usage: Variable, link: Variable, precedence: Variable, readWeights: Variable,
                writeWeights: Variable) {
        self.memory = memory
        self.usage = usage
        self.link = link
        self.precedence = precedence
        self.readWeights = readWeights
        self.writeWeights = writeWeights
    }

    /// The initial state (deepmind's): every tensor zero.
    public static func zeros(batch b: Int, memory m: MemoryConfig) -> DNCAccessState {
        let n = m.memorySize, h = m.numWriteHeads
        func z(_ s: [Int]) -> Variable { Variable(Tensor(shape: s)) }
        return DNCAccessState(memory: z([b, n, m.memoryDim]), usage: z([b, n]), link: z([b, h, n, n]),
                              precedence: z([b, h, n]), readWeights: z([b, m.numReadHeads, n]),
                              writeWeights: z([b, h, n]))
    }

    /// The components in a fixed order (memory, usage, link, precedence, read weights, write weights).
    public var components: [Variable] { [memory, usage, link, precedence, readWeights, writeWeights] }

    /// A state from `components` order.
    public init(components c: [Variable]) {
        self.init(memory: c[0], usage: c[1], link: c[2], precedence: c[3], readWeights: c[4], writeWeights: c[5])
    }

    /// The same values as constants (for truncated backpropagation through time).
    public func detached() -> DNCAccessState { DNCAccessState(components: components.map { $0.detached() }) }
}

/// The DNC's memory access (deepmind's `MemoryAccess` module): one step `(ξ_t, state_{t−1}) → (r_t, state_t)`,
/// parameter-free — the controller owns the weights that produce ξ_t.
///
/// Order of one step (Methods; deepmind's `_step`):
///  1. u_t from u_{t−1}, w^w_{t−1}, the free gates and w^r_{t−1} (`usage`);
///  2. w^w_t from content on M_{t−1} and allocation from u_t (`writeWeights`);
///  3. M_t by erase and add (`eraseAndWrite`);
///  4. L_t, then p_t (`link`, `precedence`);
///  5. w^r_t from content on M_t, and forward/backward weightings of w^r_{t−1} through L_t (`readWeights`);
///  6. r_t = M_tᵀ w^r_t.
public struct DNCMemoryAccess {
    /// N, W, R, H_w.
    public let memory: MemoryConfig
    /// Whether content weighting, the N² link update and the forward/backward weightings run as the fused kernels
    /// (`contentWeightsFused`, `linkFused`, `directionalWeightsFused`) instead of composed ops (same values).
    public let fused: Bool

    /// An access module over memories of `memory`'s shape.
    public init(memory: MemoryConfig, fused: Bool = true) {
        self.memory = memory
        self.fused = fused
    }

    /// One step. ξ: the split interface of batch B; returns the read vectors r_t [B, R, W] and the new state.
    public func callAsFunction(_ xi: DNCInterface, _ state: DNCAccessState) -> (readVectors: Variable, state: DNCAccessState) {
        typealias A = DNCAddressing
        let usage = A.usage(previous: state.usage, writeWeights: state.writeWeights, freeGates: xi.freeGates,
                            readWeights: state.readWeights)
        let content = fused ? A.contentWeightsFused : A.contentWeights
        let writeContent = content(state.memory, xi.writeKeys, xi.writeStrengths)
        let allocation = A.writeAllocationWeights(usage: usage, writeGates: xi.allocationGates * xi.writeGates)
        let writeWeights = A.writeWeights(allocation: allocation, content: writeContent,
                                          allocationGates: xi.allocationGates, writeGates: xi.writeGates)
        let memory = A.eraseAndWrite(memory: state.memory, writeWeights: writeWeights, erase: xi.eraseVectors,
                                     values: xi.writeVectors)
        let link = fused ? A.linkFused(previous: state.link, precedence: state.precedence, writeWeights: writeWeights)
                         : A.link(previous: state.link, precedence: state.precedence, writeWeights: writeWeights)
        let precedence = A.precedence(previous: state.precedence, writeWeights: writeWeights)
        let readContent = content(memory, xi.readKeys, xi.readStrengths)
        let (forward, backward) = fused ? A.directionalWeightsFused(link: link, readWeights: state.readWeights)
                                        : A.directionalWeights(link: link, readWeights: state.readWeights)
        let readWeights = A.readWeights(modes: xi.readModes, content: readContent, forward: forward, backward: backward)
        let readVectors = A.readVectors(memory: memory, readWeights: readWeights)
        return (readVectors, DNCAccessState(memory: memory, usage: usage, link: link, precedence: precedence,
                                            readWeights: readWeights, writeWeights: writeWeights))
    }
}
