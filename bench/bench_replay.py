"""Prioritized replay: mnemonet.PrioritizedReplay vs cpprb.PrioritizedReplayBuffer vs torchrl's
TensorDictPrioritizedReplayBuffer, in the same run, one thread.

Like for like: fields x and y of 64 float32 each, alpha=0.6, beta=0.4, eps=1e-4 (cpprb's default), proportional
prioritisation, batches of 1024 (with priorities) for add and 256 for sample. Measures, per capacity:

  first fill     ns per item to construct the buffer and fill it from empty to capacity (cpprb touches its memory
                 in the constructor, mnemonet and torchrl on first write, so construction is included for all);
  second pass    ns per item for another capacity's worth of adds into the full ring (steady state, wrapping;
                 at least 262,144 items);
  sample+update  µs per sample(256, beta) followed by update_priorities(indices, new priorities), on a full buffer.

Before each implementation's first fill the same amount of memory is touched and freed, so each starts with the
same supply of free pages (otherwise the second one inherits what the first freed).

Usage:  python bench/bench_replay.py [--sizes 1000000] [--repeats 5] [--rounds 1] [--json bench/results/replay.json]

--rounds N repeats the whole comparison N times, interleaved (round r measures every implementation once, first fill
included, in turn); the table gives each figure's median over the rounds and each round's own CPU-time ratios.
--floor PROGRAM (bench/floor_fill.c compiled: cc -O2 bench/floor_fill.c -o /tmp/floor_fill) runs the bare-memory
first-fill floor in every round beside them (N items of the same 512 bytes into fresh memory, batches of 1024, no
priorities, no Python) and reports the best first-fill ratio against cpprb that the floor allows.
cpprb and torchrl are optional: what is missing is skipped (and said so).
"""
import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import mnemonet  # noqa: E402

try:
    import cpprb  # noqa: E402
except ImportError:  # pragma: no cover - optional
    cpprb = None
try:
    import torch  # noqa: E402
    import tensordict  # noqa: E402
    from torchrl.data import LazyTensorStorage, TensorDictPrioritizedReplayBuffer  # noqa: E402
    torch.set_num_threads(1)
except Exception:  # pragma: no cover - optional
    TensorDictPrioritizedReplayBuffer = None

ALPHA, BETA, EPS = 0.6, 0.4, 1e-4


def _version(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:  # pragma: no cover
        return None
DIM, ADD_BATCH, SAMPLE_BATCH = 64, 1024, 256


class Mnemonet:
    name = "mnemonet"

    def __init__(self, size):
        self.buf = mnemonet.PrioritizedReplay(size, {"x": (DIM,), "y": (DIM,)}, alpha=ALPHA, eps=EPS, seed=0)

    def add(self, x, y, p):
        self.buf.add(x=x, y=y, priority=p)

    def sample_update(self, new_p):
        s = self.buf.sample(SAMPLE_BATCH, BETA)
        self.buf.update_priorities(s["indices"], new_p)
        return s


class Cpprb:
    name = "cpprb"

    def __init__(self, size):
        self.buf = cpprb.PrioritizedReplayBuffer(size, {"x": {"shape": DIM}, "y": {"shape": DIM}}, alpha=ALPHA, eps=EPS)

    def add(self, x, y, p):
        self.buf.add(x=x, y=y, priorities=p)

    def sample_update(self, new_p):
        s = self.buf.sample(SAMPLE_BATCH, beta=BETA)
        self.buf.update_priorities(s["indexes"], new_p)
        return s


class TorchRL:
    name = "torchrl"

    def __init__(self, size):
        self.buf = TensorDictPrioritizedReplayBuffer(alpha=ALPHA, beta=BETA, eps=EPS, storage=LazyTensorStorage(size),
                                                     batch_size=SAMPLE_BATCH, priority_key="td_error")

    def add(self, x, y, p):
        td = tensordict.TensorDict({"x": torch.from_numpy(x), "y": torch.from_numpy(y),
                                    "td_error": torch.from_numpy(p.astype(np.float32))}, batch_size=[len(x)])
        self.buf.extend(td)

    def sample_update(self, new_p):
        s = self.buf.sample()
        self.buf.update_priority(s["index"], torch.from_numpy(new_p.astype(np.float32)))
        return s


def _prime_memory(nbytes):
    """Touches and frees `nbytes` (NumPy advises huge pages for large arrays): each implementation then starts its
    first fill with the same supply of free (huge) pages, instead of the second one inheriting what the first freed."""
    block = np.ones(nbytes, dtype=np.uint8)
    del block


def bench_one(impl_cls, size, repeats, rng):
    x = rng.standard_normal((ADD_BATCH, DIM), dtype=np.float32)
    y = rng.standard_normal((ADD_BATCH, DIM), dtype=np.float32)
    fill_batches = -(-size // ADD_BATCH)
    steady_batches = -(-max(size, 262_144) // ADD_BATCH)
    prios = rng.random((fill_batches + steady_batches, ADD_BATCH)) + 0.01
    gc.collect()
    _prime_memory(size * 2 * DIM * 4 * 2)
    # 1. construction + first fill (cpprb touches its memory in the constructor, mnemonet on first write).
    t0, c0 = time.perf_counter(), time.process_time()
    impl = impl_cls(size)
    for b in range(fill_batches):
        impl.add(x, y, prios[b])
    create_fill_s = time.perf_counter() - t0
    first_fill_ns = create_fill_s / (fill_batches * ADD_BATCH) * 1e9
    first_fill_cpu_ns = (time.process_time() - c0) / (fill_batches * ADD_BATCH) * 1e9
    # 2. steady-state adds into the full (wrapping) buffer.
    add_ns, add_cpu_ns = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for b in range(steady_batches):
            impl.add(x, y, prios[fill_batches + b])
        add_ns.append((time.perf_counter() - t0) / (steady_batches * ADD_BATCH) * 1e9)
        add_cpu_ns.append((time.process_time() - c0) / (steady_batches * ADD_BATCH) * 1e9)
    # 3. sample + update on the full buffer.
    iters = 2000
    new_p = rng.random((iters, SAMPLE_BATCH)) + 0.01
    for i in range(100):  # warm-up
        impl.sample_update(new_p[i])
    su_us, su_cpu_us = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(iters):
            impl.sample_update(new_p[i])
        su_us.append((time.perf_counter() - t0) / iters * 1e6)
        su_cpu_us.append((time.process_time() - c0) / iters * 1e6)
    del impl
    gc.collect()
    return {"create_fill_s": create_fill_s, "first_fill_ns_per_item": first_fill_ns,
            "cpu": {"first_fill_ns_per_item": first_fill_cpu_ns, "add_ns_per_item": statistics.median(add_cpu_ns),
                    "sample_update_us": statistics.median(su_cpu_us)},
            "add_ns_per_item": statistics.median(add_ns),
            "sample_update_us": statistics.median(su_us), "add_ns_all": add_ns, "sample_update_us_all": su_us}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds (first fill measured once per round)")
    ap.add_argument("--floor", default=None, help="compiled bench/floor_fill.c, run in every round (first-fill floor)")
    ap.add_argument("--json", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "replay.json"))
    args = ap.parse_args(argv)

    impls = ([Mnemonet] + ([Cpprb] if cpprb is not None else [])
             + ([TorchRL] if TensorDictPrioritizedReplayBuffer is not None else []))
    if cpprb is None:
        print("cpprb is not installed: skipped (pip install cpprb for the comparison)")
    if TensorDictPrioritizedReplayBuffer is None:
        print("torchrl is not installed: skipped (pip install torchrl for the comparison)")
    rng = np.random.default_rng(0)
    results = {"config": {"alpha": ALPHA, "beta": BETA, "eps": EPS, "fields": {"x": [DIM], "y": [DIM]},
                          "dtype": "float32", "add_batch": ADD_BATCH, "sample_batch": SAMPLE_BATCH,
                          "repeats": args.repeats},
               "machine": {"python": sys.version.split()[0], "numpy": np.__version__, "platform": platform.platform(),
                           "cpu_count": os.cpu_count(), "cpprb": _version("cpprb") if cpprb else None,
                           "torchrl": _version("torchrl") if TensorDictPrioritizedReplayBuffer else None,
                           "load_average": os.getloadavg()},
               "sizes": {}}
    for size in args.sizes:
        per_round = {impl.name: [] for impl in impls}
        floors = []
        for r in range(args.rounds):
            for impl in impls:
                per_round[impl.name].append(bench_one(impl, size, args.repeats, rng))
            if args.floor:
                gc.collect()
                out = subprocess.run([args.floor, str(size), str(2 * DIM * 4)], check=True, capture_output=True,
                                     text=True).stdout
                floors.append(json.loads(out))
            if args.rounds > 1:
                print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                    f"{k} {v[-1]['cpu']['first_fill_ns_per_item']:.0f}/{v[-1]['cpu']['add_ns_per_item']:.0f} ns, "
                    f"{v[-1]['cpu']['sample_update_us']:.0f} us (CPU)" for k, v in per_round.items()), flush=True)
        row = {}
        for name, rs in per_round.items():
            med = lambda f: statistics.median(f(x) for x in rs)  # noqa: E731
            row[name] = {"first_fill_ns_per_item": med(lambda x: x["first_fill_ns_per_item"]),
                         "add_ns_per_item": med(lambda x: x["add_ns_per_item"]),
                         "sample_update_us": med(lambda x: x["sample_update_us"]),
                         "cpu": {k: med(lambda x, k=k: x["cpu"][k]) for k in rs[0]["cpu"]},
                         "rounds": rs}
        if floors:
            modes = [k for k in floors[0] if isinstance(floors[0][k], dict)]
            row["floor"] = {"rounds": floors, "median_cpu_ns_per_item": {
                m: statistics.median(f[m]["cpu_ns_per_item"] for f in floors) for m in modes},
                "median_wall_ns_per_item": {m: statistics.median(f[m]["wall_ns_per_item"] for f in floors)
                                            for m in modes}}
        if "cpprb" in per_round and args.rounds > 1:
            row["per_round_cpu_speedup_vs_cpprb"] = [
                {k: c["cpu"][k] / m["cpu"][k] for k in m["cpu"]}
                for m, c in zip(per_round["mnemonet"], per_round["cpprb"])]
        for other in ("cpprb", "torchrl"):
            if other in row:
                m, o = row["mnemonet"], row[other]
                row[f"speedup_vs_{other}"] = {
                    "first_fill": o["first_fill_ns_per_item"] / m["first_fill_ns_per_item"],
                    "second_pass": o["add_ns_per_item"] / m["add_ns_per_item"],
                    "sample_update": o["sample_update_us"] / m["sample_update_us"],
                    "cpu_time": {k: o["cpu"][k] / m["cpu"][k] for k in m["cpu"]}}
        results["sizes"][str(size)] = row

    print(f"\nPrioritized replay, x and y of {DIM} float32, alpha={ALPHA}, beta={BETA}, eps={EPS} (median of runs; "
          f"load average {results['machine']['load_average'][0]:.2f})")
    head = (f"{'items':>9} | {'impl':>17} | {'first fill ns/item':>18} | {'second pass ns/item':>19} | "
            f"{'sample(256)+update µs':>21}")
    print(head)
    print("-" * len(head))
    for size, row in results["sizes"].items():
        for impl in impls:
            r = row[impl.name]
            print(f"{int(size):>9,} | {impl.name:>17} | {r['first_fill_ns_per_item']:>18.1f} | "
                  f"{r['add_ns_per_item']:>19.1f} | {r['sample_update_us']:>21.1f}")
        for other in ("cpprb", "torchrl"):
            if f"speedup_vs_{other}" in row:
                q = row[f"speedup_vs_{other}"]
                print(f"{'':>9} | {'speedup vs ' + other:>17} | {q['first_fill']:>17.1f}x | {q['second_pass']:>18.1f}x | "
                      f"{q['sample_update']:>20.1f}x")
                c = q["cpu_time"]
                print(f"{'':>9} | {'(CPU time)':>17} | {c['first_fill_ns_per_item']:>17.1f}x | "
                      f"{c['add_ns_per_item']:>18.1f}x | {c['sample_update_us']:>20.1f}x")
        if "per_round_cpu_speedup_vs_cpprb" in row:
            print(f"{'':>9} | per-round CPU-time ratios vs cpprb: " + "; ".join(
                " / ".join(f"{q[k]:.2f}x" for k in ("first_fill_ns_per_item", "add_ns_per_item", "sample_update_us"))
                for q in row["per_round_cpu_speedup_vs_cpprb"]))
        if "floor" in row:
            fl = row["floor"]
            print(f"{'':>9} | bare-memory first fill (bench/floor_fill.c), median CPU / wall ns per item: " + ", ".join(
                f"{m} {fl['median_cpu_ns_per_item'][m]:.1f} / {fl['median_wall_ns_per_item'][m]:.1f}"
                for m in fl["median_cpu_ns_per_item"]))
            if "cpprb" in row:
                cp = row["cpprb"]["cpu"]["first_fill_ns_per_item"]
                best = min(fl["median_cpu_ns_per_item"][m] for m in ("populate", "stream"))
                print(f"{'':>9} | best first-fill ratio the floor allows vs cpprb (CPU): {cp / best:.2f}x "
                      f"(cpprb {cp:.1f} / floor {best:.1f} ns per item)")
        for impl in impls:
            c = row[impl.name]["cpu"]
            print(f"{'':>9} | {impl.name + ' CPU':>17} | {c['first_fill_ns_per_item']:>18.1f} | "
                  f"{c['add_ns_per_item']:>19.1f} | {c['sample_update_us']:>21.1f}")
    results["machine"]["load_average_after"] = os.getloadavg()
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
