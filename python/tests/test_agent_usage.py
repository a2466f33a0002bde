"""The agent as a researcher uses it (issue 13): own settings, predict, read-only evaluate, held-out data,
validation at construction, memory initialisation, Ctrl-C in fit."""
import _thread
import inspect
import threading
import time

import numpy as np
import pytest

import mnemonet
from mnemonet import ArgumentTypeError, ContinualLearningAgent, InvalidArgumentError, MemoryConfig, create_task_data


def small(**kw):
    return ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2), replay_capacity=64, seed=0, **kw)


def test_constructor_settings_are_used_and_saved(tmp_path):
    a = small(replay_batch_size=4, replay_weight=0.5, clip_norm=2.0, replay_alpha=0.7, replay_beta=0.1, lr=3e-3)
    assert (a.replay_batch_size, a.replay_weight, a.clip_norm, a.replay_alpha, a.replay_beta) == (4, 0.5, 2.0,
                                                                                                 pytest.approx(0.7), pytest.approx(0.1))
    assert a.replay_buffer.alpha == pytest.approx(0.7)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 8)).astype(np.float32), rng.standard_normal((40, 8)).astype(np.float32)
    a.fit(X, Y, epochs=1, progress=False)
    path = tmp_path / "a.mnem"
    a.save(path)
    b = ContinualLearningAgent.load(path)
    assert (b.replay_batch_size, b.replay_weight, b.clip_norm) == (4, 0.5, 2.0)
    assert b.train_step(X[0], Y[0]) == a.train_step(X[0], Y[0])  # same state, same sampler: same step
    # the settings change training: another replay weight gives another loss once replay starts
    c = small(replay_batch_size=4, replay_weight=0.0, clip_norm=2.0, replay_alpha=0.7, replay_beta=0.1, lr=3e-3)
    lc = c.fit(X, Y, epochs=1, progress=False)
    la = small(replay_batch_size=4, replay_weight=0.5, clip_norm=2.0, replay_alpha=0.7, replay_beta=0.1,
               lr=3e-3).fit(X, Y, epochs=1, progress=False)
    assert np.array_equal(lc[0, :16], la[0, :16]) and not np.array_equal(lc[0, 20:], la[0, 20:])
    with pytest.raises(InvalidArgumentError, match="output_dim"):
        small(output_dim=0)
    assert small(output_dim=8).output_dim == 8 and small(output_dim=3).output_dim == 3  # (test_agent_output_dim.py)


def test_predict_and_evaluate_leave_the_agent_unchanged():
    a = small()
    X, Y = create_task_data(0, 20, input_dim=8)
    a.fit(X, Y, epochs=2, progress=False)
    m, u, n = a.memory_bank.memory, a.memory_bank.usage, len(a.replay_buffer)
    e1, e2 = a.evaluate(X, Y), a.evaluate(X, Y)
    assert e1 == e2
    p = a.predict(X)
    assert p.shape == (20, 8) and p.dtype == np.float32
    np.testing.assert_array_equal(a.predict(X[3]), p[3])
    assert e1 == pytest.approx(float(np.mean((p.astype(np.float64) - Y) ** 2)), rel=1e-5)
    np.testing.assert_array_equal(a.memory_bank.memory, m)
    np.testing.assert_array_equal(a.memory_bank.usage, u)
    assert len(a.replay_buffer) == n
    # the seed's evaluate writes the memory
    a.evaluate(X, Y, write_memory=True)
    assert not np.array_equal(a.memory_bank.memory, m)


def test_held_out_split_is_its_own_stream_and_the_seed_split_is_unchanged():
    Xtr, Ytr = create_task_data(2, 50)
    Xseed, _ = create_task_data(2, 20)
    np.testing.assert_array_equal(Xseed, Xtr[:20])  # the seed's "test data" is training data
    Xte, Yte = create_task_data(2, 20, split="test")
    assert not np.isin(Xte, Xtr).any()
    np.testing.assert_allclose(Yte, np.tanh(0.5 * Xte + 2), atol=1e-6)
    with pytest.raises(InvalidArgumentError, match="split"):
        create_task_data(0, 20, split="val")


@pytest.mark.parametrize("call,error,match", [
    (lambda: ContinualLearningAgent(0, 16), InvalidArgumentError, "input_dim"),
    (lambda: ContinualLearningAgent(8, -1), InvalidArgumentError, "hidden_dim"),
    (lambda: ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2, 2)), InvalidArgumentError, "num_write_heads"),
    (lambda: MemoryConfig(memory_size=0), InvalidArgumentError, "memory_size"),
    (lambda: small(replay_beta=-0.1), InvalidArgumentError, "replay_beta"),
    (lambda: small(replay_weight=-1), InvalidArgumentError, "replay_weight"),
    (lambda: small(clip_norm=0), InvalidArgumentError, "clip_norm"),
    (lambda: small(lr=0), InvalidArgumentError, "lr"),
    (lambda: small(replay_batch_size=0), InvalidArgumentError, "replay_batch_size"),
    (lambda: ContinualLearningAgent(8, 16, config="big"), ArgumentTypeError, "MemoryConfig or a dict"),
    (lambda: ContinualLearningAgent(8, 16, config={"memory_size": 8, "bogus": 1}), ArgumentTypeError, "bogus"),
    (lambda: MemoryConfig(init="ones"), InvalidArgumentError, "init"),
    (lambda: small().train_step(np.zeros(8), np.zeros(8), use_replay=1), ArgumentTypeError, "use_replay"),
    (lambda: small().fit(np.zeros((2, 8)), np.zeros((2, 8)), use_replay="yes"), ArgumentTypeError, "use_replay"),
    (lambda: small().train_step(None, np.zeros(8)), ArgumentTypeError, "None"),
    (lambda: small().evaluate(np.zeros((2, 8)), None), ArgumentTypeError, "None"),
    (lambda: small().predict(None), ArgumentTypeError, "None"),
    (lambda: small().train_step(np.zeros(8, np.complex64), np.zeros(8)), ArgumentTypeError, "real"),
    (lambda: small().predict(np.zeros((2, 8)) * 1j), ArgumentTypeError, "real"),
])
def test_bad_settings_and_inputs_raise_at_once(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_config_as_dict_and_normal_init():
    a = ContinualLearningAgent(8, 16, config={"memory_size": 8, "memory_dim": 8, "num_read_heads": 2,
                                             "init": "normal"}, replay_capacity=64, seed=3)
    assert a.memory_bank.effective_rank() > 6  # 8 random slots: nearly full rank
    b = ContinualLearningAgent(8, 16, config={"memory_size": 8, "memory_dim": 8, "num_read_heads": 2,
                                             "init": "normal"}, replay_capacity=64, seed=3)
    np.testing.assert_array_equal(a.memory_bank.memory, b.memory_bank.memory)  # seeded
    assert small().memory_bank.effective_rank() == 0.0  # the seed's zero memory
    assert mnemonet.memory.effective_rank(np.ones((5, 3))) == pytest.approx(1.0)
    assert mnemonet.memory.effective_rank(np.eye(4)) == pytest.approx(4.0)


def test_signatures_show_the_real_parameters():
    for cls, names in [(ContinualLearningAgent, ["input_dim", "hidden_dim", "config", "replay_capacity", "lr",
                                                 "seed", "output_dim", "replay_batch_size", "replay_weight",
                                                 "clip_norm", "replay_alpha", "replay_beta"]),
                       (MemoryConfig, ["memory_size", "memory_dim", "num_read_heads", "num_write_heads", "init"]),
                       (mnemonet.PrioritizedReplay, ["capacity", "fields", "alpha", "eps", "seed", "sampling",
                                                     "nstep"]),
                       (mnemonet.NeuralMemoryBank, ["config", "seed"])]:
        params = list(inspect.signature(cls).parameters)
        for n in names:
            assert n in params, (cls.__name__, n, params)
    for name in mnemonet.__all__:
        obj = getattr(mnemonet, name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            params = inspect.signature(obj).parameters
            assert list(params) != ["args", "kwargs"], name


def test_ctrl_c_in_fit_stops_within_a_second_and_leaves_a_consistent_agent():
    a = ContinualLearningAgent(seed=0)
    X, Y = create_task_data(0, 50)
    Xb, Yb = np.tile(X, (40, 1)), np.tile(Y, (40, 1))  # 2000 samples per epoch: a long epoch
    timer = threading.Timer(0.5, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        a.fit(Xb, Yb, epochs=50, progress=False)
    stopped = time.perf_counter() - t0
    timer.cancel()
    assert stopped < 0.5 + 1.5, stopped  # ~0.1 s chunks (generous bound for a loaded machine)
    n = len(a.replay_buffer)
    assert 0 < n < 50 * 2000
    # consistent: the agent trains on and saves as usual
    a.train_step(X[0], Y[0])
    assert len(a.replay_buffer) == min(n + 1, a.replay_capacity)


def test_ctrl_c_in_meta_train_stops_within_a_second():
    model = mnemonet.MLP((1, 40, 40, 1), activation="relu", seed=0)
    maml = mnemonet.MetaLearner(model, algorithm="maml", inner_lr=0.001)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        maml.meta_train("sinusoid", iterations=10**7, progress=False)
    stopped = time.perf_counter() - t0
    timer.cancel()
    assert stopped < 0.5 + 1.5, stopped
    done = maml.iteration
    assert 0 < done < 10**7
    maml.meta_train("sinusoid", iterations=3, progress=False)  # consistent: continues as usual
    assert maml.iteration == done + 3


def _as_version(raw: bytes, version: int) -> bytes:
    """A version-3 agent checkpoint rewritten in payload version 2 (no output_dim after the replay options) or 1
    (no replay options after lr either), the container resealed (length and CRC recomputed, tools/ckpt.py): what
    mnemonet wrote before those fields existed."""
    import os
    import struct
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
    import ckpt
    payload = ckpt.split(raw)[2]
    (tlen,) = struct.unpack_from("<q", payload, 0)
    p = 8 + tlen
    assert struct.unpack_from("<I", payload, p)[0] == 3
    lr_end = p + 4 + 7 * 8 + 4
    keep = 32 if version == 2 else 0  # the replay options (B, λ, c, α, β) stay in version 2
    old = payload[:p] + struct.pack("<I", version) + payload[p + 4:lr_end + keep] + payload[lr_end + 32 + 8:]
    return ckpt.reseal(raw, old)


@pytest.mark.parametrize("version", [1, 2])
def test_older_agent_checkpoints_load(tmp_path, version):
    """Versions 1 (the seed's replay options) and 2 (output_dim = input_dim) still load."""
    options = dict(replay_batch_size=5, replay_weight=0.4, clip_norm=2.0, replay_alpha=0.5, replay_beta=0.3)
    a = ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2), replay_capacity=64, seed=0,
                               **(options if version == 2 else {}))
    X, Y = create_task_data(0, 20, input_dim=8)
    a.fit(X, Y, epochs=2, progress=False)
    path = tmp_path / "v3.mnem"
    a.save(path)
    old = tmp_path / f"v{version}.mnem"
    old.write_bytes(_as_version(path.read_bytes(), version))
    b = ContinualLearningAgent.load(old)
    expected = (5, 0.4, 2.0, 0.5, 0.3) if version == 2 else (8, 0.3, 1.0, 0.6, 0.4)
    assert (b.replay_batch_size, b.replay_weight, b.clip_norm, b.replay_alpha, b.replay_beta) == \
        pytest.approx(expected)
    assert b.output_dim == b.input_dim == 8
    np.testing.assert_array_equal(b.memory_bank.memory, a.memory_bank.memory)
    assert b.train_step(X[0], Y[0]) == a.train_step(X[0], Y[0])
