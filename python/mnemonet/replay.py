"""Experience replay: prioritized (Schaul et al. 2016), the seed tutorial's ``ExperienceReplay``, and a reservoir.

All three keep float32 items in native (Swift) storage; sampled batches come back as NumPy arrays written directly
by the native code. Items are named fields with fixed per-item shapes, e.g. ``{"x": (64,), "y": (64,)}``.

Examples
--------
>>> import numpy as np, mnemonet
>>> buf = mnemonet.PrioritizedReplay(1000, {"x": (4,), "y": ()}, alpha=0.6, seed=0)
>>> buf.add(x=np.zeros((8, 4)), y=np.arange(8))          # a batch of 8 items, default priority
>>> batch = buf.sample(4, beta=0.4)
>>> sorted(batch)
['indices', 'weights', 'x', 'y']
>>> buf.update_priorities(batch["indices"], np.abs(np.random.randn(4)))
"""
from __future__ import annotations

import json
import operator
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._checkpoint import CheckpointBytes, source_name
from ._native import ArgumentTypeError, CheckpointFormatError, InvalidArgumentError, InvalidStateError

__all__ = ["PrioritizedReplay", "ExperienceReplay", "ReservoirReplay"]

PathLike = Union[str, "os.PathLike[str]"]

_SAMPLING = {"proportional": 0, "seed": 1}
_SAMPLING_NAMES = {v: k for k, v in _SAMPLING.items()}
_RESERVED = ("indices", "weights")
_METADATA_FORMAT = "mnemonet.replay/1"


# ---- conversions (shared) -------------------------------------------------------------------------------------


from ._args import as_float32 as _as_float32, as_float64 as _as_float64, as_int as _as_int  # noqa: E402
from ._args import as_real as _as_real  # noqa: E402


def _check_capacity(capacity: Any) -> int:
    capacity = _as_int(capacity, "capacity", hi=2**63 - 1)
    if capacity < 1:
        raise InvalidArgumentError(f"capacity must be >= 1, got {capacity}")
    return capacity


def _check_seed(seed: Any) -> Optional[int]:
    if seed is None:
        return None
    return _as_int(seed, "seed", 0, 2**64 - 1)


def _parse_fields(fields: Any) -> Tuple[Tuple[str, ...], Tuple[Tuple[int, ...], ...]]:
    """``{"x": (64,), "y": ()}`` → names and per-item shapes, validated."""
    if not isinstance(fields, Mapping):
        raise ArgumentTypeError(f"fields must be a mapping from field name to per-item shape, got {type(fields).__name__}")
    if not fields:
        raise InvalidArgumentError("fields must name at least one field, got {}")
    names, shapes = [], []
    for name, shape in fields.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidArgumentError(f"field names must be identifiers (they become keyword arguments), got {name!r}")
        if name in _RESERVED:
            raise InvalidArgumentError(f"field name {name!r} is reserved (sample() returns it)")
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            shape = (int(shape),)
        try:
            shape = tuple(_as_int(d, f"a dimension of field {name!r}") for d in shape)
        except TypeError:
            raise ArgumentTypeError(f"the shape of field {name!r} must be a tuple of ints, got {shape!r}") from None
        if any(d < 1 for d in shape):
            raise InvalidArgumentError(f"the shape of field {name!r} must have positive dimensions, got {shape}")
        names.append(name)
        shapes.append(shape)
    return tuple(names), tuple(shapes)


def _batch(names: Sequence[str], shapes: Sequence[Tuple[int, ...]], arrays: Mapping[str, Any]) -> Tuple[tuple, int, bool]:
    """Named field data → (tuple of float32 arrays of shape (n, *shape), n, single).

    The native layer re-checks dtype, layout and shapes; this only converts and decides "one item" vs "a batch".
    """
    if len(arrays) != len(names) or not all(k in arrays for k in names):
        unknown = [k for k in arrays if k not in names]
        if unknown:
            raise InvalidArgumentError(f"unknown field {unknown[0]!r}; this buffer's fields are {', '.join(names)}")
        missing = [k for k in names if k not in arrays]
        raise InvalidArgumentError(f"missing field {missing[0]!r}; expected all of {', '.join(names)}")
    out = []
    n = single = None
    for name, shape in zip(names, shapes):
        a = arrays[name]
        if type(a) is not np.ndarray or a.dtype != np.float32:
            a = _as_float32(a, f"field {name!r}")
        s = a.shape
        if s == shape:
            is_single, a = True, a[None]
        elif len(s) == len(shape) + 1 and s[1:] == shape:
            is_single = False
        else:
            raise InvalidArgumentError(
                f"field {name!r} must have shape {shape} (one item) or (n, {', '.join(map(str, shape))}"
                f"{',' if len(shape) == 0 else ''}) (a batch), got {s}")
        if n is None:
            n, single = a.shape[0], is_single
        elif a.shape[0] != n or is_single != single:
            raise InvalidArgumentError(
                f"all fields must hold the same number of items: field {names[0]!r} has "
                f"{'one item' if single else f'{n} items'}, field {name!r} has "
                f"{'one item' if is_single else f'{a.shape[0]} items'}")
        out.append(a)
    return tuple(out), n, single


def _priorities(priority: Any, n: int) -> Optional[np.ndarray]:
    if priority is None:
        return None
    if type(priority) is np.ndarray and priority.dtype == np.float64 and priority.shape == (n,):
        return priority  # the native layer checks the layout
    if isinstance(priority, (float, int)) and not isinstance(priority, bool):
        return np.array([float(priority)]) if n == 1 else np.full(n, float(priority))
    p = _as_float64(priority, "priority", allow_bool=False)
    if p.ndim == 0:
        return np.full(n, float(p))
    if p.shape != (n,):
        raise InvalidArgumentError(f"priority must be a scalar or have shape ({n},) (one per item), got {p.shape}")
    return p


def _metadata(cls: str, names: Sequence[str], shapes: Sequence[Tuple[int, ...]], **extra: Any) -> str:
    return json.dumps({"format": _METADATA_FORMAT, "class": cls, "fields": [[n, list(s)] for n, s in zip(names, shapes)], **extra})


# What the metadata mnemonet writes can be: a few fields, each a name and a short shape (depth 3).
_METADATA_MAX_DEPTH = 16
_METADATA_MAX_CHARS = 1 << 20


def _nesting_depth(text: str) -> int:
    """Deepest bracket nesting of a JSON text, counted without parsing (so a crafted 200k-deep list costs one scan,
    never a recursion)."""
    depth = best = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            best = max(best, depth)
        elif c in "]}":
            depth -= 1
    return best


def _read_metadata(native: Any, expected_class: str, path: Any) -> Tuple[Tuple[str, ...], Tuple[Tuple[int, ...], ...], dict]:
    text = native.metadata
    widths = native.describe()["field_widths"]
    if not text:  # written by Swift code (e.g. embedded by an agent): generic names, flat shapes
        return tuple(f"field{i}" for i in range(len(widths))), tuple((w,) for w in widths), {}
    try:
        if len(text) > _METADATA_MAX_CHARS or _nesting_depth(text) > _METADATA_MAX_DEPTH:
            raise ValueError(f"metadata longer than {_METADATA_MAX_CHARS} characters or nested deeper than "
                             f"{_METADATA_MAX_DEPTH} levels")
        meta = json.loads(text)
        if not isinstance(meta, dict) or meta.get("format") != _METADATA_FORMAT:
            raise ValueError("unknown metadata format")
        names = tuple(str(n) for n, _ in meta["fields"])
        shapes = tuple(tuple(int(d) for d in s) for _, s in meta["fields"])
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError, MemoryError) as e:
        raise CheckpointFormatError(f"{source_name(path)} has unreadable replay metadata ({e})") from None
    if meta.get("class") != expected_class:
        raise CheckpointFormatError(f"{source_name(path)} holds a {meta.get('class')}, expected a {expected_class}")
    if expected_class != "ExperienceReplay":  # names become sample() keys and add() keywords (ER's are "0", "1", …)
        try:
            if len(set(names)) != len(names):
                raise InvalidArgumentError(f"duplicate field names {list(names)}")
            _parse_fields(dict(zip(names, shapes)))
        except (InvalidArgumentError, ArgumentTypeError) as e:
            raise CheckpointFormatError(f"{source_name(path)} has invalid fields ({e})") from None
    try:
        native.set_shapes(shapes)
    except (InvalidArgumentError, OverflowError, TypeError) as e:
        raise CheckpointFormatError(f"{source_name(path)} is corrupt ({e})") from None
    return names, shapes, meta


def _fields_repr(names: Sequence[str], shapes: Sequence[Tuple[int, ...]]) -> str:
    return "{" + ", ".join(f"{n!r}: {s}" for n, s in zip(names, shapes)) + "}"


# ---- PrioritizedReplay ----------------------------------------------------------------------------------------


class PrioritizedReplay(CheckpointBytes):
    """Prioritized experience replay, proportional variant (Schaul, Quan, Antonoglou & Silver, ICLR 2016).

    Item ``i`` is drawn with probability ``P(i) = p_i**alpha / sum_k p_k**alpha`` where ``p_i = priority_i + eps``.
    New items get the largest priority seen so far (1.0 at the start) unless one is given. A batch of ``B`` is drawn
    by stratified sampling (one draw in each of ``B`` equal-mass segments), with replacement. Importance weights are
    ``w_i = (N * P(i))**-beta / max_k (N * P(k))**-beta`` (the maximum over the whole buffer, i.e. the
    smallest-probability item), so ``0 < w_i <= 1``. When full, new items overwrite the oldest.

    Sum-tree in native code: ``add`` is O(n + log N) per batch, ``sample`` and ``update_priorities`` O(B log N).

    Parameters
    ----------
    capacity : int
        Maximum number of items ``N``.
    fields : Mapping[str, tuple of int]
        Field name → per-item shape, e.g. ``{"x": (64,), "y": (64,)}``. Storage is float32.
    alpha : float, default 0.6
        Prioritisation exponent ``alpha >= 0`` (0 = uniform).
    eps : float, default 1e-6
        Added to every priority so that no item has probability 0.
    seed : int, optional
        Seeds the sampler (same seed, same calls → same samples). ``None`` seeds from the system.
    sampling : {"proportional", "seed"}, default "proportional"
        ``"seed"`` switches to the seed tutorial's semantics over the same sum-tree: ``priority**alpha`` stored
        as given (no eps), draws *without* replacement, weights normalised by the batch maximum
        (see :class:`ExperienceReplay`).

    Notes
    -----
    Priorities must be finite and ``>= 0`` (pass ``|td_error|``): negative, NaN or infinite values raise
    :class:`InvalidArgumentError`.
    """

    _native: Any

    def __init__(self, capacity: int, fields: Mapping[str, Tuple[int, ...]], alpha: float = 0.6, eps: float = 1e-6,
                 seed: Optional[int] = None, sampling: str = "proportional") -> None:
        capacity = _check_capacity(capacity)
        self._names, self._shapes = _parse_fields(fields)
        alpha, eps = _as_real(alpha, "alpha"), _as_real(eps, "eps")
        if sampling not in _SAMPLING:
            raise InvalidArgumentError(f"sampling must be one of {sorted(_SAMPLING)}, got {sampling!r}")
        self._native = _native.ReplayBuffer(capacity, self._shapes, alpha, eps, _SAMPLING[sampling], _check_seed(seed))
        self._native.metadata = _metadata(type(self).__name__, self._names, self._shapes)
        self._capacity = capacity

    # -- data ----------------------------------------------------------------------------------------------------

    def add(self, priority: Union[None, float, Sequence[float], np.ndarray] = None, **arrays: Any) -> None:
        """Adds one item or a batch.

        Parameters
        ----------
        priority : float or array of shape (n,), optional
            Priority of each item (a scalar applies to all). ``None``: the largest priority seen so far.
        **arrays : array_like
            One value per field: shape ``field_shape`` (one item) or ``(n, *field_shape)`` (a batch of ``n``).
            float32 is used as is; other real dtypes (float64, int, lists) are converted.
        """
        data, n, _ = _batch(self._names, self._shapes, arrays)
        self._native.add(data, _priorities(priority, n))

    def sample(self, batch_size: int, beta: float = 0.4) -> Dict[str, np.ndarray]:
        """Draws ``batch_size`` items.

        Parameters
        ----------
        batch_size : int
            ``B >= 1`` (may exceed ``len(self)``: draws are with replacement).
        beta : float, default 0.4
            Importance-sampling exponent ``beta >= 0``.

        Returns
        -------
        dict
            Every field as an array of shape ``(B, *field_shape)`` (float32), ``"indices"`` (int64, shape (B,),
            for :meth:`update_priorities`) and ``"weights"`` (float32, shape (B,), at most 1).

        Raises
        ------
        InvalidStateError
            The buffer is empty.
        """
        out = self._native.sample(_as_int(batch_size, "batch_size"), _as_real(beta, "beta"))
        batch = dict(zip(self._names, out[2:]))
        batch["indices"] = out[0]
        batch["weights"] = out[1]
        return batch

    def update_priorities(self, indices: Union[Sequence[int], np.ndarray], priorities: Union[Sequence[float], np.ndarray]) -> None:
        """Sets the priorities of the items at ``indices`` (shape (n,), in ``[0, len(self))``) to ``priorities``
        (shape (n,), finite, >= 0). Repeated indices: the last one wins."""
        if (type(indices) is np.ndarray and indices.dtype == np.int64 and type(priorities) is np.ndarray
                and priorities.dtype == np.float64 and indices.ndim == 1 and priorities.shape == indices.shape
                and indices.flags.c_contiguous and priorities.flags.c_contiguous):
            self._native.update_priorities(indices, priorities)  # fast path; the native layer checks the layout
            return
        idx = np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise ArgumentTypeError(f"indices must be integers, got dtype {idx.dtype}")
        idx = np.ascontiguousarray(idx, dtype=np.int64).reshape(-1) if idx.ndim <= 1 else idx
        p = _as_float64(priorities, "priorities", allow_bool=False)
        p = p.reshape(-1) if p.ndim == 0 else p
        if idx.ndim != 1 or p.ndim != 1 or idx.shape != p.shape:
            raise InvalidArgumentError(f"indices and priorities must both have shape (n,), got {np.shape(indices)} and {p.shape}")
        self._native.update_priorities(idx, p)

    def priorities(self, indices: Union[Sequence[int], np.ndarray]) -> np.ndarray:
        """The stored ``p_i**alpha`` of the items at ``indices`` (float64)."""
        idx = np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise ArgumentTypeError(f"indices must be integers, got dtype {idx.dtype}")
        return self._native.priorities(np.ascontiguousarray(idx, dtype=np.int64).reshape(-1))

    # -- state ---------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._native)

    @property
    def capacity(self) -> int:
        """Maximum number of items."""
        return self._capacity

    @property
    def fields(self) -> Dict[str, Tuple[int, ...]]:
        """Field name → per-item shape."""
        return dict(zip(self._names, self._shapes))

    @property
    def alpha(self) -> float:
        """α, the priority exponent: P(i) ∝ p_i^α."""
        return self._native.describe()["alpha"]

    @property
    def eps(self) -> float:
        """ε, added to every priority before the exponent in proportional mode."""
        return self._native.describe()["eps"]

    @property
    def sampling(self) -> str:
        """``"proportional"`` (stratified, with replacement) or ``"seed"`` (the tutorial's, without replacement)."""
        return _SAMPLING_NAMES[self._native.describe()["sampling"]]

    @property
    def max_priority(self) -> float:
        """The largest priority seen so far (the priority of items added without one)."""
        return self._native.describe()["max_priority"]

    def check_invariants(self) -> None:
        """Verifies the native sum-tree (O(capacity)); raises InvalidStateError if it is inconsistent."""
        self._native.check_invariants()

    def save(self, path: PathLike) -> None:
        """Writes the whole buffer (items, priorities, position, RNG state, max priority, configuration) to
        ``path`` atomically (or to a binary file object). Loading it continues with the same future samples."""
        self._native.save(path)

    @classmethod
    def load(cls, path: PathLike) -> "PrioritizedReplay":
        """Reads a buffer written by :meth:`save`. Raises CheckpointIOError (missing/unreadable file) or
        CheckpointFormatError (truncated, corrupt or not a replay buffer of this class)."""
        native = _native.ReplayBuffer.load(path)
        names, shapes, _ = _read_metadata(native, cls.__name__, path)
        self = cls.__new__(cls)
        self._native, self._names, self._shapes = native, names, shapes
        self._capacity = native.describe()["capacity"]
        return self

    def __repr__(self) -> str:
        d = self._native.describe()
        return (f"{type(self).__name__}(capacity={d['capacity']}, len={d['count']}, "
                f"fields={_fields_repr(self._names, self._shapes)}, alpha={d['alpha']:g}, eps={d['eps']:g}, "
                f"sampling={_SAMPLING_NAMES[d['sampling']]!r})")


# ---- ExperienceReplay (the seed's API) ------------------------------------------------------------------------


class ExperienceReplay(CheckpointBytes):
    """The seed tutorial's prioritized replay, with its exact semantics, natively.

    ``push`` stores ``priority**alpha`` (the priority as given: the agent passes ``loss + 1e-6``); ``sample`` draws
    ``min(batch_size, len)`` distinct items with ``np.random.choice(N, B, p=P, replace=False)``'s distribution
    (successive draws proportional to the remaining mass) and returns importance weights
    ``(N * P(i))**-beta`` normalised by their batch maximum.

    Parameters
    ----------
    capacity : int, default 10000
    alpha : float, default 0.6
    seed : int, optional
        Seeds the sampler (the seed code used NumPy's global RNG).

    Notes
    -----
    An experience is a tuple of arrays, e.g. ``(x, y)``; the per-item shapes are fixed by the first push and later
    pushes must match. Storage is float32.
    """

    def __init__(self, capacity: int = 10000, alpha: float = 0.6, seed: Optional[int] = None) -> None:
        self.capacity = _check_capacity(capacity)
        # The native buffer is made at the first push (when the shapes are known); a capacity whose index alone
        # (sum- and min-tree, ~100 bytes per item with the smallest item) cannot fit in memory is refused now.
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        if self.capacity * 100 > physical:
            raise InvalidArgumentError(f"capacity {self.capacity} needs at least {self.capacity * 100} bytes, more than "
                                       f"this machine's {physical} bytes of memory")
        self.alpha = _as_real(alpha, "alpha")
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise InvalidArgumentError(f"alpha must be finite and >= 0, got {self.alpha}")
        self._seed = _check_seed(seed)
        self._native: Any = None
        self._shapes: Tuple[Tuple[int, ...], ...] = ()

    def push(self, experience: Sequence[Any], priority: float = 1.0) -> None:
        """Stores ``experience`` (a tuple of arrays) with ``priority**alpha``; ``priority`` finite and >= 0."""
        if not isinstance(experience, (tuple, list)) or len(experience) == 0:
            raise ArgumentTypeError(f"experience must be a non-empty tuple of arrays, got {type(experience).__name__}")
        arrays = tuple(_as_float32(a, f"experience[{i}]") for i, a in enumerate(experience))
        shapes = tuple(a.shape for a in arrays)
        if self._native is None:
            if any(0 in s for s in shapes):
                raise InvalidArgumentError(f"experience arrays must not be empty, got shapes {shapes}")
            self._native = _native.ReplayBuffer(self.capacity, shapes, self.alpha, 0.0, _SAMPLING["seed"], self._seed)
            self._native.metadata = _metadata(type(self).__name__, [str(i) for i in range(len(shapes))], shapes)
            self._shapes = shapes
        elif shapes != self._shapes:
            raise InvalidArgumentError(f"experience must have shapes {self._shapes} (fixed by the first push), got {shapes}")
        p = _as_float64(priority, "priority", allow_bool=False)
        if p.ndim != 0:
            raise InvalidArgumentError(f"priority must be a scalar, got shape {p.shape}")
        self._native.add(tuple(a.reshape((1,) + a.shape) for a in arrays), p.reshape(1))

    def sample(self, batch_size: int, beta: float = 0.4) -> Tuple[List[Tuple[np.ndarray, ...]], np.ndarray]:
        """Draws ``min(batch_size, len(self))`` distinct items.

        Returns
        -------
        samples : list of tuple of ndarray
            The experiences, as pushed (float32).
        weights : ndarray of float32, shape (len(samples),)
            Importance weights, maximum 1. ``([], [])`` when the buffer is empty (like the seed).
        """
        batch_size = _as_int(batch_size, "batch_size")
        if batch_size < 1:
            raise InvalidArgumentError(f"batch_size must be >= 1, got {batch_size}")
        beta = _as_real(beta, "beta")
        n = len(self)
        if n == 0:
            return [], []  # type: ignore[return-value]
        out = self._native.sample(min(batch_size, n), beta)
        fields = out[2:]
        return [tuple(f[j] for f in fields) for j in range(len(out[0]))], out[1]

    def __len__(self) -> int:
        return 0 if self._native is None else len(self._native)

    def save(self, path: PathLike) -> None:
        """Writes the buffer atomically (see :meth:`PrioritizedReplay.save`)."""
        if self._native is None:
            raise InvalidStateError("cannot save an ExperienceReplay before its first push (its fields are unknown)")
        self._native.save(path)

    @classmethod
    def load(cls, path: PathLike) -> "ExperienceReplay":
        """Reads a buffer written by :meth:`save` (CheckpointIOError / CheckpointFormatError on failure)."""
        native = _native.ReplayBuffer.load(path)
        _, shapes, _ = _read_metadata(native, cls.__name__, path)
        d = native.describe()
        self = cls.__new__(cls)
        self.capacity, self.alpha, self._seed = d["capacity"], d["alpha"], None
        self._native, self._shapes = native, shapes
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(capacity={self.capacity}, len={len(self)}, alpha={self.alpha:g}, shapes={self._shapes})"


# ---- ReservoirReplay ------------------------------------------------------------------------------------------


class ReservoirReplay(CheckpointBytes):
    """A uniform random sample of an unbounded stream (reservoir sampling, Vitter 1985, Algorithm R).

    After ``seen`` items have been added, each of them is in the buffer with probability ``capacity / seen``, so a
    continual learner rehearses every past task in proportion to its length. ``sample`` draws uniformly with
    replacement.

    Parameters
    ----------
    capacity : int
    fields : Mapping[str, tuple of int]
        Field name → per-item shape (float32 storage).
    seed : int, optional
    """

    def __init__(self, capacity: int, fields: Mapping[str, Tuple[int, ...]], seed: Optional[int] = None) -> None:
        capacity = _check_capacity(capacity)
        self._names, self._shapes = _parse_fields(fields)
        self._native = _native.ReservoirBuffer(capacity, self._shapes, _check_seed(seed))
        self._native.metadata = _metadata(type(self).__name__, self._names, self._shapes)
        self._capacity = capacity

    def add(self, **arrays: Any) -> None:
        """Offers one item (``field_shape`` arrays) or a batch (``(n, *field_shape)``) to the reservoir, in order."""
        data, _, _ = _batch(self._names, self._shapes, arrays)
        self._native.add(data)

    def sample(self, batch_size: int) -> Dict[str, np.ndarray]:
        """``batch_size`` items drawn uniformly with replacement: every field ``(B, *shape)`` and ``"indices"``.
        Raises InvalidStateError when empty."""
        out = self._native.sample(_as_int(batch_size, "batch_size"))
        batch = dict(zip(self._names, out[1:]))
        batch["indices"] = out[0]
        return batch

    def __len__(self) -> int:
        return len(self._native)

    @property
    def seen(self) -> int:
        """Number of items offered so far."""
        return self._native.describe()["seen"]

    @property
    def capacity(self) -> int:
        """Maximum number of stored items."""
        return self._capacity

    @property
    def fields(self) -> Dict[str, Tuple[int, ...]]:
        """Field names and per-item shapes, e.g. ``{"x": (64,), "y": ()}``."""
        return dict(zip(self._names, self._shapes))

    def save(self, path: PathLike) -> None:
        """Writes the reservoir (items, ``seen``, RNG state, configuration) atomically."""
        self._native.save(path)

    @classmethod
    def load(cls, path: PathLike) -> "ReservoirReplay":
        """Reads a reservoir written by :meth:`save` (CheckpointIOError / CheckpointFormatError on failure)."""
        native = _native.ReservoirBuffer.load(path)
        names, shapes, _ = _read_metadata(native, cls.__name__, path)
        self = cls.__new__(cls)
        self._native, self._names, self._shapes = native, names, shapes
        self._capacity = native.describe()["capacity"]
        return self

    def __repr__(self) -> str:
        d = self._native.describe()
        return (f"{type(self).__name__}(capacity={d['capacity']}, len={d['count']}, seen={d['seen']}, "
                f"fields={_fields_repr(self._names, self._shapes)})")
