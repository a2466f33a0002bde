"""The seed tutorial's demo, natively: ``python -m mnemonet.demo``.

4 tasks x 20 epochs x 50 samples, trained exactly as the seed does. After each task every task so far is evaluated
two ways:

* **held-out** (the numbers to trust): 20 fresh samples per task (``create_task_data(t, 20, split="test")``),
  evaluated without writing the memory (``evaluate(..., write_memory=False)``: the agent is unchanged);
* **the seed's protocol** (for comparison with the tutorial): ``create_task_data(t, 20)``, which are the first 20
  of the 50 *training* samples, evaluated with memory writes (``write_memory=True``), as the seed does.

It runs the agent with replay (from the second task on, as in the seed) and without, with the seed's zero memory and
with a symmetry-breaking random memory (``MemoryConfig(init="normal")``); prints the error tables, a forgetting
summary and the memory's slot diversity (effective rank), and writes ``neural_memory_results.png`` (memory heatmap;
held-out error per task with and without replay).

``python -m mnemonet.demo --compare-memory [--seeds 0 1 2] [--epochs 5]`` instead compares the two memories of
:class:`ContinualLearningAgent` — ``memory="seed"`` (the seed's bank, uniform writes) and ``memory="dnc"`` (the DNC's
memory access, allocation writes) — over seeds: held-out forgetting and the memory's effective rank, mean ± std.
"""
from __future__ import annotations

import argparse
import json
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from .agent import MEMORY_KINDS, ContinualLearningAgent
from .memory import MemoryConfig
from .tasks import create_task_data

__all__ = ["run_continual_learning", "run_continual_learning_demo", "forgetting", "compare_memories",
           "format_memory_comparison"]


def run_continual_learning(use_replay: bool = True, num_tasks: int = 4, epochs: int = 20, num_samples: int = 50,
                           test_samples: int = 20, seed: Optional[int] = 0, progress: bool = True,
                           verbose: bool = True, agent: Optional[ContinualLearningAgent] = None,
                           memory_init: str = "zeros", evaluation: str = "heldout"):
    """Trains one agent task after task (the seed's loop); returns ``(agent, errors, seconds)``.

    ``evaluation="heldout"`` (default): ``errors[t][e]`` is the mean MSE on held-out samples of task e after training
    task t, evaluated read-only (nothing but training changes the agent). ``"seed"``: the seed's "test error" (its
    first 20 training samples, evaluated with memory writes, which — as in the seed — also change the memory the
    next task starts from). ``"both"``: ``errors`` is ``{"heldout": table, "seed": table}`` (the held-out evaluation
    runs first at each point, so the training is exactly the seed's). Replay is used from the second task on.
    """
    if evaluation not in ("heldout", "seed", "both"):
        raise ValueError(f"evaluation must be 'heldout', 'seed' or 'both', got {evaluation!r}")
    seed_protocol = evaluation != "heldout"
    if agent is None:
        agent = ContinualLearningAgent(config=MemoryConfig(init=memory_init), seed=seed)
    errors: Dict[str, List[List[float]]] = {"heldout": []}
    if seed_protocol:
        errors["seed"] = []
    seconds = 0.0
    for task_id in range(num_tasks):
        if verbose:
            print(f"\n📚 Learning Task {task_id + 1}/{num_tasks}" + ("" if use_replay else " (no replay)"))
        X, Y = create_task_data(task_id, num_samples=num_samples)
        t0 = time.perf_counter()
        losses = agent.fit(X, Y, epochs=epochs, use_replay=use_replay and task_id > 0, progress=progress,
                           desc=f"task {task_id + 1}")
        seconds += time.perf_counter() - t0
        if verbose:
            for epoch in range(0, epochs, 5):
                print(f"  Epoch {epoch:2d}: Loss = {losses[epoch].mean():.4f}")
            print("\n  📊 Evaluation on all tasks (held-out" + (" | the seed's protocol):" if seed_protocol else "):"))
        held = [agent.evaluate(*create_task_data(e, test_samples, split="test")) for e in range(task_id + 1)]
        errors["heldout"].append(held)
        if seed_protocol:
            errors["seed"].append([agent.evaluate(*create_task_data(e, test_samples), write_memory=True)
                                   for e in range(task_id + 1)])
        if verbose:
            for e in range(task_id + 1):
                extra = f" | {errors['seed'][-1][e]:.4f}" if seed_protocol else ""
                print(f"    Task {e + 1}: Error = {held[e]:.4f}{extra}")
    if evaluation == "heldout":
        return agent, errors["heldout"], seconds
    if evaluation == "seed":
        return agent, errors["seed"], seconds
    return agent, errors, seconds


def forgetting(table) -> float:
    """Average forgetting: the mean over all but the last task of (final error − error right after learning it)."""
    n = len(table)
    if n < 2:
        return 0.0
    return sum(table[-1][e] - table[e][e] for e in range(n - 1)) / (n - 1)


def format_error_table(errors, title):
    n = len(errors)
    lines = [title, "  after task | " + " ".join(f"{'task ' + str(e + 1):>9}" for e in range(n))]
    for t, row in enumerate(errors):
        lines.append(f"  {t + 1:>10} | " + " ".join(f"{v:9.2e}" for v in row))
    return "\n".join(lines)


def run_continual_learning_demo(output: Optional[str] = "neural_memory_results.png", seed: Optional[int] = 0,
                                progress: bool = True, show: bool = False, epochs: int = 20):
    """The seed's ``run_continual_learning_demo``, run with and without replay, from a zero and a random memory.
    Returns ``{(memory_init, replay): errors}`` (see :func:`run_continual_learning`)."""
    print("🧠 Neural Memory Agent - Continual Learning Demo\n")
    print("=" * 60)
    results, agents, times = {}, {}, {}
    for init in ("zeros", "normal"):
        for replay in (True, False):
            verbose = init == "zeros"
            if verbose and not replay:
                print("\n" + "=" * 60 + "\nThe same agent without replay (the catastrophic-forgetting baseline):")
            agent, errors, sec = run_continual_learning(replay, seed=seed, progress=progress, epochs=epochs,
                                                        memory_init=init, verbose=verbose, evaluation="both")
            results[init, replay], agents[init, replay], times[init, replay] = errors, agent, sec
    print("\n" + "=" * 60)
    for replay in (True, False):
        name = "with replay" if replay else "without replay"
        print(format_error_table(results["zeros", replay]["heldout"], f"Held-out error (MSE), {name}"))
    for replay in (True, False):
        name = "with replay" if replay else "without replay"
        print(format_error_table(results["zeros", replay]["seed"],
                                 f"The seed's protocol (first 20 training samples, memory written), {name}"))
    print("\nForgetting of task 1 (error right after learning it → after the last task) and average forgetting:")
    print(f"  {'memory init':>11} | {'replay':>6} | {'held-out task 1':>22} | {'avg':>8} | {'seed protocol task 1':>22}"
          f" | {'effective rank':>14}")
    for (init, replay), errors in results.items():
        h, s = errors["heldout"], errors["seed"]
        rank = agents[init, replay].memory_bank.effective_rank()
        print(f"  {init:>11} | {'yes' if replay else 'no':>6} | {h[0][0]:9.4f} → {h[-1][0]:9.4f} | "
              f"{forgetting(h):8.4f} | {s[0][0]:9.4f} → {s[-1][0]:9.4f} | {rank:14.2f}")
    bank = agents["zeros", True].memory_bank
    normal = agents["normal", True].memory_bank
    start = ContinualLearningAgent(config=MemoryConfig(init="normal"), seed=seed).memory_bank.effective_rank()
    print(f"\nWhat the memory holds: with the seed's zero initialisation every slot is addressed alike and the "
          f"uniform writes keep the slots identical — effective rank {bank.effective_rank():.2f} of "
          f"{min(bank.memory_size, bank.memory_dim)}, largest spread across slots {bank.slot_spread():.1e}: the "
          f"memory is one vector repeated, not a store of task representations. A random initial memory "
          f"(MemoryConfig(init=\"normal\")) starts at effective rank {start:.1f} and ends at "
          f"{normal.effective_rank():.2f} (spread {normal.slot_spread():.1e}): the near-uniform erase/add writes "
          f"wash the differences out, and forgetting barely changes (table above, one seed). Slot-specific "
          f"writes need sharper addressing or allocation: ContinualLearningAgent(memory=\"dnc\") writes with the "
          f"DNC's allocation; `python -m mnemonet.demo --compare-memory --seeds 0 1 2` compares the two memories' "
          f"slot diversity and forgetting over seeds.")
    steps = num_steps = 4 * epochs * 50
    t_replay, t_plain = times["zeros", True], times["zeros", False]
    print(f"\nTraining time: {t_replay:.2f} s with replay, {t_plain:.2f} s without "
          f"({1e3 * t_replay / steps:.3f} / {1e3 * t_plain / num_steps:.3f} ms per train_step over all 4 tasks)")
    if output:
        from .plots import plot_results
        plot_results(agents["zeros", True].memory_bank, results["zeros", True]["heldout"],
                     results["zeros", False]["heldout"], path=output, show=show)
        print(f"\n✅ Results saved to '{output}' (held-out errors)")
    print("\n" + "=" * 60)
    print("🎯 Key Insights (measured above):")
    print("  • Experience replay mitigates catastrophic forgetting on held-out data")
    print("  • The seed's 'test error' is a training error (its test samples are its first training samples)")
    print("  • From the seed's zero memory the slots stay identical: the bank holds no per-task content")
    return results


def compare_memories(seeds: Sequence[int] = (0, 1, 2), memories: Sequence[str] = MEMORY_KINDS, epochs: int = 5,
                     config: Optional[MemoryConfig] = None, replay: Sequence[bool] = (True, False),
                     progress: bool = False) -> dict:
    """The demo's protocol (4 tasks × ``epochs`` × 50 samples, replay from the second task) for each memory kind,
    replay setting and seed, evaluated on held-out samples (read-only).

    Returns
    -------
    dict
        ``{"config", "epochs", "seeds", "rows": [{"memory", "replay", "runs": [...], <metric>: {"mean", "std"}}]}``
        with metrics ``task1_after_learning``, ``task1_final`` (held-out MSE of task 1 right after learning it and
        after the last task), ``average_forgetting``, ``final_error`` (mean over tasks after the last),
        ``effective_rank`` and ``slot_spread`` of the memory at the end, and ``seconds``: CPU seconds of the run
        (training and evaluation; CPU time, because wall time on a loaded machine measures the other processes).
    """
    config = config if config is not None else MemoryConfig()
    rows = []
    metrics = ("task1_after_learning", "task1_final", "average_forgetting", "final_error", "effective_rank",
               "slot_spread", "seconds")
    for memory in memories:
        for use_replay in replay:
            runs = []
            for seed in seeds:
                agent = ContinualLearningAgent(config=config, seed=seed, memory=memory)
                cpu = time.process_time()
                agent, errors, _ = run_continual_learning(use_replay, epochs=epochs, seed=seed, progress=progress,
                                                          verbose=False, agent=agent)
                sec = time.process_time() - cpu
                runs.append({"seed": int(seed), "errors": errors, "task1_after_learning": errors[0][0],
                             "task1_final": errors[-1][0], "average_forgetting": forgetting(errors),
                             "final_error": float(np.mean(errors[-1])),
                             "effective_rank": agent.memory_bank.effective_rank(),
                             "slot_spread": agent.memory_bank.slot_spread(), "seconds": sec})
            row = {"memory": memory, "replay": bool(use_replay), "runs": runs}
            for m in metrics:
                v = [r[m] for r in runs]
                row[m] = {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else None}
            rows.append(row)
    return {"config": {"memory_size": config.memory_size, "memory_dim": config.memory_dim,
                       "num_read_heads": config.num_read_heads}, "epochs": epochs, "seeds": [int(s) for s in seeds],
            "rows": rows}


def format_memory_comparison(summary: dict) -> str:
    """The comparison as a text table (mean ± std over seeds)."""
    def cell(d, fmt):
        return fmt.format(d["mean"]) + ("" if d["std"] is None else " ± " + fmt.format(d["std"]))
    c = summary["config"]
    lines = [f"Held-out MSE and memory diversity, {c['memory_size']}×{c['memory_dim']} memory, {summary['epochs']} "
             f"epochs per task, seeds {summary['seeds']} (mean ± std)",
             f"  {'memory':>6} | {'replay':>6} | {'task 1 after learning':>21} | {'task 1 at the end':>19} | "
             f"{'avg forgetting':>17} | {'final mean error':>17} | {'effective rank':>14} | {'CPU s':>9}"]
    for r in summary["rows"]:
        lines.append(f"  {r['memory']:>6} | {'yes' if r['replay'] else 'no':>6} | "
                     f"{cell(r['task1_after_learning'], '{:.3f}'):>21} | {cell(r['task1_final'], '{:.3f}'):>19} | "
                     f"{cell(r['average_forgetting'], '{:.3f}'):>17} | {cell(r['final_error'], '{:.3f}'):>17} | "
                     f"{cell(r['effective_rank'], '{:.2f}'):>14} | {cell(r['seconds'], '{:.1f}'):>9}")
    lines.append(f"  (effective rank of M at the end, at most {min(c['memory_size'], c['memory_dim'])}; "
                 f"1 = every slot holds the same vector)")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m mnemonet.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--output", default="neural_memory_results.png", help="figure path ('' for none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=None, help="epochs per task (demo: 20, --compare-memory: 5)")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--compare-memory", action="store_true",
                    help="compare memory='seed' and memory='dnc' over --seeds instead of the demo")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of --compare-memory")
    ap.add_argument("--json", action="store_true", help="with --compare-memory: print strict JSON")
    args = ap.parse_args(argv)
    if args.compare_memory:
        epochs = args.epochs if args.epochs is not None else 5
        summary = compare_memories(args.seeds, epochs=epochs, progress=not args.no_progress)
        if args.json:
            print(json.dumps(summary, allow_nan=False))
        else:
            print(format_memory_comparison(summary))
            print(f"\ncommand: python -m mnemonet.demo --compare-memory --seeds {' '.join(map(str, args.seeds))} "
                  f"--epochs {epochs}")
        return
    run_continual_learning_demo(args.output or None, seed=args.seed, progress=not args.no_progress,
                                epochs=args.epochs if args.epochs is not None else 20)


if __name__ == "__main__":
    main()
