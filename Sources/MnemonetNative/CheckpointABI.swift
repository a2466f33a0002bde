#if canImport(Glibc)
import Glibc
#endif
import MnemonetAgent
import MnemonetBase
import MnemonetMemory
import MnemonetMeta
import MnemonetReplay

// Exports of mnemonet.h, section "checkpoints in memory": every native object's checkpoint as bytes (the same bytes
// its save writes to a file), and the file checkpoints of the memory bank and the controller. No logic: the format
// lives in MnemonetBase.Checkpointable and each type's +Checkpoint file.

/// Writes `object`'s checkpoint into a new malloc'ed buffer (`*data`, `*length` bytes; free with mn_bytes_free).
func exportCheckpoint<T: Checkpointable>(_ handle: UnsafeMutableRawPointer, as _: T.Type,
                                         _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                         _ length: UnsafeMutablePointer<Int64>,
                                         _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let bytes = object(handle, as: T.self).checkpointBytes()
        guard let buffer = malloc(bytes.count) else {
            throw .invalidState("cannot allocate \(bytes.count) bytes for the checkpoint")
        }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        data.pointee = buffer
        length.pointee = Int64(bytes.count)
    }
}

/// A new handle read from the checkpoint bytes `data[0..<length]`; `.format` when they are not a complete
/// checkpoint of `T`'s kind.
func importCheckpoint<T: Checkpointable>(_ data: UnsafeRawPointer?, _ length: Int64, as _: T.Type,
                                         _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                         _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try require(length >= 0 && (length == 0 || data != nil), "checkpoint bytes: bad buffer (length \(length))")
        let bytes = length == 0 ? [] : [UInt8](UnsafeRawBufferPointer(start: data, count: Int(length)))
        out.pointee = retainHandle(try T.load(checkpointBytes: bytes))
    }
}

/// `void mn_bytes_free(void *data)`
@c(mn_bytes_free)
public func mnBytesFree(_ data: UnsafeMutableRawPointer?) { free(data) }

/// `int32_t mn_replay_to_bytes(mn_replay *h, void **data, int64_t *length, mn_status *status)`
@c(mn_replay_to_bytes)
public func mnReplayToBytes(_ h: UnsafeMutableRawPointer, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                            _ length: UnsafeMutablePointer<Int64>, _ status: UnsafeMutableRawPointer) -> Int32 {
    exportCheckpoint(h, as: PrioritizedReplayBuffer.self, data, length, status)
}

/// `int32_t mn_replay_from_bytes(const void *data, int64_t length, mn_replay **out, mn_status *status)`
@c(mn_replay_from_bytes)
public func mnReplayFromBytes(_ data: UnsafeRawPointer?, _ length: Int64,
                              _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                              _ status: UnsafeMutableRawPointer) -> Int32 {
    importCheckpoint(data, length, as: PrioritizedReplayBuffer.self, out, status)
}

/// `int32_t mn_reservoir_to_bytes(mn_reservoir *h, void **data, int64_t *length, mn_status *status)`
@c(mn_reservoir_to_bytes)
public func mnReservoirToBytes(_ h: UnsafeMutableRawPointer, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                               _ length: UnsafeMutablePointer<Int64>, _ status: UnsafeMutableRawPointer) -> Int32 {
    exportCheckpoint(h, as: ReservoirReplayBuffer.self, data, length, status)
}

/// `int32_t mn_reservoir_from_bytes(const void *data, int64_t length, mn_reservoir **out, mn_status *status)`
@c(mn_reservoir_from_bytes)
public func mnReservoirFromBytes(_ data: UnsafeRawPointer?, _ length: Int64,
                                 _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                 _ status: UnsafeMutableRawPointer) -> Int32 {
    importCheckpoint(data, length, as: ReservoirReplayBuffer.self, out, status)
}

/// `int32_t mn_agent_to_bytes(mn_agent *h, void **data, int64_t *length, mn_status *status)`
@c(mn_agent_to_bytes)
public func mnAgentToBytes(_ h: UnsafeMutableRawPointer, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                           _ length: UnsafeMutablePointer<Int64>, _ status: UnsafeMutableRawPointer) -> Int32 {
    exportCheckpoint(h, as: ContinualLearningAgent.self, data, length, status)
}

/// `int32_t mn_agent_from_bytes(const void *data, int64_t length, mn_agent **out, mn_status *status)`
@c(mn_agent_from_bytes)
public func mnAgentFromBytes(_ data: UnsafeRawPointer?, _ length: Int64,
                             _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    importCheckpoint(data, length, as: ContinualLearningAgent.self, out, status)
}

/// `int32_t mn_meta_to_bytes(mn_meta_learner *h, void **data, int64_t *length, mn_status *status)`
@c(mn_meta_to_bytes)
public func mnMetaToBytes(_ h: UnsafeMutableRawPointer, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                          _ length: UnsafeMutablePointer<Int64>, _ status: UnsafeMutableRawPointer) -> Int32 {
    exportCheckpoint(h, as: MetaLearner.self, data, length, status)
}

/// `int32_t mn_meta_from_bytes(const void *data, int64_t length, mn_meta_learner **out, mn_status *status)`
@c(mn_meta_from_bytes)
public func mnMetaFromBytes(_ data: UnsafeRawPointer?, _ length: Int64,
                            _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                            _ status: UnsafeMutableRawPointer) -> Int32 {
    importCheckpoint(data, length, as: MetaLearner.self, out, status)
}

/// `int32_t mn_memory_bank_to_bytes(mn_memory_bank *h, void **data, int64_t *length, mn_status *status)`
@c(mn_memory_bank_to_bytes)
public func mnMemoryBankToBytes(_ h: UnsafeMutableRawPointer, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                _ length: UnsafeMutablePointer<Int64>, _ status: UnsafeMutableRawPointer) -> Int32 {
    exportCheckpoint(h, as: NeuralMemoryBank.self, data, length, status)
}

/// `int32_t mn_memory_bank_from_bytes(const void *data, int64_t length, mn_memory_bank **out, mn_status *status)`
@c(mn_memory_bank_from_bytes)
public func mnMemoryBankFromBytes(_ data: UnsafeRawPointer?, _ length: Int64,
                                  _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                  _ status: UnsafeMutableRawPointer) -> Int32 {
    importCheckpoint(data, length, as: NeuralMemoryBank.self, out, status)
}

/// `int32_t mn_controller_to_bytes(mn_controller *h, void **data, int64_t *length, mn_status *status)`
@c(mn_controller_to_bytes)
public func mnControllerToBytes(_ h: UnsafeMutableRawPointer, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                _ length: UnsafeMutablePointer<Int64>, _ status: UnsafeMutableRawPointer) -> Int32 {
    exportCheckpoint(h, as: MemoryController.self, data, length, status)
}

/// `int32_t mn_controller_from_bytes(const void *data, int64_t length, mn_controller **out, mn_status *status)`
@c(mn_controller_from_bytes)
public func mnControllerFromBytes(_ data: UnsafeRawPointer?, _ length: Int64,
                                  _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                  _ status: UnsafeMutableRawPointer) -> Int32 {
    importCheckpoint(data, length, as: MemoryController.self, out, status)
}

/// `int32_t mn_memory_bank_save(mn_memory_bank *h, const char *path, mn_status *status)`
@c(mn_memory_bank_save)
public func mnMemoryBankSave(_ h: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in try object(h, as: NeuralMemoryBank.self).save(path: string(path)) }
}

/// `int32_t mn_memory_bank_load(const char *path, mn_memory_bank **out, mn_status *status)`
@c(mn_memory_bank_load)
public func mnMemoryBankLoad(_ path: UnsafePointer<CChar>, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        out.pointee = retainHandle(try NeuralMemoryBank.load(path: string(path)))
    }
}

/// `int32_t mn_controller_save(mn_controller *h, const char *path, mn_status *status)`
@c(mn_controller_save)
public func mnControllerSave(_ h: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in try object(h, as: MemoryController.self).save(path: string(path)) }
}

/// `int32_t mn_controller_load(const char *path, mn_controller **out, mn_status *status)`
@c(mn_controller_load)
public func mnControllerLoad(_ path: UnsafePointer<CChar>, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        out.pointee = retainHandle(try MemoryController.load(path: string(path)))
    }
}

/// `void mn_memory_bank_info(mn_memory_bank *h, int64_t *dims)`: dims [4] = N, W, R, write heads.
@c(mn_memory_bank_info)
public func mnMemoryBankInfo(_ h: UnsafeMutableRawPointer, _ dims: UnsafeMutablePointer<Int64>) {
    let c = object(h, as: NeuralMemoryBank.self).config
    for (k, v) in [c.memorySize, c.memoryDim, c.numReadHeads, c.numWriteHeads].enumerated() { dims[k] = Int64(v) }
}

/// `void mn_controller_info(mn_controller *h, int64_t *dims)`: dims [7] = I, H, N, W, R, write heads, O.
@c(mn_controller_info)
public func mnControllerInfo(_ h: UnsafeMutableRawPointer, _ dims: UnsafeMutablePointer<Int64>) {
    let l = object(h, as: MemoryController.self).layout, c = l.config
    for (k, v) in [l.inputDim, l.hiddenDim, c.memorySize, c.memoryDim, c.numReadHeads, c.numWriteHeads,
                   l.outputDim].enumerated() {
        dims[k] = Int64(v)
    }
}
