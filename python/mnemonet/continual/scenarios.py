"""Continual-learning task streams: the three scenarios of van de Ven et al. (2020) built from the user's arrays
(:func:`stream`) or from scikit-learn's bundled 8×8 digits (split, permuted and rotated digits; no download)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np

from .._args import as_float32, as_int, as_real
from .._native import InvalidArgumentError

__all__ = ["Task", "TaskStream", "SCENARIOS", "stream", "split_digits", "permuted_digits", "rotated_digits",
           "load_digits_arrays"]

SCENARIOS = ("task", "domain", "class")
_HEAD_MODE = {"task": 0, "domain": 1, "class": 2}


@dataclass(frozen=True)
class Task:
    """One task of a stream.

    Attributes
    ----------
    x : ndarray [n, d] float32
        Inputs.
    y : ndarray [n] int32
        Target output unit of each row (see :attr:`TaskStream.units`).
    classes : tuple
        The original class labels of this task, in unit order.
    """

    x: np.ndarray
    y: np.ndarray
    classes: tuple

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def __repr__(self) -> str:
        return f"Task(n={len(self)}, d={self.x.shape[1]}, classes={list(self.classes)})"


@dataclass(frozen=True)
class TaskStream:
    """A train/test stream of T tasks in one scenario.

    Attributes
    ----------
    name : str
        E.g. ``"split-digits"``.
    scenario : {"task", "domain", "class"}
        Task-incremental (multi-head: each task's rows compete only among its own units), domain-incremental (one
        head of ``classes_per_task`` units shared by every task), class-incremental (one head over every class; the
        units of the tasks seen so far are active).
    train, test : list of Task
        Per-task rows.
    units : list of tuple of int
        The output units of each task.
    output_count : int
        Width C of the output layer.
    """

    name: str
    scenario: str
    train: List[Task]
    test: List[Task]
    units: List[tuple]
    output_count: int
    info: dict = field(default_factory=dict)

    @property
    def num_tasks(self) -> int:
        """T."""
        return len(self.train)

    @property
    def input_dim(self) -> int:
        """d."""
        return int(self.train[0].x.shape[1])

    @property
    def head_mode(self) -> int:
        """The native head-mode code (0 task, 1 domain, 2 class)."""
        return _HEAD_MODE[self.scenario]

    def __repr__(self) -> str:
        sizes = "/".join(str(len(t)) for t in self.train)
        return (f"TaskStream({self.name!r}, scenario={self.scenario!r}, tasks={self.num_tasks}, d={self.input_dim}, "
                f"outputs={self.output_count}, train rows per task={sizes})")


def _check_scenario(scenario: str) -> str:
    if scenario not in SCENARIOS:
        raise InvalidArgumentError(f"scenario must be one of {SCENARIOS}, got {scenario!r}")
    return scenario


def _as_xy(X, y, what: str):
    X = as_float32(X, f"{what} X")  # None, strings, ragged lists, complex: clear errors (mnemonet._args)
    try:
        y = np.asarray(y)
    except ValueError as e:  # ragged label lists
        raise InvalidArgumentError(f"{what} y could not be converted to an array: {e}") from None
    if X.ndim != 2:
        raise InvalidArgumentError(f"{what} X must be 2-D [n, d], got shape {X.shape}")
    if y.ndim != 1:
        raise InvalidArgumentError(f"{what} y must be 1-D [n], got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise InvalidArgumentError(f"{what} X has {X.shape[0]} rows but y has {y.shape[0]} labels (mismatched lengths)")
    if X.shape[0] == 0:
        raise InvalidArgumentError(f"{what} X is empty")
    if not np.all(np.isfinite(X)):
        raise InvalidArgumentError(f"{what} X contains NaN or infinity")
    return X, y


def _test_size(value) -> float:
    value = as_real(value, "test_size")
    if not 0 < value < 1:
        raise InvalidArgumentError(f"test_size must be in (0, 1), got {value}")
    return value


def _seed(value) -> int:
    return as_int(value, "seed", 0, 2**63 - 1 - 1_000_003)


def _num_tasks(value) -> int:
    return as_int(value, "num_tasks", 1, 10_000)


def _split(n: int, test_size: float, rng: np.random.Generator, labels: np.ndarray):
    """A stratified train/test split of n rows."""
    train, test = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        k = int(round(test_size * idx.size))
        if idx.size >= 2:
            k = min(max(k, 1), idx.size - 1)
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def stream(X, y, *, tasks=None, classes_per_task: int = 2, class_order: Optional[Sequence] = None,
           scenario: str = "class", X_test=None, y_test=None, tasks_test=None, test_size: float = 0.25,
           seed: int = 0, name: str = "user") -> TaskStream:
    """Builds a continual-learning stream from arrays.

    Either the classes are split into tasks (``classes_per_task`` consecutive classes of ``class_order``, by
    default the sorted labels: split-MNIST style), or ``tasks`` gives each row's task id (then every task may hold
    any classes, e.g. a permuted or rotated stream; tasks are ordered by id).

    Parameters
    ----------
    X : array [n, d]
        Inputs (converted to float32).
    y : array [n]
        Class labels (any hashable values NumPy can sort).
    tasks : array [n] of int, optional
        Task id of each row.
    classes_per_task : int
        Classes per task when ``tasks`` is None.
    class_order : sequence, optional
        The order in which classes are assigned to tasks (default sorted).
    scenario : {"task", "domain", "class"}
        The van de Ven et al. scenario (see :class:`TaskStream`).
    X_test, y_test, tasks_test : arrays, optional
        A separate test set (else a stratified ``test_size`` split of X, y per task). Its classes must all appear in
        the training rows of their task.
    test_size : float
        Fraction of each class held out for testing when no test set is given.
    seed : int
        Seeds the split.
    name : str
        Name of the stream.

    Returns
    -------
    TaskStream

    Raises
    ------
    InvalidArgumentError
        Mismatched lengths, an empty task, a test class never seen in training (unseen classes), tasks with
        different class counts in the domain scenario, a bad scenario.
    """
    _check_scenario(scenario)
    X, y = _as_xy(X, y, "training")
    test_size = _test_size(test_size)
    rng = np.random.default_rng(_seed(seed))
    if tasks is None:
        classes_per_task = as_int(classes_per_task, "classes_per_task", 1)
        classes = list(np.unique(y)) if class_order is None else list(class_order)
        missing = set(np.unique(y).tolist()) - set(np.asarray(classes).tolist())
        if missing:
            raise InvalidArgumentError(f"class_order misses classes {sorted(missing)} that occur in y")
        if len(set(np.asarray(classes).tolist())) != len(classes):
            raise InvalidArgumentError("class_order contains a class twice")
        groups = [classes[i:i + classes_per_task] for i in range(0, len(classes), classes_per_task)]
        row_task = np.full(y.shape[0], -1, dtype=np.int64)
        for k, g in enumerate(groups):
            row_task[np.isin(y, g)] = k
        task_classes = [tuple(g) for g in groups]
    else:
        row_task = np.asarray(tasks)
        if row_task.shape != y.shape:
            raise InvalidArgumentError(f"tasks has shape {row_task.shape} but y has shape {y.shape} (mismatched lengths)")
        if not np.issubdtype(row_task.dtype, np.integer):
            raise InvalidArgumentError(f"tasks must be integers, got dtype {row_task.dtype}")
        ids = np.unique(row_task)
        remap = {int(t): k for k, t in enumerate(ids)}
        row_task = np.array([remap[int(t)] for t in row_task], dtype=np.int64)
        task_classes = [tuple(np.unique(y[row_task == k]).tolist()) for k in range(ids.size)]
    for k, cl in enumerate(task_classes):
        if len(cl) == 0 or not np.any(row_task == k):
            raise InvalidArgumentError(f"task {k} is empty (classes {list(cl)} have no rows)")

    if X_test is not None or y_test is not None:
        if X_test is None or y_test is None:
            raise InvalidArgumentError("give both X_test and y_test, or neither")
        Xt, yt = _as_xy(X_test, y_test, "test")
        if Xt.shape[1] != X.shape[1]:
            raise InvalidArgumentError(f"test X has {Xt.shape[1]} columns but training X has {X.shape[1]}")
        if tasks is None:
            test_task = np.full(yt.shape[0], -1, dtype=np.int64)
            for k, g in enumerate(task_classes):
                test_task[np.isin(yt, list(g))] = k
            unseen = sorted(set(np.unique(yt[test_task < 0]).tolist()))
            if unseen:
                raise InvalidArgumentError(f"test labels contain classes never seen in training: {unseen}")
        else:
            if tasks_test is None:
                raise InvalidArgumentError("tasks_test is required with tasks and a separate test set")
            test_task = np.asarray(tasks_test)
            if test_task.shape != yt.shape:
                raise InvalidArgumentError(f"tasks_test has shape {test_task.shape} but y_test has shape {yt.shape}")
            ids = np.unique(np.asarray(tasks))
            if not set(np.unique(test_task).tolist()) <= set(ids.tolist()):
                raise InvalidArgumentError(f"tasks_test contains task ids {sorted(set(np.unique(test_task).tolist()) - set(ids.tolist()))} "
                                           "that have no training rows")
            test_task = np.searchsorted(ids, test_task)
            for k, cl in enumerate(task_classes):
                unseen = sorted(set(np.unique(yt[test_task == k]).tolist()) - set(cl))
                if unseen:
                    raise InvalidArgumentError(f"test labels of task {k} contain classes never seen in its training rows: {unseen}")
        train_sel = [np.flatnonzero(row_task == k) for k in range(len(task_classes))]
        test_sel = [np.flatnonzero(test_task == k) for k in range(len(task_classes))]
        Xs, ys = Xt, yt
    else:
        train_sel, test_sel = [], []
        for k in range(len(task_classes)):
            idx = np.flatnonzero(row_task == k)
            a, b = _split(idx.size, test_size, rng, y[idx])
            train_sel.append(idx[a])
            test_sel.append(idx[b])
        Xs, ys = X, y
    for k in range(len(task_classes)):
        if test_sel[k].size == 0:
            raise InvalidArgumentError(f"task {k} has no test rows")

    # Output units.
    if scenario == "domain":
        widths = {len(c) for c in task_classes}
        if len(widths) != 1:
            raise InvalidArgumentError(f"the domain scenario needs the same number of classes in every task, got {sorted(widths)}")
        width = widths.pop()
        units = [tuple(range(width)) for _ in task_classes]
        output_count = width
    elif tasks is None:
        all_classes = [c for g in task_classes for c in g]
        index = {c: i for i, c in enumerate(all_classes)}
        units = [tuple(index[c] for c in g) for g in task_classes]
        output_count = len(all_classes)
    else:
        # Task ids given: each task's classes get their own units (class-incremental over T·C units; task-
        # incremental multi-head).
        units, start = [], 0
        for g in task_classes:
            units.append(tuple(range(start, start + len(g))))
            start += len(g)
        output_count = start

    def make(Xa, ya, sel, k):
        cl = task_classes[k]
        lookup = {c: units[k][i] for i, c in enumerate(cl)}
        labels = np.array([lookup[v] for v in ya[sel].tolist()], dtype=np.int32)
        return Task(x=np.ascontiguousarray(Xa[sel], dtype=np.float32), y=labels, classes=tuple(cl))

    train = [make(X, y, train_sel[k], k) for k in range(len(task_classes))]
    test = [make(Xs, ys, test_sel[k], k) for k in range(len(task_classes))]
    return TaskStream(name=name, scenario=scenario, train=train, test=test, units=units, output_count=output_count)


def load_digits_arrays():
    """scikit-learn's bundled 8×8 digits (1797 images; no download), pixels scaled to [0, 1].

    Returns
    -------
    X : ndarray [1797, 64] float32
    y : ndarray [1797] int64
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)


def split_digits(scenario: str = "class", *, seed: int = 0, test_size: float = 0.25) -> TaskStream:
    """Split digits: 5 tasks of 2 classes ({0,1}, {2,3}, …, {8,9}) of the 8×8 digits (split-MNIST's layout).

    Parameters
    ----------
    scenario : {"task", "domain", "class"}
    seed : int
        Seeds the stratified train/test split.
    test_size : float
        Held-out fraction per class.

    Returns
    -------
    TaskStream
    """
    X, y = load_digits_arrays()
    return stream(X, y, classes_per_task=2, scenario=scenario, test_size=test_size, seed=seed, name="split-digits")


def _per_task_stream(name, transforms, scenario, seed, test_size):
    _check_scenario(scenario)
    X, y = load_digits_arrays()
    rng = np.random.default_rng(_seed(seed))
    train_idx, test_idx = _split(y.size, _test_size(test_size), rng, y)
    xs, ys, ts, xt, yt, tt = [], [], [], [], [], []
    for k, f in enumerate(transforms):
        xs.append(f(X[train_idx])); ys.append(y[train_idx]); ts.append(np.full(train_idx.size, k))
        xt.append(f(X[test_idx])); yt.append(y[test_idx]); tt.append(np.full(test_idx.size, k))
    return stream(np.concatenate(xs), np.concatenate(ys), tasks=np.concatenate(ts), scenario=scenario,
                  X_test=np.concatenate(xt), y_test=np.concatenate(yt), tasks_test=np.concatenate(tt), name=name)


def permuted_digits(num_tasks: int = 5, scenario: str = "domain", *, seed: int = 0,
                    test_size: float = 0.25) -> TaskStream:
    """Permuted digits: every task is all 10 digits under its own fixed random pixel permutation (task 0 is
    unpermuted), as permuted MNIST.

    Parameters
    ----------
    num_tasks : int
        Any number ≥ 1.
    scenario : {"task", "domain", "class"}
        Domain-incremental (the usual setting: one 10-way head) by default.
    seed : int
        Seeds the permutations and the split.
    test_size : float

    Returns
    -------
    TaskStream
    """
    num_tasks, seed = _num_tasks(num_tasks), _seed(seed)
    rng = np.random.default_rng(seed + 1_000_003)
    perms = [np.arange(64)] + [rng.permutation(64) for _ in range(num_tasks - 1)]
    s = _per_task_stream("permuted-digits", [lambda a, p=p: a[:, p] for p in perms], scenario, seed, test_size)
    s.info["permutations"] = np.stack(perms)
    return s


def rotated_digits(num_tasks: int = 5, scenario: str = "domain", *, angles: Optional[Sequence[float]] = None,
                   seed: int = 0, test_size: float = 0.25) -> TaskStream:
    """Rotated digits: every task is all 10 digits rotated by its own angle (default evenly spaced in [0°, 180°)),
    bilinear interpolation on the 8×8 grid, as rotated MNIST.

    Parameters
    ----------
    num_tasks : int
    scenario : {"task", "domain", "class"}
    angles : sequence of float, optional
        Degrees, one per task (overrides ``num_tasks``).
    seed : int
        Seeds the split.
    test_size : float

    Returns
    -------
    TaskStream
    """
    from scipy.ndimage import rotate

    if angles is None:
        num_tasks = _num_tasks(num_tasks)
        angles = [180.0 * k / num_tasks for k in range(num_tasks)]
    angles = [as_real(a, f"angles[{i}]") for i, a in enumerate(angles)]
    if not angles:
        raise InvalidArgumentError("angles is empty")

    def rot(a):
        def f(X):
            imgs = X.reshape(-1, 8, 8)
            out = rotate(imgs, a, axes=(1, 2), reshape=False, order=1, mode="constant", cval=0.0)
            return np.clip(out, 0, 1).reshape(-1, 64).astype(np.float32)
        return f

    s = _per_task_stream("rotated-digits", [rot(a) for a in angles], scenario, seed, test_size)
    s.info["angles"] = angles
    return s
