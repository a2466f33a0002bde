"""Regression tests for the defects the fuzzer (tools/fuzz_api.py) found once it covered every public class and every
checkpoint kind (issue 14). Each reproducer is the fuzzer's own case, reduced."""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import mnemonet as mn
from mnemonet import bandits, continual, dnc_tasks, fewshot

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import ckpt  # noqa: E402  (tools/ckpt.py: container helpers)

F32 = np.float32


def test_snail_negative_block_size_is_an_error_not_a_trap():
    """SNAIL(tc filters = -1649006566) overflowed the parameter count in Swift and killed the interpreter (SIGILL);
    run in a child so that a regression shows as a failure, not a dead test run."""
    code = ("import mnemonet as mn\n"
            "for blocks in ([('tc', -1649006566)], [('attention', -2**40, 4)], [('tc', 2**62)]):\n"
            "    try:\n"
            "        mn.SNAIL(5, 1, 9, blocks=blocks)\n"
            "    except mn.InvalidArgumentError:\n"
            "        pass\n"
            "    else:\n"
            "        raise SystemExit('accepted ' + repr(blocks))\n"
            "for io_ in ((2**62, 1), (1, 2**62)):\n"
            "    try:\n"
            "        mn.SNAIL(io_[0], io_[1], 4, blocks=[('tc', 4)])\n"
            "    except mn.InvalidArgumentError:\n"
            "        pass\n"
            "    else:\n"
            "        raise SystemExit('accepted sizes ' + repr(io_))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])


def _with_usage(data: bytes, usage_value: float, count: int) -> bytes:
    """`data` (a memory-bank checkpoint) with its last `count` floats (the usage u) replaced, resealed."""
    version, kind, payload = ckpt.split(data)
    payload = payload[:-4 * count] + struct.pack(f"<{count}f", *([usage_value] * count))
    return ckpt.seal(kind, payload, version)


def test_negative_memory_usage_is_refused_on_load_and_assignment():
    bank = mn.NeuralMemoryBank(mn.MemoryConfig(8, 4, 2), seed=0)
    bank.write(np.ones(4, F32), np.ones(4, F32), np.full(4, 0.1, F32), 1.0)
    good = bank.to_bytes()
    assert mn.NeuralMemoryBank.from_bytes(_with_usage(good, 0.25, 8)).usage.min() == 0.25  # the edit hits u
    with pytest.raises(mn.CheckpointFormatError, match="usage"):
        mn.NeuralMemoryBank.from_bytes(_with_usage(good, -0.125, 8))
    with pytest.raises(mn.InvalidArgumentError, match=r"usage must be >= 0"):
        bank.usage = np.full(8, -1.0, F32)
    assert bank.usage.min() >= 0  # nothing changed


def test_diverged_adaptation_is_refused_not_returned():
    """A MetaLearner whose θ holds huge (finite) values adapted to a NaN θ′ and returned it as a model."""
    m = mn.MetaLearner(mn.MLP((1, 8, 1), seed=0), algorithm="maml", inner_lr=0.01)
    m.model.load_state_dict({**m.model.state_dict(), "0.weight": np.full((8, 1), 1e30, F32)})
    x = np.linspace(-1, 1, 5, dtype=F32).reshape(5, 1)
    before = m.parameters.copy()
    with pytest.raises(mn.NonFiniteError, match="adaptation diverged"):
        m.adapt(x, x, num_steps=1)
    np.testing.assert_array_equal(m.parameters, before)


def test_replay_dtype_none_is_not_float64():
    with pytest.raises(mn.ArgumentTypeError, match="None is not a dtype"):
        mn.PrioritizedReplay(8, {"x": ((2,), None)})


@pytest.mark.parametrize("kwargs", [{"discount": -6e306}, {"gae_lambda": 1.5}, {"batch_size": None},
                                    {"iterations": -3}, {"value_coef": -1.0}, {"entropy_coef": float("nan")},
                                    {"normalize_advantages": "no"}, {"pulls": 2.5}])
def test_fit_bandits_validates_everything_before_the_first_update(kwargs):
    m = mn.SNAIL.for_bandits(2, 5, blocks=[("tc", 4)])
    args = {"pulls": 5, "iterations": 0, "batch_size": 3, "progress": False, **kwargs}
    with pytest.raises(mn.MnemonetError):
        m.fit_bandits(**args)


def test_meta_train_validates_before_the_first_iteration():
    m = mn.MetaLearner(mn.MLP((1, 8, 1), seed=0))
    for kwargs in ({"meta_batch_size": -(2**63) - 1}, {"k_shot": 0}, {"meta_batch_size": 2.5}):
        with pytest.raises(mn.MnemonetError):
            m.meta_train(iterations=0, progress=False, **kwargs)


def test_seeds_and_flags_of_the_training_loops_are_strict():
    d = mn.DNC(3, 2, mn.MemoryConfig(8, 4, 1, 1), hidden_size=8, seed=0)
    for seed in (True, "1", 1.5):
        with pytest.raises(mn.ArgumentTypeError):
            d.fit(dnc_tasks.CopyTask(bits=2, max_length=2), 1, batch_size=2, progress=False, seed=seed)
    s = mn.SNAIL(3, 1, 4, blocks=[("tc", 4)], seed=0)
    with pytest.raises(mn.ArgumentTypeError):
        s.fit(fewshot.SinusoidEpisodes(2, 2), 1, 2, loss="mse", progress=False, seed=1.5)
    with pytest.raises(mn.ArgumentTypeError):
        d.forward(np.ones((3, 2, 3), F32), lengths=[True, 1])
    with pytest.raises(mn.ArgumentTypeError):
        d.forward(np.ones((3, 2, 3), F32), trace="no")


@pytest.mark.parametrize("kwargs, error", [({"lr": "0.1"}, mn.ArgumentTypeError), ({"lr": True}, mn.ArgumentTypeError),
                                           ({"clip": float("nan")}, mn.InvalidArgumentError),
                                           ({"clip": -1.0}, mn.InvalidArgumentError),
                                           ({"lr": 0.0}, mn.InvalidArgumentError)])
def test_dnc_lr_and_clip_are_not_coerced(kwargs, error):
    with pytest.raises(error):
        mn.DNC(3, 2, mn.MemoryConfig(8, 4, 1, 1), hidden_size=8, seed=0, **kwargs)
    mn.DNC(3, 2, mn.MemoryConfig(8, 4, 1, 1), hidden_size=8, seed=0, clip=float("inf"))  # +inf: no clipping


def test_snail_settings_are_not_coerced():
    s = mn.SNAIL(3, 2, 4, blocks=[("tc", 4)], seed=0)
    for bad in ("0.1", True, None):
        with pytest.raises(mn.ArgumentTypeError):
            s.lr = bad
        with pytest.raises(mn.ArgumentTypeError):
            mn.SNAIL(3, 2, 4, blocks=[("tc", 4)], lr=bad)
    with pytest.raises(mn.ArgumentTypeError):
        mn.SNAIL.for_bandits(2, 3, blocks=[("tc", 4)]).evaluate_bandits(np.array([object()] * 2), np.ones((2, 3, 2), F32))


def test_mlp_loss_and_state_dict_are_strict():
    mlp = mn.MLP((1, 8, 1), seed=0)
    x = np.ones((5, 1), F32)
    with pytest.raises(mn.InvalidArgumentError, match=r"y must be finite, got inf at y\[2, 0\]"):
        mlp.loss(x, np.array([[0.0], [1.0], [np.inf], [0.0], [0.0]], F32))
    with pytest.raises(mn.ArgumentTypeError):
        mlp.load_state_dict(mlp.state_dict(), strict="no")


def test_episode_builders_and_tasks_refuse_coercion():
    x, y = np.random.default_rng(0).random((40, 6)).astype(F32), np.arange(40) % 4
    for kwargs in ({"ways": 2.7}, {"shots": True}, {"ways": "2"}):
        with pytest.raises(mn.ArgumentTypeError):
            fewshot.FewShotEpisodes(x, y, **{"ways": 2, "shots": 1, **kwargs})
    with pytest.raises(mn.ArgumentTypeError):
        fewshot.FewShotEpisodes(x, y, 2, 1).sample(2.5, np.random.default_rng(0))
    with pytest.raises(mn.InvalidArgumentError, match="finite"):
        fewshot.FewShotEpisodes(np.where(x > 0.99, np.nan, x), y, 2, 1)
    with pytest.raises(mn.InvalidArgumentError):
        fewshot.query_accuracy(np.ones((2, 3, 4)), np.ones((2, 3, 5)))
    with pytest.raises(mn.ArgumentTypeError):
        fewshot.SinusoidEpisodes(2.5, 2)
    for task in (lambda: dnc_tasks.CopyTask(bits=2.5), lambda: dnc_tasks.CopyTask(min_length=5, max_length=2),
                 lambda: dnc_tasks.RepeatCopyTask(max_repeats=0), lambda: dnc_tasks.AssociativeRecallTask(min_items=1)):
        with pytest.raises(mn.MnemonetError):
            task()
    with pytest.raises(mn.ArgumentTypeError):
        dnc_tasks.CopyTask().sample(None, np.random.default_rng(0))
    with pytest.raises(mn.InvalidArgumentError, match="finite"):
        dnc_tasks.bits_per_sequence(np.full((2, 1, 2), np.nan), np.zeros((2, 1, 2)), np.ones((2, 1)))


def test_bandit_helpers_refuse_bad_input():
    for kwargs in ({"episodes": 2.5}, {"arms": True}, {"pulls": "3"}, {"seed": -1}):
        with pytest.raises(mn.MnemonetError):
            bandits.draw(**{"episodes": 2, "arms": 2, "pulls": 3, **kwargs})
    p, u = bandits.draw(2, 3, 4)
    with pytest.raises(mn.InvalidArgumentError, match="unknown baseline"):
        bandits.run_baseline("greedy", p, u)
    with pytest.raises(mn.InvalidArgumentError):
        bandits.run_baseline("random", p, u[:, :, :2])
    with pytest.raises(mn.InvalidArgumentError):
        bandits.run_baseline("epsilon_greedy", p, u, epsilon=1.5)
    with pytest.raises(mn.InvalidArgumentError, match="finite"):
        bandits.summarize([1.0, np.nan])


def test_continual_helpers_refuse_coercion():
    with pytest.raises(mn.ArgumentTypeError):
        continual.permuted_digits(2.0)
    with pytest.raises(mn.ArgumentTypeError):
        continual.rotated_digits(True)
    with pytest.raises(mn.ArgumentTypeError):
        continual.permuted_digits(2, seed="1")
    with pytest.raises(mn.InvalidArgumentError):
        continual.split_digits(test_size=1.5)
    with pytest.raises(mn.ArgumentTypeError):
        continual.average_accuracy(np.ones((2, 2), np.complex64))
    with pytest.raises(mn.ArgumentTypeError):
        continual.average_accuracy([["a", "b"], ["c", "d"]])
    with pytest.raises(mn.InvalidArgumentError, match=r"R must be finite, got nan at R\[1, 0\]"):
        continual.average_accuracy([[1.0, 0.0], [np.nan, 1.0]])


@pytest.mark.parametrize("fields", ['[["x"]]', '[["x", [2.5], "float32"]]', '[["x", ["3"], "float32"]]',
                                    '[["x", [true], "float32"]]', '[[1, [3], "float32"]]', '{"x": [3]}'])
def test_malformed_replay_metadata_is_a_format_error(tmp_path, fields):
    """A CRC-recomputed typed replay file whose metadata lost a field's shape raised a bare IndexError on load;
    shapes of 2.5 or "3" were coerced by int()."""
    rb = mn.PrioritizedReplay(8, {"x": (3,)}, seed=0)
    rb.add(x=np.ones((2, 3), F32))
    fmt = json.dumps(json.loads(rb._native.metadata)["format"])
    rb._native.metadata = '{"format": %s, "class": "PrioritizedReplay", "fields": %s}' % (fmt, fields)
    path = tmp_path / "r.ckpt"
    rb._native.save(str(path))
    with pytest.raises(mn.CheckpointFormatError, match="metadata"):
        mn.PrioritizedReplay.load(path)
