"""Benchmark: the seed tutorial's whole demo, mnemonet against the seed's PyTorch code, in the same run.

4 tasks x 20 epochs x 50 samples, evaluation on all past tasks after each task, with replay (from task 2 on, as in
the seed) and without. One thread each (OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)). Reports ms per train_step
with replay (tasks 2-4, where 8 samples are replayed every step) and without (the no-replay run), the whole demo's
wall time, and the ratios. Per-step times are CPU time (time.process_time: both
sides are single-threaded, and CPU time is far less disturbed than wall time on a shared machine); whole-demo times
are wall time. Rows marked exact_adam=True use PyTorch's Adam arithmetic bit for bit (the default's division is a refined
reciprocal estimate). PyTorch runs the seed's classes verbatim (from tools/fixtures/make_agent_fixtures.py);
it is skipped when torch is not installed.

Usage: python bench/bench_agent.py [--repeats 3] [--json bench/results/agent.json]
       python bench/bench_agent.py --rounds 3 [--json …]   # interleaved: every round runs every variant once

With --rounds N the variants are interleaved (round r runs mnemonet fit / train_step loop / exact_adam and PyTorch,
with and without replay, each once) and the table gives medians over the rounds of CPU and wall time per step, the
ratios of the medians, and each round's own ratio (CPU time), so the spread is visible.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import mnemonet  # noqa: E402
from mnemonet import ContinualLearningAgent, create_task_data  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mnemonet_demo(use_replay, seed=0, python_loop=False, exact_adam=False):
    """The seed's demo on mnemonet; returns (ms per replaying step, ms per plain step, whole seconds, errors)."""
    agent = ContinualLearningAgent(seed=seed, exact_adam=exact_adam)
    times = {True: 0.0, False: 0.0}
    walls = {True: 0.0, False: 0.0}
    steps = {True: 0, False: 0}
    errors = []
    t_all = time.perf_counter()
    for task_id in range(4):
        X, Y = create_task_data(task_id, 50)
        replay = use_replay and task_id > 0
        t0, w0 = time.process_time(), time.perf_counter()
        if python_loop:  # the seed's loop, one train_step call per sample from Python
            for _ in range(20):
                for i in range(50):
                    agent.train_step(X[i], Y[i], use_replay=replay)
        else:
            agent.fit(X, Y, epochs=20, use_replay=replay, progress=False)
        times[replay] += time.process_time() - t0
        walls[replay] += time.perf_counter() - w0
        steps[replay] += 1000
        errors.append([agent.evaluate(*create_task_data(e, 20), write_memory=True) for e in range(task_id + 1)])
    whole = time.perf_counter() - t_all
    ms = {k: 1e3 * times[k] / steps[k] if steps[k] else None for k in times}
    wall_ms = {k: 1e3 * walls[k] / steps[k] if steps[k] else None for k in walls}
    return ms[True], ms[False], whole, errors, wall_ms[True], wall_ms[False]


def torch_demo(seed_module, use_replay):
    import torch

    torch.manual_seed(0)
    np.random.seed(0)
    agent = seed_module.ContinualLearningAgent()
    times = {True: 0.0, False: 0.0}
    walls = {True: 0.0, False: 0.0}
    steps = {True: 0, False: 0}
    errors = []
    t_all = time.perf_counter()
    for task_id in range(4):
        train_data = seed_module.create_task_data(task_id, num_samples=50)
        replay = use_replay and task_id > 0
        t0, w0 = time.process_time(), time.perf_counter()
        for _ in range(20):
            for x, y in train_data:
                agent.train_step(x, y, use_replay=replay)
        times[replay] += time.process_time() - t0
        walls[replay] += time.perf_counter() - w0
        steps[replay] += 1000
        errors.append([agent.evaluate(seed_module.create_task_data(e, num_samples=20)) for e in range(task_id + 1)])
    whole = time.perf_counter() - t_all
    ms = {k: 1e3 * times[k] / steps[k] if steps[k] else None for k in times}
    wall_ms = {k: 1e3 * walls[k] / steps[k] if steps[k] else None for k in walls}
    return ms[True], ms[False], whole, errors, wall_ms[True], wall_ms[False]


def load_seed_module():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("seed_agent", os.path.join(ROOT, "tools", "fixtures",
                                                                            "make_agent_fixtures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VARIANTS = (("fit", {}), ("loop", {"python_loop": True}), ("fit_exact_adam", {"exact_adam": True}))


def interleaved(rounds, json_path):
    """Every round runs every mnemonet variant and the PyTorch seed code once, with and without replay."""
    seed_module = load_seed_module()
    if seed_module is None:
        raise SystemExit("--rounds needs torch (the PyTorch seed code is the reference)")
    import torch

    load_before = list(os.getloadavg())
    runs = []  # per round: {(side, replay): (cpu_ms, wall_ms)}
    for r in range(rounds):
        row = {}
        for name, kw in VARIANTS:
            rep = mnemonet_demo(True, **kw)
            plain = mnemonet_demo(False, **kw)
            row[(name, True)] = (rep[0], rep[4])
            row[(name, False)] = (plain[1], plain[5])
        rep = torch_demo(seed_module, True)
        plain = torch_demo(seed_module, False)
        row[("pytorch", True)] = (rep[0], rep[4])
        row[("pytorch", False)] = (plain[1], plain[5])
        runs.append(row)
        print(f"round {r + 1}/{rounds}: " + ", ".join(f"{k[0]}{'+replay' if k[1] else ''} {v[0]:.4f} ms"
                                                  for k, v in row.items()), flush=True)
    load_after = list(os.getloadavg())
    med = {k: (float(np.median([run[k][0] for run in runs])), float(np.median([run[k][1] for run in runs])))
           for k in runs[0]}
    result = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
              "blas": mnemonet.blas_info(), "rounds": rounds, "load_average_before": load_before,
              "load_average_after": load_after,
              "runs_ms": [{f"{k[0]}_{'with' if k[1] else 'without'}_replay": {"cpu": v[0], "wall": v[1]}
                           for k, v in run.items()} for run in runs],
              "median_ms": {f"{k[0]}_{'with' if k[1] else 'without'}_replay": {"cpu": v[0], "wall": v[1]}
                            for k, v in med.items()}}
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(result, f, indent=1)
    print(f"\ninterleaved, {rounds} rounds, medians; load average before {load_before}, after {load_after}")
    print("| ms / train_step | CPU | wall | ratio CPU (of medians) | ratio wall | per-round CPU ratios |")
    print("|---|---:|---:|---:|---:|---|")
    for replay in (False, True):
        pt = med[("pytorch", replay)]
        print(f"| PyTorch (seed code), {'with' if replay else 'without'} replay | {pt[0]:.4f} | {pt[1]:.4f} | | | |")
        for name, _ in VARIANTS:
            m = med[(name, replay)]
            per = ", ".join(f"{run[('pytorch', replay)][0] / run[(name, replay)][0]:.1f}" for run in runs)
            print(f"| mnemonet {name}, {'with' if replay else 'without'} replay | {m[0]:.4f} | {m[1]:.4f} | "
                  f"{pt[0] / m[0]:.1f}x | {pt[1] / m[1]:.1f}x | {per} |")
    print(f"\nwritten {json_path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="mnemonet repeats (best taken); PyTorch runs once")
    ap.add_argument("--rounds", type=int, default=0, help="interleaved mode: N rounds of every variant")
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "agent.json"))
    args = ap.parse_args()
    if args.rounds:
        interleaved(args.rounds, args.json)
        return

    mn_replay = min((mnemonet_demo(True) for _ in range(args.repeats)), key=lambda r: r[0])
    mn_plain = min((mnemonet_demo(False) for _ in range(args.repeats)), key=lambda r: r[1])
    mn_loop_replay = min((mnemonet_demo(True, python_loop=True) for _ in range(args.repeats)), key=lambda r: r[0])
    mn_loop_plain = min((mnemonet_demo(False, python_loop=True) for _ in range(args.repeats)), key=lambda r: r[1])
    # PyTorch's Adam arithmetic bit for bit (exact_adam=True) instead of the default's refined reciprocal estimate
    mn_exact_replay = min((mnemonet_demo(True, exact_adam=True) for _ in range(args.repeats)), key=lambda r: r[0])
    mn_exact_plain = min((mnemonet_demo(False, exact_adam=True) for _ in range(args.repeats)), key=lambda r: r[1])
    result = {
        "machine": platform.processor() or platform.machine(),
        "mnemonet": {
            "fit_ms_per_step_with_replay": mn_replay[0], "fit_ms_per_step_without_replay": mn_plain[1],
            "train_step_loop_ms_per_step_with_replay": mn_loop_replay[0],
            "train_step_loop_ms_per_step_without_replay": mn_loop_plain[1],
            "fit_exact_adam_ms_per_step_with_replay": mn_exact_replay[0],
            "fit_exact_adam_ms_per_step_without_replay": mn_exact_plain[1],
            "demo_seconds_with_replay": mn_replay[2], "demo_seconds_without_replay": mn_plain[2],
            "task1_error_after_4_tasks": {"with_replay": mn_replay[3][3][0], "without_replay": mn_plain[3][3][0]},
        },
    }
    seed_module = load_seed_module()
    if seed_module is not None:
        import torch

        t_replay = torch_demo(seed_module, True)
        t_plain = torch_demo(seed_module, False)
        result["pytorch"] = {
            "version": torch.__version__,
            "ms_per_step_with_replay": t_replay[0], "ms_per_step_without_replay": t_plain[1],
            "demo_seconds_with_replay": t_replay[2], "demo_seconds_without_replay": t_plain[2],
            "task1_error_after_4_tasks": {"with_replay": t_replay[3][3][0], "without_replay": t_plain[3][3][0]},
        }
        m, p = result["mnemonet"], result["pytorch"]
        result["speedup"] = {
            "fit_with_replay": p["ms_per_step_with_replay"] / m["fit_ms_per_step_with_replay"],
            "fit_without_replay": p["ms_per_step_without_replay"] / m["fit_ms_per_step_without_replay"],
            "train_step_loop_with_replay": p["ms_per_step_with_replay"] / m["train_step_loop_ms_per_step_with_replay"],
            "train_step_loop_without_replay":
                p["ms_per_step_without_replay"] / m["train_step_loop_ms_per_step_without_replay"],
            "fit_exact_adam_with_replay": p["ms_per_step_with_replay"] / m["fit_exact_adam_ms_per_step_with_replay"],
            "fit_exact_adam_without_replay":
                p["ms_per_step_without_replay"] / m["fit_exact_adam_ms_per_step_without_replay"],
            "whole_demo_with_replay": p["demo_seconds_with_replay"] / m["demo_seconds_with_replay"],
            "whole_demo_without_replay": p["demo_seconds_without_replay"] / m["demo_seconds_without_replay"],
        }
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    m = result["mnemonet"]
    print("| | mnemonet fit | mnemonet train_step loop | PyTorch (seed) | ratio (fit) | ratio (loop) |")
    print("|---|---|---|---|---|---|")
    for label, key_m, key_l, key_p, key_s, key_sl in (
            ("ms / train_step, with replay", "fit_ms_per_step_with_replay", "train_step_loop_ms_per_step_with_replay",
             "ms_per_step_with_replay", "fit_with_replay", "train_step_loop_with_replay"),
            ("ms / train_step, without replay", "fit_ms_per_step_without_replay",
             "train_step_loop_ms_per_step_without_replay", "ms_per_step_without_replay", "fit_without_replay",
             "train_step_loop_without_replay")):
        p = result.get("pytorch", {}).get(key_p)
        s = result.get("speedup", {})
        print(f"| {label} | {m[key_m]:.4f} | {m[key_l]:.4f} | {p if p is None else f'{p:.3f}'} | "
              f"{s.get(key_s, float('nan')):.1f}x | {s.get(key_sl, float('nan')):.1f}x |")
    for label, key_m, key_p, key_s in (
            ("ms / train_step, with replay, exact_adam=True", "fit_exact_adam_ms_per_step_with_replay",
             "ms_per_step_with_replay", "fit_exact_adam_with_replay"),
            ("ms / train_step, without replay, exact_adam=True", "fit_exact_adam_ms_per_step_without_replay",
             "ms_per_step_without_replay", "fit_exact_adam_without_replay")):
        p = result.get("pytorch", {}).get(key_p)
        print(f"| {label} | {m[key_m]:.4f} | | {p if p is None else f'{p:.3f}'} | "
              f"{result.get('speedup', {}).get(key_s, float('nan')):.1f}x | |")
    if "pytorch" in result:
        p = result["pytorch"]
        print(f"| whole demo (s), with replay | {m['demo_seconds_with_replay']:.2f} | | "
              f"{p['demo_seconds_with_replay']:.2f} | {result['speedup']['whole_demo_with_replay']:.1f}x | |")
        print(f"| whole demo (s), without replay | {m['demo_seconds_without_replay']:.2f} | | "
              f"{p['demo_seconds_without_replay']:.2f} | {result['speedup']['whole_demo_without_replay']:.1f}x | |")
    print(f"\nwritten {args.json}")


if __name__ == "__main__":
    main()
