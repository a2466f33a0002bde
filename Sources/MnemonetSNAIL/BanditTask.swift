import MnemonetBase
import MnemonetEngine

/// The multi-armed bandit meta-RL task of Duan et al. 2016 / Mishra et al. 2018 §5.2.1: an episode is N pulls of
/// K Bernoulli arms whose success probabilities p_k ~ U[0, 1] are drawn anew per episode; the reward of pulling arm
/// a at step t is 1 with probability p_a. The agent sees, at step t, the previous action (one-hot), the previous
/// reward and the time t/N:
///
///     x_t = [onehot(a_{t−1}) ∈ R^K, r_{t−1}, t/N]    (zeros for the action and reward at t = 0)   I = K + 2
///
/// Rewards are drawn with common random numbers: a table u [N, K] ~ U[0, 1) per episode and r_t = [u[t, a_t] < p_{a_t}],
/// so every method evaluated on the same (p, u) faces exactly the same outcomes for the same actions.
public struct BanditTask: Equatable, Sendable {
    /// K, the number of arms.
    public let arms: Int
    /// N, the pulls per episode.
    public let pulls: Int

    /// A task of `pulls` pulls of `arms` arms (K ≥ 2, N ≥ 1).
    public init(arms: Int, pulls: Int) throws(MnemonetError) {
        guard arms >= 2, arms <= 1024 else { throw .invalidArgument("arms \(arms) must be in 2...1024") }
        guard pulls >= 1, pulls <= 100_000 else { throw .invalidArgument("pulls \(pulls) must be in 1...100000") }
        self.arms = arms
        self.pulls = pulls
    }

    /// I = K + 2.
    public var inputSize: Int { arms + 2 }
    /// O = K + 1 for an actor-critic: K action logits, then the value.
    public var outputSize: Int { arms + 1 }

    /// Writes x_t for one episode into `x` (I floats).
    @inlinable
    public func encode(previousAction a: Int?, previousReward r: Float, time t: Int, into x: UnsafeMutablePointer<Float>) {
        x.update(repeating: 0, count: inputSize)
        if let a { x[a] = 1 }
        x[arms] = r
        x[arms + 1] = Float(t) / Float(pulls)
    }

    /// p [E, K] and u [E, N, K] for `episodes` episodes, drawn from `rng`.
    public func draw(episodes: Int, rng: inout Xoshiro256) -> (probabilities: Tensor, uniforms: Tensor) {
        (Tensor.uniform(shape: [episodes, arms], low: 0, high: 1, rng: &rng),
         Tensor.uniform(shape: [episodes, pulls, arms], low: 0, high: 1, rng: &rng))
    }
}
