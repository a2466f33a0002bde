import Foundation
import MnemonetEngine
import Testing
import MnemonetTestSupport

/// Adam, SGD and clip_grad_norm_ against PyTorch (fixtures from tools/fixtures/make_engine_fixtures.py): ≤ 1e-5 relative.
@Suite struct OptimizerParityTests {
    func run(_ name: String, _ make: ([Tensor]) -> (step: () -> Void, zero: () -> Void)) throws {
        let f = try Fixture(name)
        let p0 = f["p0_init"].copy(), p1 = f["p1_init"].copy()
        let opt = make([p0, p1])
        let steps = (f.scalars["steps"] as! NSNumber).intValue, skip = (f.scalars["skip_step"] as! NSNumber).intValue
        for s in 0..<steps {
            opt.zero()
            #expect(p0.grad == nil && p1.grad == nil)
            p0.grad = f["g0_\(s)"].copy()
            p1.grad = s == skip ? nil : f["g1_\(s)"].copy()
            opt.step()
            #expect(relativeError(p0, f["p0_\(s)"]) <= 1e-5, "\(name) step \(s) p0: \(relativeError(p0, f["p0_\(s)"]))")
            #expect(relativeError(p1, f["p1_\(s)"]) <= 1e-5, "\(name) step \(s) p1: \(relativeError(p1, f["p1_\(s)"]))")
        }
    }

    @Test(arguments: ["adam_default", "adam_wd", "adam_amsgrad"])
    func adam(_ name: String) throws {
        try run(name) { ps in
            let o: Adam
            switch name {
            case "adam_wd": o = Adam(parameters: ps, lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1)
            case "adam_amsgrad": o = Adam(parameters: ps, lr: 0.05, amsgrad: true)
            default: o = Adam(parameters: ps)
            }
            return ({ o.step() }, { o.zeroGrad() })
        }
    }

    @Test(arguments: ["sgd_momentum", "sgd_nesterov", "sgd_plain"])
    func sgd(_ name: String) throws {
        try run(name) { ps in
            let o: SGD
            switch name {
            case "sgd_momentum": o = SGD(parameters: ps, lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
            case "sgd_nesterov": o = SGD(parameters: ps, lr: 0.05, momentum: 0.8, nesterov: true)
            default: o = SGD(parameters: ps, lr: 0.1)
            }
            return ({ o.step() }, { o.zeroGrad() })
        }
    }

    /// The buffer-pair path gives the same result as the Tensor path.
    @Test func adamBufferPathEqualsTensorPath() throws {
        let f = try Fixture("adam_default")
        let a = f["p0_init"].copy(), b = f["p0_init"].copy()
        let o1 = Adam(parameters: [a]), o2 = Adam(parameterCount: 1)
        for s in 0..<3 {
            a.grad = f["g0_\(s)"]
            o1.step()
            o2.update(index: 0, parameter: b.buffer, gradient: UnsafeBufferPointer(f["g0_\(s)"].buffer))
        }
        #expect(a.array == b.array)
    }

    @Test(arguments: ["clip_l2", "clip_l2_noop", "clip_inf", "clip_l3"])
    func clip(_ name: String) throws {
        let f = try Fixture(name)
        let a = Tensor(shape: f["ga"].shape), b = Tensor(shape: f["gb"].shape)
        a.grad = f["ga"].copy()
        b.grad = f["gb"].copy()
        let maxNorm = (f.scalars["max_norm"] as! NSNumber).floatValue
        let normType: Float = (f.scalars["norm_type"] as? String) == "inf" ? .infinity : (f.scalars["norm_type"] as! NSNumber).floatValue
        let total = clipGradNorm([a, b, Tensor(shape: [2])], maxNorm: maxNorm, normType: normType)
        #expect(abs(total - f["total"][flat: 0]) <= 1e-5 * f["total"][flat: 0])
        #expect(relativeError(a.grad!, f["ga_clipped"]) <= 1e-5)
        #expect(relativeError(b.grad!, f["gb_clipped"]) <= 1e-5)
    }
}
