import MnemonetBase

/// Which output units compete in the softmax of a row (van de Ven, van Tuyl & Tolias 2020, "three scenarios").
public enum HeadMode: Int32, Sendable {
    /// Task-incremental, multi-head: a row of task τ sees only τ's units.
    case perTask = 0
    /// Domain-incremental, one head shared by every task: every row sees every unit.
    case shared = 1
    /// Class-incremental, one growing head: after (or while) training task t, rows see the units of tasks 0…t (the
    /// "active units"). When evaluating task j after task t, the units of tasks 0…max(t, j) are active, so forward
    /// transfer is defined (R[t, j] for j > t and the random-init baseline b_j use the head that includes task j).
    case seenSoFar = 2
}

/// The output layer's units per task and the masks that follow from a `HeadMode`.
///
/// `mask(task: τ, stage: t)` is the set of units active for a row of task τ when the learner is at task t
/// (training task t, or evaluating after it). Precomputed: T × T masks of `outputCount` flags.
public final class OutputHeads {
    /// The scenario.
    public let mode: HeadMode
    /// C, the number of output units.
    public let outputCount: Int
    /// `units[τ]`: the output units of task τ's classes.
    public let units: [[Int]]
    let masks: UnsafeMutablePointer<UInt8>   // [T, T, C]: masks[(τ·T + t)·C + c]

    /// The number of tasks T.
    public var taskCount: Int { units.count }

    /// Heads over `outputCount` units; throws `.invalidArgument` for an empty task list, an empty task, or a unit
    /// outside `0..<outputCount`.
    public init(mode: HeadMode, outputCount: Int, units: [[Int]]) throws(MnemonetError) {
        try require(outputCount >= 1 && outputCount <= 65536, "output_count must be in 1...65536, got \(outputCount)")
        try require(!units.isEmpty, "at least one task is needed")
        try require(units.count * units.count * outputCount <= 1 << 28,
                    "\(units.count) tasks × \(outputCount) outputs need too many head masks (T²·C > 2^28)")
        for (k, u) in units.enumerated() {
            try require(!u.isEmpty, "task \(k) has no output units")
            for c in u { try require(c >= 0 && c < outputCount, "task \(k) uses unit \(c), outside 0..<\(outputCount)") }
        }
        self.mode = mode
        self.outputCount = outputCount
        self.units = units
        let t = units.count
        var m = [UInt8](repeating: 0, count: t * t * outputCount)
        for tau in 0..<t {
            for stage in 0..<t {
                let base = (tau * t + stage) * outputCount
                switch mode {
                case .perTask: for c in units[tau] { m[base + c] = 1 }
                case .shared: for c in 0..<outputCount { m[base + c] = 1 }
                case .seenSoFar: for k in 0...max(tau, stage) { for c in units[k] { m[base + c] = 1 } }
                }
            }
        }
        masks = .allocate(capacity: m.count)
        masks.initialize(from: m, count: m.count)
    }

    deinit { masks.deallocate() }

    /// The C flags of the units active for a row of task `task` at stage `stage` (both in 0..<T).
    @inline(__always)
    public func mask(task: Int, stage: Int) -> UnsafePointer<UInt8> {
        UnsafePointer(masks + (task * taskCount + stage) * outputCount)
    }

    /// Whether `label` is one of task `task`'s units.
    public func contains(task: Int, label: Int) -> Bool { units[task].contains(label) }
}
