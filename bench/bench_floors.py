"""Issue 13's speed goals: what bounds them on this machine, measured in the same run as the PyTorch reference.

For (a), the seed agent's train_step without replay, and (b), the second-order MAML meta-iteration (sinusoid,
meta-batch 25, K = 10), each round measures, interleaved:

  reference   PyTorch's time (the seed's code without replay, as bench/bench_agent.py runs it; the functional MAML of
              bench/bench_meta.py), CPU time per step, one thread;
  mnemonet    its time per step (process CPU time, child process without any shim);
  BLAS share  the time the same mnemonet workload spends inside OpenBLAS calls, measured in the real workload by the
              LD_PRELOAD shim bench/blas_timer.c (child process; the shim's own clock reads subtracted);
  BLAS floor  exactly those calls (function, shape, count per step) replayed in a tight loop on the same libopenblas,
              warm operands, no mnemonet code (bench/floor_blas.c): what OpenBLAS's own kernels cost for one step;
and for (a) the phases of a step without replay, each run alone (the agent's bench_plain_step_phases hook: checks and
snapshot, forward, loss, replay push, pullback, gradient norms, Adam), plus the memory traffic of an optimizer over
the agent's 92k trainable parameters (floor_blas.c: three arrays read and written once).

The bounds reported: ratio ≤ reference / BLAS floor (nothing outside OpenBLAS can beat its own kernels), and, for (a),
reference / (BLAS floor + Adam alone), since PyTorch's Adam semantics (within 1e-6) must be kept.

    cc -O2 -shared -fPIC bench/blas_timer.c -o /tmp/blas_timer.so -ldl
    cc -O3 -march=native bench/floor_blas.c -o /tmp/floor_blas -lopenblas
    python bench/bench_floors.py --rounds 3 [--json bench/results/floors.json]

The first-fill floor of goal (c) is measured by bench/bench_replay.py --floor (bench/floor_fill.c).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

AGENT_STEPS = 2000
MAML_ITERS = 1000


def _agent_workload():
    """A seed agent after 200 warm-up steps, and the task-0 data (50 samples) it trains on."""
    import mnemonet

    agent = mnemonet.ContinualLearningAgent(seed=0)
    X, Y = mnemonet.create_task_data(0, 50)
    agent.fit(X, Y, epochs=4, use_replay=False, progress=False)
    return agent, X, Y


def _maml_workload():
    import mnemonet

    learner = mnemonet.MetaLearner(mnemonet.MLP((1, 40, 40, 1), seed=0), algorithm="maml", inner_lr=0.001,
                                   first_order=False, seed=0)
    learner.meta_train(iterations=100, progress=False)
    return learner


def child(kind):
    """Runs in a child process (with or without the shim): prints one JSON line."""
    timer = None
    try:
        lib = ctypes.CDLL(None)
        lib.blas_timer_reset  # noqa: B018 - present only under LD_PRELOAD
        timer = lib
        for name in ("blas_timer_total_ns", "blas_timer_calls", "blas_timer_overhead_ns"):
            getattr(timer, name).restype = ctypes.c_uint64
    except AttributeError:
        timer = None
    out = {"shim": timer is not None}
    if kind == "agent":
        agent, X, Y = _agent_workload()
        epochs = AGENT_STEPS // len(X)
        if timer:
            timer.blas_timer_reset()
        c0 = time.process_time()
        agent.fit(X, Y, epochs=epochs, use_replay=False, progress=False)
        out["cpu_ns_per_step"] = (time.process_time() - c0) / (epochs * len(X)) * 1e9
        steps = epochs * len(X)
        if not timer:
            fresh, X, Y = _agent_workload()
            names = ["train_step", "checks_snapshot_copy", "forward", "loss", "replay_record_push", "pullback",
                     "gradient_norms", "adam"]
            ns = fresh._agent.bench_plain_step_phases(X[0], Y[0], iterations=500, repeats=7)
            out["phases_ns"] = dict(zip(names, ns))
    else:
        learner = _maml_workload()
        if timer:
            timer.blas_timer_reset()
        c0 = time.process_time()
        learner.meta_train(iterations=MAML_ITERS, progress=False, chunk=MAML_ITERS)
        out["cpu_ns_per_step"] = (time.process_time() - c0) / MAML_ITERS * 1e9
        steps = MAML_ITERS
    if timer:
        calls = timer.blas_timer_calls()
        overhead = timer.blas_timer_overhead_ns() / 2  # one clock read per call falls inside its interval
        out["blas_ns_per_step"] = (timer.blas_timer_total_ns() - overhead * calls) / steps
        out["blas_calls_per_step"] = calls / steps
        out["timer_read_ns"] = overhead
        dump = os.environ["BLAS_TIMER_DUMP"]
        timer.blas_timer_dump(dump.encode())
        out["steps"] = steps
    print(json.dumps(out))


def run_child(kind, shim):
    env = dict(os.environ)
    if shim:
        env["LD_PRELOAD"] = shim
        fd, dump = tempfile.mkstemp(suffix=".blas")
        os.close(fd)
        env["BLAS_TIMER_DUMP"] = dump
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", kind], env=env, check=True,
                       capture_output=True, text=True)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    if shim:
        out["dump"] = dump
    return out


def blas_floor(program, dump, steps, traffic=0):
    r = subprocess.run([program, dump, str(steps), "7", str(traffic)], check=True, capture_output=True, text=True)
    return json.loads(r.stdout)


def torch_agent_ms():
    import bench_agent

    seed_module = bench_agent.load_seed_module()
    return bench_agent.torch_demo(seed_module, False)[1]


def torch_maml_ms(iters):
    import bench_meta

    return bench_meta.torch_maml(iters, first_order=False)[1] * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shim", default="/tmp/blas_timer.so")
    ap.add_argument("--floor-blas", default="/tmp/floor_blas")
    ap.add_argument("--torch-maml-iters", type=int, default=60)
    ap.add_argument("--json", default=os.path.join(HERE, "results", "floors.json"))
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    import torch
    import mnemonet

    torch.set_num_threads(1)
    agent = mnemonet.ContinualLearningAgent(seed=0)
    sd = agent.controller.state_dict()
    frozen = ("lstm.weight_hh_l0", "write_key", "write_vector", "erase_vector", "write_strength")
    trainable = int(sum(v.size for k, v in sd.items() if not k.startswith(frozen)))
    del agent
    result = {"blas": mnemonet.blas_info(), "torch": torch.__version__, "load_average_before": list(os.getloadavg()),
              "utc_start": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "trainable_parameters": trainable,
              "rounds": []}
    for r in range(args.rounds):
        row = {}
        row["agent_torch_ms"] = torch_agent_ms()
        row["agent_plain"] = run_child("agent", None)
        row["agent_timed"] = run_child("agent", args.shim)
        row["agent_floor"] = blas_floor(args.floor_blas, row["agent_timed"]["dump"], row["agent_timed"]["steps"],
                                        traffic=trainable)
        row["maml_torch_ms"] = torch_maml_ms(args.torch_maml_iters)
        row["maml_plain"] = run_child("maml", None)
        row["maml_timed"] = run_child("maml", args.shim)
        row["maml_floor"] = blas_floor(args.floor_blas, row["maml_timed"]["dump"], row["maml_timed"]["steps"])
        result["rounds"].append(row)
        a, m = row["agent_plain"], row["maml_plain"]
        print(f"round {r + 1}/{args.rounds}: agent PyTorch {row['agent_torch_ms']:.3f} ms, mnemonet "
              f"{a['cpu_ns_per_step'] / 1e3:.1f} us, in OpenBLAS {row['agent_timed']['blas_ns_per_step'] / 1e3:.1f} us, "
              f"BLAS floor {row['agent_floor']['blas_ns_per_step'] / 1e3:.1f} us, Adam {a['phases_ns']['adam'] / 1e3:.1f}"
              f" us | MAML PyTorch {row['maml_torch_ms']:.2f} ms, mnemonet {m['cpu_ns_per_step'] / 1e3:.1f} us, in "
              f"OpenBLAS {row['maml_timed']['blas_ns_per_step'] / 1e3:.1f} us, BLAS floor "
              f"{row['maml_floor']['blas_ns_per_step'] / 1e3:.1f} us", flush=True)
    result["load_average_after"] = list(os.getloadavg())
    result["utc_end"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    rs = result["rounds"]

    def med(f):
        return statistics.median(f(x) for x in rs)

    s = {
        "agent_torch_us": med(lambda x: x["agent_torch_ms"] * 1e3),
        "agent_us": med(lambda x: x["agent_plain"]["cpu_ns_per_step"] / 1e3),
        "agent_timed_us": med(lambda x: x["agent_timed"]["cpu_ns_per_step"] / 1e3),
        "agent_in_blas_us": med(lambda x: x["agent_timed"]["blas_ns_per_step"] / 1e3),
        "agent_blas_calls_per_step": med(lambda x: x["agent_timed"]["blas_calls_per_step"]),
        "agent_blas_floor_us": med(lambda x: x["agent_floor"]["blas_ns_per_step"] / 1e3),
        "adam_traffic_floor_us": med(lambda x: x["agent_floor"]["traffic_ns"] / 1e3),
        "agent_phases_us": {k: med(lambda x, k=k: x["agent_plain"]["phases_ns"][k] / 1e3)
                            for k in rs[0]["agent_plain"]["phases_ns"]},
        "maml_torch_us": med(lambda x: x["maml_torch_ms"] * 1e3),
        "maml_us": med(lambda x: x["maml_plain"]["cpu_ns_per_step"] / 1e3),
        "maml_timed_us": med(lambda x: x["maml_timed"]["cpu_ns_per_step"] / 1e3),
        "maml_in_blas_us": med(lambda x: x["maml_timed"]["blas_ns_per_step"] / 1e3),
        "maml_blas_calls_per_step": med(lambda x: x["maml_timed"]["blas_calls_per_step"]),
        "maml_blas_floor_us": med(lambda x: x["maml_floor"]["blas_ns_per_step"] / 1e3),
    }
    adam = s["agent_phases_us"]["adam"]
    s["agent_ratio"] = s["agent_torch_us"] / s["agent_us"]
    s["agent_ratio_bound_blas"] = s["agent_torch_us"] / s["agent_blas_floor_us"]
    s["agent_ratio_bound_blas_adam"] = s["agent_torch_us"] / (s["agent_blas_floor_us"] + adam)
    s["agent_per_round_ratio"] = [x["agent_torch_ms"] * 1e6 / x["agent_plain"]["cpu_ns_per_step"] for x in rs]
    s["maml_ratio"] = s["maml_torch_us"] / s["maml_us"]
    s["maml_ratio_bound_blas"] = s["maml_torch_us"] / s["maml_blas_floor_us"]
    s["maml_blas_share"] = s["maml_in_blas_us"] / s["maml_timed_us"]
    s["maml_per_round_ratio"] = [x["maml_torch_ms"] * 1e6 / x["maml_plain"]["cpu_ns_per_step"] for x in rs]
    result["summary"] = s
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    print(f"\n{args.rounds} rounds, medians, CPU time; {result['utc_start']}–{result['utc_end']} UTC, load average "
          f"before {result['load_average_before']}, after {result['load_average_after']}; OpenBLAS core "
          f"{result['blas']['core']}")
    print(f"(a) agent step without replay: PyTorch {s['agent_torch_us']:.0f} us, mnemonet {s['agent_us']:.1f} us "
          f"({s['agent_ratio']:.1f}x; rounds {', '.join(f'{v:.1f}' for v in s['agent_per_round_ratio'])})")
    print(f"    inside OpenBLAS {s['agent_in_blas_us']:.1f} us of {s['agent_timed_us']:.1f} us (shimmed run, "
          f"{s['agent_blas_calls_per_step']:.0f} calls per step); the same calls alone {s['agent_blas_floor_us']:.1f} us")
    print("    phases alone (us): " + ", ".join(f"{k} {v:.2f}" for k, v in s["agent_phases_us"].items()))
    print(f"    Adam's state traffic over {trainable} parameters: {s['adam_traffic_floor_us']:.1f} us")
    print(f"    bound: PyTorch / BLAS floor = {s['agent_ratio_bound_blas']:.0f}x; PyTorch / (BLAS floor + Adam) = "
          f"{s['agent_ratio_bound_blas_adam']:.0f}x")
    print(f"(b) MAML second order: PyTorch {s['maml_torch_us']:.0f} us, mnemonet {s['maml_us']:.1f} us "
          f"({s['maml_ratio']:.1f}x; rounds {', '.join(f'{v:.1f}' for v in s['maml_per_round_ratio'])})")
    print(f"    inside OpenBLAS {s['maml_in_blas_us']:.1f} us of {s['maml_timed_us']:.1f} us ({100 * s['maml_blas_share']:.0f}%,"
          f" {s['maml_blas_calls_per_step']:.0f} calls per iteration); the same calls alone {s['maml_blas_floor_us']:.1f} us")
    print(f"    bound: PyTorch / BLAS floor = {s['maml_ratio_bound_blas']:.0f}x")
    print(f"\nwritten {args.json}")


if __name__ == "__main__":
    main()
