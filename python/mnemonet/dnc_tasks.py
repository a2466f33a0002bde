"""The algorithmic tasks of the NTM and DNC papers, as time-major NumPy batches ``(x [T, B, X], y [T, B, Y],
mask [T, B])``; the mask is 1 on the steps whose output is scored. Sequences of different lengths in one batch are
padded at the end (mask 0).

- ``CopyTask``: random ``bits``-bit vectors (length 1..max_length, as deepmind's train.py), a delimiter, then the
  sequence must be reproduced (Graves et al. 2014, §4.1).
- ``RepeatCopyTask``: the sequence, then a repeat count, then the sequence repeated that many times followed by an
  end marker (§4.2).
- ``AssociativeRecallTask``: items of 3 vectors, each after a delimiter; then a query item; the output is the item
  that followed the query (§4.3).
"""
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from ._args import as_float64, as_int, require_finite
from ._native import InvalidArgumentError

Batch = Tuple[np.ndarray, np.ndarray, np.ndarray]


def _check_fields(task, pairs) -> None:
    """Every size field of a task is an int >= 1 (the shared strict rule) and each (min, max) pair is ordered."""
    for name in task.__dataclass_fields__:
        setattr(task, name, as_int(getattr(task, name), name, 1, 1 << 20))
    for lo, hi in pairs:
        if getattr(task, lo) > getattr(task, hi):
            raise InvalidArgumentError(f"{lo} must be <= {hi}, got {getattr(task, lo)} > {getattr(task, hi)}")


def _batch_size(value) -> int:
    return as_int(value, "batch_size", 1, 1 << 20)


def _pad(seqs, width_x, width_y) -> Batch:
    t = max(len(x) for x, _, _ in seqs)
    b = len(seqs)
    X = np.zeros((t, b, width_x), np.float32)
    Y = np.zeros((t, b, width_y), np.float32)
    M = np.zeros((t, b), np.float32)
    for j, (x, y, m) in enumerate(seqs):
        X[:len(x), j], Y[:len(y), j], M[:len(m), j] = x, y, m
    return X, Y, M


def bits_per_sequence(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> Tuple[float, float]:
    """(cross-entropy in bits, bit errors) per sequence: Σ over scored steps and bits, averaged over the batch.

    The cross-entropy is the NTM/DNC papers' "cost per sequence (bits)": −Σ [y log₂ σ(ŷ) + (1 − y) log₂(1 − σ(ŷ))].
    """
    logits = as_float64(logits, "logits", allow_bool=False)
    targets, mask = as_float64(targets, "targets"), as_float64(mask, "mask")
    if logits.ndim != 3 or targets.shape != logits.shape or mask.shape != logits.shape[:2]:
        raise InvalidArgumentError(f"logits and targets must be [T, B, Y] and mask [T, B], got {logits.shape}, "
                                   f"{targets.shape} and {mask.shape}")
    for a, what in ((logits, "logits"), (targets, "targets"), (mask, "mask")):
        require_finite(a, what)
    xent = (np.logaddexp(0, logits) - logits * targets) / np.log(2)
    b = logits.shape[1]
    m = mask[:, :, None]
    errors = ((logits > 0) != (targets > 0.5)) * m
    return float((xent * m).sum() / b), float(errors.sum() / b)


@dataclass
class CopyTask:
    """Copy: x = [v_1 … v_L, delimiter, 0 × L], y = [0 × (L + 1), v_1 … v_L]; T = 2L + 1.

    Parameters
    ----------
    bits : int, default 8
    min_length, max_length : int, default 1, 20
        L is drawn uniformly from min_length..max_length (change ``max_length`` for a curriculum).
    """

    bits: int = 8
    min_length: int = 1
    max_length: int = 20

    def __post_init__(self):
        _check_fields(self, [("min_length", "max_length")])

    @property
    def input_size(self) -> int:
        """bits + 1 (the delimiter channel)."""
        return self.bits + 1

    @property
    def output_size(self) -> int:
        """bits."""
        return self.bits

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """A batch (x [T, B, bits+1], y [T, B, bits], mask [T, B])."""
        seqs = []
        for _ in range(_batch_size(batch_size)):
            n = int(rng.integers(self.min_length, self.max_length + 1))
            v = (rng.random((n, self.bits)) < 0.5).astype(np.float32)
            x = np.zeros((2 * n + 1, self.bits + 1), np.float32)
            y = np.zeros((2 * n + 1, self.bits), np.float32)
            m = np.zeros(2 * n + 1, np.float32)
            x[:n, :self.bits] = v
            x[n, self.bits] = 1
            y[n + 1:] = v
            m[n + 1:] = 1
            seqs.append((x, y, m))
        return _pad(seqs, self.input_size, self.output_size)


@dataclass
class RepeatCopyTask:
    """Repeat copy: the sequence, a step whose last channel holds repeats / max_repeats, then the sequence ``repeats``
    times and an end marker on the extra output channel; T = L + 1 + L·repeats + 1.

    Parameters
    ----------
    bits : int, default 8
    min_length, max_length : int, default 1, 10
    min_repeats, max_repeats : int, default 1, 5
    """

    bits: int = 8
    min_length: int = 1
    max_length: int = 10
    min_repeats: int = 1
    max_repeats: int = 5

    def __post_init__(self):
        _check_fields(self, [("min_length", "max_length"), ("min_repeats", "max_repeats")])

    @property
    def input_size(self) -> int:
        """bits + 2 (start-of-repeat flag and normalised repeat count)."""
        return self.bits + 2

    @property
    def output_size(self) -> int:
        """bits + 1 (the end marker)."""
        return self.bits + 1

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """A batch (x [T, B, bits+2], y [T, B, bits+1], mask [T, B])."""
        seqs = []
        for _ in range(_batch_size(batch_size)):
            n = int(rng.integers(self.min_length, self.max_length + 1))
            k = int(rng.integers(self.min_repeats, self.max_repeats + 1))
            v = (rng.random((n, self.bits)) < 0.5).astype(np.float32)
            t = n + 1 + n * k + 1
            x = np.zeros((t, self.bits + 2), np.float32)
            y = np.zeros((t, self.bits + 1), np.float32)
            m = np.zeros(t, np.float32)
            x[:n, :self.bits] = v
            x[n, self.bits] = 1
            x[n, self.bits + 1] = k / self.max_repeats
            y[n + 1:n + 1 + n * k, :self.bits] = np.tile(v, (k, 1))
            y[t - 1, self.bits] = 1
            m[n + 1:] = 1
            seqs.append((x, y, m))
        return _pad(seqs, self.input_size, self.output_size)


@dataclass
class AssociativeRecallTask:
    """Associative recall: k items of ``item_length`` vectors, each after a delimiter step (channel ``bits``); a
    query delimiter (channel ``bits + 1``), a copy of item i; then the output must be item i + 1.

    Parameters
    ----------
    bits : int, default 6
    item_length : int, default 3
    min_items, max_items : int, default 2, 6
    """

    bits: int = 6
    item_length: int = 3
    min_items: int = 2
    max_items: int = 6

    def __post_init__(self):
        _check_fields(self, [("min_items", "max_items")])
        if self.min_items < 2:
            raise InvalidArgumentError(f"min_items must be >= 2 (a query needs a following item), got {self.min_items}")

    @property
    def input_size(self) -> int:
        """bits + 2 (item and query delimiters)."""
        return self.bits + 2

    @property
    def output_size(self) -> int:
        """bits."""
        return self.bits

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """A batch (x [T, B, bits+2], y [T, B, bits], mask [T, B])."""
        seqs, L = [], self.item_length
        for _ in range(_batch_size(batch_size)):
            k = int(rng.integers(self.min_items, self.max_items + 1))
            items = (rng.random((k, L, self.bits)) < 0.5).astype(np.float32)
            q = int(rng.integers(0, k - 1))
            t = k * (L + 1) + 1 + L + 1 + L
            x = np.zeros((t, self.bits + 2), np.float32)
            y = np.zeros((t, self.bits), np.float32)
            m = np.zeros(t, np.float32)
            for i in range(k):
                x[i * (L + 1), self.bits] = 1
                x[i * (L + 1) + 1:(i + 1) * (L + 1), :self.bits] = items[i]
            s = k * (L + 1)
            x[s, self.bits + 1] = 1
            x[s + 1:s + 1 + L, :self.bits] = items[q]
            x[s + 1 + L, self.bits + 1] = 1
            y[t - L:] = items[q + 1]
            m[t - L:] = 1
            seqs.append((x, y, m))
        return _pad(seqs, self.input_size, self.output_size)


TASKS = {"copy": CopyTask, "repeat-copy": RepeatCopyTask, "associative-recall": AssociativeRecallTask}
