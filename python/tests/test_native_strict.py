"""Strict scalars in the C shim itself (issue 14): calling ``mnemonet._native.*`` directly must not coerce.

Every scalar argument of every native method is parsed by the shared converters of mn_common.c (``mn_to_int64``,
``mn_to_int32``, ``mn_to_uint64``, ``mn_to_float32``, ``mn_to_float64``, ``mn_to_bool``, ``mn_as_int64``). Each row
below is one native call with valid arguments (called once: it must succeed, so a wrong row cannot pass silently) and
the kind of each scalar position; every hostile value of that kind is then substituted and must raise the matching
MnemonetError twin of the built-in (ArgumentTypeError / InvalidArgumentError / ArgumentOverflowError), never be
accepted, never a bare TypeError/OverflowError from PyArg.
"""
import numpy as np
import pytest

import mnemonet as mn
from mnemonet import _native

F32 = np.float32

# kind -> [(hostile value, expected MnemonetError subclass)]
HOSTILE = {
    "int": [(True, mn.ArgumentTypeError), (2.7, mn.ArgumentTypeError), (2.0, mn.ArgumentTypeError),
            ("3", mn.ArgumentTypeError), (None, mn.ArgumentTypeError), (1 + 0j, mn.ArgumentTypeError),
            (np.bool_(True), mn.ArgumentTypeError), (np.float64(2.0), mn.ArgumentTypeError),
            (2**63, mn.ArgumentOverflowError), (-(2**63) - 1, mn.ArgumentOverflowError),
            (2**70, mn.ArgumentOverflowError)],
    "int32": [(True, mn.ArgumentTypeError), (1.5, mn.ArgumentTypeError), ("0", mn.ArgumentTypeError),
              (None, mn.ArgumentTypeError), (2**31, mn.ArgumentOverflowError), (2**64, mn.ArgumentOverflowError)],
    "uint64": [(True, mn.ArgumentTypeError), (1.5, mn.ArgumentTypeError), ("1", mn.ArgumentTypeError),
               (-1, mn.InvalidArgumentError), (2**64, mn.ArgumentOverflowError)],
    "real": [(True, mn.ArgumentTypeError), ("0.1", mn.ArgumentTypeError), (None, mn.ArgumentTypeError),
             (1j, mn.ArgumentTypeError), (np.complex64(1), mn.ArgumentTypeError), ([0.1], mn.ArgumentTypeError),
             (np.array(0.1), mn.ArgumentTypeError), (float("nan"), mn.InvalidArgumentError),
             (float("inf"), mn.InvalidArgumentError), (-float("inf"), mn.InvalidArgumentError),
             (10**400, mn.ArgumentOverflowError)],
    "bool": [(1, mn.ArgumentTypeError), (0, mn.ArgumentTypeError), ("no", mn.ArgumentTypeError),
             (None, mn.ArgumentTypeError), (1.0, mn.ArgumentTypeError), ([], mn.ArgumentTypeError)],
}
HOSTILE["float32"] = HOSTILE["real"] + [(1e39, mn.ArgumentOverflowError)]
HOSTILE["clip"] = [(v, e) for v, e in HOSTILE["float32"] if not (isinstance(v, float) and v == float("inf"))]


def _agent(steps=0):
    a = _native.Agent(4, 8, 8, 4, 2, 1, 64, 1e-3, seed=0)
    for _ in range(steps):
        a.train_step(np.ones(4, F32), np.ones(4, F32), True)
    return a


def _bank():
    return _native.MemoryBank(8, 4, 2, 1)


def _ctl():
    return _native.Controller(4, 8, 8, 4, 2, 1, seed=0)


def _replay():
    b = _native.ReplayBuffer(16, [(3,)], seed=0)
    b.add((np.ones((4, 3), F32),))
    return b


def _reservoir():
    b = _native.ReservoirBuffer(16, [(3,)], seed=0)
    b.add((np.ones((4, 3), F32),))
    return b


def _meta():
    return mn.MetaLearner(mn.MLP((1, 8, 1), seed=0))._native


def _dnc():
    return _native.DNC(3, 2, 8, 6, 4, 2, 1, 0, 1e-3, 10.0, 0, 0)


def _snail():
    return mn.SNAIL(3, 2, 4, blocks=[("tc", 4), ("attention", 4, 4)], seed=0)._native


X4 = np.ones((3, 4), F32)
X1 = np.linspace(-1, 1, 5, dtype=F32).reshape(5, 1)
DX = np.ones((4, 2, 3), F32)
DY = np.zeros((4, 2, 2), F32)
SX = np.ones((2, 4, 3), F32)
ST = np.zeros((2, 4, 2), F32)

# (name, target factory -> callable, positional args, keyword args, {position or keyword: kind})
ROWS = [
    ("Agent()", lambda: _native.Agent, [4, 8, 8, 4, 2, 1, 64, 1e-3],
     {"seed": 0, "replay_batch_size": 8, "replay_weight": 0.3, "clip_norm": 1.0, "replay_alpha": 0.6,
      "replay_beta": 0.4},
     {**{k: "int" for k in range(7)}, 7: "float32", "replay_batch_size": "int", "replay_weight": "float32",
      "clip_norm": "float32", "replay_alpha": "real", "replay_beta": "real", "seed": "uint64"}),
    ("Agent.train_step", lambda: _agent().train_step, [np.ones(4, F32), np.ones(4, F32), True], {}, {2: "bool"}),
    ("Agent.evaluate", lambda: _agent().evaluate, [X4, X4, False], {}, {2: "bool"}),
    ("Agent.adapt", lambda: _agent().adapt, [X4, X4, 2, 0.01], {}, {2: "int", 3: "float32"}),
    ("Agent.fit", lambda: _agent().fit, [X4, X4, 1, True, np.zeros(3)], {}, {2: "int", 3: "bool"}),
    ("Agent.replay_sample", lambda: _agent(3).replay_sample, [2, 0.4], {}, {0: "int", 1: "real"}),
    ("MemoryBank()", lambda: _native.MemoryBank, [8, 4, 2, 1], {}, {k: "int" for k in range(4)}),
    ("MemoryBank.write", lambda: _bank().write, [np.ones(4, F32), np.ones(4, F32), np.ones(4, F32), 1.0], {},
     {3: "float32"}),
    ("Controller()", lambda: _native.Controller, [4, 8, 8, 4, 2, 1], {"seed": 0},
     {**{k: "int" for k in range(6)}, "seed": "uint64"}),
    ("Controller.get_tensor", lambda: _ctl().get_tensor, [0, np.zeros((32, 4), F32)], {},
     {0: "int"}),
    ("Controller.adapt", lambda: _ctl().adapt, [_bank(), X4, X4, 1, 0.01], {}, {3: "int", 4: "float32"}),
    ("ReplayBuffer()", lambda: _native.ReplayBuffer, [16, [(3,)]],
     {"alpha": 0.6, "eps": 1e-6, "sampling": 0, "seed": 1},
     {0: "int", "alpha": "real", "eps": "real", "sampling": "int32", "seed": "uint64"}),
    ("ReplayBuffer(shape)", lambda: lambda d: _native.ReplayBuffer(16, [(d,)]), [3], {}, {0: "int"}),
    ("ReplayBuffer(dtype code)", lambda: lambda c: _native.ReplayBuffer(16, [(3,)], dtypes=[c]), [0], {}, {0: "int"}),
    ("ReplayBuffer.sample", lambda: _replay().sample, [2, 0.4], {}, {0: "int", 1: "real"}),
    ("ReservoirBuffer()", lambda: _native.ReservoirBuffer, [16, [(3,)]], {"seed": 1}, {0: "int", "seed": "uint64"}),
    ("ReservoirBuffer.sample", lambda: _reservoir().sample, [2], {}, {0: "int"}),
    ("MetaLearner()", lambda: _native.MetaLearner, [[1, 8, 1], 0, 0, 0.01, 1, False, 1e-3, 0], {},
     {1: "int32", 2: "int32", 3: "float32", 4: "int32", 5: "bool", 6: "float32", 7: "uint64"}),
    ("MetaLearner(layer size)", lambda: lambda s: _native.MetaLearner([1, s, 1], 0, 0, 0.01, 1, False, 1e-3, 0),
     [8], {}, {0: "int"}),
    ("MetaLearner.adapt", lambda: _meta().adapt, [X1, X1, 1, 0.01], {}, {2: "int32", 3: "float32"}),
    ("MetaLearner.meta_gradient", lambda: _meta().meta_gradient, [X1, X1, X1, X1, 1, 0.01, 0], {},
     {4: "int32", 5: "float32", 6: "int32"}),
    ("MetaLearner.train_sinusoid", lambda: _meta().train_sinusoid, [1, 2, 5], {}, {0: "int", 1: "int32", 2: "int32"}),
    ("MetaLearner.evaluate_sinusoid", lambda: _meta().evaluate_sinusoid, [2, 5, 1, 0.01, 0], {},
     {0: "int", 1: "int32", 2: "int32", 3: "float32", 4: "uint64"}),
    ("DNC()", lambda: _native.DNC, [3, 2, 8, 6, 4, 2, 1, 0, 1e-3, 10.0, 0, 0], {},
     {**{k: "int" for k in range(7)}, 7: "int32", 8: "float32", 9: "clip", 10: "int32", 11: "uint64"}),
    ("DNC.forward", lambda: _dnc().forward, [DX, None, None, False], {}, {3: "bool"}),
    ("DNC.train_step", lambda: _dnc().train_step, [DX, DY, None, 0, 1e-3, 10.0], {},
     {3: "int", 4: "float32", 5: "clip"}),
    ("DNC.state_size", lambda: _dnc().state_size, [2], {}, {0: "int"}),
    ("SNAIL()", lambda: _native.SNAIL, [3, 2, 4, [(1, 4, 0)], 1e-3, 1.0, 0], {},
     {0: "int", 1: "int", 2: "int", 4: "float32", 5: "float32", 6: "uint64"}),
    ("SNAIL(block size)", lambda: lambda f: _native.SNAIL(3, 2, 4, [(1, f, 0)], 1e-3, 1.0, 0), [4], {}, {0: "int"}),
    ("SNAIL.tensor_info", lambda: _snail().tensor_info, [0], {}, {0: "int"}),
    ("SNAIL.loss", lambda: _snail().loss, [SX, ST, np.ones((2, 4), F32), 1, False, False], {},
     {3: "int32", 4: "bool", 5: "bool"}),
    ("SNAIL.set_optimizer", lambda: _snail().set_optimizer, [1e-3, 1.0], {}, {0: "float32", 1: "float32"}),
    ("engine_bench_lstm", lambda: _native.engine_bench_lstm, [1, 2, 2, True, 1, 1], {},
     {0: "int", 1: "int", 2: "int", 3: "bool", 4: "int", 5: "int"}),
    ("engine_bench_maml", lambda: _native.engine_bench_maml, [2, 2, True, 1, 1], {},
     {0: "int", 1: "int", 2: "bool", 3: "int", 4: "int"}),
]


def _call(make, args, kwargs):
    return make()(*args, **kwargs)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_native_scalars_are_strict(row):
    name, make, args, kwargs, kinds = row
    _call(make, args, kwargs)  # the valid call works (so every refusal below is about the one substituted value)
    tried = 0
    for where, kind in kinds.items():
        for value, expected in HOSTILE[kind]:
            a, k = list(args), dict(kwargs)
            if isinstance(where, int):
                a[where] = value
            else:
                k[where] = value
            with pytest.raises(mn.MnemonetError) as info:
                _call(make, a, k)
            assert isinstance(info.value, expected), (
                f"{name}: {where}={value!r} raised {type(info.value).__name__}: {info.value}, expected "
                f"{expected.__name__}")
            tried += 1
    assert tried >= len(kinds) * 5


def test_numpy_scalars_are_numbers():
    """NumPy integer/floating scalars are what notebooks pass: accepted wherever Python ints/floats are."""
    a = _native.Agent(np.int64(4), np.int32(8), 8, 4, 2, 1, 64, np.float32(1e-3), seed=np.uint64(3))
    assert a.info()[0] == 4
    a.train_step(np.ones(4, F32), np.ones(4, F32), np.bool_(True))
    a.adapt(X4, X4, np.int64(1), np.float64(0.01))
    _native.DNC(3, 2, 8, 6, 4, 2, 1, 0, 1e-3, float("inf"), 0, 0)  # clip = +inf: no clipping


def test_converter_messages_say_what_came():
    with pytest.raises(mn.ArgumentTypeError, match=r"must be an int, got float 2\.7"):
        _native.MemoryBank(8, 2.7, 2, 1)
    with pytest.raises(mn.ArgumentTypeError, match="True or False, got str 'no'"):
        _agent().train_step(np.ones(4, F32), np.ones(4, F32), "no")
    with pytest.raises(mn.InvalidArgumentError, match="finite"):
        _agent().replay_sample(2, float("nan"))
    with pytest.raises(mn.ArgumentTypeError, match=r"layer_sizes\[1\] must be an int, got bool"):
        _native.MetaLearner([1, True, 1], 0, 0, 0.01, 1, False, 1e-3, 0)
