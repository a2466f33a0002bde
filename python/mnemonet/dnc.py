"""The Differentiable Neural Computer (Graves et al. 2016, Nature), trained natively.

``DNC`` wraps the Swift model (Sources/MnemonetMemory/DNC): an LSTM or feedforward controller with an external
memory addressed by content, dynamic allocation (usage, free gates) and temporal links, trained with Adam by
backpropagation through time over whole sequences (optionally truncated), on time-major arrays ``[T, B, ·]``.
"""
import os
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple, Union

import numpy as np

from . import _native
from ._args import as_bool, as_int, as_real
from ._checkpoint import CheckpointBytes
from .memory import MemoryConfig

_CONTROLLERS = {"lstm": 0, "feedforward": 1}
_LOSSES = {"sigmoid_cross_entropy": 0, "squared_error": 1}


def _positive_int(value, name):
    """The shared strict integer rule (bools, floats, strings refused; beyond int64 ArgumentOverflowError), >= 1."""
    value = as_int(value, name)
    if value < 1:
        raise _native.InvalidArgumentError(f"{name} must be at least 1, got {value}")
    return value


def _lr(value):
    """A learning rate: a finite real number > 0 (the shared strict rule, _args.as_real)."""
    value = as_real(value, "lr")
    if not value > 0:
        raise _native.InvalidArgumentError(f"lr must be > 0, got {value}")
    return value


def _clip(value):
    """A gradient-norm clip: a real number >= 0, or +inf for none."""
    return as_real(value, "clip", 0.0, finite=False)


@dataclass
class DNCState:
    """The DNC's recurrent state as NumPy arrays (B sequences, N slots of width W, R read and Hw write heads).

    Attributes
    ----------
    memory : ndarray, shape (B, N, W)
        M_t.
    usage : ndarray, shape (B, N)
        u_t, in [0, 1].
    link : ndarray, shape (B, Hw, N, N)
        L_t, one temporal link matrix per write head (zero diagonal).
    precedence : ndarray, shape (B, Hw, N)
        p_t.
    read_weights : ndarray, shape (B, R, N)
        w^r_t.
    write_weights : ndarray, shape (B, Hw, N)
        w^w_t.
    read_vectors : ndarray, shape (B, R, W)
        r_t.
    h, c : ndarray, shape (B, H), or None
        The LSTM controller's hidden and cell state (None for a feedforward controller).
    """

    memory: np.ndarray
    usage: np.ndarray
    link: np.ndarray
    precedence: np.ndarray
    read_weights: np.ndarray
    write_weights: np.ndarray
    read_vectors: np.ndarray
    h: Optional[np.ndarray] = None
    c: Optional[np.ndarray] = None

    _ORDER = ("memory", "usage", "link", "precedence", "read_weights", "write_weights", "read_vectors")

    def _flat(self) -> np.ndarray:
        parts = ([self.h, self.c] if self.h is not None else []) + [getattr(self, k) for k in self._ORDER]
        return np.concatenate([np.ascontiguousarray(p, dtype=np.float32).reshape(-1) for p in parts])

    def __repr__(self):
        b, n, w = self.memory.shape
        return f"DNCState(batch={b}, memory_size={n}, memory_dim={w})"


@dataclass
class DNCOutput:
    """What ``DNC.forward`` returns.

    Attributes
    ----------
    y : ndarray, shape (T, B, Y)
        The outputs (logits for the bit tasks).
    state : DNCState
        The state after the last step (for masked sequences: after each sequence's last real step).
    read_weights : ndarray, shape (T, B, R, N), or None
        w^r_t of every step (with ``trace=True``).
    write_weights : ndarray, shape (T, B, Hw, N), or None
        w^w_t of every step (with ``trace=True``).
    """

    y: np.ndarray
    state: DNCState
    read_weights: Optional[np.ndarray] = None
    write_weights: Optional[np.ndarray] = None

    def __iter__(self):  # y, state = dnc.forward(x)
        return iter((self.y, self.state))


class DNC(CheckpointBytes):
    """A Differentiable Neural Computer with its Adam trainer.

    One step (Graves et al. 2016, Methods)::

        h_t = controller([x_t; r_{t-1}], h_{t-1})         LSTM or tanh layer
        xi_t = W_xi h_t + b_xi                            interface: keys, strengths, gates, modes
        usage, allocation, write weighting, erase/add write, temporal links, read weighting (content/forward/backward)
        y_t = W_y [h_t; r_t] + b_y

    Parameters
    ----------
    input_size : int
        X, the width of x_t.
    output_size : int
        Y, the width of y_t.
    memory : MemoryConfig, optional
        N, W, R and Hw (default ``MemoryConfig(16, 16, 1, 1)``).
    hidden_size : int, default 64
        H, the controller width.
    controller : {"lstm", "feedforward"}, default "lstm"
    lr : float, default 1e-4
        Adam's learning rate (``fit`` may override it).
    clip : float, default 10.0
        Maximum global gradient norm (``float("inf")``: no clipping).
    loss : {"sigmoid_cross_entropy", "squared_error"}, default "sigmoid_cross_entropy"
        Summed over time and outputs, averaged over the batch, masked by ``mask``.
    seed : int, optional
        Initialisation seed (PyTorch-default uniform initialisation); None draws one at random.

    Notes
    -----
    ``state_dict()`` names are PyTorch's for the equivalent module: ``controller.weight_ih_l0`` ``[4H, X+R*W]``,
    ``controller.weight_hh_l0`` ``[4H, H]``, ``controller.bias_ih_l0``, ``controller.bias_hh_l0`` (LSTM; gate order
    i, f, g, o) or ``controller.weight`` ``[H, X+R*W]``, ``controller.bias`` (feedforward); ``interface.weight``
    ``[S, H]``, ``interface.bias``; ``output.weight`` ``[Y, H+R*W]``, ``output.bias``. The interface layout is
    documented in Sources/MnemonetMemory/DNC/Interface.swift (read keys, read strengths, write keys, write
    strengths, erase, write vectors, free gates, allocation gates, write gates, read modes).
    """

    def __init__(self, input_size: int, output_size: int, memory: Optional[MemoryConfig] = None, *,
                 hidden_size: int = 64, controller: str = "lstm", lr: float = 1e-4, clip: float = 10.0,
                 loss: str = "sigmoid_cross_entropy", seed: Optional[int] = None):
        memory = memory if memory is not None else MemoryConfig(16, 16, 1, 1)
        if controller not in _CONTROLLERS:
            raise _native.InvalidArgumentError(f"controller must be 'lstm' or 'feedforward', got {controller!r}")
        if loss not in _LOSSES:
            raise _native.InvalidArgumentError(f"loss must be one of {sorted(_LOSSES)}, got {loss!r}")
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**63))
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise _native.ArgumentTypeError(f"seed must be a non-negative int or None, got {seed!r}")
        sizes = [_positive_int(input_size, "input_size"), _positive_int(output_size, "output_size"),
                 _positive_int(hidden_size, "hidden_size")] + [
            _positive_int(v, n) for v, n in zip(memory._dims(), ("memory_size", "memory_dim", "num_read_heads",
                                                                 "num_write_heads"))]
        self._native = _native.DNC(*sizes, _CONTROLLERS[controller], _lr(lr), _clip(clip), _LOSSES[loss],
                                   int(seed))
        self._describe()

    def _describe(self):
        d = self._native.describe()
        self.input_size, self.output_size, self.hidden_size = d["input_size"], d["output_size"], d["hidden_size"]
        self.memory = MemoryConfig(d["memory_size"], d["memory_dim"], d["num_read_heads"], d["num_write_heads"])
        self.controller = "lstm" if d["controller"] == 0 else "feedforward"
        self.lr, self.clip = d["lr"], d["clip"]
        self.loss = [k for k, v in _LOSSES.items() if v == d["loss"]][0]

    def __repr__(self):
        m = self.memory
        return (f"DNC(input_size={self.input_size}, output_size={self.output_size}, memory=MemoryConfig("
                f"memory_size={m.memory_size}, memory_dim={m.memory_dim}, num_read_heads={m.num_read_heads}, "
                f"num_write_heads={m.num_write_heads}), hidden_size={self.hidden_size}, "
                f"controller={self.controller!r})")

    # ---- parameters ------------------------------------------------------------------------------------------

    def _shapes(self):
        X, Y, H = self.input_size, self.output_size, self.hidden_size
        m = self.memory
        R, W, Hw = m.num_read_heads, m.memory_dim, m.num_write_heads
        S = R * W + R + 3 * Hw * W + Hw + R + 2 * Hw + R * (2 * Hw + 1)
        cin = X + R * W
        if self.controller == "lstm":
            ctrl = [("controller.weight_ih_l0", (4 * H, cin)), ("controller.weight_hh_l0", (4 * H, H)),
                    ("controller.bias_ih_l0", (4 * H,)), ("controller.bias_hh_l0", (4 * H,))]
        else:
            ctrl = [("controller.weight", (H, cin)), ("controller.bias", (H,))]
        return ctrl + [("interface.weight", (S, H)), ("interface.bias", (S,)),
                       ("output.weight", (Y, H + R * W)), ("output.bias", (Y,))]

    @property
    def parameter_count(self) -> int:
        """The number of learnable parameters."""
        return self._native.parameter_count

    @property
    def optimizer_steps(self) -> int:
        """Adam steps taken so far."""
        return self._native.describe()["optimizer_steps"]

    def state_dict(self) -> Dict[str, np.ndarray]:
        """Parameters by PyTorch name (copies, float32); loadable into the equivalent PyTorch module."""
        flat = self._native.get_parameters()
        out, offset = {}, 0
        for name, shape in self._shapes():
            n = int(np.prod(shape))
            out[name] = flat[offset:offset + n].reshape(shape).copy()
            offset += n
        return out

    def load_state_dict(self, state_dict: Dict[str, np.ndarray]) -> None:
        """Replaces every parameter; names and shapes must match ``state_dict()`` exactly (PyTorch tensors work too
        through ``numpy()``)."""
        shapes = self._shapes()
        missing = [n for n, _ in shapes if n not in state_dict]
        unexpected = sorted(set(state_dict) - {n for n, _ in shapes})
        if missing or unexpected:
            raise _native.InvalidArgumentError(f"load_state_dict: missing {missing}, unexpected {unexpected}")
        parts = []
        for name, shape in shapes:
            a = np.asarray(state_dict[name], dtype=np.float32)
            if a.shape != shape:
                raise _native.InvalidArgumentError(f"load_state_dict: {name} has shape {a.shape}, expected {shape}")
            parts.append(a.reshape(-1))
        self._native.set_parameters(np.ascontiguousarray(np.concatenate(parts)))

    # ---- running -----------------------------------------------------------------------------------------------

    def _state_from_flat(self, flat: np.ndarray, b: int) -> DNCState:
        m = self.memory
        N, W, R, Hw, H = m.memory_size, m.memory_dim, m.num_read_heads, m.num_write_heads, self.hidden_size
        shapes = ([("h", (b, H)), ("c", (b, H))] if self.controller == "lstm" else []) + [
            ("memory", (b, N, W)), ("usage", (b, N)), ("link", (b, Hw, N, N)), ("precedence", (b, Hw, N)),
            ("read_weights", (b, R, N)), ("write_weights", (b, Hw, N)), ("read_vectors", (b, R, W))]
        parts, offset = {}, 0
        for name, shape in shapes:
            n = int(np.prod(shape))
            parts[name] = flat[offset:offset + n].reshape(shape)
            offset += n
        return DNCState(**parts)

    def initial_state(self, batch_size: int) -> DNCState:
        """The all-zero state of ``batch_size`` sequences."""
        b = _positive_int(batch_size, "batch_size")
        return self._state_from_flat(np.zeros(self._native.state_size(b), np.float32), b)

    def forward(self, x: np.ndarray, state: Optional[DNCState] = None, *, lengths: Optional[np.ndarray] = None,
                trace: bool = False) -> DNCOutput:
        """Runs sequences through the DNC (no training).

        Parameters
        ----------
        x : ndarray, shape (T, B, X), float32
        state : DNCState, optional
            The state to start from (default: zeros).
        lengths : array of int, shape (B,), optional
            Real length of each sequence of a padded batch: after its last step a sequence keeps its state (the
            returned ``state`` is each sequence's own final state). Default: all T.
        trace : bool, default False
            Also return every step's read and write weightings.

        Returns
        -------
        DNCOutput
            ``y`` (T, B, Y), ``state``, and with ``trace`` the weightings; unpacks as ``y, state``.
        """
        mask = None
        if lengths is not None:
            t = np.shape(x)[0] if np.ndim(x) >= 1 else 0
            if isinstance(lengths, (list, tuple)):  # each entry by the strict rule: [True, 1] is not [1, 1]
                lengths = [as_int(v, f"lengths[{i}]") for i, v in enumerate(lengths)]
            lengths = np.asarray(lengths)
            if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.integer):
                raise _native.ArgumentTypeError(f"lengths must be a 1-D array of ints, got {lengths.dtype} shape "
                                                f"{lengths.shape}")
            if lengths.size and (lengths.min() < 1 or lengths.max() > t):
                raise _native.InvalidArgumentError(f"lengths must lie in 1...{t} (the sequence length), got "
                                                   f"{lengths.min()}...{lengths.max()}")
            mask = (np.arange(t)[:, None] < lengths[None, :]).astype(np.float32)
        flat_in = None
        if state is not None:
            if not isinstance(state, DNCState):
                raise _native.ArgumentTypeError(f"state must be a DNCState, got {type(state).__name__}")
            flat_in = state._flat()
        y, flat, reads, writes = self._native.forward(x, mask, flat_in, as_bool(trace, "trace"))
        return DNCOutput(y, self._state_from_flat(flat, y.shape[1]), reads, writes)

    __call__ = forward

    def train_step(self, x: np.ndarray, y: np.ndarray, mask: Optional[np.ndarray] = None, *,
                   truncation: Optional[int] = None, lr: Optional[float] = None,
                   clip: Optional[float] = None) -> float:
        """One optimisation step: forward, backpropagation through time over the whole sequence (or chunks of
        ``truncation`` steps, one Adam step each, the state carried across chunks), gradient clipping, Adam.

        Parameters
        ----------
        x : ndarray, shape (T, B, X), float32
        y : ndarray, shape (T, B, Y), float32
            Targets (bits in [0, 1] for the sigmoid cross-entropy).
        mask : ndarray, shape (T, B), optional
            Loss weights (1 = scored step, 0 = ignored, e.g. the input phase of a task or padding); default all
            ones. It does not freeze the state (steps after a sequence's end cannot change its scored outputs).
        truncation : int, optional
            Truncated BPTT chunk length (default: the whole sequence).
        lr, clip : float, optional
            Override the model's learning rate and clip from now on.

        Returns
        -------
        float
            The loss (summed over time and outputs, averaged over the batch; summed over chunks).
        """
        if lr is not None:
            self.lr = _lr(lr)
        if clip is not None:
            self.clip = _clip(clip)
        t = 0 if truncation is None else _positive_int(truncation, "truncation")
        return self._native.train_step(x, y, mask, t, self.lr, self.clip)

    def fit(self, data, steps: int, *, lr: Optional[float] = None, clip: Optional[float] = None,
            batch_size: int = 16, truncation: Optional[int] = None, progress: bool = True, seed: Optional[int] = None,
            callback: Optional[Callable[[int, float], None]] = None) -> np.ndarray:
        """Trains for ``steps`` optimisation steps.

        Parameters
        ----------
        data : task or tuple
            A task (an object with ``sample(batch_size, rng) -> (x, y, mask)``, e.g. ``mnemonet.dnc_tasks.CopyTask``)
            or arrays ``(x [T, n, X], y [T, n, Y])`` / ``(x, y, mask [T, n])`` sampled ``batch_size`` sequences at
            a time.
        steps : int
        lr, clip : float, optional
            Learning rate and clip (default: the model's).
        batch_size : int, default 16
        truncation : int, optional
            Truncated BPTT chunk length.
        progress : bool, default True
            Show a tqdm bar with the running loss.
        seed : int, optional
            Seed of the batch sampling.
        callback : callable, optional
            ``callback(step, loss)`` after every step (e.g. a curriculum).

        Returns
        -------
        ndarray, shape (steps,)
            The loss of every step.
        """
        steps = _positive_int(steps, "steps")
        batch_size = _positive_int(batch_size, "batch_size")
        rng = np.random.default_rng(None if seed is None else as_int(seed, "seed", 0))
        if isinstance(data, tuple):
            if len(data) not in (2, 3):
                raise _native.InvalidArgumentError(f"data must be (x, y) or (x, y, mask), got {len(data)} arrays")
            xs, ys = np.asarray(data[0], np.float32), np.asarray(data[1], np.float32)
            ms = None if len(data) == 2 or data[2] is None else np.asarray(data[2], np.float32)
            if xs.ndim != 3 or ys.ndim != 3 or xs.shape[:2] != ys.shape[:2]:
                raise _native.InvalidArgumentError(
                    f"data arrays must be x [T, n, X] and y [T, n, Y] with equal T, n, got {xs.shape} and {ys.shape}")

            def sample(b, r):
                idx = r.integers(0, xs.shape[1], size=b)
                return (np.ascontiguousarray(xs[:, idx]), np.ascontiguousarray(ys[:, idx]),
                        None if ms is None else np.ascontiguousarray(ms[:, idx]))
        elif hasattr(data, "sample"):
            sample = data.sample
        else:
            raise _native.ArgumentTypeError(f"data must be a task with sample() or a tuple of arrays, got "
                                            f"{type(data).__name__}")
        losses = np.empty(steps, np.float64)
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=steps, desc="DNC.fit", leave=False)
        try:
            for i in range(steps):
                x, y, m = sample(batch_size, rng)
                losses[i] = self.train_step(x, y, m, truncation=truncation, lr=lr, clip=clip)
                if callback is not None:
                    callback(i, float(losses[i]))
                if bar is not None:
                    bar.update(1)
                    if i % 20 == 0:
                        bar.set_postfix(loss=f"{np.mean(losses[max(0, i - 99):i + 1]):.3f}")
        finally:
            if bar is not None:
                bar.close()
        return losses

    # ---- checkpoints -----------------------------------------------------------------------------------------

    def save(self, path) -> None:
        """Writes the model and its optimizer state to ``path`` atomically (temporary file, fsync, rename), or to a
        binary file object. ``to_bytes()`` gives the same bytes; pickling and ``copy.deepcopy`` go through them."""
        self._native.save(os.fspath(path) if isinstance(path, (str, bytes, os.PathLike)) else path)

    @classmethod
    def load(cls, path) -> "DNC":
        """Reads a model written by ``save`` (a path or a binary file object; ``CheckpointFormatError`` for a
        corrupt or foreign checkpoint)."""
        self = cls.__new__(cls)
        self._native = _native.DNC.load(os.fspath(path) if isinstance(path, (str, bytes, os.PathLike)) else path)
        self._describe()
        return self
