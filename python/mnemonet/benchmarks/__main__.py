"""``python -m mnemonet.benchmarks sinusoid [--iterations N] [--seed S] [--json] [--plot PATH] [--methods a,b]``

Reproduces the sinusoid table of Finn et al. (2017) natively and prints it (or, with ``--json``, a machine-readable
summary: MSE and 95% interval per method, K and step count, divergence counts, training and wall times).
"""
import argparse
import json
import sys

from .sinusoid import all_methods, default_methods, format_table, plot_adapted_curves, run_sinusoid


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnemonet.benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="benchmark", required=True)
    s = sub.add_parser("sinusoid", help="MAML / FOMAML / Meta-SGD / pretrained on sinusoid regression")
    s.add_argument("--iterations", type=int, default=70000, help="meta-iterations per method (paper: 70000)")
    s.add_argument("--seed", type=int, default=0, help="initialisation and training-task seed")
    s.add_argument("--eval-seed", type=int, default=1, help="seed of the 600 evaluation tasks")
    s.add_argument("--eval-tasks", type=int, default=600)
    s.add_argument("--methods", default=None,
                   help="comma-separated subset of: " + ",".join(m.name for m in all_methods())
                   + " (default: all but reptile)")
    s.add_argument("--json", action="store_true", help="print a JSON summary instead of the table")
    s.add_argument("--plot", default=None, metavar="PATH", help="save adapted curves vs the true sinusoid (PNG)")
    s.add_argument("--no-progress", action="store_true")
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
    args = parser.parse_args(argv)
    if args.benchmark == "dnc":
        return _dnc(args)

    methods = default_methods()
    if args.methods:
        wanted = args.methods.split(",")
        unknown = sorted(set(wanted) - {m.name for m in all_methods()})
        if unknown:
            parser.error(f"unknown methods {unknown}")
        methods = [m for m in all_methods() if m.name in wanted]
    summary = run_sinusoid(iterations=args.iterations, seed=args.seed, methods=methods, eval_tasks=args.eval_tasks,
                           eval_seed=args.eval_seed, progress=not args.no_progress and not args.json)
    learners = summary.pop("_learners")
    if args.plot:
        shown = {n: l for n, l in learners.items() if n in ("maml", "pretrained", "meta-sgd")} or learners
        plot_adapted_curves(shown, args.plot, steps={"maml": (1, 10), "pretrained": (10,), "meta-sgd": (1,)})
        summary["plot"] = args.plot
    if args.json:
        json.dump(summary, sys.stdout, indent=1, allow_nan=True)
        print()
    else:
        print(format_table(summary))
        if args.plot:
            print(f"plot: {args.plot}")
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
