"""mnemonet.DNC: shapes, inspectable state, parity with the committed PyTorch fixtures (and with the PyTorch
reference when torch is installed), state_dict names, checkpoints, training, tasks and input validation."""
import json
import math
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import mnemonet
from mnemonet import DNC, DNCState, MemoryConfig
from mnemonet.dnc_tasks import AssociativeRecallTask, CopyTask, RepeatCopyTask, bits_per_sequence

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FIXTURES = os.path.join(ROOT, "Tests", "MnemonetDNCTests", "Fixtures")


def small(writes=2, **kw):
    args = dict(hidden_size=8, seed=3)
    args.update(kw)
    return DNC(5, 4, MemoryConfig(6, 4, 3, writes), **args)


def fixture(name):
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        raw = json.load(f)
    t = {k: np.array(v["values"], np.float32).reshape(v["shape"]) for k, v in raw["tensors"].items()}
    return t, raw["scalars"]


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


@pytest.mark.parametrize("name", ["dnc_w1_lstm", "dnc_w2_lstm_masked", "dnc_w1_feedforward"])
def test_forward_and_state_match_pytorch_fixture(name):
    t, s = fixture(name)
    model = DNC(s["input_size"], s["output_size"], MemoryConfig(s["memory_size"], s["memory_dim"],
                                                                s["num_read_heads"], s["num_write_heads"]),
                hidden_size=s["hidden_size"], controller=s["controller"], seed=0)
    assert list(model.state_dict()) == s["parameter_names"]
    model.load_state_dict({n: t["param." + n] for n in s["parameter_names"]})
    lengths = None if "mask" not in t else t["mask"].sum(0).astype(np.int64)
    out = model.forward(t["inputs"], lengths=lengths, trace=True)
    assert rel(out.y, t["outputs"]) <= 1e-4
    for key in ("memory", "usage", "link", "precedence", "read_weights", "write_weights", "read_vectors"):
        assert rel(getattr(out.state, key), t["state." + key]) <= 1e-4, key
    if s["controller"] == "lstm":
        assert rel(out.state.h, t["state.h"]) <= 1e-4 and rel(out.state.c, t["state.c"]) <= 1e-4
    else:
        assert out.state.h is None
    assert rel(out.read_weights, t["trace.read_weights"]) <= 1e-4
    assert rel(out.write_weights, t["trace.write_weights"]) <= 1e-4


def test_matches_the_pytorch_reference_live():
    torch = pytest.importorskip("torch")
    sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
    from dnc_reference import ReferenceDNC
    model = small(writes=2)
    ref = ReferenceDNC(5, 4, 8, 6, 4, 3, 2)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((7, 2, 5)).astype(np.float32)
    y, state = model.forward(x)
    with torch.no_grad():
        ry, rs, _ = ref(torch.from_numpy(x))
    assert rel(y, ry.numpy()) <= 1e-4
    assert rel(state.link, rs["link"].numpy()) <= 1e-4


def test_state_is_inspectable_and_resumable():
    model = small()
    x = np.random.default_rng(1).standard_normal((6, 3, 5)).astype(np.float32)
    y, state = model.forward(x)
    assert y.shape == (6, 3, 4)
    assert state.memory.shape == (3, 6, 4) and state.link.shape == (3, 2, 6, 6) and state.usage.shape == (3, 6)
    assert np.all(state.usage >= 0) and np.all(state.usage <= 1)
    assert np.all(np.diagonal(state.link, axis1=2, axis2=3) == 0)
    # Running 6 steps = running 3, then 3 more from the returned state.
    y1, s1 = model.forward(x[:3])
    y2, s2 = model.forward(x[3:], s1)
    np.testing.assert_allclose(np.concatenate([y1, y2]), y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s2.memory, state.memory, rtol=1e-5, atol=1e-6)
    assert "DNCState(batch=3" in repr(state) and "DNC(input_size=5" in repr(model)


def test_state_dict_round_trip_and_errors():
    a, b = small(seed=1), small(seed=2)
    x = np.ones((3, 1, 5), np.float32)
    assert not np.allclose(a.forward(x).y, b.forward(x).y)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.forward(x).y, b.forward(x).y)
    sd = a.state_dict()
    sd["output.bias"] = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match=r"output.bias has shape \(5,\), expected \(4,\)"):
        b.load_state_dict(sd)
    with pytest.raises(ValueError, match="missing"):
        b.load_state_dict({})
    assert a.parameter_count == sum(v.size for v in a.state_dict().values())


def test_save_load_resumes_training_exactly(tmp_path):
    task = CopyTask(max_length=3)
    a = DNC(task.input_size, task.output_size, MemoryConfig(8, 6, 1, 1), hidden_size=16, lr=1e-3, seed=5)
    a.fit(task, 5, progress=False, seed=0)
    path = tmp_path / "dnc.ckpt"
    a.save(path)
    b = DNC.load(path)
    assert b.optimizer_steps == a.optimizer_steps == 5 and repr(b) == repr(a)
    x, y, m = task.sample(4, np.random.default_rng(9))
    assert a.train_step(x, y, m) == b.train_step(x, y, m)
    np.testing.assert_array_equal(a.forward(x).y, b.forward(x).y)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.forward(x).y, a.forward(x).y)
    assert DNC.from_bytes(a.to_bytes()).state_dict().keys() == a.state_dict().keys()
    (tmp_path / "bad").write_bytes(b"MNEMONET" + b"\0" * 40)
    with pytest.raises(mnemonet.CheckpointFormatError):
        DNC.load(tmp_path / "bad")


def test_fit_on_arrays_and_truncation_learns():
    rng = np.random.default_rng(0)
    x = (rng.random((6, 64, 3)) < 0.5).astype(np.float32)
    y = np.zeros((6, 64, 2), np.float32)
    y[1:] = x[:-1, :, :2]  # the previous step's first two bits
    model = DNC(3, 2, MemoryConfig(4, 3, 1, 1), hidden_size=16, lr=1e-2, seed=0)
    losses = model.fit((x, y), 60, batch_size=16, truncation=3, progress=False, seed=1)
    assert losses.shape == (60,) and losses[-10:].mean() < 0.7 * losses[:10].mean()
    assert model.optimizer_steps == 120  # two chunks per sequence


def test_tasks_shapes_and_bits():
    rng = np.random.default_rng(0)
    for task in (CopyTask(), RepeatCopyTask(), AssociativeRecallTask()):
        x, y, m = task.sample(5, rng)
        assert x.shape[1:] == (5, task.input_size) and y.shape[1:] == (5, task.output_size) and m.shape == x.shape[:2]
        assert m.sum() > 0 and set(np.unique(m)) <= {0.0, 1.0}
    x, y, m = CopyTask(max_length=4).sample(3, rng)
    perfect = np.where(y > 0.5, 30.0, -30.0).astype(np.float32)
    xent, errors = bits_per_sequence(perfect, y, m)
    assert xent < 1e-6 and errors == 0
    assert bits_per_sequence(np.zeros_like(y), y, m)[0] == pytest.approx(m.sum() * 8 / 3)


def test_benchmark_json_is_strict():
    from mnemonet.benchmarks.dnc import run_dnc
    s = run_dnc("copy", steps=3, progress=False, eval_sequences=100)
    s.pop("_model"), s.pop("_task")
    text = json.dumps(s, allow_nan=False)
    assert json.loads(text)["task"] == "copy" and s["train_steps"] == 3 and s["bits_per_sequence"] > 0


@pytest.mark.parametrize("bad, error, message", [
    (np.zeros((3, 2, 5)), TypeError, "float32"),
    (np.zeros((3, 5), np.float32), ValueError, "3"),
    (np.zeros((3, 2, 6), np.float32), ValueError, "5"),
    (np.zeros((0, 2, 5), np.float32), ValueError, "at least one time step"),
    (np.zeros((3, 0, 5), np.float32), ValueError, "at least one time step"),
    (np.full((3, 2, 5), np.nan, np.float32), ValueError, "(?i)nan"),
    ([[[0.0] * 5]], TypeError, "ndarray|array"),
])
def test_bad_input_raises_clear_errors(bad, error, message):
    model = small()
    with pytest.raises(error, match=message):
        model.forward(bad)
    with pytest.raises(error, match=message):
        model.train_step(bad, np.zeros((3, 2, 4), np.float32))


def test_bad_configuration_and_arguments():
    with pytest.raises(ValueError, match="link matrix"):
        DNC(2, 2, MemoryConfig(9000, 4, 1, 1))
    with pytest.raises(ValueError, match="memory_size must be >= 1"):
        DNC(2, 2, MemoryConfig(0, 4, 1, 1))
    with pytest.raises(TypeError, match="int"):
        DNC(2.5, 2)
    with pytest.raises(ValueError, match="controller"):
        DNC(2, 2, controller="gru")
    model = small()
    x = np.zeros((3, 2, 5), np.float32)
    with pytest.raises(ValueError, match="mask"):
        model.train_step(x, np.zeros((3, 2, 4), np.float32), np.full((3, 2), 2, np.float32))
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        model.train_step(x, np.zeros((3, 2, 4), np.float32), np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="lengths"):
        model.forward(x, lengths=np.array([4, 1]))
    with pytest.raises(ValueError, match="y"):
        model.train_step(x, np.zeros((3, 2, 5), np.float32))
    with pytest.raises(ValueError, match="lr"):
        model.train_step(x, np.zeros((3, 2, 4), np.float32), lr=-1.0)
    with pytest.raises(TypeError, match="DNCState"):
        model.forward(x, state={"memory": 0})


def test_link_memory_bound_is_an_error_not_a_crash():
    # memory_size 8192: one link matrix per batch entry is 256 MB; a batch of 4096 would need ~1 TB.
    model = DNC(1, 1, MemoryConfig(8192, 1, 1, 1), hidden_size=1, seed=0)
    with pytest.raises(ValueError, match="link matrices"):
        model.forward(np.zeros((1, 4096, 1), np.float32))
