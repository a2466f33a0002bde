import Foundation
import MnemonetAgent
import MnemonetBase
import MnemonetMemory
import Testing

/// In-memory checkpoints (`Checkpointable`): the bytes equal the file, they load back exactly, and every truncation or
/// flipped byte is a `.format` error. Covers the memory bank and controller checkpoints, which only these give.
struct CheckpointBytesTests {
    let config = MemoryConfig(memorySize: 6, memoryDim: 4, numReadHeads: 2)

    func fileBytes<T: Checkpointable>(_ object: T, _ name: String) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "mnemonet-bytes-\(getpid())-\(name)"
        defer { unlink(path) }
        try object.save(path: path)
        return try AtomicFile.readAll(path: path)
    }

    func expectFormatErrors<T: Checkpointable>(_ bytes: [UInt8], as _: T.Type) {
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            #expect(throws: MnemonetError.self) { _ = try T.load(checkpointBytes: Array(bytes[..<cut])) }
        }
        var flipped = bytes
        flipped[bytes.count - 3] ^= 0x40
        do { _ = try T.load(checkpointBytes: flipped); Issue.record("a flipped byte was accepted") } catch {
            if case .format = error {} else { Issue.record("\(error) is not a format error") }
        }
    }

    @Test func memoryBankBytesEqualTheFileAndRoundTrip() throws {
        let bank = try NeuralMemoryBank(config: config)
        for k in 0..<bank.memory.count { bank.memory[k] = Float(k) * 0.25 - 1 }
        for k in 0..<bank.usage.count { bank.usage[k] = Float(k) }
        let bytes = bank.checkpointBytes()
        #expect(bytes == (try fileBytes(bank, "bank")))
        let copy = try NeuralMemoryBank.load(checkpointBytes: bytes)
        #expect(copy.config == config && Array(copy.memory) == Array(bank.memory) && Array(copy.usage) == Array(bank.usage))
        expectFormatErrors(bytes, as: NeuralMemoryBank.self)
    }

    @Test func controllerBytesEqualTheFileAndRoundTrip() throws {
        var rng = Xoshiro256(seed: 3)
        let controller = try MemoryController(inputDim: 5, hiddenDim: 7, config: config, rng: &rng)
        let bytes = controller.checkpointBytes()
        #expect(bytes == (try fileBytes(controller, "controller")))
        let copy = try MemoryController.load(checkpointBytes: bytes)
        #expect(copy.layout.inputDim == 5 && copy.layout.hiddenDim == 7 && copy.layout.config == config)
        #expect(Array(copy.parameters) == Array(controller.parameters))
        expectFormatErrors(bytes, as: MemoryController.self)
    }

    @Test func agentBytesEqualTheFileAndAreNotAnotherKind() throws {
        let agent = try ContinualLearningAgent(inputDim: 5, hiddenDim: 7, config: config, replayCapacity: 20, seed: 1)
        let bytes = agent.checkpointBytes()
        #expect(bytes == (try fileBytes(agent, "agent")))
        #expect(try ContinualLearningAgent.load(checkpointBytes: bytes).checkpointBytes() == bytes)
        do { _ = try NeuralMemoryBank.load(checkpointBytes: bytes); Issue.record("an agent loaded as a bank") } catch {
            #expect(error.message.contains("expected 'memory-bank'"))
        }
    }
}
