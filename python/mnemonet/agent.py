"""The seed's ``ContinualLearningAgent``, natively: train_step, evaluate and a whole native ``fit`` loop."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from . import _native
from ._args import as_bool, as_float32, as_int, as_real
from ._checkpoint import CheckpointBytes
from .memory import MemoryConfig, MemoryController, NeuralMemoryBank, _f32, _int

__all__ = ["ContinualLearningAgent", "AgentReplayBuffer"]


def _pairs_to_arrays(X, Y, what):
    """(X, Y) arrays [n, I], or — the seed's format — a sequence of (x, y) pairs passed as X with Y None."""
    if Y is None:
        try:
            pairs = list(X)
            X = np.stack([as_float32(p[0], "x") for p in pairs])
            Y = np.stack([as_float32(p[1], "y") for p in pairs])
        except (TypeError, IndexError, ValueError) as e:
            raise _native.ArgumentTypeError(
                f"{what}: pass X and Y arrays [n, input_dim], or a sequence of (x, y) pairs") from e
    return _f32(X, "X"), _f32(Y, "Y")


class AgentReplayBuffer:
    """A view of the agent's prioritized replay buffer (the seed's ``ExperienceReplay`` semantics).

    Items are (x, y) pairs pushed by ``train_step`` with priority ``loss + 1e-6``; sampling is without replacement
    with probability ∝ priority^α (α = 0.6) and importance weights ``(N P(i))^−β`` normalised by the batch maximum.

    Parameters
    ----------
    agent : ContinualLearningAgent
        The agent whose buffer this views (obtain it as ``agent.replay_buffer``).
    """

    def __init__(self, agent: "ContinualLearningAgent"):
        # The native handle and the capacity, not the Python agent: no reference cycle, so a dropped agent is freed
        # at once (its memory reused by the next one) instead of waiting for the cyclic garbage collector.
        self._native = agent._agent
        self._capacity = agent.replay_capacity

    @property
    def capacity(self) -> int:
        """Maximum number of stored pairs."""
        return self._capacity

    @property
    def alpha(self) -> float:
        """α = 0.6, the seed's priority exponent."""
        return 0.6

    def __len__(self) -> int:
        return self._native.replay_count()

    def sample(self, batch_size: int, beta: float = 0.4) -> Tuple[List[Tuple[np.ndarray, np.ndarray]], np.ndarray]:
        """The seed's ``sample(batch_size, beta)``: ``(samples, weights)`` with ``min(batch_size, len)`` pairs.

        Returns ``([], empty array)`` when the buffer is empty, like the seed. Draws from the agent's sampler (it
        advances the same random stream as training).
        """
        batch_size = _int(batch_size, "batch_size")
        n = len(self)
        if n == 0:
            return [], np.zeros(0, dtype=np.float32)
        b = min(batch_size, n)
        _, w, X, Y = self._native.replay_sample(b, as_real(beta, "beta", 0.0))
        return [(X[i], Y[i]) for i in range(b)], w

    def __repr__(self) -> str:
        return f"AgentReplayBuffer(len={len(self)}, capacity={self.capacity}, alpha=0.6)"


class ContinualLearningAgent(CheckpointBytes):
    """Controller + memory bank + prioritized replay + Adam: the seed's continual-learning agent, natively.

    ``train_step(x, y)`` runs the controller on x (reading, then writing the memory), pushes (x, y) into the replay
    buffer with priority ``loss + 1e-6``, adds ``0.3 · w_j · loss_j`` for 8 replayed pairs once more than 16 are stored
    (when ``use_replay``), backpropagates (memory detached), clips the gradient norm at 1 and takes an Adam step —
    exactly the seed's arithmetic in float32, far faster.

    Parameters
    ----------
    input_dim : int
        Size of x and y (64 in the seed).
    hidden_dim : int
        LSTM width (128 in the seed).
    config : MemoryConfig, optional
        Memory shape (``MemoryConfig()`` by default).
    replay_capacity : int
        Replay buffer capacity (5000 in the seed).
    lr : float
        Adam learning rate.
    seed : int, optional
        Fixes the initial weights and the replay sampler; random when None.

    Attributes
    ----------
    controller : MemoryController
        The agent's controller (a live view: ``state_dict``/``load_state_dict`` act on the agent).
    memory_bank : NeuralMemoryBank
        The agent's memory (a live view).
    replay_buffer : AgentReplayBuffer
        The agent's replay buffer (``len``, ``capacity``, ``sample``).
    """

    def __init__(self, input_dim: int = 64, hidden_dim: int = 128, config: Optional[MemoryConfig] = None,
                 replay_capacity: int = 5000, lr: float = 1e-3, seed: Optional[int] = None):
        config = config if config is not None else MemoryConfig()
        native = _native.Agent(_int(input_dim, "input_dim"), _int(hidden_dim, "hidden_dim"), *config._dims(),
                               _int(replay_capacity, "replay_capacity"), as_real(lr, "lr"),
                               seed=seed)
        self._adopt(native, config)

    def _adopt(self, native, config):
        self._agent = native
        i, h, n, w, r, writes, cap, lr = native.info()
        self.input_dim, self.hidden_dim, self.replay_capacity, self.lr = i, h, cap, lr
        self.config = config
        self.controller = MemoryController._wrap(native.controller(), i, h, config)
        self.memory_bank = NeuralMemoryBank._wrap(native.memory_bank(), config)
        self.controller._agent_memory_bank = self.memory_bank  # MetaLearner(agent.controller) adapts from it
        self.replay_buffer = AgentReplayBuffer(self)
        self.task_history: list = []

    def train_step(self, x, y, use_replay: bool = True) -> float:
        """One training step on (x, y), each [input_dim]; returns the total loss (current + weighted replay)."""
        return self._agent.train_step(_f32(x, "x"), _f32(y, "y"), as_bool(use_replay, "use_replay"))

    def _train_step_with_draws(self, x, y, indices, weights) -> float:
        """``train_step`` with replay draws given (positions in the buffer, 0 = oldest; 8 weights) — for parity tests."""
        return self._agent.train_step_with_draws(_f32(x, "x"), _f32(y, "y"),
                                                 np.ascontiguousarray(indices, dtype=np.int64), _f32(weights, "weights"))

    def evaluate(self, X, Y=None) -> float:
        """Mean MSE over samples (X, Y [n, input_dim], or the seed's list of (x, y) pairs as X).

        As in the seed, every forward writes the memory.
        """
        X, Y = _pairs_to_arrays(X, Y, "evaluate")
        return self._agent.evaluate(X, Y)

    def adapt(self, support_x, support_y=None, num_steps: int = 5, lr: float = 0.01) -> np.ndarray:
        """Meta-adapts the controller in place on a new task's support set before training on it (the seed's
        ``meta_learner.adapt(support)`` step, applied).

        Runs :meth:`MetaLearner(agent.controller).adapt <mnemonet.controller_meta.ControllerMetaLearner.adapt>` from
        the agent's memory and copies the adapted parameters into the controller. The memory and usage, Adam's
        moments and the replay buffer are not changed (adaptation passes run on a copy of the memory).

        Parameters
        ----------
        support_x, support_y : array_like [n, input_dim]
            The support set (or the seed's list of (x, y) pairs as ``support_x``).
        num_steps : int, default 5
        lr : float, default 0.01

        Returns
        -------
        ndarray, float64 [num_steps + 1]
            The mean support MSE before each step and after the last.
        """
        X, Y = _pairs_to_arrays(support_x, support_y, "adapt")
        lr = as_real(lr, "lr", 0.0)
        if not np.isfinite(lr):
            raise _native.InvalidArgumentError(f"lr must be finite, got {lr}")
        return self._agent.adapt(X, Y, as_int(num_steps, "num_steps", 0, 100_000), lr)

    def fit(self, X, Y=None, epochs: int = 20, use_replay: bool = True, progress: bool = True,
            desc: Optional[str] = None) -> np.ndarray:
        """``epochs`` passes of ``train_step`` over (X, Y) in order, natively (the GIL is released).

        Returns
        -------
        ndarray, float64 [epochs, n]
            The loss of every step.
        """
        X, Y = _pairs_to_arrays(X, Y, "fit")
        epochs = _int(epochs, "epochs")
        use_replay = as_bool(use_replay, "use_replay")
        if epochs < 0:
            raise _native.InvalidArgumentError(f"epochs must be >= 0, got {epochs}")
        n = X.shape[0] if X.ndim == 2 else 0
        losses = np.zeros((epochs, n), dtype=np.float64)
        bar = None
        if progress and epochs > 0:
            from tqdm.auto import tqdm
            bar = tqdm(total=epochs, desc=desc or "fit", unit="epoch", leave=False)
        if epochs == 0:  # no step, but the data are still validated (shape, dtype, finiteness)
            self._agent.fit(X, Y, 0, use_replay, np.zeros(0, np.float64))
        try:
            for e in range(epochs):
                self._agent.fit(X, Y, 1, use_replay, losses[e])
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{losses[e].mean():.4f}")
        finally:
            if bar is not None:
                bar.close()
        return losses

    def save(self, path) -> None:
        """Writes weights, Adam state, memory, usage, replay contents and RNG state: atomically to ``path`` (str or
        os.PathLike), or to a binary file object (anything with ``write``)."""
        self._agent.save(path)

    @classmethod
    def load(cls, path) -> "ContinualLearningAgent":
        """Reads an agent written by ``save`` from a path or a binary file object; a corrupt, truncated or foreign
        checkpoint raises ``CheckpointFormatError``."""
        native = _native.Agent.load(path)
        i, h, n, w, r, writes, cap, lr = native.info()
        self = cls.__new__(cls)
        self._adopt(native, MemoryConfig(n, w, r, writes))
        return self

    def __repr__(self) -> str:
        c = self.config
        return (f"ContinualLearningAgent(input_dim={self.input_dim}, hidden_dim={self.hidden_dim}, "
                f"config=MemoryConfig(memory_size={c.memory_size}, memory_dim={c.memory_dim}, "
                f"num_read_heads={c.num_read_heads}), replay={len(self.replay_buffer)}/{self.replay_capacity}, "
                f"lr={self.lr:g})")
