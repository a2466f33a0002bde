import Glibc
import MnemonetBase
import MnemonetEngine

/// The settings of ``BanditActorCritic`` (advantage actor-critic with generalised advantage estimation).
public struct ActorCriticConfig: Equatable, Sendable {
    /// γ, the discount of the returns.
    public var discount: Float = 0.99
    /// λ of GAE (Schulman et al. 2016): A_t = Σ_l (γλ)^l δ_{t+l}.
    public var gaeLambda: Float = 0.95
    /// c_v, the weight of the value loss.
    public var valueCoefficient: Float = 0.5
    /// c_H, the weight of the entropy bonus.
    public var entropyCoefficient: Float = 0.01
    /// Standardise the advantages over the batch (mean 0, std 1).
    public var normalizeAdvantages: Bool = true
    /// Defaults: γ 0.99, λ 0.95, c_v 0.5, c_H 0.01, normalised advantages.
    public init() {}
    /// Throws for values outside their domains.
    public func validate() throws(MnemonetError) {
        guard discount >= 0, discount <= 1 else { throw .invalidArgument("discount \(discount) must be in [0, 1]") }
        guard gaeLambda >= 0, gaeLambda <= 1 else { throw .invalidArgument("gae_lambda \(gaeLambda) must be in [0, 1]") }
        guard valueCoefficient.isFinite, valueCoefficient >= 0 else { throw .invalidArgument("value_coef must be ≥ 0") }
        guard entropyCoefficient.isFinite, entropyCoefficient >= 0 else { throw .invalidArgument("entropy_coef must be ≥ 0") }
    }
}

/// One batch of bandit episodes played by the policy: inputs x [B, N, I], actions, rewards, values V(x_t).
public struct BanditRollout {
    /// x [B, N, I].
    public var inputs: Tensor
    /// a_t per episode, [B·N] row-major.
    public var actions: [Int]
    /// r_t, [B·N].
    public var rewards: [Float]
    /// V_t from the critic, [B·N].
    public var values: [Float]
    /// A rollout from its parts (shapes as documented on the fields).
    public init(inputs: Tensor, actions: [Int], rewards: [Float], values: [Float]) {
        self.inputs = inputs
        self.actions = actions
        self.rewards = rewards
        self.values = values
    }
    /// Σ_t r_t per episode, [B].
    public var totals: [Float] {
        let n = rewards.count / max(inputs.shape[0], 1)
        return (0..<inputs.shape[0]).map { e in rewards[(e * n)..<((e + 1) * n)].reduce(0, +) }
    }
}

/// Meta-RL on ``BanditTask`` with a SNAIL policy-and-value network (outputs: K logits, then V), trained by
/// advantage actor-critic (A2C) with GAE:
///
///     δ_t = r_t + γ·V_{t+1} − V_t   (V_N = 0)       A_t = Σ_l (γλ)^l δ_{t+l}       R_t = A_t + V_t
///     L = −mean_{b,t} log π(a_t | x_{≤t})·Â_t + c_v·mean ½(V_t − R_t)² − c_H·mean H(π(·| x_{≤t}))
///
/// (Â: A standardised over the batch when `normalizeAdvantages`; A and R are constants.) The critic's output v̂_t is
/// in units of the horizon H = Σ_{l<N} γ^l (``valueScale(pulls:config:)``): V_t = H·v̂_t, and the value loss is
/// taken on v̂, ½(v̂_t − R_t/H)², so returns of any episode length are O(1) targets (at N = 100 the raw returns reach
/// ~60, and ½(V − R)² then dominates the clipped gradient, leaving the policy at random). The paper trains with
/// TRPO; A2C is the simpler on-policy gradient. Episodes are rolled out incrementally (``SNAILStepper``) and
/// the loss is computed on one full-sequence forward pass of the recorded inputs.
public enum BanditActorCritic {
    /// Plays B episodes with the current weights: actions sampled from π (or its argmax when `greedy`).
    public static func rollout(
        model: SNAIL, task: BanditTask, config: ActorCriticConfig, probabilities p: Tensor, uniforms u: Tensor,
        greedy: Bool, rng: inout Xoshiro256
    ) -> BanditRollout {
        let (b, n, k, i) = (p.shape[0], task.pulls, task.arms, task.inputSize)
        let scale = valueScale(pulls: n, config: config)
        let stepper = SNAILStepper(model)
        var state = stepper.initialState(batch: b, maxLength: n)
        let inputs = Tensor(shape: [b, n, i])
        var actions = [Int](repeating: 0, count: b * n), rewards = [Float](repeating: 0, count: b * n)
        var values = [Float](repeating: 0, count: b * n)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: b * i)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: b * (k + 1))
        defer { x.deallocate(); y.deallocate() }
        for t in 0..<n {
            for e in 0..<b {
                let prev = t == 0 ? nil : actions[e * n + t - 1]
                task.encode(previousAction: prev, previousReward: t == 0 ? 0 : rewards[e * n + t - 1], time: t, into: x + e * i)
                (inputs.pointer + (e * n + t) * i).update(from: x + e * i, count: i)
            }
            stepper.step(x, &state, output: y)
            for e in 0..<b {
                let logits = y + e * (k + 1)
                let a = greedy ? argmax(logits, k) : sampleSoftmax(logits, k, &rng)
                actions[e * n + t] = a
                rewards[e * n + t] = u[flat: (e * n + t) * k + a] < p[flat: e * k + a] ? 1 : 0
                values[e * n + t] = scale * logits[k]
            }
        }
        return BanditRollout(inputs: inputs, actions: actions, rewards: rewards, values: values)
    }

    /// H = Σ_{l<N} γ^l = (1 − γ^N)/(1 − γ) (N when γ = 1), the largest discounted return of an episode of N pulls
    /// of reward ≤ 1: the critic's unit (V_t = H·v̂_t).
    public static func valueScale(pulls n: Int, config c: ActorCriticConfig) -> Float {
        c.discount >= 1 ? Float(n) : max((1 - powf(c.discount, Float(n))) / (1 - c.discount), 1e-6)
    }

    /// A and R [B·N] for a rollout (GAE over each episode).
    public static func advantages(_ r: BanditRollout, pulls n: Int, config c: ActorCriticConfig) -> (adv: [Float], ret: [Float]) {
        let b = r.rewards.count / n
        var adv = [Float](repeating: 0, count: b * n), ret = adv
        for e in 0..<b {
            var acc: Float = 0
            for t in stride(from: n - 1, through: 0, by: -1) {
                let i = e * n + t
                let next = t + 1 < n ? r.values[i + 1] : 0
                let delta = r.rewards[i] + c.discount * next - r.values[i]
                acc = delta + c.discount * c.gaeLambda * acc
                adv[i] = acc
                ret[i] = acc + r.values[i]
            }
        }
        return (adv, ret)
    }

    /// The actor-critic loss of a rollout (a graph over the model's parameters) and its parts.
    public static func loss(model: SNAIL, task: BanditTask, rollout r: BanditRollout, config c: ActorCriticConfig)
        -> (total: Variable, policy: Float, value: Float, entropy: Float)
    {
        let (b, n, k) = (r.inputs.shape[0], task.pulls, task.arms)
        var (adv, ret) = advantages(r, pulls: n, config: c)
        if c.normalizeAdvantages && adv.count > 1 {
            let mean = adv.reduce(0, +) / Float(adv.count)
            let std = (adv.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(adv.count)).squareRoot()
            adv = adv.map { ($0 - mean) / (std + 1e-8) }
        }
        let y = model(Variable(r.inputs)).reshaped([b * n, k + 1])
        let parts = y.split(axis: 1, sizes: [k, 1])
        let logp = parts[0].logSoftmax()
        let chosen = logp.gather(indices: r.actions, count: 1).reshaped([b * n])
        let policy = -(chosen * Variable(Tensor(shape: [b * n], values: adv))).mean()
        let scale = valueScale(pulls: n, config: c)
        let scaledReturns = Tensor(shape: [b * n], values: ret.map { $0 / scale })
        let value = (parts[1].reshaped([b * n]) - Variable(scaledReturns)).squared().mean() * 0.5
        let entropy = -(logp.exp() * logp).sum(axis: 1).mean()
        let total = policy + value * c.valueCoefficient - entropy * c.entropyCoefficient
        return (total, policy.scalar, value.scalar, entropy.scalar)
    }

    /// One A2C update on `batch` fresh episodes; returns the mean total reward of those episodes.
    @discardableResult
    public static func trainStep(learner: SNAILLearner, task: BanditTask, batch: Int, config: ActorCriticConfig)
        throws(MnemonetError) -> Float
    {
        try check(learner.model, task)
        guard batch >= 1 else { throw .invalidArgument("batch \(batch) must be ≥ 1") }
        try learner.model.checkWorkload(batch: batch, length: task.pulls)
        let (p, u) = task.draw(episodes: batch, rng: &learner.rng)
        let r = rollout(model: learner.model, task: task, config: config, probabilities: p, uniforms: u, greedy: false,
                        rng: &learner.rng)
        let params = learner.model.namedParameters.map(\.variable)
        let l = GradMode.withGrad { loss(model: learner.model, task: task, rollout: r, config: config).total }
        guard l.scalar.isFinite else { throw .invalidState("bandit actor-critic: the loss is \(l.scalar)") }
        learner.apply(gradients: gradients(of: l, wrt: params).map { $0.value.reshaped($0.shape) })
        return r.totals.reduce(0, +) / Float(batch)
    }

    /// Σ_t r_t per episode [E] for given draws p [E, K], u [E, N, K] (batches of at most `chunk` episodes).
    public static func evaluate(
        learner: SNAILLearner, task: BanditTask, probabilities p: Tensor, uniforms u: Tensor, greedy: Bool, chunk: Int = 256
    ) throws(MnemonetError) -> [Float] {
        try check(learner.model, task)
        let e = p.shape[0], (n, k) = (task.pulls, task.arms)
        guard p.shape == [e, k], u.shape == [e, n, k] else {
            throw .invalidArgument("probabilities \(p.shape) / uniforms \(u.shape), expected [E, \(k)] / [E, \(n), \(k)]")
        }
        try learner.model.checkWorkload(batch: min(chunk, max(e, 1)), length: n)
        var totals: [Float] = []
        var start = 0
        while start < e {
            let m = min(chunk, e - start)
            let pc = Tensor(shape: [m, k], copying: p.pointer + start * k)
            let uc = Tensor(shape: [m, n, k], copying: u.pointer + start * n * k)
            totals += rollout(model: learner.model, task: task, config: ActorCriticConfig(), probabilities: pc,
                              uniforms: uc, greedy: greedy, rng: &learner.rng).totals
            start += m
        }
        return totals
    }

    static func check(_ model: SNAIL, _ task: BanditTask) throws(MnemonetError) {
        guard model.inputSize == task.inputSize, model.outputSize == task.outputSize else {
            throw .invalidArgument(
                "a bandit policy for \(task.arms) arms needs input_size \(task.inputSize) and output_size \(task.outputSize), "
                    + "the model has \(model.inputSize) and \(model.outputSize)")
        }
    }

    static func argmax(_ x: UnsafePointer<Float>, _ k: Int) -> Int {
        var best = 0
        for j in 1..<k where x[j] > x[best] { best = j }
        return best
    }

    static func sampleSoftmax(_ x: UnsafePointer<Float>, _ k: Int, _ rng: inout Xoshiro256) -> Int {
        var m = -Float.infinity
        for j in 0..<k { m = max(m, x[j]) }
        var z: Double = 0
        for j in 0..<k { z += Double(expf(x[j] - m)) }
        var target = rng.nextUnitDouble() * z
        for j in 0..<k {
            target -= Double(expf(x[j] - m))
            if target < 0 { return j }
        }
        return k - 1
    }
}
