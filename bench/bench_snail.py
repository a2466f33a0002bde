"""SNAIL training steps per second: mnemonet's native SNAIL against the PyTorch reference implementation
(tools/fixtures/make_snail_fixtures.py), same run, one thread each, interleaved.

Workload: one training step = forward + backward + clip_grad_norm_(1) + Adam(1e-3) on a batch of 32 few-shot
episodes, T = N·K + 1 (5-way 1-shot: T = 6; 5-way 5-shot: T = 26), input 64 pixels + 5 label slots, output 5
logits, cross-entropy on the query step, blocks [attention(32, 16), tc(32), attention(64, 32)] (the digits
benchmark's network). Both sides get the same arrays; the episode construction is not timed.

    python bench/bench_snail.py [--steps 30] [--rounds 5] [--json out.json]
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import mnemonet  # noqa: E402

BLOCKS = [("attention", 32, 16), ("tc", 32), ("attention", 64, 32)]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reference():
    spec = importlib.util.spec_from_file_location("snail_ref", os.path.join(ROOT, "tools", "fixtures",
                                                                            "make_snail_fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    ref = reference()
    results = []
    for shots in (1, 5):
        t = 5 * shots + 1
        rng = np.random.default_rng(0)
        x = rng.random((32, t, 69), dtype=np.float32)
        targets = np.zeros((32, t, 5), np.float32)
        targets[np.arange(32), :, rng.integers(0, 5, 32)] = 1
        weights = np.zeros((32, t), np.float32)
        weights[:, -1] = 1
        net = mnemonet.SNAIL(69, 5, t, blocks=BLOCKS, seed=0)
        tnet = ref.SNAIL(69, 5, t, BLOCKS)
        tnet.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
        opt = torch.optim.Adam(tnet.parameters(), lr=1e-3)
        tx, tt, tw = torch.from_numpy(x), torch.from_numpy(targets), torch.from_numpy(weights)

        def torch_step():
            opt.zero_grad()
            loss = ref.objective(tnet(tx), tt, tw, "cross_entropy")
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tnet.parameters(), 1.0)
            opt.step()

        def mn_step():
            net.train_step(x, targets, weights)

        for f in (torch_step, mn_step):
            for _ in range(3):
                f()
        times = {"torch": [], "mnemonet": []}
        cpu = {"torch": [], "mnemonet": []}  # process CPU time (one thread each): less sensitive to the machine's load
        for _ in range(args.rounds):  # interleaved rounds: both sides see the same machine load
            for name, f in (("torch", torch_step), ("mnemonet", mn_step)):
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in range(args.steps):
                    f()
                times[name].append((time.perf_counter() - t0) / args.steps)
                cpu[name].append((time.process_time() - c0) / args.steps)
        med = {k: float(np.median(v)) for k, v in times.items()}
        cmed = {k: float(np.median(v)) for k, v in cpu.items()}
        row = {"shots": shots, "T": t, "batch": 32, "torch_ms": med["torch"] * 1e3, "mnemonet_ms": med["mnemonet"] * 1e3,
               "speedup": med["torch"] / med["mnemonet"], "torch_cpu_ms": cmed["torch"] * 1e3,
               "mnemonet_cpu_ms": cmed["mnemonet"] * 1e3, "cpu_speedup": cmed["torch"] / cmed["mnemonet"],
               "parameters": net.parameter_count}
        results.append(row)
        print(f"5-way {shots}-shot (T={t}, batch 32, {net.parameter_count} parameters): PyTorch {row['torch_ms']:.2f} ms,"
              f" mnemonet {row['mnemonet_ms']:.2f} ms per training step -> {row['speedup']:.2f}x (CPU time"
              f" {row['torch_cpu_ms']:.2f} vs {row['mnemonet_cpu_ms']:.2f} ms -> {row['cpu_speedup']:.2f}x)", flush=True)
    out = {"benchmark": "snail_train_step", "torch": torch.__version__, "load_average": os.getloadavg(),
           "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    print(json.dumps({"load_average": out["load_average"]}))


if __name__ == "__main__":
    main()
