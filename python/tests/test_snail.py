"""mnemonet.SNAIL through the Python API: PyTorch parity on committed fixtures (names, layouts, outputs, gradients),
causality, few-shot episode construction (the query's label is never an input), checkpoints, bad input."""
import json
import os
import pickle

import numpy as np
import pytest

import mnemonet
from mnemonet import bandits, fewshot

FIXTURES = json.load(open(os.path.join(os.path.dirname(__file__), "fixtures", "snail_fixtures.json")))["tensors"]


def fx(name):
    t = FIXTURES[name]
    return np.asarray(t["values"], dtype=np.float32).reshape(t["shape"])


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


CASES = {
    "model_ce": ([("attention", 4, 3), ("tc", 3), ("attention", 5, 4)], "cross_entropy", {}),
    "model_mse": ([("tc", 2), ("attention", 3, 2)], "mse", {}),
    # an embedding MLP (6, 5) over the 4 observation columns of 7, the 3 label columns passed through
    "model_embed": ([("tc", 3), ("attention", 4, 3)], "cross_entropy", {"embedding": (6, 5), "embedding_inputs": 4}),
    "model_embed_linear": ([("tc", 3), ("attention", 4, 3)], "mse",
                           {"embedding": (6, 5), "embedding_inputs": 4, "embedding_final_relu": False}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_pytorch_parity(case):
    blocks, loss, emb = CASES[case]
    x = fx(f"{case}/x")
    net = mnemonet.SNAIL(x.shape[2], 3, x.shape[1], blocks=blocks, seed=0, **emb)
    prefix = f"{case}/param/"
    sd = {k[len(prefix):]: fx(k) for k in FIXTURES if k.startswith(prefix)}
    assert list(net.state_dict()) == [k[len(prefix):] for k in FIXTURES if k.startswith(prefix)]
    net.load_state_dict(sd)
    assert rel(net.forward(x), fx(f"{case}/y")) <= 1e-4
    targets, weights = fx(f"{case}/targets"), fx(f"{case}/weights")
    assert abs(net.loss(x, targets, weights, loss=loss) - float(fx(f"{case}/loss"))) <= 1e-5
    for name, g in net.gradients(x, targets, weights, loss=loss).items():
        ref = fx(f"{case}/grad/{name}")
        if np.all(np.abs(ref) < 1e-12):  # key bias: identically zero by softmax shift-invariance
            assert name.endswith("key.bias") and np.all(np.abs(g) <= 1e-6)
        else:
            assert rel(g, ref) <= 1e-4, name


@pytest.mark.parametrize("emb", [{}, {"embedding": (5, 3), "embedding_inputs": 2}])
def test_whole_model_is_causal(emb):
    net = mnemonet.SNAIL(4, 3, 9, blocks=[("tc", 4), ("attention", 4, 4), ("tc", 2)], seed=1, **emb)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 4)).astype(np.float32)
    y = net.forward(x)
    for t in range(8):
        x2 = x.copy()
        x2[:, t + 1:] = rng.standard_normal(x2[:, t + 1:].shape) * 5
        np.testing.assert_allclose(net.forward(x2)[:, :t + 1], y[:, :t + 1], atol=1e-6)
        assert not np.allclose(net.forward(x2)[:, t + 1:], y[:, t + 1:])


@pytest.mark.parametrize("ways, shots", [(5, 1), (5, 5), (3, 2)])
def test_episodes_never_show_the_query_label(ways, shots):
    pytest.importorskip("sklearn")
    train, test = fewshot.digits_episodes(ways, shots)
    x, targets, weights, (sx, sl, qx, ql) = test.sample(64, np.random.default_rng(1), return_episodes=True)
    d = test.features
    assert x.shape == (64, ways * shots + 1, d + ways) and targets.shape == (64, ways * shots + 1, ways)
    assert np.all(x[:, -1, d:] == 0), "the query step carries no label"
    assert np.all(weights[:, -1] == 1) and np.all(weights[:, :-1] == 0), "only the query is scored"
    assert np.array_equal(np.argmax(targets[:, -1], axis=1), ql)
    for b in range(64):
        assert np.bincount(sl[b], minlength=ways).tolist() == [shots] * ways
        assert np.array_equal(np.argmax(x[b, :-1, d:], axis=1), sl[b])
        np.testing.assert_array_equal(x[b, -1, :d], qx[b])
    # held-out classes: test episodes come only from digits 5-9, training episodes never from them
    assert set(test.classes.tolist()) == {5, 6, 7, 8, 9} and not set(train.classes.tolist()) & {5, 6, 7, 8, 9}


def test_user_array_episodes_and_nearest_neighbour():
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((6, 10)) * 5
    y = np.repeat(np.arange(6), 20)
    x = centers[y] + rng.standard_normal((120, 10)) * 0.1
    ep = fewshot.FewShotEpisodes(x, y, ways=4, shots=1)
    _, _, _, episodes = ep.sample(50, rng, return_episodes=True)
    assert fewshot.nearest_neighbour_accuracy(episodes).mean() == 1.0  # well-separated clusters


def test_fit_learns_a_small_few_shot_task():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(8), 30)
    x = np.eye(8)[y] * 2 + rng.standard_normal((240, 8)) * 0.3
    ep = fewshot.FewShotEpisodes(x, y, ways=3, shots=1)
    net = mnemonet.SNAIL(ep.input_size, 3, ep.sequence_length, blocks=[("attention", 16, 16), ("tc", 8)], lr=3e-3,
                         seed=0)
    hist = net.fit(ep, iterations=300, batch_size=32, progress=False, seed=0)
    assert hist[-20:].mean() < 0.3 * hist[:20].mean()
    assert net.iteration == 300


def test_checkpoint_and_pickle_round_trip(tmp_path):
    net = mnemonet.SNAIL(5, 2, 6, blocks=[("tc", 3), ("attention", 2, 2)], seed=3)
    x = np.random.default_rng(0).standard_normal((2, 6, 5)).astype(np.float32)
    t = np.zeros((2, 6, 2), np.float32)
    t[..., 0] = 1
    net.train_step(x, t)
    path = tmp_path / "snail.ckpt"
    net.save(path)
    back = mnemonet.SNAIL.load(path)
    assert back.iteration == 1 and back.blocks == net.blocks
    np.testing.assert_array_equal(back.forward(x), net.forward(x))
    # identical continuation (Adam state restored)
    net.train_step(x, t)
    back.train_step(x, t)
    np.testing.assert_array_equal(back.forward(x), net.forward(x))
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(clone.forward(x), net.forward(x))
    (tmp_path / "bad").write_bytes(b"not a checkpoint")
    with pytest.raises(mnemonet.CheckpointFormatError):
        mnemonet.SNAIL.load(tmp_path / "bad")


def test_embedding_api_checkpoint_and_pickle(tmp_path):
    """The embedding's names (nn.Sequential's), shapes and spec survive save/load, bytes and pickling; resumed
    training continues exactly; fit trains it."""
    net = mnemonet.SNAIL(7, 3, 5, blocks=[("tc", 3)], seed=2, embedding=(6, 4), embedding_inputs=4,
                         embedding_final_relu=False)
    sd = net.state_dict()
    assert list(sd)[:4] == ["embedding.0.weight", "embedding.0.bias", "embedding.2.weight", "embedding.2.bias"]
    assert sd["embedding.0.weight"].shape == (6, 4) and sd["embedding.2.weight"].shape == (4, 6)
    assert sd["blocks.0.dense.0.filter_conv.weight"].shape == (3, 4 + 3, 2)  # the blocks read E_n + I - F columns
    assert net.parameter_count == sum(v.size for v in sd.values())
    assert "embedding=(6, 4), embedding_inputs=4, embedding_final_relu=False" in repr(net)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 7)).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[rng.integers(0, 3, (2, 5))]
    g = net.gradients(x, t)
    assert all(np.any(g[k] != 0) for k in list(sd)[:4]), "the embedding gets gradients through the fused pass"
    net.train_step(x, t)
    net.save(tmp_path / "e.ckpt")
    for back in (mnemonet.SNAIL.load(tmp_path / "e.ckpt"), mnemonet.SNAIL.from_bytes(net.to_bytes()),
                 pickle.loads(pickle.dumps(net))):
        assert (back.embedding, back.embedding_inputs, back.embedding_final_relu) == ((6, 4), 4, False)
        assert back.parameter_names() == net.parameter_names()
        np.testing.assert_array_equal(back.forward(x), net.forward(x))
    back = mnemonet.SNAIL.load(tmp_path / "e.ckpt")
    net.train_step(x, t)
    back.train_step(x, t)
    np.testing.assert_array_equal(back.forward(x), net.forward(x))
    # the label columns pass through: changing them changes the output, and the embedding sees only columns < F
    x2 = x.copy()
    x2[:, :, 4:] += 1
    assert not np.allclose(net.forward(x2), net.forward(x))
    before = net.state_dict()["embedding.0.weight"]
    hist = net.fit((x, t), iterations=5, batch_size=2, progress=False, seed=0)
    assert hist.shape == (5,) and not np.array_equal(net.state_dict()["embedding.0.weight"], before)


def test_version_1_checkpoint_still_loads():
    """python/tests/fixtures/snail_v1.mnem was written by commit ee302f8 (payload version 1, no embedding;
    tools/fixtures/make_snail_v1_checkpoint.py): it loads, computes what that code computed, and trains on."""
    here = os.path.join(os.path.dirname(__file__), "fixtures")
    ref = np.load(os.path.join(here, "snail_v1.npz"))
    with open(os.path.join(here, "snail_v1.mnem"), "rb") as f:
        assert f.read(16)[8:12] == bytes([2, 0, 0, 0])  # container version; the payload version is 1 (see below)
    net = mnemonet.SNAIL.load(os.path.join(here, "snail_v1.mnem"))
    assert net.embedding == () and net.iteration == 3 and net.blocks == (("tc", 3), ("attention", 4, 3))
    assert net.parameter_names() == ref["names"].tolist()
    assert abs(net.lr - 2e-3) < 1e-9 and abs(net.clip_norm - 0.5) < 1e-9
    np.testing.assert_allclose(net.forward(ref["x"]), ref["y"], rtol=1e-6, atol=1e-6)
    loss = net.train_step(ref["x"], ref["targets"])  # the Adam state came along: the same next step
    assert abs(loss - float(ref["next_loss"])) <= 1e-6
    np.testing.assert_allclose(net.forward(ref["x"]), ref["y_after_step"], rtol=1e-5, atol=1e-5)
    # what this code writes now is version 2 and reads back
    assert mnemonet.SNAIL.from_bytes(net.to_bytes()).parameter_names() == net.parameter_names()


def test_embedding_arguments_are_checked():
    with pytest.raises(ValueError, match="embedding_inputs"):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=(4,))  # F is required
    with pytest.raises(ValueError, match="embedding_inputs"):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=(4,), embedding_inputs=6)
    with pytest.raises(ValueError, match="embedding_inputs"):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=(4,), embedding_inputs=0)
    with pytest.raises(ValueError, match="embedding_inputs"):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding_inputs=3)  # without an embedding
    with pytest.raises(ValueError):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=(), embedding_inputs=3)
    with pytest.raises(ValueError):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=(4, 0), embedding_inputs=3)
    with pytest.raises(ValueError):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=(4,) * 17, embedding_inputs=3)
    with pytest.raises(TypeError):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=(4.0,), embedding_inputs=3)
    with pytest.raises(TypeError):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding="64", embedding_inputs=3)
    with pytest.raises(TypeError):
        mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=(4,), embedding_inputs=3, embedding_final_relu=1)
    with pytest.raises(ValueError, match="parameters"):
        mnemonet.SNAIL(5, 2, 4, blocks=[], embedding=(65536,) * 16, embedding_inputs=3)  # refused before allocating
    # the native layer checks on its own (the C shim and Swift, not only the wrapper)
    from mnemonet import _native
    with pytest.raises(ValueError):
        _native.SNAIL(5, 2, 4, [(1, 2, 0)], 1e-3, 1.0, 0, embedding=(4,), embedding_inputs=9)
    with pytest.raises(ValueError):
        _native.SNAIL(5, 2, 4, [(1, 2, 0)], 1e-3, 1.0, 0, embedding=(-4,), embedding_inputs=3)
    with pytest.raises(TypeError):
        _native.SNAIL(5, 2, 4, [(1, 2, 0)], 1e-3, 1.0, 0, embedding=(True,), embedding_inputs=3)
    # byte strings and unordered collections are not layer sizes (bytearray(b"@") would be (64,))
    for bad in (bytearray(b"@"), {4, 8}, {4: 1}):
        with pytest.raises(TypeError):
            mnemonet.SNAIL(5, 2, 4, blocks=[("tc", 2)], embedding=bad, embedding_inputs=3)
        with pytest.raises(TypeError):
            _native.SNAIL(5, 2, 4, [(1, 2, 0)], 1e-3, 1.0, 0, embedding=bad, embedding_inputs=3)
    # an embedding_inputs without an embedding is refused natively too, not dropped
    with pytest.raises(ValueError, match="embedding_inputs"):
        _native.SNAIL(5, 2, 4, [(1, 2, 0)], 1e-3, 1.0, 0, embedding=(), embedding_inputs=3)
    with pytest.raises(OverflowError):
        _native.SNAIL(5, 2, 4, [(1, 2, 0)], 1e-3, 1.0, 0, embedding=(1 << 70,), embedding_inputs=3)
    with pytest.raises(ValueError):
        _native.SNAIL(5, 2, 4, [(1, 2, 0)], 1e-3, 1.0, 0, embedding=[4] * 17, embedding_inputs=3)


def test_bad_input_raises_named_errors():
    net = mnemonet.SNAIL(3, 2, 4, blocks=[("tc", 2)], seed=0)
    with pytest.raises(ValueError, match=r"\(B, T, 3\)"):
        net.forward(np.zeros((2, 4, 5), np.float32))
    with pytest.raises(TypeError):
        net._native.forward(np.zeros((2, 4, 3), np.float64))
    with pytest.raises(ValueError):
        net._native.forward(np.zeros((2, 4, 3), np.float32)[:, ::2])
    with pytest.raises(ValueError, match="weights are all zero"):
        net.loss(np.zeros((1, 4, 3)), np.zeros((1, 4, 2)), np.zeros((1, 4)))
    with pytest.raises(ValueError):
        mnemonet.SNAIL(3, 2, 4, blocks=[("conv", 3)])
    with pytest.raises(ValueError):
        mnemonet.SNAIL(3, 2, 4, blocks=[("attention", 0, 3)])
    with pytest.raises(TypeError):
        mnemonet.SNAIL(3, 2, 4, blocks=[("tc", 2.5)])
    with pytest.raises(ValueError, match="parameters"):
        mnemonet.SNAIL(3, 2, 1 << 20, blocks=[("tc", 65536)])  # would need terabytes: refused before allocating
    with pytest.raises(ValueError, match="too large"):
        mnemonet.SNAIL(3, 2, 4, blocks=[("tc", 2)]).forward(np.zeros((1, 40000, 3), np.float32))
    with pytest.raises(ValueError, match="missing"):
        net.load_state_dict({})
    with pytest.raises(ValueError):
        net.fit_bandits(10, iterations=1)  # not a bandit-shaped model
    assert "SNAIL(input_size=3" in repr(net)


def test_bandit_baselines_and_common_random_numbers():
    p, u = bandits.draw(400, 5, 10, seed=0)
    res = {m: bandits.run_baseline(m, p, u, seed=1).mean() for m in bandits.BASELINES}
    assert abs(res["random"] - 5.0) < 0.4
    assert res["thompson"] > res["random"] + 0.4 and res["ucb1"] > res["random"] + 0.3
    net = mnemonet.SNAIL.for_bandits(5, 10, blocks=[("tc", 4), ("attention", 4, 4)], seed=0)
    hist = net.fit_bandits(10, iterations=3, batch_size=4, progress=False)
    assert hist.shape == (3,) and np.all((hist >= 0) & (hist <= 10))
    totals = net.evaluate_bandits(p[:50], u[:50], greedy=True)
    assert totals.shape == (50,)
    np.testing.assert_array_equal(totals, net.evaluate_bandits(p[:50], u[:50], greedy=True))  # greedy is deterministic
    # arm 2 always pays, the others never: UCB1's trace by hand is arms 0-4, then 2, 2, 2 (4 wins), then 0 and 1
    # (their bonus √(2 ln t) overtakes arm 2's 1 + √(2 ln t / 4)): 4 in total
    p1 = np.zeros((3, 5), np.float32)
    p1[:, 2] = 1
    assert bandits.run_baseline("ucb1", p1, u[:3]).tolist() == [4.0, 4.0, 4.0]


def test_gittins_indices_match_the_published_table_and_are_monotone():
    table = bandits.gittins_indices(10, 0.9)
    assert abs(table[1, 1] - 0.7029) < 1e-3  # Gittins (1979), uniform prior, discount 0.9
    a, b = np.meshgrid(np.arange(1, 11), np.arange(1, 11), indexing="ij")
    valid = a + b <= 12
    assert np.all(table[a, b][valid] >= (a / (a + b))[valid] - 1e-3)  # an index is at least the posterior mean
    assert np.all(np.diff(table[1:6, 1:6], axis=0) > 0)  # more successes: higher
    assert np.all(np.diff(table[1:6, 1:6], axis=1) < 0)  # more failures: lower
    p, u = bandits.draw(400, 5, 10, seed=0)
    g = bandits.run_baseline("gittins", p, u, seed=1).mean()
    assert g > bandits.run_baseline("thompson", p, u, seed=1).mean()  # the Bayes-optimal-like index beats sampling
    with pytest.raises(ValueError):
        bandits.gittins_indices(10, 1.0)


def test_digits_benchmark_default_is_the_validation_winner_and_flags_reach_the_others(capsys):
    """``python -m mnemonet.benchmarks snail --task digits``: the embedding chosen on validation episodes by default
    (one linear layer 64 -> 128; recorded in the JSON and visible in the parameter count), ``--no-embedding`` the
    network reading [pixels, label] directly, ``--embedding 8,4 --embedding-final relu`` any MLP."""
    pytest.importorskip("sklearn")
    from mnemonet.benchmarks import __main__ as cli
    from mnemonet.benchmarks import snail as sn

    plain = mnemonet.SNAIL(69, 5, 6, blocks=sn.DIGITS_BLOCKS)
    linear = mnemonet.SNAIL(69, 5, 6, blocks=sn.DIGITS_BLOCKS, embedding=(128,), embedding_inputs=64)
    out = sn.run_digits(shots=[1], iterations=2, seeds=1, eval_episodes=20, progress=False)
    assert sn.DIGITS_EMBEDDING == (128,) and not sn.DIGITS_EMBEDDING_FINAL_RELU
    assert out["embedding"] == [128] and out["embedding_final_relu"] is False and out["split"] == "test"
    r = out["results"][0]
    assert 0 <= r["snail_accuracy"]["mean"] <= 1 and r["train_cpu_seconds"]["mean"] >= 0
    assert r["parameters"] == linear.parameter_count > plain.parameter_count
    assert (r["train_classes"], r["eval_classes"]) == (40, 5)
    for flags in ([], ["--embedding", "128"]):
        assert cli.main(["snail", "--task", "digits", "--shots", "1", "--iterations", "2", "--seeds", "1", "--json",
                         *flags]) in (0, None)
        summary = json.loads(capsys.readouterr().out)
        assert summary["embedding"] == [128] and summary["embedding_final_relu"] is False
        assert summary["results"][0]["parameters"] == linear.parameter_count
    assert cli.main(["snail", "--task", "digits", "--shots", "1", "--iterations", "2", "--seeds", "1", "--json",
                     "--no-embedding"]) in (0, None)
    summary = json.loads(capsys.readouterr().out)
    assert summary["embedding"] is None and summary["results"][0]["parameters"] == plain.parameter_count
    assert cli.main(["snail", "--task", "digits", "--shots", "1", "--iterations", "2", "--seeds", "1", "--json",
                     "--embedding", "8,4", "--embedding-final", "relu"]) in (0, None)
    summary = json.loads(capsys.readouterr().out)
    assert summary["embedding"] == [8, 4] and summary["embedding_final_relu"] is True


def test_digits_validation_split_is_disjoint_from_training_and_test_and_deterministic():
    """Model selection never sees the test digits: validation classes are whole base digits (every rotation and
    mirror of them) taken out of the training digits 0-4; no image, class or base digit is shared between the
    training, validation and test splits, and the split is the same on every call."""
    pytest.importorskip("sklearn")
    val_digits = fewshot.digits_validation_digits()
    assert val_digits == fewshot.digits_validation_digits() and len(val_digits) == 2
    assert set(val_digits) <= {0, 1, 2, 3, 4}
    assert len({fewshot.digits_validation_digits(2, seed=s) for s in range(20)}) > 1  # the seed chooses them
    train, val = fewshot.digits_validation_episodes(5, 1)
    full_train, test = fewshot.digits_episodes(5, 1)
    tr, va, te = (set(e.classes.tolist()) for e in (train, val, test))
    assert len(tr) == 24 and len(va) == 16 and not tr & va and not (tr | va) & te
    assert tr | va == set(full_train.classes.tolist())  # together exactly the 40 training classes
    assert {c % 10 for c in va} == set(val_digits) and not {c % 10 for c in tr} & (set(val_digits) | set(range(5, 10)))
    rows = [{r.tobytes() for r in e.x} for e in (train, val, test)]
    assert not rows[0] & rows[1] and not rows[0] & rows[2] and not rows[1] & rows[2], "no image in two splits"
    train2, val2 = fewshot.digits_validation_episodes(5, 1)
    np.testing.assert_array_equal(train2.x, train.x)
    np.testing.assert_array_equal(val2.x, val.x)
    a = val.sample(8, np.random.default_rng(3))[0]
    np.testing.assert_array_equal(a, val2.sample(8, np.random.default_rng(3))[0])
    other_train, other_val = fewshot.digits_validation_episodes(5, 1, held_out=1, seed=1)
    assert len(other_val.classes) == 8 and len(other_train.classes) == 32
    with pytest.raises(ValueError):
        fewshot.digits_validation_digits(5)


def test_digits_validate_mode_never_loads_the_test_digits(monkeypatch, capsys):
    pytest.importorskip("sklearn")
    from mnemonet.benchmarks import __main__ as cli
    from mnemonet.benchmarks import snail as sn

    def no_test(*args, **kwargs):
        raise AssertionError("validation mode built the test split")

    monkeypatch.setattr(fewshot, "digits_episodes", no_test)
    out = sn.run_digits(shots=[1], iterations=2, seeds=1, eval_episodes=20, progress=False, validate=True)
    assert out["split"] == "validation" and out["validation_digits"] == list(fewshot.digits_validation_digits())
    assert out["results"][0]["train_classes"] == 24 and out["results"][0]["eval_classes"] == 16
    assert cli.main(["snail", "--task", "digits", "--validate", "--shots", "5", "--iterations", "2", "--seeds", "1",
                     "--json"]) in (0, None)
    summary = json.loads(capsys.readouterr().out)
    assert summary["split"] == "validation" and summary["results"][0]["shots"] == 5
    with pytest.raises(AssertionError, match="test split"):
        sn.run_digits(shots=[1], iterations=2, seeds=1, eval_episodes=20, progress=False)
