import Foundation
import MnemonetBase
import MnemonetEngine
import MnemonetMeta
import Testing

/// One case of Fixtures/meta_fixtures.json (written by tools/fixtures/make_meta_fixtures.py with PyTorch,
/// torch.autograd.grad(create_graph=True), float64).
struct MetaFixture: Decodable {
    let name: String
    let sizes: [Int]
    let activation: String
    let steps: Int
    let inner_lr: Float
    let theta, support_x, support_y, query_x, query_y: [Float]
    let maml_query_loss: Double
    let maml_meta_gradient, fomaml_meta_gradient: [Double]
    let support_loss: Double
    let support_gradient, hvp_vector, hvp: [Double]
    let alphas: [Float]
    let metasgd_query_loss: Double
    let metasgd_meta_gradient, metasgd_alpha_gradient: [Double]
    let reptile_pseudo_gradient, adapted_theta: [Double]

    var task: RegressionTask {
        RegressionTask(supportX: support_x, supportY: support_y, queryX: query_x, queryY: query_y)
    }

    func mlp() throws -> MLP {
        try MLP(layerSizes: sizes, activation: activation == "tanh" ? .tanh : .relu)
    }

    func learner(_ algorithm: MetaAlgorithm, backend: MetaBackend = .fused) throws -> MetaLearner {
        var c = MetaLearnerConfig()
        c.backend = backend
        c.algorithm = algorithm
        c.innerLearningRate = inner_lr
        c.innerSteps = steps
        let l = try MetaLearner(mlp: try mlp(), config: c, seed: 0)
        try l.setParameters(theta)
        if algorithm == .metaSGD { try l.setAlphas(alphas) }
        return l
    }
}

struct MetaFixtureFile: Decodable { let cases: [MetaFixture] }

func loadFixtures() throws -> [MetaFixture] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/meta_fixtures.json")
    return try JSONDecoder().decode(MetaFixtureFile.self, from: Data(contentsOf: url)).cases
}

/// ‖a − b‖ / ‖b‖ in double precision.
func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    var num = 0.0, den = 0.0
    for i in 0..<a.count {
        num += (Double(a[i]) - b[i]) * (Double(a[i]) - b[i])
        den += b[i] * b[i]
    }
    return (num / max(den, 1e-300)).squareRoot()
}

@Suite struct PyTorchParityTests {
    @Test func supportGradientAndHessianVectorProduct() throws {
        for f in try loadFixtures() {
            let ws = MLPWorkspace(try f.mlp())
            let (loss, grad) = try ws.lossAndGradient(theta: f.theta, x: f.support_x, y: f.support_y)
            #expect(abs(Double(loss) - f.support_loss) <= 1e-5 * max(1, f.support_loss), "\(f.name)")
            #expect(relativeError(grad, f.support_gradient) <= 1e-4, "\(f.name)")
            let hv = try ws.hessianVectorProduct(theta: f.theta, x: f.support_x, y: f.support_y,
                                                 v: f.hvp_vector.map { Float($0) })
            #expect(relativeError(hv, f.hvp) <= 1e-4, "\(f.name): \(relativeError(hv, f.hvp))")
        }
    }

    @Test(arguments: MetaBackend.allCases)
    func secondOrderMAMLMetaGradientMatchesCreateGraph(_ backend: MetaBackend) throws {
        for f in try loadFixtures() {
            let r = try f.learner(.maml, backend: backend).metaGradient(task: f.task)
            let e = relativeError(r.gradient, f.maml_meta_gradient)
            #expect(e <= 1e-4, "\(f.name): relative error \(e)")
            #expect(abs(Double(r.queryLoss) - f.maml_query_loss) <= 1e-5 * max(1, f.maml_query_loss))
            // And it is not the first-order one (the test can tell them apart).
            #expect(relativeError(r.gradient, f.fomaml_meta_gradient) > 1e-3 || f.steps == 0, "\(f.name)")
        }
    }

    @Test(arguments: MetaBackend.allCases)
    func firstOrderMAMLMatches(_ backend: MetaBackend) throws {
        for f in try loadFixtures() {
            let r = try f.learner(.maml, backend: backend).metaGradient(task: f.task, firstOrder: true)
            let e = relativeError(r.gradient, f.fomaml_meta_gradient)
            #expect(e <= 1e-4, "\(f.name): relative error \(e)")
        }
    }

    @Test(arguments: MetaBackend.allCases)
    func metaSGDGradientsMatch(_ backend: MetaBackend) throws {
        for f in try loadFixtures() {
            let r = try f.learner(.metaSGD, backend: backend).metaGradient(task: f.task)
            let e = relativeError(r.gradient, f.metasgd_meta_gradient)
            let ea = relativeError(r.alphaGradient, f.metasgd_alpha_gradient)
            #expect(e <= 1e-4, "\(f.name): theta relative error \(e)")
            #expect(ea <= 1e-4, "\(f.name): alpha relative error \(ea)")
            #expect(abs(Double(r.queryLoss) - f.metasgd_query_loss) <= 1e-5 * max(1, f.metasgd_query_loss))
        }
    }

    @Test func reptileAndAdaptationMatch() throws {
        for f in try loadFixtures() {
            let l = try f.learner(.reptile)
            let r = try l.metaGradient(task: f.task)
            #expect(relativeError(r.gradient, f.reptile_pseudo_gradient) <= 1e-4, "\(f.name)")
            let adapted = try l.adapt(x: f.support_x, y: f.support_y, steps: f.steps, lr: f.inner_lr)
            #expect(relativeError(adapted, f.adapted_theta) <= 1e-5, "\(f.name)")
        }
    }
}
