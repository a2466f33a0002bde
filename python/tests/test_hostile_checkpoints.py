"""Hostile and damaged checkpoints (issue 14): every declared size is checked against the bytes present before
anything is allocated, the CRC covers the header, metadata recursion is bounded, non-finite saved state is refused,
and loading reads in place. Each test is the reproducer of a fault found by probing the loaders."""
import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mnemonet as mn

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "tools")
sys.path.insert(0, TOOLS)
import ckpt  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(TOOLS, "ckpt.py")), reason="tools/ not in this tree")


# A child's ru_maxrss can carry its parent's peak (the kernel folds the pre-exec memory map's high-water mark into
# it, and pytest may have grown to hundreds of MB), so peaks are measured as VmHWM after resetting it (clear_refs 5).
PEAK_HELPERS = textwrap.dedent("""
    def _status(key):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])  # KiB
    def reset_peak():
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    def peak_kib():
        return _status("VmHWM")
    def rss_kib():
        return _status("VmRSS")
""")


def child(code: str) -> str:
    """Runs `code` in a fresh interpreter with a minimal environment; returns its stdout (the last line is what the
    test checks)."""
    prog = "import os, sys, resource, struct\nsys.path.insert(0, %r)\nimport numpy as np, mnemonet as mn, ckpt\n" % TOOLS
    prog += PEAK_HELPERS
    r = subprocess.run([sys.executable, "-c", prog + textwrap.dedent(code)], capture_output=True, text=True,
                       timeout=120, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OPENBLAS_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout.strip().splitlines()[-1]


def _str(s):
    b = s.encode()
    return struct.pack("<q", len(b)) + b


@pytest.mark.parametrize("dims", [
    (1 << 16, 1 << 16, 1 << 20, 1 << 16, 1024, 1, 1 << 26),   # beyond the configuration bounds
    (4096, 4096, 4096, 1024, 4, 1, 1 << 26),                 # valid sizes, but no bytes for them
], ids=["out-of-bounds", "valid-but-absent"])
def test_tiny_agent_file_declaring_huge_sizes_fails_without_allocating(tmp_path, dims):
    # Was: a 131-byte agent file made load allocate 2.6 GB before failing.
    payload = _str("ContinualLearningAgent") + struct.pack("<I", 1)
    payload += struct.pack("<7q", *dims) + struct.pack("<f", 1e-3)
    path = tmp_path / "agent.ckpt"
    path.write_bytes(ckpt.seal("agent", payload))
    out = child(f"""
        reset_peak()
        before = rss_kib()
        try:
            mn.ContinualLearningAgent.load({str(path)!r})
            print("loaded")
        except mn.CheckpointFormatError as e:
            print("format", peak_kib() - before)
    """)
    kind, grew = out.split()
    assert kind == "format" and int(grew) < 32 * 1024, out  # KiB


def test_tiny_replay_file_declaring_huge_capacity_costs_no_memory(tmp_path):
    # Was: a 294-byte replay file made load allocate (and touch) 4.1 GB. Now the index and storage of a declared
    # capacity are untouched pages: a legitimately empty large buffer still loads, and costs address space only.
    rb = mn.PrioritizedReplay(1 << 27, {"x": (1,)})
    rb.save(tmp_path / "r.ckpt")
    del rb
    assert os.path.getsize(tmp_path / "r.ckpt") < 1000
    out = child(f"""
        reset_peak()
        before = rss_kib()
        b = mn.PrioritizedReplay.load({str(tmp_path / "r.ckpt")!r})
        print(len(b), b.capacity, peak_kib() - before)
    """)
    n, cap, grew = map(int, out.split())
    assert (n, cap) == (0, 1 << 27) and grew < 32 * 1024, out


def test_crc_covers_the_header(tmp_path):
    agent = mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 32, seed=1)
    agent.save(tmp_path / "a.ckpt")
    data = (tmp_path / "a.ckpt").read_bytes()
    version, kind, payload = ckpt.split(data)
    assert (version, kind) == (2, "agent")
    # A payload-only CRC (what version 1 stored) no longer matches a version-2 header.
    forged = bytearray(data)
    forged[-len(payload) - 4:-len(payload)] = struct.pack("<I", __import__("zlib").crc32(payload))
    (tmp_path / "f.ckpt").write_bytes(bytes(forged))
    with pytest.raises(mn.CheckpointFormatError, match="checksum"):
        mn.ContinualLearningAgent.load(tmp_path / "f.ckpt")


def test_version_1_files_still_load(tmp_path):
    agent = mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 32, seed=1)
    agent.train_step(np.ones(4, np.float32), np.zeros(4, np.float32))
    agent.save(tmp_path / "a.ckpt")
    _, kind, payload = ckpt.split((tmp_path / "a.ckpt").read_bytes())
    (tmp_path / "v1.ckpt").write_bytes(ckpt.seal(kind, payload, version=1))
    back = mn.ContinualLearningAgent.load(tmp_path / "v1.ckpt")
    np.testing.assert_array_equal(back.memory_bank.memory, agent.memory_bank.memory)


def _param_offset():
    # tag, version, dims, lr, (version >= 2) replay batch, weight, clip, alpha, beta, (version 3) output_dim, count
    return 8 + len("ContinualLearningAgent") + 4 + 7 * 8 + 4 + (8 + 4 + 4 + 8 + 8) + 8 + 8


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_parameters_in_a_file_are_refused(tmp_path, bad):
    # Was: 451 of 720 CRC-recomputed mutations loaded, 11 of them carrying NaN.
    agent = mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 32, seed=1)
    agent.save(tmp_path / "a.ckpt")
    data = (tmp_path / "a.ckpt").read_bytes()
    payload = bytearray(ckpt.split(data)[2])
    struct.pack_into("<f", payload, _param_offset() + 4 * 5, bad)
    (tmp_path / "b.ckpt").write_bytes(ckpt.reseal(data, bytes(payload)))
    with pytest.raises(mn.CheckpointFormatError, match=r"parameters\[5\]"):
        mn.ContinualLearningAgent.load(tmp_path / "b.ckpt")


def test_non_finite_memory_and_replay_items_are_refused(tmp_path):
    agent = mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 32, seed=1)
    agent.save(tmp_path / "a.ckpt")
    data = (tmp_path / "a.ckpt").read_bytes()
    payload = bytes(ckpt.split(data)[2])
    # Every float32 NaN planted anywhere in the payload must be refused or change nothing that loads as NaN.
    rng = np.random.default_rng(0)
    for k in rng.choice(len(payload) // 4, 60, replace=False):
        b = bytearray(payload)
        struct.pack_into("<f", b, 4 * int(k), float("nan"))
        (tmp_path / "m.ckpt").write_bytes(ckpt.reseal(data, bytes(b)))
        try:
            back = mn.ContinualLearningAgent.load(tmp_path / "m.ckpt")
        except mn.CheckpointFormatError:
            continue
        sd = back.controller.state_dict()
        for name, v in list(sd.items()) + [("memory", back.memory_bank.memory), ("usage", back.memory_bank.usage)]:
            assert np.isfinite(v).all(), (k, name)


def test_replay_items_non_finite_in_file_refused(tmp_path):
    rb = mn.PrioritizedReplay(8, {"x": (3,)})
    rb.add(x=np.ones((2, 3), np.float32))
    rb.save(tmp_path / "r.ckpt")
    data = (tmp_path / "r.ckpt").read_bytes()
    payload = bytearray(ckpt.split(data)[2])
    ones = struct.pack("<f", 1.0)
    k = bytes(payload).rindex(ones)
    struct.pack_into("<f", payload, k, float("inf"))
    (tmp_path / "s.ckpt").write_bytes(ckpt.reseal(data, bytes(payload)))
    with pytest.raises(mn.CheckpointFormatError, match="field 0"):
        mn.PrioritizedReplay.load(tmp_path / "s.ckpt")


@pytest.mark.parametrize("metadata", [
    "[" * 200_000 + "]" * 200_000,                                    # was RecursionError
    '{"format": 1, "class": "PrioritizedReplay", "fields": [["x", [1000000000000000000000000000000]]]}',  # was OverflowError
    '{"format": 1, "class": "PrioritizedReplay", "fields": [["x", [-3]]]}',
    '"just a string"',
    "x" * (2 << 20),
], ids=["deep", "huge-shape", "negative-shape", "not-an-object", "too-long"])
def test_hostile_replay_metadata_is_a_format_error(tmp_path, metadata):
    rb = mn.PrioritizedReplay(8, {"x": (3,)})
    rb._native.metadata = metadata
    rb._native.save(str(tmp_path / "r.ckpt"))
    with pytest.raises(mn.CheckpointFormatError):
        mn.PrioritizedReplay.load(tmp_path / "r.ckpt")


def test_meta_learner_file_declaring_huge_layers_fails_fast(tmp_path):
    learner = mn.MetaLearner(mn.MLP((1, 4, 1)))
    learner.save(tmp_path / "m.ckpt")
    data = (tmp_path / "m.ckpt").read_bytes()
    payload = bytearray(ckpt.split(data)[2])
    # version UInt32, then the layer sizes [Int64]: count then values.
    struct.pack_into("<3q", payload, 4 + 8, 1 << 24, 1 << 24, 1)
    (tmp_path / "h.ckpt").write_bytes(ckpt.reseal(data, bytes(payload)))
    out = child(f"""
        reset_peak()
        before = rss_kib()
        try:
            mn.MetaLearner.load({str(tmp_path / "h.ckpt")!r}); print("loaded")
        except mn.CheckpointFormatError:
            print("format", peak_kib() - before)
    """)
    kind, grew = out.split()
    assert kind == "format" and int(grew) < 32 * 1024, out


def test_load_reads_in_place(tmp_path):
    # Was: loading a 206 MB buffer peaked at 656 MB RSS. The growth of the peak must stay within 1.3x the file.
    big = str(tmp_path / "big.ckpt")
    child(f"""
        rb = mn.PrioritizedReplay(100_000, {{"x": (128,), "y": (128,)}})
        x = np.random.default_rng(0).standard_normal((100_000, 128)).astype(np.float32)
        rb.add(x=x, y=x)
        rb.save({big!r})
        print("saved")
    """)
    size = os.path.getsize(big)
    out = child(f"""
        reset_peak()
        base = rss_kib()
        b = mn.PrioritizedReplay.load({big!r})
        print(base * 1024, peak_kib() * 1024, len(b))
    """)
    base, peak, n = map(int, out.split())
    assert n == 100_000
    assert peak - base <= 1.3 * size, (size, base, peak)
