"""``python -m mnemonet.benchmarks dnc --task copy|repeat-copy|associative-recall [--json] [--plot PATH]``

Trains a DNC natively on an algorithmic task (with a length curriculum: the task grows once the current size costs
< 0.05 bits per item, or < 0.3 bits per sequence for associative recall; at the full size the learning rate drops to 0.3x, and to 0.1x 1,500 steps later) and reports the cost in bits per sequence on
1,000 fresh sequences of the full task, the training wall time and the learning curve.
"""
import math
import time

import numpy as np

from ..dnc import DNC
from ..dnc_tasks import TASKS, bits_per_sequence
from ..memory import MemoryConfig

# Small, fast configurations (the machine is shared): N x W memory, R read heads, one write head, LSTM(H).
CONFIGS = {
    "copy": dict(memory=(32, 16, 1, 1), hidden=64, lr=3e-3, batch=16, steps=12000),
    "repeat-copy": dict(memory=(32, 16, 1, 1), hidden=64, lr=3e-3, batch=16, steps=12000),
    "associative-recall": dict(memory=(32, 16, 1, 1), hidden=64, lr=3e-3, batch=16, steps=12000),
}


def _task_size_attr(task):
    return "max_items" if hasattr(task, "max_items") else "max_length"


def evaluate(model, task, sequences=1000, seed=12345, batch=100):
    """(bits per sequence, bit errors per sequence) over ``sequences`` fresh sequences."""
    rng = np.random.default_rng(seed)
    xent = errs = 0.0
    for _ in range(sequences // batch):
        x, y, m = task.sample(batch, rng)
        a, b = bits_per_sequence(model.forward(x).y, y, m)
        xent += a
        errs += b
    k = sequences // batch
    return xent / k, errs / k


def run_dnc(task_name="copy", steps=None, seed=0, lr=None, batch_size=None, time_limit=None, curriculum=True,
            threshold=0.05, progress=True, eval_sequences=1000):
    """Trains and evaluates; returns a JSON-ready summary (plus ``_model`` and ``_task``)."""
    cfg = CONFIGS[task_name]
    steps = steps or cfg["steps"]
    lr = lr or cfg["lr"]
    batch_size = batch_size or cfg["batch"]
    full = TASKS[task_name]()
    task = TASKS[task_name]()
    attr = _task_size_attr(task)
    final_size = getattr(full, attr)
    start_size = 2 if attr == "max_length" else 3
    if curriculum:
        setattr(task, attr, start_size)
    model = DNC(task.input_size, task.output_size, MemoryConfig(*cfg["memory"]), hidden_size=cfg["hidden"], lr=lr,
                clip=10.0, seed=seed)
    rng = np.random.default_rng(seed + 1)
    curve, levels = [], []
    recent = []
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=steps, desc=f"dnc {task_name}", leave=False)
    done = 0
    at_full = None  # step at which the curriculum reached the full task: the learning rate then decays
    for i in range(steps):
        if at_full is None and getattr(task, attr) == final_size:
            at_full = i
        step_lr = lr if at_full is None else lr * (0.3 if i - at_full < 1500 else 0.1)
        x, y, m = task.sample(batch_size, rng)
        loss = model.train_step(x, y, m, lr=step_lr) / math.log(2)
        recent.append(loss)
        done = i + 1
        if len(recent) == 100:
            mean = float(np.mean(recent))
            curve.append([done, mean, getattr(task, attr), time.perf_counter() - t0])
            recent = []
            # Grow the task once the current lengths are (almost) solved.
            # Copy tasks: < 0.05 bits per item; associative recall (one 3-vector answer whatever the size): < 0.3.
            grow_below = 0.3 if attr == "max_items" else 0.05 * getattr(task, attr)
            if curriculum and getattr(task, attr) < final_size and mean < grow_below:
                setattr(task, attr, min(final_size, getattr(task, attr) + (2 if attr == "max_length" else 1)))
                levels.append([done, getattr(task, attr)])
            if bar is not None:
                bar.set_postfix(bits=f"{mean:.3f}", size=getattr(task, attr))
        if bar is not None:
            bar.update(1)
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    train_seconds = time.perf_counter() - t0
    if bar is not None:
        bar.close()
    bits, errors = evaluate(model, full, sequences=eval_sequences)
    return {
        "task": task_name,
        "bits_per_sequence": bits if math.isfinite(bits) else None,
        "bits_per_sequence_finite": math.isfinite(bits),
        "bit_errors_per_sequence": errors,
        "solved": bool(math.isfinite(bits) and bits < threshold),
        "threshold_bits": threshold,
        "train_seconds": train_seconds,
        "train_steps": done,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "config": {"memory_size": cfg["memory"][0], "memory_dim": cfg["memory"][1],
                   "num_read_heads": cfg["memory"][2], "num_write_heads": cfg["memory"][3],
                   "hidden_size": cfg["hidden"], "controller": "lstm"},
        "curriculum": levels,
        "learning_curve": [{"step": s, "train_bits_per_sequence": b, "task_size": z, "seconds": sec}
                           for s, b, z, sec in curve],
        "eval_sequences": eval_sequences,
        "_model": model,
        "_task": full,
    }


def plot_dnc(model, task, path, seed=7):
    """The classic figure: input, target, output and the write/read weightings over time, for one sequence."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x, y, m = task.sample(1, np.random.default_rng(seed))
    out = model.forward(x, trace=True)
    prob = 1 / (1 + np.exp(-out.y[:, 0]))
    panels = [("input", x[:, 0].T), ("target", (y[:, 0] * m[:, :1]).T), ("output σ(y)", (prob * m[:, :1]).T),
              ("write weighting", out.write_weights[:, 0, 0].T), ("read weighting", out.read_weights[:, 0, 0].T)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 9), sharex=True)
    for ax, (title, img) in zip(axes, panels):
        ax.imshow(img, aspect="auto", cmap="viridis", interpolation="nearest")
        ax.set_ylabel(title, fontsize=8)
    axes[-1].set_xlabel("time step")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
