import MnemonetBase
import MnemonetEngine
import MnemonetMemory
import Testing
import MnemonetTestSupport

typealias A = DNCAddressing

/// Finite-difference gradient checks of every addressing function (each equation separately).
struct DNCAddressingGradientTests {
    let b = 2, n = 5, w = 3, r = 2, hw = 2

    @Test func contentWeights() {
        let worst = finiteDifferenceWorst([uniform([b, n, w], seed: 1), uniform([b, hw, w], seed: 2),
                                           uniform([b, hw], 1, 3, seed: 3)]) {
            A.contentWeights(memory: $0[0], keys: $0[1], strengths: $0[2])
        }
        #expect(worst <= 1)
    }

    @Test func oneplusAndUsage() {
        #expect(finiteDifferenceWorst([uniform([b, 4], -3, 3)]) { A.oneplus($0[0]) } <= 1)
        let worst = finiteDifferenceWorst([uniform([b, n], 0, 1, seed: 4), weighting([b, hw, n], seed: 5),
                                           uniform([b, r], 0, 1, seed: 6), weighting([b, r, n], seed: 7)]) {
            A.usage(previous: $0[0], writeWeights: $0[1], freeGates: $0[2], readWeights: $0[3])
        }
        #expect(worst <= 1)
    }

    /// Usages spread apart (gaps ≫ h) so the sort order does not change within the finite-difference stencil.
    static func spreadUsage(_ b: Int, _ n: Int) -> Tensor {
        let order: [Float] = [0.55, 0.15, 0.85, 0.35, 0.7, 0.25, 0.45]
        return Tensor(shape: [b, n], values: (0..<(b * n)).map { order[($0 * 3 + $0 / n) % order.count] })
    }

    @Test func allocation() {
        let worst = finiteDifferenceWorst([Self.spreadUsage(b, n)], h: 2e-3) { A.allocation(usage: $0[0]) }
        #expect(worst <= 1)
        let two = finiteDifferenceWorst([Self.spreadUsage(b, n), uniform([b, hw], 0.2, 0.9, seed: 8)], h: 2e-3) {
            A.writeAllocationWeights(usage: $0[0], writeGates: $0[1])
        }
        #expect(two <= 1)
    }

    @Test func writeWeightsAndEraseWrite() {
        let ww = finiteDifferenceWorst([weighting([b, hw, n], seed: 9), weighting([b, hw, n], seed: 10),
                                        uniform([b, hw], 0, 1, seed: 11), uniform([b, hw], 0, 1, seed: 12)]) {
            A.writeWeights(allocation: $0[0], content: $0[1], allocationGates: $0[2], writeGates: $0[3])
        }
        #expect(ww <= 1)
        let ew = finiteDifferenceWorst([uniform([b, n, w], seed: 13), weighting([b, hw, n], seed: 14),
                                        uniform([b, hw, w], 0, 1, seed: 15), uniform([b, hw, w], seed: 16)]) {
            A.eraseAndWrite(memory: $0[0], writeWeights: $0[1], erase: $0[2], values: $0[3])
        }
        #expect(ew <= 1)
    }

    @Test func temporalLinks() {
        let link = finiteDifferenceWorst([weighting([b, hw, n, n], total: 0.5, seed: 17), weighting([b, hw, n], seed: 18),
                                          weighting([b, hw, n], seed: 19)]) {
            A.link(previous: $0[0], precedence: $0[1], writeWeights: $0[2])
        }
        #expect(link <= 1)
        let prec = finiteDifferenceWorst([weighting([b, hw, n], seed: 20), weighting([b, hw, n], seed: 21)]) {
            A.precedence(previous: $0[0], writeWeights: $0[1])
        }
        #expect(prec <= 1)
        let directional = finiteDifferenceWorst([uniform([b, hw, n, n], 0, 0.3, seed: 22), weighting([b, r, n], seed: 23)]) {
            let (f, bw) = A.directionalWeights(link: $0[0], readWeights: $0[1])
            return concat(f + bw, axis: 1)
        }
        #expect(directional <= 1)
    }

    @Test func fusedLinkEqualsComposedAndPassesFiniteDifferences() {
        for n in [5, 19] {  // 19: SIMD body plus a scalar tail
            let inputs = [weighting([b, hw, n, n], total: 0.5, seed: 60), weighting([b, hw, n], seed: 61),
                          weighting([b, hw, n], seed: 62)]
            let xs = inputs.map { Variable($0, requiresGrad: true) }
            let r = Variable(uniform([b, hw, n, n], seed: 63))
            let fused = A.linkFused(previous: xs[0], precedence: xs[1], writeWeights: xs[2])
            let composed = A.link(previous: xs[0], precedence: xs[1], writeWeights: xs[2])
            #expect(relativeError(fused.value, composed.value) < 1e-6)
            let gf = gradients(of: (fused * r).sum(), wrt: xs), gc = gradients(of: (composed * r).sum(), wrt: xs)
            for (a, c) in zip(gf, gc) { #expect(relativeError(a.value, c.value) < 1e-5) }
            #expect(finiteDifferenceWorst(inputs) { A.linkFused(previous: $0[0], precedence: $0[1], writeWeights: $0[2]) } <= 1)
        }
    }

    @Test func readModesAndVectors() {
        let modes = 2 * hw + 1
        let worst = finiteDifferenceWorst([weighting([b, r, modes], total: 1, seed: 24), weighting([b, r, n], seed: 25),
                                           weighting([b, r, n], seed: 26), weighting([b, r, n], seed: 27),
                                           weighting([b, r, n], seed: 28), weighting([b, r, n], seed: 29)]) {
            A.readWeights(modes: $0[0], content: $0[1], forward: [$0[2], $0[3]], backward: [$0[4], $0[5]])
        }
        #expect(worst <= 1)
        #expect(finiteDifferenceWorst([uniform([b, n, w], seed: 30), weighting([b, r, n], seed: 31)]) {
            A.readVectors(memory: $0[0], readWeights: $0[1])
        } <= 1)
    }

    @Test func interfaceSplit() {
        let m = MemoryConfig(memorySize: n, memoryDim: w, numReadHeads: r, numWriteHeads: hw)
        #expect(DNCInterface.size(MemoryConfig(memorySize: 8, memoryDim: 6, numReadHeads: 4, numWriteHeads: 1))
                == 6 * 4 + 3 * 6 + 5 * 4 + 3)  // the paper's W·R + 3W + 5R + 3
        let worst = finiteDifferenceWorst([uniform([b, DNCInterface.size(m)], -2, 2, seed: 32)]) {
            let xi = DNCInterface($0[0], memory: m)
            let parts = [xi.readKeys, xi.readStrengths, xi.writeKeys, xi.writeStrengths, xi.eraseVectors,
                         xi.writeVectors, xi.freeGates, xi.allocationGates, xi.writeGates, xi.readModes]
            return concat(parts.map { $0.reshaped([b, $0.count / b]) }, axis: 1)
        }
        #expect(worst <= 1)
    }

    /// The whole cell (controller + access + output) against finite differences of its parameters' effect.
    @Test func wholeCellThroughTime() throws {
        let m = MemoryConfig(memorySize: 4, memoryDim: 3, numReadHeads: 2, numWriteHeads: 2)
        let model = try DNC(config: DNCConfig(inputSize: 3, outputSize: 2, hiddenSize: 5, memory: m), seed: 3)
        let x = uniform([4, 2, 3], seed: 33)
        let worst = finiteDifferenceWorst([x], h: 5e-3) { model($0[0]).outputs }
        #expect(worst <= 1)
    }
}

/// The properties deepmind/dnc's addressing_test.py checks.
struct DNCAddressingPropertyTests {
    @Test func allocationOfFullyUsedMemoryIsZero() {
        let a = A.allocation(usage: Variable(Tensor(shape: [2, 6], repeating: 1))).value.array
        #expect(a.allSatisfy { abs($0) < 1e-5 })
    }

    @Test func allocationValuesAndOrder() {
        // u = (0.2, 0.5, 0.1): φ = (2, 0, 1); a[2] = 0.9, a[0] = 0.8·0.1, a[1] = 0.5·0.1·0.2 (up to the ε guard).
        let a = A.allocation(usage: Variable(Tensor(shape: [1, 3], values: [0.2, 0.5, 0.1]))).value.array
        let expected: [Float] = [0.08, 0.01, 0.9]
        for (x, e) in zip(a, expected) { #expect(abs(x - e) < 1e-5) }
        #expect(a.reduce(0, +) <= 1)
        // Empty memory: everything goes to the first slot.
        let empty = A.allocation(usage: Variable(Tensor(shape: [1, 4]))).value.array
        #expect(abs(empty[0] - 1) < 1e-5 && empty[1...].allSatisfy { $0 < 1e-5 })
    }

    @Test func writeHeadsAllocateDifferentSlots() {
        let a = A.writeAllocationWeights(usage: Variable(Tensor(shape: [1, 4], values: [0.9, 0, 0.8, 0.95])),
                                         writeGates: Variable(Tensor(shape: [1, 2], values: [1, 1]))).value.array
        // Head 0 takes slot 1 (unused); head 1, seeing slot 1 now used, takes the next least used, slot 2.
        #expect(a[1] > 0.99)
        #expect(a[4 + 2] > 0.15 && a[4 + 1] < 1e-4)
        let argmax1 = (0..<4).max { a[4 + $0] < a[4 + $1] }!
        #expect(argmax1 == 2)
    }

    @Test func linkMatrixDiagonalZeroRowsAndColumnsAtMostOne() {
        let b = 2, h = 2, n = 5
        var link = Variable(Tensor(shape: [b, h, n, n]))
        var prec = Variable(Tensor(shape: [b, h, n]))
        for step in 0..<8 {
            let ww = Variable(weighting([b, h, n], total: step % 3 == 0 ? 1 : 0.7, seed: UInt64(40 + step)))
            link = A.link(previous: link, precedence: prec, writeWeights: ww)
            prec = A.precedence(previous: prec, writeWeights: ww)
            let l = link.value.array, p = prec.value.array
            for m in 0..<(b * h) {
                for i in 0..<n {
                    #expect(l[m * n * n + i * n + i] == 0)
                    let row = (0..<n).reduce(Float(0)) { $0 + l[m * n * n + i * n + $1] }
                    let col = (0..<n).reduce(Float(0)) { $0 + l[m * n * n + $1 * n + i] }
                    #expect(row <= 1 + 1e-5 && col <= 1 + 1e-5)
                }
                #expect((0..<n).reduce(Float(0)) { $0 + p[m * n + $1] } <= 1 + 1e-5)
            }
            #expect(l.allSatisfy { $0 >= -1e-6 && $0 <= 1 + 1e-6 })
        }
    }

    @Test func precedenceAndLinksFollowTheWriteOrder() {
        // Write slot 0, then slot 2, then slot 1 (one-hot, fully): p is the last write; L links each to the previous.
        let n = 4
        var link = Variable(Tensor(shape: [1, 1, n, n])), prec = Variable(Tensor(shape: [1, 1, n]))
        for slot in [0, 2, 1] {
            var v = [Float](repeating: 0, count: n)
            v[slot] = 1
            let ww = Variable(Tensor(shape: [1, 1, n], values: v))
            link = A.link(previous: link, precedence: prec, writeWeights: ww)
            prec = A.precedence(previous: prec, writeWeights: ww)
            #expect(prec.value.array == v)
        }
        let l = link.value.array
        #expect(l[2 * n + 0] == 1 && l[1 * n + 2] == 1)
        #expect(l.reduce(0, +) == 2)
        // Forward from slot 0 reads slot 2, backward from slot 1 reads slot 2.
        let r = Variable(Tensor(shape: [1, 2, n], values: [1, 0, 0, 0, 0, 1, 0, 0]))
        let (f, bw) = A.directionalWeights(link: link, readWeights: r)
        #expect(Array(f[0].value.array[0..<n]) == [0, 0, 1, 0])
        #expect(Array(bw[0].value.array[n..<(2 * n)]) == [0, 0, 1, 0])
    }

    @Test func contentWeightsSharpenWithStrength() {
        let memory = Variable(Tensor(shape: [1, 3, 2], values: [1, 0, 0, 1, 0.7, 0.7]))
        let key = Variable(Tensor(shape: [1, 1, 2], values: [1, 0.1]))
        let soft = A.contentWeights(memory: memory, keys: key, strengths: Variable(Tensor(shape: [1, 1], values: [1]))).value.array
        let sharp = A.contentWeights(memory: memory, keys: key, strengths: Variable(Tensor(shape: [1, 1], values: [100]))).value.array
        #expect(abs(soft.reduce(0, +) - 1) < 1e-5 && abs(sharp.reduce(0, +) - 1) < 1e-5)
        #expect(sharp[0] > 0.999 && soft[0] < 0.6 && soft[0] > soft[2] && soft[2] > soft[1])
    }

    @Test func noDivisionByZeroWithZeroVectors() {
        let memory = Variable(Tensor(shape: [1, 3, 4]), requiresGrad: true)
        let keys = Variable(Tensor(shape: [1, 2, 4]), requiresGrad: true)
        let s = Variable(Tensor(shape: [1, 2], repeating: 2), requiresGrad: true)
        let c = A.contentWeights(memory: memory, keys: keys, strengths: s)
        #expect(c.value.array.allSatisfy { abs($0 - 1.0 / 3) < 1e-6 })
        let g = gradients(of: (c * Variable(uniform([1, 2, 3]))).sum(), wrt: [memory, keys, s])
        #expect(g.allSatisfy { $0.value.array.allSatisfy { $0.isFinite } })
    }

    @Test func usageRisesWithWritesAndFallsWithFreeGates() {
        let u = Variable(Tensor(shape: [1, 3], values: [0.5, 0.2, 0.9]))
        let ww = Variable(Tensor(shape: [1, 1, 3], values: [0.5, 0, 0]))
        let rw = Variable(Tensor(shape: [1, 1, 3], values: [0, 0, 1]))
        let after = A.usage(previous: u, writeWeights: ww, freeGates: Variable(Tensor(shape: [1, 1], values: [1])), readWeights: rw).value.array
        #expect(abs(after[0] - 0.75) < 1e-6 && abs(after[1] - 0.2) < 1e-6 && abs(after[2]) < 1e-6)
        let kept = A.usage(previous: u, writeWeights: ww, freeGates: Variable(Tensor(shape: [1, 1], values: [0])), readWeights: rw).value.array
        #expect(abs(kept[2] - 0.9) < 1e-6)
    }
}

/// Model-level behaviour: masks, truncation, configuration errors.
struct DNCModelTests {
    static func small(writeHeads: Int = 1, controller: DNCControllerKind = .lstm) throws -> DNC {
        try DNC(config: DNCConfig(inputSize: 3, outputSize: 2, hiddenSize: 6,
                                  memory: MemoryConfig(memorySize: 5, memoryDim: 3, numReadHeads: 2, numWriteHeads: writeHeads),
                                  controller: controller), seed: 11)
    }

    @Test func maskedSequenceKeepsItsFinalState() throws {
        let model = try Self.small(writeHeads: 2)
        let x = uniform([6, 2, 3], seed: 50)
        let mask = Tensor(shape: [6, 2], values: [1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0])  // lengths 6 and 2
        let full = model(Variable(x), mask: mask).state
        let short = model(Variable(x).slice(axis: 0, start: 0, length: 2)).state
        for (a, b) in zip(full.components, short.components) {
            let inner = a.count / 2
            #expect(relativeError(Tensor(shape: [inner], copying: a.value.pointer + inner),
                                  Tensor(shape: [inner], copying: b.value.pointer + inner)) < 1e-6)
        }
    }

    @Test func truncatedTrainingCarriesStateAndLearns() throws {
        let model = try Self.small()
        let trainer = DNCTrainer(model: model, lr: 1e-2, clip: 10)
        let x = uniform([8, 4, 3], 0, 1, seed: 51)
        // Targets: the first two input bits of the step before (needs the recurrent state across chunk cuts too).
        var yv = [Float](repeating: 0, count: 8 * 4 * 2)
        for t in 1..<8 { for b in 0..<4 { for k in 0..<2 { yv[(t * 4 + b) * 2 + k] = x[flat: ((t - 1) * 4 + b) * 3 + k] > 0.5 ? 1 : 0 } } }
        let y = Tensor(shape: [8, 4, 2], values: yv)
        let first = trainer.step(inputs: x, targets: y, truncation: 3)
        var last = first
        for _ in 0..<40 { last = trainer.step(inputs: x, targets: y, truncation: 3) }
        #expect(last < 0.8 * first)
        #expect(trainer.optimizer.states.compactMap { $0?.step }.allSatisfy { $0 == 41 * 3 })
    }

    @Test func invalidConfigurationsThrow() {
        func bad(_ m: MemoryConfig, hidden: Int = 4) -> Bool {
            (try? DNC(config: DNCConfig(inputSize: 2, outputSize: 2, hiddenSize: hidden, memory: m))) == nil
        }
        #expect(bad(MemoryConfig(memorySize: 0, memoryDim: 2, numReadHeads: 1, numWriteHeads: 1)))
        #expect(bad(MemoryConfig(memorySize: 4, memoryDim: 2, numReadHeads: 0, numWriteHeads: 1)))
        #expect(bad(MemoryConfig(memorySize: 4, memoryDim: 2, numReadHeads: 1, numWriteHeads: 0)))
        #expect(bad(MemoryConfig(memorySize: 4, memoryDim: 2, numReadHeads: 1, numWriteHeads: 1), hidden: 0))
        #expect(bad(MemoryConfig(memorySize: 9000, memoryDim: 1, numReadHeads: 1, numWriteHeads: 1)))  // link 81M floats
        #expect(!bad(MemoryConfig(memorySize: 16, memoryDim: 4, numReadHeads: 2, numWriteHeads: 2)))
    }
}
