"""Engine benchmarks: mnemonet's Swift engine against PyTorch eager, one thread each, in the same process.

    python bench/bench_engine.py [--quick] [--json bench/results/engine.json]

Workloads (the Swift side runs inside mnemonet._native through the engine_bench_* hooks, timed in Swift with a
monotonic clock; the PyTorch side is timed here with time.perf_counter_ns; both report the median over `repeats` of
the mean time per iteration):
  lstm_step   one LSTM cell step, input 64, hidden 128, batch 1 and 64: forward only (no graph) and forward +
              backward of sum(h') + sum(c') into the parameter gradients (torch.nn.LSTMCell).
  op_overhead per element-wise op, chain of 100 ops y = (y + b) * a on 16-element tensors: no graph, recording the
              graph, recording + backward (per forward op).
  maml        one second-order (and first-order) MAML meta-gradient: MLP 1-40-40-1 (ReLU), 25 tasks, K = 10 support
              + 10 query points, one inner SGD step (no optimizer step).
"""
import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from mnemonet import _native as native  # noqa: E402

try:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
except ImportError:  # PyTorch is optional: mnemonet's figures are still reported
    torch = None


def timed(body, iterations, repeats):
    body()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        for _ in range(iterations):
            body()
        samples.append((time.perf_counter_ns() - t0) / iterations)
    return statistics.median(samples)


def torch_lstm(batch, backward, iterations, repeats):
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(64, 128)
    x, h, c = torch.rand(batch, 64) * 2 - 1, torch.rand(batch, 128) * 2 - 1, torch.rand(batch, 128) * 2 - 1
    if backward:
        def body():
            h1, c1 = cell(x, (h, c))
            (h1.sum() + c1.sum()).backward()
    else:
        def body():
            with torch.no_grad():
                cell(x, (h, c))
    return timed(body, iterations, repeats)


def torch_op_overhead(size, length, mode, iterations, repeats):
    a = (torch.rand(size) * 0.2 + 0.9).requires_grad_(mode > 0)
    b = (torch.rand(size) * 0.2 - 0.1).requires_grad_(mode > 0)
    x = torch.rand(size) * 2 - 1

    def body():
        y = x
        for _ in range(length):
            y = (y + b) * a
        if mode == 2:
            torch.autograd.grad(y.sum(), [a, b])

    if mode == 0:
        def run():
            with torch.no_grad():
                body()
        return timed(run, iterations, repeats) / (2 * length)
    return timed(body, iterations, repeats) / (2 * length)


def torch_maml(meta_batch, k, second_order, iterations, repeats):
    torch.manual_seed(0)
    shapes = [(40, 1), (40,), (40, 40), (40,), (1, 40), (1,)]
    fan_in = [1, 1, 40, 40, 40, 40]
    params = [((torch.rand(s) * 2 - 1) / f ** 0.5).requires_grad_() for s, f in zip(shapes, fan_in)]
    tasks = []
    for _ in range(meta_batch):
        amp, phase = 0.1 + 4.9 * torch.rand(1), torch.pi * torch.rand(1)
        xs, xq = torch.rand(k, 1) * 10 - 5, torch.rand(k, 1) * 10 - 5
        tasks.append((xs, amp * torch.sin(xs + phase), xq, amp * torch.sin(xq + phase)))

    def net(x, p):
        h = F.relu(F.linear(x, p[0], p[1]))
        h = F.relu(F.linear(h, p[2], p[3]))
        return F.linear(h, p[4], p[5])

    def body():
        total = 0
        for xs, ys, xq, yq in tasks:
            inner = F.mse_loss(net(xs, params), ys)
            gs = torch.autograd.grad(inner, params, create_graph=second_order)
            adapted = [p - 0.01 * g for p, g in zip(params, gs)]
            total = total + F.mse_loss(net(xq, adapted), yq)
        torch.autograd.grad(total / meta_batch, params)

    return timed(body, iterations, repeats)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    ap.add_argument("--json", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "engine.json"))
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0
    rep = 3 if args.quick else 7

    def it(n):
        return max(1, int(n * scale))

    rows = []

    def add(name, ours_ns, torch_ns):
        rows.append({"workload": name, "mnemonet_us": ours_ns / 1e3, "torch_us": None if torch_ns is None else torch_ns / 1e3,
                     "speedup": None if torch_ns is None else torch_ns / ours_ns})

    for batch in (1, 64):
        for backward in (False, True):
            n = it(2000 if batch == 1 else 300)
            ours = native.engine_bench_lstm(batch, 64, 128, backward=backward, iterations=n, repeats=rep)
            theirs = torch_lstm(batch, backward, n, rep) if torch else None
            add(f"LSTM cell 64->128, batch {batch}, {'forward+backward' if backward else 'forward (no graph)'}", ours, theirs)
    for mode, label in ((0, "no graph"), (1, "recording"), (2, "recording + backward")):
        n = it(300)
        ours = native.engine_bench_op_overhead(16, 50, mode, iterations=n, repeats=rep)
        theirs = torch_op_overhead(16, 50, mode, n, rep) if torch else None
        add(f"per element-wise op (16 floats), {label}", ours, theirs)
    for second in (True, False):
        n = it(20)
        ours = native.engine_bench_maml(25, 10, second_order=second, iterations=n, repeats=rep)
        theirs = torch_maml(25, 10, second, n, rep) if torch else None
        add(f"MAML meta-gradient, 25 tasks, K=10, MLP 1-40-40-1, {'second' if second else 'first'} order", ours, theirs)

    width = max(len(r["workload"]) for r in rows)
    print(f"{'workload':<{width}}  {'mnemonet µs':>12}  {'PyTorch µs':>11}  {'speed-up':>8}")
    for r in rows:
        t = "—" if r["torch_us"] is None else f"{r['torch_us']:.2f}"
        s = "—" if r["speedup"] is None else f"{r['speedup']:.1f}×"
        print(f"{r['workload']:<{width}}  {r['mnemonet_us']:>12.2f}  {t:>11}  {s:>8}")
    meta = {"python": platform.python_version(), "torch": torch.__version__ if torch else None,
            "machine": platform.machine(), "cpu_count": os.cpu_count(), "quick": args.quick}
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=2)
    print("wrote", args.json)


if __name__ == "__main__":
    main()
