"""SNAIL natively: the Simple Neural Attentive meta-Learner of Mishra et al. (2018).

A SNAIL network maps a sequence x [B, T, I] to y [B, T, O] through interleaved *temporal-convolution* blocks
(``("tc", filters)``: ⌈log₂ T⌉ dilated causal convolutions with dilations 1, 2, 4, …, gated tanh ⊙ σ, each output
concatenated to its input) and *causal attention* blocks (``("attention", key_size, value_size)``: single-head
scaled dot-product attention over the steps ≤ t, softmax over the key axis, read concatenated), followed by a
per-step linear read-out. Every block is causal: y[:, t] depends on x[:, ≤ t] only.

An optional *embedding network* (``embedding=(64, 64), embedding_inputs=F``: an MLP, Linear + ReLU per layer) runs in
front of the blocks on every step's first F columns (the observation, e.g. an image's pixels) and its output replaces
them; the remaining I − F columns (the label one-hot of a few-shot step) pass through unchanged after it. It is
trained end to end with the rest, as the paper's embedding CNN is.

Everything that learns runs in Swift (``Sources/MnemonetSNAIL``): forward and backward passes, Adam with gradient
clipping, and the actor-critic training on multi-armed bandits. Python builds episodes and reads results.

Parameter names follow PyTorch (``embedding.0.weight`` of an ``nn.Sequential(Linear, ReLU, …)``,
``blocks.0.query.weight``, ``blocks.1.dense.2.filter_conv.weight`` [D, C, 2] in ``nn.Conv1d`` layout,
``output.weight``), so :meth:`SNAIL.state_dict` loads into the reference implementation in
``tools/fixtures/make_snail_fixtures.py`` unchanged.
"""
from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from typing import Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _native
from ._args import as_bool, as_float32, as_int, as_real
from ._native import ArgumentTypeError, InvalidArgumentError

__all__ = ["SNAIL", "LOSSES"]

LOSSES = {"mse": 0, "cross_entropy": 1}
_KINDS = {"attention": 0, "tc": 1}


def _parse_blocks(blocks) -> Tuple[Tuple[str, ...], list]:
    specs, native = [], []
    if isinstance(blocks, (str, bytes)) or not hasattr(blocks, "__iter__"):
        raise ArgumentTypeError(f"blocks must be a sequence of tuples like ('attention', 64, 32) or ('tc', 128), "
                                f"got {blocks!r}")
    for i, b in enumerate(blocks):
        if not isinstance(b, (tuple, list)) or not b or b[0] not in _KINDS:
            raise InvalidArgumentError(f"blocks[{i}] must be ('attention', key, value) or ('tc', filters), got {b!r}")
        want = 3 if b[0] == "attention" else 2
        if len(b) != want:
            raise InvalidArgumentError(f"blocks[{i}] = {tuple(b)!r}: {b[0]!r} takes {want - 1} sizes")
        sizes = []
        for s in b[1:]:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise ArgumentTypeError(f"blocks[{i}] sizes must be integers, got {s!r}")
            sizes.append(int(s))
        specs.append((b[0], *sizes))
        native.append((_KINDS[b[0]], sizes[0], sizes[1] if want == 3 else 0))
    return tuple(specs), native


def _parse_embedding(embedding, embedding_inputs, input_size: int) -> Tuple[Tuple[int, ...], int]:
    """(layer sizes, F): () and 0 without an embedding."""
    if embedding is None:
        if embedding_inputs is not None:
            raise InvalidArgumentError("embedding_inputs is given but embedding is None (pass embedding=(sizes, ...))")
        return (), 0
    # An ordered sequence of ints only: a str/bytes/bytearray would be read as character codes, a set in any order.
    if not isinstance(embedding, (list, tuple, np.ndarray)) or (isinstance(embedding, np.ndarray) and embedding.ndim != 1):
        raise ArgumentTypeError(f"embedding must be a list or tuple of layer sizes like (64, 64), got {embedding!r}")
    sizes = []
    for i, e in enumerate(embedding):
        if isinstance(e, bool) or not isinstance(e, (int, np.integer)):
            raise ArgumentTypeError(f"embedding[{i}] must be an integer layer size, got {e!r}")
        sizes.append(int(e))
    if not 1 <= len(sizes) <= 16:
        raise InvalidArgumentError(f"embedding must have 1 to 16 layers, got {len(sizes)}")
    if embedding_inputs is None:
        raise InvalidArgumentError("embedding_inputs (the number of leading observation columns the embedding reads) "
                                   "is required with an embedding")
    f = _int(embedding_inputs, "embedding_inputs")
    if not 1 <= f <= input_size:
        raise InvalidArgumentError(f"embedding_inputs must be in 1...input_size ({input_size}), got {f}")
    return tuple(sizes), f


def _unit(v, what: str) -> float:
    """A real number in [0, 1] (a discount, GAE's lambda)."""
    v = as_real(v, what, 0.0)
    if v > 1:
        raise InvalidArgumentError(f"{what} must be in [0, 1], got {v}")
    return v


def _int(v, what: str) -> int:
    """The shared strict integer rule (_args.as_int): bools, floats and strings refused, beyond int64 an
    ArgumentOverflowError."""
    return as_int(v, what)


def _progress_bar(show: bool, total: int, desc: str):
    """A tqdm bar, or None when not shown or tqdm is missing."""
    if not show:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, desc=desc, unit="it")


class SNAIL:
    """A SNAIL network with its Adam optimiser.

    Parameters
    ----------
    input_size : int
        I, the features per step.
    output_size : int
        O, the outputs per step (class logits, a regression target, or K action logits + 1 value for bandits).
    sequence_length : int
        T, the episode length the TC blocks are sized for (⌈log₂ T⌉ dense blocks each); longer inputs still run,
        steps more than 2^⌈log₂ T⌉ apart are then linked through attention only.
    blocks : sequence of tuples, default (("attention", 32, 16), ("tc", 32), ("attention", 64, 32))
        ``("attention", key_size, value_size)`` and ``("tc", filters)`` in order. The paper's Omniglot model is
        ``[("attention", 64, 32), ("tc", 128), ("attention", 256, 128), ("tc", 128), ("attention", 512, 256)]``.
    lr : float, default 1e-3
        Adam's learning rate.
    clip_norm : float, default 1.0
        Gradients are clipped to this joint L2 norm before each step (0: no clipping).
    seed : int, default 0
        Seeds the initialisation (PyTorch's default for Conv1d/Linear) and everything sampled later.
    embedding : sequence of int, optional
        Layer sizes (E₁, …, E_n) of an embedding MLP applied to every step before the blocks (default: none, the
        blocks read x directly). Layer j is ``Linear(E_{j−1}, E_j)`` followed by a ReLU (E₀ = ``embedding_inputs``);
        the last layer's ReLU is kept unless ``embedding_final_relu=False``. Trained end to end with the blocks.
    embedding_inputs : int, optional
        F, the leading columns of each step the embedding reads (required with ``embedding``): for a few-shot
        episode the observation's D features (:attr:`mnemonet.fewshot.FewShotEpisodes.features`). The other
        I − F columns (the label one-hot) are appended unchanged after the embedding, so the blocks see
        [embed(x[:, :, :F]) [B, T, E_n], x[:, :, F:] [B, T, I − F]], width E_n + I − F.
    embedding_final_relu : bool, default True
        Whether the last embedding layer is followed by a ReLU (as the paper's embedding CNNs are) or is linear.

    Examples
    --------
    >>> import numpy as np, mnemonet
    >>> net = mnemonet.SNAIL(input_size=3, output_size=2, sequence_length=8, blocks=[("tc", 8), ("attention", 8, 4)])
    >>> net.forward(np.zeros((4, 8, 3), np.float32)).shape
    (4, 8, 2)

    A 5-way 1-shot digits model: 64 pixels embedded by a 64-64 MLP, the 5 label columns passed through:

    >>> net = mnemonet.SNAIL(69, 5, 6, blocks=[("tc", 8), ("attention", 8, 4)], embedding=(64, 64), embedding_inputs=64)
    >>> net.parameter_names()[:2]
    ['embedding.0.weight', 'embedding.0.bias']
    >>> net.forward(np.zeros((2, 6, 69), np.float32)).shape
    (2, 6, 5)
    """

    def __init__(self, input_size: int, output_size: int, sequence_length: int,
                 blocks: Sequence[Tuple] = (("attention", 32, 16), ("tc", 32), ("attention", 64, 32)),
                 lr: float = 1e-3, clip_norm: float = 1.0, seed: int = 0, *,
                 embedding: Optional[Sequence[int]] = None, embedding_inputs: Optional[int] = None,
                 embedding_final_relu: bool = True):
        self.input_size = _int(input_size, "input_size")
        self.output_size = _int(output_size, "output_size")
        self.sequence_length = _int(sequence_length, "sequence_length")
        self.blocks, native_blocks = _parse_blocks(blocks)
        self.embedding, self.embedding_inputs = _parse_embedding(embedding, embedding_inputs, self.input_size)
        self.embedding_final_relu = as_bool(embedding_final_relu, "embedding_final_relu")
        seed = _int(seed, "seed")
        if seed < 0:
            raise InvalidArgumentError(f"seed must be >= 0, got {seed}")
        self._native = _native.SNAIL(self.input_size, self.output_size, self.sequence_length, native_blocks,
                                     as_real(lr, "lr"), as_real(clip_norm, "clip_norm", 0.0), seed,
                                     embedding=self.embedding, embedding_inputs=self.embedding_inputs,
                                     embedding_final_relu=self.embedding_final_relu)
        self.seed = seed

    @classmethod
    def _wrap(cls, native) -> "SNAIL":
        d = native.describe()
        self = cls.__new__(cls)
        self._native = native
        self.input_size, self.output_size = d["input_size"], d["output_size"]
        self.sequence_length = d["sequence_length"]
        names = {v: k for k, v in _KINDS.items()}
        self.blocks = tuple((names[k], a, b) if k == 0 else (names[k], a) for k, a, b in d["blocks"])
        self.embedding, self.embedding_inputs = tuple(d["embedding"]), d["embedding_inputs"]
        self.embedding_final_relu = d["embedding_final_relu"] if self.embedding else True
        self.seed = None
        return self

    # -- parameters -------------------------------------------------------------------------------------------------
    @property
    def parameter_count(self) -> int:
        """The number of scalar parameters."""
        return self._native.parameter_count

    @property
    def iteration(self) -> int:
        """Optimiser steps taken so far."""
        return self._native.iteration

    @property
    def lr(self) -> float:
        """Adam's learning rate (settable)."""
        return self._native.describe()["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        self._native.set_optimizer(as_real(value, "lr"), self.clip_norm)

    @property
    def clip_norm(self) -> float:
        """The gradient-norm clip (settable; 0 = off)."""
        return self._native.describe()["clip_norm"]

    @clip_norm.setter
    def clip_norm(self, value: float) -> None:
        self._native.set_optimizer(self.lr, as_real(value, "clip_norm", 0.0))

    def parameter_names(self) -> list:
        """The parameter names in PyTorch ``named_parameters()`` order."""
        return [self._native.tensor_info(i)[0] for i in range(self._native.tensor_count)]

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """name → float32 array (copies), PyTorch's names and layouts (Conv1d weights [D, C, 2], Linear [out, in])."""
        return OrderedDict((self._native.tensor_info(i)[0], self._native.get_tensor(i))
                           for i in range(self._native.tensor_count))

    def load_state_dict(self, state_dict: Mapping[str, object], strict: bool = True) -> None:
        """Copies arrays (NumPy or anything ``np.asarray`` takes, e.g. torch tensors) into the parameters.

        With ``strict`` every name must be present and no other name may appear; shapes must always match."""
        names = self.parameter_names()
        if strict:
            missing = [n for n in names if n not in state_dict]
            unexpected = [k for k in state_dict if k not in names]
            if missing or unexpected:
                raise InvalidArgumentError(f"state_dict mismatch: missing {missing}, unexpected {unexpected}")
        for i, n in enumerate(names):
            if n in state_dict:
                v = state_dict[n]
                if hasattr(v, "detach"):
                    v = v.detach().cpu().numpy()
                self._native.set_tensor(i, np.ascontiguousarray(v, dtype=np.float32))

    # -- forward / loss ---------------------------------------------------------------------------------------------
    def _x(self, x) -> np.ndarray:
        arr = as_float32(x, "x")
        if arr.ndim != 3 or arr.shape[2] != self.input_size:
            raise InvalidArgumentError(f"x must have shape (B, T, {self.input_size}), got {tuple(np.shape(x))}")
        return arr

    def forward(self, x) -> np.ndarray:
        """y [B, T, O] for x [B, T, I] (no graph is recorded)."""
        return self._native.forward(self._x(x))

    __call__ = forward

    def _batch(self, x, targets, weights):
        x = self._x(x)
        b, t = x.shape[:2]
        targets = as_float32(targets, "targets")
        if targets.shape != (b, t, self.output_size):
            raise InvalidArgumentError(f"targets must have shape ({b}, {t}, {self.output_size}), got {targets.shape}")
        if weights is None:
            weights = np.ones((b, t), np.float32)
        weights = as_float32(weights, "weights")
        if weights.shape != (b, t):
            raise InvalidArgumentError(f"weights must have shape ({b}, {t}), got {weights.shape}")
        return x, targets, weights

    def _loss_kind(self, loss: str) -> int:
        if loss not in LOSSES:
            raise InvalidArgumentError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
        return LOSSES[loss]

    def loss(self, x, targets, weights=None, loss: str = "cross_entropy") -> float:
        """L = Σ_{b,t} w[b,t]·ℓ[b,t] / Σ w with ℓ = −Σ_o target·log softmax(y) ("cross_entropy") or mean_o (y − target)²
        ("mse"). x [B, T, I], targets [B, T, O], weights [B, T] (default ones)."""
        x, targets, weights = self._batch(x, targets, weights)
        return self._native.loss(x, targets, weights, self._loss_kind(loss), False, False)[0]

    def gradients(self, x, targets, weights=None, loss: str = "cross_entropy") -> "OrderedDict[str, np.ndarray]":
        """∂L/∂θ for :meth:`loss`, keyed and shaped like :meth:`state_dict`."""
        x, targets, weights = self._batch(x, targets, weights)
        _, flat = self._native.loss(x, targets, weights, self._loss_kind(loss), False, True)
        out, offset = OrderedDict(), 0
        for i in range(self._native.tensor_count):
            name, shape = self._native.tensor_info(i)
            n = int(np.prod(shape))
            out[name] = flat[offset:offset + n].reshape(shape)
            offset += n
        return out

    def train_step(self, x, targets, weights=None, loss: str = "cross_entropy") -> float:
        """One clipped Adam step on a batch; returns the loss before the step."""
        x, targets, weights = self._batch(x, targets, weights)
        return self._native.loss(x, targets, weights, self._loss_kind(loss), True, False)[0]

    def fit(self, data, iterations: int = 1000, batch_size: int = 32, loss: str = "cross_entropy",
            progress: bool = True, seed: Optional[int] = None) -> np.ndarray:
        """Trains for ``iterations`` Adam steps; returns the loss of each step.

        Parameters
        ----------
        data : episode sampler or tuple
            An object with ``sample(batch_size, rng) -> (x, targets, weights)`` (e.g.
            :class:`mnemonet.fewshot.FewShotEpisodes`, :class:`mnemonet.fewshot.SinusoidEpisodes`: fresh episodes
            every step), or arrays ``(x, targets)`` / ``(x, targets, weights)`` from which mini-batches are drawn.
        iterations, batch_size : int
            Steps and sequences per step.
        loss : {"cross_entropy", "mse"}
        progress : bool
            Show a tqdm bar.
        seed : int, optional
            Seeds the batch sampling (default: derived from the model's seed and iteration).
        """
        iterations, batch_size = _int(iterations, "iterations"), _int(batch_size, "batch_size")
        if iterations < 0 or batch_size < 1:
            raise InvalidArgumentError(f"iterations must be >= 0 and batch_size >= 1, got {iterations}, {batch_size}")
        seed = None if seed is None else as_int(seed, "seed", 0)
        rng = np.random.default_rng(seed if seed is not None else ((self.seed or 0) * 1_000_003 + self.iteration))
        if hasattr(data, "sample"):
            sample = lambda: data.sample(batch_size, rng)  # noqa: E731
        else:
            if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
                raise InvalidArgumentError("data must be an episode sampler or a tuple (x, targets[, weights])")
            x, targets, weights = self._batch(*data, *(() if len(data) == 3 else (None,)))

            def sample():
                idx = rng.integers(0, len(x), size=batch_size)
                return x[idx], targets[idx], weights[idx]
        bar = _progress_bar(progress, iterations, "SNAIL fit")
        history = np.empty(iterations, dtype=np.float32)
        try:
            for i in range(iterations):
                history[i] = self.train_step(*sample(), loss=loss)
                if bar is not None:
                    bar.update(1)
                    if i % 10 == 9:
                        bar.set_postfix(loss=f"{float(np.mean(history[max(0, i - 9):i + 1])):.4f}")
        finally:
            if bar is not None:
                bar.close()
        return history

    # -- bandits ----------------------------------------------------------------------------------------------------
    @classmethod
    def for_bandits(cls, arms: int, pulls: int, blocks: Sequence[Tuple] = (("tc", 32), ("attention", 32, 32)),
                    lr: float = 1e-3, clip_norm: float = 1.0, seed: int = 0) -> "SNAIL":
        """A policy-and-value network for K-armed Bernoulli bandits of N pulls: input K + 2 (previous action one-hot,
        previous reward, t/N), output K logits + 1 value, T = N."""
        arms, pulls = _int(arms, "arms"), _int(pulls, "pulls")
        return cls(arms + 2, arms + 1, pulls, blocks=blocks, lr=lr, clip_norm=clip_norm, seed=seed)

    def _arms(self) -> int:
        k = self.input_size - 2
        if k < 2 or self.output_size != k + 1:
            raise InvalidArgumentError(f"a bandit policy needs input_size K+2 and output_size K+1, this model has "
                                       f"{self.input_size} and {self.output_size} (use SNAIL.for_bandits)")
        return k

    def fit_bandits(self, pulls: int, iterations: int = 1000, batch_size: int = 32, discount: float = 0.99,
                    gae_lambda: float = 0.95, value_coef: float = 0.5, entropy_coef: float = 0.01,
                    normalize_advantages: bool = True, progress: bool = True, chunk: int = 10) -> np.ndarray:
        """Meta-RL on Bernoulli bandits (K = input_size − 2 arms, p ~ U[0, 1] per episode, ``pulls`` pulls):
        ``iterations`` advantage actor-critic updates (GAE) on ``batch_size`` fresh episodes each, all in Swift.
        The value output is the critic in units of the horizon H = Σ_{l<N} γ^l (V_t = H·v̂_t, value loss
        ½(v̂_t − R_t/H)²), so the value loss stays O(1) at any N. Returns the mean episode reward of each update's
        batch."""
        k = self._arms()
        # Everything is checked before the first update (also for iterations = 0): no value is used unvalidated.
        iterations, chunk = as_int(iterations, "iterations", 0), as_int(chunk, "chunk", 1)
        pulls, batch_size = as_int(pulls, "pulls", 1), as_int(batch_size, "batch_size", 1)
        discount, gae_lambda = _unit(discount, "discount"), _unit(gae_lambda, "gae_lambda")
        config = (discount, gae_lambda, as_real(value_coef, "value_coef", 0.0), as_real(entropy_coef, "entropy_coef", 0.0),
                  1.0 if as_bool(normalize_advantages, "normalize_advantages") else 0.0)
        bar = _progress_bar(progress, iterations, f"SNAIL bandits K={k} N={pulls}")
        history = np.empty(iterations, dtype=np.float32)
        done = 0
        try:
            while done < iterations:
                n = min(chunk, iterations - done)
                history[done:done + n] = self._native.bandit_train(k, _int(pulls, "pulls"), _int(batch_size, "batch_size"),
                                                                   n, config)
                done += n
                if bar is not None:
                    bar.update(n)
                    bar.set_postfix(reward=f"{float(np.mean(history[max(0, done - 50):done])):.2f}")
        finally:
            if bar is not None:
                bar.close()
        return history

    def evaluate_bandits(self, probabilities, uniforms, greedy: bool = False) -> np.ndarray:
        """Total reward of each episode [E] on given draws: ``probabilities`` p [E, K], ``uniforms`` u [E, N, K]
        (pulling arm a at step t pays 1 iff u[e, t, a] < p[e, a]); see :func:`mnemonet.bandits.draw`. Actions are
        sampled from the policy (its argmax when ``greedy``)."""
        self._arms()
        p, u = as_float32(probabilities, "probabilities"), as_float32(uniforms, "uniforms")
        return self._native.bandit_evaluate(p, u, as_bool(greedy, "greedy"))

    # -- checkpoints ------------------------------------------------------------------------------------------------
    def save(self, path) -> None:
        """Writes an atomic checkpoint (architecture, parameters, Adam state, generator, iteration)."""
        self._native.save(os.fspath(path))

    @classmethod
    def load(cls, path) -> "SNAIL":
        """Reads a checkpoint written by :meth:`save` (CheckpointFormatError for a truncated, corrupt or foreign
        file, CheckpointIOError when it cannot be read)."""
        return cls._wrap(_native.SNAIL.load(os.fspath(path)))

    def to_bytes(self) -> bytes:
        """The checkpoint as bytes (what :meth:`save` writes); pickling and ``copy.deepcopy`` go through it."""
        return self._native.to_bytes()

    @classmethod
    def from_bytes(cls, data) -> "SNAIL":
        """A network from :meth:`to_bytes` output (CheckpointFormatError when they are not a SNAIL checkpoint)."""
        return cls._wrap(_native.SNAIL.from_bytes(data))

    def __repr__(self) -> str:
        emb = ""
        if self.embedding:
            emb = f", embedding={self.embedding}, embedding_inputs={self.embedding_inputs}"
            if not self.embedding_final_relu:
                emb += ", embedding_final_relu=False"
        return (f"SNAIL(input_size={self.input_size}, output_size={self.output_size}, "
                f"sequence_length={self.sequence_length}, blocks={list(self.blocks)}{emb}, "
                f"parameters={self.parameter_count}, iteration={self.iteration})")
