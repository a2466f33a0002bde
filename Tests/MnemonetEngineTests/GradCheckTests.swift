import Glibc
import MnemonetEngine
import Testing
import MnemonetTestSupport

/// First- and second-order finite-difference checks for every differentiable op.
@Suite struct GradCheckTests {
    let check = GradCheck()

    func expectGrad(_ name: String, _ inputs: [Tensor], secondOrder: Bool = true, _ f: @escaping ([Variable]) -> Variable,
                    sourceLocation: SourceLocation = #_sourceLocation) {
        let w = check.worst(inputs: inputs, secondOrder: secondOrder, f)
        #expect(w <= 1, "\(name): worst error ratio \(w)", sourceLocation: sourceLocation)
    }

    /// The checker is not vacuous: a pullback with a wrong sign, or a missing term, fails it.
    @Test func checkerCatchesWrongPullbacks() {
        let x = rand([3, 4])
        let wrongSign = check.worst(inputs: [x], secondOrder: false) { v in
            let a = v[0]
            return Variable.make(a.tanh().value, [a]) { g, y in accumulate(into: a, g * (y * y - 1)) }
        }
        #expect(wrongSign > 10, "wrong sign ratio \(wrongSign)")
        let y = rand([3, 4], seed: 9)
        let missingTerm = check.worst(inputs: [x, y], secondOrder: false) { v in
            let (a, b) = (v[0], v[1])  // d(a·b + a)/da = b + 1: drop the "+ 1"
            return Variable.make((a * b + a).value, [a, b]) { g, _ in
                accumulate(into: a, g * b)
                accumulate(into: b, g * a)
            }
        }
        #expect(missingTerm > 10, "missing term ratio \(missingTerm)")
        // A wrong second derivative (tanh' computed as 1 − y, correct at first order only where y ≈ y²… it is not):
        let wrongSecond = check.worst(inputs: [x]) { v in
            let a = v[0]
            return Variable.make(a.tanh().value, [a]) { g, y in
                accumulate(into: a, g * Variable((1 - y * y).value))  // first order right, second order dropped
            }
        }
        #expect(wrongSecond > 10, "dropped second-order term ratio \(wrongSecond)")
    }

    @Test func broadcastingArithmetic() {
        let a = rand([3, 4]), b = rand([4], seed: 3), c = rand([3, 1], 0.5, 1.5, seed: 4), s = rand([], seed: 5)
        expectGrad("add", [a, b]) { $0[0] + $0[1] }
        expectGrad("sub", [a, c]) { $0[0] - $0[1] }
        expectGrad("mul", [a, b]) { $0[0] * $0[1] }
        expectGrad("mul 3x1 × 1x4", [c, rand([1, 4], seed: 6)]) { $0[0] * $0[1] }
        expectGrad("div", [a, c]) { $0[0] / $0[1] }
        expectGrad("div scalar tensor", [a, Tensor(shape: [], values: [1.3])]) { $0[0] / $0[1] }
        expectGrad("rank-0 mul", [s, a]) { $0[0] * $0[1] }
        expectGrad("neg and scalars", [a]) { v in 2 - (-v[0] * 3 + 1) / 2 }
        expectGrad("scalar over", [c]) { 1.5 / $0[0] }
        expectGrad("expand / sumToShape", [b]) { $0[0].expand(to: [2, 3, 4]).sumToShape([3, 4]) }
    }

    @Test func unaryFunctions() {
        let x = rand([5, 7], -2, 2)
        let pos = rand([5, 7], 0.3, 2, seed: 8)
        expectGrad("exp", [x]) { $0[0].exp() }
        expectGrad("log", [pos]) { $0[0].log() }
        expectGrad("sqrt", [pos]) { $0[0].sqrt() }
        expectGrad("tanh", [x]) { $0[0].tanh() }
        expectGrad("sigmoid", [x]) { $0[0].sigmoid() }
        expectGrad("softplus", [x]) { $0[0].softplus() }
        expectGrad("softplus beyond threshold", [Tensor(shape: [4], values: [21, 25, -3, 0.5])]) { $0[0].softplus() }
        expectGrad("relu", [randAwayFromZero([5, 7])]) { $0[0].relu() }
        expectGrad("squared", [x]) { $0[0].squared() }
        expectGrad("clamped", [randAwayFromZero([5, 7])]) { $0[0].clamped(min: -0.1, max: 0.1) + $0[0] * 0.5 }
        expectGrad("safeReciprocal", [pos]) { $0[0].safeReciprocal() }
        let mask = Tensor(shape: [7], values: [1, 0, 0, 1, 0, 1, 0])
        expectGrad("maskedFill", [x]) { $0[0].maskedFill(mask, with: -3) * $0[0] }
    }

    @Test func matrixProducts() {
        let a = rand([3, 4]), b = rand([4, 5], seed: 2), at = rand([4, 3], seed: 3), bt = rand([5, 4], seed: 4)
        expectGrad("matmul", [a, b]) { matmul($0[0], $0[1]) }
        expectGrad("matmul Aᵀ", [at, b]) { matmul($0[0], $0[1], transposeA: true) }
        expectGrad("matmul Bᵀ", [a, bt]) { matmul($0[0], $0[1], transposeB: true) }
        expectGrad("matmul AᵀBᵀ", [at, bt]) { matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        expectGrad("batched matmul", [rand([2, 3, 4]), rand([2, 4, 2], seed: 5)]) { matmul($0[0], $0[1]) }
        expectGrad("batched × shared matrix", [rand([2, 3, 4]), rand([5, 4], seed: 7)]) { matmul($0[0], $0[1], transposeB: true) }
        expectGrad("nonlinear chain", [a, b]) { matmul($0[0], $0[1]).tanh() * matmul($0[0], $0[1]) }
        expectGrad("outer", [rand([3]), rand([5], seed: 6)]) { outer($0[0], $0[1]) }
    }

    @Test func reductionsAndSoftmax() {
        let x = rand([3, 4, 5], -2, 2)
        expectGrad("sum", [x]) { ($0[0] * $0[0]).sum() }
        expectGrad("sum axes", [x]) { ($0[0] * $0[0]).sum(axes: [0, 2]) }
        expectGrad("sum keepDims", [x]) { $0[0].sum(axis: 1, keepDims: true) * $0[0] }
        expectGrad("mean", [x]) { $0[0].mean(axis: -1) * $0[0].mean() }
        expectGrad("softmax", [x]) { $0[0].softmax() }
        expectGrad("logSoftmax", [x]) { $0[0].logSoftmax() }
        expectGrad("norm", [x]) { $0[0].norm(axis: 1) }
        expectGrad("normalized", [x]) { $0[0].normalized(axis: -1) }
        expectGrad("normalized axis 0", [rand([4, 3])]) { $0[0].normalized(axis: 0) }
    }

    @Test func shapeOps() {
        let x = rand([2, 3, 4])
        expectGrad("reshape", [x]) { $0[0].reshaped([6, -1]).tanh() }
        expectGrad("permute", [x]) { $0[0].permuted([2, 0, 1]) * $0[0].permuted([2, 0, 1]) }
        expectGrad("transpose", [rand([3, 5])]) { $0[0].transposed().exp() }
        expectGrad("slice", [x]) { $0[0].slice(axis: 1, start: 1, length: 2).squared() }
        expectGrad("padded", [x]) { $0[0].padded(axis: 2, before: 1, after: 2).sigmoid() }
        expectGrad("concat", [x, rand([2, 1, 4], seed: 3)]) { concat([$0[0], $0[1], $0[0]], axis: 1).squared() }
        expectGrad("split", [x]) { v in
            let parts = v[0].split(axis: 2, sizes: [1, 3])
            return parts[0] * parts[1].sum(axis: -1, keepDims: true)
        }
    }

    @Test func indexingOps() {
        let x = rand([3, 5], 0.2, 1.5)
        let idx = [4, 0, 0, 2, 1, 3, 3, 3, 0, 1, 2, 4]  // [3, 4]
        expectGrad("gather", [x]) { $0[0].gather(indices: idx, count: 4).squared() }
        expectGrad("scatterAdd", [rand([3, 4])]) { $0[0].scatterAdd(indices: idx, size: 5).exp() }
        let distinct = Tensor(shape: [2, 5], values: [0.3, -0.9, 0.7, 0.1, -0.4, 0.9, 0.5, -0.2, -0.6, 0.0])
        expectGrad("sorted", [distinct]) { $0[0].sorted().values.squared() }
        expectGrad("sorted descending", [distinct]) { $0[0].sorted(descending: true).values.cumsum() }
        expectGrad("cumsum", [x]) { $0[0].cumsum().squared() + $0[0].cumsum(reverse: true) }
        expectGrad("cumprod", [x]) { $0[0].cumprod() }
        expectGrad("cumprod exclusive", [x]) { $0[0].cumprod(exclusive: true) }
        // A zero input takes the exact O(n²) path (first order only).
        let withZero = Tensor(shape: [2, 4], values: [0.5, 0, 1.2, 0.8, 0.9, 1.1, 0.7, 1.3])
        expectGrad("cumprod with a zero", [withZero], secondOrder: false) { $0[0].cumprod() }
        expectGrad("cumprod exclusive with a zero", [withZero], secondOrder: false) { $0[0].cumprod(exclusive: true) }
    }

    @Test func sortAndCumprodValues() {
        let x = Variable(Tensor(shape: [1, 4], values: [0.5, 0.1, 0.9, 0.3]))
        let s = x.sorted()
        #expect(s.values.value.array == [0.1, 0.3, 0.5, 0.9] && s.indices == [1, 3, 0, 2])
        let expected: [Float] = [1, 0.5, 0.5 * 0.1, 0.5 * 0.1 * 0.9]
        #expect(maxAbsDiff(x.cumprod(exclusive: true).value, Tensor(shape: [1, 4], values: expected)) < 1e-7)
    }

    @Test func functionalLayersAndLosses() {
        let x = rand([4, 3]), w = rand([5, 3], seed: 2), b = rand([5], seed: 3)
        for act in [Activation.identity, .tanh, .sigmoid] {
            expectGrad("linear \(act)", [x, w, b]) { linear($0[0], $0[1], $0[2], activation: act) }
        }
        // Pre-activations ≥ 0.25 away from the kink: positive inputs, rows of W with one sign each.
        let xPos = rand([4, 3], 0.2, 1, seed: 12)
        let wSigned = Tensor(shape: [5, 3], values: rand([5, 3], 0.5, 1, seed: 13).array.enumerated().map { $0.offset < 9 ? $0.element : -$0.element })
        expectGrad("linear relu", [xPos, wSigned, Tensor(shape: [5], repeating: 0.05)]) {
            linear($0[0], $0[1], $0[2], activation: .relu)
        }
        expectGrad("linear no bias, vector input", [rand([3]), w]) { linear($0[0], $0[1], nil) }
        let ps = [rand([4, 1], seed: 4), rand([4], seed: 5), rand([4, 4], seed: 6), rand([4], seed: 7),
                  rand([1, 4], seed: 8), rand([1], seed: 9)]
        expectGrad("mlp tanh", [rand([6, 1])] + ps) { v in mlp(v[0], parameters: Array(v[1...]), activation: .tanh) }
        expectGrad("mse", [x, rand([4, 3], seed: 10)]) { mseLoss($0[0], $0[1]) }
        expectGrad("cross-entropy", [rand([4, 3], -2, 2)]) { crossEntropyLoss($0[0], targets: [2, 0, 1, 1]) }
    }

    /// Fused linear + activation equals the composed ops (values and gradients).
    @Test func fusedLinearMatchesComposed() {
        for act in [Activation.identity, .relu, .tanh, .sigmoid] {
            let x = Variable(rand([4, 3]), requiresGrad: true), w = Variable(rand([5, 3], seed: 2), requiresGrad: true)
            let b = Variable(rand([5], seed: 3), requiresGrad: true)
            let fused = linear(x, w, b, activation: act)
            let composed = act.apply(matmul(x, w, transposeB: true) + b)
            #expect(maxAbsDiff(fused.value, composed.value) < 1e-6)
            let r = Variable(rand([4, 5], seed: 4))
            let g1 = gradients(of: (fused * r).sum(), wrt: [x, w, b])
            let g2 = gradients(of: (composed * r).sum(), wrt: [x, w, b])
            for (p, q) in zip(g1, g2) { #expect(maxAbsDiff(p.value, q.value) < 1e-5) }
        }
    }

    /// Second order through an SGD step: F(θ) = L(θ − α∇L(θ)) (MAML's objective) against finite differences.
    @Test func secondOrderThroughAnSGDStep() {
        let x = rand([10, 1], -2, 2, seed: 11), yTarget = Variable(rand([10, 1], seed: 12))
        let xq = Variable(rand([10, 1], -2, 2, seed: 13)), yq = Variable(rand([10, 1], seed: 14))
        let params = [rand([8, 1], seed: 4), rand([8], seed: 5), rand([1, 8], seed: 6), rand([1], seed: 7)]
        let meta: ([Variable]) -> Variable = { ps in
            let inner = mseLoss(mlp(Variable(x), parameters: ps, activation: .tanh), yTarget)
            let gs = gradients(of: inner, wrt: ps, createGraph: true)
            let adapted = zip(ps, gs).map { $0 - $1 * 0.3 }
            return mseLoss(mlp(xq, parameters: adapted, activation: .tanh), yq)
        }
        expectGrad("MAML objective", params, secondOrder: false, meta)
        // And first-order MAML differs from it (the second-order term is not negligible here).
        let ps = params.map { Variable($0, requiresGrad: true) }
        let full = gradients(of: meta(ps), wrt: ps)
        let inner = mseLoss(mlp(Variable(x), parameters: ps, activation: .tanh), yTarget)
        let gs = gradients(of: inner, wrt: ps)
        let adapted = zip(ps, gs).map { ($0 - $1 * 0.3) }
        let fo = gradients(of: mseLoss(mlp(xq, parameters: adapted, activation: .tanh), yq), wrt: ps)
        #expect(maxAbsDiff(full[0].value, fo[0].value) > 1e-4)
    }

    /// Grad mode is per thread: disabling it on one thread does not affect another.
    @Test func gradModeIsThreadLocal() {
        final class Box: @unchecked Sendable { var seenOnOtherThread = true; var recordedOnOtherThread = true }
        let box = Box()
        let w = Variable(rand([3]), requiresGrad: true)
        GradMode.withoutGrad {
            var thread = pthread_t()
            let unmanaged = Unmanaged.passRetained(ThreadBody {
                box.seenOnOtherThread = GradMode.isEnabled
                box.recordedOnOtherThread = (w * w).requiresGrad
            })
            pthread_create(&thread, nil, { arg in
                let body = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
                body.run()
                return nil
            }, unmanaged.toOpaque())
            pthread_join(thread, nil)
            #expect(!GradMode.isEnabled && !(w * w).requiresGrad)
        }
        #expect(box.seenOnOtherThread && box.recordedOnOtherThread)
        #expect(GradMode.isEnabled)
    }

    @Test func backwardAccumulatesIntoLeaves() {
        let w = Variable(rand([3]), requiresGrad: true)
        let c = Variable(rand([3], seed: 2))
        (w * c).sum().backward()
        #expect(maxAbsDiff(w.value.grad!, c.value) == 0)
        (w * c).sum().backward()
        #expect(maxAbsDiff(w.value.grad!, Tensor(shape: [3], values: c.value.array.map { 2 * $0 })) < 1e-6)
        #expect(c.value.grad == nil)
    }

    @Test func noGraphWithoutGrad() {
        let w = Variable(rand([3]), requiresGrad: true)
        let y = GradMode.withoutGrad { (w * w).sum() }
        #expect(!y.requiresGrad && y.isLeaf)
        #expect(GradMode.isEnabled)
        let z = (w * w).sum()
        let g = gradients(of: z, wrt: [w])[0]
        #expect(!g.requiresGrad)
        let g2 = gradients(of: (w * w).sum(), wrt: [w], createGraph: true)[0]
        #expect(g2.requiresGrad)
        // Unused targets get zeros.
        let unused = Variable(rand([2]), requiresGrad: true)
        #expect(gradients(of: z, wrt: [unused])[0].value.array == [0, 0])
    }
}

final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a[flat: i] - b[flat: i])) }
    return m
}
