"""The native core of :mod:`mnemonet.continual`: strategy names and hyperparameter defaults, the result of a run
(:class:`ContinualResult`) and the one call into the native training loop. It imports nothing of the agent, so that
:meth:`mnemonet.ContinualLearningAgent.fit_stream` and :func:`mnemonet.continual.run` can both stand on it."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .. import _native
from .._args import as_int, as_real
from .._native import InvalidArgumentError
from . import metrics as _metrics

__all__ = ["STRATEGIES", "MEMORY_STRATEGIES", "DEFAULTS", "STRATEGY_DEFAULTS", "ContinualResult"]

#: Strategy names, in the native code order.
STRATEGIES = ("naive", "joint", "ewc", "si", "lwf", "agem", "er", "er-prioritized", "mer", "agent", "agent-dnc")
#: The strategies with an external memory (the memory agents): their result holds M after each task.
MEMORY_STRATEGIES = ("agent", "agent-dnc")

#: Hyperparameters (native order) and their defaults.
DEFAULTS = {
    "lr": 0.05, "epochs": 20, "batch_size": 16, "buffer_size": 200, "replay_batch": 16,
    "ewc_lambda": 100.0, "ewc_decay": 1.0, "si_c": 1.0, "si_xi": 0.1, "lwf_alpha": 1.0, "lwf_temperature": 2.0,
    "agem_sample_size": 64, "priority_alpha": 0.6, "priority_beta": 0.4,
    "mer_beta": 0.3, "mer_gamma": 1.0, "mer_batches": 5, "mer_batch_rows": 10,
    "memory_size": 128, "memory_dim": 64,
}
#: Per-strategy defaults that differ from DEFAULTS: MER is an online method (Riemer et al. 2019 make one pass over
#: the stream; each example already gets ``mer_batches × mer_batch_rows`` SGD steps).
#: The memory agent (the seed's ContinualLearningAgent with a cross-entropy head) trains one example per step
#: with the seed's Adam(1e-3) and 8 replayed rows, in one pass (online, like the seed).
#: "agent-dnc" is the same agent on the DNC's memory (ContinualLearningAgent(memory="dnc")), with a 32 × 32 memory by
#: default: a DNC step at 128 × 64 is ~5× dearer, too slow for the 2-minute table (pass memory_size/memory_dim).
STRATEGY_DEFAULTS = {"mer": {"epochs": 1}, "agent": {"epochs": 1},
                     "agent-dnc": {"epochs": 1, "memory_size": 32, "memory_dim": 32}}
_INTS = {"epochs", "batch_size", "buffer_size", "replay_batch", "agem_sample_size", "mer_batches", "mer_batch_rows",
         "memory_size", "memory_dim"}


@dataclass
class ContinualResult:
    """One run of a strategy on a stream.

    Attributes
    ----------
    strategy : str
    seed : int
    accuracy_matrix : ndarray [T, T]
        R[i, j], test accuracy on task j after training task i.
    baseline : ndarray [T]
        b_j, test accuracy of the randomly initialised model on task j.
    wall_time : float
        Seconds for the whole run (training and evaluation).
    hyperparameters : dict
    memory : ndarray [T, N, W] or None
        For the memory agents ("agent", "agent-dnc"): the memory M after each task; None for the others.
    """

    strategy: str
    seed: int
    accuracy_matrix: np.ndarray
    baseline: np.ndarray
    wall_time: float
    hyperparameters: dict
    memory: Optional[np.ndarray] = None

    @property
    def memory_rank(self) -> Optional[list]:
        """Slot diversity: the effective rank of M after each task (Roy & Vetterli 2007; 1 = every slot holds the
        same vector, min(N, W) at most); None for strategies without an external memory."""
        if self.memory is None:
            return None
        from ..memory import effective_rank
        return [effective_rank(m) for m in self.memory]

    @property
    def acc(self) -> float:
        """Average final accuracy ACC."""
        return _metrics.average_accuracy(self.accuracy_matrix)

    @property
    def bwt(self) -> Optional[float]:
        """Backward transfer BWT."""
        return _metrics.backward_transfer(self.accuracy_matrix)

    @property
    def fwt(self) -> Optional[float]:
        """Forward transfer FWT (against the random-init baseline)."""
        return _metrics.forward_transfer(self.accuracy_matrix, self.baseline)

    @property
    def forgetting(self) -> Optional[float]:
        """Average forgetting."""
        return _metrics.average_forgetting(self.accuracy_matrix)

    def to_dict(self) -> dict:
        """Strict-JSON-ready dict: the matrix, baseline, metrics and wall time."""
        d = _metrics.summarize(self.accuracy_matrix, self.baseline)
        d.update(strategy=self.strategy, seed=self.seed, wall_time=self.wall_time,
                 accuracy_matrix=self.accuracy_matrix.tolist(), baseline=self.baseline.tolist(),
                 hyperparameters=dict(self.hyperparameters), memory_rank=self.memory_rank)
        return d

    def __repr__(self) -> str:
        def f(v):
            return "n/a" if v is None else f"{v:+.3f}"
        return (f"ContinualResult({self.strategy!r}, seed={self.seed}, ACC={self.acc:.3f}, BWT={f(self.bwt)}, "
                f"FWT={f(self.fwt)}, forgetting={f(self.forgetting)}, {self.wall_time:.2f} s)")


def _hyper(overrides: dict) -> dict:
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise InvalidArgumentError(f"unknown hyperparameters {unknown}; known: {sorted(DEFAULTS)}")
    h = dict(DEFAULTS)
    for k, v in overrides.items():
        # Strict, as everywhere in the API: an int for the counts (not 16.0, not True), a finite real number (not
        # a str) for the rest; the ranges are checked natively.
        h[k] = as_int(v, k) if k in _INTS else as_real(v, k)
    return h


def _run_native(stream, strategy: str, h: dict, seed: int, hidden: Sequence[int], memory_shape, agent=None,
                use_replay: bool = True):
    """One native run of ``strategy`` over ``stream`` with the hyperparameters ``h`` (all of DEFAULTS); with
    ``agent`` (a ``_native.Agent``) the memory agent strategy trains that agent in place. Returns (R, baseline,
    memory [T, N, W] or None, wall seconds)."""
    hidden_arr = np.asarray(list(hidden), dtype=np.int64)
    units = np.asarray([u for us in stream.units for u in us], dtype=np.int64)
    uoff = np.cumsum([0] + [len(u) for u in stream.units]).astype(np.int64)

    def pack(tasks):
        x = np.ascontiguousarray(np.concatenate([t.x for t in tasks]), dtype=np.float32)
        y = np.ascontiguousarray(np.concatenate([t.y for t in tasks]), dtype=np.int32)
        off = np.cumsum([0] + [len(t) for t in tasks]).astype(np.int64)
        return x, y, off

    trx, tr_y, troff = pack(stream.train)
    tex, te_y, teoff = pack(stream.test)
    hyper = np.array([h[k] for k in DEFAULTS], dtype=np.float64)
    memory = None
    if memory_shape is not None:
        memory = np.zeros((len(stream.train),) + tuple(memory_shape), dtype=np.float32)
    start = time.perf_counter()
    R, b = _native.continual_run(STRATEGIES.index(strategy), stream.head_mode, stream.output_count, units, uoff,
                                 trx, tr_y, troff, tex, te_y, teoff, hidden_arr, hyper, seed, memory,
                                 agent=agent, use_replay=use_replay)
    return R, b, memory, time.perf_counter() - start
