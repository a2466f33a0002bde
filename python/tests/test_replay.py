"""mnemonet.PrioritizedReplay / ExperienceReplay / ReservoirReplay: round trips, semantics, errors, checkpoints."""
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mnemonet
from mnemonet import (
    ArgumentTypeError,
    CheckpointFormatError,
    CheckpointIOError,
    ExperienceReplay,
    IndexOutOfRangeError,
    InvalidArgumentError,
    InvalidStateError,
    PrioritizedReplay,
    ReservoirReplay,
    _native,
)


def chi2_quantile(df, z=3.719):
    """Upper quantile of chi-square(df) at p = 1e-4 (z = 3.719), Wilson–Hilferty."""
    t = 1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))
    return df * t**3


def numbered(capacity=16, n=10, priorities=None, **kw):
    """A buffer whose field "id" holds each item's insertion number and "x" a (2, 3) block derived from it."""
    buf = PrioritizedReplay(capacity, {"id": (), "x": (2, 3)}, **kw)
    ids = np.arange(n, dtype=np.float32)
    buf.add(id=ids, x=ids[:, None, None] * np.ones((n, 2, 3), np.float32), priority=priorities)
    return buf


# ---- round trips ----------------------------------------------------------------------------------------------


def test_sample_returns_every_field_with_indices_and_weights():
    buf = numbered(priorities=np.linspace(0.1, 2, 10), seed=0)
    assert len(buf) == 10 and buf.capacity == 16
    batch = buf.sample(32, beta=0.5)
    assert sorted(batch) == ["id", "indices", "weights", "x"]
    assert batch["id"].shape == (32,) and batch["id"].dtype == np.float32
    assert batch["x"].shape == (32, 2, 3) and batch["x"].dtype == np.float32
    assert batch["indices"].dtype == np.int64 and batch["weights"].dtype == np.float32
    assert np.all((0 <= batch["indices"]) & (batch["indices"] < 10))
    # The gathered rows are the indexed items.
    np.testing.assert_array_equal(batch["id"], batch["indices"].astype(np.float32))
    np.testing.assert_array_equal(batch["x"], batch["id"][:, None, None] * np.ones((1, 2, 3)))
    assert np.all((batch["weights"] > 0) & (batch["weights"] <= 1))


def test_single_items_and_conversions():
    buf = PrioritizedReplay(8, {"x": (3,), "r": ()}, seed=1)
    buf.add(x=[1, 2, 3], r=1)  # lists and ints: one item
    buf.add(x=np.array([4.0, 5.0, 6.0]), r=np.float64(2.5), priority=2.0)  # float64: converted
    buf.add(x=np.ones((2, 3), dtype=np.int32), r=[7, 8], priority=[0.5, 0.25])  # a batch of 2
    assert len(buf) == 4
    np.testing.assert_allclose(buf.priorities([0, 1, 2, 3]),
                               [1.0, (2 + 1e-6) ** 0.6, (0.5 + 1e-6) ** 0.6, (0.25 + 1e-6) ** 0.6], rtol=1e-13)


def test_ring_buffer_overwrites_oldest_first():
    buf = PrioritizedReplay(3, {"v": ()}, alpha=0.0, seed=0)
    for i in range(5):
        buf.add(v=float(i))
    got = buf.sample(300)
    assert set(got["v"].tolist()) == {2.0, 3.0, 4.0}
    assert set((got["indices"] - got["v"].astype(int) + 3) % 3) == {0}  # slot = item mod 3
    assert len(buf) == 3


def test_new_items_get_the_largest_priority_seen():
    buf = PrioritizedReplay(8, {"v": ()}, alpha=1.0, eps=0.0, seed=0)
    buf.add(v=0.0, priority=0.5)
    buf.add(v=1.0)
    assert buf.priorities([1])[0] == 1.0  # 1.0 at the start
    buf.update_priorities([0], [4.0])
    buf.add(v=2.0)
    assert buf.priorities([2])[0] == 4.0 and buf.max_priority == 4.0


def test_frequencies_and_weights_follow_schaul():
    rng = np.random.default_rng(3)
    n, alpha, beta, eps = 20, 0.7, 0.6, 0.01
    pr = rng.uniform(0.05, 3, n)
    buf = numbered(capacity=32, n=n, priorities=pr, alpha=alpha, eps=eps, seed=5)
    p = (pr + eps) ** alpha
    P = p / p.sum()
    counts = np.zeros(n)
    draws = 0
    for _ in range(400):
        b = buf.sample(128, beta=beta)
        np.add.at(counts, b["indices"], 1)
        draws += 128
        w = (n * P[b["indices"]]) ** -beta / ((n * P.min()) ** -beta)
        np.testing.assert_allclose(b["weights"], w, rtol=1e-5)
    expected = draws * P
    stat = ((counts - expected) ** 2 / expected).sum()
    assert stat < chi2_quantile(n - 1), stat
    uniform = ((counts - draws / n) ** 2 / (draws / n)).sum()
    assert uniform > chi2_quantile(n - 1)  # the test can tell a wrong distribution


def test_same_seed_same_samples_and_different_seed_differs():
    def run(seed):
        buf = numbered(priorities=np.linspace(0.1, 1, 10), seed=seed)
        out = []
        for _ in range(5):
            b = buf.sample(16)
            buf.update_priorities(b["indices"][:4], [0.3, 0.2, 0.9, 1.5])
            out.append(b["indices"])
        return np.concatenate(out)

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


def test_repr_and_properties():
    buf = PrioritizedReplay(100, {"x": (64,), "y": (64,)}, seed=0)
    assert repr(buf) == ("PrioritizedReplay(capacity=100, len=0, fields={'x': (64,), 'y': (64,)}, alpha=0.6, "
                         "eps=1e-06, sampling='proportional')")
    assert buf.fields == {"x": (64,), "y": (64,)} and buf.alpha == 0.6 and buf.sampling == "proportional"
    assert "ExperienceReplay" in repr(ExperienceReplay(5)) and "seen=0" in repr(ReservoirReplay(3, {"a": (1,)}))


def test_capacity_one_and_equal_priorities():
    one = PrioritizedReplay(1, {"v": ()}, seed=0)
    one.add(v=[1.0, 2.0, 3.0], priority=[5, 1, 9])
    b = one.sample(4)
    assert b["v"].tolist() == [3.0] * 4 and b["weights"].tolist() == [1.0] * 4
    eq = PrioritizedReplay(10, {"v": ()}, seed=0)
    eq.add(v=np.arange(10.0), priority=2.0)
    b = eq.sample(10)
    assert sorted(b["indices"].tolist()) == list(range(10))  # stratified over equal masses: each once
    assert np.all(b["weights"] == 1)


# ---- bad input -----------------------------------------------------------------------------------------------


@pytest.fixture
def buf():
    b = PrioritizedReplay(10, {"x": (4,), "y": ()}, seed=0)
    b.add(x=np.zeros((3, 4), np.float32), y=np.zeros(3, np.float32))
    return b


@pytest.mark.parametrize("bad, exc, words", [
    (np.zeros((3, 5), np.float32), InvalidArgumentError, ["(4,)", "(3, 5)"]),
    (np.zeros((2, 3, 4), np.float32), InvalidArgumentError, ["(4,)", "(2, 3, 4)"]),
    (np.zeros((3, 8), np.float32)[:, ::2], InvalidArgumentError, ["C-contiguous"]),
    (np.zeros((3, 4), np.complex64), ArgumentTypeError, ["complex64"]),
    (np.array([["a"] * 4] * 3), ArgumentTypeError, ["<U1"]),
    (np.zeros((3, 4), object), ArgumentTypeError, ["object"]),
    ("abcd", ArgumentTypeError, ["<U4"]),
])
def test_bad_field_data_raises(buf, bad, exc, words):
    with pytest.raises(exc) as e:
        buf.add(x=bad, y=np.zeros(3, np.float32))
    for w in words:
        assert w in str(e.value), str(e.value)
    buf.check_invariants()
    assert len(buf) == 3


def test_mismatched_batch_sizes_and_names(buf):
    with pytest.raises(InvalidArgumentError, match="same number of items"):
        buf.add(x=np.zeros((3, 4)), y=np.zeros(2))
    with pytest.raises(InvalidArgumentError, match="unknown field 'z'"):
        buf.add(x=np.zeros(4), y=0.0, z=1.0)
    with pytest.raises(InvalidArgumentError, match="missing field 'y'"):
        buf.add(x=np.zeros(4))


@pytest.mark.parametrize("p", [float("nan"), -1.0, float("inf"), [1.0, float("nan"), 1.0], 1e300])
def test_bad_priorities_raise_and_change_nothing(p):
    b = PrioritizedReplay(10, {"v": ()}, alpha=2.0, seed=0)
    b.add(v=[0.0, 1.0])
    with pytest.raises(InvalidArgumentError):
        b.add(v=[1.0, 2.0, 3.0], priority=p)
    with pytest.raises(InvalidArgumentError):
        b.update_priorities([0, 1, 0], np.broadcast_to(np.asarray(p, dtype=float), (3,)).copy())
    assert len(b) == 2
    np.testing.assert_array_equal(b.priorities([0, 1]), [1.0, 1.0])
    b.check_invariants()


def test_priority_type_and_shape_errors(buf):
    with pytest.raises(ArgumentTypeError):
        buf.add(x=np.zeros(4), y=0.0, priority=1j)
    with pytest.raises(InvalidArgumentError, match=r"shape \(2,\)"):
        buf.add(x=np.zeros((2, 4)), y=np.zeros(2), priority=[1.0, 2.0, 3.0])


def test_index_errors(buf):
    with pytest.raises(IndexOutOfRangeError, match="3 is out of range for a buffer of 3"):
        buf.update_priorities([0, 3], [1.0, 1.0])
    with pytest.raises(IndexOutOfRangeError):
        buf.update_priorities([-1], [1.0])
    with pytest.raises(ArgumentTypeError):
        buf.update_priorities([0.5], [1.0])
    with pytest.raises(InvalidArgumentError, match="shape"):
        buf.update_priorities([0, 1], [1.0])
    with pytest.raises(IndexOutOfRangeError):
        buf.priorities([10])
    buf.update_priorities(np.arange(4, dtype=np.int64)[::2], np.full(4, 2.0)[::2])  # strided views are converted
    np.testing.assert_allclose(buf.priorities([0, 2]), (2 + 1e-6) ** 0.6, rtol=1e-13)


def test_sampling_errors(buf):
    with pytest.raises(InvalidArgumentError, match="batch_size"):
        buf.sample(0)
    with pytest.raises(ArgumentTypeError, match="batch_size"):
        buf.sample(2.5)
    with pytest.raises(ArgumentTypeError, match="beta"):
        buf.sample(2, beta="x")
    with pytest.raises(InvalidArgumentError, match="beta"):
        buf.sample(2, beta=-1.0)
    with pytest.raises(InvalidStateError, match="empty"):
        PrioritizedReplay(4, {"v": ()}).sample(1)
    assert buf.sample(50)["x"].shape == (50, 4)  # with replacement: larger than the buffer is fine
    seed_mode = PrioritizedReplay(4, {"v": ()}, sampling="seed", seed=0)
    seed_mode.add(v=[1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="larger than the buffer"):
        seed_mode.sample(3)


@pytest.mark.parametrize("kwargs, exc", [
    (dict(capacity=0, fields={"v": ()}), InvalidArgumentError),
    (dict(capacity=2.5, fields={"v": ()}), ArgumentTypeError),
    (dict(capacity=4, fields={}), InvalidArgumentError),
    (dict(capacity=4, fields=[("v", ())]), ArgumentTypeError),
    (dict(capacity=4, fields={"v": (0,)}), InvalidArgumentError),
    (dict(capacity=4, fields={"indices": ()}), InvalidArgumentError),
    (dict(capacity=4, fields={"v": ()}, alpha=-1.0), InvalidArgumentError),
    (dict(capacity=4, fields={"v": ()}, eps=float("nan")), InvalidArgumentError),
    (dict(capacity=4, fields={"v": ()}, seed=-1), InvalidArgumentError),
    (dict(capacity=4, fields={"v": ()}, sampling="uniform"), InvalidArgumentError),
    (dict(capacity=2**40, fields={"v": (64,)}), InvalidArgumentError),
])
def test_bad_construction(kwargs, exc):
    with pytest.raises(exc):
        PrioritizedReplay(**kwargs)


def test_native_layer_validates_strictly():
    """The C layer is the last line of defense: float32, C-contiguous, exact shapes, nothing else."""
    nat = _native.ReplayBuffer(4, [(2,)], seed=0)
    with pytest.raises(ArgumentTypeError, match="float32.*float64"):
        nat.add((np.zeros((1, 2)),))
    with pytest.raises(InvalidArgumentError, match="C-contiguous"):
        nat.add((np.zeros((2, 4), np.float32)[:, ::2],))
    with pytest.raises(InvalidArgumentError, match=r"\(1, 2\).*\(1, 3\)"):
        nat.add((np.zeros((1, 3), np.float32),), np.zeros(1))
    with pytest.raises(InvalidArgumentError, match="tuple of 1"):
        nat.add([np.zeros((1, 2), np.float32)])
    with pytest.raises(ArgumentTypeError):
        nat.add((np.zeros((1, 2), np.float32),), np.zeros(1, np.float32))
    with pytest.raises(InvalidArgumentError):
        nat.add((np.zeros((1, 2), np.float32),), np.zeros(1)[::-1].copy()[None, :])
    with pytest.raises(ArgumentTypeError):
        nat.update_priorities(np.zeros(1), np.zeros(1))
    with pytest.raises(InvalidArgumentError):
        nat.set_shapes([(3,)])
    with pytest.raises(InvalidStateError):
        nat.sample(1)
    assert len(nat) == 0


# ---- checkpoints ---------------------------------------------------------------------------------------------


def test_save_load_continues_the_same_samples(tmp_path):
    a = numbered(capacity=12, n=20, priorities=np.linspace(0.1, 3, 20), alpha=0.5, eps=0.01, seed=3)
    a.sample(5)
    path = tmp_path / "buf.mnem"
    a.save(path)
    b = PrioritizedReplay.load(str(path))
    assert repr(a) == repr(b) and b.fields == a.fields and b.max_priority == a.max_priority
    for _ in range(5):
        sa, sb = a.sample(8, 0.3), b.sample(8, 0.3)
        for k in sa:
            np.testing.assert_array_equal(sa[k], sb[k])
        a.update_priorities(sa["indices"], np.arange(8) + 0.5)
        b.update_priorities(sb["indices"], np.arange(8) + 0.5)
    a.add(id=99.0, x=np.ones((2, 3)))
    b.add(id=99.0, x=np.ones((2, 3)))
    np.testing.assert_array_equal(a.sample(4)["id"], b.sample(4)["id"])


def test_truncated_corrupt_foreign_and_missing_files(tmp_path):
    a = numbered(seed=0)
    path = tmp_path / "buf.mnem"
    a.save(path)
    data = path.read_bytes()
    for cut in [0, 7, 30, len(data) // 2, len(data) - 1]:
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointFormatError):
            PrioritizedReplay.load(path)
    corrupt = bytearray(data)
    corrupt[-5] ^= 0xFF
    path.write_bytes(bytes(corrupt))
    with pytest.raises(CheckpointFormatError, match="checksum"):
        PrioritizedReplay.load(path)
    path.write_bytes(os.urandom(200))
    with pytest.raises(CheckpointFormatError, match="not a mnemonet checkpoint"):
        PrioritizedReplay.load(path)
    with pytest.raises(CheckpointIOError) as e:
        PrioritizedReplay.load(tmp_path / "missing.mnem")
    assert e.value.errno == 2
    with pytest.raises(CheckpointIOError):
        a.save(tmp_path / "no-such-dir" / "x.mnem")


def test_checkpoint_kinds_do_not_mix(tmp_path):
    r = ReservoirReplay(4, {"v": ()}, seed=0)
    r.add(v=[1.0, 2.0])
    r.save(tmp_path / "r.mnem")
    with pytest.raises(CheckpointFormatError, match="reservoir"):
        PrioritizedReplay.load(tmp_path / "r.mnem")
    e = ExperienceReplay(4)
    e.push((np.zeros(2),))
    e.save(tmp_path / "e.mnem")
    with pytest.raises(CheckpointFormatError, match="ExperienceReplay"):
        PrioritizedReplay.load(tmp_path / "e.mnem")
    with pytest.raises(InvalidStateError):
        ExperienceReplay(4).save(tmp_path / "empty.mnem")


# ---- ExperienceReplay (the seed's API and semantics) ----------------------------------------------------------


def test_experience_replay_matches_the_seed_semantics():
    er = ExperienceReplay(capacity=50, alpha=0.6, seed=1)
    assert er.sample(8) == ([], [])
    prios = [i + 1e-6 for i in range(10)]
    for i, p in enumerate(prios):
        er.push((np.full(3, i, np.float32), np.full(2, -i, np.float32)), priority=p)
    assert len(er) == 10
    stored = er._native.priorities(np.arange(10))
    np.testing.assert_allclose(stored, np.array(prios) ** 0.6, rtol=1e-13)
    probs = stored / stored.sum()
    for _ in range(20):
        samples, weights = er.sample(8, beta=0.4)
        assert len(samples) == 8 and weights.dtype == np.float32
        ids = [int(x[0]) for x, _ in samples]
        assert len(set(ids)) == 8  # without replacement
        for x, y in samples:
            np.testing.assert_array_equal(y, -x[:2])
        w = (10 * probs[ids]) ** -0.4
        np.testing.assert_allclose(weights, w / w.max(), rtol=1e-6)  # normalised by the batch maximum
    samples, weights = er.sample(100)
    assert len(samples) == 10 and len(weights) == 10  # min(batch_size, len)


def test_experience_replay_draws_like_choice_without_replacement():
    pr = np.array([1.0, 2.0, 3.0, 4.0, 0.5])
    er = ExperienceReplay(10, alpha=0.6, seed=4)
    for i, p in enumerate(pr):
        er.push((np.array([float(i)]),), priority=p)
    q = pr**0.6
    p = q / q.sum()
    counts = np.zeros((5, 5))
    n = 20000
    for _ in range(n):
        s, _ = er.sample(2)
        counts[int(s[0][0][0]), int(s[1][0][0])] += 1
    exp = np.array([[n * p[i] * p[j] / (1 - p[i]) if i != j else 0 for j in range(5)] for i in range(5)])
    mask = ~np.eye(5, dtype=bool)
    stat = (((counts - exp) ** 2)[mask] / exp[mask]).sum()
    assert stat < chi2_quantile(19), stat


def test_experience_replay_errors():
    er = ExperienceReplay(5)
    with pytest.raises(ArgumentTypeError):
        er.push(np.zeros(3))
    er.push((np.zeros(3), np.zeros(2)))
    with pytest.raises(InvalidArgumentError, match=r"\(3,\), \(2,\)"):
        er.push((np.zeros(4), np.zeros(2)))
    for bad in [float("nan"), -1.0, float("inf")]:
        with pytest.raises(InvalidArgumentError):
            er.push((np.zeros(3), np.zeros(2)), priority=bad)
    with pytest.raises(InvalidArgumentError):
        er.sample(0)
    with pytest.raises(InvalidArgumentError):
        ExperienceReplay(0)
    er.push((np.zeros(3), np.zeros(2)), priority=0.0)
    er.push((np.zeros(3), np.zeros(2)), priority=0.0)
    with pytest.raises(InvalidArgumentError, match="non-zero priority"):
        er.sample(3)  # numpy would refuse too: fewer non-zero entries in p than size
    assert len(er.sample(1)[0]) == 1


def test_experience_replay_save_load(tmp_path):
    er = ExperienceReplay(8, alpha=0.5, seed=2)
    for i in range(12):
        er.push((np.full((2, 2), i), np.array(i)), priority=1 + i % 3)
    er.save(tmp_path / "e.mnem")
    back = ExperienceReplay.load(tmp_path / "e.mnem")
    assert len(back) == 8 and back.alpha == 0.5
    for _ in range(3):
        (s1, w1), (s2, w2) = er.sample(4), back.sample(4)
        np.testing.assert_array_equal(w1, w2)
        for a, b in zip(s1, s2):
            np.testing.assert_array_equal(a[0], b[0])
            assert a[1].shape == ()


# ---- ReservoirReplay -----------------------------------------------------------------------------------------


def test_reservoir_keeps_a_uniform_sample_of_the_stream():
    stream, cap, trials = 30, 6, 3000
    counts = np.zeros(stream)
    for t in range(trials):
        r = ReservoirReplay(cap, {"v": ()}, seed=t)
        r.add(v=np.arange(stream, dtype=np.float32))
        assert r.seen == stream and len(r) == cap
        resident = np.unique(r.sample(512)["v"]).astype(int)  # 512 uniform draws cover all 6 slots
        assert len(resident) == cap
        counts[resident] += 1
    e = trials * cap / stream
    stat = ((counts - e) ** 2 / e).sum()
    assert stat < chi2_quantile(stream - 1), stat


def test_reservoir_errors_and_checkpoint(tmp_path):
    r = ReservoirReplay(4, {"x": (2,)}, seed=1)
    with pytest.raises(InvalidStateError):
        r.sample(1)
    with pytest.raises(InvalidArgumentError):
        r.add(x=np.zeros(3))
    r.add(x=np.arange(20.0).reshape(10, 2))
    r.save(tmp_path / "r.mnem")
    back = ReservoirReplay.load(tmp_path / "r.mnem")
    assert back.seen == 10 and len(back) == 4 and back.fields == {"x": (2,)}
    for a, b in [(r.sample(5), back.sample(5)) for _ in range(3)]:
        np.testing.assert_array_equal(a["x"], b["x"])
    with pytest.raises(InvalidArgumentError):
        r.sample(0)


# ---- properties (hypothesis) ---------------------------------------------------------------------------------

ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.lists(st.floats(0, 100), min_size=1, max_size=12)),
        st.tuples(st.just("add_default"), st.integers(1, 5)),
        st.tuples(st.just("update"), st.lists(st.tuples(st.integers(0, 40), st.floats(0, 100)), min_size=1, max_size=8)),
        st.tuples(st.just("sample"), st.integers(1, 20)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(capacity=st.integers(1, 9), alpha=st.sampled_from([0.0, 0.6, 1.0]), program=ops)
def test_matches_a_reference_model(capacity, alpha, program):
    """Every operation sequence leaves the same priorities as a plain-Python model of the ring buffer."""
    eps = 1e-3
    buf = PrioritizedReplay(capacity, {"id": ()}, alpha=alpha, eps=eps, seed=0)
    model, ids, pos, max_p, next_id = [], [], 0, 1.0, 0

    def put(p_eff):
        nonlocal pos, next_id
        if len(model) < capacity:
            model.append(p_eff)
            ids.append(next_id)
        else:
            model[pos], ids[pos] = p_eff, next_id
        pos = (pos + 1) % capacity
        next_id += 1

    for op, arg in program:
        if op == "add":
            buf.add(id=np.arange(next_id, next_id + len(arg), dtype=np.float32), priority=arg)
            for p in arg:
                max_p = max(max_p, p + eps)
                put(p + eps)
        elif op == "add_default":
            buf.add(id=np.arange(next_id, next_id + arg, dtype=np.float32))
            for _ in range(arg):
                put(max_p)
        elif op == "update":
            idx = [i for i, _ in arg]
            pr = [p for _, p in arg]
            if any(i >= len(model) for i in idx):
                with pytest.raises(IndexOutOfRangeError):
                    buf.update_priorities(idx, pr)
                continue
            buf.update_priorities(idx, pr)
            for i, p in arg:
                model[i] = p + eps
                max_p = max(max_p, p + eps)
        else:
            if not model:
                with pytest.raises(InvalidStateError):
                    buf.sample(arg)
                continue
            s = buf.sample(arg, beta=0.5)
            assert np.all(s["indices"] < len(model))
            np.testing.assert_array_equal(s["id"], np.array(ids, dtype=np.float32)[s["indices"]])
            assert np.all((s["weights"] > 0) & (s["weights"] <= 1))
        assert len(buf) == len(model)
        if model:
            np.testing.assert_allclose(buf.priorities(np.arange(len(model))), np.array(model) ** alpha, rtol=1e-13)
        assert math.isclose(buf.max_priority, max_p, rel_tol=1e-15)
        buf.check_invariants()


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 4), max_size=3).map(tuple), n=st.integers(0, 6),
       dtype=st.sampled_from([np.float32, np.float64, np.int64, np.int8, np.bool_]))
def test_any_real_dtype_and_shape_round_trips(shape, n, dtype):
    buf = PrioritizedReplay(8, {"a": shape}, seed=0)
    data = (np.arange(max(n, 1) * int(np.prod(shape))) % 3).reshape((max(n, 1),) + shape).astype(dtype)
    if n == 0:
        buf.add(a=data[0])  # a single item
        n = 1
    else:
        buf.add(a=data[:n])
    s = buf.sample(16)
    np.testing.assert_array_equal(s["a"], data[s["indices"]].astype(np.float32))


def test_demo_runs(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "mnemonet.replay_demo"], capture_output=True, text=True, check=True,
                         cwd=tmp_path, timeout=120).stdout
    assert "next sample(256) identical: True" in out
    assert "Prioritized replay" in out and "Reservoir" in out


def test_concurrent_threads_are_serialised():
    """Native calls release the GIL; the per-buffer lock keeps concurrent adds/samples/updates consistent."""
    import threading

    buf = PrioritizedReplay(500, {"x": (8,)}, seed=0)
    buf.add(x=np.zeros((10, 8)))
    errors = []

    def work(k):
        try:
            rng = np.random.default_rng(k)
            for _ in range(200):
                buf.add(x=rng.standard_normal((7, 8)), priority=rng.random(7))
                b = buf.sample(16)
                buf.update_priorities(b["indices"], rng.random(16) + 0.1)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(buf) == 500
    buf.check_invariants()
