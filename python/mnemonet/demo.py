"""The seed tutorial's demo, natively: ``python -m mnemonet.demo``.

4 tasks x 20 epochs x 50 samples; after each task, evaluation on every task so far (20 test samples each). Runs the
agent with replay (from the second task on, as in the seed) and without, prints the seed's log, the error table and a
forgetting summary, and writes ``neural_memory_results.png`` (memory heatmap; error per task, with and without replay).
"""
from __future__ import annotations

import argparse
import time
from typing import List, Optional

from .agent import ContinualLearningAgent
from .tasks import create_task_data

__all__ = ["run_continual_learning", "run_continual_learning_demo"]


def run_continual_learning(use_replay: bool = True, num_tasks: int = 4, epochs: int = 20, num_samples: int = 50,
                           test_samples: int = 20, seed: Optional[int] = 0, progress: bool = True,
                           verbose: bool = True, agent: Optional[ContinualLearningAgent] = None):
    """Trains one agent task after task (the seed's loop); returns ``(agent, errors, seconds)``.

    ``errors[t][e]`` is the mean test MSE on task e after training task t. Replay is used from the second task on.
    """
    agent = agent if agent is not None else ContinualLearningAgent(seed=seed)
    errors: List[List[float]] = []
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
            print("\n  📊 Evaluation on all tasks:")
        row = []
        for eval_task in range(task_id + 1):
            error = agent.evaluate(*create_task_data(eval_task, num_samples=test_samples))
            row.append(error)
            if verbose:
                print(f"    Task {eval_task + 1}: Error = {error:.4f}")
        errors.append(row)
    return agent, errors, seconds


def format_error_table(errors, title):
    n = len(errors)
    lines = [title, "  after task | " + " ".join(f"{'task ' + str(e + 1):>9}" for e in range(n))]
    for t, row in enumerate(errors):
        lines.append(f"  {t + 1:>10} | " + " ".join(f"{v:9.2e}" for v in row))
    return "\n".join(lines)


def run_continual_learning_demo(output: Optional[str] = "neural_memory_results.png", seed: Optional[int] = 0,
                                progress: bool = True, show: bool = False, epochs: int = 20):
    """The seed's ``run_continual_learning_demo``, run with and without replay. Returns both error tables."""
    print("🧠 Neural Memory Agent - Continual Learning Demo\n")
    print("=" * 60)
    agent, with_replay, t_replay = run_continual_learning(True, seed=seed, progress=progress, epochs=epochs)
    print("\n" + "=" * 60 + "\nThe same agent without replay (the catastrophic-forgetting baseline):")
    _, without, t_plain = run_continual_learning(False, seed=seed, progress=progress, epochs=epochs)
    print("\n" + "=" * 60)
    print(format_error_table(with_replay, "Test error (MSE) with replay"))
    print(format_error_table(without, "Test error (MSE) without replay"))
    print("\nForgetting (task 1: error right after learning it → after the last task):")
    for name, table in (("with replay", with_replay), ("without replay", without)):
        before, after = table[0][0], table[-1][0]
        print(f"  {name:>15}: {before:.4f} → {after:.4f}  ({after / before:.3g}x)")
    steps = 3 * epochs * 50
    print(f"\nTraining time: {t_replay:.2f} s with replay, {t_plain:.2f} s without "
          f"({1e3 * t_replay / (steps + epochs * 50):.3f} / {1e3 * t_plain / (steps + epochs * 50):.3f} ms per train_step over all 4 tasks)")
    if output:
        from .plots import plot_results
        plot_results(agent.memory_bank.memory, with_replay, without, path=output, show=show)
        print(f"\n✅ Results saved to '{output}'")
    print("\n" + "=" * 60)
    print("🎯 Key Insights:")
    print("  • Memory bank stores compressed task representations")
    print("  • Experience replay mitigates catastrophic forgetting")
    print("  • Agent maintains performance on earlier tasks")
    print("  • Content-based addressing enables efficient retrieval")
    return with_replay, without


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m mnemonet.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--output", default="neural_memory_results.png", help="figure path ('' for none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    run_continual_learning_demo(args.output or None, seed=args.seed, progress=not args.no_progress, epochs=args.epochs)


if __name__ == "__main__":
    main()
