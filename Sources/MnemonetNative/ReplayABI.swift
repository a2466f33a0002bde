import MnemonetBase
import MnemonetReplay

// Prioritized replay exports (mnemonet.h, section "replay"). Plumbing only: unpack pointers, call MnemonetReplay.

/// The field buffers of a batch as Swift raw buffer pointers (`sizes[f]` bytes each).
@inlinable
func fieldBuffers(_ fields: UnsafePointer<UnsafeRawPointer?>?, _ sizes: UnsafePointer<Int64>?,
                  _ count: Int64) throws(MnemonetError) -> [UnsafeRawBufferPointer] {
    try require(count >= 0 && count <= 4096, "field count must be in 0...4096, got \(count)")
    guard count > 0 else { return [] }
    guard let fields, let sizes else { throw .invalidArgument("field buffers are null") }
    var out: [UnsafeRawBufferPointer] = []
    out.reserveCapacity(Int(count))
    for f in 0..<Int(count) {
        try require(sizes[f] >= 0, "field \(f) size must be >= 0, got \(sizes[f])")
        out.append(UnsafeRawBufferPointer(start: fields[f], count: Int(sizes[f])))
    }
    return out
}

/// Mutable field buffers (sample outputs), `sizes[f]` bytes each.
@inlinable
func mutableFieldBuffers(_ fields: UnsafePointer<UnsafeMutableRawPointer?>?, _ sizes: UnsafePointer<Int64>?,
                         _ count: Int64) throws(MnemonetError) -> [UnsafeMutableRawBufferPointer] {
    try require(count >= 0 && count <= 4096, "field count must be in 0...4096, got \(count)")
    guard count > 0 else { return [] }
    guard let fields, let sizes else { throw .invalidArgument("field buffers are null") }
    var out: [UnsafeMutableRawBufferPointer] = []
    out.reserveCapacity(Int(count))
    for f in 0..<Int(count) {
        try require(sizes[f] >= 0, "field \(f) size must be >= 0, got \(sizes[f])")
        out.append(UnsafeMutableRawBufferPointer(start: fields[f], count: Int(sizes[f])))
    }
    return out
}

/// The element types at `types[0..<count]` (`nil`: every field float32).
@inlinable
func typeArray(_ types: UnsafePointer<UInt8>?, _ count: Int64) throws(MnemonetError) -> [ReplayElementType]? {
    guard let types else { return nil }
    var out: [ReplayElementType] = []
    for f in 0..<Int(max(count, 0)) {
        guard let t = ReplayElementType(rawValue: types[f]) else {
            throw .invalidArgument("field \(f): unknown element type code \(types[f])")
        }
        out.append(t)
    }
    return out
}

/// Copies the element type codes of `types` into `out[0..<count]` (`count` must equal the field count).
@inlinable
func copyTypes(_ types: [ReplayElementType], _ out: UnsafeMutablePointer<UInt8>?, _ count: Int64) throws(MnemonetError) {
    try require(count == Int64(types.count) && out != nil, "expected room for \(types.count) field types, got \(count)")
    for f in 0..<types.count { out![f] = types[f].rawValue }
}

/// The field widths at `widths[0..<count]`.
@inlinable
func widthArray(_ widths: UnsafePointer<Int64>?, _ count: Int64) throws(MnemonetError) -> [Int] {
    try require(count >= 1 && count <= 4096, "field count must be in 1...4096, got \(count)")
    guard let widths else { throw .invalidArgument("field widths are null") }
    return (0..<Int(count)).map { Int(widths[$0]) }
}

/// Copies `text` as UTF-8 into `buffer[0..<capacity]` (NUL-terminated when it fits) and its length into `length`.
@inlinable
func copyOut(_ text: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64,
             _ length: UnsafeMutablePointer<Int64>?) {
    let utf8 = Array(text.utf8)
    length?.pointee = Int64(utf8.count)
    guard let buffer, capacity > 0 else { return }
    let n = min(utf8.count, Int(capacity))
    for i in 0..<n { buffer[i] = CChar(bitPattern: utf8[i]) }
    if n < Int(capacity) { buffer[n] = 0 }
}

/// `mn_replay_create`
@c(mn_replay_create)
public func mnReplayCreate(_ capacity: Int64, _ widths: UnsafePointer<Int64>?, _ types: UnsafePointer<UInt8>?,
                           _ fieldCount: Int64, _ alpha: Double,
                           _ eps: Double, _ sampling: Int32, _ hasSeed: Int32, _ seed: UInt64,
                           _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                           _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        guard let mode = SamplingMode(rawValue: sampling) else {
            throw .invalidArgument("unknown sampling mode \(sampling) (0: proportional, 1: seed, 2: rank)")
        }
        let buffer = try PrioritizedReplayBuffer(
            capacity: Int(capacity), fieldWidths: try widthArray(widths, fieldCount),
            fieldTypes: try typeArray(types, fieldCount), alpha: alpha, eps: eps,
            sampling: mode, seed: hasSeed != 0 ? seed : nil)
        out.pointee = retainHandle(buffer)
    }
}

/// `mn_replay_free`
@c(mn_replay_free)
public func mnReplayFree(_ handle: UnsafeMutableRawPointer?) {
    release(handle, as: PrioritizedReplayBuffer.self)
}

/// `mn_replay_add`
@c(mn_replay_add)
public func mnReplayAdd(_ handle: UnsafeMutableRawPointer, _ fields: UnsafePointer<UnsafeRawPointer?>?,
                        _ sizes: UnsafePointer<Int64>?, _ fieldCount: Int64, _ items: Int64,
                        _ priorities: UnsafePointer<Double>?, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let buffer = object(handle, as: PrioritizedReplayBuffer.self)
        try require(items >= 0, "item count must be >= 0, got \(items)")
        let p = priorities.map { UnsafeBufferPointer(start: $0, count: Int(items)) }
        try buffer.add(batch: try fieldBuffers(fields, sizes, fieldCount), items: Int(items), priorities: p)
    }
}

/// `mn_replay_sample`
@c(mn_replay_sample)
public func mnReplaySample(_ handle: UnsafeMutableRawPointer, _ batchSize: Int64, _ beta: Double,
                           _ indices: UnsafeMutablePointer<Int64>?, _ weights: UnsafeMutablePointer<Float>?,
                           _ fields: UnsafePointer<UnsafeMutableRawPointer?>?, _ sizes: UnsafePointer<Int64>?,
                           _ fieldCount: Int64, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let buffer = object(handle, as: PrioritizedReplayBuffer.self)
        try require(batchSize >= 1, "sample: batch_size must be >= 1, got \(batchSize)")
        guard let indices, let weights else { throw .invalidArgument("sample: output buffers are null") }
        try buffer.sample(
            batchSize: Int(batchSize), beta: beta,
            indices: UnsafeMutableBufferPointer(start: indices, count: Int(batchSize)),
            weights: UnsafeMutableBufferPointer(start: weights, count: Int(batchSize)),
            fields: try mutableFieldBuffers(fields, sizes, fieldCount))
    }
}

/// `mn_replay_update_priorities`
@c(mn_replay_update_priorities)
public func mnReplayUpdatePriorities(_ handle: UnsafeMutableRawPointer, _ indices: UnsafePointer<Int64>?,
                                     _ priorities: UnsafePointer<Double>?, _ count: Int64,
                                     _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try require(count >= 0, "count must be >= 0, got \(count)")
        guard count == 0 || (indices != nil && priorities != nil) else { throw .invalidArgument("null buffers") }
        try object(handle, as: PrioritizedReplayBuffer.self).updatePriorities(
            indices: UnsafeBufferPointer(start: indices, count: Int(count)),
            priorities: UnsafeBufferPointer(start: priorities, count: Int(count)))
    }
}

/// `mn_replay_priorities`
@c(mn_replay_priorities)
public func mnReplayPriorities(_ handle: UnsafeMutableRawPointer, _ indices: UnsafePointer<Int64>?,
                               _ out: UnsafeMutablePointer<Double>?, _ count: Int64,
                               _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try require(count >= 0, "count must be >= 0, got \(count)")
        guard count == 0 || (indices != nil && out != nil) else { throw .invalidArgument("null buffers") }
        let buffer = object(handle, as: PrioritizedReplayBuffer.self)
        for j in 0..<Int(count) {
            guard let i = Int(exactly: indices![j]) else { throw .indexOutOfRange("index \(indices![j]) is out of range") }
            out![j] = try buffer.storedPriority(at: i)
        }
    }
}

/// `mn_replay_count`
@c(mn_replay_count)
public func mnReplayCount(_ handle: UnsafeMutableRawPointer) -> Int64 {
    Int64(object(handle, as: PrioritizedReplayBuffer.self).count)
}

/// `mn_replay_describe`
@c(mn_replay_describe)
public func mnReplayDescribe(_ handle: UnsafeMutableRawPointer, _ capacity: UnsafeMutablePointer<Int64>?,
                             _ fieldCount: UnsafeMutablePointer<Int64>?, _ alpha: UnsafeMutablePointer<Double>?,
                             _ eps: UnsafeMutablePointer<Double>?, _ sampling: UnsafeMutablePointer<Int32>?,
                             _ position: UnsafeMutablePointer<Int64>?, _ maxPriority: UnsafeMutablePointer<Double>?) {
    let b = object(handle, as: PrioritizedReplayBuffer.self)
    capacity?.pointee = Int64(b.capacity)
    fieldCount?.pointee = Int64(b.fieldWidths.count)
    alpha?.pointee = b.alpha
    eps?.pointee = b.eps
    sampling?.pointee = b.sampling.rawValue
    position?.pointee = Int64(b.position)
    maxPriority?.pointee = b.maxPriority
}

/// `mn_replay_field_widths`
@c(mn_replay_field_widths)
public func mnReplayFieldWidths(_ handle: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<Int64>?,
                                _ count: Int64, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let w = object(handle, as: PrioritizedReplayBuffer.self).fieldWidths
        try require(count == Int64(w.count) && out != nil, "expected room for \(w.count) field widths, got \(count)")
        for f in 0..<w.count { out![f] = Int64(w[f]) }
    }
}

/// `mn_replay_field_types`
@c(mn_replay_field_types)
public func mnReplayFieldTypes(_ handle: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<UInt8>?,
                               _ count: Int64, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try copyTypes(object(handle, as: PrioritizedReplayBuffer.self).fieldTypes, out, count)
    }
}

/// `mn_replay_set_metadata`
@c(mn_replay_set_metadata)
public func mnReplaySetMetadata(_ handle: UnsafeMutableRawPointer, _ utf8: UnsafePointer<CChar>?,
                                _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        guard let utf8 else { throw .invalidArgument("metadata is null") }
        object(handle, as: PrioritizedReplayBuffer.self).metadata = string(utf8)
    }
}

/// `mn_replay_get_metadata`
@c(mn_replay_get_metadata)
public func mnReplayGetMetadata(_ handle: UnsafeMutableRawPointer, _ buffer: UnsafeMutablePointer<CChar>?,
                                _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?,
                                _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        copyOut(object(handle, as: PrioritizedReplayBuffer.self).metadata, buffer, capacity, length)
    }
}

/// `mn_replay_check_invariants`
@c(mn_replay_check_invariants)
public func mnReplayCheckInvariants(_ handle: UnsafeMutableRawPointer, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        if let problem = object(handle, as: PrioritizedReplayBuffer.self)._checkInvariants() {
            throw .invalidState("replay invariant violated: \(problem)")
        }
    }
}

/// `mn_replay_save`
@c(mn_replay_save)
public func mnReplaySave(_ handle: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>?,
                         _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        guard let path else { throw .invalidArgument("path is null") }
        try object(handle, as: PrioritizedReplayBuffer.self).save(path: string(path))
    }
}

/// `mn_replay_load`
@c(mn_replay_load)
public func mnReplayLoad(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                         _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        guard let path else { throw .invalidArgument("path is null") }
        out.pointee = retainHandle(try PrioritizedReplayBuffer.load(path: string(path)))
    }
}
