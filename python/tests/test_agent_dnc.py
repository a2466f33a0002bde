"""ContinualLearningAgent(memory="dnc") (issue 11): the agent's memory through the DNC's memory access, trained with
the seed's replay recipe; validation, read-only evaluation, slot diversity, replay, checkpoints with the memory kind."""
import copy
import io
import os
import pickle
import struct
import sys

import numpy as np
import pytest

import mnemonet
from mnemonet import (CheckpointFormatError, ContinualLearningAgent, InvalidArgumentError, InvalidStateError,
                      MemoryConfig, create_task_data)
from mnemonet.agent import MEMORY_KINDS, DNCMemoryView

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import ckpt  # noqa: E402


def small(memory="dnc", **kw):
    kw.setdefault("replay_capacity", 64)
    return ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2), seed=0, memory=memory, **kw)


@pytest.fixture(scope="module")
def data():
    return create_task_data(0, 30, input_dim=8)


def test_memory_kind_is_validated_at_construction():
    assert MEMORY_KINDS == ("seed", "dnc")
    with pytest.raises(InvalidArgumentError, match="output_dim"):
        ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2), output_dim=3, memory="dnc")
    for bad in ("foo", "DNC", 1, None):
        with pytest.raises(ValueError, match=r"memory must be one of \('seed', 'dnc'\)"):
            small(memory=bad)
    with pytest.raises(InvalidArgumentError, match="init"):
        ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2, init="normal"), memory="dnc")
    # The DNC takes several write heads; the seed's bank does not.
    a = ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2, 2), memory="dnc", seed=0)
    assert a.config.num_write_heads == 2
    with pytest.raises(InvalidArgumentError):
        ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2, 2), memory="seed")
    with pytest.raises(InvalidArgumentError):
        mnemonet._native.Agent(8, 16, 8, 8, 2, 1, 64, 1e-3, memory=7)


def test_default_is_the_seed_memory():
    a = ContinualLearningAgent(8, 16, config=MemoryConfig(8, 8, 2), seed=0)
    assert a.memory == "seed" and isinstance(a.memory_bank, mnemonet.NeuralMemoryBank)
    assert "memory='seed'" in repr(a)


def test_dnc_agent_trains_and_its_views(data):
    X, Y = data
    a = small()
    assert a.memory == "dnc" and a.controller is None and isinstance(a.memory_bank, DNCMemoryView)
    assert "memory='dnc'" in repr(a) and "DNCMemoryView" in repr(a.memory_bank)
    before = a.evaluate(X, Y)
    losses = a.fit(X, Y, epochs=8, progress=False)
    assert losses.shape == (8, 30) and np.all(np.isfinite(losses))
    assert losses[-1].mean() < 0.5 * losses[0].mean()
    assert a.evaluate(X, Y) < 0.5 * before
    assert len(a.replay_buffer) == 64
    samples, w = a.replay_buffer.sample(8)
    assert len(samples) == 8 and w.shape == (8,) and w.max() == pytest.approx(1.0)
    m = a.memory_bank.memory
    assert m.shape == (8, 8) and a.memory_bank.usage.shape == (8,)
    assert np.all((a.memory_bank.usage >= 0) & (a.memory_bank.usage <= 1 + 1e-6))


def test_read_only_evaluation_and_predict_leave_the_agent_unchanged(data):
    X, Y = data
    a = small()
    a.fit(X, Y, epochs=2, progress=False)
    raw = a.to_bytes()
    e1, e2 = a.evaluate(X, Y), a.evaluate(X, Y)
    p1 = a.predict(X)
    assert e1 == e2 and p1.shape == (30, 8)
    np.testing.assert_array_equal(a.predict(X[3]), p1[3])
    assert a.to_bytes() == raw
    a.evaluate(X, Y, write_memory=True)  # the seed's evaluate: each forward's write persists
    assert not np.array_equal(a.memory_bank.memory, ContinualLearningAgent.from_bytes(raw).memory_bank.memory)


def test_the_dnc_memory_holds_distinct_slots_where_the_seed_bank_does_not(data):
    X, Y = data
    ranks, spread = {}, {}
    for kind in MEMORY_KINDS:
        a = small(kind)
        a.fit(X, Y, epochs=3, progress=False)
        ranks[kind], spread[kind] = a.memory_bank.effective_rank(), a.memory_bank.slot_spread()
    assert ranks["seed"] == pytest.approx(1.0, abs=1e-3) and spread["seed"] < 1e-5
    assert ranks["dnc"] > 1.25 and spread["dnc"] > 1e-2


def test_replayed_rows_add_exactly_their_weighted_loss_and_do_not_write(data):
    """With λ = 0 the replayed batch contributes nothing: replaying or not gives bit-identical agents (weights and
    memory: the replayed rows' writes are discarded). With λ > 0 it changes the update."""
    X, Y = data
    a, b, c = small(replay_weight=0.0), small(replay_weight=0.0), small(replay_weight=0.3)
    for agent in (a, b, c):
        agent.fit(X[:20], Y[:20], epochs=1, use_replay=False, progress=False)  # > 16 stored: replay is active
    la = a.train_step(X[20], Y[20], use_replay=True)
    lb = b.train_step(X[20], Y[20], use_replay=False)
    lc = c.train_step(X[20], Y[20], use_replay=True)
    assert la == lb and lc > lb
    np.testing.assert_array_equal(a.memory_bank.memory, b.memory_bank.memory)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(c.predict(X), b.predict(X))


def test_checkpoints_record_the_memory_kind_and_resume_exactly(tmp_path, data):
    X, Y = data
    a = small()
    a.fit(X, Y, epochs=2, progress=False)
    path = tmp_path / "dnc.mnem"
    a.save(path)
    buf = io.BytesIO()
    a.save(buf)
    copies = [ContinualLearningAgent.load(path), ContinualLearningAgent.load(io.BytesIO(buf.getvalue())),
              ContinualLearningAgent.from_bytes(a.to_bytes()), pickle.loads(pickle.dumps(a)), copy.deepcopy(a)]
    ref = a.train_step(X[0], Y[0])
    for b in copies:
        assert b.memory == "dnc"
        assert (b.input_dim, b.hidden_dim, b.replay_capacity, len(b.replay_buffer)) == (8, 16, 64, 60)
        assert b.train_step(X[0], Y[0]) == ref
        np.testing.assert_array_equal(b.memory_bank.memory, a.memory_bank.memory)
    # Payload version 4 records the memory kind (1 = dnc) right after the version.
    payload = ckpt.split(path.read_bytes())[2]
    (tlen,) = struct.unpack_from("<q", payload, 0)
    assert struct.unpack_from("<II", payload, 8 + tlen) == (4, 1)
    # An unknown memory kind is refused cleanly.
    bad = payload[:8 + tlen + 4] + struct.pack("<I", 9) + payload[8 + tlen + 8:]
    with pytest.raises(CheckpointFormatError, match="memory kind 9"):
        ContinualLearningAgent.from_bytes(ckpt.reseal(path.read_bytes(), bad))
    with pytest.raises(CheckpointFormatError):
        ContinualLearningAgent.from_bytes(path.read_bytes()[:-10])


def test_seed_checkpoints_keep_version_3(tmp_path, data):
    X, Y = data
    a = small("seed")
    a.fit(X[:5], Y[:5], epochs=1, progress=False)
    payload = ckpt.split(a.to_bytes())[2]
    (tlen,) = struct.unpack_from("<q", payload, 0)
    assert struct.unpack_from("<I", payload, 8 + tlen)[0] == 3
    b = ContinualLearningAgent.from_bytes(a.to_bytes())
    assert b.memory == "seed" and b.train_step(X[0], Y[0]) == a.train_step(X[0], Y[0])
    # A version-4 payload with memory kind 0 (what a future writer may emit for the seed memory) reads as version 3.
    raw = a.to_bytes()
    payload = ckpt.split(raw)[2]
    v4 = payload[:8 + tlen] + struct.pack("<II", 4, 0) + payload[8 + tlen + 4:]
    c = ContinualLearningAgent.from_bytes(ckpt.reseal(raw, v4))
    assert c.memory == "seed" and c.train_step(X[1], Y[1]) == a.train_step(X[1], Y[1])


def test_seed_memory_only_calls_refuse_a_dnc_agent(data):
    X, Y = data
    a = small()
    with pytest.raises(InvalidStateError, match="memory='seed'"):
        a.adapt(X[:5], Y[:5])
    with pytest.raises(InvalidStateError, match="memory='seed'"):
        a._agent.controller()
    with pytest.raises(InvalidStateError, match="memory='seed'"):
        a._agent.memory_bank()


def test_a_failed_step_leaves_the_agent_unchanged(data):
    X, Y = data
    a = small()
    a.fit(X[:20], Y[:20], epochs=1, progress=False)
    raw = a.to_bytes()
    bad = X[0].copy()
    bad[0] = np.nan
    with pytest.raises(InvalidArgumentError):
        a.train_step(bad, Y[0])
    huge = np.full(8, 3e38, np.float32)
    with pytest.raises(mnemonet.MnemonetError):
        a.train_step(huge, huge)
    assert a.to_bytes() == raw


@pytest.mark.parametrize("memory", MEMORY_KINDS)
def test_fit_stream_runs_the_agent_on_a_continual_stream(memory):
    from mnemonet import continual
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((4, 8)) * 3
    y = np.repeat(np.arange(4), 30)
    X = (centers[y] + rng.standard_normal((120, 8))).astype(np.float32)
    s = continual.stream(X, y, classes_per_task=2, scenario="class", seed=0)
    for loss in ("cross_entropy", "mse"):
        a = small(memory)
        r = a.fit_stream(s, epochs=3, loss=loss)
        assert r.accuracy_matrix.shape == (2, 2) and r.memory.shape == (2, 8, 8)
        assert r.accuracy_matrix[0, 0] > 0.8 and r.accuracy_matrix[1, 1] > 0.8  # each task is learnt
        assert memory in r.strategy and loss in r.strategy and len(r.memory_rank) == 2
        # The MSE path is the seed's train_step (the agent's own replay buffer); the CE head keeps its own.
        assert (len(a.replay_buffer) > 0) == (loss == "mse")
    with pytest.raises(InvalidArgumentError, match="input_dim"):
        ContinualLearningAgent(4, 8, config=MemoryConfig(4, 4, 1), memory=memory).fit_stream(s)


def test_demo_memory_comparison_is_strict_json_with_both_memories():
    import json
    from mnemonet.demo import compare_memories, format_memory_comparison
    s = compare_memories(seeds=[0, 1], epochs=1, config=MemoryConfig(8, 8, 2), replay=[True])
    json.dumps(s, allow_nan=False)
    rows = {r["memory"]: r for r in s["rows"]}
    assert set(rows) == {"seed", "dnc"} and len(rows["dnc"]["runs"]) == 2
    assert rows["seed"]["effective_rank"]["mean"] == pytest.approx(1.0, abs=1e-3)
    assert rows["dnc"]["effective_rank"]["mean"] > 1.0
    assert rows["dnc"]["average_forgetting"]["std"] is not None
    text = format_memory_comparison(s)
    assert "dnc" in text and "effective rank" in text
