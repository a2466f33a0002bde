import MnemonetBase
import MnemonetMemory
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `NeuralMemoryBank` against the seed's equations computed directly in Double.
struct MemoryBankTests {
    /// softmax(β cos(key, M[n])) with F.normalize's ε clamp, in Double.
    static func content(_ m: [Float], _ n: Int, _ w: Int, _ key: [Float], _ beta: Float) -> [Double] {
        let kn = max(key.map { Double($0) * Double($0) }.reduce(0, +).squareRoot(), 1e-12)
        var z = (0..<n).map { i -> Double in
            let row = (0..<w).map { Double(m[i * w + $0]) }
            let rn = max(row.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
            return Double(beta) * zip(row, key).map { $0 * Double($1) }.reduce(0, +) / (rn * kn)
        }
        let mx = z.max()!
        z = z.map { Glibc.exp($0 - mx) }
        let s = z.reduce(0, +)
        return z.map { $0 / s }
    }

    @Test func freshMemoryAddressesUniformly() throws {
        let bank = try NeuralMemoryBank(config: MemoryConfig(memorySize: 6, memoryDim: 4, numReadHeads: 2))
        var key: [Float] = [0.3, -1, 2, 0.5], beta: Float = 9
        var out = [Float](repeating: 0, count: 6)
        bank.contentAddressing(keys: &key, betas: &beta, count: 1, into: &out)
        for v in out { #expect(abs(v - 1.0 / 6) < 1e-7) }
    }

    @Test func readAndWriteFollowTheSeed() throws {
        let n = 7, w = 5
        let bank = try NeuralMemoryBank(config: MemoryConfig(memorySize: n, memoryDim: w, numReadHeads: 2))
        var rng = Xoshiro256(seed: 2)
        let m0 = (0..<n * w).map { _ in Float(rng.nextNormal()) }
        let u0 = (0..<n).map { _ in rng.nextUnitFloat() }
        m0.withUnsafeBufferPointer { m in u0.withUnsafeBufferPointer { u in try! bank.assign(memory: m, usage: u) } }
        var keys = (0..<2 * w).map { _ in Float(rng.nextNormal()) }
        var betas: [Float] = [0.7, 4]
        var reads = [Float](repeating: 0, count: 2 * w)
        bank.read(keys: &keys, strengths: &betas, into: &reads)
        for h in 0..<2 {
            let wh = Self.content(m0, n, w, Array(keys[(h * w)..<((h + 1) * w)]), betas[h])
            for j in 0..<w {
                let expect = (0..<n).map { wh[$0] * Double(m0[$0 * w + j]) }.reduce(0, +)
                #expect(abs(Double(reads[h * w + j]) - expect) < 1e-5)
            }
        }
        #expect(Array(bank.memory) == m0)  // reading does not change the memory
        var key = (0..<w).map { _ in Float(rng.nextNormal()) }
        var vector = (0..<w).map { _ in Float(Glibc.tanh(rng.nextNormal())) }
        var erase = (0..<w).map { _ in rng.nextUnitFloat() }
        bank.write(key: &key, vector: &vector, erase: &erase, strength: 2.5)
        let ww = Self.content(m0, n, w, key, 2.5)
        for i in 0..<n {
            #expect(abs(Double(bank.usage[i]) - (0.99 * Double(u0[i]) + ww[i])) < 1e-6)
            for j in 0..<w {
                let expect = Double(m0[i * w + j]) * (1 - ww[i] * Double(erase[j])) + ww[i] * Double(vector[j])
                #expect(abs(Double(bank.memory[i * w + j]) - expect) < 1e-5)
            }
        }
        bank.reset()
        #expect(bank.memory.allSatisfy { $0 == 0 } && bank.usage.allSatisfy { $0 == 0 })
    }

    @Test func invalidConfigurationsThrow() {
        #expect(throws: MnemonetError.self) { _ = try NeuralMemoryBank(config: MemoryConfig(memorySize: 0)) }
        #expect(throws: MnemonetError.self) { _ = try NeuralMemoryBank(config: MemoryConfig(numWriteHeads: 2)) }
        #expect(throws: MnemonetError.self) {
            _ = try NeuralMemoryBank(config: MemoryConfig(memorySize: 1 << 20, memoryDim: 1 << 10))
        }
        // R·N read weights and R·W read values are bounded like N·W (2^30 floats used to trap on allocation).
        #expect(throws: MnemonetError.self) {
            _ = try NeuralMemoryBank(config: MemoryConfig(memorySize: 1 << 20, memoryDim: 4, numReadHeads: 1024))
        }
        #expect(throws: MnemonetError.self) {
            _ = try NeuralMemoryBank(config: MemoryConfig(memorySize: 4, memoryDim: 1 << 16, numReadHeads: 1024))
        }
        #expect((try? NeuralMemoryBank(config: MemoryConfig(memorySize: 1 << 12, memoryDim: 1 << 10, numReadHeads: 1024))) != nil)
    }
}
