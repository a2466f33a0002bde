"""Trains four continual-learning agents with different seeds in parallel processes and gathers their error tables.

Each worker runs the seed's protocol (4 tasks x 20 epochs x 50 samples, replay from the second task on) and returns
its error table together with the trained agent itself: the agent comes back by pickle, through its checkpoint bytes
(weights, Adam state, memory, replay contents, RNG), and continues in the parent exactly as it would have in the child.

    python examples/parallel_agents.py [--seeds 0 1 2 3] [--workers 4] [--epochs 20]
"""
import argparse
import concurrent.futures
import copy
import multiprocessing
import time

import numpy as np

import mnemonet
from mnemonet.demo import format_error_table, run_continual_learning


PROBE = mnemonet.create_task_data(0, num_samples=20)  # task 1's test set


def train(seed, epochs):
    """One worker: an agent trained on the seed's tasks; returns (seed, error table, agent, probe error).

    The probe is measured on a deep copy (evaluation reads and writes the memory, as in the seed), so the agent that
    is returned is exactly the trained one."""
    agent, errors, _ = run_continual_learning(True, seed=seed, epochs=epochs, progress=False, verbose=False)
    return seed, errors, agent, copy.deepcopy(agent).evaluate(*PROBE)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # the portable start method (the default on macOS and Windows)
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
        results = list(pool.map(train, args.seeds, [args.epochs] * len(args.seeds)))
    wall = time.perf_counter() - t0

    for seed, errors, _, _ in results:
        print(format_error_table(errors, f"seed {seed}: test error (MSE) with replay"))
    final = np.array([errors[-1] for _, errors, _, _ in results])  # [seeds, tasks]: error on each task after the last
    print("\nafter the last task, mean ± std over seeds:")
    for task in range(final.shape[1]):
        spread = final[:, task].std(ddof=1) if len(final) > 1 else 0.0
        print(f"  task {task + 1}: {final[:, task].mean():.2e} ± {spread:.2e}")

    # The agents came back by pickle: each evaluates exactly as its worker's copy did.
    for seed, _, agent, probe in results:
        assert agent.evaluate(*PROBE) == probe, f"the agent of seed {seed} came back different"
    print(f"\n{len(results)} agents trained in {wall:.1f} s with {args.workers} worker processes; all came back "
          f"intact (task-1 error in the parent == in the worker), e.g. {results[0][2]!r}")


if __name__ == "__main__":
    main()
