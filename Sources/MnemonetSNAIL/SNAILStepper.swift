import MnemonetBase
import MnemonetEngine

/// The state of an incremental (one step at a time) SNAIL evaluation of B sequences: everything later steps read.
///
/// Because every stage concatenates its output to its input, the features of step t are one growing vector
/// h_t ∈ R^{C_L} whose first Cₗ entries are stage l's output; a dense block with dilation R reads the first C
/// entries of h_t and h_{t−R}, an attention block reads its keys and values of steps ≤ t. So the state is the
/// feature history and the key/value caches, and a step costs O(Σ widths² + t·(K + V)) instead of a full forward.
public struct SNAILStepState {
    /// h [B, T_max, C_L]: the feature vectors of the steps taken so far (rows ≥ `time` unused).
    public var features: Tensor
    /// Per attention stage (in stage order): keys [B, T_max, K] and values [B, T_max, V] of the steps taken.
    public var keys: [Tensor], values: [Tensor]
    /// The number of steps taken.
    public var time: Int
}

/// Incremental no-grad evaluation of a ``SNAIL``: `step(x_t, state) → (y_t, state)`; equal (to rounding) to
/// `model(x)[:, t]` computed on the whole sequence (`SNAILStepperTests`). Used to roll out bandit policies, where
/// the input of step t+1 depends on the action sampled from the output of step t.
///
/// It snapshots the weights when made: make a new stepper after the parameters change.
public struct SNAILStepper {
    /// One stage's weights, flattened for BLAS.
    enum Stage {
        /// A dense block: stacked taps weight [2D, 2C] (columns: past tap channels, then current), bias [2D].
        case dense(inChannels: Int, filters: Int, dilation: Int, weight: Tensor, bias: Tensor)
        /// An attention block: [W_q; W_k; W_v] [2K + V, C] and biases [2K + V]; `cache` indexes keys/values.
        case attention(inChannels: Int, keySize: Int, valueSize: Int, weight: Tensor, bias: Tensor, cache: Int)
    }
    let stages: [Stage]
    let outWeight: Tensor, outBias: Tensor
    /// The embedding's layers (W_j [E_j, E_{j−1}], b_j, ReLU after?) and F, its input columns; empty without one.
    let embedding: [(weight: Tensor, bias: Tensor, relu: Bool)]
    let embeddingInputs: Int
    /// I, O and C_L.
    public let inputSize: Int, outputSize: Int, featureWidth: Int

    /// A stepper over the current weights of `model`.
    public init(_ model: SNAIL) {
        var stages: [Stage] = []
        var cache = 0
        GradMode.withoutGrad {
            for block in model.blocks {
                if let tc = block as? TCBlock {
                    for d in tc.denseBlocks {
                        stages.append(.dense(inChannels: d.inChannels, filters: d.filters, dilation: d.dilation,
                                             weight: d.stackedWeight().value.copy(),
                                             bias: concat([d.filterBias, d.gateBias], axis: 0).value.copy()))
                    }
                } else if let a = block as? AttentionBlock {
                    let w = concat([a.query.weight, a.key.weight, a.value.weight], axis: 0).value.copy()
                    let b = concat([a.query.bias!, a.key.bias!, a.value.bias!], axis: 0).value.copy()
                    stages.append(.attention(inChannels: a.inChannels, keySize: a.keySize, valueSize: a.valueSize,
                                             weight: w, bias: b, cache: cache))
                    cache += 1
                }
            }
        }
        self.stages = stages
        embedding = (model.embedding?.layers ?? []).enumerated().map { j, l in
            (l.weight.value.copy(), l.bias!.value.copy(), model.embedding!.activation(after: j) == .relu)
        }
        embeddingInputs = model.embedding?.spec.inputs ?? 0
        outWeight = model.output.weight.value.copy()
        outBias = model.output.bias!.value.copy()
        inputSize = model.inputSize
        outputSize = model.outputSize
        featureWidth = model.featureWidth
    }

    /// An empty state for `batch` sequences of at most `maxLength` steps.
    public func initialState(batch: Int, maxLength: Int) -> SNAILStepState {
        var keys: [Tensor] = [], values: [Tensor] = []
        for case .attention(_, let k, let v, _, _, _) in stages {
            keys.append(Tensor(shape: [batch, maxLength, k]))
            values.append(Tensor(shape: [batch, maxLength, v]))
        }
        return SNAILStepState(features: Tensor(shape: [batch, maxLength, featureWidth]), keys: keys, values: values, time: 0)
    }

    /// y_t [B, O] for x_t [B·I] (row-major [B, I]); appends step t to `state`.
    public func step(_ x: UnsafePointer<Float>, _ state: inout SNAILStepState, output y: UnsafeMutablePointer<Float>) {
        let (b, tMax, cl) = (state.features.shape[0], state.features.shape[1], featureWidth)
        let t = state.time
        precondition(t < tMax, "SNAILStepper: step \(t) beyond the state's \(tMax) steps")
        let feat = state.features.pointer
        let rowStride = tMax * cl
        @inline(__always) func row(_ i: Int, _ s: Int) -> UnsafeMutablePointer<Float> { feat + i * rowStride + s * cl }
        if embedding.isEmpty {
            for i in 0..<b { row(i, t).update(from: x + i * inputSize, count: inputSize) }
        } else {
            embed(x, batch: b, into: row(0, t), stride: rowStride)
        }
        for stage in stages {
            switch stage {
            case .dense(let c, let d, let r, let w, let bias):
                let taps = UnsafeMutablePointer<Float>.allocate(capacity: b * 2 * c)
                let pre = UnsafeMutablePointer<Float>.allocate(capacity: b * 2 * d)
                defer { taps.deallocate(); pre.deallocate() }
                for i in 0..<b {
                    if t >= r { (taps + i * 2 * c).update(from: row(i, t - r), count: c) } else {
                        (taps + i * 2 * c).update(repeating: 0, count: c)
                    }
                    (taps + i * 2 * c + c).update(from: row(i, t), count: c)
                    (pre + i * 2 * d).update(from: bias.pointer, count: 2 * d)
                }
                BLAS.gemm(transB: true, m: b, n: 2 * d, k: 2 * c, taps, lda: 2 * c, w.pointer, ldb: 2 * c, beta: 1,
                          pre, ldc: 2 * d)
                for i in 0..<b {
                    let p = pre + i * 2 * d, dst = row(i, t) + c
                    VectorMath.tanh(p, p, count: d)
                    VectorMath.sigmoid(p + d, p + d, count: d)
                    for j in 0..<d { dst[j] = p[j] * p[d + j] }
                }
            case .attention(let c, let k, let v, let w, let bias, let cache):
                let n = 2 * k + v
                let qkv = UnsafeMutablePointer<Float>.allocate(capacity: b * n)
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: t + 1)
                defer { qkv.deallocate(); scores.deallocate() }
                for i in 0..<b { (qkv + i * n).update(from: bias.pointer, count: n) }
                BLAS.gemm(transB: true, m: b, n: n, k: c, row(0, t), lda: rowStride, w.pointer, ldb: c, beta: 1,
                          qkv, ldc: n)
                let keys = state.keys[cache].pointer, vals = state.values[cache].pointer
                let scale = 1 / Float(k).squareRoot()
                for i in 0..<b {
                    let q = qkv + i * n
                    (keys + (i * tMax + t) * k).update(from: q + k, count: k)
                    (vals + (i * tMax + t) * v).update(from: q + 2 * k, count: v)
                    var m = -Float.infinity
                    for j in 0...t {
                        scores[j] = VectorMath.dot(q, keys + (i * tMax + j) * k, count: k) * scale
                        m = max(m, scores[j])
                    }
                    VectorMath.map(scores, scores, count: t + 1) { VectorMath.exp($0 - m) }
                    let z = VectorMath.sum(scores, count: t + 1)
                    let dst = row(i, t) + c
                    dst.update(repeating: 0, count: v)
                    for j in 0...t { VectorMath.axpy(scores[j] / z, vals + (i * tMax + j) * v, dst, count: v) }
                }
            }
        }
        for i in 0..<b { (y + i * outputSize).update(from: outBias.pointer, count: outputSize) }
        BLAS.gemm(transB: true, m: b, n: outputSize, k: cl, row(0, t), lda: rowStride, outWeight.pointer, ldb: cl,
                  beta: 1, y, ldc: outputSize)
        state.time = t + 1
    }

    /// h⁰_t = [MLP(x_t[:, :F]), x_t[:, F:]] for x_t [B, I], written to `h` (row i at h + i·stride).
    func embed(_ x: UnsafePointer<Float>, batch b: Int, into h: UnsafeMutablePointer<Float>, stride: Int) {
        let widest = max(embedding.map { $0.bias.count }.max()!, embeddingInputs)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: b * widest), z = UnsafeMutablePointer<Float>.allocate(capacity: b * widest)
        defer { a.deallocate(); z.deallocate() }
        for i in 0..<b { (a + i * embeddingInputs).update(from: x + i * inputSize, count: embeddingInputs) }
        var width = embeddingInputs
        for layer in embedding {
            let n = layer.bias.count
            for i in 0..<b { (z + i * n).update(from: layer.bias.pointer, count: n) }
            BLAS.gemm(transB: true, m: b, n: n, k: width, a, lda: width, layer.weight.pointer, ldb: width, beta: 1, z, ldc: n)
            for r in 0..<(b * n) { a[r] = layer.relu ? max(z[r], 0) : z[r] }
            width = n
        }
        let rest = inputSize - embeddingInputs
        for i in 0..<b {
            (h + i * stride).update(from: a + i * width, count: width)
            (h + i * stride + width).update(from: x + i * inputSize + embeddingInputs, count: rest)
        }
    }
}
