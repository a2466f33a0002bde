// Library-wide exports (mnemonet.h, section "library").

/// `int32_t mn_abi_version(void)`
@c(mn_abi_version)
public func mnAbiVersion() -> Int32 { 1 }
import MnemonetAgent
