"""DNC training-step speed: mnemonet (Swift engine) against the PyTorch reference (tools/fixtures/dnc_reference.py,
the same equations, eager autograd), in the same run, interleaved, one thread each (``--threads 2`` for both).

    python bench/bench_dnc.py [--quick] [--threads 1] [--json bench/results/dnc.json] [--rss]

A step is forward over T = 20 steps + backpropagation through time + global-norm clipping + Adam, on random bit
sequences: X = Y = 8, LSTM controller H = 64, W = 16, R = 4 read heads, one write head, memory_size N in
16/64/256/1024, batch 1 and 64. Reported: median milliseconds per step on each side and the ratio. ``--rss`` runs
one batch-B, N, T = 20 step per side in a fresh subprocess and reports its peak resident set size (``--rss-steps K``:
K steps, each timed: ``--sizes none --rss 64 1024 --rss-steps 2`` measures batch 64, N = 1024 alone, each side in its
own process; ``--sizes none`` skips the interleaved rows).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

THREADS = "1"
if "--threads" in sys.argv:
    THREADS = sys.argv[sys.argv.index("--threads") + 1]
os.environ["OPENBLAS_NUM_THREADS"] = THREADS
os.environ["OMP_NUM_THREADS"] = THREADS

import numpy as np  # noqa: E402

import mnemonet  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
try:
    import torch

    torch.set_num_threads(int(THREADS))
    from dnc_reference import ReferenceDNC, sigmoid_xent
except ImportError:
    torch = None

X, Y, H, W, R, HW, T = 8, 8, 64, 16, 4, 1, 20


def make_mn(n):
    return mnemonet.DNC(X, Y, mnemonet.MemoryConfig(n, W, R, HW), hidden_size=H, lr=1e-4, clip=10.0, seed=0)


def make_torch(n):
    torch.manual_seed(0)
    model = ReferenceDNC(X, Y, H, n, W, R, HW)
    return model, torch.optim.Adam(model.parameters(), lr=1e-4)


def data(b, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.random((T, b, X)) < 0.5).astype(np.float32)
    y = (rng.random((T, b, Y)) < 0.5).astype(np.float32)
    return x, y


def mn_step(model, x, y):
    model.train_step(x, y)


def torch_step(pair, x, y):
    model, opt = pair
    opt.zero_grad()
    out, _, _ = model(x)
    sigmoid_xent(out, y).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
    opt.step()


def bench(n, b, repeats):
    x, y = data(b)
    mn = make_mn(n)
    row = {"memory_size": n, "batch": b}
    mn_step(mn, x, y)
    tp = None
    if torch is not None:
        tp = make_torch(n)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        torch_step(tp, tx, ty)
    ms_mn, ms_t = [], []
    for _ in range(repeats):  # interleaved
        t0 = time.perf_counter()
        mn_step(mn, x, y)
        ms_mn.append((time.perf_counter() - t0) * 1e3)
        if tp is not None:
            t0 = time.perf_counter()
            torch_step(tp, tx, ty)
            ms_t.append((time.perf_counter() - t0) * 1e3)
    row["mnemonet_ms"] = statistics.median(ms_mn)
    if ms_t:
        row["pytorch_ms"] = statistics.median(ms_t)
        row["speedup"] = row["pytorch_ms"] / row["mnemonet_ms"]
    return row


def peak_rss_mb():
    """VmHWM of this process (ru_maxrss would include the parent's high-water mark, kept across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_child(side, n, b, steps=1):
    """In a fresh process: VmHWM before the first step, VmHWM after ``steps`` steps, and each step's seconds."""
    x, y = data(b)
    if side == "mnemonet":
        model = make_mn(n)
        base = peak_rss_mb()
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            mn_step(model, x, y)
            times.append(time.perf_counter() - t0)
    else:
        pair = make_torch(n)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        base = peak_rss_mb()
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            torch_step(pair, tx, ty)
            times.append(time.perf_counter() - t0)
    print(base, peak_rss_mb(), *times)


def rss(side, n, b, steps=1):
    out = subprocess.run([sys.executable, __file__, "--rss-child", side, str(n), str(b), "--rss-steps", str(steps),
                          "--threads", THREADS], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr else f"exit {out.returncode}"
    base, peak, *times = map(float, out.stdout.strip().splitlines()[-1].split())
    return {"before_step_mb": base, "peak_mb": peak, "step_seconds": times}, None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", default="1")
    p.add_argument("--json", default=None)
    p.add_argument("--rss", nargs="*", type=int, default=None, metavar="B N",
                   help="peak RSS of one step at batch B, memory_size N (default 64 256)")
    p.add_argument("--sizes", default="16,64,256,1024")
    p.add_argument("--batches", default="1,64")
    p.add_argument("--rss-steps", type=int, default=1,
                   help="with --rss: steps per side in its process (the first allocates; each step is timed)")
    p.add_argument("--rss-child", nargs=3, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.rss_child:
        rss_child(a.rss_child[0], int(a.rss_child[1]), int(a.rss_child[2]), a.rss_steps)
        return
    rows = []
    sizes = [] if a.sizes == "none" else [int(v) for v in a.sizes.split(",")]
    for b in [int(v) for v in a.batches.split(",")]:
        for n in sizes:
            reps = 3 if a.quick else (9 if b * n * n <= 64 * 64 * 64 else 3)
            try:
                row = bench(n, b, reps)
            except (MemoryError, ValueError, RuntimeError) as e:
                row = {"memory_size": n, "batch": b, "error": str(e)[:200]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {"threads": int(a.threads), "T": T, "X": X, "H": H, "W": W, "R": R, "write_heads": HW,
              "torch": torch.__version__ if torch is not None else None, "machine": platform.processor(),
              "load_average": os.getloadavg(), "rows": rows}
    if a.rss is not None:
        b, n = (a.rss + [64, 256])[:2] if len(a.rss) < 2 else a.rss[:2]
        result["peak_rss"] = {}
        for side in ("mnemonet", "pytorch") if torch is not None else ("mnemonet",):
            mb, err = rss(side, n, b, a.rss_steps)
            result["peak_rss"][side] = {"batch": b, "memory_size": n, **(mb or {}), "error": err}
            print(side, "peak RSS (MB, before the step / peak):", mb, err or "", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
