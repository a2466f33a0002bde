"""Seed study of the sinusoid protocol detail: MAML trained and evaluated with the paper code's inner step size
(0.001) against the paper text's (0.01), several training seeds, 70k meta-iterations each, 5-shot evaluation on the
same 600 tasks. Reports mean MSE after 1/5/10 steps, the number of diverged tasks (non-finite or > 100) and the worst
task, per seed.

    python bench/sinusoid_seeds.py [--seeds 0 1 2] [--iterations 70000] [--json out.json]
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402

from mnemonet.benchmarks.sinusoid import SinusoidMethod, run_sinusoid  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--iterations", type=int, default=70000)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    methods = [SinusoidMethod("maml-alpha0.001", "maml", 0.001, 0.001), SinusoidMethod("maml-alpha0.01", "maml", 0.01, 0.01)]
    rows = []
    print(f"{'method':<17}{'seed':>5}{'1 step':>10}{'5 steps':>10}{'10 steps':>10}{'div@5':>7}{'div@10':>8}{'max@10':>10}")
    for seed in args.seeds:
        s = run_sinusoid(iterations=args.iterations, seed=seed, methods=methods, eval_shots=(5,), progress=False)
        s.pop("_learners")
        for name, e in s["methods"].items():
            st = e["evaluations"][0]["steps"]
            row = {"method": name, "seed": seed, **{f"mse{k}": st[k]["mse"] for k in ("1", "5", "10")},
                   "diverged5": st["5"]["diverged"], "diverged10": st["10"]["diverged"], "max10": st["10"]["max"],
                   "train_seconds": e["train_seconds"]}
            rows.append(row)
            print(f"{name:<17}{seed:>5}{row['mse1']:>10.3f}{row['mse5']:>10.3f}{row['mse10']:>10.3f}"
                  f"{row['diverged5']:>7}{row['diverged10']:>8}{row['max10']:>10.3g}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"iterations": args.iterations, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
