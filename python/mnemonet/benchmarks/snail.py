"""SNAIL benchmarks (Mishra et al. 2018), natively: few-shot digits, few-shot sinusoid vs MAML, bandit meta-RL.

``digits``   5-way 1-shot and 5-shot classification on scikit-learn's 8×8 digits: trained on episodes of digits 0–4
             (plus their rotations and mirror images as extra classes: 40), tested on episodes of the held-out digits 5–9;
             1-nearest-neighbour on the raw pixels of the same test episodes as the baseline. By default SNAIL has
             an embedding MLP (DIGITS_EMBEDDING, the validation winner: one linear layer 64 -> 128) over the 64
             pixels of each step; ``embedding=None`` (the CLI's ``--no-embedding``) has the blocks read [pixels,
             one-hot label] directly.
             ``validate=True`` (``--validate``) trains without base digits 3, 4 and scores on them instead, for
             model selection that never sees the test digits.
``sinusoid`` 5-shot sinusoid regression (Finn et al. 2017's task): SNAIL sees 5 labelled points then 5 query points;
             MAML (mnemonet.MetaLearner, 1→40→40→1 ReLU, one inner step) is trained on 5-shot tasks and adapted to
             the same test tasks' support points; query MSE of both.
``bandits``  Table 3: N pulls of K Bernoulli arms, p ~ U[0, 1]; SNAIL trained with A2C + GAE (in lr / entropy
             phases where ``BANDIT_PHASES`` has them; 3 seeds), evaluated sampling its actions (``snail``) and
             greedily (``snail_greedy``); the baselines (random, ε-greedy, UCB1, Thompson, Gittins index) run by
             mnemonet.bandits on the same test draws.
Every number is the mean over ``--seeds`` training seeds (± std over seeds); evaluation episodes are shared.
"""
from __future__ import annotations

import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from .. import bandits as bandit_lib
from .. import fewshot
from ..meta import MLP, MetaLearner
from ..snail import SNAIL

DIGITS_BLOCKS = (("attention", 32, 16), ("tc", 32), ("attention", 64, 32))
#: The digits benchmark's embedding network by default: one linear layer, 64 pixels -> 128 features per step
#: (DIGITS_EMBEDDING_FINAL_RELU False: no ReLU after it). Chosen on validation episodes only (``run_digits(
#: validate=True)``, the CLI's ``--validate``: held-out training digits 3 and 4, never the test digits 5-9) from no
#: embedding, one linear layer of 128 or of 64 and a 64-64 ReLU MLP, by the mean over 3 seeds of the two that led
#: after one seed (BENCHMARKS.md, "Few-shot digits"); ``--no-embedding`` / ``--embedding`` reach the others.
DIGITS_EMBEDDING = (128,)
DIGITS_EMBEDDING_FINAL_RELU = False
SINUSOID_BLOCKS = (("tc", 32), ("attention", 32, 32), ("tc", 32), ("attention", 32, 32))


def _mean_std(values: Sequence[float]) -> Dict[str, float]:
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0}


def run_digits(shots: Sequence[int] = (1, 5), iterations: int = 2000, seeds: int = 2, batch_size: int = 32,
               eval_episodes: int = 1000, lr: float = 1e-3, progress: bool = True,
               embedding: Optional[Sequence[int]] = DIGITS_EMBEDDING,
               embedding_final_relu: bool = DIGITS_EMBEDDING_FINAL_RELU, validate: bool = False) -> Dict:
    """5-way K-shot digits for each K in ``shots``; returns a JSON-ready summary. ``embedding``: the layer sizes
    of the embedding MLP over each step's pixels (None: no embedding network). ``validate``: model selection —
    train on the training digits minus the validation digits (``fewshot.digits_validation_episodes``: all classes
    of base digits 3 and 4 held out) and score on ``eval_episodes`` validation episodes (seed 20000 + K); the test
    digits 5–9 are not loaded. Otherwise train on all 40 training classes and score on the test episodes (seed
    10000 + K)."""
    embedding = tuple(embedding) if embedding else None
    out = {"task": "digits", "split": "validation" if validate else "test",
           "validation_digits": list(fewshot.digits_validation_digits()) if validate else None, "ways": 5,
           "iterations": iterations, "batch_size": batch_size, "seeds": seeds,
           "eval_episodes": eval_episodes, "blocks": [list(b) for b in DIGITS_BLOCKS],
           "embedding": list(embedding) if embedding else None,
           "embedding_final_relu": embedding_final_relu if embedding else None, "lr": lr, "results": []}
    for k in shots:
        if validate:
            train, scored = fewshot.digits_validation_episodes(5, k)
            eval_seed = 20_000 + k
        else:
            train, scored = fewshot.digits_episodes(5, k)
            eval_seed = 10_000 + k
        x, targets, weights, episodes = scored.sample(eval_episodes, np.random.default_rng(eval_seed),
                                                      return_episodes=True)
        nn_acc = float(fewshot.nearest_neighbour_accuracy(episodes).mean())
        accs, times, cpu, losses = [], [], [], []
        for s in range(seeds):
            emb = {} if embedding is None else {"embedding": embedding, "embedding_inputs": train.features,
                                                "embedding_final_relu": embedding_final_relu}
            net = SNAIL(train.input_size, 5, train.sequence_length, blocks=DIGITS_BLOCKS, lr=lr, seed=s, **emb)
            t0, c0 = time.perf_counter(), time.process_time()
            history = net.fit(train, iterations=iterations, batch_size=batch_size, progress=progress, seed=s)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            losses.append(float(np.mean(history[-100:])))
            accs.append(float(fewshot.query_accuracy(net.forward(x), targets).mean()))
        out["results"].append({"shots": k, "train_classes": len(train.classes), "eval_classes": len(scored.classes),
                               "snail_accuracy": _mean_std(accs), "snail_accuracy_per_seed": accs,
                               "nearest_neighbour_accuracy": nn_acc, "train_seconds": _mean_std(times),
                               "train_cpu_seconds": _mean_std(cpu), "final_train_loss_per_seed": losses,
                               "parameters": net.parameter_count})
    return out


def run_sinusoid(shots: int = 5, iterations: int = 4000, maml_iterations: int = 4000, seeds: int = 2,
                 batch_size: int = 32, eval_tasks: int = 600, lr: float = 1e-3, progress: bool = True) -> Dict:
    """5-shot sinusoid: SNAIL vs MAML (inner lr 0.01, one step at training, 1 and 10 steps at test) on the same
    600 test tasks (5 support + 5 query points each)."""
    episodes = fewshot.SinusoidEpisodes(shots, shots)
    x, targets, weights, (sx, sy, qx, qy) = episodes.sample(eval_tasks, np.random.default_rng(777),
                                                            return_episodes=True)
    snail_mse, maml_mse, times, mtimes = [], {1: [], 10: []}, [], []
    for s in range(seeds):
        net = SNAIL(3, 1, episodes.sequence_length, blocks=SINUSOID_BLOCKS, lr=lr, seed=s)
        t0 = time.perf_counter()
        net.fit(episodes, iterations=iterations, batch_size=batch_size, loss="mse", progress=progress, seed=s)
        times.append(time.perf_counter() - t0)
        pred = net.forward(x)[:, shots:, 0]
        snail_mse.append(float(((pred - qy) ** 2).mean()))
        learner = MetaLearner(MLP((1, 40, 40, 1), seed=s), algorithm="maml", inner_lr=0.01, inner_steps=1, seed=s)
        t0 = time.perf_counter()
        learner.meta_train(iterations=maml_iterations, meta_batch_size=25, k_shot=shots, progress=progress)
        mtimes.append(time.perf_counter() - t0)
        for steps in (1, 10):
            errs = [float(((learner.adapt(sx[i][:, None], sy[i][:, None], num_steps=steps, lr=0.01)
                            .predict(qx[i][:, None])[:, 0] - qy[i]) ** 2).mean()) for i in range(eval_tasks)]
            maml_mse[steps].append(float(np.mean(errs)))
    return {"task": "sinusoid", "shots": shots, "queries": shots, "eval_tasks": eval_tasks, "seeds": seeds,
            "snail": {"iterations": iterations, "batch_size": batch_size, "blocks": [list(b) for b in SINUSOID_BLOCKS],
                      "lr": lr, "query_mse": _mean_std(snail_mse), "per_seed": snail_mse,
                      "train_seconds": _mean_std(times)},
            "maml": {"iterations": maml_iterations, "meta_batch_size": 25, "inner_lr": 0.01,
                     "query_mse_1_step": _mean_std(maml_mse[1]), "query_mse_10_steps": _mean_std(maml_mse[10]),
                     "train_seconds": _mean_std(mtimes)}}


#: (N, K) → (training iterations, blocks). N = 100 uses narrower blocks to fit this machine's budget (the T = 100
#: forward/backward dominates: ~4× cheaper at 16 filters than at 32).
BANDIT_SETTINGS = {
    (10, 5): (10000, (("tc", 32), ("attention", 32, 32))),
    (10, 10): (10000, (("tc", 32), ("attention", 32, 32))),
    (100, 5): (12000, (("tc", 16), ("attention", 16, 16))),
}

#: Half the updates at lr (entropy 0.01), a third at 0.3·lr (0.005), a sixth at 0.1·lr (0.002), batch 32.
LR_STEP_PHASES = ((1 / 2, 1.0, 0.01, 32), (1 / 3, 0.3, 0.005, 32), (1 / 6, 0.1, 0.002, 32))

#: (N, K) → training phases ``(fraction of the iterations, lr factor, entropy_coef, batch_size)``, run in order; the
#: lr factor multiplies ``lr``. A setting without an entry trains in one phase at ``lr``, ``entropy_coef`` and
#: ``batch_size``. At a constant lr of 1e-3 the N = 100 reward plateaus around 69–72 (the policy keeps moving
#: between updates); stepping lr and the entropy bonus down for the last half lifts it to Thompson's level, and at
#: N = 10 it adds ~0.2 (exploration log on validation draws: bench/results/snail_bandits_exploration.md).
BANDIT_PHASES = {key: LR_STEP_PHASES for key in BANDIT_SETTINGS}


def _phase_iterations(iterations: int, fractions: Sequence[float]) -> List[int]:
    """Split ``iterations`` by cumulative rounding of ``fractions`` (which sum to 1): the counts sum to it exactly."""
    edges = np.rint(np.cumsum(fractions) / np.sum(fractions) * iterations).astype(int)
    return np.diff(np.concatenate([[0], edges])).tolist()


def train_bandit_policy(net: SNAIL, pulls: int, iterations: int, phases=None, lr: float = 1e-3,
                        entropy_coef: float = 0.01, batch_size: int = 32, progress: bool = True) -> np.ndarray:
    """``iterations`` actor-critic updates of ``net`` on bandits of ``pulls`` pulls, in ``phases`` (tuples
    ``(fraction, lr factor, entropy_coef, batch_size)``; None: one phase at ``lr``, ``entropy_coef``,
    ``batch_size``). Leaves ``net.lr`` at the last phase's value. Returns the mean training reward per update."""
    phases = phases or ((1.0, 1.0, entropy_coef, batch_size),)
    history = []
    for count, (_, factor, entropy, batch) in zip(_phase_iterations(iterations, [f for f, *_ in phases]), phases):
        net.lr = lr * factor
        history.append(net.fit_bandits(pulls, iterations=count, batch_size=batch, entropy_coef=entropy,
                                       progress=progress))
    return np.concatenate(history)


def run_bandits(settings: Dict = None, seeds: int = 3, batch_size: int = 32, eval_episodes: int = 1000,
                lr: float = 1e-3, entropy_coef: float = 0.01, progress: bool = True, phases: Dict = None) -> Dict:
    """Table 3 for (N, K) → (iterations, blocks) in ``settings`` (phases per (N, K) from ``phases``, default
    ``BANDIT_PHASES``); rows {"N", "K", "method", "mean_reward", "ci95"}. SNAIL is evaluated twice on the same test
    episodes: ``snail`` samples its actions from the policy (as the paper), ``snail_greedy`` takes the argmax."""
    settings = settings or BANDIT_SETTINGS
    phases = BANDIT_PHASES if phases is None else phases
    rows: List[Dict] = []
    t_all = time.perf_counter()
    for (n, k), (iterations, blocks) in settings.items():
        p, u = bandit_lib.draw(eval_episodes, k, n, seed=12345)
        for method in bandit_lib.BASELINES:
            t0 = time.perf_counter()
            s = bandit_lib.summarize(bandit_lib.run_baseline(method, p, u, seed=1))
            rows.append({"N": n, "K": k, "method": method, **s, "seconds": time.perf_counter() - t0})
        plan = phases.get((n, k)) or ((1.0, 1.0, entropy_coef, batch_size),)
        totals = {"snail": [], "snail_greedy": []}
        times, cpu, final_train = [], [], []
        for seed in range(seeds):
            net = SNAIL.for_bandits(k, n, blocks=blocks, lr=lr, seed=seed)
            t0, c0 = time.perf_counter(), time.process_time()
            hist = train_bandit_policy(net, n, iterations, plan, lr=lr, progress=progress)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            final_train.append(float(hist[-100:].mean()) if len(hist) else None)
            totals["snail"].append(net.evaluate_bandits(p, u))
            totals["snail_greedy"].append(net.evaluate_bandits(p, u, greedy=True))
        for method, per_seed in totals.items():
            means = [float(r.mean()) for r in per_seed]
            s = bandit_lib.summarize(np.concatenate(per_seed))
            rows.append({"N": n, "K": k, "method": method, **s, "mean_reward_per_seed": means,
                         "std_over_seeds": float(np.std(means, ddof=1)) if seeds > 1 else None,
                         "actions": "argmax" if method == "snail_greedy" else "sampled",
                         # batch size and entropy bonus as they ran, per phase (the phases override the arguments)
                         "iterations": iterations, "batch_size": [ph[3] for ph in plan], "seeds": seeds,
                         "blocks": [list(b) for b in blocks], "lr": lr, "entropy_coef": [ph[2] for ph in plan],
                         "phases": [list(ph) for ph in plan], "discount": 0.99, "gae_lambda": 0.95,
                         "train_reward_last100_per_seed": final_train,
                         "seconds": float(np.sum(times)), "cpu_seconds": float(np.sum(cpu))})
        for method, value in bandit_lib.PAPER_TABLE3.get((n, k), {}).items():
            rows.append({"N": n, "K": k, "method": f"paper:{method}", "mean_reward": value, "ci95": None})
    return {"task": "bandits", "eval_episodes": eval_episodes, "rows": rows,
            "total_seconds": time.perf_counter() - t_all}


def format_bandits(summary: Dict) -> str:
    """A Markdown table: one line per (N, K), one column per method."""
    rows = summary["rows"]
    methods = ["random", "epsilon_greedy", "ucb1", "thompson", "gittins", "snail", "snail_greedy", "paper:snail",
               "paper:gittins"]
    lines = ["| N | K | " + " | ".join(methods) + " |", "|" + "---|" * (len(methods) + 2)]
    for n, k in dict.fromkeys((r["N"], r["K"]) for r in rows):
        cells = []
        for m in methods:
            r = next((r for r in rows if (r["N"], r["K"], r["method"]) == (n, k, m)), None)
            if r is not None and r.get("std_over_seeds") is not None:  # SNAIL: mean ± std over training seeds
                cells.append(f"{r['mean_reward']:.2f} ± {r['std_over_seeds']:.2f} (seeds)")
            else:
                cells.append("—" if r is None else f"{r['mean_reward']:.2f}" + (f" ± {r['ci95']:.2f}" if r["ci95"] else ""))
        lines.append(f"| {n} | {k} | " + " | ".join(cells) + " |")
    lines.append(f"total wall time {summary['total_seconds']:.0f} s")
    return "\n".join(lines)


def plot(summary: Dict, path: str) -> None:
    """A bar chart of the summary (bandits: mean reward per method per (N, K); digits: accuracy; sinusoid: MSE)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    if summary["task"] == "bandits":
        groups = list(dict.fromkeys((r["N"], r["K"]) for r in summary["rows"]))
        methods = ["random", "epsilon_greedy", "ucb1", "thompson", "gittins", "snail", "snail_greedy"]
        for j, m in enumerate(methods):
            vals = [next((r["mean_reward"] / n for r in summary["rows"] if (r["N"], r["K"], r["method"]) == (n, k, m)),
                         np.nan) for n, k in groups]
            ax.bar(np.arange(len(groups)) + j * 0.12, vals, 0.12, label=m)
        ax.set_xticks(np.arange(len(groups)) + 0.36, [f"N={n}, K={k}" for n, k in groups])
        ax.set_ylabel("mean reward per pull")
    elif summary["task"] == "digits":
        r = summary["results"]
        ax.bar(np.arange(len(r)) - 0.2, [x["snail_accuracy"]["mean"] for x in r], 0.4,
               yerr=[x["snail_accuracy"]["std"] for x in r], label="SNAIL")
        ax.bar(np.arange(len(r)) + 0.2, [x["nearest_neighbour_accuracy"] for x in r], 0.4, label="1-NN")
        ax.set_xticks(np.arange(len(r)), [f"5-way {x['shots']}-shot" for x in r])
        ax.set_ylabel("query accuracy (validation digits)" if summary.get("split") == "validation"
                      else "query accuracy (held-out digits)")
    else:
        vals = [summary["snail"]["query_mse"], summary["maml"]["query_mse_1_step"], summary["maml"]["query_mse_10_steps"]]
        ax.bar(range(3), [v["mean"] for v in vals], yerr=[v["std"] for v in vals])
        ax.set_xticks(range(3), ["SNAIL", "MAML 1 step", "MAML 10 steps"])
        ax.set_ylabel("5-shot query MSE")
    if summary["task"] != "sinusoid":
        ax.legend(ncol=6, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
