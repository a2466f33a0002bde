"""Few-shot episodes as SNAIL frames them (Mishra et al. 2018 §4.1), and the baselines they are compared with.

An N-way K-shot classification episode is a sequence of T = N·K + 1 steps: N·K labelled examples
``[x_i, onehot(label_i)]`` in random order, then one unlabelled query ``[x_q, 0]``. Labels are a fresh random
assignment of the episode's N classes to 0…N−1, so nothing about a class can be memorised across episodes; the
network is scored on the query step only (weights [B, T] are 1 there and 0 elsewhere). The query's label never
appears in the input (``tests/test_snail.py`` checks it).

Regression episodes (:class:`SinusoidEpisodes`, the MAML task of Finn et al. 2017) are K labelled steps
``[x_i, y_i, 1]`` followed by Q query steps ``[x_q, 0, 0]``, scored on the queries.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np

from ._args import as_bool, as_float32, as_int, require_finite
from ._native import InvalidArgumentError

__all__ = ["FewShotEpisodes", "SinusoidEpisodes", "digits_episodes", "digits_validation_digits",
           "digits_validation_episodes", "nearest_neighbour_accuracy", "query_accuracy"]


def _batch_size(value) -> int:
    return as_int(value, "batch_size", 1, 1 << 20)


class FewShotEpisodes:
    """N-way K-shot episodes drawn from a labelled array dataset.

    Parameters
    ----------
    x : array [n, ...]
        Examples (flattened to [n, D] float32).
    y : array [n]
        Integer class labels.
    ways, shots : int
        N classes per episode, K labelled examples of each.
    classes : sequence of int, optional
        The classes episodes are drawn from (default: every class with at least K + 1 examples), e.g. held-out
        classes for testing.

    Attributes
    ----------
    input_size : int
        D + N.
    sequence_length : int
        N·K + 1.
    """

    def __init__(self, x, y, ways: int = 5, shots: int = 1, classes: Optional[Sequence[int]] = None):
        x = as_float32(x, "x")
        y = np.asarray(y)
        if x.ndim < 2 or y.shape != (x.shape[0],):
            raise InvalidArgumentError(f"x must be [n, ...] and y [n], got {x.shape} and {y.shape}")
        if y.dtype.kind not in "iu":
            raise InvalidArgumentError(f"y must hold integer class labels, got dtype {y.dtype}")
        require_finite(x, "x")
        self.x = np.ascontiguousarray(x.reshape(x.shape[0], -1))
        self.ways, self.shots = as_int(ways, "ways", 2, 1 << 16), as_int(shots, "shots", 1, 1 << 16)
        if self.ways < 2 or self.shots < 1:
            raise InvalidArgumentError(f"ways must be >= 2 and shots >= 1, got {ways}, {shots}")
        labels = np.unique(y) if classes is None else np.asarray(list(classes))
        self.by_class = {int(c): np.flatnonzero(y == c) for c in labels}
        self.by_class = {c: i for c, i in self.by_class.items() if len(i) >= self.shots + 1}
        self.classes = np.array(sorted(self.by_class))
        if len(self.classes) < self.ways:
            raise InvalidArgumentError(f"{self.ways}-way episodes need {self.ways} classes with >= {self.shots + 1} "
                                       f"examples, found {len(self.classes)}")
        self.features = self.x.shape[1]
        self.input_size = self.features + self.ways
        self.sequence_length = self.ways * self.shots + 1

    def sample(self, batch_size: int, rng: np.random.Generator, return_episodes: bool = False):
        """``batch_size`` episodes: x [B, T, D + N], targets [B, T, N] (one-hot labels of every step), weights [B, T]
        (1 on the query). With ``return_episodes`` also (support_x [B, N·K, D], support_labels [B, N·K],
        query_x [B, D], query_labels [B]) for baselines on the same episodes."""
        batch_size, return_episodes = _batch_size(batch_size), as_bool(return_episodes, "return_episodes")
        n, k, d, t = self.ways, self.shots, self.features, self.sequence_length
        x = np.zeros((batch_size, t, d + n), np.float32)
        targets = np.zeros((batch_size, t, n), np.float32)
        weights = np.zeros((batch_size, t), np.float32)
        weights[:, -1] = 1
        sx = np.zeros((batch_size, n * k, d), np.float32)
        sl = np.zeros((batch_size, n * k), np.int64)
        qx = np.zeros((batch_size, d), np.float32)
        ql = np.zeros(batch_size, np.int64)
        for b in range(batch_size):
            chosen = rng.choice(self.classes, size=n, replace=False)  # label j ↔ chosen[j]
            query_label = int(rng.integers(n))
            rows, labels = [], []
            for j, c in enumerate(chosen):
                pick = rng.choice(self.by_class[int(c)], size=k + (j == query_label), replace=False)
                if j == query_label:
                    qx[b] = self.x[pick[-1]]
                    pick = pick[:-1]
                rows.extend(pick)
                labels.extend([j] * k)
            order = rng.permutation(n * k)
            sx[b] = self.x[np.asarray(rows)[order]]
            sl[b] = np.asarray(labels)[order]
            ql[b] = query_label
            x[b, :-1, :d] = sx[b]
            x[b, np.arange(n * k), d + sl[b]] = 1
            x[b, -1, :d] = qx[b]  # the query's label slots stay 0
            targets[b, np.arange(n * k), sl[b]] = 1
            targets[b, -1, query_label] = 1
        if return_episodes:
            return x, targets, weights, (sx, sl, qx, ql)
        return x, targets, weights

    def __repr__(self) -> str:
        return (f"FewShotEpisodes(ways={self.ways}, shots={self.shots}, classes={len(self.classes)}, "
                f"features={self.features})")


#: Base digits whose images (and, with rotations, all 8 of their transformed classes) are validation classes by
#: default: two of the five training digits 0–4, drawn by ``digits_validation_digits(2, seed=0)``.
DIGITS_VALIDATION_SEED = 0
DIGITS_VALIDATION_HELD_OUT = 2


def digits_validation_digits(held_out: int = DIGITS_VALIDATION_HELD_OUT, seed: int = DIGITS_VALIDATION_SEED):
    """The base digits (a sorted tuple of ``held_out`` of 0–4, drawn with ``numpy.random.default_rng(seed)``) held
    out of training as validation classes. Test digits 5–9 are never among them."""
    held_out, seed = as_int(held_out, "held_out", 1, 4), as_int(seed, "seed", 0, 1 << 62)
    return tuple(sorted(int(d) for d in np.random.default_rng(seed).choice(5, size=held_out, replace=False)))


def _digits_classes(images, y, rotations: bool):
    """Images and labels of the given digits; with ``rotations`` also each rotated by 90°, 180°, 270° and each of
    those four mirrored, as further classes: label = digit + 10·quarter-turns + 100·mirrored (so label % 10 is the
    base digit)."""
    if rotations:
        images = np.concatenate([np.rot90(images, r, axes=(1, 2)) for r in range(4)])
        y = np.concatenate([y + 10 * r for r in range(4)])
        images, y = np.concatenate([images, images[:, :, ::-1]]), np.concatenate([y, y + 100])
    return images, y


def _load_digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.images.astype(np.float32) / 16.0, data.target


def digits_episodes(ways: int = 5, shots: int = 1, rotations: bool = True):
    """scikit-learn's bundled 8×8 digits (1,797 images, no download) split by class: episodes for training from
    digits 0–4 and for testing from the held-out digits 5–9 (pixels scaled to [0, 1]). With ``rotations`` each
    training digit rotated by 90°, 180° and 270°, and each of those four mirrored, is a further class (40 training
    classes), as the paper does with rotations for Omniglot. Returns (train, test) :class:`FewShotEpisodes`.
    Needs scikit-learn (``pip install mnemonet[fewshot]``). For choosing hyperparameters use
    :func:`digits_validation_episodes`, which never touches digits 5–9."""
    images, y = _load_digits()
    train_mask = y < 5
    tx, ty = _digits_classes(images[train_mask], y[train_mask], rotations)
    return (FewShotEpisodes(tx, ty, ways, shots), FewShotEpisodes(images[~train_mask], y[~train_mask], ways, shots))


def digits_validation_episodes(ways: int = 5, shots: int = 1, rotations: bool = True,
                               held_out: int = DIGITS_VALIDATION_HELD_OUT, seed: int = DIGITS_VALIDATION_SEED):
    """A validation split of the digits *training* classes, for model selection: the base digits
    ``digits_validation_digits(held_out, seed)`` (default 2 of 0–4, seed 0) are held out whole — with ``rotations``
    all 8 of each one's rotated and mirrored classes — as validation classes, the way Omniglot is split by
    character before rotations add classes (no rotation of a validation digit is a training class). Training
    episodes come from the other base digits (24 classes by default), validation episodes from the held-out ones
    (16 classes); the test digits 5–9 are not loaded into either. Returns (train, validation)
    :class:`FewShotEpisodes`."""
    val_digits = digits_validation_digits(held_out, seed)
    images, y = _load_digits()
    train_mask = (y < 5) & ~np.isin(y, val_digits)
    val_mask = np.isin(y, val_digits)
    tx, ty = _digits_classes(images[train_mask], y[train_mask], rotations)
    vx, vy = _digits_classes(images[val_mask], y[val_mask], rotations)
    return FewShotEpisodes(tx, ty, ways, shots), FewShotEpisodes(vx, vy, ways, shots)


def query_accuracy(logits, targets) -> np.ndarray:
    """Per-episode correctness (bool [B]) of the query step: argmax logits[:, -1] == argmax targets[:, -1]."""
    logits, targets = as_float32(logits, "logits"), as_float32(targets, "targets")
    if logits.ndim != 3 or targets.shape != logits.shape or 0 in logits.shape:
        raise InvalidArgumentError(f"logits and targets must both be [B, T, N] (non-empty), got {logits.shape} and "
                                   f"{targets.shape}")
    require_finite(logits, "logits")
    require_finite(targets, "targets")
    return np.argmax(logits[:, -1], axis=1) == np.argmax(targets[:, -1], axis=1)


def nearest_neighbour_accuracy(episodes) -> np.ndarray:
    """Per-episode correctness (bool [B]) of 1-nearest-neighbour (Euclidean, raw features) on the episodes' support
    sets, given ``episodes = (support_x, support_labels, query_x, query_labels)`` from
    ``FewShotEpisodes.sample(..., return_episodes=True)``."""
    sx, sl, qx, ql = episodes
    d = ((sx - qx[:, None, :]) ** 2).sum(axis=2)
    return sl[np.arange(len(ql)), np.argmin(d, axis=1)] == ql


class SinusoidEpisodes:
    """Few-shot sinusoid regression (Finn et al. 2017): y = A·sin(x + φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5].

    An episode is ``shots`` labelled steps [x, y, 1] then ``queries`` query steps [x, 0, 0]; targets [B, T, 1]
    hold y at every step and weights are 1 on the queries (so the loss is the query MSE, MAML's test metric).

    Attributes
    ----------
    input_size : int
        3.
    sequence_length : int
        shots + queries.
    """

    input_size = 3

    def __init__(self, shots: int = 5, queries: int = 5):
        self.shots, self.queries = as_int(shots, "shots", 1, 1 << 20), as_int(queries, "queries", 1, 1 << 20)
        if self.shots < 1 or self.queries < 1:
            raise InvalidArgumentError(f"shots and queries must be >= 1, got {shots}, {queries}")
        self.sequence_length = self.shots + self.queries

    def sample(self, batch_size: int, rng: np.random.Generator, return_episodes: bool = False):
        """x [B, T, 3], targets [B, T, 1], weights [B, T]; with ``return_episodes`` also
        (support_x [B, K], support_y [B, K], query_x [B, Q], query_y [B, Q])."""
        batch_size, return_episodes = _batch_size(batch_size), as_bool(return_episodes, "return_episodes")
        k, q = self.shots, self.queries
        amp = rng.uniform(0.1, 5.0, size=(batch_size, 1))
        phase = rng.uniform(0, math.pi, size=(batch_size, 1))
        xs = rng.uniform(-5, 5, size=(batch_size, k + q))
        ys = amp * np.sin(xs + phase)
        x = np.zeros((batch_size, k + q, 3), np.float32)
        x[:, :, 0] = xs
        x[:, :k, 1] = ys[:, :k]
        x[:, :k, 2] = 1
        targets = ys[:, :, None].astype(np.float32)
        weights = np.zeros((batch_size, k + q), np.float32)
        weights[:, k:] = 1
        if return_episodes:
            return x, targets, weights, (xs[:, :k], ys[:, :k], xs[:, k:], ys[:, k:])
        return x, targets, weights

    def __repr__(self) -> str:
        return f"SinusoidEpisodes(shots={self.shots}, queries={self.queries})"
