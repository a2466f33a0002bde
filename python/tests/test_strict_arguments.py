"""Strict arguments and one error hierarchy (issue 14): strings, bools, floats and complex values are never coerced
silently, and every error mnemonet raises is a MnemonetError that is also the matching built-in exception. Each
case is a reproducer of a silent coercion found by probing."""
import numpy as np
import pytest

import mnemonet as mn


def small_agent():
    return mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 32, seed=0)


ONES = np.ones(4, np.float32)
SUPPORT = np.ones((3, 4), np.float32)

CASES = [
    # (call, expected built-in, expected mnemonet class)
    (lambda: mn.MetaLearner(mn.MLP(), inner_lr="0.1"), TypeError, mn.ArgumentTypeError),
    (lambda: mn.MetaLearner(mn.MLP(), meta_lr=True), TypeError, mn.ArgumentTypeError),        # was 1.0
    (lambda: mn.MetaLearner(mn.MLP(), inner_steps=2.7), TypeError, mn.ArgumentTypeError),     # was 2
    (lambda: mn.MetaLearner(mn.MLP(), first_order="no"), TypeError, mn.ArgumentTypeError),    # was True
    (lambda: mn.MetaLearner(mn.MLP()).adapt(np.ones((3, 1)), np.ones((3, 1)), num_steps=2.7), TypeError,
     mn.ArgumentTypeError),
    (lambda: mn.MLP((1, 40.5, 1)), TypeError, mn.ArgumentTypeError),                          # was 40
    (lambda: mn.MLP(seed=2**64), OverflowError, mn.ArgumentOverflowError),                   # was seed 0
    (lambda: mn.MLP(seed="1"), TypeError, mn.ArgumentTypeError),
    (lambda: mn.MLP().predict(np.ones((2, 1), np.complex64)), TypeError, mn.ArgumentTypeError),  # lost imag part
    (lambda: mn.MLP().predict(None), TypeError, mn.ArgumentTypeError),                        # was a number
    (lambda: small_agent().train_step(ONES, ONES, use_replay="no"), TypeError, mn.ArgumentTypeError),  # acted True
    (lambda: small_agent().train_step(ONES.astype(np.complex64), ONES), TypeError, mn.ArgumentTypeError),
    (lambda: small_agent().train_step(np.full(4, 1e300), ONES), OverflowError, mn.ArgumentOverflowError),
    (lambda: small_agent().fit(SUPPORT, SUPPORT, epochs=1, use_replay=1, progress=False), TypeError,
     mn.ArgumentTypeError),
    (lambda: small_agent().adapt(SUPPORT, SUPPORT, lr=-1), ValueError, mn.InvalidArgumentError),  # was accepted
    (lambda: small_agent().adapt(SUPPORT, SUPPORT, lr="0.1"), TypeError, mn.ArgumentTypeError),
    (lambda: small_agent().adapt(SUPPORT, SUPPORT, num_steps=2.7), TypeError, mn.ArgumentTypeError),
    (lambda: small_agent().adapt(SUPPORT, SUPPORT, lr=float("nan")), ValueError, mn.InvalidArgumentError),
    (lambda: mn.ContinualLearningAgent(input_dim=2**63), OverflowError, mn.ArgumentOverflowError),  # bare before
    (lambda: mn.ExperienceReplay(capacity=10**12), ValueError, mn.InvalidArgumentError),     # accepted before
    (lambda: mn.PrioritizedReplay(10**12, {"x": 3}), ValueError, mn.InvalidArgumentError),
    (lambda: mn.PrioritizedReplay(8, {"x": 3}).sample(2, beta="0.4"), TypeError, mn.ArgumentTypeError),
    (lambda: mn.NeuralMemoryBank(mn.MemoryConfig(8, 4, 2)).write(ONES, ONES, ONES, "1"), TypeError,
     mn.ArgumentTypeError),
]


@pytest.mark.parametrize("call, builtin, cls", CASES, ids=[f"case{k}" for k in range(len(CASES))])
def test_silent_coercions_are_refused(call, builtin, cls):
    with pytest.raises(builtin) as e:
        call()
    assert isinstance(e.value, cls) and isinstance(e.value, mn.MnemonetError), type(e.value).__mro__


def test_hierarchy_matches_the_builtins():
    assert issubclass(mn.InvalidArgumentError, ValueError)
    assert issubclass(mn.ArgumentTypeError, TypeError)
    assert issubclass(mn.ArgumentOverflowError, OverflowError) and issubclass(mn.ArgumentOverflowError, ValueError)
    assert issubclass(mn.NonFiniteError, FloatingPointError)
    assert issubclass(mn.OutOfMemoryError, MemoryError)
    for cls in (mn.InvalidArgumentError, mn.ArgumentTypeError, mn.ArgumentOverflowError, mn.NonFiniteError,
                mn.OutOfMemoryError, mn.CheckpointFormatError, mn.CheckpointIOError, mn.InvalidStateError,
                mn.IndexOutOfRangeError):
        assert issubclass(cls, mn.MnemonetError)


def test_numpy_scalars_and_integral_types_still_accepted():
    a = small_agent()
    a.adapt(SUPPORT, SUPPORT, num_steps=np.int64(2), lr=np.float32(0.01))
    a.train_step(ONES, ONES, use_replay=np.bool_(False))
    mn.MLP((np.int64(1), 8, 1), seed=np.uint64(2**64 - 1))
    mn.MLP((1, 8, 1)).predict([[0.5], [1]])  # lists of numbers convert
