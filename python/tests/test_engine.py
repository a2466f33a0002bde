"""The engine's benchmark hooks: they run, return plausible timings, and reject bad arguments without crashing."""
import pytest

import mnemonet
from mnemonet import _native


def test_lstm_hook_returns_positive_timings():
    fwd = _native.engine_bench_lstm(1, 8, 16, backward=False, iterations=5, repeats=1)
    both = _native.engine_bench_lstm(2, 8, 16, backward=True, iterations=5, repeats=1)
    assert fwd > 0 and both > 0


def test_op_overhead_and_maml_hooks():
    for mode in (0, 1, 2):
        assert _native.engine_bench_op_overhead(4, 3, mode, iterations=3, repeats=1) > 0
    assert _native.engine_bench_maml(2, 3, second_order=True, iterations=1, repeats=1) > 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: _native.engine_bench_lstm(0, 8, 16),
        lambda: _native.engine_bench_lstm(1, 8, 16, iterations=0),
        lambda: _native.engine_bench_op_overhead(4, 3, 7),
        lambda: _native.engine_bench_maml(1, -2),
    ],
)
def test_bad_arguments_raise(call):
    with pytest.raises(mnemonet.InvalidArgumentError):
        call()
