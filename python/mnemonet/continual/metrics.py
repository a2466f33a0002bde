"""Continual-learning metrics as GEM (Lopez-Paz & Ranzato 2017) defines them, plus average forgetting (Chaudhry et
al. 2018), from the accuracy matrix R (R[i, j] = test accuracy on task j after training task i)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .._args import as_float64, require_finite
from .._native import InvalidArgumentError

__all__ = ["check_accuracy_matrix", "average_accuracy", "backward_transfer", "forward_transfer", "forgetting",
           "average_forgetting", "accuracy_curve", "summarize", "tidy"]


def check_accuracy_matrix(R) -> np.ndarray:
    """Validates an accuracy matrix.

    Parameters
    ----------
    R : array-like [T, T]

    Returns
    -------
    ndarray [T, T] float64

    Raises
    ------
    InvalidArgumentError
        Not square, empty, or not finite.
    """
    R = as_float64(R, "R", allow_bool=False)  # None, strings, complex, ragged lists: clear errors (mnemonet._args)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] == 0:
        raise InvalidArgumentError(f"the accuracy matrix must be square [T, T] with T >= 1, got shape {R.shape}")
    return require_finite(R, "R")


def average_accuracy(R) -> float:
    """Average accuracy after the last task, ACC = (1/T) Σ_j R[T−1, j].

    Parameters
    ----------
    R : array [T, T]

    Returns
    -------
    float
    """
    R = check_accuracy_matrix(R)
    return float(R[-1].mean())


def backward_transfer(R) -> Optional[float]:
    """Backward transfer BWT = 1/(T−1) Σ_{j<T−1} (R[T−1, j] − R[j, j]) (negative: forgetting).

    Parameters
    ----------
    R : array [T, T]

    Returns
    -------
    float or None
        None for T = 1.
    """
    R = check_accuracy_matrix(R)
    t = R.shape[0]
    if t < 2:
        return None
    return float(np.mean(R[-1, :-1] - np.diag(R)[:-1]))


def forward_transfer(R, baseline) -> Optional[float]:
    """Forward transfer FWT = 1/(T−1) Σ_{j≥1} (R[j−1, j] − b_j), b_j the accuracy on task j of the randomly
    initialised model.

    Parameters
    ----------
    R : array [T, T]
    baseline : array [T]
        b.

    Returns
    -------
    float or None
        None for T = 1.
    """
    R = check_accuracy_matrix(R)
    b = as_float64(baseline, "baseline", allow_bool=False)
    t = R.shape[0]
    if b.shape != (t,):
        raise InvalidArgumentError(f"baseline must have shape ({t},) to match R, got {b.shape}")
    require_finite(b, "baseline")
    if t < 2:
        return None
    return float(np.mean([R[j - 1, j] - b[j] for j in range(1, t)]))


def forgetting(R) -> np.ndarray:
    """Forgetting of each task (Chaudhry et al. 2018): f_j = max_{l<T−1} R[l, j] − R[T−1, j] for j < T−1.

    Parameters
    ----------
    R : array [T, T]

    Returns
    -------
    ndarray [T − 1]
    """
    R = check_accuracy_matrix(R)
    t = R.shape[0]
    return np.array([R[:t - 1, j].max() - R[-1, j] for j in range(t - 1)], dtype=np.float64)


def average_forgetting(R) -> Optional[float]:
    """Average forgetting F = mean_j f_j (see :func:`forgetting`).

    Parameters
    ----------
    R : array [T, T]

    Returns
    -------
    float or None
        None for T = 1.
    """
    f = forgetting(R)
    return float(f.mean()) if f.size else None


def accuracy_curve(R) -> np.ndarray:
    """Mean accuracy on the tasks seen so far after each task: a_i = mean_{j≤i} R[i, j].

    Parameters
    ----------
    R : array [T, T]

    Returns
    -------
    ndarray [T]
    """
    R = check_accuracy_matrix(R)
    return np.array([R[i, :i + 1].mean() for i in range(R.shape[0])])


def summarize(R, baseline=None) -> dict:
    """The metrics of R as a dict of floats (None where undefined; FWT only with a baseline).

    Parameters
    ----------
    R : array [T, T]
    baseline : array [T], optional

    Returns
    -------
    dict
        ``acc``, ``bwt``, ``fwt``, ``forgetting`` and ``accuracy_curve`` (list).
    """
    R = check_accuracy_matrix(R)
    return {
        "acc": average_accuracy(R),
        "bwt": backward_transfer(R),
        "fwt": forward_transfer(R, baseline) if baseline is not None else None,
        "forgetting": average_forgetting(R),
        "accuracy_curve": accuracy_curve(R).tolist(),
    }


def tidy(R, **labels) -> list:
    """R in long form, ready for ``pandas.DataFrame``.

    Parameters
    ----------
    R : array [T, T]
    **labels
        Columns added to every row (e.g. ``strategy="er", seed=0``).

    Returns
    -------
    list of dict
        ``{"trained_through": i, "task": j, "accuracy": R[i, j], **labels}`` for every i, j.
    """
    R = check_accuracy_matrix(R)
    t = R.shape[0]
    return [dict(labels, trained_through=i, task=j, accuracy=float(R[i, j])) for i in range(t) for j in range(t)]
