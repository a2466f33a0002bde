import MnemonetBase
import MnemonetEngine
import Testing

/// The one Adam-state format every trainer's checkpoint uses (`Adam.writeState/readState`).
struct AdamCheckpointTests {
    /// An optimizer with state in slot 0 (two updates) and none in slot 1.
    func trained() -> Adam {
        let adam = Adam(parameterCount: 2)
        var p: [Float] = [0.5, -1, 2, 0.25, 3, -0.75]
        let g: [Float] = [0.1, -0.2, 0.3, 0.05, -1, 2]
        for _ in 0..<2 {
            p.withUnsafeMutableBufferPointer { pp in
                g.withUnsafeBufferPointer { gg in adam.update(index: 0, parameter: pp, gradient: gg) }
            }
        }
        return adam
    }

    @Test func roundTripRestoresEverySlotExactly() throws {
        let a = trained()
        var w = BinaryWriter()
        a.writeStates(to: &w)
        var r = BinaryReader(w.bytes)
        let b = Adam(parameterCount: 2)
        try b.readState(slot: 0, shape: [2, 3], from: &r)
        try b.readState(slot: 1, shape: [4], from: &r)
        #expect(r.remaining == 0)
        #expect(b.states[1] == nil)
        let s = try #require(b.states[0])
        #expect(s.step == 2)
        #expect(s.expAvg.shape == [2, 3])
        #expect(s.expAvg.array.map(\.bitPattern) == a.states[0]!.expAvg.array.map(\.bitPattern))
        #expect(s.expAvgSq.array.map(\.bitPattern) == a.states[0]!.expAvgSq.array.map(\.bitPattern))
    }

    /// The bytes of slot 0 with its second moment's first value replaced by `value`.
    func bytesWithSecondMoment(_ value: Float) -> [UInt8] {
        let a = trained()
        a.states[0]!.expAvgSq.buffer[0] = value
        var w = BinaryWriter()
        a.writeState(slot: 0, to: &w)
        return w.bytes
    }

    @Test func negativeOrNonFiniteSecondMomentIsRefused() {
        for bad: Float in [-1e-3, .nan, .infinity] {
            var r = BinaryReader(bytesWithSecondMoment(bad))
            let b = Adam(parameterCount: 1)
            #expect(throws: MnemonetError.self, "v[0] = \(bad)") { try b.readState(slot: 0, shape: [6], from: &r) }
            #expect(b.states[0] == nil)
        }
    }

    @Test func wrongShapeStepOrTruncationIsRefused() {
        var good = BinaryReader(bytesWithSecondMoment(0.5))
        #expect(throws: MnemonetError.self) { try Adam(parameterCount: 1).readState(slot: 0, shape: [5], from: &good) }
        var w = BinaryWriter()
        w.write(true)
        w.write(0)  // step 0: a state is only written after an update
        var r = BinaryReader(w.bytes)
        #expect(throws: MnemonetError.self) { try Adam(parameterCount: 1).readState(slot: 0, shape: [6], from: &r) }
        var cut = BinaryReader(Array(bytesWithSecondMoment(0.5).dropLast(3)))
        #expect(throws: MnemonetError.self) { try Adam(parameterCount: 1).readState(slot: 0, shape: [6], from: &cut) }
    }
}
