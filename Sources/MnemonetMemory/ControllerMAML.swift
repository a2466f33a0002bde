import MnemonetBase
import MnemonetEngine

/// The memory constants of one meta-gradient: what each support row read at each inner step, and what each query
/// row read after adaptation. Recorded by `ControllerMAML.metaGradient`; pass it back to hold the memory fixed
/// (finite-difference checks differentiate exactly the function the meta-gradient differentiates).
public struct ControllerMemoryTrace {
    /// `support[t][j]`: the memory [N, W] support row j read at inner step t (t = 0…K−1).
    public var support: [[Tensor]]
    /// `query[j]`: the memory [N, W] query row j read with the adapted parameters.
    public var query: [Tensor]
}

/// A MAML meta-gradient of the memory controller (see `ControllerMAML`).
public struct ControllerMetaGradient {
    /// ∂L_Q(θ_K)/∂θ per `state_dict` entry, in `ControllerLayout.tensors` order (same shapes).
    public let gradients: [Tensor]
    /// L_Q(θ_K), the query loss after adaptation.
    public let queryLoss: Double
    /// L_S(θ_t) for t = 0…K−1 (each step's support loss, as the composed graph computed it).
    public let supportLosses: [Double]
    /// The memory constants used.
    public let trace: ControllerMemoryTrace
}

/// MAML over the seed's memory controller, on the engine's composed autodiff (`ComposedController`).
///
///     θ_0 = θ;  θ_{t+1} = θ_t − α ∇L_S(θ_t)   (t < K);   meta-gradient  g = d L_Q(θ_K) / dθ
///
/// with L_S, L_Q the mean MSE over the support and query rows, each pass from a copy of the given memory M_0 and the
/// memory each row reads a constant (detached writes, as in the seed; `MemoryController.adapted` documents the
/// semantics). Second order (`firstOrder: false`) differentiates through the inner gradients
/// (`gradients(…, createGraph: true)`: Hessian-vector terms); first order treats them as constants
/// (g = ∇L_Q(θ_K), FOMAML). The inner loop's θ_K equals the fused `adapted(…)` up to float rounding.
public enum ControllerMAML {
    static func load(_ c: MemoryController, from vs: [Variable]) {
        for (t, v) in zip(c.layout.tensors, vs) {
            (c.parameters.baseAddress! + t.offset).update(from: v.value.pointer, count: t.count)
        }
    }

    /// The meta-gradient of L_Q(θ_K) at the parameters `controller.parameters` (unchanged), support x, y
    /// [supportCount, I], query x, y [queryCount, I], memory M_0 `memory` (unchanged). `trace`: memory constants to
    /// reuse (nil: record them along the way, at each θ_t). Throws `.invalidArgument` for bad sizes.
    public static func metaGradient(controller: MemoryController, memory: NeuralMemoryBank,
                                    supportX: UnsafePointer<Float>, supportY: UnsafePointer<Float>, supportCount: Int,
                                    queryX: UnsafePointer<Float>, queryY: UnsafePointer<Float>, queryCount: Int,
                                    steps: Int, learningRate: Float, firstOrder: Bool,
                                    trace frozen: ControllerMemoryTrace? = nil) throws(MnemonetError)
        -> ControllerMetaGradient {
        try controller.checkSet(count: supportCount, bank: memory, what: "the support set")
        try controller.checkSet(count: queryCount, bank: memory, what: "the query set")
        try require(steps >= 0 && steps <= 1000, "num_steps must be in 0...1000, got \(steps)")
        try require(learningRate.isFinite, "lr must be finite, got \(learningRate)")
        if let frozen {
            try require(frozen.support.count == steps && frozen.support.allSatisfy { $0.count == supportCount }
                        && frozen.query.count == queryCount, "the memory trace does not match the sets")
        }
        let layout = controller.layout
        let scratch = try controller.clone(capacity: 1)
        let theta = ComposedController.variables(controller.parameters.baseAddress!, layout: layout)
        var current = theta
        var trace = ControllerMemoryTrace(support: [], query: [])
        var supportLosses: [Double] = []
        for t in 0..<steps {
            let memories: [Tensor]
            if let frozen { memories = frozen.support[t] } else {
                load(scratch, from: current)
                memories = try scratch.memoryTrace(x: supportX, count: supportCount, memory: memory)
            }
            trace.support.append(memories)
            let inner = ComposedController.loss(x: supportX, y: supportY, count: supportCount, memories: memories,
                                                parameters: current, layout: layout)
            supportLosses.append(Double(inner.value.scalar))
            let g = gradients(of: inner, wrt: current, createGraph: !firstOrder)
            current = zip(current, g).map { p, gp in
                p - (firstOrder ? Variable(gp.value) : gp) * learningRate
            }
        }
        let qm: [Tensor]
        if let frozen { qm = frozen.query } else {
            load(scratch, from: current)
            qm = try scratch.memoryTrace(x: queryX, count: queryCount, memory: memory)
        }
        trace.query = qm
        let outer = ComposedController.loss(x: queryX, y: queryY, count: queryCount, memories: qm,
                                            parameters: current, layout: layout)
        let g = gradients(of: outer, wrt: theta)
        return ControllerMetaGradient(gradients: g.map { $0.value }, queryLoss: Double(outer.value.scalar),
                                      supportLosses: supportLosses, trace: trace)
    }
}
