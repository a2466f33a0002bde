"""Plots of the seed tutorial (matplotlib, imported lazily): memory heatmap and error per task. Usable on their own."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

__all__ = ["plot_memory", "plot_task_errors", "plot_results", "plot_accuracy_matrix", "plot_forgetting_curves"]


def _as_memory(memory) -> np.ndarray:
    """M from an array, a NeuralMemoryBank (``.memory``) or an agent (``.memory_bank.memory``)."""
    if hasattr(memory, "memory_bank"):
        memory = memory.memory_bank
    if hasattr(memory, "memory") and not isinstance(memory, np.ndarray):
        memory = memory.memory
    m = np.asarray(memory)
    if m.ndim != 2 or m.dtype.kind not in "biuf":
        raise ValueError(f"memory must be a real 2-D array [memory_size, memory_dim] (or a bank / agent), "
                         f"got {m.dtype} array of shape {m.shape}")
    return m


def _curves(errors):
    """(error on the task just learned after each task, task 1's error after each task or None) from an error
    table ``errors[t][e]`` or from a flat sequence of errors, one per task."""
    rows = list(errors)
    if all(np.ndim(r) == 0 for r in rows):
        return [float(r) for r in rows], None
    return [float(np.asarray(r).ravel()[-1]) for r in rows], [float(np.asarray(r).ravel()[0]) for r in rows]


def plot_memory(memory, ax=None, title: str = "Neural Memory Bank State"):
    """Heatmap of a memory matrix (the seed's left panel).

    Parameters
    ----------
    memory : array [memory_size, memory_dim], NeuralMemoryBank or ContinualLearningAgent
        M, e.g. ``agent.memory_bank`` or ``agent.memory_bank.memory``.
    ax : matplotlib Axes, optional
        Where to draw (the current axes by default).
    title : str
        The panel title.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.gca()
    im = ax.imshow(_as_memory(memory), aspect="auto", cmap="viridis")
    ax.set_title(title, fontsize=14, fontweight="bold")
    ax.set_xlabel("Memory Dimension")
    ax.set_ylabel("Memory Slots")
    plt.colorbar(im, ax=ax)
    return im


def plot_task_errors(curves: Dict[str, Sequence[float]], ax=None, tasks: Optional[Sequence[int]] = None,
                     title: str = "Continual Learning Performance", log: bool = False, styles=None):
    """Test error per task number, one line per entry of ``curves``, as in the seed's right panel.

    Parameters
    ----------
    curves : dict of str → sequence of float [tasks]
        Label → error after each task.
    ax : matplotlib Axes, optional
        Where to draw (the current axes by default).
    tasks : sequence of int, optional
        The x values (1, 2, … by default).
    title : str
        The panel title.
    log : bool
        Logarithmic error axis.
    styles : dict of str → dict, optional
        Extra ``plot`` keyword arguments per label.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.gca()
    styles = styles or {}
    for label, errors in curves.items():
        xs = list(tasks) if tasks is not None else list(range(1, len(errors) + 1))
        ax.plot(xs, list(errors), label=label, **{"marker": "o", "linewidth": 2, "markersize": 8,
                                                    **styles.get(label, {})})
    if tasks is not None:
        ax.set_xticks(list(tasks))
    ax.set_title(title, fontsize=14, fontweight="bold")
    ax.set_xlabel("Task Number")
    ax.set_ylabel("Test Error")
    if log:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return ax


def plot_results(memory, with_replay, without_replay=None, path: Optional[str] = "neural_memory_results.png",
                 show: bool = False):
    """The seed's figure: memory heatmap and error per task, plus the no-replay curves.

    Solid lines: the error on the task just learned (the seed's curve); dashed: task 1's error after each task
    (forgetting). The current matplotlib backend is used as it is.

    Parameters
    ----------
    memory : array [memory_size, memory_dim], NeuralMemoryBank or ContinualLearningAgent
        The memory to show.
    with_replay, without_replay : sequence of float [tasks], or list of lists of float, ragged [tasks][≤ tasks]
        Either one error per task (``[e1, e2, …]``, drawn as one line) or error tables ``errors[t][e]``: the error
        on task e after training task t (then task 1's error after each task is drawn dashed as well).
        ``without_replay`` is optional.
    path : str, optional
        Saves the figure there (dpi 150) when given.
    show : bool
        Calls ``plt.show()``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt  # the caller's backend is left alone (notebooks: inline / widget)

    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    plot_memory(memory, ax=axes[0])
    curves, styles = {}, {}
    last, first = _curves(with_replay)
    tasks = list(range(1, len(last) + 1))
    curves["With Memory Replay"] = last
    styles["With Memory Replay"] = {"color": "C0"}
    if first is not None:
        curves["With Memory Replay: Task 1"] = first
        styles["With Memory Replay: Task 1"] = {"linestyle": "--", "color": "C0", "marker": "s"}
    if without_replay is not None:
        last, first = _curves(without_replay)
        curves["Without Replay"] = last
        styles["Without Replay"] = {"color": "C3"}
        if first is not None:
            curves["Without Replay: Task 1"] = first
            styles["Without Replay: Task 1"] = {"linestyle": "--", "color": "C3", "marker": "s"}
    plot_task_errors(curves, ax=axes[1], tasks=tasks, log=True, styles=styles)
    plt.tight_layout()
    if path:
        plt.savefig(path, dpi=150, bbox_inches="tight")
    if show:
        plt.show()
    return fig


# ---- continual learning (mnemonet.continual) ----------------------------------------------------------------------


def plot_accuracy_matrix(R, ax=None, title: str = "Accuracy matrix R", annotate: bool = True, cmap: str = "viridis"):
    """Heatmap of the accuracy matrix R[i, j] (test accuracy on task j after training task i), GEM's table as a
    picture: the lower triangle is retention, the diagonal learning, the upper triangle forward transfer.

    Parameters
    ----------
    R : array [T, T]
        E.g. ``result.accuracy_matrix`` of :func:`mnemonet.continual.run`.
    ax : matplotlib Axes, optional
        Where to draw (the current axes by default).
    title : str
        The panel title.
    annotate : bool
        Writes each accuracy in its cell.
    cmap : str
        Colour map (values 0…1).

    Returns
    -------
    matplotlib.image.AxesImage
    """
    import matplotlib.pyplot as plt

    from .continual.metrics import check_accuracy_matrix

    R = check_accuracy_matrix(R)
    ax = ax if ax is not None else plt.gca()
    t = R.shape[0]
    im = ax.imshow(R, vmin=0, vmax=1, cmap=cmap)
    ax.set_xticks(range(t), [str(j + 1) for j in range(t)])
    ax.set_yticks(range(t), [str(i + 1) for i in range(t)])
    ax.set_xlabel("evaluated on task j")
    ax.set_ylabel("after training task i")
    ax.set_title(title)
    if annotate:
        for i in range(t):
            for j in range(t):
                ax.text(j, i, f"{R[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="black" if R[i, j] > 0.6 else "white")
    plt.colorbar(im, ax=ax, fraction=0.046)
    return im


def plot_forgetting_curves(R, ax=None, title: str = "Accuracy on each task as training goes on", average: bool = True):
    """Forgetting curves: for each task j, its test accuracy R[i, j] after each later task i ≥ j (a falling line
    is forgetting), and (dashed, black) the mean accuracy over the tasks seen so far.

    Parameters
    ----------
    R : array [T, T]
    ax : matplotlib Axes, optional
    title : str
    average : bool
        Also draws the mean accuracy over tasks seen so far.

    Returns
    -------
    list of matplotlib.lines.Line2D
    """
    import matplotlib.pyplot as plt

    from .continual.metrics import accuracy_curve, check_accuracy_matrix

    R = check_accuracy_matrix(R)
    ax = ax if ax is not None else plt.gca()
    t = R.shape[0]
    lines = []
    for j in range(t):
        xs = list(range(j + 1, t + 1))
        lines += ax.plot(xs, R[j:, j], marker="o", label=f"task {j + 1}")
    if average:
        lines += ax.plot(range(1, t + 1), accuracy_curve(R), "k--", linewidth=2, label="mean over seen tasks")
    ax.set_xlabel("tasks trained")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(range(1, t + 1))
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return lines
