"""MetaLearner over the agent's controller: task-4 error after k adaptation steps, and adapt() time vs PyTorch.

Protocol: the seed's agent (I=64, H=128, MemoryConfig()) trained on tasks 1-3 as in the seed demo (20 epochs x 50
samples, replay from task 2 on), seed 0. On task 4 (create_task_data(3)): support = its first 10 samples, query =
samples 10-19 of the seed's test set (create_task_data(3, 20); the first 10 test samples ARE the support samples,
the seed's data reuse). Errors are mean MSE from a copy of the agent's memory (adaptation never changes it).
Speed: one adapt(support, num_steps=5, lr=0.01) natively vs the seed's adapt made usable in PyTorch
(tools/fixtures/make_controller_adapt_fixtures.py: functional_call on the adapted parameters, per-sample forward on a
memory copy), one thread each, medians.

Usage: OPENBLAS_NUM_THREADS=1 python bench/bench_controller_adapt.py [--json bench/results/controller_adapt.json]
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

import mnemonet as mn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median_time(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    agent = mn.ContinualLearningAgent(seed=0)
    for task in range(3):
        X, Y = mn.create_task_data(task, num_samples=50)
        agent.fit(X, Y, epochs=20, use_replay=task > 0, progress=False)
    X, Y = mn.create_task_data(3, num_samples=50)
    TX, TY = mn.create_task_data(3, num_samples=20)
    sx, sy, qx, qy = X[:10], Y[:10], TX[10:], TY[10:]
    learner = mn.MetaLearner(agent.controller)
    rows = []
    for lr in (0.01, 0.1):
        for k in (0, 1, 5, 20):
            a = learner.adapt(sx, sy, num_steps=k, lr=lr)
            rows.append({"lr": lr, "steps": k, "support": a.support_losses[-1], "query": a.evaluate(qx, qy)})
            print(f"lr {lr:<5} steps {k:2d}: support {rows[-1]['support']:.4f}  query {rows[-1]['query']:.4f}")
    ours = median_time(lambda: learner.adapt(sx, sy, num_steps=5, lr=0.01), args.repeats)
    out = {"errors": rows, "adapt_ms": ours * 1e3}
    try:
        import torch
        torch.set_num_threads(1)
        sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
        from make_agent_fixtures import MemoryConfig, MemoryController, NeuralMemoryBank
        from make_controller_adapt_fixtures import UsableMetaLearner
        model = MemoryController(64, 128, MemoryConfig())
        model.load_state_dict({k: torch.from_numpy(v) for k, v in agent.controller.state_dict().items()})
        bank = NeuralMemoryBank(MemoryConfig())
        bank.memory = torch.from_numpy(agent.memory_bank.memory)
        bank.usage = torch.from_numpy(agent.memory_bank.usage)
        tl = UsableMetaLearner(model, bank)
        tsx, tsy = torch.from_numpy(sx), torch.from_numpy(sy)
        adapted, losses = tl.adapt(tsx, tsy, num_steps=5, lr=0.01)
        ref = learner.adapt(sx, sy, num_steps=5, lr=0.01)
        out["max_rel_loss_diff_vs_torch"] = float(np.max(np.abs(np.array(losses) - ref.support_losses)
                                                         / np.array(losses)))
        theirs = median_time(lambda: tl.adapt(tsx, tsy, num_steps=5, lr=0.01), args.repeats)
        out["torch_adapt_ms"] = theirs * 1e3
        out["speedup"] = theirs / ours
        print(f"adapt(10 samples, 5 steps): mnemonet {ours * 1e3:.2f} ms, PyTorch {theirs * 1e3:.2f} ms "
              f"({theirs / ours:.1f}x); losses agree to {out['max_rel_loss_diff_vs_torch']:.1e} rel")
    except ImportError:
        print(f"adapt(10 samples, 5 steps): mnemonet {ours * 1e3:.2f} ms (torch not installed)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
