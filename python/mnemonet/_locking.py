"""Per-object serialization of compound Python-level operations (issue 14).

Each native call already holds its object's lock (taken with the GIL released, see mn_common.h), but some public
methods are several native calls plus Python state (a MetaLearner pushes θ to the native learner, trains, and reads θ
back). ``serialized`` makes such a method atomic with respect to the object's other serialized methods: a learner
trained in one thread while another thread evaluates it loses no update. The lock is re-entrant (methods call each
other) and waiting for it releases the GIL like any ``threading`` lock.
"""
from __future__ import annotations

import functools
import threading
import weakref
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["serialized", "object_lock"]


_locks: "weakref.WeakKeyDictionary[Any, threading.RLock]" = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def object_lock(obj: Any) -> "threading.RLock":
    """The object's re-entrant lock, created on first use. It lives outside the object (a weak-keyed table), so
    pickling, copying and ``__dict__`` never see it."""
    lock = _locks.get(obj)
    if lock is None:
        with _locks_guard:
            lock = _locks.setdefault(obj, threading.RLock())
    return lock


def serialized(method: F) -> F:
    """Runs ``method`` holding its object's lock."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with object_lock(self):
            return method(self, *args, **kwargs)
    return wrapper  # type: ignore[return-value]
