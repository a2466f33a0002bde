"""Running the native continual-learning strategies over a :class:`~mnemonet.continual.TaskStream`."""
from __future__ import annotations

from typing import Optional, Sequence

from .._args import as_int
from .._native import InvalidArgumentError
from ._runner import (DEFAULTS, MEMORY_STRATEGIES, STRATEGIES, STRATEGY_DEFAULTS, ContinualResult,  # noqa: F401
                      _hyper, _run_native)

__all__ = ["STRATEGIES", "MEMORY_STRATEGIES", "DEFAULTS", "STRATEGY_DEFAULTS", "ContinualResult", "run",
           "strategy_agent"]


def run(stream, strategy: str = "naive", *, seed: int = 0, hidden: Sequence[int] = (100, 100),
        memory: Optional[str] = None, **hyperparameters) -> ContinualResult:
    """Trains an MLP classifier on ``stream`` task after task with ``strategy`` (natively) and evaluates it on every
    task's test rows after each task.

    Parameters
    ----------
    stream : TaskStream
        E.g. :func:`split_digits`.
    strategy : str
        One of :data:`STRATEGIES`.
    seed : int
        Seeds the initial weights, the shuffling and the replay memories.
    hidden : sequence of int
        Hidden layer widths (ReLU).
    memory : {"seed", "dnc"}, optional
        For ``strategy="agent"``: the memory of the agent, as ``ContinualLearningAgent(memory=…)`` ("dnc" is the
        strategy "agent-dnc"). Refused for the other strategies.
    **hyperparameters
        Any of :data:`DEFAULTS` (``lr``, ``epochs``, ``buffer_size``, ``ewc_lambda``, ``mer_beta``, …).

    Returns
    -------
    ContinualResult
    """
    if strategy not in STRATEGIES:
        raise InvalidArgumentError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    if memory is not None:
        from ..agent import MEMORY_KINDS
        if strategy != "agent":
            raise InvalidArgumentError(f"memory= is an option of strategy 'agent', not {strategy!r}")
        if memory not in MEMORY_KINDS:
            raise InvalidArgumentError(f"memory must be one of {MEMORY_KINDS}, got {memory!r}")
        strategy = "agent" if memory == "seed" else "agent-dnc"
    seed = as_int(seed, "seed", 0)
    h = _hyper(dict(STRATEGY_DEFAULTS.get(strategy, {}), **hyperparameters))
    memory_shape = (h["memory_size"], h["memory_dim"]) if strategy in MEMORY_STRATEGIES else None
    R, b, memory, wall = _run_native(stream, strategy, h, seed, hidden, memory_shape)
    return ContinualResult(strategy=strategy, seed=int(seed), accuracy_matrix=R, baseline=b, wall_time=wall,
                           hyperparameters=dict(h, hidden=list(map(int, hidden))), memory=memory)


def _plugin_seed(seed: int) -> int:
    """The seed of a strategy's own random streams for a run seeded ``seed`` (Swift ``Strategy.pluginSeed``)."""
    return (seed + 0x9E3779B97F4A7C15) % (1 << 64)


def strategy_agent(stream, *, seed: int = 0, memory: str = "seed", memory_size: Optional[int] = None,
                   memory_dim: Optional[int] = None):
    """The :class:`~mnemonet.ContinualLearningAgent` that ``run(stream, "agent", seed=seed)`` (``memory="dnc"``:
    ``"agent-dnc"``) starts from: the same initial weights, memory shape (128 × 64 for the seed's bank, 32 × 32 for
    the DNC's, or ``memory_size`` × ``memory_dim``; 4 read heads), LSTM 128, Adam 1e-3 with PyTorch's exact
    arithmetic, the seed's replay options. ``strategy_agent(s, seed=k).fit_stream(s, seed=k)`` reproduces
    ``run(s, "agent", seed=k)`` exactly (R, baseline, memory), and leaves the trained agent in your hands.

    Parameters
    ----------
    stream : TaskStream
        Sizes the agent: ``input_dim`` = ``output_dim`` = ``stream.input_dim`` (needs ``output_count`` ≤ it).
    seed : int, default 0
    memory : {"seed", "dnc"}, default "seed"
    memory_size, memory_dim : int, optional
        N and W (default: the strategy's).

    Returns
    -------
    ContinualLearningAgent
    """
    from ..agent import MEMORY_KINDS, ContinualLearningAgent
    from ..memory import MemoryConfig

    if not isinstance(memory, str) or memory not in MEMORY_KINDS:
        raise InvalidArgumentError(f"memory must be one of {MEMORY_KINDS}, got {memory!r}")
    name = "agent" if memory == "seed" else "agent-dnc"
    h = _hyper(dict(STRATEGY_DEFAULTS[name], **{k: v for k, v in (("memory_size", memory_size),
                                                                   ("memory_dim", memory_dim)) if v is not None}))
    seed = as_int(seed, "seed", 0)
    return ContinualLearningAgent(stream.input_dim, 128, config=MemoryConfig(h["memory_size"], h["memory_dim"], 4),
                                  seed=_plugin_seed(seed), exact_adam=True, memory=memory)
