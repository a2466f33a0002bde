// swift-tools-version:6.0
//
// mnemonet — neural memory agents that learn continually.
//
// Dependency arrows point down only:
//
//   MnemonetNative (C ABI exports, linked into the CPython extension)
//     └─ MnemonetAgent ─┬─ MnemonetMemory ─┐
//                       ├─ MnemonetMeta ───┼─ MnemonetEngine ─ COpenBLAS
//                       └─ MnemonetReplay ─┴─ MnemonetBase
//
// No target imports Foundation: the extension links the Swift runtime statically and Foundation would add ~60 MB.
import PackageDescription

/// Settings shared by every Swift target (kept in one place so that a flag is never set on half of them).
let releaseFlags: [SwiftSetting] = []

let package = Package(
    name: "Mnemonet",
    // MARK: Public API
    products: [
        /// The static library that `setup.py` links into `mnemonet._native` (the C ABI described by
        /// `Sources/MnemonetNative/include/mnemonet.h`).
        .library(name: "MnemonetNative", type: .static, targets: ["MnemonetNative"]),
        /// The Swift API, for Swift users and for the tests.
        .library(name: "Mnemonet", targets: ["MnemonetAgent"]),
    ],
    // MARK: Implementation
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(name: "MnemonetBase", swiftSettings: releaseFlags),
        .target(name: "MnemonetReplay", dependencies: ["MnemonetBase"], swiftSettings: releaseFlags),
        .target(name: "MnemonetEngine", dependencies: ["MnemonetBase", "COpenBLAS"], swiftSettings: releaseFlags),
        .target(name: "MnemonetMemory", dependencies: ["MnemonetEngine"], swiftSettings: releaseFlags),
        .target(name: "MnemonetMeta", dependencies: ["MnemonetEngine"], swiftSettings: releaseFlags),
        .target(
            name: "MnemonetAgent",
            dependencies: ["MnemonetMemory", "MnemonetMeta", "MnemonetReplay"],
            swiftSettings: releaseFlags),
        .target(
            name: "MnemonetNative",
            dependencies: ["MnemonetAgent"],
            exclude: ["include"],
            swiftSettings: releaseFlags),
        // MARK: Tests
        .testTarget(name: "MnemonetBaseTests", dependencies: ["MnemonetBase"]),
        .testTarget(name: "MnemonetReplayTests", dependencies: ["MnemonetReplay"]),
        .testTarget(name: "MnemonetEngineTests", dependencies: ["MnemonetEngine"], exclude: ["Fixtures"]),
        .testTarget(name: "MnemonetAgentTests", dependencies: ["MnemonetAgent"]),
        .testTarget(name: "MnemonetMetaTests", dependencies: ["MnemonetMeta"]),
    ]
)
