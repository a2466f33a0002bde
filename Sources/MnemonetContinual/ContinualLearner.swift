import MnemonetBase
import MnemonetEngine
import MnemonetMeta

/// The accuracy matrix of a run: `accuracy[i·T + j]` = R[i, j], test accuracy on task j after training task i
/// (Lopez-Paz & Ranzato 2017), and `baseline[j]` = b_j, the accuracy of the randomly initialised model on task j
/// (for forward transfer).
public struct ContinualResult: Sendable {
    /// T.
    public let taskCount: Int
    /// R [T, T], row-major.
    public let accuracy: [Double]
    /// b [T].
    public let baseline: [Double]
    /// For a strategy with an external memory: M [N, W] after each task (T row-major copies); empty otherwise.
    public var memory: [[Float]] = []

    /// A result from its parts.
    public init(taskCount: Int, accuracy: [Double], baseline: [Double], memory: [[Float]] = []) {
        self.taskCount = taskCount
        self.accuracy = accuracy
        self.baseline = baseline
        self.memory = memory
    }
}

/// The shared training loop (template) of every continual-learning strategy: an MLP classifier f_θ (ReLU hidden
/// layers, masked softmax cross-entropy over the active units of `heads`) trained by SGD task after task, with the
/// strategy's hooks (``ContinualPlugin``) called at fixed points. θ is one flat vector in ``MLP``'s (PyTorch
/// `nn.Sequential`) layout, so strategies act on it as a vector (penalties, projections, Reptile interpolation).
///
/// Not thread-safe.
public final class ContinualLearner {
    /// f_θ: inputDim → hiddenSizes → heads.outputCount.
    public let mlp: MLP
    /// The output units of every task and the scenario's masks.
    public let heads: OutputHeads
    /// The hyperparameters.
    public let config: ContinualConfig
    /// The strategy's hooks, called in order.
    public let plugins: [ContinualPlugin]
    /// θ [P].
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// ∇_θ L of the last step [P].
    public let gradient: UnsafeMutableBufferPointer<Float>
    /// ∂L/∂z of the last forward [rows, C].
    public private(set) var dLogits: UnsafeMutablePointer<Float>
    /// ℓ_r of the last forward [rows].
    public private(set) var rowLosses: UnsafeMutablePointer<Float>
    /// z of the last forward [rows, C] (owned by the workspace; valid until the next forward).
    public private(set) var logits: UnsafePointer<Float>
    /// The task being trained (or the last one trained).
    public var stage = 0
    /// The training rows of every task of the current run.
    public internal(set) var trainSets: [ContinualDataset] = []
    /// Draws shuffles (and seeds the plugins' buffers).
    public var rng: Xoshiro256
    let workspace: MLPWorkspace
    var rowCapacity = 0
    let batch: MiniBatch

    /// A learner with fresh weights (PyTorch's default initialisation, from `config.seed`).
    public init(inputDim: Int, heads: OutputHeads, config: ContinualConfig, plugins: [ContinualPlugin]) throws(MnemonetError) {
        try config.validate(inputDim: inputDim)
        mlp = try MLP(layerSizes: [inputDim] + config.hiddenSizes + [heads.outputCount], activation: .relu)
        self.heads = heads
        self.config = config
        self.plugins = plugins
        rng = Xoshiro256(seed: config.seed)
        let theta = mlp.initialParameters(seed: rng.next())
        parameters = .allocate(capacity: mlp.parameterCount)
        _ = parameters.initialize(from: theta)
        gradient = .allocate(capacity: mlp.parameterCount)
        gradient.initialize(repeating: 0)
        workspace = MLPWorkspace(mlp)
        dLogits = .allocate(capacity: 1)
        rowLosses = .allocate(capacity: 1)
        logits = UnsafePointer(dLogits)
        batch = MiniBatch(capacity: config.batchSize + config.replayBatch, inputDim: inputDim)
    }

    deinit {
        parameters.deallocate()
        gradient.deallocate()
        dLogits.deallocate()
        rowLosses.deallocate()
    }

    /// P, the number of parameters.
    public var parameterCount: Int { mlp.parameterCount }

    private func reserveRows(_ n: Int) {
        if n <= rowCapacity { return }
        dLogits.deallocate()
        rowLosses.deallocate()
        rowCapacity = max(n, 2 * rowCapacity)
        dLogits = .allocate(capacity: rowCapacity * heads.outputCount)
        rowLosses = .allocate(capacity: rowCapacity)
    }

    /// z = f_θ(x) for `rows` rows of x; returns z [rows, C] (valid until the next forward of this learner).
    @discardableResult
    public func forward(theta: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        logits = workspace.forward(theta, x, rows)
        return logits
    }

    /// The masked cross-entropy L at θ = `theta` on `rows` rows (x, labels, tasks, weights; masks at `stage`) and its
    /// gradient, written into `grad` [P]. `hook`, if given, runs between the forward and the backward pass (it may
    /// add to `dLogits` and returns the loss it adds). Leaves z, ∂L/∂z and ℓ_r in `logits`, `dLogits`, `rowLosses`.
    public func lossAndGradient(
        theta: UnsafePointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, tasks: UnsafePointer<Int32>,
        weights: UnsafePointer<Float>?, rows: Int, stage: Int, grad: UnsafeMutablePointer<Float>,
        hook: (() throws(MnemonetError) -> Float)? = nil
    ) throws(MnemonetError) -> Float {
        reserveRows(rows)
        let z = forward(theta: theta, x: x, rows: rows)
        let h = heads
        var loss = maskedSoftmaxCrossEntropy(
            logits: z, rows: rows, classes: h.outputCount, labels: labels,
            masks: { h.mask(task: Int(tasks[$0]), stage: stage) }, weights: weights, dLogits: dLogits,
            rowLosses: rowLosses)
        if let hook { loss += try hook() }
        workspace.backward(theta, outputGradient: dLogits, grad)
        return loss
    }

    /// One step of the template on `batch` (see ``ContinualPlugin``); returns the total loss (NaN when a plugin
    /// owned the update).
    @discardableResult
    public func step(_ batch: MiniBatch) throws(MnemonetError) -> Float {
        for p in plugins { try p.extendBatch(self, batch: batch) }
        for p in plugins {
            if try p.update(self, batch: batch) {
                for q in plugins { try q.afterUpdate(self, batch: batch) }
                return .nan
            }
        }
        var loss = try lossAndGradient(
            theta: parameters.baseAddress!, x: batch.x, labels: batch.labels, tasks: batch.tasks,
            weights: batch.weights, rows: batch.count, stage: stage, grad: gradient.baseAddress!,
            hook: { () throws(MnemonetError) -> Float in
                var extra: Float = 0
                for p in self.plugins { extra += try p.outputGradient(self, batch: batch) }
                return extra
            })
        for p in plugins { loss += try p.parameterGradient(self, batch: batch) }
        sgdStep(parameters.baseAddress!, gradient.baseAddress!, rate: config.learningRate)
        for p in plugins { try p.afterUpdate(self, batch: batch) }
        return loss
    }

    /// θ ← θ − η g.
    @inline(__always)
    public func sgdStep(_ theta: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, rate: Float) {
        for i in 0..<parameterCount { theta[i] -= rate * g[i] }
    }

    /// Trains task `task` on its rows (or a plugin's `trainingSet`): `config.epochs` shuffled passes in minibatches.
    public func train(task: Int, data: ContinualDataset) throws(MnemonetError) {
        stage = task
        for p in plugins { try p.beforeTask(self, task: task) }
        var set = data
        for p in plugins { if let s = p.trainingSet(self, task: task) { set = s } }
        let n = set.count
        var order = Array(0..<n)
        for _ in 0..<config.epochs {
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
            var start = 0
            while start < n {
                let end = min(n, start + config.batchSize)
                batch.clear()
                for k in start..<end { batch.append(set, row: order[k]) }
                batch.currentCount = batch.count
                try step(batch)
                start = end
            }
        }
        for p in plugins { try p.afterTask(self, task: task, data: data) }
    }

    /// The logits [rows, C] of `rows` rows of `x`: from the plugin that brings its own model, else from f_θ.
    public func predictLogits(x: UnsafePointer<Float>, rows n: Int) -> [Float] {
        let c = heads.outputCount
        var out = [Float](repeating: 0, count: n * c)
        for p in plugins where out.withUnsafeMutableBufferPointer({ p.predict(self, x: x, rows: n, logits: $0.baseAddress!) }) {
            return out
        }
        let z = forward(theta: parameters.baseAddress!, x: x, rows: n)
        out.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: z, count: n * c) }
        return out
    }

    /// Accuracy on `data` at `stage` (the masked argmax of the logits equals the label).
    public func accuracy(_ data: ContinualDataset, stage: Int) -> Double {
        let n = data.count
        if n == 0 { return 0 }
        let c = heads.outputCount
        let z = data.x.withUnsafeBufferPointer { predictLogits(x: $0.baseAddress!, rows: n) }
        var correct = 0
        z.withUnsafeBufferPointer { zb in
            for r in 0..<n {
                let m = heads.mask(task: Int(data.tasks[r]), stage: stage)
                if maskedArgmax(zb.baseAddress! + r * c, classes: c, mask: m) == Int(data.labels[r]) { correct += 1 }
            }
        }
        return Double(correct) / Double(n)
    }

    /// Trains the tasks in order and returns R and the random-init baseline b. `train[t]` and `test[t]` are task
    /// t's rows (every row's task must be t and its label one of the task's units); `progress(t)` is called after
    /// each task.
    public func run(train: [ContinualDataset], test: [ContinualDataset],
                    progress: ((Int) -> Void)? = nil) throws(MnemonetError) -> ContinualResult {
        let t = heads.taskCount
        try require(train.count == t && test.count == t,
                    "expected \(t) train and test sets (one per task), got \(train.count) and \(test.count)")
        for (k, d) in (train + test).enumerated() {
            let task = k % t, kind = k < t ? "train" : "test"
            try require(d.inputDim == mlp.inputSize, "\(kind) set of task \(task) has input width \(d.inputDim), expected \(mlp.inputSize)")
            try require(d.count > 0, "\(kind) set of task \(task) is empty")
            for r in 0..<d.count {
                try require(Int(d.tasks[r]) == task, "\(kind) row \(r) of task \(task) is labelled task \(d.tasks[r])")
                try require(heads.contains(task: task, label: Int(d.labels[r])),
                            "\(kind) row \(r) of task \(task) has label \(d.labels[r]), not one of the task's units \(heads.units[task])")
            }
        }
        trainSets = train
        let baseline = (0..<t).map { accuracy(test[$0], stage: $0) }
        var r = [Double](repeating: 0, count: t * t)
        var memory: [[Float]] = []
        for i in 0..<t {
            try self.train(task: i, data: train[i])
            for j in 0..<t { r[i * t + j] = accuracy(test[j], stage: i) }
            if let m = plugins.lazy.compactMap({ $0.memoryMatrix() }).first { memory.append(m) }
            progress?(i)
        }
        return ContinualResult(taskCount: t, accuracy: r, baseline: baseline, memory: memory)
    }
}
