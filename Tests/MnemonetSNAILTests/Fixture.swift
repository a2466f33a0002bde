// A copy of Tests/MnemonetEngineTests/Fixture.swift (SwiftPM test targets cannot import each other).
import Foundation

typealias NSNumberLike = NSNumber
import MnemonetEngine

/// A PyTorch parity fixture written by tools/fixtures/make_engine_fixtures.py.
struct Fixture {
    let tensors: [String: Tensor]
    let scalars: [String: Any]

    init(_ name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
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

    subscript(_ key: String) -> Tensor {
        guard let t = tensors[key] else { fatalError("fixture has no tensor \(key)") }
        return t
    }
}

/// max_i |a_i − b_i| / max(|b|_∞, tiny): the relative error of `a` against the reference `b`.
func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count, "relativeError: \(a.shape) vs \(b.shape)")
    var num: Float = 0, den: Float = 1e-30
    for i in 0..<a.count {
        num = max(num, abs(a[flat: i] - b[flat: i]))
        den = max(den, abs(b[flat: i]))
    }
    return num / den
}
