"""Strict argument conversion, shared by every mnemonet class (issue 14: nothing coerced silently).

Scalars: ``as_int`` takes Python/NumPy integers only (``2.7``, ``True``, ``'3'`` are errors, never truncated or
parsed) and checks a range; ``as_real`` takes real numbers only (not ``bool``, ``str``, ``complex``, ``None``) and
requires them finite; ``as_bool`` takes ``bool`` only (``'no'`` is not ``True``). Arrays: ``as_float32`` /
``as_float64`` accept real numeric array-likes (complex, object, string dtypes and ``None`` are TypeErrors) and
refuse values a float32 cannot represent. Errors are ``ArgumentTypeError`` (a TypeError), ``InvalidArgumentError``
(a ValueError) or ``ArgumentOverflowError`` (an InvalidArgumentError and an OverflowError), each naming the argument.
Non-finite array values are refused by the native layer (``mn_check_array``), with the first bad index.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Optional

import numpy as np

from ._native import ArgumentOverflowError, ArgumentTypeError, InvalidArgumentError

__all__ = ["as_int", "as_real", "as_bool", "as_float32", "as_float64", "require_finite"]

_INT64 = (-(2**63), 2**63 - 1)


def as_int(value: Any, what: str, lo: Optional[int] = None, hi: Optional[int] = None) -> int:
    """``value`` as a Python int in ``[lo, hi]``; a missing bound is the int64 limit (what the native layer takes).
    Beyond int64 the error is an ArgumentOverflowError (also an OverflowError), else an InvalidArgumentError."""
    if isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{what} must be an int, got bool")
    try:
        v = operator.index(value)
    except TypeError:
        raise ArgumentTypeError(f"{what} must be an int, got {type(value).__name__} {value!r:.40}") from None
    lo_, hi_ = (_INT64[0] if lo is None else lo), (_INT64[1] if hi is None else hi)
    if not lo_ <= v <= hi_:
        cls = ArgumentOverflowError if not _INT64[0] <= v <= _INT64[1] else InvalidArgumentError
        raise cls(f"{what} must be in {lo_}...{hi_}, got {v}")
    return v


def as_real(value: Any, what: str, lo: Optional[float] = None, *, finite: bool = True) -> float:
    """``value`` as a Python float (real, finite when ``finite``, ``>= lo`` when given)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ArgumentTypeError(f"{what} must be a real number, got {type(value).__name__} {value!r:.40}")
    try:
        v = float(value)
    except OverflowError:
        raise ArgumentOverflowError(f"{what} = {value} is too large for a float") from None
    if finite and not math.isfinite(v):
        raise InvalidArgumentError(f"{what} must be finite, got {v}")
    if lo is not None and not v >= lo:
        raise InvalidArgumentError(f"{what} must be >= {lo}, got {v}")
    return v


def as_bool(value: Any, what: str) -> bool:
    """``value`` as a bool: ``True``/``False`` (or NumPy bools) only."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{what} must be True or False, got {type(value).__name__} {value!r:.40}")
    return bool(value)


def _real_array(value: Any, what: str, allow_bool: bool = True) -> np.ndarray:
    if value is None or isinstance(value, bool):  # a Python bool where numbers are expected (NumPy bool data is data)
        raise ArgumentTypeError(f"{what} must be an array of real numbers, got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except Exception as e:  # e.g. ragged lists
        raise InvalidArgumentError(f"{what} could not be converted to an array: {e}") from None
    if array.dtype.kind not in ("biuf" if allow_bool else "iuf"):
        raise ArgumentTypeError(f"{what} must hold real numbers (float32, or convertible to it), got dtype {array.dtype}")
    return array


def as_float32(value: Any, what: str) -> np.ndarray:
    """``value`` as a C-contiguous float32 array (no copy when it already is one; a scalar stays 0-d)."""
    if isinstance(value, np.ndarray) and value.dtype == np.float32:
        return value if value.flags.c_contiguous else np.ascontiguousarray(value)
    array = _real_array(value, what)
    with np.errstate(over="ignore"):  # reported below, with the index
        out = np.asarray(array, dtype=np.float32)
    if not out.flags.c_contiguous:
        out = np.ascontiguousarray(out)
    if array.dtype.kind == "f" and array.dtype.itemsize > 4:
        # Values a float32 cannot hold would silently become inf.
        lost = np.isinf(out) & np.isfinite(array)
        if lost.any():
            k = tuple(int(i) for i in np.argwhere(lost)[0])
            raise ArgumentOverflowError(f"{what}{list(k)} = {array[k]} is outside the float32 range (±3.4e38)")
    return out


def as_float64(value: Any, what: str, allow_bool: bool = True) -> np.ndarray:
    """``value`` as a float64 array (0-d for a scalar; C-contiguous otherwise); bools refused unless `allow_bool`."""
    array = np.asarray(_real_array(value, what, allow_bool), dtype=np.float64)
    return array if array.ndim == 0 else np.ascontiguousarray(array)


def require_finite(array: np.ndarray, what: str) -> np.ndarray:
    """``array`` itself when every value is finite, else InvalidArgumentError naming ``what`` and the first bad index
    (the rule ``mn_check_array`` applies natively, for pure-Python helpers: metrics, episode builders)."""
    finite = np.isfinite(array)
    if not finite.all():
        k = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise InvalidArgumentError(f"{what} must be finite, got {array[k]} at {what}{list(k)}")
    return array
