"""ContinualLearningAgent(output_dim != input_dim): PyTorch parity on committed fixtures, shapes, replay, checkpoints.

The fixture comes from tools/fixtures/make_agent_output_dim_fixture.py (the seed's agent in PyTorch with the output
layer sized [O, H + R*W]); torch is not needed here. The fused pullback's finite-difference check with O != I is
the Swift test ControllerGradientTests.gradientsMatchFiniteDifferencesWiderAndNarrowerOutput.
"""
import io
import os
import pickle

import numpy as np
import pytest

from mnemonet import ContinualLearningAgent, MemoryConfig, MemoryController, MetaLearner, NeuralMemoryBank
from mnemonet._native import InvalidArgumentError

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "agent_output_dim.npz")


def fixture(name):
    f = np.load(FIXTURE)
    p = name + ":"
    return {k[len(p):]: f[k] for k in f.files if k.startswith(p)}


def agent_from(f):
    i, h, o, n, w, r = (int(v) for v in f["config"])
    agent = ContinualLearningAgent(i, h, MemoryConfig(n, w, r), seed=0, output_dim=o)
    agent.controller.load_state_dict({k[len("param:"):]: v for k, v in f.items() if k.startswith("param:")})
    agent.memory_bank.memory = f["memory0"]  # distinct slots, so every trained parameter has a real gradient
    return agent


@pytest.mark.parametrize("name", ["narrow", "wide"])
def test_training_with_replay_matches_pytorch(name):
    """60 steps with replay (recorded draws), then the seed's evaluate: losses, every parameter after 60 Adam steps,
    memory and usage as PyTorch's."""
    f = fixture(name)
    agent = agent_from(f)
    assert agent.output_dim == int(f["config"][2]) != agent.input_dim
    draws = iter(zip(f["replay_indices"], f["replay_weights"]))
    losses = []
    for k in range(len(f["x"])):
        if k + 1 > 16:
            idx, wts = next(draws)
            losses.append(agent._train_step_with_draws(f["x"][k], f["y"][k], idx, wts))
        else:
            losses.append(agent.train_step(f["x"][k], f["y"][k]))
    assert next(draws, None) is None
    ref = f["losses"].astype(np.float64)
    rel = np.abs(np.array(losses) - ref) / np.abs(ref)
    assert rel.max() <= 1e-4, f"max relative loss deviation {rel.max():.3g}"
    sd = agent.controller.state_dict()
    for key in sd:
        np.testing.assert_allclose(sd[key], f["final:" + key], rtol=0, atol=1e-6, err_msg=key)
    # Every trained parameter moved (the comparison above is not of two initial states).
    for key in ("lstm.weight_ih_l0", "read_keys.weight", "read_strengths.bias", "output.weight", "output.bias"):
        assert np.abs(sd[key] - f["param:" + key]).max() > 1e-3, key
    np.testing.assert_allclose(agent.memory_bank.memory, f["memory"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(agent.memory_bank.usage, f["usage"], rtol=0, atol=1e-5)
    err = agent.evaluate(f["test_x"], f["test_y"], write_memory=True)
    assert abs(err - float(f["eval_error"])) <= 1e-4 * float(f["eval_error"])


def small(o, seed=3):
    return ContinualLearningAgent(6, 12, MemoryConfig(8, 5, 2), replay_capacity=64, seed=seed, output_dim=o)


def xy(n, i=6, o=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, i)).astype(np.float32)
    return x, np.tanh(x[:, :1] * np.arange(1, o + 1, dtype=np.float32))


@pytest.mark.parametrize("o", [1, 3, 17])
def test_every_entry_point_takes_y_of_output_dim(o):
    a = small(o)
    X, Y = xy(40, o=o)
    assert a.controller.state_dict()["output.weight"].shape == (o, 12 + 10)
    assert a.controller.state_dict()["output.bias"].shape == (o,)
    assert np.isfinite(a.train_step(X[0], Y[0]))
    losses = a.fit(X, Y, epochs=2, progress=False)
    assert losses.shape == (2, 40) and np.isfinite(losses).all()
    assert a.predict(X[0]).shape == (o,) and a.predict(X).shape == (40, o)
    e1, e2 = a.evaluate(X, Y), a.evaluate(X, Y)
    assert e1 == e2 and np.isfinite(e1)
    pairs = [(X[k], Y[k]) for k in range(5)]
    assert np.isfinite(a.evaluate(pairs))
    samples, w = a.replay_buffer.sample(4)
    assert len(samples) == 4 and samples[0][0].shape == (6,) and samples[0][1].shape == (o,)
    # Every sampled pair is one that was pushed (x and its own y).
    for sx, sy in samples:
        k = int(np.argmin(np.abs(X - sx).sum(axis=1)))
        np.testing.assert_array_equal(sx, X[k])
        np.testing.assert_array_equal(sy, Y[k])
    assert a.adapt(X[:5], Y[:5], num_steps=2).shape == (3,)
    # The controller view and a standalone MetaLearner over it see O outputs too.
    assert a.controller.output_dim == o
    assert a.controller.forward(X[0], NeuralMemoryBank(a.config)).shape == (o,)
    adapted = MetaLearner(a.controller).adapt(X[:4], Y[:4], num_steps=1)
    assert adapted.predict(X[:3]).shape == (3, o) and np.isfinite(adapted.evaluate(X[:3], Y[:3]))
    if o != 6:
        assert f"output_dim={o}" in repr(a)


def test_wrong_y_shapes_name_both_sizes():
    a = small(3)
    X, Y = xy(10, o=3)
    with pytest.raises(ValueError, match="3"):
        a.train_step(X[0], X[0])  # y of input_dim values
    with pytest.raises(ValueError):
        a.fit(X, X, epochs=1, progress=False)
    with pytest.raises(ValueError):
        a.evaluate(X, np.zeros((10, 4), np.float32))
    with pytest.raises(InvalidArgumentError, match="output_dim"):
        small(0)
    with pytest.raises(InvalidArgumentError, match="output_dim"):
        small(-2)


def test_default_output_dim_is_the_seeds():
    a = ContinualLearningAgent(8, 16, MemoryConfig(8, 8, 2), seed=0)
    assert a.output_dim == 8 and a.controller.state_dict()["output.weight"].shape == (8, 16 + 16)
    assert "output_dim" not in repr(a)
    assert ContinualLearningAgent(8, 16, MemoryConfig(8, 8, 2), seed=0, output_dim=8).output_dim == 8


def test_checkpoints_keep_output_dim_and_continue_identically(tmp_path):
    a = small(4)
    X, Y = xy(30, o=4)
    a.fit(X, Y, epochs=1, progress=False)
    path = tmp_path / "a.mnem"
    a.save(path)
    b = ContinualLearningAgent.load(path)
    c = pickle.loads(pickle.dumps(a))
    buf = io.BytesIO()
    a.save(buf)
    buf.seek(0)
    d = ContinualLearningAgent.load(buf)
    for other in (b, c, d):
        assert other.output_dim == 4 and other.input_dim == 6
    la = a.fit(X, Y, epochs=1, progress=False)
    for other in (b, c, d):
        np.testing.assert_array_equal(other.fit(X, Y, epochs=1, progress=False), la)
        np.testing.assert_array_equal(other.memory_bank.memory, a.memory_bank.memory)
    # The controller alone: a version-2 checkpoint when O != I.
    ctl = MemoryController.load(_save_controller(a.controller, tmp_path / "c.mnem"))
    assert ctl.output_dim == 4
    for k, v in a.controller.state_dict().items():
        np.testing.assert_array_equal(ctl.state_dict()[k], v)


def _save_controller(ctl, path):
    ctl.save(path)
    return path


def test_standalone_controller_output_dim():
    c = MemoryController(5, 7, MemoryConfig(6, 4, 1), seed=1, output_dim=2)
    assert c.output_dim == 2 and c.state_dict()["output.weight"].shape == (2, 11)
    assert c.forward(np.ones(5, np.float32), NeuralMemoryBank(MemoryConfig(6, 4, 1))).shape == (2,)
    assert MemoryController(5, 7, MemoryConfig(6, 4, 1), seed=1).output_dim == 5
