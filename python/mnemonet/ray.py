"""A prioritized replay buffer served by a Ray actor (the Ape-X pattern), for ``pip install "mnemonet[ray]"``.

Several rollout workers ``add`` experience, one learner ``sample`` s and ``update_priorities`` (Horgan et al., 2018,
"Distributed Prioritized Experience Replay"). Batches travel as dicts of NumPy arrays through Ray's object store; the
buffer itself is a :class:`mnemonet.PrioritizedReplay` (native sum-tree) living in the actor, whose methods run one
at a time, so concurrent workers never see a half-written batch.

Examples
--------
>>> import ray, numpy as np                                                          # doctest: +SKIP
>>> from mnemonet.ray import ReplayActor
>>> ray.init()                           # a laptop; ray.init(address="auto") on a cluster, nothing else changes
>>> replay = ReplayActor.remote(100_000, {"obs": (8,), "action": (), "reward": ()}, seed=0)
>>> @ray.remote
... def rollout(replay, worker):
...     for step in range(10):
...         obs = np.random.default_rng(worker * 100 + step).normal(size=(32, 8))
...         ray.get(replay.add.remote(obs=obs, action=np.zeros(32), reward=np.ones(32), priority=1.0))
>>> ray.get([rollout.remote(replay, w) for w in range(2)])
>>> batch = ray.get(replay.sample.remote(64, beta=0.4))      # the learner
>>> td_error = np.abs(np.random.default_rng(0).normal(size=64))
>>> ray.get(replay.update_priorities.remote(batch["indices"], td_error))

``ReplayActor.remote(...)`` takes :class:`mnemonet.PrioritizedReplay`'s arguments. The actor needs no CPU of its own
(``num_cpus=0``), so it never blocks rollout tasks on a small machine; pass ``ReplayActor.options(num_cpus=1)`` to
reserve one.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

try:
    import ray as _ray
except ImportError as e:  # pragma: no cover - exercised only without Ray
    raise ImportError('mnemonet.ray needs Ray: pip install "mnemonet[ray]"') from e

from .replay import PrioritizedReplay

__all__ = ["ReplayServer", "ReplayActor"]


class ReplayServer:
    """The object a :data:`ReplayActor` holds: a :class:`~mnemonet.PrioritizedReplay` plus counters.

    Usable directly (in one process) with the same methods; as an actor, call them with ``.remote(...)``.

    Parameters
    ----------
    capacity, fields, alpha, eps, seed, sampling
        As for :class:`mnemonet.PrioritizedReplay`.
    """

    def __init__(self, capacity: int, fields: Mapping[str, Tuple[int, ...]], alpha: float = 0.6, eps: float = 1e-6,
                 seed: Optional[int] = None, sampling: str = "proportional"):
        self._buffer = PrioritizedReplay(capacity, fields, alpha=alpha, eps=eps, seed=seed, sampling=sampling)
        self._added = 0
        self._sampled = 0
        self._updated = 0

    def add(self, priority: Any = None, **arrays: Any) -> int:
        """Adds one item or a batch (as :meth:`PrioritizedReplay.add`); returns how many items had been added before
        this batch (its position in the actor's arrival order)."""
        self._buffer.add(priority=priority, **arrays)  # validates everything first
        name, shape = next(iter(self._buffer.fields.items()))
        value = np.asarray(arrays[name])
        before = self._added
        self._added += 1 if value.ndim == len(shape) else int(value.shape[0])
        return before

    def sample(self, batch_size: int, beta: float = 0.4) -> Dict[str, np.ndarray]:
        """A prioritized batch: every field ``(B, *shape)``, ``"indices"`` and importance ``"weights"``."""
        self._sampled += int(batch_size)
        return self._buffer.sample(batch_size, beta)

    def update_priorities(self, indices: Any, priorities: Any) -> None:
        """Sets the priorities of the sampled ``indices`` (e.g. to ``|TD error|``)."""
        self._updated += int(np.size(indices))
        self._buffer.update_priorities(indices, priorities)

    def priorities(self, indices: Any) -> np.ndarray:
        """The stored ``p_i**alpha`` at ``indices``."""
        return self._buffer.priorities(indices)

    def size(self) -> int:
        """The number of stored items."""
        return len(self._buffer)

    def stats(self) -> Dict[str, int]:
        """``size``, ``capacity``, ``added`` (all time), ``evicted`` (overwritten by capacity), ``sampled`` and
        ``updated`` (item counts)."""
        return {"size": len(self._buffer), "capacity": self._buffer.capacity, "added": self._added,
                "evicted": self._added - len(self._buffer), "sampled": self._sampled, "updated": self._updated}

    def buffer(self) -> PrioritizedReplay:
        """A copy of the whole buffer (it travels by pickle, through its checkpoint bytes)."""
        return self._buffer

    def save(self, path: str) -> None:
        """Checkpoints the buffer on the actor's machine (see :meth:`PrioritizedReplay.save`)."""
        self._buffer.save(path)

    def __repr__(self) -> str:
        return f"ReplayServer({self._buffer!r}, added={self._added})"


#: ``ReplayServer`` as a Ray actor class: ``ReplayActor.remote(capacity, fields, ...)``.
ReplayActor = _ray.remote(num_cpus=0)(ReplayServer)
