"""The seed's continual-learning agent (issue 4): PyTorch parity, forgetting, state_dict, errors, checkpoints.

Fixtures come from tools/fixtures/make_agent_fixtures.py (the seed's code run in PyTorch); torch is not needed here.
"""
import os

import numpy as np
import pytest

import mnemonet
from mnemonet import (
    ContinualLearningAgent,
    MemoryConfig,
    MemoryController,
    NeuralMemoryBank,
    create_task_data,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def load_fixture(name):
    f = np.load(os.path.join(FIXTURES, f"agent_{name}.npz"))
    return {k: f[k] for k in f.files}


def agent_from_fixture(f, seed=0):
    i, h, n, w, r = (int(v) for v in f["config"])
    agent = ContinualLearningAgent(i, h, MemoryConfig(n, w, r), seed=seed)
    agent.controller.load_state_dict({k[len("param:"):]: v for k, v in f.items() if k.startswith("param:")})
    return agent


# ---- parity with PyTorch ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["default", "small"])
def test_task0_trajectory_matches_pytorch(name):
    """20 epochs of task 0 without replay from PyTorch's initial weights: same 1,000 losses, memory and usage."""
    f = load_fixture(name)
    agent = agent_from_fixture(f)
    losses = agent.fit(f["train_x"], f["train_y"], epochs=20, use_replay=False, progress=False).ravel()
    ref = f["losses"].astype(np.float64)
    assert losses.shape == (1000,)
    rel = np.abs(losses - ref) / np.abs(ref)
    # float32 rounding alone moves PyTorch's own trajectory by this much against float64:
    assert float(f["float64_max_rel_loss_deviation"]) < 2e-4
    assert rel.max() <= 1e-3, f"max relative loss deviation {rel.max():.3g}"
    np.testing.assert_allclose(agent.memory_bank.memory, f["memory"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(agent.memory_bank.usage, f["usage"], rtol=0, atol=1e-4)
    # evaluate() as the seed computes it (and it writes the memory, like the seed)
    err = agent.evaluate(f["test_x"], f["test_y"], write_memory=True)
    assert abs(err - float(f["eval_error"])) <= 1e-3 * float(f["eval_error"])
    np.testing.assert_allclose(agent.memory_bank.memory, f["memory_after_eval"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(agent.memory_bank.usage, f["usage_after_eval"], rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", ["default", "small"])
def test_train_step_with_replay_matches_pytorch(name):
    """50 steps with replay, the replay draws recorded in PyTorch replayed here: same total losses and memory."""
    f = load_fixture(name)
    agent = agent_from_fixture(f)
    draws = iter(zip(f["replay_indices"], f["replay_weights"]))
    losses = []
    for i in range(50):
        x, y = f["train_x"][i], f["train_y"][i]
        if i + 1 > 16:  # the buffer holds i + 1 items after the push: replay once more than 16
            idx, w = next(draws)
            losses.append(agent._train_step_with_draws(x, y, idx, w))
        else:
            losses.append(agent.train_step(x, y, use_replay=True))
    assert next(draws, None) is None
    ref = f["replay_losses"].astype(np.float64)
    rel = np.abs(np.array(losses) - ref) / np.abs(ref)
    assert rel.max() <= 1e-3, f"max relative loss deviation {rel.max():.3g}"
    np.testing.assert_allclose(agent.memory_bank.memory, f["replay_memory"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(agent.memory_bank.usage, f["replay_usage"], rtol=0, atol=1e-4)


def test_create_task_data_reproduces_torch():
    """Inputs within 4 ulp (80% bit-exact) of torch.manual_seed(task); torch.randn(n, 64); targets the seed's."""
    f = np.load(os.path.join(FIXTURES, "agent_randn.npz"))
    for task in range(4):
        for n in (50, 20):
            X, Y = create_task_data(task, n)
            assert X.dtype == np.float32 and X.shape == (n, 64) and Y.shape == (n, 64)
            ref = f[f"randn_{task}_{n}"]
            ulps = np.abs(X.view(np.int32).astype(np.int64) - ref.view(np.int32).astype(np.int64))
            assert ulps.max() <= 4, f"task {task}, n {n}: {ulps.max()} ulp"
            assert np.mean(ulps == 0) > 0.75
            np.testing.assert_allclose(Y, f[f"y_{task}_{n}"], rtol=0, atol=2e-6)


# ---- the seed's claim: replay prevents forgetting ----------------------------------------------------------------


def run_demo(use_replay, seed=0):
    agent = ContinualLearningAgent(seed=seed)
    errors = []
    for task in range(4):
        X, Y = create_task_data(task, 50)
        agent.fit(X, Y, epochs=20, use_replay=use_replay and task > 0, progress=False)
        errors.append([agent.evaluate(*create_task_data(e, 20), write_memory=True) for e in range(task + 1)])
    return errors


def test_forgetting_without_replay_and_not_with_it():
    plain = run_demo(False)
    replay = run_demo(True)
    first_after_training = plain[0][0]
    assert replay[0][0] == first_after_training  # task 1 trains without replay in both runs, as in the seed
    # Without replay, task 1's error after the fourth task is orders of magnitude above its post-training value
    # (PyTorch, seed demo: 0.0026 -> 1.10).
    assert plain[3][0] > 0.5
    assert plain[3][0] > 30 * first_after_training
    # With replay it stays low (PyTorch: 2.5e-4), on every past task.
    assert max(replay[3]) < 1e-2
    assert plain[3][0] > 50 * replay[3][0]


# ---- state_dict -------------------------------------------------------------------------------------------------


def test_state_dict_names_and_shapes_are_pytorchs():
    f = load_fixture("default")
    names = [k[len("param:"):] for k in f if k.startswith("param:")]
    sd = ContinualLearningAgent(seed=1).controller.state_dict()
    assert sorted(sd) == sorted(names)
    assert list(sd)[:4] == ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0"]
    assert list(sd)[-2:] == ["output.weight", "output.bias"]
    for k in names:
        assert sd[k].shape == f["param:" + k].shape and sd[k].dtype == np.float32


def test_load_state_dict_round_trip_and_errors():
    c = MemoryController(64, 50, MemoryConfig(37, 24, 3), seed=3)
    d = c.state_dict()
    other = MemoryController(64, 50, MemoryConfig(37, 24, 3), seed=4)
    other.load_state_dict(d)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, d[k])
    before = other.state_dict()
    bad = dict(d)
    del bad["read_keys.bias"]
    bad["extra.weight"] = np.zeros(3, np.float32)
    bad["output.weight"] = np.zeros((2, 2), np.float32)
    bad["lstm.weight_ih_l0"] = d["lstm.weight_ih_l0"] + 1
    with pytest.raises(mnemonet.InvalidArgumentError) as e:
        other.load_state_dict(bad)
    msg = str(e.value)
    assert "read_keys.bias" in msg and "extra.weight" in msg and "output.weight" in msg and "(64, 122)" in msg
    for k, v in other.state_dict().items():  # nothing was loaded
        np.testing.assert_array_equal(v, before[k])


def test_controller_forward_standalone_matches_agent_evaluate():
    f = load_fixture("small")
    agent = agent_from_fixture(f)
    c = MemoryController(64, 50, MemoryConfig(37, 24, 3), seed=9)
    c.load_state_dict(agent.controller.state_dict())
    bank = NeuralMemoryBank(MemoryConfig(37, 24, 3))
    errs = []
    for x, y in zip(f["test_x"][:5], f["test_y"][:5]):
        out = c(x, bank)
        assert out.shape == (64,) and out.dtype == np.float32
        errs.append(np.mean((out.astype(np.float64) - y) ** 2))
    assert agent.evaluate(f["test_x"][:5], f["test_y"][:5], write_memory=True) == pytest.approx(np.mean(errs), rel=1e-5)
    np.testing.assert_allclose(bank.memory, agent.memory_bank.memory, atol=1e-6)
    with pytest.raises(mnemonet.InvalidArgumentError):
        c(f["test_x"][0], NeuralMemoryBank(MemoryConfig(36, 24, 3)))


# ---- memory bank semantics --------------------------------------------------------------------------------------


def np_content(memory, key, beta):
    kn = key / max(np.linalg.norm(key), 1e-12)
    mn = memory / np.maximum(np.linalg.norm(memory, axis=1, keepdims=True), 1e-12)
    z = beta * (mn @ kn)
    e = np.exp(z - z.max())
    return e / e.sum()


def test_memory_bank_matches_the_seed_equations():
    rng = np.random.default_rng(0)
    cfg = MemoryConfig(10, 6, 3)
    bank = NeuralMemoryBank(cfg)
    assert bank.memory.shape == (10, 6) and bank.usage.shape == (10,)
    # fresh memory: every slot gets 1/N
    np.testing.assert_allclose(bank.content_addressing(rng.normal(size=6), 5.0), np.full(10, 0.1), rtol=1e-6)
    m = rng.normal(size=(10, 6)).astype(np.float32)
    bank.memory = m
    keys = rng.normal(size=(3, 6)).astype(np.float32)
    betas = np.array([0.5, 2.0, 7.0], np.float32)
    w = bank.content_addressing(keys, betas)
    ref = np.stack([np_content(m.astype(np.float64), keys[i], betas[i]) for i in range(3)])
    np.testing.assert_allclose(w, ref, atol=1e-6)
    reads = bank.read(keys, betas)
    np.testing.assert_allclose(reads, (ref @ m).ravel(), atol=1e-5)
    key, vec, erase = rng.normal(size=6), np.tanh(rng.normal(size=6)), 1 / (1 + np.exp(-rng.normal(size=6)))
    ww = np_content(m.astype(np.float64), key, 1.5)
    bank.write(key, vec, erase, 1.5)
    expect = m * (1 - np.outer(ww, erase)) + np.outer(ww, vec)
    np.testing.assert_allclose(bank.memory, expect, atol=1e-5)
    np.testing.assert_allclose(bank.usage, ww, atol=1e-6)
    bank.write(key, vec, erase, 1.5)
    assert bank.usage.sum() == pytest.approx(1.99, rel=1e-5)  # 0.99 u + w, each w sums to 1
    bank.reset()
    assert not bank.memory.any() and not bank.usage.any()
    assert "memory_size=10" in repr(bank)


# ---- bad input --------------------------------------------------------------------------------------------------


def test_bad_arguments_raise_clear_errors():
    agent = ContinualLearningAgent(seed=0)
    with pytest.raises(mnemonet.InvalidArgumentError, match=r"x must have shape \(64,\), got \(63,\)"):
        agent.train_step(np.zeros(63, np.float32), np.zeros(64, np.float32))
    with pytest.raises(mnemonet.ArgumentTypeError):
        agent.train_step("abc", np.zeros(64, np.float32))
    with pytest.raises(mnemonet.InvalidArgumentError):
        agent.evaluate(np.zeros((0, 64), np.float32), np.zeros((0, 64), np.float32))
    with pytest.raises(mnemonet.InvalidArgumentError, match="Y must have shape"):
        agent.fit(np.zeros((5, 64), np.float32), np.zeros((4, 64), np.float32), progress=False)
    with pytest.raises(mnemonet.InvalidArgumentError):
        agent.fit(np.zeros((5, 64), np.float32), np.zeros((5, 64), np.float32), epochs=-1, progress=False)
    with pytest.raises(mnemonet.InvalidArgumentError, match="memory_size"):
        ContinualLearningAgent(config=MemoryConfig(memory_size=0))
    with pytest.raises(mnemonet.InvalidArgumentError, match="num_write_heads"):
        ContinualLearningAgent(config=MemoryConfig(num_write_heads=2))
    with pytest.raises(mnemonet.InvalidArgumentError, match="replay_capacity"):
        ContinualLearningAgent(replay_capacity=3)
    with pytest.raises(mnemonet.InvalidArgumentError, match="lr"):
        ContinualLearningAgent(lr=float("nan"))
    with pytest.raises(mnemonet.InvalidArgumentError):
        create_task_data(-1, 10)
    bank = NeuralMemoryBank()
    with pytest.raises(mnemonet.InvalidArgumentError, match="read_keys must have shape"):
        bank.read(np.zeros((3, 64)), np.zeros(3))
    with pytest.raises(mnemonet.ArgumentTypeError):
        agent.controller.forward(np.zeros(64, np.float32), "not a bank")
    # non-finite inputs do not crash; they give a non-finite loss or an error, never a dead interpreter
    try:
        loss = agent.train_step(np.full(64, np.nan, np.float32), np.zeros(64, np.float32))
        assert not np.isfinite(loss)
    except mnemonet.MnemonetError:
        pass


def test_seed_style_pairs_and_replay_view():
    agent = ContinualLearningAgent(seed=2)
    X, Y = create_task_data(2, 20)
    pairs = list(zip(X, Y))
    agent.fit(pairs, epochs=1, progress=False)
    assert len(agent.replay_buffer) == 20 and agent.replay_buffer.capacity == 5000
    samples, weights = agent.replay_buffer.sample(8)
    assert len(samples) == 8 and weights.shape == (8,) and weights.max() == 1.0
    assert all(any(np.array_equal(s[0], x) for x in X) for s in samples)
    assert isinstance(agent.evaluate(pairs), float)
    assert "ContinualLearningAgent(input_dim=64" in repr(agent) and "20/5000" in repr(agent)


# ---- checkpoints ------------------------------------------------------------------------------------------------


def test_save_load_continues_identically(tmp_path):
    X, Y = create_task_data(1, 30)
    a = ContinualLearningAgent(64, 40, MemoryConfig(20, 16, 2), seed=5)
    a.fit(X, Y, epochs=1, progress=False)  # 30 items: replay active
    path = tmp_path / "agent.mnemonet"
    a.save(path)
    b = ContinualLearningAgent.load(path)
    assert b.hidden_dim == 40 and b.config == MemoryConfig(20, 16, 2) and len(b.replay_buffer) == 30
    la = a.fit(X, Y, epochs=2, progress=False)
    lb = b.fit(X, Y, epochs=2, progress=False)
    np.testing.assert_array_equal(la, lb)
    np.testing.assert_array_equal(a.memory_bank.memory, b.memory_bank.memory)
    np.testing.assert_array_equal(a.memory_bank.usage, b.memory_bank.usage)
    for k, v in a.controller.state_dict().items():
        np.testing.assert_array_equal(v, b.controller.state_dict()[k])


def test_corrupt_truncated_and_missing_checkpoints(tmp_path):
    a = ContinualLearningAgent(64, 16, MemoryConfig(8, 8, 1), seed=1)
    X, Y = create_task_data(0, 20)
    a.fit(X, Y, epochs=1, progress=False)
    path = tmp_path / "a.ckpt"
    a.save(path)
    data = path.read_bytes()
    (tmp_path / "t.ckpt").write_bytes(data[: len(data) // 2])
    with pytest.raises(mnemonet.CheckpointFormatError, match="truncated|corrupt"):
        ContinualLearningAgent.load(tmp_path / "t.ckpt")
    flipped = bytearray(data)
    flipped[len(data) - 100] ^= 0x40
    (tmp_path / "f.ckpt").write_bytes(bytes(flipped))
    with pytest.raises(mnemonet.CheckpointFormatError, match="checksum"):
        ContinualLearningAgent.load(tmp_path / "f.ckpt")
    (tmp_path / "x.ckpt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(mnemonet.CheckpointFormatError):
        ContinualLearningAgent.load(tmp_path / "x.ckpt")
    with pytest.raises(mnemonet.CheckpointIOError):
        ContinualLearningAgent.load(tmp_path / "missing.ckpt")
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]  # atomic write left no temporary file


# ---- the demo ---------------------------------------------------------------------------------------------------


def test_demo_prints_table_and_writes_figure(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "mnemonet.demo", "--epochs", "2", "--no-progress"],
                         capture_output=True, text=True, check=True, cwd=tmp_path, timeout=120).stdout
    assert "Held-out error (MSE), with replay" in out and "Held-out error (MSE), without replay" in out
    assert "The seed's protocol" in out and "effective rank" in out
    assert "Forgetting of task 1" in out and "Task 4: Error" in out
    assert (tmp_path / "neural_memory_results.png").stat().st_size > 10_000


def test_plot_helpers_work_alone(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from mnemonet.plots import plot_memory, plot_results, plot_task_errors
    import matplotlib.pyplot as plt

    plot_memory(np.random.default_rng(0).normal(size=(8, 4)))
    plt.close("all")
    plot_task_errors({"a": [0.1, 0.01, 0.02]})
    plt.close("all")
    fig = plot_results(np.zeros((8, 4)), [[0.1], [0.2, 0.01]], [[0.1], [0.5, 0.02]], path=str(tmp_path / "r.png"))
    plt.close("all")
    agent = ContinualLearningAgent(4, 8, config=MemoryConfig(8, 4, 2), replay_capacity=64, seed=0)
    plot_memory(agent.memory_bank)              # the natural inputs: a bank, an agent, a flat error list
    plt.close("all")
    plot_memory(agent)
    plt.close("all")
    plot_results(agent.memory_bank, [0.1, 0.05, 0.02], [0.1, 0.3, 0.5], path=None)
    assert len(fig.axes) >= 2 and (tmp_path / "r.png").exists()
    plt.close("all")


def test_threads_share_the_agent_safely():
    """fit releases the GIL; the agent's lock serialises it with calls through its controller and memory views."""
    import threading

    agent = ContinualLearningAgent(64, 32, MemoryConfig(16, 8, 2), seed=4)
    X, Y = create_task_data(3, 40)
    errors = []

    def train():
        try:
            agent.fit(X, Y, epochs=5, progress=False)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=train)
    t.start()
    seen = 0
    while t.is_alive():
        sd = agent.controller.state_dict()
        assert np.isfinite(sd["output.weight"]).all()
        assert np.isfinite(agent.memory_bank.memory).all()
        seen += 1
    t.join()
    assert not errors and seen >= 1
    assert len(agent.replay_buffer) == 200  # every step pushes its sample


def test_views_keep_the_agent_alive():
    agent = ContinualLearningAgent(64, 16, MemoryConfig(8, 8, 1), seed=0)
    controller, bank = agent.controller, agent.memory_bank
    del agent
    import gc

    gc.collect()
    out = controller(np.ones(64, np.float32), bank)
    assert out.shape == (64,) and np.isfinite(out).all()
