import MnemonetBase
import MnemonetReplay

// Reservoir replay exports (mnemonet.h, section "replay"). Plumbing only.

/// `mn_reservoir_create`
@c(mn_reservoir_create)
public func mnReservoirCreate(_ capacity: Int64, _ widths: UnsafePointer<Int64>?, _ types: UnsafePointer<UInt8>?,
                              _ fieldCount: Int64,
                              _ hasSeed: Int32, _ seed: UInt64, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                              _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let buffer = try ReservoirReplayBuffer(capacity: Int(capacity), fieldWidths: try widthArray(widths, fieldCount),
                                               fieldTypes: try typeArray(types, fieldCount),
                                               seed: hasSeed != 0 ? seed : nil)
        out.pointee = retainHandle(buffer)
    }
}

/// `mn_reservoir_free`
@c(mn_reservoir_free)
public func mnReservoirFree(_ handle: UnsafeMutableRawPointer?) {
    release(handle, as: ReservoirReplayBuffer.self)
}

/// `mn_reservoir_add`
@c(mn_reservoir_add)
public func mnReservoirAdd(_ handle: UnsafeMutableRawPointer, _ fields: UnsafePointer<UnsafeRawPointer?>?,
                           _ sizes: UnsafePointer<Int64>?, _ fieldCount: Int64, _ items: Int64,
                           _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try require(items >= 0, "item count must be >= 0, got \(items)")
        try object(handle, as: ReservoirReplayBuffer.self).add(
            batch: try fieldBuffers(fields, sizes, fieldCount), items: Int(items))
    }
}

/// `mn_reservoir_sample`
@c(mn_reservoir_sample)
public func mnReservoirSample(_ handle: UnsafeMutableRawPointer, _ batchSize: Int64,
                              _ indices: UnsafeMutablePointer<Int64>?,
                              _ fields: UnsafePointer<UnsafeMutableRawPointer?>?, _ sizes: UnsafePointer<Int64>?,
                              _ fieldCount: Int64, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try require(batchSize >= 1, "sample: batch_size must be >= 1, got \(batchSize)")
        guard let indices else { throw .invalidArgument("sample: output buffers are null") }
        try object(handle, as: ReservoirReplayBuffer.self).sample(
            batchSize: Int(batchSize), indices: UnsafeMutableBufferPointer(start: indices, count: Int(batchSize)),
            fields: try mutableFieldBuffers(fields, sizes, fieldCount))
    }
}

/// `mn_reservoir_describe`
@c(mn_reservoir_describe)
public func mnReservoirDescribe(_ handle: UnsafeMutableRawPointer, _ count: UnsafeMutablePointer<Int64>?,
                                _ capacity: UnsafeMutablePointer<Int64>?, _ fieldCount: UnsafeMutablePointer<Int64>?,
                                _ seen: UnsafeMutablePointer<Int64>?) {
    let r = object(handle, as: ReservoirReplayBuffer.self)
    count?.pointee = Int64(r.count)
    capacity?.pointee = Int64(r.capacity)
    fieldCount?.pointee = Int64(r.fieldWidths.count)
    seen?.pointee = Int64(r.seen)
}

/// `mn_reservoir_field_widths`
@c(mn_reservoir_field_widths)
public func mnReservoirFieldWidths(_ handle: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<Int64>?,
                                   _ count: Int64, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let w = object(handle, as: ReservoirReplayBuffer.self).fieldWidths
        try require(count == Int64(w.count) && out != nil, "expected room for \(w.count) field widths, got \(count)")
        for f in 0..<w.count { out![f] = Int64(w[f]) }
    }
}

/// `mn_reservoir_field_types`
@c(mn_reservoir_field_types)
public func mnReservoirFieldTypes(_ handle: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<UInt8>?,
                                  _ count: Int64, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        try copyTypes(object(handle, as: ReservoirReplayBuffer.self).fieldTypes, out, count)
    }
}

/// `mn_reservoir_set_metadata`
@c(mn_reservoir_set_metadata)
public func mnReservoirSetMetadata(_ handle: UnsafeMutableRawPointer, _ utf8: UnsafePointer<CChar>?,
                                   _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        guard let utf8 else { throw .invalidArgument("metadata is null") }
        object(handle, as: ReservoirReplayBuffer.self).metadata = string(utf8)
    }
}

/// `mn_reservoir_get_metadata`
@c(mn_reservoir_get_metadata)
public func mnReservoirGetMetadata(_ handle: UnsafeMutableRawPointer, _ buffer: UnsafeMutablePointer<CChar>?,
                                   _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?,
                                   _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        copyOut(object(handle, as: ReservoirReplayBuffer.self).metadata, buffer, capacity, length)
    }
}

/// `mn_reservoir_save`
@c(mn_reservoir_save)
public func mnReservoirSave(_ handle: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>?,
                            _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        guard let path else { throw .invalidArgument("path is null") }
        try object(handle, as: ReservoirReplayBuffer.self).save(path: string(path))
    }
}

/// `mn_reservoir_load`
@c(mn_reservoir_load)
public func mnReservoirLoad(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                            _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        guard let path else { throw .invalidArgument("path is null") }
        out.pointee = retainHandle(try ReservoirReplayBuffer.load(path: string(path)))
    }
}
