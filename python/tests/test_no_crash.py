"""Inputs that once killed the interpreter (found by tools/fuzz_api.py) must raise a Python exception instead.

Each call runs in a child interpreter with a capped address space, so a regression fails the test instead of
taking pytest down; the child reports the exception type it saw.
"""
import os
import subprocess
import sys
import textwrap

import pytest


def run_child(code: str) -> subprocess.CompletedProcess:
    prog = textwrap.dedent("""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
        import numpy as np, mnemonet as mn
        from mnemonet import _native
        try:
        {body}
        except Exception as e:
            print(type(e).__name__)
        else:
            print("no exception")
    """).format(body=textwrap.indent(textwrap.dedent(code), "    "))
    return subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=120)


def assert_raises_in_child(code: str, *names: str) -> None:
    r = run_child(code)
    assert r.returncode == 0, f"child died (return code {r.returncode}):\n{r.stderr[-2000:]}"
    assert r.stdout.strip() in names, r.stdout + r.stderr[-2000:]


@pytest.mark.parametrize("config", [
    "mn.MemoryConfig(memory_size=1 << 20, memory_dim=4, num_read_heads=1024)",   # R·N = 2^30 weights
    "mn.MemoryConfig(memory_size=4, memory_dim=1 << 16, num_read_heads=1024)",   # R·W = 2^26 read values
])
def test_memory_config_with_huge_head_products_is_rejected(config):
    assert_raises_in_child(f"mn.NeuralMemoryBank({config})", "InvalidArgumentError")
    assert_raises_in_child(f"mn.ContinualLearningAgent(4, 8, {config}, 64)", "InvalidArgumentError")


@pytest.mark.parametrize("call", [
    "_native.engine_bench_lstm(2**31, 4, 4, True, 1, 1)",
    "_native.engine_bench_lstm(1, 4, 2**62, True, 1, 1)",
    "_native.engine_bench_lstm(2**40, 2**40, 2**40, False, 1, 1)",
    "_native.engine_bench_op_overhead(2**31, 2, 0, 1, 1)",
    "_native.engine_bench_op_overhead(4, 2**40, 2, 1, 1)",
    "_native.engine_bench_op_overhead(2**62, 2**62, 1, 1, 1)",
    "_native.engine_bench_maml(2**31, 2, True, 1, 1)",
    "_native.engine_bench_maml(2, 2**62, True, 1, 1)",
])
def test_engine_bench_hooks_reject_huge_sizes(call):
    assert_raises_in_child(call, "InvalidArgumentError")


# ---- one seed rule everywhere (was: replay validated seeds, the agent and controller silently wrapped them) ------


@pytest.mark.parametrize("make", [
    lambda seed: __import__("mnemonet").ContinualLearningAgent(4, 8, __import__("mnemonet").MemoryConfig(8, 4, 2), 64,
                                                               seed=seed),
    lambda seed: __import__("mnemonet").MemoryController(4, 8, __import__("mnemonet").MemoryConfig(8, 4, 2), seed=seed),
    lambda seed: __import__("mnemonet").PrioritizedReplay(4, {"x": 3}, seed=seed),
])
def test_seeds_are_validated_the_same_way_everywhere(make):
    import mnemonet

    for bad in (-1, 2**64, 2**70):
        with pytest.raises(mnemonet.InvalidArgumentError, match="seed"):
            make(bad)
    for bad in ("3", 1.5, True):
        with pytest.raises(mnemonet.ArgumentTypeError, match="seed"):
            make(bad)
    make(0)
    make(2**64 - 1)
    make(None)
    import numpy as np
    make(np.int64(3))
    make(np.uint64(2**64 - 1))


# ---- a slice of the crash fuzzer (the whole run, ~2,500 cases: python tools/fuzz_api.py) ---------------------------

FUZZER = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "fuzz_api.py")


@pytest.mark.skipif(not os.path.exists(FUZZER), reason="tools/fuzz_api.py is not in this tree")
@pytest.mark.parametrize("subset", ["resealed", "engine_bench", "MemoryConfig", "ContinualLearningAgent(", "NeuralMemoryBank(N=", "load(corrupt"])
def test_fuzzer_slice_kills_no_interpreter(subset):
    r = subprocess.run([sys.executable, FUZZER, "--random", "0", "--filter", subset, "--timeout", "60"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert " 0 deaths" in r.stdout and not r.stdout.startswith("0 cases"), r.stdout[-500:]


@pytest.mark.parametrize("fields", [[["indices", [3]]], [["x", [3]], ["x", [3]]], [["not an identifier", [3]]]])
def test_checkpoint_field_names_are_validated_on_load(tmp_path, fields):
    """A file's field names become sample() keys and add() keywords: reserved, duplicate or non-identifier names
    are a format error, not a dict whose "indices" silently holds item data."""
    import json

    import numpy as np

    import mnemonet

    for cls in (mnemonet.PrioritizedReplay, mnemonet.ReservoirReplay):
        b = cls(4, {"x": 3})
        b.add(x=np.ones((2, 3)))
        meta = json.loads(b._native.metadata)
        meta["fields"] = fields
        b._native.metadata = json.dumps(meta)
        b._native.save(str(tmp_path / "b.ckpt"))
        with pytest.raises(mnemonet.CheckpointFormatError):
            cls.load(tmp_path / "b.ckpt")


def test_native_metadata_with_a_nul_is_rejected_not_truncated():
    import mnemonet

    for b in (mnemonet._native.ReplayBuffer(4, [(3,)]), mnemonet._native.ReservoirBuffer(4, [(3,)])):
        with pytest.raises(mnemonet.InvalidArgumentError, match="NUL"):
            b.metadata = "abc\0def"
        b.metadata = "abc"
        assert b.metadata == "abc"


def test_fractional_sizes_are_rejected_not_truncated():
    """int(12.7) == 12: sizes, counts and epochs must be integers, as in PyTorch, not silently truncated."""
    import numpy as np

    import mnemonet as mn

    cfg = mn.MemoryConfig(8, 4, 2)
    for make in (lambda: mn.NeuralMemoryBank(mn.MemoryConfig(memory_size=12.7)),
                 lambda: mn.MemoryController(4.5, 8, cfg),
                 lambda: mn.ContinualLearningAgent(4, 8.9, cfg, 64),
                 lambda: mn.ContinualLearningAgent(4, 8, cfg, 64.5),
                 lambda: mn.create_task_data(0, 10.5),
                 lambda: mn.ContinualLearningAgent(4, 8, cfg, 64).fit(np.ones((2, 4)), np.ones((2, 4)), epochs=1.5,
                                                                      progress=False),
                 lambda: mn.ContinualLearningAgent(4, 8, cfg, 64).replay_buffer.sample(2.5)):
        with pytest.raises(mn.ArgumentTypeError):
            make()
    mn.NeuralMemoryBank(mn.MemoryConfig(memory_size=np.int64(12)))
    mn.create_task_data(np.int32(1), 20)


# ---- the oracle fuzzer's CI slice (issue 14; the full run's figures are in RELIABILITY.md) ---------------------

@pytest.mark.skipif(not os.path.exists(FUZZER), reason="tools/fuzz_api.py is not in this tree")
def test_oracle_fuzzer_slice_finds_no_defect(tmp_path):
    """Hypothesis-drawn calls over every public class and CRC-recomputed checkpoint mutations: no unclean error (a
    non-MnemonetError), no silent acceptance of a bad argument or a corrupt file, no crash, no hang."""
    import json
    out = tmp_path / "report.json"
    r = subprocess.run([sys.executable, FUZZER, "--calls", "3000", "--mutations", "1500", "--seed", "1",
                        "--timeout", "120", "--json", str(out)], capture_output=True, text=True, timeout=900,
                       env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    report = json.loads(out.read_text())
    assert report["defects"] == 0 and r.returncode == 0, json.dumps(report, indent=1)[-3000:]
    assert report["calls"]["tried"] >= 2900 and report["mutations"]["tried"] >= 1500
    # Every public entry point and every checkpoint kind is in the slice.
    assert report["calls"]["entry_points"] >= 69, report["calls"]["entry_points"]
    assert len(report["mutations"]["kinds"]) >= 12, report["mutations"]["kinds"]
    assert len(report["calls"]["per_entry_point"]) == report["calls"]["entry_points"]
