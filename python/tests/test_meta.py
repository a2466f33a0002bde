"""Meta-learning: API, PyTorch-layout state dicts, parity with PyTorch create_graph fixtures, errors, a smoke run."""
import io
import json
import os
from contextlib import redirect_stdout

import numpy as np
import pytest

import mnemonet
from mnemonet import MLP, ArgumentTypeError, InvalidArgumentError, MetaLearner

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "meta_fixtures.json")


def load_cases():
    with open(FIXTURES) as f:
        return json.load(f)["cases"]


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def numpy_sequential(state, x, act):
    """nn.Sequential(Linear, act, ..., Linear) in NumPy from a PyTorch-named state dict."""
    keys = sorted({int(k.split(".")[0]) for k in state})
    h = np.asarray(x, np.float64)
    for i, k in enumerate(keys):
        h = h @ state[f"{k}.weight"].T.astype(np.float64) + state[f"{k}.bias"]
        if i < len(keys) - 1:
            h = np.maximum(h, 0) if act == "relu" else np.tanh(h)
    return h


def learner_for(case, algorithm):
    model = MLP(case["sizes"], case["activation"])
    model.load_state_dict(state_from_flat(model, case["theta"]))
    learner = MetaLearner(model, algorithm=algorithm, inner_lr=case["inner_lr"], inner_steps=case["steps"])
    return learner


def state_from_flat(model, flat):
    flat = np.asarray(flat, np.float32)
    out, offset = {}, 0
    for name, value in model.state_dict().items():
        out[name] = flat[offset:offset + value.size].reshape(value.shape)
        offset += value.size
    return out


def task_arrays(case):
    return [np.asarray(case[k], np.float32).reshape(-1, 1) for k in ("support_x", "support_y", "query_x", "query_y")]


# -- MLP and state dicts ------------------------------------------------------------------------------------------------

def test_state_dict_has_pytorch_names_and_shapes():
    net = MLP((1, 40, 40, 1))
    sd = net.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert [v.shape for v in sd.values()] == [(40, 1), (40,), (40, 40), (40,), (1, 40), (1,)]
    assert all(v.dtype == np.float32 for v in sd.values())
    assert net.parameter_count == 1761
    # PyTorch's default init bound 1/sqrt(fan_in).
    assert np.abs(sd["2.weight"]).max() <= 1 / np.sqrt(40) + 1e-7
    assert "MLP(layer_sizes=(1, 40, 40, 1)" in repr(net)


def test_state_dict_round_trip_and_forward_matches_sequential_semantics():
    src = MLP((3, 7, 5, 2), "tanh", seed=1)
    dst = MLP((3, 7, 5, 2), "tanh", seed=2)
    assert not np.array_equal(src.parameters, dst.parameters)
    dst.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(dst.parameters, src.parameters)
    x = np.random.default_rng(0).normal(size=(11, 3)).astype(np.float32)
    np.testing.assert_allclose(dst(x), numpy_sequential(src.state_dict(), x, "tanh"), rtol=1e-5, atol=1e-6)


def test_load_state_dict_validates():
    net = MLP((1, 4, 1))
    sd = net.state_dict()
    bad = dict(sd)
    bad["0.weight"] = np.zeros((1, 4), np.float32)
    with pytest.raises(InvalidArgumentError, match=r"0.weight.*\(4, 1\).*\(1, 4\)"):
        net.load_state_dict(bad)
    with pytest.raises(InvalidArgumentError, match="missing"):
        net.load_state_dict({"0.weight": sd["0.weight"]})
    net.load_state_dict({"0.weight": sd["0.weight"] * 2}, strict=False)
    np.testing.assert_array_equal(net.state_dict()["0.weight"], sd["0.weight"] * 2)
    bad = dict(sd)
    bad["0.bias"] = np.full(4, np.nan, np.float32)
    with pytest.raises(InvalidArgumentError, match="non-finite"):
        net.load_state_dict(bad)


# -- parity with PyTorch (tools/fixtures/make_meta_fixtures.py) ---------------------------------------------------------

@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c["name"])
def test_meta_gradients_match_pytorch_create_graph(case):
    sx, sy, qx, qy = task_arrays(case)
    maml = learner_for(case, "maml")
    second = maml.meta_gradient(sx, sy, qx, qy)
    first = maml.meta_gradient(sx, sy, qx, qy, first_order=True)
    assert rel_err(second.gradient, case["maml_meta_gradient"]) <= 1e-4
    assert rel_err(first.gradient, case["fomaml_meta_gradient"]) <= 1e-4
    assert rel_err(second.gradient, case["fomaml_meta_gradient"]) > 1e-3  # the parity check can tell them apart
    assert second.query_loss == pytest.approx(case["maml_query_loss"], rel=1e-5)
    assert list(second.state_dict()) == list(maml.model.state_dict())
    msgd = learner_for(case, "meta-sgd")
    msgd.set_alphas(np.asarray(case["alphas"], np.float32))
    g = msgd.meta_gradient(sx, sy, qx, qy)
    assert rel_err(g.gradient, case["metasgd_meta_gradient"]) <= 1e-4
    assert rel_err(g.alpha_gradient, case["metasgd_alpha_gradient"]) <= 1e-4
    rep = learner_for(case, "reptile")
    assert rel_err(rep.meta_gradient(sx, sy, qx, qy).gradient, case["reptile_pseudo_gradient"]) <= 1e-4
    adapted = maml.adapt(sx, sy, num_steps=case["steps"], lr=case["inner_lr"])
    assert rel_err(adapted.parameters, case["adapted_theta"]) <= 1e-5


# -- functional adaptation ----------------------------------------------------------------------------------------------

def test_adapt_is_functional_and_returns_a_usable_model():
    model = MLP(seed=3)
    learner = MetaLearner(model)
    before = model.parameters.copy()
    rng = np.random.default_rng(0)
    x = rng.uniform(-5, 5, 10).astype(np.float32)
    y = 2 * np.sin(x + 1)
    adapted = learner.adapt(x, y, num_steps=5, lr=0.01)
    np.testing.assert_array_equal(model.parameters, before)
    np.testing.assert_array_equal(learner.parameters, before)
    assert isinstance(adapted, MLP) and adapted is not model
    assert not np.array_equal(adapted.parameters, before)
    assert adapted.loss(x, y) < model.loss(x, y)
    assert adapted(x).shape == (10, 1)
    np.testing.assert_array_equal(learner.adapt(x, y, num_steps=0).parameters, before)
    with pytest.raises(ValueError):
        adapted.parameters[0] = 1.0  # read-only view


def test_model_edits_are_seen_by_the_learner():
    model = MLP((1, 8, 1))
    learner = MetaLearner(model)
    sd = model.state_dict()
    sd["2.bias"] = np.array([5.0], np.float32)
    model.load_state_dict(sd)
    x = np.zeros((3, 1), np.float32)
    np.testing.assert_allclose(learner.adapt(x, x, num_steps=0)(x)[:, 0], model(x)[:, 0])


def test_errors():
    with pytest.raises(ArgumentTypeError):
        MetaLearner(object())
    with pytest.raises(InvalidArgumentError, match="algorithm"):
        MetaLearner(MLP(), algorithm="mamal")
    with pytest.raises(InvalidArgumentError, match="activation"):
        MLP(activation="gelu")
    with pytest.raises(InvalidArgumentError, match="layer sizes"):
        MLP((1, 0, 1))
    learner = MetaLearner(MLP((2, 4, 1)))
    with pytest.raises(InvalidArgumentError, match=r"\(n, 2\)"):
        learner.adapt(np.zeros((3, 3)), np.zeros((3, 1)))
    with pytest.raises(InvalidArgumentError, match="rows"):
        learner.adapt(np.zeros((3, 2)), np.zeros((2, 1)))
    with pytest.raises(InvalidArgumentError, match="num_steps"):
        learner.adapt(np.zeros((3, 2)), np.zeros((3, 1)), num_steps=-1)
    with pytest.raises(InvalidArgumentError, match="lr"):
        learner.adapt(np.zeros((3, 2)), np.zeros((3, 1)), lr=float("nan"))
    with pytest.raises(InvalidArgumentError, match="empty"):
        learner.adapt(np.zeros((0, 2)), np.zeros((0, 1)))
    with pytest.raises(InvalidArgumentError, match="1 → … → 1"):
        learner.meta_train(iterations=1, progress=False)
    with pytest.raises(InvalidArgumentError, match="sinusoid"):
        learner.meta_train(task="omniglot")
    # The extension validates buffers itself (dtype, shape, layout) before Swift sees them.
    native = learner._native
    with pytest.raises(ArgumentTypeError, match="float32"):
        native.predict(np.zeros((3, 2)))
    with pytest.raises(InvalidArgumentError, match="shape"):
        native.predict(np.zeros((3, 5), np.float32))
    with pytest.raises(InvalidArgumentError, match="contiguous"):
        native.predict(np.zeros((3, 4), np.float32)[:, ::2])
    with pytest.raises(InvalidArgumentError, match="shape"):
        native.set_parameters(np.zeros(3, np.float32))
    with pytest.raises(InvalidArgumentError):
        native.set_alphas(np.zeros(0, np.float32).reshape(0))  # not a meta-sgd learner
    with pytest.raises(InvalidArgumentError):
        native.evaluate_sinusoid(0, 5, 1, -1.0, 1)
    with pytest.raises(InvalidArgumentError, match="1e8"):
        native.evaluate_sinusoid(1000000, 5, 1000, -1.0, 1)
    with pytest.raises(InvalidArgumentError, match="parameters"):
        MLP((65536, 65536, 1))


# -- meta-training ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["maml", "meta-sgd"])
def test_short_meta_training_improves_adapted_loss(algorithm):
    learner = MetaLearner(MLP(seed=0), algorithm=algorithm, inner_lr=0.01, seed=0)
    before = learner.evaluate_sinusoid(num_tasks=200, k_shot=10, max_steps=1, seed=5).mean(1)
    history = learner.meta_train(iterations=600, progress=False)
    after = learner.evaluate_sinusoid(num_tasks=200, k_shot=10, max_steps=1, seed=5).mean(1)
    assert history.shape == (600,) and np.all(np.isfinite(history))
    assert learner.iteration == 600
    assert after < 0.7 * before, (before, after)
    np.testing.assert_array_equal(learner.model.parameters, learner.parameters)
    if algorithm == "meta-sgd":
        assert learner.alphas.shape == (1761,) and list(learner.alpha_state_dict()) == list(learner.model.state_dict())
        sd = learner.alpha_state_dict()
        sd["4.bias"] = np.array([0.5], np.float32)
        learner.set_alphas(sd)
        assert learner.alphas[-1] == 0.5
        with pytest.raises(InvalidArgumentError):
            MetaLearner(MLP()).set_alphas(np.zeros(1761, np.float32))


def test_meta_training_is_reproducible():
    a = MetaLearner(MLP(seed=1), seed=4).meta_train(iterations=50, progress=False)
    b = MetaLearner(MLP(seed=1), seed=4).meta_train(iterations=50, progress=False)
    np.testing.assert_array_equal(a, b)


def test_apply_meta_gradient_matches_manual_mean():
    rng = np.random.default_rng(0)
    learner = MetaLearner(MLP((1, 8, 8, 1), seed=2), inner_lr=0.05)
    grads = []
    for _ in range(3):
        x = rng.uniform(-5, 5, (20, 1)).astype(np.float32)
        y = (3 * np.sin(x)).astype(np.float32)
        grads.append(learner.meta_gradient(x[:10], y[:10], x[10:], y[10:]).gradient)
    before = learner.parameters
    learner.apply_meta_gradient(np.mean(grads, axis=0))
    after = learner.parameters
    # Adam's first step moves every parameter by ~lr·sign(g).
    moved = np.abs(after - before)
    assert np.allclose(moved[np.abs(np.mean(grads, 0)) > 1e-6], 1e-3, rtol=1e-2)


def test_benchmark_cli_json():
    from mnemonet.benchmarks.__main__ import main

    buf = io.StringIO()
    with redirect_stdout(buf):
        main(["sinusoid", "--iterations", "30", "--eval-tasks", "20", "--methods", "maml,pretrained", "--json"])
    summary = json.loads(buf.getvalue())
    assert set(summary["methods"]) == {"maml", "pretrained"}
    ev = summary["methods"]["maml"]["evaluations"][0]
    assert set(ev["steps"]) == {"1", "5", "10"} and {"mse", "ci95", "diverged"} <= set(ev["steps"]["1"])
    assert summary["wall_seconds"] > 0 and summary["protocol"]["iterations"] == 30
    assert mnemonet.MetaLearner is MetaLearner


def test_meta_step_on_own_batch_equals_mean_meta_gradient_step():
    rng = np.random.default_rng(1)
    x = rng.uniform(-5, 5, (4, 20, 1)).astype(np.float32)
    y = (rng.uniform(0.1, 5, (4, 1, 1)) * np.sin(x + rng.uniform(0, 3, (4, 1, 1)))).astype(np.float32)
    a = MetaLearner(MLP((1, 16, 16, 1), seed=2), inner_lr=0.01)
    b = MetaLearner(MLP((1, 16, 16, 1), seed=2), inner_lr=0.01)
    ls, lq = a.meta_step(x[:, :10], y[:, :10], x[:, 10:], y[:, 10:])
    gs = [b.meta_gradient(x[i, :10], y[i, :10], x[i, 10:], y[i, 10:]) for i in range(4)]
    b.apply_meta_gradient(np.mean([g.gradient for g in gs], axis=0))
    np.testing.assert_allclose(a.parameters, b.parameters, rtol=0, atol=1e-6)
    assert lq == pytest.approx(np.mean([g.query_loss for g in gs]), rel=1e-5)
    assert ls == pytest.approx(np.mean([g.support_loss for g in gs]), rel=1e-5)
    with pytest.raises(InvalidArgumentError, match=r"\(B, n, 1\)"):
        a.meta_step(x[0], y[0], x[0], y[0, :, 0])


@pytest.mark.parametrize("algorithm", ["maml", "meta-sgd"])
def test_composed_backend_gives_the_same_meta_gradient(algorithm):
    case = load_cases()[1]  # 3 inner steps, α = 0.1
    sx, sy, qx, qy = task_arrays(case)
    fused = learner_for(case, algorithm)
    model = MLP(case["sizes"], case["activation"])
    model.load_state_dict(fused.model.state_dict())
    composed = MetaLearner(model, algorithm=algorithm, inner_lr=case["inner_lr"], inner_steps=case["steps"],
                           backend="composed")
    if algorithm == "meta-sgd":
        composed._native.set_alphas(fused._native.get_alphas())
    a, b = fused.meta_gradient(sx, sy, qx, qy), composed.meta_gradient(sx, sy, qx, qy)
    assert rel_err(a.gradient, b.gradient) <= 1e-4
    if algorithm == "meta-sgd":
        assert rel_err(a.alpha_gradient, b.alpha_gradient) <= 1e-4
    else:
        assert rel_err(b.gradient, case["maml_meta_gradient"]) <= 1e-4
    assert "backend='composed'" in repr(composed)
    with pytest.raises(InvalidArgumentError, match="backend"):
        MetaLearner(model, backend="jax")


@pytest.mark.parametrize("algorithm", ["maml", "meta-sgd"])
def test_checkpoint_resume_equals_uninterrupted_training(tmp_path, algorithm):
    straight = MetaLearner(MLP(seed=3), algorithm=algorithm, inner_lr=0.01, seed=9)
    straight.meta_train(iterations=40, progress=False)
    first = MetaLearner(MLP(seed=3), algorithm=algorithm, inner_lr=0.01, seed=9)
    first.meta_train(iterations=25, progress=False)
    path = tmp_path / "learner.ckpt"
    first.save(path)
    resumed = MetaLearner.load(path)
    assert resumed.iteration == 25 and resumed.algorithm == algorithm and resumed.inner_lr == pytest.approx(0.01)
    np.testing.assert_array_equal(resumed.parameters, first.parameters)
    resumed.meta_train(iterations=15, progress=False)
    np.testing.assert_array_equal(resumed.parameters, straight.parameters)
    if algorithm == "meta-sgd":
        np.testing.assert_array_equal(resumed.alphas, straight.alphas)
    x = np.linspace(-5, 5, 8, dtype=np.float32)
    np.testing.assert_array_equal(resumed.adapt(x, np.sin(x), 3).parameters, straight.adapt(x, np.sin(x), 3).parameters)


def test_checkpoint_errors(tmp_path):
    learner = MetaLearner(MLP((1, 8, 1)))
    path = tmp_path / "l.ckpt"
    learner.save(path)
    data = path.read_bytes()
    (tmp_path / "short.ckpt").write_bytes(data[:-7])
    with pytest.raises(mnemonet.CheckpointFormatError):
        MetaLearner.load(tmp_path / "short.ckpt")
    flipped = bytearray(data)
    flipped[-3] ^= 0xFF
    (tmp_path / "flipped.ckpt").write_bytes(bytes(flipped))
    with pytest.raises(mnemonet.CheckpointFormatError):
        MetaLearner.load(tmp_path / "flipped.ckpt")
    with pytest.raises(mnemonet.CheckpointIOError):
        MetaLearner.load(tmp_path / "missing.ckpt")
    with pytest.raises(mnemonet.CheckpointIOError):
        learner.save(tmp_path / "no-such-dir" / "x.ckpt")


def test_diverging_meta_training_warns():
    learner = MetaLearner(MLP((1, 8, 1), seed=0), inner_lr=1e4, inner_steps=5)
    with pytest.warns(RuntimeWarning, match="diverged"):
        history = learner.meta_train(iterations=5, progress=False)
    assert not np.all(np.isfinite(history))
