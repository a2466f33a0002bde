import MnemonetBase
import MnemonetMemory

// Exports of mnemonet.h, section "memory": the memory bank and the memory controller. No logic: unpack, call.

func memoryConfig(_ n: Int64, _ w: Int64, _ r: Int64, _ writes: Int64) -> MemoryConfig {
    MemoryConfig(memorySize: Int(n), memoryDim: Int(w), numReadHeads: Int(r), numWriteHeads: Int(writes))
}

/// `int32_t mn_memory_bank_create(int64_t memory_size, int64_t memory_dim, int64_t num_read_heads,
///  int64_t num_write_heads, mn_memory_bank **out, mn_status *status)`
@c(mn_memory_bank_create)
public func mnMemoryBankCreate(_ n: Int64, _ w: Int64, _ r: Int64, _ writes: Int64,
                               _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                               _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        out.pointee = retainHandle(try NeuralMemoryBank(config: memoryConfig(n, w, r, writes)))
    }
}

/// `void mn_memory_bank_free(mn_memory_bank *bank)`
@c(mn_memory_bank_free)
public func mnMemoryBankFree(_ h: UnsafeMutableRawPointer?) { release(h, as: NeuralMemoryBank.self) }

/// `int32_t mn_memory_bank_get(mn_memory_bank *bank, float *memory, float *usage, mn_status *status)`
@c(mn_memory_bank_get)
public func mnMemoryBankGet(_ h: UnsafeMutableRawPointer, _ memory: UnsafeMutablePointer<Float>,
                            _ usage: UnsafeMutablePointer<Float>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) {
        let b = object(h, as: NeuralMemoryBank.self)
        memory.update(from: b.memory.baseAddress!, count: b.memory.count)
        usage.update(from: b.usage.baseAddress!, count: b.usage.count)
    }
}

/// `int32_t mn_memory_bank_set(mn_memory_bank *bank, const float *memory, const float *usage, mn_status *status)`
@c(mn_memory_bank_set)
public func mnMemoryBankSet(_ h: UnsafeMutableRawPointer, _ memory: UnsafePointer<Float>,
                            _ usage: UnsafePointer<Float>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let b = object(h, as: NeuralMemoryBank.self)
        try b.assign(memory: UnsafeBufferPointer(start: memory, count: b.memory.count),
                     usage: UnsafeBufferPointer(start: usage, count: b.usage.count))
    }
}

/// `int32_t mn_memory_bank_reset(mn_memory_bank *bank, mn_status *status)`
@c(mn_memory_bank_reset)
public func mnMemoryBankReset(_ h: UnsafeMutableRawPointer, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { object(h, as: NeuralMemoryBank.self).reset() }
}

/// `int32_t mn_memory_bank_content_addressing(mn_memory_bank *bank, const float *keys, const float *betas,
///  int64_t count, float *weights, mn_status *status)`
@c(mn_memory_bank_content_addressing)
public func mnMemoryBankContentAddressing(_ h: UnsafeMutableRawPointer, _ keys: UnsafePointer<Float>,
                                          _ betas: UnsafePointer<Float>, _ count: Int64,
                                          _ weights: UnsafeMutablePointer<Float>,
                                          _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try require(count >= 1, "content_addressing needs at least one key, got \(count)")
        object(h, as: NeuralMemoryBank.self).contentAddressing(keys: keys, betas: betas, count: Int(count), into: weights)
    }
}

/// `int32_t mn_memory_bank_read(mn_memory_bank *bank, const float *keys, const float *strengths, float *reads,
///  mn_status *status)`
@c(mn_memory_bank_read)
public func mnMemoryBankRead(_ h: UnsafeMutableRawPointer, _ keys: UnsafePointer<Float>,
                             _ strengths: UnsafePointer<Float>, _ reads: UnsafeMutablePointer<Float>,
                             _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { object(h, as: NeuralMemoryBank.self).read(keys: keys, strengths: strengths, into: reads) }
}

/// `int32_t mn_memory_bank_write(mn_memory_bank *bank, const float *key, const float *vector, const float *erase,
///  float strength, mn_status *status)`
@c(mn_memory_bank_write)
public func mnMemoryBankWrite(_ h: UnsafeMutableRawPointer, _ key: UnsafePointer<Float>,
                              _ vector: UnsafePointer<Float>, _ erase: UnsafePointer<Float>, _ strength: Float,
                              _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) {
        object(h, as: NeuralMemoryBank.self).write(key: key, vector: vector, erase: erase, strength: strength)
    }
}

/// `int32_t mn_controller_create(int64_t input_dim, int64_t hidden_dim, int64_t output_dim, int64_t memory_size, int64_t memory_dim,
///  int64_t num_read_heads, int64_t num_write_heads, int32_t has_seed, uint64_t seed, mn_controller **out,
///  mn_status *status)`
@c(mn_controller_create)
public func mnControllerCreate(_ i: Int64, _ hd: Int64, _ o: Int64, _ n: Int64, _ w: Int64, _ r: Int64, _ writes: Int64,
                               _ hasSeed: Int32, _ seed: UInt64,
                               _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                               _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        var rng = hasSeed != 0 ? Xoshiro256(seed: seed) : Xoshiro256()
        out.pointee = retainHandle(try MemoryController(inputDim: Int(i), hiddenDim: Int(hd), outputDim: Int(o),
                                                        config: memoryConfig(n, w, r, writes), capacity: 1, rng: &rng))
    }
}

/// `void mn_controller_free(mn_controller *controller)`
@c(mn_controller_free)
public func mnControllerFree(_ h: UnsafeMutableRawPointer?) { release(h, as: MemoryController.self) }

/// `int64_t mn_controller_tensor_count(mn_controller *controller)`
@c(mn_controller_tensor_count)
public func mnControllerTensorCount(_ h: UnsafeMutableRawPointer) -> Int64 {
    Int64(object(h, as: MemoryController.self).layout.tensors.count)
}

/// `int32_t mn_controller_tensor_info(mn_controller *controller, int64_t index, char *name, int64_t name_capacity,
///  int64_t *shape, int32_t *ndim, mn_status *status)`: name (NUL-terminated), shape (up to 2 sizes), ndim.
@c(mn_controller_tensor_info)
public func mnControllerTensorInfo(_ h: UnsafeMutableRawPointer, _ index: Int64, _ name: UnsafeMutablePointer<CChar>,
                                   _ nameCapacity: Int64, _ shape: UnsafeMutablePointer<Int64>,
                                   _ ndim: UnsafeMutablePointer<Int32>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let tensors = object(h, as: MemoryController.self).layout.tensors
        guard index >= 0 && index < Int64(tensors.count) else {
            throw .indexOutOfRange("tensor index \(index) is out of range (0..<\(tensors.count))")
        }
        let t = tensors[Int(index)]
        let utf8 = Array(t.name.utf8)
        try require(Int64(utf8.count) < nameCapacity, "name buffer too small")
        for (k, c) in utf8.enumerated() { name[k] = CChar(bitPattern: c) }
        name[utf8.count] = 0
        ndim.pointee = Int32(t.shape.count)
        for (k, s) in t.shape.enumerated() { shape[k] = Int64(s) }
    }
}

/// `int32_t mn_controller_get_tensor(mn_controller *controller, int64_t index, float *out, int64_t count,
///  mn_status *status)`
@c(mn_controller_get_tensor)
public func mnControllerGetTensor(_ h: UnsafeMutableRawPointer, _ index: Int64, _ out: UnsafeMutablePointer<Float>,
                                  _ count: Int64, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let c = object(h, as: MemoryController.self)
        let t = try c.tensor(at: Int(index), count: Int(count))
        out.update(from: c.parameters.baseAddress! + t.offset, count: t.count)
    }
}

/// `int32_t mn_controller_set_tensor(mn_controller *controller, int64_t index, const float *values, int64_t count,
///  mn_status *status)`
@c(mn_controller_set_tensor)
public func mnControllerSetTensor(_ h: UnsafeMutableRawPointer, _ index: Int64, _ values: UnsafePointer<Float>,
                                  _ count: Int64, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let c = object(h, as: MemoryController.self)
        let t = try c.tensor(at: Int(index), count: Int(count))
        (c.parameters.baseAddress! + t.offset).update(from: values, count: t.count)
    }
}

/// `int32_t mn_controller_forward(mn_controller *controller, mn_memory_bank *bank, const float *x, float *output,
///  mn_status *status)`: the seed's `forward(x, memory_bank)` (reads, then writes the bank).
@c(mn_controller_forward)
public func mnControllerForward(_ h: UnsafeMutableRawPointer, _ bank: UnsafeMutableRawPointer,
                                _ x: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                                _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try object(h, as: MemoryController.self).forward(x: x, bank: object(bank, as: NeuralMemoryBank.self), output: output)
    }
}
