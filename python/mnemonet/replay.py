"""Experience replay: prioritized (Schaul et al. 2016), the seed tutorial's ``ExperienceReplay``, and a reservoir.

All three keep their items in native (Swift) storage; sampled batches come back as NumPy arrays written directly
by the native code. Items are named fields with fixed per-item shapes and dtypes: ``{"x": (64,), "y": (64,)}``
(float32), ``{"obs": ((84, 84), np.uint8), "act": ((), np.int64)}`` or cpprb's
``{"obs": {"shape": (84, 84), "dtype": np.uint8}}``. float32/float64, int8…int64, uint8…uint64 and bool are stored
natively at their own size and sampled back in their own dtype.

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

_SAMPLING = {"proportional": 0, "seed": 1, "rank": 2}
# Element types the native storage holds (MNEMONET_DTYPE_* codes, in that order).
_DTYPES = tuple(np.dtype(t) for t in ("float32", "float64", "int8", "int16", "int32", "int64",
                                      "uint8", "uint16", "uint32", "uint64", "bool"))
_DTYPE_CODES = {d: i for i, d in enumerate(_DTYPES)}
_FLOAT32 = np.dtype(np.float32)
_SAMPLING_NAMES = {v: k for k, v in _SAMPLING.items()}
_RESERVED = ("indices", "weights")
_METADATA_FORMAT = "mnemonet.replay/1"


# ---- conversions (shared) -------------------------------------------------------------------------------------


from ._args import as_float32 as _as_float32, as_float64 as _as_float64, as_int as _as_int  # noqa: E402
from ._args import as_real as _as_real  # noqa: E402


def _as_dtype(value: Any, dtype: np.dtype, what: str) -> np.ndarray:
    """``value`` as an array of the field's ``dtype``. Real input converts to float fields; integer fields take
    integers (or integral floats) within their range; bool fields take bools (or 0/1). Anything else raises."""
    if dtype == _FLOAT32:
        return _as_float32(value, what)
    try:
        array = np.asarray(value)
    except Exception as e:
        raise InvalidArgumentError(f"{what} could not be converted to an array: {e}") from None
    if array.dtype == dtype:
        return array
    kind = array.dtype.kind
    if kind not in "biuf":
        raise ArgumentTypeError(f"{what} must hold real numbers ({dtype}, or convertible to it), got dtype {array.dtype}")
    if dtype.kind == "f":
        return np.asarray(array, dtype=dtype)
    if array.size:
        if dtype.kind == "b":
            if not np.all((array == 0) | (array == 1)):
                raise InvalidArgumentError(f"{what} is a bool field; got values other than 0 and 1")
        else:
            info = np.iinfo(dtype)
            if kind == "f" and not np.all(np.isfinite(array) & (array == np.round(array))):
                raise ArgumentTypeError(f"{what} is an {dtype} field; got non-integral {array.dtype} values")
            lo, hi = array.min(), array.max()
            if lo < info.min or hi > info.max:
                raise InvalidArgumentError(f"{what} is an {dtype} field; got values in [{lo}, {hi}], outside "
                                           f"[{info.min}, {info.max}]")
    return np.asarray(array, dtype=dtype)


def _parse_dtype(dtype: Any, name: str) -> np.dtype:
    if dtype is None:  # np.dtype(None) is float64: a missing dtype must not pass as one
        raise ArgumentTypeError(f"field {name!r}: None is not a dtype")
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(f"field {name!r}: {dtype!r} is not a dtype") from None
    if d.byteorder == ">" or d not in _DTYPE_CODES:
        raise ArgumentTypeError(f"field {name!r}: dtype {d} is not supported (supported: "
                                f"{', '.join(str(t) for t in _DTYPES)})")
    return np.dtype(d.name)


def _check_capacity(capacity: Any) -> int:
    capacity = _as_int(capacity, "capacity", hi=2**63 - 1)
    if capacity < 1:
        raise InvalidArgumentError(f"capacity must be >= 1, got {capacity}")
    return capacity


def _check_seed(seed: Any) -> Optional[int]:
    if seed is None:
        return None
    return _as_int(seed, "seed", 0, 2**64 - 1)


def _is_shape_dtype_pair(spec: Any) -> bool:
    """``((84, 84), np.uint8)`` or ``(64, "int64")``: a shape then something that is not an int."""
    return (isinstance(spec, tuple) and len(spec) == 2 and not isinstance(spec[1], (int, np.integer, bool))
            and isinstance(spec[0], (tuple, list, int, np.integer)))


def _parse_fields(fields: Any) -> Tuple[Tuple[str, ...], Tuple[Tuple[int, ...], ...], Tuple[np.dtype, ...]]:
    """``{"x": (64,), "obs": ((84, 84), np.uint8), "act": {"shape": (), "dtype": np.int64}}`` → names, per-item
    shapes and dtypes (float32 unless given), validated."""
    if not isinstance(fields, Mapping):
        raise ArgumentTypeError(f"fields must be a mapping from field name to per-item shape, got {type(fields).__name__}")
    if not fields:
        raise InvalidArgumentError("fields must name at least one field, got {}")
    names, shapes, dtypes = [], [], []
    for name, shape in fields.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidArgumentError(f"field names must be identifiers (they become keyword arguments), got {name!r}")
        if name in _RESERVED:
            raise InvalidArgumentError(f"field name {name!r} is reserved (sample() returns it)")
        dtype = _FLOAT32
        if isinstance(shape, Mapping):  # cpprb's form: {"shape": ..., "dtype": ...}; shape defaults to 1 as there
            unknown = set(shape) - {"shape", "dtype"}
            if unknown:
                raise InvalidArgumentError(f"field {name!r}: unknown key(s) {sorted(unknown)} (expected 'shape', 'dtype')")
            dtype = _parse_dtype(shape.get("dtype", np.float32), name)
            shape = shape.get("shape", 1)
        elif _is_shape_dtype_pair(shape):
            shape, dtype = shape[0], _parse_dtype(shape[1], name)
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
        dtypes.append(dtype)
    return tuple(names), tuple(shapes), tuple(dtypes)


def _dtype_codes(dtypes: Sequence[np.dtype]) -> Tuple[int, ...]:
    return tuple(_DTYPE_CODES[d] for d in dtypes)


def _batch(names: Sequence[str], shapes: Sequence[Tuple[int, ...]], arrays: Mapping[str, Any],
           dtypes: Optional[Sequence[np.dtype]] = None) -> Tuple[tuple, int, bool]:
    """Named field data → (tuple of arrays of the fields' dtypes and shape (n, *shape), n, single).

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
    for f, (name, shape) in enumerate(zip(names, shapes)):
        a = arrays[name]
        dtype = _FLOAT32 if dtypes is None else dtypes[f]
        if a is None:
            raise ArgumentTypeError(f"field {name!r} is None; expected an array of shape {shape} or (n, *{shape})")
        if type(a) is not np.ndarray or a.dtype != dtype:
            a = _as_dtype(a, dtype, f"field {name!r}")
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


def _metadata(cls: str, names: Sequence[str], shapes: Sequence[Tuple[int, ...]],
              dtypes: Optional[Sequence[np.dtype]] = None, **extra: Any) -> str:
    dtypes = dtypes or (_FLOAT32,) * len(names)
    return json.dumps({"format": _METADATA_FORMAT, "class": cls,
                       "fields": [[n, list(s), d.name] for n, s, d in zip(names, shapes, dtypes)], **extra})


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
    """Names and shapes from the checkpoint's metadata (the dtypes come from the native checkpoint itself)."""
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
        fields = meta.get("fields")
        # Each field is [name, [dim, ...], ...]: checked as it was written, never coerced (a crafted 2.5 is not 2).
        if not isinstance(fields, list) or not all(
                isinstance(f, list) and len(f) >= 2 and isinstance(f[0], str) and isinstance(f[1], list)
                and all(type(d) is int for d in f[1]) for f in fields):
            raise ValueError("the fields entry is not a list of [name, [dims]]")
        names = tuple(f[0] for f in fields)
        shapes = tuple(tuple(f[1]) for f in fields)
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError, MemoryError) as e:
        raise CheckpointFormatError(f"{source_name(path)} has unreadable replay metadata ({e})") from None
    if meta.get("class") != expected_class:
        raise CheckpointFormatError(f"{source_name(path)} holds a {meta.get('class')}, expected a {expected_class}")
    if expected_class != "ExperienceReplay":  # names become sample() keys and add() keywords (ER's are "0", "1", …)
        try:
            if len(set(names)) != len(names):
                raise InvalidArgumentError(f"duplicate field names {list(names)}")
            _parse_fields(dict(zip(names, shapes)))  # names and shapes (dtypes are the native checkpoint's)
        except (InvalidArgumentError, ArgumentTypeError) as e:
            raise CheckpointFormatError(f"{source_name(path)} has invalid fields ({e})") from None
    try:
        native.set_shapes(shapes)
    except (InvalidArgumentError, OverflowError, TypeError) as e:
        raise CheckpointFormatError(f"{source_name(path)} is corrupt ({e})") from None
    return names, shapes, meta


def _fields_repr(names: Sequence[str], shapes: Sequence[Tuple[int, ...]],
                 dtypes: Optional[Sequence[np.dtype]] = None) -> str:
    dtypes = dtypes or (_FLOAT32,) * len(names)
    return "{" + ", ".join(f"{n!r}: {s}" if d == _FLOAT32 else f"{n!r}: ({s}, {d.name})"
                           for n, s, d in zip(names, shapes, dtypes)) + "}"


def _native_dtypes(native: Any) -> Tuple[np.dtype, ...]:
    return tuple(_DTYPES[c] for c in native.describe()["dtypes"])


# ---- PrioritizedReplay ----------------------------------------------------------------------------------------


class _NStep:
    """n-step transitions, as cpprb's ``Nstep={"size", "gamma", "rew", "next"}`` offers them (with a ``done`` field).

    Transition ``t`` is stored once its window is known: ``m = min(n, steps until the first done at or after t)``
    (the window also ends at ``on_episode_end``), ``rew_t = sum_{k<m} gamma**k * rew_{t+k}`` for every reward
    field, every "next" field and ``done`` taken from step ``t+m-1``, and, when the buffer has a field named by
    ``"discount"``, ``gamma**m`` there (what a bootstrapped target multiplies ``(1 - done) * Q(next)`` by).
    The other fields keep step ``t``'s values. Windows are computed with NumPy over whole batches.
    """

    def __init__(self, spec: Any, names: Sequence[str], shapes: Sequence[Tuple[int, ...]]) -> None:
        if not isinstance(spec, Mapping):
            raise ArgumentTypeError(f"nstep must be a dict like {{'size': 3, 'gamma': 0.99, 'rew': 'rew', "
                                    f"'next': 'next_obs'}}, got {type(spec).__name__}")
        unknown = set(spec) - {"size", "gamma", "rew", "next", "discount"}
        if unknown:
            raise InvalidArgumentError(f"nstep: unknown key(s) {sorted(unknown)}")
        self.size = _as_int(spec.get("size", 1), "nstep['size']")
        if self.size < 1:
            raise InvalidArgumentError(f"nstep['size'] must be >= 1, got {self.size}")
        self.gamma = _as_real(spec.get("gamma", 0.99), "nstep['gamma']")
        if not (np.isfinite(self.gamma) and 0 <= self.gamma <= 1):
            raise InvalidArgumentError(f"nstep['gamma'] must be in [0, 1], got {self.gamma}")

        def names_of(key: str) -> Tuple[str, ...]:
            v = spec.get(key, ())
            v = (v,) if isinstance(v, str) else tuple(v)
            for n in v:
                if n not in names:
                    raise InvalidArgumentError(f"nstep[{key!r}] names {n!r}, which is not a field ({', '.join(names)})")
            return v
        self.rew, self.next = names_of("rew"), names_of("next")
        self.discount = spec.get("discount")
        if self.discount is not None and self.discount not in names:
            raise InvalidArgumentError(f"nstep['discount'] names {self.discount!r}, which is not a field")
        if "done" not in names:
            raise InvalidArgumentError("nstep needs a 'done' field (where episodes end)")
        self.names = tuple(names)
        self.pending: Optional[List[np.ndarray]] = None
        self.pending_p: Optional[np.ndarray] = None

    def push(self, data: Sequence[np.ndarray], priorities: Optional[np.ndarray], flush: bool = False):
        """Appends a batch; returns (ready field arrays, their priorities (NaN: default)) or None."""
        n = data[0].shape[0]
        p = np.full(n, np.nan) if priorities is None else priorities.astype(np.float64)
        if self.pending is not None:
            data = [np.concatenate([a, b]) for a, b in zip(self.pending, data)]
            p = np.concatenate([self.pending_p, p])
        length = data[0].shape[0]
        if length == 0:
            return None
        col = {k: data[i] for i, k in enumerate(self.names)}
        done = col["done"].reshape(length, -1).any(axis=1)
        t = np.arange(length)
        end = t.copy()  # last step of each window
        alive = np.ones(length, dtype=bool)  # no done yet inside the window
        complete = np.zeros(length, dtype=bool)
        rews = {k: np.zeros(col[k].shape, dtype=np.float64) for k in self.rew}
        m = np.zeros(length, dtype=np.int64)
        for k in range(self.size):
            idx = t + k
            inside = idx < length
            take = alive & inside
            safe = np.minimum(idx, length - 1)
            for r in self.rew:
                w = np.where(take, self.gamma ** k, 0.0).reshape((length,) + (1,) * (col[r].ndim - 1))
                rews[r] += w * col[r][safe]
            end = np.where(take, idx, end)
            m += take
            alive = alive & ~(take & done[safe])
            complete |= ~alive  # a done ended the window
        complete |= m == self.size
        if flush:
            complete[:] = True
        ready = np.flatnonzero(complete)
        # Ready windows form a prefix unless a done sits in the tail: keep everything after the first unready one.
        first_unready = np.flatnonzero(~complete)
        cut = first_unready[0] if first_unready.size else length
        ready = ready[ready < cut]
        self.pending = [a[cut:] for a in data] if cut < length else None
        self.pending_p = p[cut:] if cut < length else None
        if ready.size == 0:
            return None
        out = []
        for i, k in enumerate(self.names):
            a = col[k]
            if k in self.rew:
                a = rews[k].astype(a.dtype)
            elif k in self.next or k == "done":
                a = a[end]
            elif k == self.discount:
                a = np.asarray(self.gamma ** m, dtype=a.dtype).reshape((length,) + (1,) * (a.ndim - 1)) * np.ones_like(a)
            out.append(np.ascontiguousarray(a[:cut]))
        return out, p[:cut]


class PrioritizedReplay(CheckpointBytes):
    """Prioritized experience replay (Schaul, Quan, Antonoglou & Silver, ICLR 2016): proportional or rank-based.

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
    fields : Mapping[str, spec]
        Field name → per-item shape (float32), ``(shape, dtype)`` or cpprb's ``{"shape": ..., "dtype": ...}``,
        e.g. ``{"obs": ((84, 84), np.uint8), "act": ((), np.int64), "rew": ()}``. Each field is stored natively in
        its dtype (float32/64, int8…int64, uint8…uint64, bool) and sampled back in it.
    alpha : float, default 0.6
        Prioritisation exponent ``alpha >= 0`` (0 = uniform).
    eps : float, default 1e-6
        Added to every priority so that no item has probability 0.
    seed : int, optional
        Seeds the sampler (same seed, same calls → same samples). ``None`` seeds from the system.
    sampling : {"proportional", "rank", "seed"}, default "proportional"
        ``"rank"``: the paper's rank-based variant, ``P(i) = rank(i)**-alpha / sum_{k=1..N} k**-alpha`` with
        ``rank(i)`` the 1-based position of item ``i`` by decreasing priority (ties: the lower index first);
        stratified over the rank distribution (``B`` equal-mass segments, computed exactly, with replacement);
        weights ``(N * P(i))**-beta / max = (rank(i) / N)**(alpha * beta)``; priorities used as given (no eps).
        ``"seed"`` switches to the seed tutorial's semantics over the same sum-tree: ``priority**alpha`` stored
        as given (no eps), draws *without* replacement, weights normalised by the batch maximum
        (see :class:`ExperienceReplay`).
    nstep : dict, optional
        cpprb's n-step returns: ``{"size": n, "gamma": 0.99, "rew": "rew", "next": "next_obs"}`` (needs a
        ``done`` field; ``"discount": name`` also stores ``gamma**m`` in that field). Transition ``t`` is stored
        once its window is known, with ``rew = sum_{k<m} gamma**k rew_{t+k}`` (``m = n``, or fewer when an episode
        ends first) and ``next_obs``/``done`` of step ``t+m-1``; call :meth:`on_episode_end` at the end of an
        episode that did not end with ``done`` (a time limit) to store its last transitions.

    Notes
    -----
    Priorities must be finite and ``>= 0`` (pass ``|td_error|``): negative, NaN or infinite values raise
    :class:`InvalidArgumentError`.
    """

    _native: Any

    def __init__(self, capacity: int, fields: Mapping[str, Any], alpha: float = 0.6, eps: float = 1e-6,
                 seed: Optional[int] = None, sampling: str = "proportional",
                 nstep: Optional[Mapping[str, Any]] = None) -> None:
        capacity = _check_capacity(capacity)
        self._names, self._shapes, self._dtypes = _parse_fields(fields)
        alpha, eps = _as_real(alpha, "alpha"), _as_real(eps, "eps")
        if sampling not in _SAMPLING:
            raise InvalidArgumentError(f"sampling must be one of {sorted(_SAMPLING)}, got {sampling!r}")
        self._nstep = None if nstep is None else _NStep(nstep, self._names, self._shapes)
        self._native = _native.ReplayBuffer(capacity, self._shapes, alpha, eps, _SAMPLING[sampling], _check_seed(seed),
                                            _dtype_codes(self._dtypes))
        self._native.metadata = _metadata(type(self).__name__, self._names, self._shapes, self._dtypes)
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
            An array of the field's dtype is used as is; other real input is converted (to an integer field only
            integral values within its range; to a bool field only 0/1), anything else raises.
        """
        data, n, _ = _batch(self._names, self._shapes, arrays, self._dtypes)
        prio = _priorities(priority, n)
        if self._nstep is None:
            self._native.add(data, prio)
        else:
            self._store(self._nstep.push(data, prio))

    def on_episode_end(self) -> None:
        """n-step buffers: stores the transitions still waiting for their window (the episode ended without
        ``done``, e.g. at a time limit). A no-op without ``nstep``."""
        if self._nstep is not None and self._nstep.pending is not None:
            empty = [a[:0] for a in self._nstep.pending]
            self._store(self._nstep.push(empty, None, flush=True))

    def _store(self, ready: Any) -> None:
        if ready is None:
            return
        data, p = ready
        default = np.isnan(p)
        # Runs of items with and without a priority, in order (the ring's slot order is the add order).
        bounds = np.flatnonzero(np.diff(default.astype(np.int8))) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(p)]):
            self._native.add(tuple(np.ascontiguousarray(a[lo:hi]) for a in data),
                             None if default[lo] else np.ascontiguousarray(p[lo:hi]))

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
            Every field as an array of shape ``(B, *field_shape)`` in its dtype, ``"indices"`` (int64, shape (B,),
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
    def dtypes(self) -> Dict[str, np.dtype]:
        """Field name → stored dtype."""
        return dict(zip(self._names, self._dtypes))

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
        """``"proportional"`` (stratified, with replacement), ``"rank"`` (rank-based, stratified) or ``"seed"``
        (the tutorial's, without replacement)."""
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
        self._dtypes = _native_dtypes(native)
        self._nstep = None  # pending n-step windows are not checkpointed (call on_episode_end before saving)
        self._capacity = native.describe()["capacity"]
        return self

    def __repr__(self) -> str:
        d = self._native.describe()
        return (f"{type(self).__name__}(capacity={d['capacity']}, len={d['count']}, "
                f"fields={_fields_repr(self._names, self._shapes, self._dtypes)}, alpha={d['alpha']:g}, eps={d['eps']:g}, "
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
    fields : Mapping[str, spec]
        Field name → per-item shape (float32), ``(shape, dtype)`` or ``{"shape": ..., "dtype": ...}``, as for
        :class:`PrioritizedReplay`.
    seed : int, optional
    """

    def __init__(self, capacity: int, fields: Mapping[str, Any], seed: Optional[int] = None) -> None:
        capacity = _check_capacity(capacity)
        self._names, self._shapes, self._dtypes = _parse_fields(fields)
        self._native = _native.ReservoirBuffer(capacity, self._shapes, _check_seed(seed), _dtype_codes(self._dtypes))
        self._native.metadata = _metadata(type(self).__name__, self._names, self._shapes, self._dtypes)
        self._capacity = capacity

    def add(self, **arrays: Any) -> None:
        """Offers one item (``field_shape`` arrays) or a batch (``(n, *field_shape)``) to the reservoir, in order."""
        data, _, _ = _batch(self._names, self._shapes, arrays, self._dtypes)
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
        self._dtypes = _native_dtypes(native)
        self._capacity = native.describe()["capacity"]
        return self

    def __repr__(self) -> str:
        d = self._native.describe()
        return (f"{type(self).__name__}(capacity={d['capacity']}, len={d['count']}, seen={d['seen']}, "
                f"fields={_fields_repr(self._names, self._shapes, self._dtypes)})")
