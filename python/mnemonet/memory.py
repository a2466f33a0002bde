"""The seed's differentiable memory: ``MemoryConfig``, ``NeuralMemoryBank`` and ``MemoryController``.

Same names and semantics as the PyTorch tutorial; the work runs natively (Swift). Arrays are NumPy ``float32``
(array-likes, including CPU ``torch.Tensor``s, are converted).
"""
from __future__ import annotations

import operator
from collections import OrderedDict
from dataclasses import dataclass
from typing import Mapping, Optional

import numpy as np

from . import _native
from ._checkpoint import CheckpointBytes
from ._native import InvalidArgumentError

__all__ = ["MemoryConfig", "NeuralMemoryBank", "MemoryController"]


from ._args import as_float32 as _f32, as_int, as_real as _real  # noqa: E402


def _non_negative(converted, original, name):
    """Refuses negative strengths (also a tiny negative value that float32 rounds to -0.0)."""
    if np.signbit(converted).any():
        bad = np.asarray(original, dtype=np.float64).reshape(-1)[np.signbit(converted)][0]
        raise InvalidArgumentError(f"{name} must be >= 0, got {bad}")


def _int(value, name):
    """A size or count: an int (not a bool or a float) within int64 (beyond it: ArgumentOverflowError)."""
    return as_int(value, name, hi=2**63 - 1)


@dataclass
class MemoryConfig:
    """Shape of a neural memory bank (the seed's ``MemoryConfig``).

    Parameters
    ----------
    memory_size : int
        N, the number of memory slots.
    memory_dim : int
        W, the width of one slot.
    num_read_heads : int
        R, the number of read heads.
    num_write_heads : int
        Number of write heads; the seed's controller has exactly one (others raise at construction).
    init : {"zeros", "normal"}, default "zeros"
        The memory's initial value. ``"zeros"`` is the seed's: the memory starts at 0 and, since every slot is then
        addressed alike, uniform writes keep all slots identical (effective rank 1, see
        :meth:`NeuralMemoryBank.effective_rank`). ``"normal"`` breaks that symmetry: ``M ~ N(0, init_scale²)``
        drawn from the owner's ``seed``.
    init_scale : float, default 0.1
        Standard deviation for ``init="normal"``.

    Raises
    ------
    InvalidArgumentError
        A size < 1, an unknown ``init`` or a ``init_scale`` that is not finite and > 0.
    ArgumentTypeError
        A size that is not an int.
    """

    memory_size: int = 128
    memory_dim: int = 64
    num_read_heads: int = 4
    num_write_heads: int = 1
    init: str = "zeros"
    init_scale: float = 0.1

    def __post_init__(self):
        for name in ("memory_size", "memory_dim", "num_read_heads", "num_write_heads"):
            v = _int(getattr(self, name), name)
            if v < 1:
                raise InvalidArgumentError(f"{name} must be >= 1, got {v}")
        if self.init not in ("zeros", "normal"):
            raise InvalidArgumentError(f"init must be 'zeros' or 'normal', got {self.init!r}")
        if isinstance(self.init_scale, bool) or not isinstance(self.init_scale, (int, float, np.integer, np.floating)) \
                or not (np.isfinite(self.init_scale) and self.init_scale > 0):
            raise InvalidArgumentError(f"init_scale must be a finite number > 0, got {self.init_scale!r}")

    @classmethod
    def _coerce(cls, config, what="config"):
        """``config`` as a MemoryConfig: a MemoryConfig, a dict of its fields, or None (the default)."""
        if config is None:
            return cls()
        if isinstance(config, cls):
            return config
        if isinstance(config, Mapping):
            try:
                return cls(**config)
            except TypeError as e:
                raise _native.ArgumentTypeError(f"{what}: {e}") from None
        raise _native.ArgumentTypeError(f"{what} must be a MemoryConfig or a dict of its fields, got "
                                        f"{type(config).__name__}")

    def _initial_memory(self, seed):
        """The initial M for ``init="normal"`` (None for zeros)."""
        if self.init == "zeros":
            return None
        rng = np.random.default_rng(None if seed is None else [int(seed), 0x6D656D])
        return (rng.standard_normal((self.memory_size, self.memory_dim)) * self.init_scale).astype(np.float32)

    def _dims(self):
        return (_int(self.memory_size, "memory_size"), _int(self.memory_dim, "memory_dim"),
                _int(self.num_read_heads, "num_read_heads"), _int(self.num_write_heads, "num_write_heads"))

    def _seed_dims(self):
        """``_dims()`` for the seed's bank, controller and agent, which have exactly one write head (the DNC takes
        several)."""
        if self.num_write_heads != 1:
            raise InvalidArgumentError(
                f"num_write_heads must be 1 (the seed's memory bank and controller have one write head; "
                f"mnemonet.DNC takes several), got {self.num_write_heads}")
        return self._dims()


def effective_rank(matrix) -> float:
    """Effective rank ``exp(-Σ p_k log p_k)``, ``p = σ / Σσ`` (Roy & Vetterli 2007) of a 2-D array; 0 if it is zero."""
    s = np.linalg.svd(np.asarray(matrix, dtype=np.float64), compute_uv=False)
    total = s.sum()
    if not total > 0:
        return 0.0
    p = s[s > 0] / total
    return float(np.exp(-(p * np.log(p)).sum()))


class NeuralMemoryBank(CheckpointBytes):
    """Memory M [N, W] and usage u [N], addressed by content (the seed's ``NeuralMemoryBank``).

    ``C(k, β)[n] = softmax_n(β ⟨k/‖k‖, M[n]/‖M[n]‖⟩)`` (rows divided by ``max(‖·‖, 1e-12)``, like ``F.normalize``);
    ``read`` concatenates ``C(k_h, β_h) M`` over the R heads; ``write`` erases then adds:
    ``M ← M ⊙ (1 − w eᵀ) + w vᵀ``, ``u ← 0.99 u + w``.

    Parameters
    ----------
    config : MemoryConfig or dict, optional
        The shape (default ``MemoryConfig()``: N = 128, W = 64, R = 4) and initialisation.
    seed : int, optional
        Seeds ``MemoryConfig(init="normal")``'s initial memory.
    """

    def __init__(self, config: Optional[MemoryConfig] = None, seed: Optional[int] = None):
        self.config = MemoryConfig._coerce(config)
        self._bank = _native.MemoryBank(*self.config._seed_dims())
        m0 = self.config._initial_memory(seed)
        if m0 is not None:
            self.memory = m0

    @classmethod
    def _wrap(cls, native_bank, config):
        self = cls.__new__(cls)
        self.config = config
        self._bank = native_bank
        return self

    def save(self, path) -> None:
        """Writes memory M and usage u (and the shape) to ``path`` atomically, or to a binary file object."""
        self._bank.save(path)

    @classmethod
    def load(cls, path) -> "NeuralMemoryBank":
        """Reads a bank written by :meth:`save` (a path or a binary file object); CheckpointFormatError for a
        truncated, corrupt or foreign checkpoint."""
        native = _native.MemoryBank.load(path)
        n, w, r = native.dims()
        return cls._wrap(native, MemoryConfig(n, w, r))

    @property
    def memory_size(self) -> int:
        """N, the number of memory slots."""
        return self.config.memory_size

    @property
    def memory_dim(self) -> int:
        """W, the width of one slot."""
        return self.config.memory_dim

    @property
    def num_read_heads(self) -> int:
        """R, the number of read heads."""
        return self.config.num_read_heads

    @property
    def memory(self) -> np.ndarray:
        """M, a copy, float32 [memory_size, memory_dim]. Assign an array of that shape to replace it."""
        return self._bank.get()[0]

    @memory.setter
    def memory(self, value) -> None:
        self._bank.set(_f32(value, "memory"), self.usage)

    @property
    def usage(self) -> np.ndarray:
        """u, a copy, float32 [memory_size]. Assign an array of that shape to replace it."""
        return self._bank.get()[1]

    @usage.setter
    def usage(self, value) -> None:
        self._bank.set(self.memory, _f32(value, "usage"))

    def reset(self) -> None:
        """Zeroes the memory and the usage."""
        self._bank.reset()

    def effective_rank(self) -> float:
        """Slot diversity: the effective rank of M (Roy & Vetterli 2007), ``exp(H(σ / Σσ))`` over the singular values
        σ of M — 1 when every slot holds the same vector (the seed's memory after training), ``min(N, W)`` when the
        slots span the space evenly; 0 for an all-zero memory."""
        return effective_rank(self.memory)

    def slot_spread(self) -> float:
        """The largest standard deviation across slots of any memory coordinate (0: all slots identical)."""
        return float(self.memory.std(axis=0).max())

    def content_addressing(self, key, beta) -> np.ndarray:
        """Content weights ``softmax(β · cos(key, M))``.

        Parameters
        ----------
        key : array [W] or [K, W]
        beta : float or array [K]

        Returns
        -------
        ndarray, float32 [N] (for one key) or [K, N]
        """
        k = _f32(key, "key")
        single = k.ndim == 1
        k2 = k.reshape(1, -1) if single else k
        b = _f32(beta, "beta").reshape(-1)
        _non_negative(b, beta, "beta (the key strength)")
        if b.size == 1 and k2.shape[0] > 1:
            b = np.full(k2.shape[0], b[0], dtype=np.float32)
        w = self._bank.content_addressing(k2, b)
        return w[0] if single else w

    def read(self, read_keys, read_strengths) -> np.ndarray:
        """Reads with R heads: keys [R, W], strengths [R] → concatenated reads, float32 [R·W]."""
        strengths = _f32(read_strengths, "read_strengths").reshape(-1)
        _non_negative(strengths, read_strengths, "read_strengths")
        return self._bank.read(_f32(read_keys, "read_keys"), strengths)

    def write(self, write_key, write_vector, erase_vector, write_strength) -> None:
        """Erase-then-add write with one head: key, vector, erase [W] (or [1, W]); strength a scalar (or [1])."""
        s = _f32(write_strength, "write_strength").reshape(-1)
        _non_negative(s, write_strength, "write_strength")
        if s.size != 1:
            raise InvalidArgumentError(f"write_strength must hold one value, got shape {tuple(np.shape(write_strength))}")
        self._bank.write(_f32(write_key, "write_key").reshape(-1), _f32(write_vector, "write_vector").reshape(-1),
                         _f32(erase_vector, "erase_vector").reshape(-1), _real(s[0], "write_strength", 0.0))

    def __repr__(self) -> str:
        c = self.config
        return (f"NeuralMemoryBank(memory_size={c.memory_size}, memory_dim={c.memory_dim}, "
                f"num_read_heads={c.num_read_heads})")


class MemoryController(CheckpointBytes):
    """The seed's LSTM memory controller, natively (fused forward and hand-derived backward).

    ``forward(x, memory_bank)`` is exactly the seed's: an LSTM step on x from a zero state gives the controller
    state s [H]; linear heads give R read keys and strengths (softplus) and a write key, vector (tanh), erase vector
    (sigmoid) and strength (softplus); the bank is read, then written (detached); the output is
    ``Linear([s ; reads])`` [output_dim].

    Parameters
    ----------
    input_dim : int
        I, the size of x.
    hidden_dim : int
        H, the LSTM width.
    memory_config : MemoryConfig
        The memory's shape.
    seed : int, optional
        Seeds PyTorch-style default initialisation (uniform ±1/√fan_in); random when None.
    output_dim : int, optional (keyword-only)
        O, the size of the output (None: ``input_dim``, the seed's). It sizes only the output layer
        ``output.weight`` [O, H + R·W]: the memory is written from the LSTM state, never from the output.
    """

    def __init__(self, input_dim: int, hidden_dim: int, memory_config: Optional[MemoryConfig] = None,
                 seed: Optional[int] = None, *, output_dim: Optional[int] = None):
        self.input_dim = _int(input_dim, "input_dim")
        self.hidden_dim = _int(hidden_dim, "hidden_dim")
        self.memory_config = memory_config if memory_config is not None else MemoryConfig()
        o = self.input_dim if output_dim is None else _int(output_dim, "output_dim")
        self._ctl = _native.Controller(self.input_dim, self.hidden_dim, *self.memory_config._seed_dims(), seed=seed,
                                       output_dim=o)
        self.output_dim = self._ctl.dims()[6]
        self._info = self._ctl.tensor_info()

    @classmethod
    def _wrap(cls, native_controller, input_dim, hidden_dim, config):
        self = cls.__new__(cls)
        self.input_dim, self.hidden_dim, self.memory_config = input_dim, hidden_dim, config
        self.output_dim = native_controller.dims()[6]
        self._ctl = native_controller
        self._info = native_controller.tensor_info()
        return self

    def save(self, path) -> None:
        """Writes the shape and all parameters (``state_dict``) to ``path`` atomically, or to a binary file object."""
        self._ctl.save(path)

    @classmethod
    def load(cls, path) -> "MemoryController":
        """Reads a controller written by :meth:`save` (a path or a binary file object); CheckpointFormatError for a
        truncated, corrupt or foreign checkpoint."""
        native = _native.Controller.load(path)
        i, h, n, w, r, writes, _ = native.dims()
        return cls._wrap(native, i, h, MemoryConfig(n, w, r, writes))

    def forward(self, x, memory_bank: NeuralMemoryBank) -> np.ndarray:
        """One step of the seed's controller: x [input_dim] → output float32 [output_dim]; reads then writes the bank."""
        if not isinstance(memory_bank, NeuralMemoryBank):
            raise _native.ArgumentTypeError(
                f"memory_bank must be a NeuralMemoryBank, got {type(memory_bank).__name__}")
        return self._ctl.forward(_f32(x, "x"), memory_bank._bank)

    __call__ = forward

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """The parameters with the names and shapes of the seed's ``MemoryController.state_dict()`` (float32 copies)."""
        out = OrderedDict()
        for k, (name, shape) in enumerate(self._info):
            a = np.empty(shape, dtype=np.float32)
            self._ctl.get_tensor(k, a)
            out[name] = a
        return out

    def load_state_dict(self, state_dict: Mapping[str, object]) -> None:
        """Loads parameters named and shaped like the seed's ``state_dict()`` (NumPy arrays or CPU tensors).

        Raises
        ------
        InvalidArgumentError
            Missing or unexpected names, or a shape mismatch (naming every offending entry); nothing is loaded then.
        """
        expected = OrderedDict(self._info)
        missing = [n for n in expected if n not in state_dict]
        unexpected = [n for n in state_dict if n not in expected]
        values = {}
        bad = []
        for name, shape in expected.items():
            if name in state_dict:
                v = state_dict[name]
                if hasattr(v, "detach"):
                    v = v.detach().cpu().numpy()
                a = _f32(v, name)
                if a.shape != tuple(shape):
                    bad.append(f"{name}: expected shape {tuple(shape)}, got {a.shape}")
                values[name] = a
        if missing or unexpected or bad:
            parts = []
            if missing:
                parts.append("missing keys: " + ", ".join(missing))
            if unexpected:
                parts.append("unexpected keys: " + ", ".join(unexpected))
            if bad:
                parts.append("size mismatch: " + "; ".join(bad))
            raise InvalidArgumentError("Error(s) in loading state_dict for MemoryController: " + " | ".join(parts))
        for k, name in enumerate(expected):
            self._ctl.set_tensor(k, values[name])

    def num_parameters(self) -> int:
        """Total number of parameters."""
        return int(sum(np.prod(s) for _, s in self._info))

    def __repr__(self) -> str:
        c = self.memory_config
        out = "" if self.output_dim == self.input_dim else f"output_dim={self.output_dim}, "
        return (f"MemoryController(input_dim={self.input_dim}, hidden_dim={self.hidden_dim}, {out}"
                f"memory_config=MemoryConfig(memory_size={c.memory_size}, memory_dim={c.memory_dim}, "
                f"num_read_heads={c.num_read_heads}), parameters={self.num_parameters()})")
