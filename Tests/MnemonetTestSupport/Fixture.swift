// Test support (Foundation is fine here: this target is linked into the test runner only, never into the extension).
import Foundation
import MnemonetEngine

/// A PyTorch parity fixture written by one of tools/fixtures/make_*_fixtures.py:
/// `{"tensors": {name: {"shape": [...], "values": [...]}}, "scalars": {...}}`, read from the `Fixtures` folder beside
/// the calling test file (`file` defaults to the caller's `#filePath`).
public struct Fixture {
    public let tensors: [String: Tensor]
    public let scalars: [String: Any]

    public init(_ name: String, near file: StaticString = #filePath) throws {
        let dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Fixtures")
        let data = try Data(contentsOf: dir.appendingPathComponent(name + ".json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var ts: [String: Tensor] = [:]
        for (k, v) in root["tensors"] as! [String: Any] {
            let d = v as! [String: Any]
            let shape = (d["shape"] as! [NSNumber]).map { $0.intValue }
            let values = (d["values"] as! [NSNumber]).map { $0.floatValue }
            ts[k] = Tensor(shape: shape, values: values)
        }
        tensors = ts
        scalars = root["scalars"] as? [String: Any] ?? [:]
    }

    public subscript(_ key: String) -> Tensor {
        guard let t = tensors[key] else { fatalError("fixture has no tensor \(key)") }
        return t
    }

    /// An integer scalar of the fixture.
    public func int(_ key: String) -> Int { (scalars[key] as! NSNumber).intValue }
}

/// max_i |a_i − b_i| / max(|b|_∞, tiny): the relative error of `a` against the reference `b`.
public func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count, "relativeError: \(a.shape) vs \(b.shape)")
    var num: Float = 0, den: Float = 1e-30
    for i in 0..<a.count {
        num = max(num, abs(a[flat: i] - b[flat: i]))
        den = max(den, abs(b[flat: i]))
    }
    return num / den
}
