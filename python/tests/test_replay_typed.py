"""Typed replay fields, rank-based prioritization and n-step returns (issue 13)."""
import os

import numpy as np
import pytest

import mnemonet
from mnemonet import ArgumentTypeError, InvalidArgumentError

ALL = ["float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"]


def _values(dtype, n, shape):
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(0)
    if dtype.kind == "b":
        return rng.random((n,) + shape) < 0.5
    if dtype.kind == "f":
        return rng.standard_normal((n,) + shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, (n,) + shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("cls", ["prioritized", "reservoir"])
@pytest.mark.parametrize("form", ["pair", "cpprb"])
def test_every_dtype_round_trips_exactly_and_in_its_own_dtype(tmp_path, cls, form):
    shapes = {d: (3,) if i % 2 else (2, 2) for i, d in enumerate(ALL)}
    spec = {f"f_{d}": ((shapes[d], np.dtype(d)) if form == "pair" else {"shape": shapes[d], "dtype": d}) for d in ALL}
    data = {f"f_{d}": _values(d, 20, shapes[d]) for d in ALL}
    if cls == "prioritized":
        buf = mnemonet.PrioritizedReplay(32, spec, seed=0)
        buf.add(**data)
        batch = buf.sample(64)
    else:
        buf = mnemonet.ReservoirReplay(32, spec, seed=0)
        buf.add(**data)
        batch = buf.sample(64)
    for d in ALL:
        got = batch[f"f_{d}"]
        assert got.dtype == np.dtype(d) and got.shape == (64,) + shapes[d]
        np.testing.assert_array_equal(got, data[f"f_{d}"][batch["indices"]])
    path = os.fspath(tmp_path / "typed.mnem")
    buf.save(path)
    again = type(buf).load(path)
    b2 = again.sample(8)
    for d in ALL:
        assert b2[f"f_{d}"].dtype == np.dtype(d)
        np.testing.assert_array_equal(b2[f"f_{d}"], data[f"f_{d}"][b2["indices"]])


def test_int64_keeps_all_bits_and_uint8_takes_one_byte():
    buf = mnemonet.PrioritizedReplay(10, {"id": ((), np.int64), "frame": ((84, 84), np.uint8)}, seed=0)
    buf.add(id=np.array([16777217, 2**62 + 1]), frame=np.zeros((2, 84, 84), np.uint8))
    assert set(buf.sample(16)["id"].tolist()) <= {16777217, 2**62 + 1}
    assert buf.dtypes == {"id": np.dtype(np.int64), "frame": np.dtype(np.uint8)}
    assert "uint8" in repr(buf)


def test_conversions_are_checked():
    buf = mnemonet.PrioritizedReplay(10, {"a": ((), np.uint8), "ok": ((), bool), "x": (2,)}, seed=0)
    buf.add(a=[1, 2], ok=[1, 0], x=[[1, 2], [3, 4]])            # int lists, 0/1 → bool: converted
    buf.add(a=np.array([3.0]), ok=np.array([True]), x=np.zeros((1, 2), np.float64))  # integral floats accepted
    with pytest.raises(InvalidArgumentError, match="outside"):
        buf.add(a=256, ok=True, x=[0, 0])
    with pytest.raises(ArgumentTypeError, match="non-integral"):
        buf.add(a=1.5, ok=True, x=[0, 0])
    with pytest.raises(InvalidArgumentError, match="0 and 1"):
        buf.add(a=1, ok=2, x=[0, 0])
    with pytest.raises(ArgumentTypeError, match="complex"):
        buf.add(a=1, ok=True, x=np.zeros(2, np.complex64))
    with pytest.raises(ArgumentTypeError, match="None"):
        buf.add(a=None, ok=True, x=[0, 0])
    with pytest.raises(ArgumentTypeError, match="not supported"):
        mnemonet.PrioritizedReplay(10, {"z": ((), np.complex64)})
    with pytest.raises(ArgumentTypeError, match="not supported"):
        mnemonet.PrioritizedReplay(10, {"z": ((), np.float16)})
    with pytest.raises(InvalidArgumentError, match="unknown key"):
        mnemonet.PrioritizedReplay(10, {"z": {"shape": 2, "dtyp": np.int8}})
    assert len(buf) == 3


def test_cpprb_default_shape_is_one():
    buf = mnemonet.PrioritizedReplay(10, {"rew": {}, "done": {"dtype": np.bool_}})
    assert buf.fields == {"rew": (1,), "done": (1,)}


def test_version1_float32_checkpoints_still_load():
    # A checkpoint written before typed fields (format version 1), committed as a fixture.
    path = os.path.join(os.path.dirname(__file__), "fixtures", "replay_v1.mnem")
    buf = mnemonet.PrioritizedReplay.load(path)
    assert buf.dtypes == {"x": np.dtype(np.float32), "y": np.dtype(np.float32)}
    batch = buf.sample(8)
    np.testing.assert_array_equal(batch["x"][:, 0], batch["indices"].astype(np.float32))


# ---- rank-based ------------------------------------------------------------------------------------------------


def _rank_reference(priorities, alpha, beta):
    """NumPy reference: P(i) = rank(i)^-alpha / sum_k k^-alpha (ranks by decreasing priority, ties: lower index
    first), and w_i = (N P(i))^-beta / max_k (N P(k))^-beta."""
    n = len(priorities)
    order = np.lexsort((np.arange(n), -np.asarray(priorities)))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    p = rank.astype(np.float64) ** -alpha
    p /= p.sum()
    w = (n * p) ** -beta
    return p, w / w.max()


@pytest.mark.parametrize("alpha,beta", [(0.7, 0.5), (1.0, 1.0), (0.0, 0.4)])
def test_rank_based_matches_the_numpy_distribution(alpha, beta):
    rng = np.random.default_rng(1)
    n = 50
    prios = rng.integers(0, 20, n).astype(np.float64)  # many ties
    buf = mnemonet.PrioritizedReplay(64, {"i": ((), np.int64)}, alpha=alpha, sampling="rank", seed=3)
    buf.add(i=np.arange(n), priority=prios)
    p_ref, w_ref = _rank_reference(prios, alpha, beta)
    counts = np.zeros(n)
    draws = 0
    for _ in range(400):
        b = buf.sample(100, beta=beta)
        np.testing.assert_array_equal(b["i"], b["indices"])
        np.testing.assert_allclose(b["weights"], w_ref[b["indices"]], rtol=1e-6)
        counts += np.bincount(b["indices"], minlength=n)
        draws += 100
    freq = counts / draws
    # Stratified draws have less variance than multinomial ones: a 5-sigma multinomial bound is conservative.
    sigma = np.sqrt(p_ref * (1 - p_ref) / draws)
    assert np.all(np.abs(freq - p_ref) <= 5 * sigma + 1e-12), np.max(np.abs(freq - p_ref) / (sigma + 1e-12))


def test_rank_based_follows_updates_overwrites_and_checkpoints(tmp_path):
    rng = np.random.default_rng(2)
    buf = mnemonet.PrioritizedReplay(40, {"i": ((), np.int64)}, alpha=0.8, sampling="rank", seed=0)
    prios = np.zeros(40)
    for step in range(6):  # 6 × 15 items into 40 slots: the ring wraps
        p = rng.random(15)
        slots = (np.arange(15) + step * 15) % 40
        buf.add(i=slots, priority=p)
        prios[slots] = p
    idx = rng.integers(0, 40, 30)
    newp = rng.random(30)
    buf.update_priorities(idx, newp)
    for i, v in zip(idx, newp):
        prios[i] = v  # repeated indices: the last wins
    buf.check_invariants()
    np.testing.assert_array_equal(buf.priorities(np.arange(40)), prios)
    path = os.fspath(tmp_path / "rank.mnem")
    buf.save(path)
    again = mnemonet.PrioritizedReplay.load(path)
    assert again.sampling == "rank"
    a, b = buf.sample(64, beta=0.3), again.sample(64, beta=0.3)
    np.testing.assert_array_equal(a["indices"], b["indices"])
    _, w_ref = _rank_reference(prios, 0.8, 0.3)
    np.testing.assert_allclose(a["weights"], w_ref[a["indices"]], rtol=1e-6)


# ---- n-step ------------------------------------------------------------------------------------------------------


def _nstep_reference(transitions, n, gamma):
    """A plain loop over each episode: the window of t ends at the first done at or after t, or after n steps, or
    at the episode's end."""
    out = []
    T = len(transitions)
    for t in range(T):
        rew, m = 0.0, 0
        for k in range(n):
            if t + k >= T:
                break
            rew += gamma ** k * transitions[t + k]["rew"]
            m += 1
            if transitions[t + k]["done"]:
                break
        last = transitions[t + m - 1]
        out.append({"obs": transitions[t]["obs"], "rew": rew, "next_obs": last["next_obs"], "done": last["done"],
                    "disc": gamma ** m})
    return out


@pytest.mark.parametrize("batch", [1, 4, 7])
def test_nstep_matches_a_reference_loop(batch):
    n, gamma = 3, 0.9
    rng = np.random.default_rng(4)
    T = 40
    done = rng.random(T) < 0.15
    episode = [{"obs": np.array([t, t], np.float32), "rew": float(rng.standard_normal()),
                "next_obs": np.array([t + 1, t + 1], np.float32), "done": bool(done[t])} for t in range(T)]
    spec = {"obs": (2,), "rew": (), "next_obs": (2,), "done": ((), bool), "disc": ()}
    buf = mnemonet.PrioritizedReplay(100, spec, seed=0,
                                     nstep={"size": n, "gamma": gamma, "rew": "rew", "next": "next_obs",
                                            "discount": "disc"})
    for lo in range(0, T, batch):
        chunk = episode[lo:lo + batch]
        buf.add(**{k: np.stack([np.asarray(e[k]) for e in chunk]) for k in ("obs", "rew", "next_obs", "done")},
                disc=np.zeros(len(chunk)))
    buf.on_episode_end()
    # The reference treats each done as an episode end (windows never cross it).
    ref, start = [], 0
    for t in range(T):
        if done[t] or t == T - 1:
            ref += _nstep_reference(episode[start:t + 1], n, gamma)
            start = t + 1
    assert len(buf) == T
    b = buf.sample(400)
    for j, i in enumerate(b["indices"]):
        r = ref[i]
        np.testing.assert_array_equal(b["obs"][j], r["obs"])
        np.testing.assert_allclose(b["rew"][j], r["rew"], rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(b["next_obs"][j], r["next_obs"])
        assert b["done"][j] == r["done"]
        np.testing.assert_allclose(b["disc"][j], r["disc"], rtol=1e-6)


def test_nstep_validation():
    spec = {"obs": (2,), "rew": (), "next_obs": (2,)}
    with pytest.raises(InvalidArgumentError, match="done"):
        mnemonet.PrioritizedReplay(10, spec, nstep={"size": 2, "rew": "rew", "next": "next_obs"})
    with pytest.raises(InvalidArgumentError, match="not a field"):
        mnemonet.PrioritizedReplay(10, dict(spec, done=()), nstep={"size": 2, "rew": "reward"})
    with pytest.raises(InvalidArgumentError, match="size"):
        mnemonet.PrioritizedReplay(10, dict(spec, done=()), nstep={"size": 0})
