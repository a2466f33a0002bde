"""Crash fuzzer for mnemonet's public Python API.

Every case runs in a forked child; a child that dies from a signal (SIGILL from a Swift trap, SIGSEGV, SIGABRT,
SIGKILL from the OOM killer, …) is a defect: bad input must raise a Python exception, never kill the interpreter.
Exceptions are fine (they are what bad input should produce). Run:

    python tools/fuzz_api.py [--random N] [--seed S] [--timeout SECONDS]

Exit status 1 when any case killed its child. The hand-written cases cover the edge values (negative, zero, huge,
NaN/inf, 0-d, empty, wrong dtype/type, non-contiguous, read-only, use after close, copy/pickle of native handles,
corrupt checkpoints); ``--random`` adds random argument combinations over the same calls.
"""
from __future__ import annotations

import argparse
import copy
import math
import os
import pickle
import random
import resource
import signal
import sys
import tempfile
import traceback

import numpy as np

import mnemonet as mn
from mnemonet import _native

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ckpt  # noqa: E402  (tools/ckpt.py: checkpoint container helpers)

# Values a notebook user might pass where a number or an array is expected.
INTS = [0, 1, -1, 2, 3, 8, 17, 2**31, 2**40, 2**62, 2**63 - 1, -(2**63), 2**64, 2**70, 1.5, float("nan"), None,
        "3", True, np.int64(4), np.uint64(2**64 - 1)]
FLOATS = [0.0, 1.0, -1.0, 0.4, 1e-30, 1e30, 1e308, float("nan"), float("inf"), -float("inf"), None, "x", 2**70,
          np.float32(0.5)]


def arrays(shape):
    """Variants of a float array of `shape` that a user could pass, good and bad."""
    good = np.ones(shape, dtype=np.float32)
    out = [good, good.astype(np.float64), good.astype(np.int32), good.astype(np.float16), good.astype(">f4"),
           np.zeros((0,) + tuple(shape[1:]), np.float32), np.float32(1.0), np.array(1.0, np.float32), [1.0] * 3,
           None, "abc", object(), np.full(shape, np.nan, np.float32), np.full(shape, np.inf, np.float32),
           np.full(shape, -np.inf, np.float32), np.full(shape, 3e38, np.float32), good.astype(np.complex64),
           np.ones(tuple(shape) + (2,), np.float32)[..., 0],  # non-contiguous
           np.ones((2,) + tuple(shape), np.float32), np.ones(7, np.float32), np.empty(0, np.float32)]
    ro = good.copy()
    ro.flags.writeable = False
    out.append(ro)
    if good.ndim >= 1 and good.size > 1:
        out.append(good.T if good.ndim == 2 else good[::-1])
    unaligned = np.frombuffer(b"\0" + good.tobytes(), dtype=np.uint8)[1:].view(np.float32).reshape(shape)
    out.append(unaligned)
    return out


def corrupt_files(path):
    """Mutations of the checkpoint at `path`: truncations, bit flips, a wrong length, an empty file, garbage."""
    data = open(path, "rb").read()
    rng = random.Random(len(data))
    out = [b"", b"\0" * 64, data[:8], data[:len(data) // 2], data[:-1], data + b"\0", os.urandom(256)]
    for _ in range(12):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        out.append(bytes(b))
    return out


def resealed(data, rng, count):
    """Mutations of a checkpoint's payload with the header's length and CRC-32 recomputed, so that the parser itself
    (not the checksum) sees the corrupt values: a trap there would be reachable with a crafted file."""
    import struct
    try:
        payload = ckpt.split(data)[2]
    except ValueError:
        return []
    out = []
    for _ in range(count):
        b = bytearray(payload)
        how = rng.randrange(4)
        if how == 0:  # flip bits
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif how == 1:  # a big or negative integer at a random 8-byte-aligned spot
            k = rng.randrange(0, max(1, len(b) - 8))
            b[k:k + 8] = struct.pack("<q", rng.choice([-1, -2**63, 2**62, 2**40, 2**31, 0, 2**63 - 1]))
        elif how == 2:  # truncate
            b = b[:rng.randrange(len(b))]
        else:  # a NaN / inf float somewhere
            k = rng.randrange(0, max(1, len(b) - 4))
            b[k:k + 4] = struct.pack("<f", rng.choice([float("nan"), float("inf"), -float("inf"), 1e38]))
        out.append(ckpt.reseal(data, bytes(b)))
    return out


def close_all(obj):
    for name in ("close", "free", "release"):
        f = getattr(obj, name, None)
        if callable(f):
            f()


def cases(tmp):
    """(name, thunk) pairs. Each thunk runs in a child process."""
    C = []

    def add(name, f):
        C.append((name, f))

    cfg = lambda: mn.MemoryConfig(memory_size=8, memory_dim=4, num_read_heads=2)  # noqa: E731

    # -- constructors with every edge integer -----------------------------------------------------------------
    for v in INTS:
        add(f"PrioritizedReplay(capacity={v!r})", lambda v=v: mn.PrioritizedReplay(v, {"x": (3,)}))
        add(f"PrioritizedReplay(fields x:({v!r},))", lambda v=v: mn.PrioritizedReplay(4, {"x": (v,)}))
        add(f"PrioritizedReplay(fields x:({v!r},{v!r}))", lambda v=v: mn.PrioritizedReplay(4, {"x": (v, v)}))
        add(f"ReservoirReplay(capacity={v!r})", lambda v=v: mn.ReservoirReplay(v, {"x": (3,)}))
        add(f"ReservoirReplay(fields x:({v!r},))", lambda v=v: mn.ReservoirReplay(4, {"x": (v,)}))
        add(f"ExperienceReplay(capacity={v!r})", lambda v=v: mn.ExperienceReplay(v))
        add(f"PrioritizedReplay(seed={v!r})", lambda v=v: mn.PrioritizedReplay(4, {"x": 3}, seed=v))
        add(f"MemoryConfig(memory_size={v!r}) bank", lambda v=v: mn.NeuralMemoryBank(mn.MemoryConfig(memory_size=v)))
        add(f"MemoryConfig(memory_dim={v!r}) bank", lambda v=v: mn.NeuralMemoryBank(mn.MemoryConfig(memory_dim=v)))
        add(f"MemoryConfig(num_read_heads={v!r}) bank",
            lambda v=v: mn.NeuralMemoryBank(mn.MemoryConfig(num_read_heads=v)))
        add(f"MemoryConfig(num_write_heads={v!r}) bank",
            lambda v=v: mn.NeuralMemoryBank(mn.MemoryConfig(num_write_heads=v)))
        add(f"MemoryController(input_dim={v!r})", lambda v=v: mn.MemoryController(v, 8, cfg()))
        add(f"MemoryController(hidden_dim={v!r})", lambda v=v: mn.MemoryController(4, v, cfg()))
        add(f"MemoryController(seed={v!r})", lambda v=v: mn.MemoryController(4, 8, cfg(), seed=v))
        add(f"Agent(input_dim={v!r})", lambda v=v: mn.ContinualLearningAgent(v, 8, cfg(), 64))
        add(f"Agent(hidden_dim={v!r})", lambda v=v: mn.ContinualLearningAgent(4, v, cfg(), 64))
        add(f"Agent(replay_capacity={v!r})", lambda v=v: mn.ContinualLearningAgent(4, 8, cfg(), v))
        add(f"Agent(seed={v!r})", lambda v=v: mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=v))
        add(f"create_task_data(task_id={v!r})", lambda v=v: mn.create_task_data(v, 4, 4))
        add(f"create_task_data(num_samples={v!r})", lambda v=v: mn.create_task_data(0, v, 4))
        add(f"create_task_data(input_dim={v!r})", lambda v=v: mn.create_task_data(0, 4, v))
        add(f"engine_bench_lstm(batch={v!r})", lambda v=v: _native.engine_bench_lstm(v, 4, 4, True, 1, 1))
        add(f"engine_bench_lstm(hidden={v!r})", lambda v=v: _native.engine_bench_lstm(1, 4, v, True, 1, 1))
        add(f"engine_bench_op_overhead(size={v!r})", lambda v=v: _native.engine_bench_op_overhead(v, 2, 0, 1, 1))
        add(f"engine_bench_op_overhead(length={v!r})", lambda v=v: _native.engine_bench_op_overhead(4, v, 2, 1, 1))
        add(f"engine_bench_op_overhead(mode={v!r})", lambda v=v: _native.engine_bench_op_overhead(4, 2, v, 1, 1))
        add(f"engine_bench_maml(meta_batch={v!r})", lambda v=v: _native.engine_bench_maml(v, 2, True, 1, 1))
        add(f"engine_bench_maml(k={v!r})", lambda v=v: _native.engine_bench_maml(2, v, True, 1, 1))
        add(f"engine_bench_lstm(iterations={v!r})", lambda v=v: _native.engine_bench_lstm(1, 2, 2, True, v, 1) if
            isinstance(v, int) and v < 10**6 else None)

    for v in FLOATS:
        add(f"PrioritizedReplay(alpha={v!r})", lambda v=v: mn.PrioritizedReplay(4, {"x": 3}, alpha=v))
        add(f"PrioritizedReplay(eps={v!r})", lambda v=v: mn.PrioritizedReplay(4, {"x": 3}, eps=v))
        add(f"ExperienceReplay(alpha={v!r})", lambda v=v: mn.ExperienceReplay(8, alpha=v))
        add(f"Agent(lr={v!r})", lambda v=v: mn.ContinualLearningAgent(4, 8, cfg(), 64, lr=v))

        def pr_sample_beta(v=v):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0)
            b.add(x=np.ones((10, 3)))
            b.sample(4, beta=v)
        add(f"PrioritizedReplay.sample(beta={v!r})", pr_sample_beta)

        def pr_add_prio(v=v):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0)
            b.add(x=np.ones(3), priority=v)
            b.sample(1)
        add(f"PrioritizedReplay.add(priority={v!r})", pr_add_prio)

        def pr_update(v=v):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0, sampling="seed")
            b.add(x=np.ones((4, 3)))
            b.update_priorities([0, 1], [v, v])
            b.sample(2)
        add(f"PrioritizedReplay.update_priorities({v!r})", pr_update)

        def er_push(v=v):
            e = mn.ExperienceReplay(8, seed=0)
            e.push((np.ones(3), np.ones(3)), priority=v)
            e.sample(2, beta=v)
        add(f"ExperienceReplay.push(priority={v!r})", er_push)

        def agent_sample(v=v):
            a = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
            for _ in range(3):
                a.train_step(np.ones(4), np.ones(4))
            a.replay_buffer.sample(2, beta=v)
        add(f"agent.replay_buffer.sample(beta={v!r})", agent_sample)

        def bank_write(v=v):
            b = mn.NeuralMemoryBank(cfg())
            b.write(np.ones(4), np.ones(4), np.ones(4), v)
            b.read(np.ones((2, 4)), np.full(2, v if isinstance(v, float) else 1.0))
        add(f"NeuralMemoryBank.write(strength={v!r})", bank_write)

        add(f"content_addressing(beta={v!r})", lambda v=v: mn.NeuralMemoryBank(cfg()).content_addressing(np.ones(4), v))

    # -- sample sizes -------------------------------------------------------------------------------------------
    for v in INTS:
        def pr_sample(v=v, mode="proportional"):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0, sampling=mode)
            b.add(x=np.ones((10, 3)))
            b.sample(v)
        add(f"PrioritizedReplay.sample({v!r})", pr_sample)
        add(f"PrioritizedReplay(seed mode).sample({v!r})", lambda v=v: pr_sample(v, "seed"))

        def pr_sample_empty(v=v):
            mn.PrioritizedReplay(16, {"x": 3}, seed=0).sample(v)
        add(f"empty PrioritizedReplay.sample({v!r})", pr_sample_empty)

        def rr_sample(v=v):
            b = mn.ReservoirReplay(16, {"x": 3}, seed=0)
            b.add(x=np.ones((10, 3)))
            b.sample(v)
        add(f"ReservoirReplay.sample({v!r})", rr_sample)
        add(f"empty ReservoirReplay.sample({v!r})", lambda v=v: mn.ReservoirReplay(4, {"x": 3}).sample(v))

        def er_sample(v=v):
            e = mn.ExperienceReplay(8, seed=0)
            for _ in range(3):
                e.push((np.ones(3), 1.0))
            e.sample(v)
        add(f"ExperienceReplay.sample({v!r})", er_sample)

        def pr_update_idx(v=v):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0)
            b.add(x=np.ones((4, 3)))
            b.update_priorities([v], [1.0])
        add(f"PrioritizedReplay.update_priorities(index={v!r})", pr_update_idx)

        def pr_prios(v=v):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0)
            b.add(x=np.ones((4, 3)))
            b.priorities([v])
        add(f"PrioritizedReplay.priorities([{v!r}])", pr_prios)

        def agent_sample_n(v=v):
            a = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
            a.replay_buffer.sample(v)
            a.train_step(np.ones(4), np.ones(4))
            a.replay_buffer.sample(v)
            a._agent.replay_sample(v)
        add(f"agent.replay_buffer.sample({v!r})", agent_sample_n)

        def agent_fit_epochs(v=v):
            a = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
            X = np.ones((3, 4), np.float32)
            a.fit(X, X, epochs=v if not isinstance(v, int) or v < 5 else 2, progress=False)
        add(f"agent.fit(epochs={v!r})", agent_fit_epochs)

        def agent_native_fit(v=v):
            a = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
            X = np.ones((3, 4), np.float32)
            a._agent.fit(X, X, v, True, np.zeros(6))
        add(f"_native.Agent.fit(epochs={v!r})", agent_native_fit)

        def draws(v=v):
            a = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
            for _ in range(20):
                a.train_step(np.ones(4), np.ones(4))
            a._train_step_with_draws(np.ones(4), np.ones(4), np.full(8, v if isinstance(v, int) else 0), np.ones(8))
        add(f"train_step_with_draws(indices={v!r})", draws)

        def ctl_tensor(v=v):
            c = mn.MemoryController(4, 8, cfg(), seed=0)
            c._ctl.get_tensor(v, np.zeros(4, np.float32))
        add(f"Controller.get_tensor({v!r})", ctl_tensor)

        def ctl_set_tensor(v=v):
            c = mn.MemoryController(4, 8, cfg(), seed=0)
            c._ctl.set_tensor(v, np.zeros(4, np.float32))
        add(f"Controller.set_tensor({v!r})", ctl_set_tensor)

    # -- arrays of every kind into every array argument ---------------------------------------------------------
    for i, a in enumerate(arrays((3,))):
        def pr_add(a=a):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0)
            b.add(x=a)
            b.sample(1)
        add(f"PrioritizedReplay.add(x=variant {i})", pr_add)

        def pr_add_prio_arr(a=a):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0)
            b.add(x=np.ones((3, 3)), priority=a)
            b.sample(2)
        add(f"PrioritizedReplay.add(priority=variant {i})", pr_add_prio_arr)

        def pr_update_arr(a=a):
            b = mn.PrioritizedReplay(16, {"x": 3}, seed=0)
            b.add(x=np.ones((3, 3)))
            b.update_priorities(a, a)
            b.update_priorities([0, 1, 2], a)
            b.update_priorities(a, [1.0, 1.0, 1.0])
        add(f"PrioritizedReplay.update_priorities(variant {i})", pr_update_arr)

        def native_rb(a=a):
            b = _native.ReplayBuffer(16, [(3,)], seed=0)
            b.add((a,))
            b.add((a,), a)
            b.update_priorities(a, a)
            b.priorities(a)
        add(f"_native.ReplayBuffer(variant {i})", native_rb)

        def native_res(a=a):
            b = _native.ReservoirBuffer(16, [(3,)], seed=0)
            b.add((a,))
            b.sample(2)
        add(f"_native.ReservoirBuffer.add(variant {i})", native_res)

        def rr_add(a=a):
            b = mn.ReservoirReplay(16, {"x": 3}, seed=0)
            b.add(x=a)
            b.sample(1)
        add(f"ReservoirReplay.add(variant {i})", rr_add)

        def er_push_arr(a=a):
            e = mn.ExperienceReplay(8, seed=0)
            e.push((a, a))
            e.push((np.ones(3), a))
            e.sample(2)
        add(f"ExperienceReplay.push(variant {i})", er_push_arr)

    for shape in [(4,), (2, 4), (8, 4)]:
        for i, a in enumerate(arrays(shape)):
            def agent_calls(a=a):
                ag = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
                for f in (lambda: ag.train_step(a, a), lambda: ag.train_step(np.ones(4), a),
                          lambda: ag.evaluate(a, a), lambda: ag.fit(a, a, epochs=1, progress=False),
                          lambda: ag._agent.train_step(a, a), lambda: ag._agent.evaluate(a, a),
                          lambda: ag.controller.forward(a, ag.memory_bank),
                          lambda: ag._train_step_with_draws(a, a, np.zeros(8), a)):
                    try:
                        f()
                    except Exception:
                        pass
            add(f"agent calls(shape {shape}, variant {i})", agent_calls)

            def bank_calls(a=a):
                b = mn.NeuralMemoryBank(cfg())
                for f in (lambda: b.read(a, np.ones(2)), lambda: b.read(np.ones((2, 4)), a),
                          lambda: b.content_addressing(a, 1.0), lambda: b.content_addressing(np.ones(4), a),
                          lambda: b.write(a, a, a, 1.0), lambda: setattr(b, "memory", a),
                          lambda: setattr(b, "usage", a), lambda: b._bank.set(a, a),
                          lambda: b._bank.read(a, a), lambda: b._bank.content_addressing(a, a),
                          lambda: b._bank.write(a, a, a, 1.0)):
                    try:
                        f()
                    except Exception:
                        pass
            add(f"bank calls(shape {shape}, variant {i})", bank_calls)

            def ctl_calls(a=a):
                c = mn.MemoryController(4, 8, cfg(), seed=0)
                b = mn.NeuralMemoryBank(cfg())
                for f in (lambda: c.forward(a, b), lambda: c._ctl.forward(a, b._bank),
                          lambda: c._ctl.set_tensor(0, a), lambda: c._ctl.get_tensor(0, a),
                          lambda: c.load_state_dict({k: a for k in c.state_dict()}),
                          lambda: c.forward(np.ones(4), mn.NeuralMemoryBank(mn.MemoryConfig(8, 4, 3)))):
                    try:
                        f()
                    except Exception:
                        pass
            add(f"controller calls(shape {shape}, variant {i})", ctl_calls)

    # -- legal-looking but huge shapes (each must raise, not trap on a failed allocation) ------------------------
    for n, w, r in ((1 << 20, 4, 1024), (4, 1 << 16, 1024), (1 << 20, 4, 1), (1 << 12, 1 << 10, 1024)):
        add(f"NeuralMemoryBank(N={n}, W={w}, R={r}).read",
            lambda n=n, w=w, r=r: mn.NeuralMemoryBank(mn.MemoryConfig(n, w, r)).read(np.ones((r, w)), np.ones(r)))
        add(f"ContinualLearningAgent(N={n}, W={w}, R={r})",
            lambda n=n, w=w, r=r: mn.ContinualLearningAgent(16, 64, mn.MemoryConfig(n, w, r), 17))
    for i, h, cap in ((65536, 1, 2**26), (65536, 65536, 17), (1, 8192, 17), (4096, 8, 2**26)):
        add(f"ContinualLearningAgent(I={i}, H={h}, capacity={cap})",
            lambda i=i, h=h, cap=cap: mn.ContinualLearningAgent(i, h, mn.MemoryConfig(8, 4, 2), cap))

    # -- wrong objects where native objects are expected ------------------------------------------------------
    def wrong_objects():
        c = mn.MemoryController(4, 8, cfg(), seed=0)
        for other in (None, 3, "x", _native.ReplayBuffer(4, [(3,)]), mn.NeuralMemoryBank(cfg())._bank,
                      _native.MemoryBank.__new__(_native.MemoryBank)):
            try:
                c._ctl.forward(np.ones(4, np.float32), other)
            except Exception:
                pass
    add("Controller.forward(wrong bank objects)", wrong_objects)

    # -- uninitialised native objects (tp_new without __init__) -------------------------------------------------
    for cls in (_native.ReplayBuffer, _native.ReservoirBuffer, _native.MemoryBank, _native.Controller, _native.Agent):
        def uninit(cls=cls):
            o = cls.__new__(cls)
            for name in dir(o):
                if name.startswith("__"):
                    continue
                m = getattr(o, name, None)
                if not callable(m):
                    continue
                for args in ((), (1,), (np.ones(3, np.float32),), (np.ones(3, np.float32), np.ones(3, np.float32)),
                             (1, 0.4), ("/nonexistent/x",)):
                    try:
                        m(*args)
                    except Exception:
                        pass
            try:
                len(o)
            except Exception:
                pass
            repr(o)
        add(f"{cls.__name__}.__new__ without __init__", uninit)

        def reinit(cls=cls):
            args = {"ReplayBuffer": (4, [(3,)]), "ReservoirBuffer": (4, [(3,)]), "MemoryBank": (8, 4, 2, 1),
                    "Controller": (4, 8, 8, 4, 2, 1), "Agent": (4, 8, 8, 4, 2, 1, 64, 1e-3)}[cls.__name__]
            o = cls(*args)
            try:
                o.__init__(*args)
            except Exception:
                pass
            try:
                o.__init__(-1, *args[1:])
            except Exception:
                pass
        add(f"{cls.__name__}.__init__ twice", reinit)

    # -- copying / pickling objects that hold native handles ----------------------------------------------------
    def make_objects():
        ag = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
        pr = mn.PrioritizedReplay(8, {"x": 3}, seed=0)
        pr.add(x=np.ones(3))
        return [pr, mn.ReservoirReplay(8, {"x": 3}), mn.ExperienceReplay(8), mn.NeuralMemoryBank(cfg()),
                mn.MemoryController(4, 8, cfg()), ag, ag.controller, ag.memory_bank, ag.replay_buffer,
                _native.ReplayBuffer(4, [(3,)]), _native.Agent(4, 8, 8, 4, 2, 1, 64, 1e-3)]

    for k in range(11):
        def cp(k=k, how="copy"):
            o = make_objects()[k]
            if how == "copy":
                o2 = copy.copy(o)
            elif how == "deepcopy":
                o2 = copy.deepcopy(o)
            else:
                o2 = pickle.loads(pickle.dumps(o))
            del o
            import gc
            gc.collect()
            repr(o2)
            for name in ("sample", "train_step", "read", "forward", "__len__"):
                if hasattr(o2, name):
                    try:
                        f = getattr(o2, name)
                        if name == "sample":
                            f(1)
                        elif name == "train_step":
                            f(np.ones(4), np.ones(4))
                        elif name == "read":
                            f(np.ones((2, 4)), np.ones(2))
                        elif name == "forward":
                            f(np.ones(4), mn.NeuralMemoryBank(cfg()))
                        else:
                            len(o2)
                    except Exception:
                        pass
        for how in ("copy", "deepcopy", "pickle"):
            add(f"{how} of object {k}", lambda k=k, how=how: cp(k, how))

    # -- views outliving owners, threads ---------------------------------------------------------------------
    def views_outlive():
        ag = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
        c, b, r = ag.controller, ag.memory_bank, ag.replay_buffer
        del ag
        import gc
        gc.collect()
        c.forward(np.ones(4), b)
        b.read(np.ones((2, 4)), np.ones(2))
        len(r)
        r.sample(2)
    add("views outliving the agent", views_outlive)

    def threads():
        import threading
        ag = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
        pr = mn.PrioritizedReplay(64, {"x": 3}, seed=0)
        pr.add(x=np.ones((32, 3)))
        X = np.random.randn(10, 4).astype(np.float32)

        def work(j):
            for _ in range(30):
                ag.train_step(X[j % 10], X[(j + 1) % 10])
                ag.memory_bank.memory
                ag.controller.state_dict()
                ag.replay_buffer.sample(4)
                s = pr.sample(4)
                pr.update_priorities(s["indices"], np.ones(4))
                pr.add(x=np.ones(3))
        ts = [threading.Thread(target=work, args=(j,)) for j in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    add("threads sharing objects", threads)

    # -- checkpoints: corrupt files of every kind ---------------------------------------------------------------
    saved = {}
    pr = mn.PrioritizedReplay(8, {"x": 3, "y": ()}, seed=0)
    pr.add(x=np.ones((5, 3)), y=np.arange(5))
    saved["PrioritizedReplay"] = os.path.join(tmp, "pr.ckpt")
    pr.save(saved["PrioritizedReplay"])
    rr = mn.ReservoirReplay(8, {"x": 3}, seed=0)
    rr.add(x=np.ones((5, 3)))
    saved["ReservoirReplay"] = os.path.join(tmp, "rr.ckpt")
    rr.save(saved["ReservoirReplay"])
    er = mn.ExperienceReplay(8, seed=0)
    er.push((np.ones(3), np.ones(3)))
    saved["ExperienceReplay"] = os.path.join(tmp, "er.ckpt")
    er.save(saved["ExperienceReplay"])
    ag = mn.ContinualLearningAgent(4, 8, cfg(), 64, seed=0)
    for _ in range(20):
        ag.train_step(np.ones(4), np.ones(4))
    saved["ContinualLearningAgent"] = os.path.join(tmp, "ag.ckpt")
    ag.save(saved["ContinualLearningAgent"])
    loaders = {"PrioritizedReplay": mn.PrioritizedReplay.load, "ReservoirReplay": mn.ReservoirReplay.load,
               "ExperienceReplay": mn.ExperienceReplay.load, "ContinualLearningAgent": mn.ContinualLearningAgent.load}
    for kind, path in saved.items():
        for j, blob in enumerate(corrupt_files(path)):
            p = os.path.join(tmp, f"{kind}.{j}.bad")
            with open(p, "wb") as f:
                f.write(blob)
            for lk, loader in loaders.items():
                def load(loader=loader, p=p):
                    o = loader(p)
                    if hasattr(o, "sample"):
                        o.sample(1)
                    if hasattr(o, "train_step"):
                        o.train_step(np.ones(o.input_dim), np.ones(o.input_dim))
                add(f"{lk}.load(corrupt {kind} #{j})", load)
    for kind, path in saved.items():
        rng = random.Random(kind)
        for j, blob in enumerate(resealed(open(path, "rb").read(), rng, 150)):
            p = os.path.join(tmp, f"{kind}.{j}.resealed")
            with open(p, "wb") as f:
                f.write(blob)

            def load(loader=loaders[kind], p=p):
                o = loader(p)
                if hasattr(o, "sample"):
                    o.sample(1)
                if hasattr(o, "train_step"):
                    for _ in range(20):
                        o.train_step(np.ones(o.input_dim), np.ones(o.input_dim))
                    o.replay_buffer.sample(8)
                    o.evaluate(np.ones((2, o.input_dim)), np.ones((2, o.input_dim)))
            add(f"{kind}.load(resealed mutation #{j})", load)
    for lk, loader in loaders.items():
        for p in (tmp, "/nonexistent/dir/x", "", "\0", os.path.join(tmp, "missing"), 3, None, b"/dev/null",
                  "/dev/zero" if lk == "ContinualLearningAgent" else "/dev/null"):
            add(f"{lk}.load({p!r})", lambda loader=loader, p=p: loader(p))
    for name, obj_f in (("agent", lambda: mn.ContinualLearningAgent(4, 8, cfg(), 64)),
                        ("pr", lambda: mn.PrioritizedReplay(4, {"x": 3}))):
        for p in (tmp, "/nonexistent/dir/x", "", "\0", "/proc/version", None, 3):
            add(f"{name}.save({p!r})", lambda obj_f=obj_f, p=p: obj_f().save(p))
    return C


def random_cases(n, seed):
    """Random call sequences: a random object, a random method, random arguments from the edge pools."""
    rng = random.Random(seed)
    pools = INTS + FLOATS + [np.ones(3, np.float32), np.ones((2, 4), np.float32), np.zeros(0), None]

    def pick():
        return rng.choice(pools)

    out = []
    for k in range(n):
        ctor = rng.randrange(6)
        calls = [(rng.randrange(12), [pick() for _ in range(4)]) for _ in range(rng.randint(1, 6))]

        def run(ctor=ctor, calls=calls):
            cfgs = mn.MemoryConfig(8, 4, 2)
            obj = [lambda: mn.PrioritizedReplay(16, {"x": 3}, seed=0),
                   lambda: mn.ReservoirReplay(16, {"x": 3}, seed=0), lambda: mn.ExperienceReplay(16, seed=0),
                   lambda: mn.NeuralMemoryBank(cfgs), lambda: mn.MemoryController(4, 8, cfgs, seed=0),
                   lambda: mn.ContinualLearningAgent(4, 8, cfgs, 64, seed=0)][ctor]()
            names = [n for n in dir(obj) if not n.startswith("__") and callable(getattr(obj, n, None))]
            for m, args in calls:
                if not names:
                    break
                f = getattr(obj, names[m % len(names)])
                try:
                    f(*args[:rng.randint(0, 4)])
                except Exception:
                    pass
        out.append((f"random #{k} ctor={ctor} calls={calls!r}"[:300], run))
    return out


def run_case(name, thunk, timeout):
    pid = os.fork()
    if pid == 0:  # child
        try:
            # Cap the address space: a huge allocation must fail as MemoryError, not take the machine down.
            resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
            signal.alarm(int(timeout))
            sys.stdout.flush()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            try:
                thunk()
            except BaseException:
                pass
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return "timeout" if sig == signal.SIGALRM else signal.Signals(sig).name
    return None


# ==== the oracle fuzzer (issue 14): every public class, hypothesis-drawn arguments, CRC-recomputing mutator ==========
#
# Each argument is drawn either from its valid domain or from a catalogue of invalid values (wrong type, bool for a
# number, fractional for an int, NaN/inf, out of range, complex, None, wrong shape). The verdict of a call:
#   clean error  it raised a MnemonetError (the documented hierarchy); accepted: it succeeded with valid arguments
#   unclean    it raised anything else (AttributeError, a bare OverflowError, ...)
#   silent     it succeeded although an argument was invalid (or produced non-finite output from valid input)
#   crash      the child died from a signal;  hang: no progress for --timeout seconds
# Checkpoint mutations (bit flips, big/negative integers, NaN floats, truncations; the CRC and length recomputed so
# the parsers see them) are loaded; a load that succeeds must give an object whose state is finite, else "silent".

import json  # noqa: E402
import select  # noqa: E402
import struct  # noqa: E402
import zlib  # noqa: E402

BAD_NUMBERS = [float("nan"), float("inf"), -float("inf"), "1", None, True, 1 + 2j, [1.0], b"x"]
BAD_INTS = [1.5, 2.7, "3", None, True, -1, 2**63, 2**70, -(2**63) - 1, float("nan"), 1 + 0j]


def _strategies():
    from hypothesis import strategies as st

    def good_int(lo, hi):
        return st.integers(lo, hi).map(lambda v: ("ok", v))

    def bad_int(lo):
        return st.one_of(st.sampled_from(BAD_INTS), st.integers(-(2**70), lo - 1)).map(lambda v: ("bad", v))

    def int_arg(lo, hi):
        return st.one_of(good_int(lo, hi), good_int(lo, hi), bad_int(lo))

    def real_arg(lo, hi, one_value_array_ok=False):
        good = st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda v: ("ok", v))
        bad_numbers = [v for v in BAD_NUMBERS if not (one_value_array_ok and isinstance(v, list))]
        bad = st.one_of(st.sampled_from(bad_numbers), st.floats(max_value=lo, exclude_max=True,
                                                                 allow_nan=False, allow_infinity=False)
                        .filter(lambda v: v < lo)).map(lambda v: ("bad", v))
        return st.one_of(good, good, bad)

    def bool_arg():
        return st.one_of(st.booleans().map(lambda v: ("ok", v)),
                         st.sampled_from(["no", 1, 0, None, "True"]).map(lambda v: ("bad", v)))

    def seed_arg():
        return st.one_of(st.none().map(lambda v: ("ok", v)), good_int(0, 2**64 - 1),
                         st.sampled_from([-1, 2**64, 1.5, "1", True]).map(lambda v: ("bad", v)))

    def array_arg(shape, lo=-3.0, hi=3.0, f32=True, any_shape=False):
        n = int(np.prod(shape))
        good = st.lists(st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=32), min_size=n, max_size=n) \
            .map(lambda v: ("ok", np.array(v, np.float32).reshape(shape)))

        def plant(args):
            vals, k, bad = args
            a = np.array(vals, np.float32).reshape(shape).copy()
            a.flat[k % max(n, 1)] = bad
            return ("bad", a)
        planted = st.tuples(st.lists(st.floats(lo, hi, width=32), min_size=n, max_size=n), st.integers(0, 10**6),
                            st.sampled_from([np.nan, np.inf, -np.inf])).map(plant)
        kinds = ([] if any_shape else ["wrong-shape"]) + ["complex", "none", "str", "object", "ragged"] \
            + (["f64-huge"] if f32 else [])
        other = st.sampled_from(kinds).map(
            lambda kind: ("bad", {
                "wrong-shape": np.ones(tuple(shape) + (3,), np.float32),
                "complex": np.ones(shape, np.complex64),
                "none": None,
                "str": "abc",
                "object": np.array([object()] * max(n, 1), dtype=object),
                "ragged": [[1.0], [1.0, 2.0]],
                "f64-huge": np.full(shape, 1e300),
            }[kind]))
        return st.one_of(good, good, good, planted, other)

    return st, int_arg, real_arg, bool_arg, seed_arg, array_arg


def _entry_points():
    """name -> (hypothesis strategy of a tuple of tagged args, function(args...) -> result)."""
    st, int_arg, real_arg, bool_arg, seed_arg, array_arg = _strategies()
    cfg = lambda: mn.MemoryConfig(8, 4, 2)  # noqa: E731
    I, W, R = 4, 4, 2

    def agent():
        a = mn.ContinualLearningAgent(I, 8, cfg(), 32, seed=0)
        for k in range(18):
            a.train_step(np.full(I, 0.1 * k, np.float32), np.full(I, -0.1 * k, np.float32))
        return a

    def replay():
        rb = mn.PrioritizedReplay(16, {"x": (3,)}, seed=0)
        rb.add(x=np.ones((4, 3), np.float32))
        return rb

    E = {}
    E["NeuralMemoryBank"] = (st.tuples(int_arg(1, 64), int_arg(1, 16), int_arg(1, 4)),
                             lambda n, w, r: mn.NeuralMemoryBank(mn.MemoryConfig(n, w, r)))
    E["bank.write"] = (st.tuples(array_arg((W,)), array_arg((W,)), array_arg((W,), 0, 1), real_arg(0, 5, one_value_array_ok=True)),
                       lambda k, v, e, s: mn.NeuralMemoryBank(cfg()).write(k, v, e, s))
    E["bank.content_addressing"] = (st.tuples(array_arg((W,)), real_arg(0, 10, one_value_array_ok=True)),
                                    lambda k, b: mn.NeuralMemoryBank(cfg()).content_addressing(k, b))
    E["bank.read"] = (st.tuples(array_arg((R, W)), array_arg((R,), 0, 5)),
                      lambda k, s: mn.NeuralMemoryBank(cfg()).read(k, s))
    E["MemoryController"] = (st.tuples(int_arg(1, 16), int_arg(1, 16), seed_arg()),
                             lambda i, h, s: mn.MemoryController(i, h, cfg(), seed=s))
    E["controller.forward"] = (st.tuples(array_arg((I,))),
                               lambda x: mn.MemoryController(I, 8, cfg(), seed=0).forward(x, mn.NeuralMemoryBank(cfg())))
    E["ContinualLearningAgent"] = (st.tuples(int_arg(1, 16), int_arg(1, 16), int_arg(17, 200), real_arg(1e-6, 1),
                                             seed_arg()),
                                   lambda i, h, c, lr, s: mn.ContinualLearningAgent(i, h, cfg(), c, lr=lr, seed=s))
    E["agent.train_step"] = (st.tuples(array_arg((I,)), array_arg((I,)), bool_arg()),
                             lambda x, y, u: agent().train_step(x, y, use_replay=u))
    E["agent.evaluate"] = (st.tuples(array_arg((3, I)), array_arg((3, I))), lambda x, y: agent().evaluate(x, y))
    E["agent.fit"] = (st.tuples(array_arg((3, I)), array_arg((3, I)), int_arg(0, 2), bool_arg()),
                      lambda x, y, e, u: agent().fit(x, y, epochs=e, use_replay=u, progress=False))
    E["agent.adapt"] = (st.tuples(array_arg((3, I)), array_arg((3, I)), int_arg(0, 3), real_arg(0, 0.1)),
                        lambda x, y, n, lr: agent().adapt(x, y, num_steps=n, lr=lr))
    E["agent.replay_buffer.sample"] = (st.tuples(int_arg(1, 8), real_arg(0, 1)),
                                       lambda b, beta: agent().replay_buffer.sample(b, beta))
    E["PrioritizedReplay"] = (st.tuples(int_arg(1, 1000), real_arg(0, 2), real_arg(0, 1), seed_arg()),
                              lambda c, a, e, s: mn.PrioritizedReplay(c, {"x": (3,)}, alpha=a, eps=e, seed=s))
    E["PrioritizedReplay.add"] = (st.tuples(array_arg((2, 3)), st.one_of(st.none().map(lambda v: ("ok", v)),
                                                                         real_arg(0, 100))),
                                  lambda x, p: replay().add(x=x, priority=p))
    E["PrioritizedReplay.sample"] = (st.tuples(int_arg(1, 4), real_arg(0, 1)), lambda b, beta: replay().sample(b, beta))
    E["PrioritizedReplay.update_priorities"] = (st.tuples(array_arg((2,), 0, 100, f32=False)),
                                                lambda p: replay().update_priorities([0, 1], p))
    E["ExperienceReplay.push"] = (st.tuples(int_arg(1, 100), array_arg((3,), any_shape=True), real_arg(0, 100)),
                                  lambda c, x, p: mn.ExperienceReplay(c).push((x, np.ones(3, np.float32)), p))
    E["ReservoirReplay.add"] = (st.tuples(int_arg(1, 100), array_arg((2, 3)), seed_arg()),
                                lambda c, x, s: mn.ReservoirReplay(c, {"x": (3,)}, seed=s).add(x=x))
    E["MLP"] = (st.tuples(int_arg(1, 8), int_arg(1, 32), seed_arg()), lambda a, b, s: mn.MLP((a, b, 1), seed=s))
    E["MLP.predict"] = (st.tuples(array_arg((5, 1))), lambda x: mn.MLP((1, 8, 1), seed=0).predict(x))
    E["MetaLearner"] = (st.tuples(real_arg(0, 0.1), int_arg(0, 3), bool_arg(), real_arg(1e-6, 0.01), seed_arg()),
                        lambda lr, n, fo, mlr, s: mn.MetaLearner(mn.MLP((1, 8, 1), seed=0), inner_lr=lr,
                                                                 inner_steps=n, first_order=fo, meta_lr=mlr, seed=s))
    E["MetaLearner.adapt"] = (st.tuples(array_arg((5, 1)), array_arg((5, 1)), int_arg(0, 3), real_arg(0, 0.1)),
                              lambda x, y, n, lr: mn.MetaLearner(mn.MLP((1, 8, 1), seed=0)).adapt(x, y, n, lr))
    E["MetaLearner.meta_step"] = (st.tuples(array_arg((5, 1)), array_arg((5, 1)), array_arg((5, 1)), array_arg((5, 1))),
                                  lambda a, b, c, d: mn.MetaLearner(mn.MLP((1, 8, 1), seed=0)).meta_step(a, b, c, d))
    E["ControllerMetaLearner.adapt"] = (
        st.tuples(array_arg((3, I)), array_arg((3, I)), int_arg(0, 3), real_arg(0, 0.1)),
        lambda x, y, n, lr: mn.ControllerMetaLearner(mn.MemoryController(I, 8, cfg(), seed=0)).adapt(x, y, n, lr))
    E["create_task_data"] = (st.tuples(int_arg(0, 10), int_arg(1, 50), int_arg(1, 16)),
                             lambda t, n, i: mn.create_task_data(t, n, i))
    dnc_memory = lambda: mn.MemoryConfig(8, 4, 1, 1)  # noqa: E731
    dnc = lambda: mn.DNC(I, I, dnc_memory(), hidden_size=8, seed=0)  # noqa: E731
    E["DNC"] = (st.tuples(int_arg(1, 8), int_arg(1, 8), int_arg(1, 32), int_arg(1, 2), seed_arg()),
                lambda i, o, n, w, s: mn.DNC(i, o, mn.MemoryConfig(n, 4, 2, w), hidden_size=8, seed=s))
    E["DNC.forward"] = (st.tuples(array_arg((3, 2, I))), lambda x: dnc().forward(x))
    E["DNC.train_step"] = (st.tuples(array_arg((3, 2, I)), array_arg((3, 2, I))), lambda x, y: dnc().train_step(x, y))
    snail = lambda: mn.SNAIL(I, 3, 5, blocks=[("tc", 4), ("attention", 4, 4)], seed=0)  # noqa: E731
    E["SNAIL"] = (st.tuples(int_arg(1, 8), int_arg(1, 8), int_arg(1, 12), int_arg(1, 8), seed_arg()),
                  lambda i, o, t, f, s: mn.SNAIL(i, o, t, blocks=[("tc", f), ("attention", f, f)], seed=s))
    E["SNAIL.forward"] = (st.tuples(array_arg((2, 5, I))), lambda x: snail().forward(x))
    E["SNAIL(embedding)"] = (
        st.tuples(int_arg(1, 8), int_arg(1, 8), int_arg(1, 8), int_arg(1, 8), bool_arg(), seed_arg()),
        lambda i, e1, e2, f, relu, s: mn.SNAIL(i, 2, 4, blocks=[("tc", 2)], seed=s, embedding=(e1, e2), embedding_inputs=f,
                                               embedding_final_relu=relu))
    E["SNAIL(embedding).forward/train_step"] = (
        st.tuples(array_arg((2, 5, I)), array_arg((2, 5, 3))),
        lambda x, t: (lambda m: (m.forward(x), m.train_step(x, t)))(
            mn.SNAIL(I, 3, 5, blocks=[("attention", 4, 4)], seed=0, embedding=(4,), embedding_inputs=I - 1)))
    labels = np.array([0, 1, 2, 3] * 6)

    def continual_run(x, strategy_seed):
        from mnemonet import continual
        s = continual.stream(x, labels, classes_per_task=2, scenario="class", seed=0)
        return continual.run(s, "er", seed=strategy_seed, hidden=(8,), epochs=1)
    E["continual.run"] = (st.tuples(array_arg((24, I)), seed_arg()), continual_run)
    _more_entry_points(E, st, int_arg, real_arg, bool_arg, seed_arg, array_arg, agent, replay, cfg, dnc, snail)
    return E


def _more_entry_points(E, st, int_arg, real_arg, bool_arg, seed_arg, array_arg, agent, replay, cfg, dnc, snail):
    """The rest of the public surface (mnemonet.__all__ and the submodules continual, fewshot, bandits, dnc_tasks):
    every remaining constructor and method taking user values."""
    from mnemonet import bandits, continual, dnc_tasks, fewshot
    I = 4
    rng = lambda: np.random.default_rng(0)  # noqa: E731
    # -- models: the remaining methods and settings --------------------------------------------------------------
    E["agent.predict"] = (st.tuples(array_arg((I,))), lambda x: agent().predict(x))
    E["agent.evaluate(write_memory)"] = (st.tuples(array_arg((2, I)), bool_arg()),
                                         lambda x, w: agent().evaluate(x, x, write_memory=w))
    E["bank.memory="] = (st.tuples(array_arg((8, 4))), lambda m: setattr(mn.NeuralMemoryBank(cfg()), "memory", m))
    E["bank.usage="] = (st.tuples(array_arg((8,), 0, 3)), lambda u: setattr(mn.NeuralMemoryBank(cfg()), "usage", u))
    E["controller.load_state_dict"] = (
        st.tuples(array_arg((4 * 8, I))),
        lambda w: mn.MemoryController(I, 8, cfg(), seed=0).load_state_dict(
            {**mn.MemoryController(I, 8, cfg(), seed=0).state_dict(), "lstm.weight_ih_l0": w}))
    E["MLP.loss"] = (st.tuples(array_arg((5, 1)), array_arg((5, 1))), lambda x, y: mn.MLP((1, 8, 1), seed=0).loss(x, y))
    E["MLP.load_state_dict"] = (
        st.tuples(array_arg((8, 1)), bool_arg()),
        lambda w, strict: mn.MLP((1, 8, 1), seed=0).load_state_dict({**mn.MLP((1, 8, 1)).state_dict(), "0.weight": w},
                                                                   strict=strict))
    meta = lambda: mn.MetaLearner(mn.MLP((1, 8, 1), seed=0), algorithm="meta-sgd")  # noqa: E731
    E["MetaLearner.meta_train"] = (st.tuples(int_arg(0, 2), int_arg(1, 3), int_arg(1, 6)),
                                   lambda n, b, k: meta().meta_train(iterations=n, meta_batch_size=b, k_shot=k,
                                                                     progress=False))
    E["MetaLearner.evaluate_sinusoid"] = (
        st.tuples(int_arg(1, 4), int_arg(1, 6), int_arg(1, 3), st.one_of(st.none().map(lambda v: ("ok", v)),
                                                                         real_arg(0, 0.1)), seed_arg()),
        lambda n, k, m, lr, s: meta().evaluate_sinusoid(n, k, m, lr=lr, seed=0 if s is None else s).summary((1,)))
    E["MetaLearner.meta_gradient"] = (
        st.tuples(array_arg((5, 1)), array_arg((5, 1)), int_arg(0, 3), st.one_of(
            st.none().map(lambda v: ("ok", v)), bool_arg())),
        lambda x, y, n, fo: meta().meta_gradient(x, y, x, y, num_steps=n, first_order=fo).state_dict())
    E["MetaLearner.apply_meta_gradient"] = (
        st.tuples(array_arg((mn.MLP((1, 8, 1)).parameter_count,))),
        lambda g: meta().apply_meta_gradient(g, np.zeros(mn.MLP((1, 8, 1)).parameter_count, np.float32)))
    cml = lambda: mn.ControllerMetaLearner(mn.MemoryController(I, 8, cfg(), seed=0))  # noqa: E731
    E["ControllerMetaLearner.meta_gradient"] = (
        st.tuples(array_arg((3, I)), array_arg((3, I)), int_arg(0, 2), real_arg(0, 0.1)),
        lambda x, y, n, lr: cml().meta_gradient(x, y, x, y, num_steps=n, lr=lr).state_dict())
    E["AdaptedController.predict/evaluate"] = (
        st.tuples(array_arg((3, I)), array_arg((3, I))),
        lambda x, y: (lambda a: (a.predict(x), a.evaluate(x, y)))(
            cml().adapt(np.ones((3, I), np.float32), np.ones((3, I), np.float32), 1)))
    E["DNC(lr, clip, controller)"] = (
        st.tuples(real_arg(1e-6, 0.1), real_arg(0, 100).map(lambda t: ("ok", t[1]) if t[1] == float("inf") else t),
                  st.one_of(
            st.sampled_from(["lstm", "feedforward"]).map(lambda v: ("ok", v)),
            st.sampled_from(["gru", None, 1]).map(lambda v: ("bad", v)))),
        lambda lr, clip, c: mn.DNC(I, I, mn.MemoryConfig(8, 4, 1, 1), hidden_size=8, lr=lr, clip=clip, controller=c,
                                   seed=0))
    E["DNC.forward(state, lengths, trace)"] = (
        st.tuples(int_arg(1, 3), bool_arg()),
        lambda n, trace: (lambda d: d.forward(np.ones((3, 2, I), np.float32), d.initial_state(2),
                                              lengths=[n, 1], trace=trace))(dnc()))
    E["DNC.initial_state"] = (st.tuples(int_arg(1, 8)), lambda b: dnc().initial_state(b))
    E["DNC.fit"] = (st.tuples(int_arg(1, 2), int_arg(1, 3), st.one_of(st.none().map(lambda v: ("ok", v)),
                                                                    int_arg(1, 4)), seed_arg()),
                    lambda n, b, t, s: mn.DNC(3, 2, mn.MemoryConfig(8, 4, 1, 1), hidden_size=8, seed=0).fit(
                        dnc_tasks.CopyTask(bits=2, max_length=2), n, batch_size=b, truncation=t, progress=False,
                        seed=s))
    E["SNAIL.train_step/loss/gradients"] = (
        st.tuples(array_arg((2, 5, I)), array_arg((2, 5, 3), 0, 1), array_arg((2, 5), 0, 1)),
        lambda x, t, w: (lambda m: (m.loss(x, t, w), m.gradients(x, t, w), m.train_step(x, t, w)))(snail()))
    E["SNAIL.lr/clip_norm="] = (st.tuples(real_arg(1e-6, 0.1), real_arg(0, 10)),
                                lambda lr, c: (lambda m: (setattr(m, "lr", lr), setattr(m, "clip_norm", c)))(snail()))
    E["SNAIL.fit"] = (st.tuples(int_arg(0, 2), int_arg(1, 3), seed_arg()),
                      lambda n, b, s: mn.SNAIL(3, 1, 4, blocks=[("tc", 4)], seed=0).fit(
                          fewshot.SinusoidEpisodes(2, 2), n, b, loss="mse", progress=False, seed=s))
    E["SNAIL.for_bandits/fit_bandits"] = (
        st.tuples(int_arg(2, 4), int_arg(1, 5), int_arg(0, 2), int_arg(1, 3), real_arg(0, 1), bool_arg()),
        lambda k, n, it, b, g, norm: mn.SNAIL.for_bandits(k, n, blocks=[("tc", 4)]).fit_bandits(
            n, iterations=it, batch_size=b, discount=g, normalize_advantages=norm, progress=False))
    E["SNAIL.evaluate_bandits"] = (
        st.tuples(array_arg((2, 3), 0, 1), array_arg((2, 4, 3), 0, 1), bool_arg()),
        lambda p, u, g: mn.SNAIL.for_bandits(3, 4, blocks=[("tc", 4)]).evaluate_bandits(p, u, greedy=g))
    # -- replay options ----------------------------------------------------------------------------------------------
    E["PrioritizedReplay(sampling, dtypes)"] = (
        st.tuples(st.one_of(st.sampled_from(["proportional", "seed", "rank"]).map(lambda v: ("ok", v)),
                            st.sampled_from(["uniform", None, 2]).map(lambda v: ("bad", v))),
                  st.one_of(st.sampled_from([np.float32, np.float64, np.int8, np.int64]).map(lambda v: ("ok", v)),
                            st.sampled_from([np.complex64, object, "str", None]).map(lambda v: ("bad", v)))),
        lambda smp, dt: (lambda b: (b.add(x=np.ones((3, 2)).astype(dt)), b.sample(2)))(
            mn.PrioritizedReplay(8, {"x": ((2,), dt)}, sampling=smp, seed=0)))
    E["PrioritizedReplay(nstep)"] = (
        st.tuples(int_arg(1, 4), real_arg(0, 1)),
        lambda n, g: (lambda b: [b.add(obs=np.ones(2), rew=1.0, next_obs=np.ones(2), done=0.0) for _ in range(5)])(
            mn.PrioritizedReplay(8, {"obs": (2,), "rew": (), "next_obs": (2,), "done": ()}, seed=0,
                                 nstep={"n": n, "gamma": g})))
    E["PrioritizedReplay.priorities"] = (st.tuples(int_arg(0, 3)), lambda i: replay().priorities([i]))
    E["ExperienceReplay.sample"] = (
        st.tuples(int_arg(1, 3), real_arg(0, 1)),
        lambda b, beta: (lambda e: (e.push((np.ones(3), np.ones(3))), e.push((np.ones(3), np.ones(3))), e.push(
            (np.ones(3), np.ones(3))), e.sample(b, beta)))(mn.ExperienceReplay(8, seed=0)))
    E["ReservoirReplay.sample"] = (st.tuples(int_arg(1, 4)), lambda b: (lambda r: (r.add(x=np.ones((4, 3))),
                                                                                   r.sample(b)))(
        mn.ReservoirReplay(8, {"x": (3,)}, seed=0)))
    # -- few-shot episodes, bandits, DNC tasks -----------------------------------------------------------------------
    digits_x = np.random.default_rng(1).random((40, 6)).astype(np.float32)
    digits_y = np.arange(40) % 4
    E["fewshot.FewShotEpisodes"] = (
        st.tuples(array_arg((40, 6), any_shape=True), int_arg(2, 4), int_arg(1, 3), int_arg(1, 4)),
        lambda x, n, k, b: fewshot.FewShotEpisodes(x, digits_y, ways=n, shots=k).sample(b, rng(),
                                                                                        return_episodes=True))
    E["fewshot.SinusoidEpisodes"] = (st.tuples(int_arg(1, 5), int_arg(1, 5), int_arg(1, 4)),
                                     lambda k, q, b: fewshot.SinusoidEpisodes(k, q).sample(b, rng(),
                                                                                           return_episodes=True))
    E["fewshot.query/nearest_neighbour_accuracy"] = (
        st.tuples(array_arg((2, 3, 4)), array_arg((2, 3, 4), 0, 1)),
        lambda lg, t: (fewshot.query_accuracy(lg, t), fewshot.nearest_neighbour_accuracy(
            fewshot.FewShotEpisodes(digits_x, digits_y, 2, 1).sample(2, rng(), return_episodes=True)[3])))
    E["bandits.draw/run_baseline/summarize"] = (
        st.tuples(int_arg(1, 4), int_arg(1, 4), int_arg(1, 6), st.one_of(
            st.sampled_from(list(bandits.BASELINES)).map(lambda v: ("ok", v)),
            st.sampled_from(["greedy", None, 3]).map(lambda v: ("bad", v))), real_arg(0, 1), seed_arg()),
        lambda e, k, n, m, eps, s: bandits.summarize(bandits.run_baseline(m, *bandits.draw(e, k, n, seed=s or 0),
                                                                          seed=s or 0, epsilon=eps)))
    E["bandits.summarize"] = (st.tuples(array_arg((5,), 0, 10, f32=False)), lambda t: bandits.summarize(t))
    E["bandits.gittins_indices"] = (st.tuples(int_arg(1, 10), real_arg(0.05, 0.99), int_arg(2, 50)),
                                    lambda n, g, grid: bandits.gittins_indices(n, g, grid=grid))

    def task(kind, bits, longest, batch):  # the minimum is fixed, so every drawn maximum above it is valid
        t = {"copy": lambda: dnc_tasks.CopyTask(bits, 1, longest),
             "repeat": lambda: dnc_tasks.RepeatCopyTask(bits, 1, longest, 1, 2),
             "recall": lambda: dnc_tasks.AssociativeRecallTask(bits, 2, 2, longest)}[kind]()
        return t.sample(batch, rng())
    for kind in ("copy", "repeat", "recall"):  # the drawn value is passed as it is (no arithmetic on a bad one)
        lo = 2 if kind == "recall" else 1  # recall's minimum is 2 items
        E[f"dnc_tasks.{kind}"] = (st.tuples(int_arg(1, 6), int_arg(lo, 3), int_arg(1, 3)),
                                  lambda a, c, batch, kind=kind: task(kind, a, c, batch))
    E["dnc_tasks.bits_per_sequence"] = (
        st.tuples(array_arg((3, 2, 4), f32=False), array_arg((3, 2, 4), 0, 1, f32=False),
                  array_arg((3, 2), 0, 1, f32=False)),
        lambda lg, t, m: dnc_tasks.bits_per_sequence(lg, t, m))
    # -- continual: scenarios and metrics ----------------------------------------------------------------------------
    E["continual.permuted/rotated/split_digits"] = (
        st.tuples(int_arg(1, 3), st.one_of(st.sampled_from(["task", "domain", "class"]).map(lambda v: ("ok", v)),
                                           st.sampled_from(["none", None, 1]).map(lambda v: ("bad", v))),
                  st.one_of(st.floats(0.1, 0.5).map(lambda v: ("ok", v)),
                            st.sampled_from([0.0, 1.0, 1.5, -0.1, float("nan"), "0.2", None, True]).map(
                                lambda v: ("bad", v))), seed_arg()),
        lambda n, sc, ts, s: (continual.permuted_digits(n, sc, seed=s or 0, test_size=ts),
                              continual.rotated_digits(n, sc, seed=s or 0, test_size=ts)))
    E["continual.metrics"] = (
        st.tuples(array_arg((3, 3), 0, 1, f32=False), array_arg((3,), 0, 1, f32=False)),
        lambda R, b: (continual.average_accuracy(R), continual.backward_transfer(R), continual.forward_transfer(R, b),
                      continual.forgetting(R), continual.average_forgetting(R), continual.accuracy_curve(R),
                      continual.summarize(R, b), continual.tidy(R)))


def _draw_specs(n_calls, seed):
    """`n_calls` (entry point, tagged args) drawn by hypothesis, spread evenly over the entry points."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    E = _entry_points()
    names = sorted(E)
    specs = []
    per = max(1, n_calls // len(names))
    def collector(name, strat):
        @settings(max_examples=per, database=None, deadline=None, derandomize=True, phases=["generate"],
                  suppress_health_check=list(HealthCheck))
        @given(st.data())
        def collect(data):
            specs.append((name, data.draw(strat)))
        return collect

    for name in names:
        collector(name, E[name][0])()
    return specs[:n_calls] if len(specs) >= n_calls else specs


def _finite_output(out):
    """False if `out` (a call's result) holds a non-finite float."""
    if out is None:
        return True
    if isinstance(out, float):
        return math.isfinite(out)
    if isinstance(out, np.ndarray):
        return out.dtype.kind != "f" or bool(np.isfinite(out).all())
    if isinstance(out, dict):
        return all(_finite_output(v) for v in out.values())
    if isinstance(out, (tuple, list)):
        return all(_finite_output(v) for v in out)
    return True


def _verdict_of_call(name, tagged):
    E = _entry_points.cache if hasattr(_entry_points, "cache") else None
    if E is None:
        E = _entry_points.cache = _entry_points()
    values = [v for _, v in tagged]
    bad = any(tag == "bad" for tag, _ in tagged)
    try:
        out = E[name][1](*values)
    except mn.MnemonetError:
        return "clean error (invalid argument)" if bad else "clean error (valid arguments)"
    except Exception as e:  # noqa: BLE001
        return f"unclean:{type(e).__name__}"
    if bad:
        return "silent"
    return "accepted (valid arguments)" if _finite_output(out) else "silent:non-finite output"


# -- checkpoint mutations ---------------------------------------------------------------------------------------

def _base_checkpoints(tmp):
    def agent():
        a = mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 32, seed=0)
        for k in range(20):
            a.train_step(np.full(4, 0.1 * k, np.float32), np.full(4, 0.2, np.float32))
        return a

    def pr():
        b = mn.PrioritizedReplay(16, {"x": (3,), "y": ()}, seed=0)
        b.add(x=np.arange(18, dtype=np.float32).reshape(6, 3), y=np.arange(6, dtype=np.float32))
        return b

    def rr():
        b = mn.ReservoirReplay(8, {"x": (3,)}, seed=0)
        b.add(x=np.ones((12, 3), np.float32))
        return b

    def er():
        b = mn.ExperienceReplay(8, seed=0)
        for k in range(5):
            b.push((np.full(3, k, np.float32), np.ones(2, np.float32)), 1.0 + k)
        return b

    def meta():
        m = mn.MetaLearner(mn.MLP((1, 8, 1), seed=0), algorithm="meta-sgd")
        m.meta_train(iterations=3, meta_batch_size=2, k_shot=5, progress=False)
        return m

    def typed():  # typed fields, rank-based sampling, priorities updated
        b = mn.PrioritizedReplay(16, {"obs": ((2,), np.int8), "v": ((), np.float64), "a": ((), np.int64)}, seed=1,
                                 sampling="rank")
        b.add(obs=np.arange(12, dtype=np.int8).reshape(6, 2), v=np.linspace(0, 1, 6), a=np.arange(6))
        b.update_priorities([0, 3], [2.0, 0.5])
        return b

    def maml():
        m = mn.MetaLearner(mn.MLP((1, 8, 1), seed=0), algorithm="maml", inner_steps=2)
        m.meta_train(iterations=2, meta_batch_size=2, k_shot=5, progress=False)
        return m

    def bank():
        b = mn.NeuralMemoryBank(mn.MemoryConfig(8, 4, 2), seed=0)
        b.write(np.ones(4, np.float32), np.full(4, 0.5, np.float32), np.full(4, 0.1, np.float32), 1.0)
        return b

    def controller():
        return mn.MemoryController(4, 8, mn.MemoryConfig(8, 4, 2), seed=0)

    def dnc(kind="lstm"):
        d = mn.DNC(3, 2, mn.MemoryConfig(6, 4, 2, 1), hidden_size=8, controller=kind, seed=0)
        x = np.random.default_rng(0).random((4, 2, 3)).astype(np.float32)
        d.train_step(x, np.zeros((4, 2, 2), np.float32))  # Adam moments and a step count in the file
        return d

    def snail():
        m = mn.SNAIL(3, 2, 4, blocks=[("tc", 4), ("attention", 4, 4)], seed=0)
        x = np.random.default_rng(0).random((2, 4, 3)).astype(np.float32)
        m.train_step(x, np.eye(2, dtype=np.float32)[np.zeros((2, 4), int)])
        return m

    def snail_embedding():
        m = mn.SNAIL(3, 2, 4, blocks=[("tc", 4)], seed=0, embedding=(4, 3), embedding_inputs=2)
        x = np.random.default_rng(0).random((2, 4, 3)).astype(np.float32)
        m.train_step(x, np.eye(2, dtype=np.float32)[np.zeros((2, 4), int)])
        return m

    out = {}
    for name, make, cls in [("agent", agent, mn.ContinualLearningAgent), ("prioritized", pr, mn.PrioritizedReplay),
                            ("reservoir", rr, mn.ReservoirReplay), ("experience", er, mn.ExperienceReplay),
                            ("meta", meta, mn.MetaLearner), ("typed-rank-replay", typed, mn.PrioritizedReplay),
                            ("maml", maml, mn.MetaLearner), ("memory-bank", bank, mn.NeuralMemoryBank),
                            ("controller", controller, mn.MemoryController), ("dnc", dnc, mn.DNC),
                            ("dnc-feedforward", lambda: dnc("feedforward"), mn.DNC), ("snail", snail, mn.SNAIL),
                            ("snail-embedding", snail_embedding, mn.SNAIL)]:
        path = os.path.join(tmp, f"base-{name}.ckpt")
        make().save(path)
        out[name] = (open(path, "rb").read(), cls)
    return out


def _mutations(data, count, rng):
    """`count` mutations: 3 in 4 with the container's length and CRC recomputed (they reach the parsers)."""
    out = resealed(data, rng, (3 * count) // 4)
    while len(out) < count:
        b = bytearray(data)
        how = rng.randrange(3)
        if how == 0:
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif how == 1:
            b = b[:rng.randrange(len(b))]
        else:
            k = rng.randrange(len(b))
            b[k:k] = os.urandom(rng.randint(1, 16))
        out.append(bytes(b))
    return out


def _finite(parts):
    """Every part (arrays, floats; None, e.g. a feedforward DNC's absent LSTM state, is skipped) is finite."""
    return all(np.isfinite(np.asarray(p, dtype=np.float64)).all() for p in parts if p is not None)


def _state_is_finite(obj):
    """True when a loaded object's state is finite and it works: its invariants hold and a forward pass on valid
    input (shapes from the loaded object itself) gives finite output. A MnemonetError here means the loader
    accepted a file whose object is unusable (the caller reports it as silent)."""
    if isinstance(obj, mn.DNC):
        x = np.full((2, 1, obj.input_size), 0.5, np.float32)
        y, state = obj.forward(x)
        return _finite(list(obj.state_dict().values()) + [y] + [getattr(state, f) for f in vars(state)])
    if isinstance(obj, mn.SNAIL):
        x = np.full((1, obj.sequence_length, obj.input_size), 0.5, np.float32)
        return _finite(list(obj.state_dict().values()) + [obj.forward(x), obj.lr, obj.clip_norm])
    if isinstance(obj, mn.NeuralMemoryBank):
        r = obj.read(np.ones((obj.num_read_heads, obj.memory_dim), np.float32), np.ones(obj.num_read_heads))
        return _finite([obj.memory, obj.usage, r]) and bool((obj.usage >= 0).all())
    if isinstance(obj, mn.MemoryController):
        out = obj.forward(np.ones(obj.input_dim, np.float32), mn.NeuralMemoryBank(obj.memory_config))
        return _finite(list(obj.state_dict().values()) + [out])
    if isinstance(obj, mn.ContinualLearningAgent):
        parts = list(obj.controller.state_dict().values()) + [obj.memory_bank.memory, obj.memory_bank.usage]
        if len(obj.replay_buffer) > 0:
            parts.append(obj.replay_buffer.sample(min(4, len(obj.replay_buffer)))[1])
    elif isinstance(obj, mn.MetaLearner):
        parts = [obj.parameters] + ([obj.alphas] if obj.alphas is not None else [])
        x = np.linspace(-1, 1, 5, dtype=np.float32).reshape(5, 1)
        parts.append(obj.adapt(x, x, num_steps=1)(x))
    elif isinstance(obj, mn.ExperienceReplay):
        parts = [obj.sample(4)[1]] if len(obj) else []
    else:
        parts = list(obj.sample(min(4, len(obj))).values()) if len(obj) else []
        if isinstance(obj, mn.PrioritizedReplay):
            obj.check_invariants()
    return _finite(parts)


def _verdict_of_mutation(kind, data, tmp, k):
    path = os.path.join(tmp, f"m-{os.getpid()}-{k}.ckpt")
    with open(path, "wb") as f:
        f.write(data)
    try:
        cls = _base_checkpoints.classes[kind]
        try:
            obj = cls.load(path)
        except mn.MnemonetError:
            return "clean error"
        except Exception as e:  # noqa: BLE001
            return f"unclean:{type(e).__name__}"
        try:
            return "loaded, state finite and consistent" if _state_is_finite(obj) else "silent:non-finite state"
        except mn.NonFiniteError:  # finite but extreme values (1e38) whose use overflows: refused, nothing changed
            return "loaded, state finite; a step on it refused with NonFiniteError"
        except mn.MnemonetError as e:
            return f"silent:loaded but unusable ({type(e).__name__})"
    finally:
        os.unlink(path)


# -- the driver: batches of cases in forked children, progress over a pipe -------------------------------------

def _run_batches(jobs, run_one, timeout, batch=200):
    """jobs: list of payloads; run_one(payload, k) -> verdict. Returns (verdict counts, examples, peak RSS MB)."""
    counts, examples, peak = {}, {}, 0.0
    i = 0
    while i < len(jobs):
        chunk = jobs[i:i + batch]
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
            for j, job in enumerate(chunk):
                os.write(w, f"S {j}\n".encode())
                v = run_one(job, i + j)
                os.write(w, f"R {j} {v}\n".encode())
            os._exit(0)
        os.close(w)
        buf, started, done = b"", None, 0
        while True:
            ready, _, _ = select.select([r], [], [], timeout)
            if not ready:  # no progress: a hang
                os.kill(pid, signal.SIGKILL)
                v = "hang"
                break
            data = os.read(r, 65536)
            if not data:
                v = None
                break
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                parts = line.decode().split(" ", 2)
                if parts[0] == "S":
                    started = int(parts[1])
                else:
                    verdict = parts[2]
                    counts[verdict] = counts.get(verdict, 0) + 1
                    if verdict.split(":")[0] in ("silent", "unclean"):
                        job = chunk[int(parts[1])]
                        examples.setdefault(f"{verdict} in {job[0]}", repr(job)[:300])
                    done = int(parts[1]) + 1
                    started = None
        os.close(r)
        _, status, usage = os.wait4(pid, 0)
        peak = max(peak, usage.ru_maxrss / 1024)
        if v == "hang" or (os.WIFSIGNALED(status) and v is None and started is not None):
            verdict = "hang" if v == "hang" else f"crash:{signal.Signals(os.WTERMSIG(status)).name}"
            counts[verdict] = counts.get(verdict, 0) + 1
            examples.setdefault(verdict, repr(chunk[started if started is not None else done])[:300])
            i += (started if started is not None else done) + 1
        else:
            i += len(chunk)
    return counts, examples, peak


def oracle_run(n_calls, n_mutations, seed, timeout, out_json=None):
    rng = random.Random(seed)
    report = {"seed": seed}
    if n_calls:
        specs = _draw_specs(n_calls, seed)
        counts, examples, peak = _run_batches(specs, lambda spec, k: _verdict_of_call(*spec), timeout)
        from collections import Counter
        report["calls"] = {"tried": len(specs), "entry_points": len(_entry_points()), "verdicts": counts,
                           "per_entry_point": dict(sorted(Counter(name for name, _ in specs).items())),
                           "examples": examples, "peak_rss_mb": round(peak, 1)}
    if n_mutations:
        with tempfile.TemporaryDirectory() as tmp:
            bases = _base_checkpoints(tmp)
            _base_checkpoints.classes = {k: cls for k, (_, cls) in bases.items()}
            jobs = []
            per = max(1, -(-n_mutations // len(bases)))  # at least n_mutations in all
            for kind, (data, _) in sorted(bases.items()):
                jobs += [(kind, m) for m in _mutations(data, per, rng)]
            counts, examples, peak = _run_batches(jobs, lambda job, k: _verdict_of_mutation(job[0], job[1], tmp, k),
                                                  timeout)
            for key in list(examples):
                examples[key] = examples[key][:120]
        report["mutations"] = {"tried": len(jobs), "kinds": sorted(bases), "verdicts": counts, "examples": examples,
                               "peak_rss_mb": round(peak, 1)}
    bad = 0
    for part in ("calls", "mutations"):
        if part in report:
            v = report[part]["verdicts"]
            bad += sum(n for key, n in v.items() if key.split(":")[0] in ("silent", "unclean", "crash", "hang"))
    report["defects"] = bad
    text = json.dumps(report, indent=1, sort_keys=True)
    print(text)
    if out_json:
        with open(out_json, "w") as f:
            f.write(text + "\n")
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--random", type=int, default=300, help="number of random call sequences")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--filter", default="", help="run only cases whose name contains this")
    ap.add_argument("--calls", type=int, default=0, help="oracle fuzzer: hypothesis-drawn calls over every public class")
    ap.add_argument("--mutations", type=int, default=0, help="oracle fuzzer: CRC-recomputed checkpoint mutations")
    ap.add_argument("--json", default=None, help="oracle fuzzer: write the report here")
    args = ap.parse_args(argv)
    if args.calls or args.mutations:
        return oracle_run(args.calls, args.mutations, args.seed, args.timeout, args.json)
    with tempfile.TemporaryDirectory() as tmp:
        all_cases = cases(tmp) + random_cases(args.random, args.seed)
        all_cases = [(n, f) for n, f in all_cases if args.filter in n]
        deaths = []
        for name, thunk in all_cases:
            how = run_case(name, thunk, args.timeout)
            if how is not None:
                deaths.append((name, how))
                print(f"DEATH {how}: {name}", flush=True)
        print(f"{len(all_cases)} cases, {len(deaths)} deaths")
    return 1 if deaths else 0


if __name__ == "__main__":
    sys.exit(main())
