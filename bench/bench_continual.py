"""Continual-learning speed: one strategy's whole run (train 5 tasks + evaluate after each) in mnemonet against
the same strategy in PyTorch, in the same process, interleaved (A B A B …), on split digits, class-incremental.

  MER   mnemonet vs a plain PyTorch loop of the same algorithm (Riemer et al. 2019 Algorithm 1: per example, s
        batches of k rows = k−1 reservoir rows + the example, per-row SGD, within-batch Reptile β, across-batch γ;
        masked cross-entropy over the classes seen so far), same hyperparameters, one pass.
  naive mnemonet vs Avalanche 0.6 `Naive` (SGD, same lr / epochs / minibatch; Avalanche's loop with an evaluator
        that records nothing), when avalanche-lib is installed.

Both sides: MLP 64-100-100-10 (ReLU), float32, one thread. Reported: median wall seconds per run over --repeats,
the ratio, and each side's ACC (the two implementations should learn about equally well).

Usage:  python bench/bench_continual.py [--repeats 3] [--json bench/results/continual.json]
"""
import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from mnemonet import continual  # noqa: E402

H = dict(lr=0.05, epochs=20, batch_size=16, buffer_size=200, mer_beta=0.3, mer_gamma=1.0, mer_batches=5,
         mer_batch_rows=10)


def torch_mlp(torch, seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 100), torch.nn.ReLU(), torch.nn.Linear(100, 100),
                               torch.nn.ReLU(), torch.nn.Linear(100, 10))


def torch_accuracy_matrix_row(torch, model, stream, stage):
    row = []
    with torch.no_grad():
        for j, te in enumerate(stream.test):
            active = sorted(u for k in range(max(stage, j) + 1) for u in stream.units[k])
            z = model(torch.from_numpy(te.x))
            mask = torch.full((10,), float("-inf"))
            mask[active] = 0
            row.append(float(((z + mask).argmax(1).numpy() == te.y).mean()))
    return row


def torch_mer(stream, seed):
    """MER in plain PyTorch (same algorithm, masks and hyperparameters as mnemonet's MER plugin)."""
    import torch

    torch.set_num_threads(1)
    model = torch_mlp(torch, seed)
    params = list(model.parameters())
    rng = np.random.default_rng(seed)
    mem_x = np.zeros((H["buffer_size"], 64), np.float32)
    mem_y = np.zeros(H["buffer_size"], np.int64)
    count = seen = 0
    lr, beta, gamma, s, k = H["lr"], H["mer_beta"], H["mer_gamma"], H["mer_batches"], H["mer_batch_rows"]
    R = []
    for t, tr in enumerate(stream.train):
        active = sorted(u for q in range(t + 1) for u in stream.units[q])
        mask = torch.full((10,), float("-inf"))
        mask[active] = 0
        X = torch.from_numpy(tr.x)
        Y = torch.from_numpy(tr.y.astype(np.int64))
        for i in rng.permutation(len(tr)):
            before_a = [p.detach().clone() for p in params]
            for _ in range(s):
                if count > 0:
                    idx = rng.integers(0, count, size=k - 1)
                    bx = torch.cat([torch.from_numpy(mem_x[idx]), X[i:i + 1]])
                    by = torch.cat([torch.from_numpy(mem_y[idx]), Y[i:i + 1]])
                else:
                    bx, by = X[i:i + 1], Y[i:i + 1]
                before_w = [p.detach().clone() for p in params]
                for r in range(bx.shape[0]):
                    loss = torch.nn.functional.cross_entropy(model(bx[r:r + 1]) + mask, by[r:r + 1])
                    grads = torch.autograd.grad(loss, params)
                    with torch.no_grad():
                        for p, g in zip(params, grads):
                            p.sub_(lr * g)
                with torch.no_grad():
                    for p, w in zip(params, before_w):
                        p.copy_(w + beta * (p - w))
            with torch.no_grad():
                for p, a in zip(params, before_a):
                    p.copy_(a + gamma * (p - a))
            seen += 1
            if count < H["buffer_size"]:
                slot = count
                count += 1
            else:
                slot = int(rng.integers(0, seen))
            if slot < H["buffer_size"]:
                mem_x[slot] = tr.x[i]
                mem_y[slot] = tr.y[i]
        R.append(torch_accuracy_matrix_row(torch, model, stream, t))
    return np.array(R)


def avalanche_naive(stream, seed):
    """Avalanche 0.6 Naive with the same model, optimiser, epochs and minibatch."""
    import torch
    from avalanche.benchmarks.scenarios.deprecated.generic_benchmark_creation import (
        create_generic_benchmark_from_tensor_lists)
    from avalanche.training.plugins import EvaluationPlugin
    from avalanche.training.supervised import Naive

    torch.set_num_threads(1)
    bench = create_generic_benchmark_from_tensor_lists(
        train_tensors=[[torch.from_numpy(t.x), torch.from_numpy(t.y.astype(np.int64))] for t in stream.train],
        test_tensors=[[torch.from_numpy(t.x), torch.from_numpy(t.y.astype(np.int64))] for t in stream.test],
        task_labels=[0] * stream.num_tasks)
    model = torch_mlp(torch, seed)
    strategy = Naive(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=H["lr"]),
                     criterion=torch.nn.CrossEntropyLoss(), train_mb_size=H["batch_size"], train_epochs=H["epochs"],
                     eval_mb_size=1024, device="cpu", evaluator=EvaluationPlugin(loggers=[]))
    R = []
    for t, exp in enumerate(bench.train_stream):
        strategy.train(exp, num_workers=0)
        R.append(torch_accuracy_matrix_row(torch, model, stream, t))
    return np.array(R)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def compare(name, ours, theirs, repeats):
    a, b = [], []
    acc_a = acc_b = None
    for _ in range(repeats):
        dt, r = timed(ours)
        a.append(dt)
        acc_a = float(np.asarray(r)[-1].mean())
        dt, r = timed(theirs)
        b.append(dt)
        acc_b = float(np.asarray(r)[-1].mean())
    ma, mb = statistics.median(a), statistics.median(b)
    return {"strategy": name, "mnemonet_s": ma, "reference_s": mb, "ratio": mb / ma, "mnemonet_acc": acc_a,
            "reference_acc": acc_b, "mnemonet_runs_s": a, "reference_runs_s": b}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--skip-avalanche", action="store_true")
    args = ap.parse_args(argv)
    import torch

    stream = continual.split_digits("class", seed=args.seed)
    results = []
    mer_h = {k: H[k] for k in ("lr", "buffer_size", "mer_beta", "mer_gamma", "mer_batches", "mer_batch_rows")}
    results.append(dict(compare(
        "mer", lambda: continual.run(stream, "mer", seed=args.seed, epochs=1, **mer_h).accuracy_matrix,
        lambda: torch_mer(stream, args.seed), args.repeats), reference="plain PyTorch loop"))
    if not args.skip_avalanche:
        try:
            import avalanche
            nv = {k: H[k] for k in ("lr", "epochs", "batch_size")}
            results.append(dict(compare(
                "naive", lambda: continual.run(stream, "naive", seed=args.seed, **nv).accuracy_matrix,
                lambda: avalanche_naive(stream, args.seed), args.repeats),
                reference=f"Avalanche {avalanche.__version__} Naive"))
        except ImportError:
            print("avalanche-lib not installed: naive vs Avalanche skipped", file=sys.stderr)
    load = os.getloadavg()
    summary = {"torch": torch.__version__, "load_average": load, "repeats": args.repeats, "hyperparameters": H,
               "results": results}
    for r in results:
        print(f"{r['strategy']:<6} mnemonet {r['mnemonet_s']:.2f} s (ACC {r['mnemonet_acc']:.3f})   "
              f"{r['reference']} {r['reference_s']:.2f} s (ACC {r['reference_acc']:.3f})   ratio {r['ratio']:.1f}x")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
