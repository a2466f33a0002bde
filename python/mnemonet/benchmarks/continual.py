"""The continual-learning table: every strategy × seeds on a digits stream, natively; ACC, BWT, FWT, forgetting and
wall time per strategy as mean ± std over seeds (``python -m mnemonet.benchmarks continual``)."""
from __future__ import annotations

import math
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..continual import STRATEGIES, permuted_digits, rotated_digits, run, split_digits

__all__ = ["BENCHMARKS", "make_stream", "run_table", "format_table", "plot_table"]

BENCHMARKS = ("split-digits", "permuted-digits", "rotated-digits")
METRICS = ("acc", "bwt", "fwt", "forgetting", "wall_time")


def make_stream(benchmark: str, scenario: str, seed: int, num_tasks: int = 5):
    """The stream of ``benchmark`` in ``scenario`` with split seed ``seed``."""
    if benchmark == "split-digits":
        return split_digits(scenario, seed=seed)
    if benchmark == "permuted-digits":
        return permuted_digits(num_tasks, scenario, seed=seed)
    if benchmark == "rotated-digits":
        return rotated_digits(num_tasks, scenario, seed=seed)
    raise ValueError(f"benchmark must be one of {BENCHMARKS}, got {benchmark!r}")


def _mean_std(values: List[Optional[float]]):
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    m = float(np.mean(vals))
    s = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    return m, s


def run_table(benchmark: str = "split-digits", scenario: str = "class", strategies: Sequence[str] = STRATEGIES,
              seeds: Sequence[int] = (0, 1, 2), num_tasks: int = 5, progress: bool = True, **hyperparameters) -> dict:
    """Runs every strategy on every seed (seed s: train/test split s, initial weights s, memories s).

    Returns
    -------
    dict
        ``{"benchmark", "scenario", "seeds", "strategies": {name: {"runs": [...], "acc": {"mean", "std"}, ...}},
        "total_wall_time"}``; every run holds its accuracy matrix, baseline, ACC, BWT, FWT, forgetting, wall time.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    streams = {s: make_stream(benchmark, scenario, s, num_tasks) for s in seeds}
    out: Dict[str, dict] = {}
    bar = tqdm(total=len(strategies) * len(seeds), disable=not progress, desc="continual", leave=False)
    for name in strategies:
        runs = []
        for s in seeds:
            r = run(streams[s], name, seed=s, **hyperparameters)
            runs.append(r.to_dict())
            bar.update(1)
        entry = {"runs": runs}
        for m in METRICS:
            mean, std = _mean_std([r[m] for r in runs])
            entry[m] = {"mean": mean, "std": std}
        # Slot diversity of the memory agents: effective rank of M after the last task (null for the others).
        mean, std = _mean_std([r["memory_rank"][-1] if r.get("memory_rank") else None for r in runs])
        entry["memory_rank"] = {"mean": mean, "std": std}
        if mean is not None:
            hp = runs[0]["hyperparameters"]
            entry["memory_shape"] = [hp["memory_size"], hp["memory_dim"]]
        out[name] = entry
    bar.close()
    first = streams[seeds[0]]
    return {"benchmark": benchmark, "scenario": scenario, "seeds": list(seeds), "num_tasks": first.num_tasks,
            "strategies": out, "total_wall_time": time.perf_counter() - start,
            "note": "std is the sample standard deviation over seeds (null with one seed); fwt is null for one task"}


def format_table(summary: dict) -> str:
    """The table as text: one row per strategy, mean ± std over seeds."""
    def cell(d, pct=True):
        if d["mean"] is None:
            return "n/a"
        k = 100 if pct else 1
        std = "" if d["std"] is None else f" ± {k * d['std']:.1f}" if pct else f" ± {d['std']:.2f}"
        return f"{k * d['mean']:.1f}{std}" if pct else f"{d['mean']:.2f}{std}"

    head = (f"{summary['benchmark']}, {summary['scenario']}-incremental, {summary['num_tasks']} tasks, "
            f"seeds {summary['seeds']} (mean ± std, accuracies in %)")
    rows = [head, f"{'strategy':<16}{'ACC':>14}{'BWT':>14}{'FWT':>14}{'forgetting':>14}{'wall s':>13}"
                  f"{'rank(M) of N×W':>24}"]
    for name, e in summary["strategies"].items():
        rank = e.get("memory_rank", {"mean": None})
        shape = e.get("memory_shape")
        rank_cell = "" if rank["mean"] is None else f"{cell(rank, pct=False)} of {shape[0]}×{shape[1]}"
        rows.append(f"{name:<16}{cell(e['acc']):>14}{cell(e['bwt']):>14}{cell(e['fwt']):>14}"
                    f"{cell(e['forgetting']):>14}{cell(e['wall_time'], pct=False):>13}{rank_cell:>24}")
    rows.append(f"total wall time {summary['total_wall_time']:.1f} s")
    return "\n".join(rows)


def plot_table(summary: dict, path: str) -> None:
    """Saves accuracy matrices (first seed) of every strategy and their mean-accuracy curves to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..continual.metrics import accuracy_curve
    from ..plots import plot_accuracy_matrix

    names = list(summary["strategies"])
    cols = min(5, len(names) + 1)
    rows = math.ceil((len(names) + 1) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.3 * rows), squeeze=False)
    flat = axes.ravel()
    for ax, name in zip(flat, names):
        R = np.array(summary["strategies"][name]["runs"][0]["accuracy_matrix"])
        plot_accuracy_matrix(R, ax=ax, title=name, annotate=R.shape[0] <= 6)
    ax = flat[len(names)]
    for name in names:
        curves = np.array([accuracy_curve(np.array(r["accuracy_matrix"])) for r in summary["strategies"][name]["runs"]])
        ax.plot(range(1, curves.shape[1] + 1), curves.mean(0), marker="o", label=name)
    ax.set_xlabel("tasks trained")
    ax.set_ylabel("mean accuracy, seen tasks")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    for extra in flat[len(names) + 1:]:
        extra.axis("off")
    fig.suptitle(f"{summary['benchmark']}, {summary['scenario']}-incremental")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def compare_fit_stream_losses(seeds: Sequence[int] = (0, 1, 2), scenario: str = "class",
                              buffer_sizes: Sequence[int] = (200, 5000)) -> dict:
    """``ContinualLearningAgent.fit_stream`` with the cross-entropy head (one row per ``buffer_size``) against the
    seed's MSE on one-hot targets, on split digits; every run starts from ``continual.strategy_agent(stream,
    seed=s)`` (LSTM 128, memory 128 × 64, exact Adam; its MSE replay buffer holds 5000 rows, every training row).

    Returns
    -------
    dict
        ``{"scenario", "seeds", "rows": [{"loss", "buffer_size", "runs": [...], "acc"/"forgetting"/"wall_time":
        {"mean", "std"}}]}``.
    """
    from ..continual import strategy_agent

    settings = [("cross_entropy", b) for b in buffer_sizes] + [("mse", None)]
    rows = []
    for loss, buffer_size in settings:
        runs = []
        for s in seeds:
            stream = split_digits(scenario, seed=s)
            kw = {} if buffer_size is None else {"buffer_size": buffer_size}
            runs.append(strategy_agent(stream, seed=s).fit_stream(stream, seed=s, loss=loss, **kw).to_dict())
        row = {"loss": loss, "buffer_size": buffer_size, "runs": runs}
        for m in ("acc", "forgetting", "wall_time"):
            mean, std = _mean_std([r[m] for r in runs])
            row[m] = {"mean": mean, "std": std}
        rows.append(row)
    return {"benchmark": "split-digits", "scenario": scenario, "seeds": list(seeds), "rows": rows}


def _main(argv=None) -> int:
    """``python -m mnemonet.benchmarks.continual --fit-stream-losses [--seeds 0 1 2] [--json]``."""
    import argparse
    import json
    import sys

    p = argparse.ArgumentParser(prog="python -m mnemonet.benchmarks.continual")
    p.add_argument("--fit-stream-losses", action="store_true", required=True,
                   help="fit_stream's cross-entropy head (replay memory 200 and 5000 rows) against loss='mse'")
    p.add_argument("--scenario", default="class", choices=("task", "domain", "class"))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    out = compare_fit_stream_losses(args.seeds, args.scenario)
    if args.json:
        json.dump(out, sys.stdout, indent=1, allow_nan=False)
        print()
        return 0
    print(f"fit_stream on split digits, {args.scenario}-incremental, seeds {args.seeds} (mean ± std, %)")
    for r in out["rows"]:
        name = r["loss"] + ("" if r["buffer_size"] is None else f", replay memory {r['buffer_size']}")
        print(f"{name:<34} ACC {100 * r['acc']['mean']:5.1f} ± {100 * r['acc']['std']:.1f}   forgetting "
              f"{100 * r['forgetting']['mean']:5.1f} ± {100 * r['forgetting']['std']:.1f}   "
              f"{r['wall_time']['mean']:.2f} s per run")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
