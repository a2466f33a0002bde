// swift-tools-version:6.0
//
// mnemonet — neural memory agents that learn continually.
//
// Dependency arrows point down only:
//
//   MnemonetNative (C ABI exports, linked into the CPython extension)
//     ├─ MnemonetContinual (strategies over a shared loop) ─┬─ MnemonetAgent, MnemonetMeta, MnemonetReplay
//     └─ MnemonetAgent ─┬─ MnemonetMemory ─┐
//                       ├─ MnemonetMeta ───┼─ MnemonetEngine ─ COpenBLAS
//                       └─ MnemonetReplay ─┴─ MnemonetBase
//     └─ MnemonetSNAIL ─── MnemonetEngine
//
// No target imports Foundation: the extension links the Swift runtime statically and Foundation would add ~60 MB.
import PackageDescription

#if canImport(Glibc)
import Glibc
#endif

/// Code generation for the machine that builds (mnemonet is always built from source, like `-march=native`): on an
/// x86-64 host with the Haswell feature set (AVX2, FMA, BMI1/2, F16C, MOVBE, LZCNT, POPCNT) the Swift code targets `haswell`, which doubles the width of the
/// SIMD8<Float> kernels and fuses multiply-adds (measured: agent step 105 → 64 µs without replay). Set
/// MNEMONET_PORTABLE=1 to build for baseline x86-64 (e.g. to ship the build to older CPUs). A Haswell build also
/// defines the compilation condition MNEMONET_HASWELL.
func hostCPUSettings() -> [SwiftSetting] {
    #if arch(x86_64) && os(Linux)
    if getenv("MNEMONET_PORTABLE") != nil { return [] }
    guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 1 << 16)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard text.hasPrefix("flags") else { continue }
        let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
        let haswell: Set<String> = ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "popcnt", "pclmulqdq", "aes", "xsaveopt", "fsgsbase", "rdrand"]
        // MNEMONET_HASWELL lets code use AVX/AVX2 intrinsics that a baseline x86-64 build cannot compile.
        return haswell.isSubset(of: flags) ? [.unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release)),
                                              .define("MNEMONET_HASWELL", .when(configuration: .release))] : []
    }
    #endif
    return []
}

/// Settings shared by every Swift target (kept in one place so that a flag is never set on half of them).
let releaseFlags: [SwiftSetting] = hostCPUSettings()

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
        .systemLibrary(name: "CMnemonetKernels", path: "Sources/CMnemonetKernels"),
        .target(name: "MnemonetReplay", dependencies: ["MnemonetBase", "CMnemonetKernels"], swiftSettings: releaseFlags),
        .target(name: "MnemonetEngine", dependencies: ["MnemonetBase", "COpenBLAS"], swiftSettings: releaseFlags),
        .target(name: "MnemonetMemory", dependencies: ["MnemonetEngine"], swiftSettings: releaseFlags),
        .target(name: "MnemonetMeta", dependencies: ["MnemonetEngine"], swiftSettings: releaseFlags),
        .target(
            name: "MnemonetAgent",
            dependencies: ["MnemonetMemory", "MnemonetMeta", "MnemonetReplay"],
            swiftSettings: releaseFlags),
        .target(name: "MnemonetSNAIL", dependencies: ["MnemonetEngine"], swiftSettings: releaseFlags),
        .target(
            name: "MnemonetContinual",
            dependencies: ["MnemonetAgent", "MnemonetMeta", "MnemonetReplay"],
            swiftSettings: releaseFlags),
        .target(
            name: "MnemonetNative",
            dependencies: ["MnemonetAgent", "MnemonetContinual", "MnemonetSNAIL"],
            exclude: ["include"],
            swiftSettings: releaseFlags),
        // MARK: Tests
        .testTarget(name: "MnemonetBaseTests", dependencies: ["MnemonetBase"]),
        .testTarget(name: "MnemonetReplayTests", dependencies: ["MnemonetReplay"]),
        // Fixture loading and finite-difference checks shared by the test targets (a plain target: test targets cannot
        // import each other). Never linked into the extension.
        .target(name: "MnemonetTestSupport", dependencies: ["MnemonetEngine"], path: "Tests/MnemonetTestSupport"),
        .testTarget(name: "MnemonetEngineTests", dependencies: ["MnemonetEngine", "MnemonetTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MnemonetAgentTests", dependencies: ["MnemonetAgent"]),
        .testTarget(name: "MnemonetMetaTests", dependencies: ["MnemonetMeta"], exclude: ["Fixtures"]),
        .testTarget(name: "MnemonetSNAILTests", dependencies: ["MnemonetSNAIL", "MnemonetTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MnemonetDNCTests", dependencies: ["MnemonetMemory", "MnemonetTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MnemonetContinualTests", dependencies: ["MnemonetContinual"], exclude: ["Fixtures"]),
    ]
)
