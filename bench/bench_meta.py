"""Meta-iterations per second: mnemonet's native MAML against a plain functional PyTorch MAML, same run, one thread.

Workload (Finn et al. 2017 sinusoid): MLP 1→40→40→1 ReLU, meta-batch 25 tasks, K = 10 support + 10 query points,
one inner step (α = 0.001), MSE, Adam(1e-3) outer step. Both sides include task sampling. Second order in PyTorch is
torch.autograd.grad(..., create_graph=True) through the inner step; first order detaches the inner gradient.

    python bench/bench_meta.py [--torch-iters 200] [--mnemonet-iters 3000] [--repeats 3] [--json out.json]

The two sides are timed in turn (--repeats rounds, medians), each as wall time and as process CPU time (user +
system): on a loaded machine the wall time mostly measures the wait for a core, the CPU time does not.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import mnemonet  # noqa: E402


def _timed(step, iterations: int) -> tuple:
    """(wall, CPU) seconds per call of `step`, over `iterations` calls."""
    t, c = time.perf_counter(), time.process_time()
    step(iterations)
    return (time.perf_counter() - t) / iterations, (time.process_time() - c) / iterations


def torch_maml(iterations: int, first_order: bool, warmup: int = 20) -> tuple:
    """(wall, CPU) seconds per meta-iteration of a plain functional PyTorch MAML."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 40), torch.nn.ReLU(), torch.nn.Linear(40, 40), torch.nn.ReLU(),
                              torch.nn.Linear(40, 1))
    params = list(net.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    alpha, batch, k = 0.001, 25, 10

    def forward(ps, x):
        h = torch.relu(x @ ps[0].T + ps[1])
        h = torch.relu(h @ ps[2].T + ps[3])
        return h @ ps[4].T + ps[5]

    def step():
        amp = torch.rand(batch, 1, 1) * 4.9 + 0.1
        phase = torch.rand(batch, 1, 1) * math.pi
        x = torch.rand(batch, 2 * k, 1) * 10 - 5
        y = amp * torch.sin(x + phase)
        opt.zero_grad()
        total = 0.0
        for i in range(batch):
            sx, sy, qx, qy = x[i, :k], y[i, :k], x[i, k:], y[i, k:]
            loss = torch.mean((forward(params, sx) - sy) ** 2)
            grads = torch.autograd.grad(loss, params, create_graph=not first_order)
            fast = [p - alpha * g for p, g in zip(params, grads)]
            total = total + torch.mean((forward(fast, qx) - qy) ** 2)
        (total / batch).backward()
        opt.step()

    for _ in range(warmup):
        step()

    def run(n):
        for _ in range(n):
            step()

    return _timed(run, iterations)


def mnemonet_maml(iterations: int, first_order: bool, warmup: int = 100, backend: str = "fused") -> tuple:
    """(wall, CPU) seconds per meta-iteration of mnemonet's native loop (MetaLearner.meta_train)."""
    learner = mnemonet.MetaLearner(mnemonet.MLP((1, 40, 40, 1), seed=0), algorithm="maml", inner_lr=0.001,
                                   first_order=first_order, seed=0, backend=backend)
    learner.meta_train(iterations=warmup, progress=False)
    return _timed(lambda n: learner.meta_train(iterations=n, progress=False, chunk=n), iterations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torch-iters", type=int, default=200)
    parser.add_argument("--mnemonet-iters", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    import torch

    results = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
               "threads": 1, "workload": "sinusoid MAML, 1-40-40-1 ReLU, meta-batch 25, K=10, 1 inner step",
               "repeats": args.repeats, "load_average_before": list(os.getloadavg()), "rows": []}
    for fo in (False, True):
        name = "first-order" if fo else "second-order"
        runs = {"torch": [], "fused": [], "composed": []}
        for _ in range(args.repeats):  # interleaved: each round times every side once
            runs["torch"].append(torch_maml(args.torch_iters, fo))
            runs["fused"].append(mnemonet_maml(args.mnemonet_iters, fo))
            runs["composed"].append(mnemonet_maml(max(args.mnemonet_iters // 10, 50), fo, warmup=20,
                                                  backend="composed"))
        med = {k: (float(np.median([r[0] for r in v])), float(np.median([r[1] for r in v]))) for k, v in runs.items()}
        (pt, pt_cpu), (mn, mn_cpu), (mc, mc_cpu) = med["torch"], med["fused"], med["composed"]
        row = {"variant": name, "torch_ms": pt * 1e3, "mnemonet_ms": mn * 1e3, "speedup": pt / mn,
               "torch_it_per_s": 1 / pt, "mnemonet_it_per_s": 1 / mn,
               "mnemonet_composed_ms": mc * 1e3, "composed_speedup": pt / mc,
               "torch_cpu_ms": pt_cpu * 1e3, "mnemonet_cpu_ms": mn_cpu * 1e3, "cpu_speedup": pt_cpu / mn_cpu,
               "mnemonet_composed_cpu_ms": mc_cpu * 1e3,
               "runs_ms": {k: [[w * 1e3, c * 1e3] for w, c in v] for k, v in runs.items()}}
        results["rows"].append(row)
        print(f"{name:>13}: PyTorch {pt * 1e3:7.3f} ms/meta-iteration ({1 / pt:7.1f} it/s)   "
              f"mnemonet fused {mn * 1e3:7.3f} ms ({1 / mn:7.1f} it/s, {pt / mn:5.1f}x)   "
              f"mnemonet composed (engine autodiff) {mc * 1e3:7.3f} ms ({pt / mc:5.1f}x)")
        print(f"{'':>13}  CPU time: PyTorch {pt_cpu * 1e3:7.3f} ms, mnemonet fused {mn_cpu * 1e3:7.3f} ms "
              f"({pt_cpu / mn_cpu:5.1f}x), composed {mc_cpu * 1e3:7.3f} ms ({pt_cpu / mc_cpu:5.1f}x)")
    results["load_average_after"] = list(os.getloadavg())
    print(f"load average before {results['load_average_before']}, after {results['load_average_after']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
