"""MetaLearner over the memory controller: functional adapt, agent.adapt, MAML meta-gradient, PyTorch parity."""
import os

import numpy as np
import pytest

import mnemonet as mn
from mnemonet import _native

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "controller_adapt.npz")


def _fixture_controller():
    f = np.load(FIXTURE)
    i, h, n, w, r = (int(v) for v in f["dims"])
    ctl = mn.MemoryController(i, h, mn.MemoryConfig(n, w, r), seed=0)
    ctl.load_state_dict({k[6:]: f[k] for k in f.files if k.startswith("param:")})
    bank = mn.NeuralMemoryBank(ctl.memory_config)
    bank.memory, bank.usage = f["memory"], f["usage"]
    return f, ctl, bank


def _close(a, b, rtol):
    scale = max(float(np.abs(b).max()), 1e-6)
    return float(np.abs(a - b).max()) <= rtol * scale


def test_adapt_matches_pytorch_and_is_functional():
    f, ctl, bank = _fixture_controller()
    before, m0, u0 = ctl.state_dict(), bank.memory, bank.usage
    learner = mn.MetaLearner(ctl, memory_bank=bank)
    assert isinstance(learner, mn.ControllerMetaLearner)
    for k in range(2):
        a = learner.adapt(f["support_x"], f["support_y"], num_steps=5, lr=float(f[f"lr{k}"]))
        np.testing.assert_allclose(a.support_losses, f[f"losses{k}"], rtol=1e-5)
        sd = a.state_dict()
        for name in before:
            assert _close(sd[name], f[f"adapted{k}:{name}"], 1e-5), name
        assert a.evaluate(f["query_x"], f["query_y"]) == pytest.approx(float(f[f"query_loss{k}"]), rel=1e-5)
    # Meta-parameters and memory untouched.
    for name, v in ctl.state_dict().items():
        np.testing.assert_array_equal(v, before[name])
    np.testing.assert_array_equal(bank.memory, m0)
    np.testing.assert_array_equal(bank.usage, u0)


def test_meta_gradient_matches_pytorch_second_and_first_order():
    f, ctl, bank = _fixture_controller()
    learner = mn.MetaLearner(ctl, memory_bank=bank)
    args = (f["support_x"], f["support_y"], f["query_x"], f["query_y"])
    so = learner.meta_gradient(*args, num_steps=2, lr=0.5)
    fo = learner.meta_gradient(*args, num_steps=2, lr=0.5, first_order=True)
    assert so.query_loss == pytest.approx(float(f["meta_so_query_loss"]), rel=1e-5)
    assert fo.query_loss == pytest.approx(float(f["meta_fo_query_loss"]), rel=1e-5)
    gso, gfo = so.state_dict(), fo.state_dict()
    differ = 0
    for name in gso:
        assert _close(gso[name], f[f"meta_so:{name}"], 2e-4), name
        assert _close(gfo[name], f[f"meta_fo:{name}"], 2e-4), name
        differ += not _close(f[f"meta_so:{name}"], f[f"meta_fo:{name}"], 1e-2)
    assert differ >= 3  # the fixture's second-order terms are visible, so the check above can fail


def _trained_agent():
    agent = mn.ContinualLearningAgent(seed=0)
    for task in range(3):
        X, Y = mn.create_task_data(task, num_samples=50)
        agent.fit(X, Y, epochs=3, use_replay=task > 0, progress=False)
    return agent


def test_adapting_on_a_new_task_lowers_its_support_and_query_loss():
    agent = _trained_agent()
    X, Y = mn.create_task_data(3, num_samples=20)
    sx, sy, qx, qy = X[:10], Y[:10], X[10:], Y[10:]
    m0, sd0 = agent.memory_bank.memory, agent.controller.state_dict()
    learner = mn.MetaLearner(agent.controller)   # adapts from (a copy of) the agent's memory
    a = learner.adapt(sx, sy, num_steps=5, lr=0.01)
    unadapted = learner.adapt(sx, sy, num_steps=0)
    q0, q5 = unadapted.evaluate(qx, qy), a.evaluate(qx, qy)
    assert np.all(np.diff(a.support_losses) < 0), a.support_losses
    assert a.support_losses[0] == pytest.approx(unadapted.evaluate(sx, sy), rel=1e-6)
    assert q5 < q0
    # predict == evaluate's outputs; repeatable (from a copy of M_0 each time)
    p = a.predict(qx)
    assert p.shape == qx.shape and np.array_equal(p, a.predict(qx))
    assert float(np.mean((p - qy) ** 2)) == pytest.approx(q5, rel=1e-5)
    np.testing.assert_array_equal(agent.memory_bank.memory, m0)
    for name, v in agent.controller.state_dict().items():
        np.testing.assert_array_equal(v, sd0[name])

    # The agent-level adapt: same parameters in place; memory, replay unchanged; then training continues.
    n_replay = len(agent.replay_buffer)
    losses = agent.adapt(sx, sy, num_steps=5, lr=0.01)
    np.testing.assert_array_equal(losses, a.support_losses)
    for name, v in agent.controller.state_dict().items():
        np.testing.assert_array_equal(v, a.state_dict()[name])
    np.testing.assert_array_equal(agent.memory_bank.memory, m0)
    assert len(agent.replay_buffer) == n_replay
    assert np.isfinite(agent.fit(sx, sy, epochs=1, progress=False)).all()


def test_seed_pairs_and_one_sample():
    agent = mn.ContinualLearningAgent(input_dim=8, hidden_dim=12, config=mn.MemoryConfig(16, 8, 2), seed=1)
    X, Y = np.random.default_rng(0).normal(size=(2, 6, 8)).astype(np.float32)
    losses = agent.adapt(list(zip(X, Y)), num_steps=2)
    assert losses.shape == (3,)
    a = mn.MetaLearner(agent.controller).adapt(X[0], Y[0], num_steps=1)
    assert a.predict(X[0]).shape == (1, 8)
    assert "AdaptedController(steps=1" in repr(a)


def test_bad_arguments():
    ctl = mn.MemoryController(8, 12, mn.MemoryConfig(16, 8, 2), seed=0)
    learner = mn.MetaLearner(ctl)
    X = np.zeros((4, 8), np.float32)
    with pytest.raises(mn.InvalidArgumentError, match=r"\(n, 8\)"):
        learner.adapt(np.zeros((4, 7)), X)
    with pytest.raises(mn.InvalidArgumentError, match="rows"):
        learner.adapt(X, X[:3])
    with pytest.raises(mn.InvalidArgumentError, match="num_steps"):
        learner.adapt(X, X, num_steps=-1)
    with pytest.raises(mn.InvalidArgumentError, match="lr"):
        learner.adapt(X, X, lr=float("nan"))
    with pytest.raises(mn.InvalidArgumentError, match="4096"):
        learner.adapt(np.zeros((5000, 8)), np.zeros((5000, 8)))
    with pytest.raises(mn.InvalidArgumentError, match="configuration"):
        mn.MetaLearner(ctl, memory_bank=mn.NeuralMemoryBank(mn.MemoryConfig(16, 8, 3))).adapt(X, X)
    with pytest.raises(mn.ArgumentTypeError):
        mn.MetaLearner(ctl, memory_bank="memory")
    with pytest.raises(mn.ArgumentTypeError):
        learner.adapt("abc", X)
    # C-level checks (the wrapper converts; the extension validates dtype/shape itself).
    bank = mn.NeuralMemoryBank(ctl.memory_config)
    with pytest.raises(mn.ArgumentTypeError, match="float32"):
        ctl._ctl.adapt(bank._bank, X.astype(np.float64), X, 1, 0.01)
    with pytest.raises(mn.InvalidArgumentError):
        ctl._ctl.adapt(bank._bank, X, X[:, :5], 1, 0.01)
    with pytest.raises(mn.InvalidArgumentError):
        ctl._ctl.adapt(bank._bank, X, X, -3, 0.01)
    with pytest.raises(mn.ArgumentTypeError):
        ctl._ctl.adapt(None, X, X, 1, 0.01)
    with pytest.raises(mn.InvalidArgumentError):
        ctl._ctl.meta_gradient(bank._bank, X, X, X, X, 1, 0.01, False, np.zeros(3, np.float32))
    agent = mn.ContinualLearningAgent(input_dim=8, hidden_dim=12, config=mn.MemoryConfig(16, 8, 2), seed=1)
    with pytest.raises(mn.InvalidArgumentError):
        agent.adapt(np.zeros((0, 8)), np.zeros((0, 8)))
    with pytest.raises(mn.InvalidArgumentError):
        agent.adapt(X, X, num_steps=-1)
    with pytest.raises(mn.InvalidArgumentError):
        agent.adapt(X, X, lr=float("inf"))


def test_mlp_metalearner_still_an_mlp_learner():
    learner = mn.MetaLearner(mn.MLP((1, 8, 1)), inner_lr=0.01)
    assert type(learner) is mn.MetaLearner
    assert isinstance(learner.adapt(np.zeros((3, 1)), np.zeros((3, 1)), num_steps=1), mn.MLP)
