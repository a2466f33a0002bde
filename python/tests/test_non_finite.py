"""Non-finite values (issue 14). Every entry point taking floats refuses NaN/inf with an InvalidArgumentError (a
ValueError) naming the argument and the first bad index, before anything changes; a training step whose loss or
gradient becomes non-finite raises NonFiniteError (a FloatingPointError) and leaves the agent bit-identical — proven
by comparing checkpoint bytes before and after. Each case reproduces a fault found by probing."""
import numpy as np
import pytest

import mnemonet as mn

NAN, INF = float("nan"), float("inf")


def agent(seed=3):
    a = mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 32, seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(20):  # > 16 items: the replay path is active
        a.train_step(rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32))
    return a


def snapshot(obj, tmp_path):
    p = tmp_path / "snap.ckpt"
    obj.save(p)
    return p.read_bytes()


def with_bad(shape, index, value):
    a = np.ones(shape, np.float32)
    a[index] = value
    return a


@pytest.mark.parametrize("value", [NAN, INF, -INF])
def test_train_step_refuses_non_finite_inputs_before_anything_changes(tmp_path, value):
    # Was: one NaN turned all memory cells into NaN, and every later step failed with "priority must be finite".
    a = agent()
    before = snapshot(a, tmp_path)
    with pytest.raises(mn.InvalidArgumentError, match=r"x must be finite, got .* at x\[2\]"):
        a.train_step(with_bad(4, 2, value), np.zeros(4, np.float32))
    with pytest.raises(ValueError, match=r"y\[1\]"):
        a.train_step(np.zeros(4, np.float32), with_bad(4, 1, value))
    assert snapshot(a, tmp_path) == before
    a.train_step(np.ones(4, np.float32), np.zeros(4, np.float32))  # still usable


@pytest.mark.parametrize("use_replay", [True, False])
def test_overflowing_step_raises_floating_point_error_and_changes_nothing(tmp_path, use_replay):
    # Was: +inf (and huge finite values) accepted, making every controller weight non-finite.
    a = agent()
    before = snapshot(a, tmp_path)
    big = np.full(4, 3e38, np.float32)
    with pytest.raises(FloatingPointError) as e:
        a.train_step(big, -big, use_replay=use_replay)
    assert isinstance(e.value, mn.NonFiniteError) and isinstance(e.value, mn.MnemonetError)
    assert snapshot(a, tmp_path) == before  # weights, Adam moments, memory, usage, replay, RNG: all bit-identical
    # And the next steps are the ones an untouched agent would take.
    twin = mn.ContinualLearningAgent.load(tmp_path / "snap.ckpt")
    x = np.linspace(-1, 1, 4, dtype=np.float32)
    assert a.train_step(x, x) == twin.train_step(x, x)


def test_fit_validates_the_whole_array_first(tmp_path):
    a = agent()
    before = snapshot(a, tmp_path)
    X = np.ones((6, 4), np.float32)
    X[4, 3] = NAN
    with pytest.raises(mn.InvalidArgumentError, match=r"X\[4, 3\]"):
        a.fit(X, np.ones((6, 4), np.float32), epochs=2, progress=False)
    assert snapshot(a, tmp_path) == before  # not even the first 4 rows were trained on


def test_evaluate_refuses_non_finite_and_restores_memory_on_overflow(tmp_path):
    a = agent()
    before = snapshot(a, tmp_path)
    with pytest.raises(mn.InvalidArgumentError, match=r"X\[1, 0\]"):
        a.evaluate(with_bad((3, 4), (1, 0), NAN), np.ones((3, 4), np.float32))
    with pytest.raises(mn.NonFiniteError):
        a.evaluate(np.full((3, 4), 3e38, np.float32), np.full((3, 4), -3e38, np.float32))
    assert snapshot(a, tmp_path) == before


def test_adapt_refuses_non_finite_support_and_negative_lr(tmp_path):
    a = agent()
    before = snapshot(a, tmp_path)
    with pytest.raises(mn.InvalidArgumentError, match=r"support_x\[0, 1\]"):
        a.adapt(with_bad((2, 4), (0, 1), INF), np.ones((2, 4), np.float32))
    with pytest.raises(mn.InvalidArgumentError, match="lr"):
        a.adapt(np.ones((2, 4), np.float32), np.ones((2, 4), np.float32), lr=-1.0)
    assert snapshot(a, tmp_path) == before


def test_controller_and_memory_bank_refuse_non_finite():
    cfg = mn.MemoryConfig(8, 4, 2)
    ctl = mn.MemoryController(4, 8, cfg, seed=0)
    bank = mn.NeuralMemoryBank(cfg)
    m0 = bank.memory.copy()
    with pytest.raises(mn.InvalidArgumentError, match=r"\[3\]"):
        ctl.forward(with_bad(4, 3, NAN), bank)
    with pytest.raises(mn.InvalidArgumentError, match="must be finite"):
        bank.write(with_bad(4, 0, NAN), np.ones(4, np.float32), np.ones(4, np.float32), 1.0)
    with pytest.raises(mn.InvalidArgumentError, match="must be finite"):
        bank.content_addressing(with_bad(4, 1, INF), 1.0)
    with pytest.raises(mn.InvalidArgumentError, match="must be finite"):
        bank.content_addressing(np.ones(4, np.float32), NAN)
    with pytest.raises(mn.InvalidArgumentError, match="must be finite"):
        bank.memory = with_bad((8, 4), (2, 2), NAN)
    np.testing.assert_array_equal(bank.memory, m0)


def test_mlp_predict_refuses_nan_and_none():
    # Was: MLP.predict returned a number for NaN and for None.
    mlp = mn.MLP((1, 8, 1), seed=0)
    with pytest.raises(mn.InvalidArgumentError, match="must be finite"):
        mlp.predict(np.array([[NAN]], np.float32))
    with pytest.raises(TypeError):
        mlp.predict(None)


def test_meta_learner_refuses_non_finite():
    learner = mn.MetaLearner(mn.MLP((1, 8, 1), seed=0))
    theta = learner.parameters.copy()
    x = np.ones((5, 1), np.float32)
    with pytest.raises(mn.InvalidArgumentError, match="must be finite"):
        learner.adapt(with_bad((5, 1), (3, 0), NAN), x)
    with pytest.raises(mn.InvalidArgumentError, match="must be finite"):
        learner.meta_step(x, x, x, with_bad((5, 1), (0, 0), INF))
    np.testing.assert_array_equal(learner.parameters, theta)


def test_replay_refuses_non_finite_items_and_priorities():
    rb = mn.PrioritizedReplay(16, {"x": (3,)})
    with pytest.raises(mn.InvalidArgumentError, match="must be finite"):
        rb.add(x=with_bad((2, 3), (1, 2), NAN))
    with pytest.raises(mn.InvalidArgumentError):
        rb.add(x=np.ones((1, 3), np.float32), priority=NAN)
    assert len(rb) == 0
    rb.add(x=np.ones((2, 3), np.float32))
    with pytest.raises(mn.InvalidArgumentError):
        rb.update_priorities([0], [INF])
    er = mn.ExperienceReplay(8)
    with pytest.raises(mn.InvalidArgumentError):
        er.push((with_bad(3, 0, NAN), np.ones(3, np.float32)))
    assert len(er) == 0


def test_priority_sum_overflow_is_refused():
    # Was: alpha = 1 with priorities near float max made the tree's total inf, breaking every later sample.
    rb = mn.PrioritizedReplay(16, {"x": (1,)}, alpha=1.0)
    rb.add(x=np.ones((1, 1), np.float32), priority=1e308)
    with pytest.raises(mn.InvalidArgumentError, match="sum"):
        rb.add(x=np.ones((1, 1), np.float32), priority=1e308)
    with pytest.raises(mn.InvalidArgumentError, match="sum"):
        rb.add(x=np.ones((2, 1), np.float32), priority=[1e308, 1e308])
    assert len(rb) == 1
    assert rb.sample(1)["x"].shape == (1, 1)  # still samples
