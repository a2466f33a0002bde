"""The sinusoid regression benchmark of Finn et al. (2017), §5.1 and Appendix C, reproduced end to end natively.

Protocol (that of the paper's reference code, cbfinn/maml, README command for the 10-shot sinusoid):
y = A·sin(x + φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5]; MLP 1→40→40→1 with ReLU; K = 10 support and K query points
per training task; one inner step; Adam meta-lr 1e-3; meta-batch 25; 70,000 meta-iterations. The inner step size is
the code's ``update_lr`` default, **0.001**, at training and at test time (the paper's text says 0.01; with 0.01 the
10-step evaluation diverges on high-amplitude tasks, which the ``maml (alpha=0.01, paper text)`` row reports).
Evaluation: 600 fresh tasks (same tasks for every method), K support + K query points, query MSE after 1, 5 and 10
inner steps, mean and 95% interval 1.96·std/√600. "pretrained": Adam on the unadapted support loss of the same task
stream for the same number of iterations, fine-tuned at test time with plain gradient steps.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from ..meta import MLP, MetaLearner

PAPER_MAML_5SHOT = {1: 0.67, 5: 0.38, 10: 0.35}  # Finn et al. 2017, Appendix C, Table 2 (K = 5)


@dataclass
class SinusoidMethod:
    """One row group of the table: how a learner is meta-trained and evaluated."""

    name: str
    algorithm: str
    inner_lr: float
    eval_lr: Optional[float]  # None: the learned α (Meta-SGD)
    first_order: bool = False
    inner_steps: int = 1
    extra_eval_lrs: Sequence[float] = field(default_factory=tuple)


def default_methods() -> List[SinusoidMethod]:
    """MAML (second and first order), Meta-SGD, the pretrained baseline, and MAML at the paper text's step size."""
    return [
        SinusoidMethod("maml", "maml", 0.001, 0.001),
        SinusoidMethod("fomaml", "maml", 0.001, 0.001, first_order=True),
        SinusoidMethod("meta-sgd", "meta-sgd", 0.001, None),
        SinusoidMethod("pretrained", "pretrain", 0.001, 0.001, extra_eval_lrs=(0.01,)),
        SinusoidMethod("maml-alpha0.01", "maml", 0.01, 0.01),
    ]


def all_methods() -> List[SinusoidMethod]:
    """The default methods plus Reptile (5 inner SGD steps of 0.02 on the support set; evaluated with the same step
    size), which is not part of the paper's table."""
    return default_methods() + [SinusoidMethod("reptile", "reptile", 0.02, 0.02, inner_steps=5)]


def run_sinusoid(iterations: int = 70000, seed: int = 0, methods: Optional[Sequence[SinusoidMethod]] = None,
                 meta_batch_size: int = 25, k_train: int = 10, eval_shots: Sequence[int] = (5, 10),
                 eval_tasks: int = 600, eval_seed: int = 1, progress: bool = True) -> Dict:
    """Meta-trains every method natively and evaluates it; returns a JSON-ready summary with the learners under
    ``"_learners"`` (removed by the CLI before printing JSON)."""
    methods = list(methods) if methods is not None else default_methods()
    start = time.perf_counter()
    out: Dict = {
        "benchmark": "sinusoid",
        "protocol": {
            "amplitude": [0.1, 5.0], "phase": [0.0, math.pi], "x": [-5.0, 5.0], "network": [1, 40, 40, 1],
            "activation": "relu", "k_train": k_train, "meta_batch_size": meta_batch_size, "meta_lr": 1e-3,
            "iterations": iterations, "eval_tasks": eval_tasks, "eval_shots": list(eval_shots), "eval_seed": eval_seed,
            "seed": seed, "ci": "1.96*std/sqrt(num_tasks)",
        },
        "paper_maml_5shot": {str(k): v for k, v in PAPER_MAML_5SHOT.items()},
        "methods": {},
        "_learners": {},
    }
    for m in methods:
        model = MLP((1, 40, 40, 1), "relu", seed=seed)
        learner = MetaLearner(model, algorithm=m.algorithm, inner_lr=m.inner_lr, inner_steps=m.inner_steps,
                              first_order=m.first_order, meta_lr=1e-3, seed=seed)
        t0 = time.perf_counter()
        history = learner.meta_train("sinusoid", iterations=iterations, meta_batch_size=meta_batch_size,
                                     k_shot=k_train, progress=progress)
        train_seconds = time.perf_counter() - t0
        entry = {"algorithm": m.algorithm, "first_order": m.first_order, "train_inner_lr": m.inner_lr,
                 "train_seconds": train_seconds,
                 "ms_per_meta_iteration": 1e3 * train_seconds / max(iterations, 1),
                 "final_train_loss": float(np.mean(history[-1000:])) if iterations else None,
                 "evaluations": []}
        for lr in [m.eval_lr, *m.extra_eval_lrs]:
            for k in eval_shots:
                ev = learner.evaluate_sinusoid(num_tasks=eval_tasks, k_shot=k, max_steps=10, lr=lr, seed=eval_seed)
                entry["evaluations"].append({"k_shot": k, "eval_lr": "learned alpha" if lr is None else lr,
                                             "before": ev.summary((0,))["0"], "steps": ev.summary((1, 5, 10))})
        out["methods"][m.name] = entry
        out["_learners"][m.name] = learner
    out["wall_seconds"] = time.perf_counter() - start
    return out


def _method_rows(summary: Dict, cell) -> list:
    """One table row per (method, eval step size, K), cells formatted by ``cell``."""
    rows = []
    for name, e in summary["methods"].items():
        for ev in e["evaluations"]:
            lr = ev["eval_lr"]
            lr_s = "learned" if isinstance(lr, str) else f"{lr:g}"
            rows.append(f"{name:<16}{e['train_inner_lr']:>9g}{lr_s:>14}{ev['k_shot']:>4}"
                        + "".join(cell(ev["steps"][s]) for s in ("1", "5", "10")))
    return rows


def summarize_seeds(runs: Sequence[Dict]) -> Dict:
    """Mean ± std over seeds of every (method, eval lr, K, steps) cell of several :func:`run_sinusoid` summaries.

    A cell's ``mse`` is ``{"mean", "std", "per_seed"}`` over the seeds whose result is finite; ``diverged_seeds``
    counts the others (a seed with a non-finite mean or a diverged task)."""
    first = runs[0]
    out: Dict = {"benchmark": "sinusoid", "protocol": dict(first["protocol"], seeds=[r["protocol"]["seed"] for r in runs]),
                 "paper_maml_5shot": first["paper_maml_5shot"], "methods": {},
                 "wall_seconds": float(sum(r["wall_seconds"] for r in runs))}
    out["protocol"].pop("seed", None)
    for name, entry in first["methods"].items():
        evs = []
        for j, ev in enumerate(entry["evaluations"]):
            cells = {}
            for s in ("1", "5", "10"):
                vals = [r["methods"][name]["evaluations"][j]["steps"][s] for r in runs]
                mses = [v["mse"] for v in vals]
                ok = [m for m, v in zip(mses, vals) if math.isfinite(m) and not v["diverged"]]
                cells[s] = {"mean": float(np.mean(ok)) if ok else float("nan"),
                            "std": float(np.std(ok, ddof=1)) if len(ok) > 1 else float("nan"),
                            "per_seed": mses, "diverged_seeds": len(mses) - len(ok)}
            evs.append({"k_shot": ev["k_shot"], "eval_lr": ev["eval_lr"], "steps": cells})
        out["methods"][name] = {"algorithm": entry["algorithm"], "first_order": entry["first_order"],
                                "train_inner_lr": entry["train_inner_lr"],
                                "ms_per_meta_iteration": float(np.mean([r["methods"][name]["ms_per_meta_iteration"]
                                                                        for r in runs])),
                                "evaluations": evs}
    return out


def format_seed_table(summary: Dict) -> str:
    """The seed-averaged results as a text table (mean ± std over seeds; [n div] seeds left out)."""
    p = summary["protocol"]
    lines = [f"Sinusoid regression (Finn et al. 2017): K={p['k_train']}, {p['iterations']} meta-iterations, "
             f"meta-batch {p['meta_batch_size']}; query MSE over {p['eval_tasks']} new tasks; mean ± std over seeds "
             f"{p['seeds']}",
             f"{'method':<16}{'train α':>9}{'eval α':>14}{'K':>4}{'1 step':>22}{'5 steps':>22}{'10 steps':>22}"]

    def cell(c):
        if not math.isfinite(c["mean"]):
            text = "diverged"
        elif math.isfinite(c["std"]):
            text = f"{c['mean']:.3f} ± {c['std']:.3f}"
        else:
            text = f"{c['mean']:.3f} (1 seed)"
        return (text + (f" [{c['diverged_seeds']} div]" if c["diverged_seeds"] else "")).rjust(22)
    lines += _method_rows(summary, cell)
    q = summary["paper_maml_5shot"]
    lines.append(f"paper (MAML, K=5, Appendix C Table 2): {q['1']} / {q['5']} / {q['10']}")
    lines.append(f"wall time: {summary['wall_seconds']:.1f} s")
    return "\n".join(lines)


def _fmt(cell: Dict) -> str:
    mse, ci = cell["mse"], cell["ci95"]
    if not math.isfinite(mse) or cell["diverged"]:
        return f"{mse:.3g} ± {ci:.2g} [{cell['diverged']} div]".rjust(22)
    if cell["max"] > 25:  # above what predicting 0 would score: a task on its way to diverging
        return f"{mse:.3f} ± {ci:.3f} [max {cell['max']:.3g}]".rjust(30)
    return f"{mse:.3f} ± {ci:.3f}".rjust(22)


def format_table(summary: Dict) -> str:
    """The results as a text table: one row per (method, eval step size, K)."""
    lines = [
        f"Sinusoid regression (Finn et al. 2017): trained with K={summary['protocol']['k_train']}, "
        f"{summary['protocol']['iterations']} meta-iterations, meta-batch {summary['protocol']['meta_batch_size']}; "
        f"query MSE over {summary['protocol']['eval_tasks']} new tasks, mean ± 95% CI",
        f"{'method':<16}{'train α':>9}{'eval α':>14}{'K':>4}{'1 step':>22}{'5 steps':>22}{'10 steps':>22}",
    ]
    lines += _method_rows(summary, _fmt)
    p = summary["paper_maml_5shot"]
    lines.append(f"paper (MAML, K=5, Appendix C Table 2): {p['1']} / {p['5']} / {p['10']}   "
                 f"['div' = tasks with a non-finite or > 100 loss; max shown when > 25]")
    lines.append(f"wall time: {summary['wall_seconds']:.1f} s (training "
                 + ", ".join(f"{n} {e['train_seconds']:.1f} s" for n, e in summary["methods"].items()) + ")")
    return "\n".join(lines)


def plot_adapted_curves(learners: Dict[str, MetaLearner], path: str, k_shot: int = 5,
                        steps: Union[Sequence[int], Dict[str, Sequence[int]]] = (1, 10), num_tasks: int = 3,
                        seed: int = 3, lrs: Optional[Dict[str, Optional[float]]] = None) -> str:
    """Plots, for a few new tasks, the true sinusoid, the K support points and each learner's prediction after the
    given numbers of inner steps (one list for all, or a list per learner name); saves a PNG to ``path``
    (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    grid = np.linspace(-5, 5, 200, dtype=np.float32)
    fig, axes = plt.subplots(1, num_tasks, figsize=(5 * num_tasks, 4), squeeze=False)
    for t in range(num_tasks):
        amp, phase = rng.uniform(0.1, 5.0), rng.uniform(0, np.pi)
        xs = rng.uniform(-5, 5, k_shot).astype(np.float32)
        ys = (amp * np.sin(xs + phase)).astype(np.float32)
        ax = axes[0, t]
        ax.plot(grid, amp * np.sin(grid + phase), "k-", lw=2, label="ground truth")
        ax.plot(xs, ys, "k^", ms=8, label=f"{k_shot} support points")
        for name, learner in learners.items():
            lr = (lrs or {}).get(name, learner.inner_lr if learner.algorithm != "meta-sgd" else None)
            own = steps.get(name, (1, 10)) if isinstance(steps, dict) else steps
            for s in own:
                adapted = learner.adapt(xs, ys, num_steps=s, lr=lr)
                ax.plot(grid, adapted(grid)[:, 0], "--" if s == own[0] and len(own) > 1 else "-", lw=1.2,
                        label=f"{name}, {s} step{'s' if s > 1 else ''}")
        ax.set_title(f"A = {amp:.2f}, φ = {phase:.2f}")
        ax.set_xlabel("x")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
