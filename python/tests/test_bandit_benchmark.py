"""The bandit benchmark's training schedule (phases of lr / entropy / batch) and its rows, on tiny configurations."""
import numpy as np
import pytest

import mnemonet
from mnemonet.benchmarks import snail as bench

BLOCKS = [("tc", 4), ("attention", 4, 4)]


def _net(seed=0):
    return mnemonet.SNAIL.for_bandits(3, 6, blocks=BLOCKS, lr=1e-2, seed=seed)


@pytest.mark.parametrize("iterations", [0, 1, 5, 6, 7, 6000])
def test_phase_iterations_sum_exactly(iterations):
    counts = bench._phase_iterations(iterations, [1 / 2, 1 / 3, 1 / 6])
    assert sum(counts) == iterations and min(counts) >= 0
    if iterations == 6000:
        assert counts == [3000, 2000, 1000]


def test_phases_are_the_sequence_of_fit_bandits_calls():
    phases = ((0.5, 1.0, 0.01, 4), (0.5, 0.1, 0.0, 2))
    a = _net()
    hist = bench.train_bandit_policy(a, 6, 4, phases, lr=1e-2, progress=False)
    assert hist.shape == (4,) and np.isclose(a.lr, 1e-3)
    b = _net()
    b.lr = 1e-2
    b.fit_bandits(6, iterations=2, batch_size=4, entropy_coef=0.01, progress=False)
    b.lr = 1e-3
    b.fit_bandits(6, iterations=2, batch_size=2, entropy_coef=0.0, progress=False)
    c = _net()  # one constant phase: different weights (the schedule is not a no-op)
    bench.train_bandit_policy(c, 6, 4, None, lr=1e-2, entropy_coef=0.01, batch_size=4, progress=False)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert sa.keys() == sb.keys()
    for name in sa:
        np.testing.assert_array_equal(sa[name], sb[name])
    assert any(not np.array_equal(sa[name], sc[name]) for name in sa)


def test_run_bandits_rows_sampled_and_greedy():
    summary = bench.run_bandits({(6, 3): (4, BLOCKS)}, seeds=2, eval_episodes=30, progress=False,
                                phases={(6, 3): ((0.5, 1.0, 0.01, 4), (0.5, 0.3, 0.005, 4))})
    rows = {r["method"]: r for r in summary["rows"]}
    assert set(rows) >= {"random", "thompson", "gittins", "snail", "snail_greedy"}
    for m in ("snail", "snail_greedy"):
        r = rows[m]
        assert len(r["mean_reward_per_seed"]) == 2 and r["std_over_seeds"] is not None
        assert np.isclose(r["mean_reward"], np.mean(r["mean_reward_per_seed"]))
        assert 0 <= r["mean_reward"] <= 6 and r["phases"][1] == [0.5, 0.3, 0.005, 4]
    assert rows["snail"]["actions"] == "sampled" and rows["snail_greedy"]["actions"] == "argmax"
    assert "snail_greedy" in bench.format_bandits(summary)
