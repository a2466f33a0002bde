// Library-wide exports (mnemonet.h, section "library").

/// `int32_t mn_abi_version(void)`
@c(mn_abi_version)
public func mnAbiVersion() -> Int32 { 1 }
import MnemonetAgent
import MnemonetEngine

/// `int64_t mn_tensor_cache(int32_t release)`: the bytes of large tensor buffers the engine keeps idle for reuse
/// (`TensorStorage`); with `release` ≠ 0 they are freed first (handed back to the system) and the bytes freed are
/// returned.
@c(mn_tensor_cache)
public func mnTensorCache(_ release: Int32) -> Int64 {
    let cached = TensorStorage.shared.cachedBytes
    if release != 0 { TensorStorage.shared.releaseCached() }
    return Int64(cached)
}
