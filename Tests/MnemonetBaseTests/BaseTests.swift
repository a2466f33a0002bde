import Glibc
import Testing
@testable import MnemonetBase

@Suite struct RandomGeneratorTests {
    @Test func sameSeedSameStream() {
        var a = Xoshiro256(seed: 42), b = Xoshiro256(seed: 42), c = Xoshiro256(seed: 43)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
    }

    @Test func restoredStateContinuesTheStream() throws {
        var a = Xoshiro256(seed: 7)
        for _ in 0..<10 { _ = a.next() }
        var b = try Xoshiro256(state: a.state)
        #expect((0..<50).map { _ in a.next() } == (0..<50).map { _ in b.next() })
        #expect(throws: MnemonetError.self) { try Xoshiro256(state: (0, 0, 0, 0)) }
    }

    @Test func unitAndNormalMoments() {
        var g = Xoshiro256(seed: 1)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0, uSum = 0.0
        for _ in 0..<n {
            let z = g.nextNormal()
            sum += z; sumSq += z * z
            let u = g.nextUnitDouble()
            #expect(u >= 0 && u < 1)
            uSum += u
        }
        #expect(abs(sum / Double(n)) < 0.01)
        #expect(abs(sumSq / Double(n) - 1) < 0.02)
        #expect(abs(uSum / Double(n) - 0.5) < 0.005)
    }

    @Test func boundedIntegersAreInRangeAndCoverIt() {
        var g = Xoshiro256(seed: 3)
        var seen = [Bool](repeating: false, count: 7)
        for _ in 0..<1000 {
            let k = g.nextInt(below: 7)
            #expect((0..<7).contains(k))
            seen[k] = true
        }
        #expect(seen.allSatisfy { $0 })
    }
}

@Suite struct CheckpointTests {
    @Test func crc32KnownValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func binaryRoundTrip() throws {
        var w = BinaryWriter()
        w.write(UInt32(7)); w.write(Int64(-3)); w.write(Float(1.5)); w.write("héllo")
        w.write([Float](arrayLiteral: 1, 2, 3)); w.write(Xoshiro256(seed: 9)); w.write(true)
        var r = BinaryReader(w.bytes)
        #expect(try r.readUInt32() == 7)
        #expect(try r.readInt64() == -3)
        #expect(try r.readFloat() == 1.5)
        #expect(try r.readString() == "héllo")
        #expect(try r.readFloats("xs") == [1, 2, 3])
        #expect(try r.readRandomGenerator() == Xoshiro256(seed: 9))
        #expect(try r.readBool() == true)
        try r.expectEnd("test")
    }

    @Test func truncatedInputThrowsFormat() {
        var w = BinaryWriter()
        w.write([Float](repeating: 1, count: 10))
        var r = BinaryReader(Array(w.bytes.dropLast(3)))
        #expect(throws: MnemonetError.self) { try r.readFloats("xs") }
    }

    @Test func atomicFileRoundTripAndCorruption() throws {
        let path = "/tmp/mnemonet-test-\(UInt64.random(in: 0...UInt64.max)).ckpt"
        defer { unlink(path) }
        let payload: [UInt8] = Array(0..<200)
        try CheckpointFile.write(path: path, kind: "test", payload: payload)
        var r = try CheckpointFile.read(path: path, kind: "test")
        #expect(r.remaining == 200)
        _ = try r.readUInt8()
        // Wrong kind.
        #expect(throws: MnemonetError.self) { try CheckpointFile.read(path: path, kind: "agent") }
        // Truncated.
        var bytes = try AtomicFile.readAll(path: path)
        try AtomicFile.write(path: path, chunks: [Array(bytes.dropLast(1))])
        #expect(throws: MnemonetError.self) { try CheckpointFile.read(path: path, kind: "test") }
        // Flipped bit.
        bytes[bytes.count - 5] ^= 1
        try AtomicFile.write(path: path, chunks: [bytes])
        #expect(throws: MnemonetError.self) { try CheckpointFile.read(path: path, kind: "test") }
        // Missing file is an I/O error with errno.
        do {
            _ = try CheckpointFile.read(path: path + ".missing", kind: "test")
            Issue.record("expected an error")
        } catch {
            #expect(error.statusCode == 4 && error.errnoValue != 0)
        }
    }
}
