"""Ray Tune sweeps over mnemonet: the continual agent on the seed's four tasks, and MAML's inner learning rate.

1. The agent (``ContinualLearningAgent``): memory size x learning rate x replay capacity (and ``replay_batch_size``
   when the agent has that argument), each trial trained on the seed's 4 tasks with replay, reporting forgetting:
   ``forgetting = mean over tasks e < T of (error on e after the last task - error on e right after learning e)``.
2. MAML on the sinusoid benchmark (Finn et al. 2017): the inner learning rate α, reporting the query MSE of fresh
   tasks after 1 and 10 adaptation steps.

Every trial runs its configuration with two seeds and reports mean ± std. Local (a laptop) by default; on a cluster
pass ``--address auto`` (or the head's address) and nothing else changes:

    python examples/ray_tune_sweep.py                  # ray.init() on this machine
    python examples/ray_tune_sweep.py --address auto   # ray.init(address="auto") on a running cluster
    python examples/ray_tune_sweep.py --smoke          # one tiny trial each (what the test runs)
"""
import argparse
import inspect
import tempfile
import time

import numpy as np
import ray
from ray import tune

import mnemonet
from mnemonet.demo import run_continual_learning

SEEDS = (0, 1)


def agent_trial(config):
    """One agent configuration, trained with each seed on the seed's 4 tasks; reports forgetting and final errors."""
    forgetting, final1, final_mean = [], [], []
    extra = {"replay_batch_size": config["replay_batch_size"]} if "replay_batch_size" in config else {}
    for seed in config["seeds"]:
        agent = mnemonet.ContinualLearningAgent(
            config=mnemonet.MemoryConfig(memory_size=config["memory_size"]), lr=config["lr"],
            replay_capacity=config["replay_capacity"], seed=seed, **extra)
        _, errors, _ = run_continual_learning(True, epochs=config["epochs"], seed=seed, progress=False, verbose=False,
                                              agent=agent)
        last = errors[-1]
        forgetting.append(np.mean([last[e] - errors[e][e] for e in range(len(errors) - 1)]))
        final1.append(last[0])
        final_mean.append(np.mean(last))
    tune.report({"forgetting": float(np.mean(forgetting)), "forgetting_std": float(np.std(forgetting)),
                 "final_error_task1": float(np.mean(final1)), "final_mean_error": float(np.mean(final_mean)),
                 "final_mean_error_std": float(np.std(final_mean))})


def maml_trial(config):
    """MAML meta-trained with one inner learning rate; reports the query MSE after 1 and 10 steps on fresh tasks."""
    after1, after10, diverged = [], [], 0
    for seed in config["seeds"]:
        learner = mnemonet.MetaLearner(mnemonet.MLP((1, 40, 40, 1), seed=seed), algorithm="maml",
                                       inner_lr=config["inner_lr"], seed=seed)
        learner.meta_train(iterations=config["iterations"], meta_batch_size=10, k_shot=10, progress=False)
        ev = learner.evaluate_sinusoid(num_tasks=200, k_shot=10, max_steps=10, lr=config["inner_lr"], seed=1000 + seed)
        after1.append(ev.mean(1))
        after10.append(ev.mean(10))
        diverged += ev.diverged(10)
    tune.report({"mse_after_1_step": float(np.mean(after1)), "mse_after_10_steps": float(np.mean(after10)),
                 "mse_after_10_steps_std": float(np.std(after10)), "diverged_tasks": diverged})


def _fit(trainable, space, metric, storage, name):
    tuner = tune.Tuner(tune.with_resources(trainable, {"cpu": 1}), param_space=space,
                       tune_config=tune.TuneConfig(metric=metric, mode="min"),
                       run_config=tune.RunConfig(name=name, storage_path=storage, verbose=0))
    grid = tuner.fit()
    rows = []
    for result in grid:
        if result.error:
            raise result.error
        rows.append({**{k: v for k, v in result.config.items() if k not in ("seeds", "epochs", "iterations")},
                     **{k: result.metrics[k] for k in result.metrics
                        if k.startswith(("forgetting", "final", "mse", "diverged"))}})
    return sorted(rows, key=lambda r: (not np.isfinite(r[metric]), r[metric]))  # a diverged (nan/inf) trial last


def run(smoke=False, storage=None, address=None):
    """Runs both sweeps; returns (agent rows, MAML rows), each sorted best first."""
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    storage = storage or tempfile.mkdtemp(prefix="mnemonet-tune-")
    seeds = SEEDS[:1] if smoke else SEEDS
    agent_space = {"memory_size": tune.grid_search([32] if smoke else [32, 128]),
                   "lr": tune.grid_search([1e-3] if smoke else [1e-3, 3e-3]),
                   "replay_capacity": tune.grid_search([5000] if smoke else [200, 5000]),
                   "epochs": 2 if smoke else 10, "seeds": seeds}
    if "replay_batch_size" in inspect.signature(mnemonet.ContinualLearningAgent).parameters:
        agent_space["replay_batch_size"] = tune.grid_search([8] if smoke else [4, 8, 16])
    maml_space = {"inner_lr": tune.grid_search([0.01] if smoke else [0.001, 0.01, 0.1]),
                  "iterations": 20 if smoke else 3000, "seeds": seeds}
    agent_rows = _fit(agent_trial, agent_space, "forgetting", storage, "agent")
    maml_rows = _fit(maml_trial, maml_space, "mse_after_10_steps", storage, "maml")
    return agent_rows, maml_rows


def _table(rows, columns):
    head = " | ".join(f"{c:>22}" for c in columns)
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(" | ".join(f"{r[c]:>22.4g}" if isinstance(r[c], float) else f"{r[c]:>22}" for c in columns))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", default=None, help='a Ray cluster ("auto" or host:port); default: start Ray here')
    ap.add_argument("--smoke", action="store_true", help="one tiny trial per sweep")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    agent_rows, maml_rows = run(smoke=args.smoke, address=args.address)
    wall = time.perf_counter() - t0
    keys = [k for k in ("memory_size", "lr", "replay_capacity", "replay_batch_size") if k in agent_rows[0]]
    print(f"Agent on the seed's 4 tasks (replay on; mean over seeds {SEEDS[:1] if args.smoke else SEEDS}), best first:")
    print(_table(agent_rows, keys + ["forgetting", "forgetting_std", "final_error_task1", "final_mean_error"]))
    print("\nMAML on the sinusoid (query MSE of 200 fresh 10-shot tasks), best first:")
    print(_table(maml_rows, ["inner_lr", "mse_after_1_step", "mse_after_10_steps", "mse_after_10_steps_std",
                             "diverged_tasks"]))
    print(f"\nwall time: {wall:.0f} s for {len(agent_rows) + len(maml_rows)} trials on "
          f"{int(ray.cluster_resources().get('CPU', 0))} CPUs")


if __name__ == "__main__":
    main()
