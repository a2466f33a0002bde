"""``python -m mnemonet.benchmarks sinusoid [--iterations N] [--seed S | --seeds S1 S2 …] [--json] [--plot PATH]
[--methods a,b]``
``python -m mnemonet.benchmarks continual [--benchmark split-digits] [--scenario class] [--strategies a b …]
[--seeds 0 1 2] [--memory-size N] [--memory-dim W] [--hidden H …] [--hyper KEY=VALUE …] [--json] [--plot PATH]``
``python -m mnemonet.benchmarks snail --task digits|sinusoid|bandits [--iterations N] [--seeds S] [--json] [--plot PATH]``

Reproduces the sinusoid table of Finn et al. (2017) natively and prints it (or, with ``--json``, a machine-readable
summary: MSE and 95% interval per method, K and step count, divergence counts, training and wall times). With
``--seeds`` every method is trained once per seed and each cell is reported as mean ± std over the seeds (the
results vary with the seed by 10–15%). ``--json`` is strict JSON: a non-finite number is written as ``null`` and
its object gets ``"diverged": true``.
"""
import argparse
import json
import math
import sys

from .sinusoid import (all_methods, default_methods, format_seed_table, format_table, plot_adapted_curves,
                       run_sinusoid, summarize_seeds)


def strict_json(obj):
    """``obj`` with every non-finite float replaced by None; a dict that held one gets ``"diverged": True``."""
    if isinstance(obj, dict):
        out = {k: strict_json(v) for k, v in obj.items()}
        if any(isinstance(v, float) and not math.isfinite(v) for v in obj.values()):
            out["diverged"] = obj.get("diverged") or True  # keep a divergence count, else flag it
        return out
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnemonet.benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="benchmark", required=True)
    s = sub.add_parser("sinusoid", help="MAML / FOMAML / Meta-SGD / pretrained on sinusoid regression")
    s.add_argument("--iterations", type=int, default=70000, help="meta-iterations per method (paper: 70000)")
    s.add_argument("--seed", type=int, default=0, help="initialisation and training-task seed")
    s.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="train once per seed and report mean ± std over them (e.g. --seeds 0 1 2 3 4)")
    s.add_argument("--eval-seed", type=int, default=1, help="seed of the 600 evaluation tasks")
    s.add_argument("--eval-tasks", type=int, default=600)
    s.add_argument("--methods", default=None,
                   help="comma-separated subset of: " + ",".join(m.name for m in all_methods())
                   + " (default: all but reptile)")
    s.add_argument("--json", action="store_true", help="print a JSON summary instead of the table")
    s.add_argument("--plot", default=None, metavar="PATH", help="save adapted curves vs the true sinusoid (PNG)")
    s.add_argument("--no-progress", action="store_true")
    # SNAIL (Mishra et al. 2018): few-shot digits, few-shot sinusoid vs MAML, bandit meta-RL (Table 3).
    sn = sub.add_parser("snail", help="SNAIL: few-shot digits / sinusoid vs MAML / bandits (Table 3)")
    sn.add_argument("--task", choices=("digits", "sinusoid", "bandits"), required=True)
    sn.add_argument("--iterations", type=int, default=None, help="training iterations (bandits: for every (N, K))")
    sn.add_argument("--seeds", type=int, default=None, help="training seeds (default: 2; bandits: 3)")
    sn.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of SNAIL (default 1e-3)")
    sn.add_argument("--shots", default="1,5", help="digits: comma-separated K values (default 1,5)")
    sn.add_argument("--no-embedding", action="store_true",
                    help="digits: no embedding network (the blocks read [pixels, one-hot label] directly)")
    sn.add_argument("--embedding", default=None,
                    help="digits: comma-separated embedding layer sizes (default 128: one linear layer 64 -> 128, "
                         "the winner on validation episodes)")
    sn.add_argument("--validate", action="store_true",
                    help="digits: model selection — train without the validation digits 3, 4 (all their rotations "
                         "and mirrors) and score on validation episodes of them; the test digits 5-9 are not used")
    sn.add_argument("--embedding-final", choices=("relu", "linear"), default=None,
                    help="digits: a ReLU after the last embedding layer or not (default linear)")
    sn.add_argument("--settings", default=None, help="bandits: comma-separated NxK list, e.g. 10x5,100x5")
    sn.add_argument("--json", action="store_true", help="print strict JSON (bandits: the list of rows)")
    sn.add_argument("--plot", default=None, metavar="PATH", help="save a bar chart (PNG)")
    sn.add_argument("--no-progress", action="store_true")
    d = sub.add_parser("dnc", help="DNC on copy / repeat-copy / associative-recall (bits per sequence)")
    d.add_argument("--task", choices=["copy", "repeat-copy", "associative-recall"], default="copy")
    d.add_argument("--steps", type=int, default=None, help="training steps (default per task)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--lr", type=float, default=None)
    d.add_argument("--batch-size", type=int, default=None)
    d.add_argument("--time-limit", type=float, default=None, help="stop training after this many seconds")
    d.add_argument("--no-curriculum", action="store_true")
    d.add_argument("--json", action="store_true", help="print a strict JSON summary")
    d.add_argument("--plot", default=None, metavar="PATH", help="save input/target/output/weightings (PNG)")
    d.add_argument("--no-progress", action="store_true")
    # ---- continual ----
    from .continual import BENCHMARKS as CL_BENCHMARKS
    from ..continual import SCENARIOS, STRATEGIES
    c = sub.add_parser("continual", help="continual-learning strategies on digits streams (ACC/BWT/FWT/forgetting)")
    c.add_argument("--benchmark", dest="stream", default="split-digits", choices=CL_BENCHMARKS)
    c.add_argument("--scenario", default="class", choices=SCENARIOS)
    c.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES, metavar="NAME",
                   help="subset of: " + " ".join(STRATEGIES))
    c.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    c.add_argument("--tasks", type=int, default=5, help="number of tasks (permuted/rotated digits)")
    c.add_argument("--memory-size", type=int, default=None, metavar="N",
                   help="N of the memory agents' memory (default: agent 128, agent-dnc 32)")
    c.add_argument("--memory-dim", type=int, default=None, metavar="W",
                   help="W of the memory agents' memory (default: agent 64, agent-dnc 32)")
    c.add_argument("--hidden", nargs="+", type=int, default=None, metavar="H",
                   help="hidden layer widths of the MLP strategies (default: 100 100)")
    c.add_argument("--hyper", nargs="+", default=[], metavar="KEY=VALUE",
                   help="other hyperparameters of mnemonet.continual.DEFAULTS, e.g. buffer_size=500 epochs=1 lr=0.1")
    c.add_argument("--json", action="store_true", help="print strict JSON (per strategy and seed: R, metrics, times)")
    c.add_argument("--plot", default=None, metavar="PATH", help="save accuracy matrices and curves (PNG)")
    c.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.benchmark == "snail":
        return _snail(args)
    if args.benchmark == "dnc":
        return _dnc(args)
    if args.benchmark == "continual":
        return _continual(args)

    methods = default_methods()
    if args.methods:
        wanted = args.methods.split(",")
        unknown = sorted(set(wanted) - {m.name for m in all_methods()})
        if unknown:
            parser.error(f"unknown methods {unknown}")
        methods = [m for m in all_methods() if m.name in wanted]
    if args.seeds:
        runs = []
        for seed in args.seeds:
            run = run_sinusoid(iterations=args.iterations, seed=seed, methods=methods, eval_tasks=args.eval_tasks,
                               eval_seed=args.eval_seed, progress=not args.no_progress and not args.json)
            run.pop("_learners")
            runs.append(run)
        summary = summarize_seeds(runs)
        if args.json:
            json.dump(strict_json(summary), sys.stdout, indent=1, allow_nan=False)
            print()
        else:
            print(format_seed_table(summary))
        return 0
    summary = run_sinusoid(iterations=args.iterations, seed=args.seed, methods=methods, eval_tasks=args.eval_tasks,
                           eval_seed=args.eval_seed, progress=not args.no_progress and not args.json)
    learners = summary.pop("_learners")
    if args.plot:
        shown = {n: l for n, l in learners.items() if n in ("maml", "pretrained", "meta-sgd")} or learners
        plot_adapted_curves(shown, args.plot, steps={"maml": (1, 10), "pretrained": (10,), "meta-sgd": (1,)})
        summary["plot"] = args.plot
    if args.json:
        json.dump(strict_json(summary), sys.stdout, indent=1, allow_nan=False)
        print()
    else:
        print(format_table(summary))
        if args.plot:
            print(f"plot: {args.plot}")
    return 0


def _snail(args) -> int:
    from . import snail as sn

    progress = not args.no_progress and not args.json
    kw = {"lr": args.lr} if args.iterations is None else {"iterations": args.iterations, "lr": args.lr}
    if args.task == "digits":
        embedding = None if args.no_embedding else (
            tuple(int(e) for e in args.embedding.split(",")) if args.embedding else sn.DIGITS_EMBEDDING)
        summary = sn.run_digits(shots=[int(k) for k in args.shots.split(",")], seeds=args.seeds or 2,
                                progress=progress, embedding=embedding,
                                embedding_final_relu=(sn.DIGITS_EMBEDDING_FINAL_RELU if args.embedding_final is None
                                                      else args.embedding_final == "relu"),
                                validate=args.validate, **kw)
    elif args.task == "sinusoid":
        if args.iterations is not None:
            kw["maml_iterations"] = args.iterations
        summary = sn.run_sinusoid(seeds=args.seeds or 2, progress=progress, **kw)
    else:
        settings = dict(sn.BANDIT_SETTINGS)
        if args.settings:
            keys = [tuple(int(v) for v in s.split("x")) for s in args.settings.split(",")]
            settings = {key: settings.get(key, (2000, sn.BANDIT_SETTINGS[(10, 5)][1])) for key in keys}
        if args.iterations is not None:
            settings = {key: (args.iterations, blocks) for key, (_, blocks) in settings.items()}
        summary = sn.run_bandits(settings, seeds=args.seeds or 3, lr=args.lr, progress=progress)
    if args.plot:
        sn.plot(summary, args.plot)
    if args.json:
        json.dump(summary["rows"] if args.task == "bandits" else summary, sys.stdout, indent=1, allow_nan=False)
        print()
    elif args.task == "bandits":
        print(sn.format_bandits(summary))
    else:
        print(json.dumps(summary, indent=1, allow_nan=False))
def _dnc(args) -> int:
    from .dnc import plot_dnc, run_dnc
    summary = run_dnc(args.task, steps=args.steps, seed=args.seed, lr=args.lr, batch_size=args.batch_size,
                      time_limit=args.time_limit, curriculum=not args.no_curriculum,
                      progress=not args.no_progress and not args.json)
    model, task = summary.pop("_model"), summary.pop("_task")
    if args.plot:
        plot_dnc(model, task, args.plot)
        summary["plot"] = args.plot
    if args.json:
        json.dump(summary, sys.stdout, indent=1, allow_nan=False)
        print()
    else:
        b = summary["bits_per_sequence"]
        print(f"dnc {summary['task']}: {b:.4f} bits/sequence ({summary['bit_errors_per_sequence']:.3f} bit errors) on "
              f"{summary['eval_sequences']} fresh sequences after {summary['train_steps']} steps, "
              f"{summary['train_seconds']:.1f} s training; solved (< {summary['threshold_bits']}): {summary['solved']}")
        if args.plot:
            print(f"plot: {args.plot}")
    return 0


def _continual(args) -> int:
    from .continual import format_table as cl_format, plot_table, run_table

    from ..continual import DEFAULTS

    hyper = {}
    for item in args.hyper:
        key, sep, value = item.partition("=")
        if not sep or key not in DEFAULTS:
            raise SystemExit(f"--hyper takes KEY=VALUE with KEY one of {sorted(DEFAULTS)}, got {item!r}")
        try:  # the type of the default: counts are ints (buffer_size=500), the rest reals (lr=0.1)
            hyper[key] = type(DEFAULTS[key])(value)
        except ValueError:
            raise SystemExit(f"--hyper {key} takes a {type(DEFAULTS[key]).__name__}, got {value!r}") from None
    for key, value in (("memory_size", args.memory_size), ("memory_dim", args.memory_dim)):
        if value is not None:
            hyper[key] = value
    if args.hidden is not None:
        hyper["hidden"] = tuple(args.hidden)
    summary = run_table(args.stream, args.scenario, args.strategies, args.seeds, num_tasks=args.tasks,
                        progress=not args.no_progress and not args.json, **hyper)
    if args.plot:
        plot_table(summary, args.plot)
        summary["plot"] = args.plot
    if args.json:
        json.dump(summary, sys.stdout, indent=1, allow_nan=False)
        print()
    else:
        print(cl_format(summary))
        if args.plot:
            print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
