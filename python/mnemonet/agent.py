"""The seed's ``ContinualLearningAgent``, natively: train_step, evaluate and a whole native ``fit`` loop."""
from __future__ import annotations

import time
from typing import Any, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _native
from ._args import as_bool, as_float32, as_int, as_real
from ._checkpoint import CheckpointBytes
from .memory import MemoryConfig, MemoryController, NeuralMemoryBank, _f32, _int, effective_rank

__all__ = ["ContinualLearningAgent", "AgentReplayBuffer", "DNCMemoryView", "MEMORY_KINDS"]

#: The hidden sizes of the (unused) MLP the native loop builds beside the agent in ``fit_stream``.
DEFAULTS_HIDDEN = (100, 100)

#: The agent's memory kinds, in native order: the seed's bank (uniform writes) and the DNC's memory access.
MEMORY_KINDS = ("seed", "dnc")


class DNCMemoryView:
    """A read-only view of a ``memory="dnc"`` agent's memory (``agent.memory_bank``): copies of M and u as they
    are now, with the seed bank's diagnostics.

    Attributes
    ----------
    config : MemoryConfig
        N, W, R, H_w.
    """

    def __init__(self, agent: "ContinualLearningAgent"):
        self._native = agent._agent
        self.config = agent.config

    @property
    def memory(self) -> np.ndarray:
        """M, float32 [N, W] (a copy)."""
        return self._native.memory()[0]

    @property
    def usage(self) -> np.ndarray:
        """u, float32 [N] (a copy): the DNC's usage in [0, 1]."""
        return self._native.memory()[1]

    def effective_rank(self) -> float:
        """Slot diversity: the effective rank of M (Roy & Vetterli 2007), as ``NeuralMemoryBank.effective_rank``."""
        return effective_rank(self.memory)

    def slot_spread(self) -> float:
        """The largest standard deviation across slots of any memory coordinate (0: all slots identical)."""
        return float(self.memory.std(axis=0).max())

    def __repr__(self) -> str:
        c = self.config
        return (f"DNCMemoryView(memory_size={c.memory_size}, memory_dim={c.memory_dim}, "
                f"num_read_heads={c.num_read_heads}, num_write_heads={c.num_write_heads}, "
                f"effective_rank={self.effective_rank():.2f})")


def _real_array(a, name):
    """``a`` as float32 for the agent: None and complex input are refused with a message naming them."""
    if a is None:
        raise _native.ArgumentTypeError(f"{name} is None; expected an array of real numbers")
    if isinstance(a, np.ndarray) and a.dtype.kind == "c" or isinstance(a, complex):
        raise _native.ArgumentTypeError(f"{name} must hold real numbers, got dtype {np.asarray(a).dtype}")
    return _f32(a, name)  # ragged lists, strings, objects: clear errors from the shared converter (_args.py)


def _real(value, name, minimum=None, strictly=False):
    """The shared strict real rule (_args.as_real: finite, no bools or strings, huge ints -> ArgumentOverflowError),
    then ``> minimum`` when ``strictly``."""
    v = as_real(value, name, minimum)
    if strictly and not v > minimum:
        raise _native.InvalidArgumentError(f"{name} must be > {minimum}, got {value!r}")
    return v


def _pairs_to_arrays(X, Y, what):
    """(X [n, I], Y [n, O]) arrays, or — the seed's format — a sequence of (x, y) pairs passed as X with Y None."""
    if X is None:
        raise _native.ArgumentTypeError(f"{what}: X is None; expected an array [n, input_dim] (or (x, y) pairs)")
    if Y is None and isinstance(X, np.ndarray):
        raise _native.ArgumentTypeError(f"{what}: Y is None; pass X and Y arrays [n, input_dim]")
    if Y is None:
        try:
            pairs = list(X)
            X = np.stack([as_float32(p[0], "x") for p in pairs])
            Y = np.stack([as_float32(p[1], "y") for p in pairs])
        except (TypeError, IndexError, ValueError) as e:
            raise _native.ArgumentTypeError(
                f"{what}: pass X and Y arrays [n, input_dim], or a sequence of (x, y) pairs") from e
    return _real_array(X, "X"), _real_array(Y, "Y")


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
        self._alpha = agent.replay_alpha

    @property
    def capacity(self) -> int:
        """Maximum number of stored pairs."""
        return self._capacity

    @property
    def alpha(self) -> float:
        """α, the priority exponent (the seed's 0.6 by default)."""
        return self._alpha

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
        return f"AgentReplayBuffer(len={len(self)}, capacity={self.capacity}, alpha={self.alpha:g})"


class ContinualLearningAgent(CheckpointBytes):
    """Controller + memory bank + prioritized replay + Adam: the seed's continual-learning agent, natively.

    ``train_step(x, y)`` runs the controller on x (reading, then writing the memory), pushes (x, y) into the replay
    buffer with priority ``loss + 1e-6``, adds ``0.3 · w_j · loss_j`` for 8 replayed pairs once more than 16 are stored
    (when ``use_replay``), backpropagates (memory detached), clips the gradient norm at 1 and takes an Adam step —
    exactly the seed's arithmetic in float32, far faster.

    Every default is the seed's; change them for your own data.

    With ``memory="dnc"`` the memory is the DNC's (:class:`mnemonet.DNC`'s memory access, Graves et al. 2016):
    each sample is one DNC step ``h = LSTM([x; 0], 0)``, ``ξ = W_ξ h + b_ξ``, the write by content and allocation
    (usage, free gates), erase/add, then the read heads (content, forward/backward links), ``ŷ = W_y [h; r] + b_y``.
    The memory state (M, usage, links, weightings) carries from sample to sample (as a constant: no gradient
    between samples); the write precedes the read in a step, so the write parameters are trained through it. The
    replay, loss, clipping and Adam are the seed's recipe above (replayed samples are written too, in order).
    ``controller``, ``adapt`` and ``_train_step_with_draws`` are the seed memory's only; ``memory_bank`` is then a
    :class:`DNCMemoryView`.

    Parameters
    ----------
    input_dim : int, default 64
        Size of x.
    hidden_dim : int, default 128
        LSTM width.
    output_dim : int, optional (keyword-only, as every parameter after ``seed``)
        O, the size of y and of the controller's output (None: ``input_dim``, the seed's). It sizes only the output
        layer ``output.weight`` [O, H + R·W]: the memory is written from the LSTM state s (write key, vector and
        erase are heads of s, as in the seed), never from the output, so what the memory holds does not depend on
        O. The replay buffer stores (x [input_dim], y [O]) pairs; ``train_step``/``fit``/``evaluate``/``adapt``
        take y of O values and ``predict`` returns O values. ``memory="dnc"`` needs O = ``input_dim``.
    config : MemoryConfig or dict, optional
        (Positional order ``input_dim, hidden_dim, config, replay_capacity, lr, seed`` as in mnemonet 0.1.)
        Memory shape and initialisation (``MemoryConfig()`` by default; a dict of its fields is accepted).
    replay_capacity : int, default 5000
        Replay buffer capacity.
    lr : float, default 1e-3
        Adam learning rate.
    replay_batch_size : int, default 8
        B, replayed samples per step (drawn without replacement once more than ``max(16, B)`` are stored).
    replay_weight : float, default 0.3
        λ, the weight of each replayed loss: ``L = ℓ₀ + Σ_j λ w_j ℓ_j``.
    clip_norm : float, default 1.0
        Gradient-norm clipping threshold.
    replay_alpha : float, default 0.6
        α of the replay priorities.
    replay_beta : float, default 0.4
        β of the importance weights.
    exact_adam : bool, default False
        True: Adam's arithmetic is PyTorch's bit for bit (a square root and two divisions per parameter, which bind
        the step to the CPU's divider). False: √v and the quotient come from hardware estimates refined by one
        Newton step, so each Adam update is within a few 1e-7 of PyTorch's (relative) and the step without replay is
        faster. Settable later as the ``exact_adam`` attribute; stored in checkpoints (older files load as True).
        A ``memory="dnc"`` agent always uses the engine's exact Adam (its ``exact_adam`` reads True; setting False
        raises InvalidStateError).
    seed : int, optional
        Fixes the initial weights, the replay sampler and a ``MemoryConfig(init="normal")`` memory; random when None.
    memory : {"seed", "dnc"}, default "seed"
        The seed's bank (uniform writes; the seed's exact arithmetic) or the DNC's memory access (allocation; the
        memory starts at zero as deepmind's, so ``MemoryConfig(init="normal")`` is refused; several write heads are
        allowed).

    Raises
    ------
    InvalidArgumentError, ArgumentTypeError
        At construction, for an unknown ``memory``, sizes < 1, non-integer sizes, unsupported
        ``num_write_heads``/``output_dim``,
        negative ``replay_beta``/``replay_weight``/``replay_alpha``, non-positive ``lr``/``clip_norm``, or a
        ``config`` that is neither a MemoryConfig nor a dict.

    Attributes
    ----------
    controller : MemoryController
        The agent's controller (a live view: ``state_dict``/``load_state_dict`` act on the agent).
    memory_bank : NeuralMemoryBank or DNCMemoryView
        The agent's memory (a live view; for ``memory="dnc"`` a read-only view of copies).
    memory : str
        ``"seed"`` or ``"dnc"``.
    replay_buffer : AgentReplayBuffer
        The agent's replay buffer (``len``, ``capacity``, ``sample``).
    """

    def __init__(self, input_dim: int = 64, hidden_dim: int = 128,
                 config: Union[MemoryConfig, Mapping[str, Any], None] = None, replay_capacity: int = 5000,
                 lr: float = 1e-3, seed: Optional[int] = None, *, output_dim: Optional[int] = None,
                 replay_batch_size: int = 8, replay_weight: float = 0.3, clip_norm: float = 1.0,
                 replay_alpha: float = 0.6, replay_beta: float = 0.4, exact_adam: bool = False,
                 memory: str = "seed"):
        if not isinstance(memory, str) or memory not in MEMORY_KINDS:
            raise _native.InvalidArgumentError(f"memory must be one of {MEMORY_KINDS}, got {memory!r}")
        config = MemoryConfig._coerce(config)
        if memory == "dnc" and config.init != "zeros":
            raise _native.InvalidArgumentError(
                f"memory='dnc' starts from the zero memory state (deepmind's); MemoryConfig(init={config.init!r}) "
                f"is for the seed's bank")
        input_dim, hidden_dim = _int(input_dim, "input_dim"), _int(hidden_dim, "hidden_dim")
        for name, v in (("input_dim", input_dim), ("hidden_dim", hidden_dim)):
            if v < 1:
                raise _native.InvalidArgumentError(f"{name} must be >= 1, got {v}")
        output_dim = input_dim if output_dim is None else _int(output_dim, "output_dim")
        if output_dim < 1:
            raise _native.InvalidArgumentError(f"output_dim must be >= 1, got {output_dim}")
        batch = _int(replay_batch_size, "replay_batch_size")
        if batch < 1:
            raise _native.InvalidArgumentError(f"replay_batch_size must be >= 1, got {batch}")
        dims = config._seed_dims() if memory == "seed" else config._dims()
        native = _native.Agent(input_dim, hidden_dim, *dims, _int(replay_capacity, "replay_capacity"),
                               _real(lr, "lr", 0, strictly=True), seed=seed, replay_batch_size=batch,
                               replay_weight=_real(replay_weight, "replay_weight", 0),
                               clip_norm=_real(clip_norm, "clip_norm", 0, strictly=True),
                               replay_alpha=_real(replay_alpha, "replay_alpha", 0),
                               replay_beta=_real(replay_beta, "replay_beta", 0), output_dim=output_dim,
                               memory=MEMORY_KINDS.index(memory))
        self._adopt(native, config)
        if memory == "seed":  # a memory='dnc' agent trains with the engine's Adam, always exact
            self.exact_adam = exact_adam
        m0 = config._initial_memory(seed) if memory == "seed" else None
        if m0 is not None:
            self.memory_bank.memory = m0

    def _adopt(self, native, config):
        self._agent = native
        i, h, n, w, r, writes, cap, lr, o = native.info()
        self.input_dim, self.hidden_dim, self.replay_capacity, self.lr = i, h, cap, lr
        self.output_dim = o
        (self.replay_batch_size, self.replay_weight, self.clip_norm, self.replay_alpha,
         self.replay_beta) = native.options()
        self.config = config
        self.memory = MEMORY_KINDS[native.memory_kind()]
        if self.memory == "seed":
            self.controller = MemoryController._wrap(native.controller(), i, h, config)
            self.memory_bank = NeuralMemoryBank._wrap(native.memory_bank(), config)
            self.controller._agent_memory_bank = self.memory_bank  # MetaLearner(agent.controller) adapts from it
        else:
            self.controller = None  # the DNC's weights live in the agent (controller, interface and output layers)
            self.memory_bank = DNCMemoryView(self)
        self.replay_buffer = AgentReplayBuffer(self)
        self.task_history: list = []

    @property
    def exact_adam(self) -> bool:
        """Whether Adam uses PyTorch's exact arithmetic (see the class's ``exact_adam`` parameter)."""
        return self._agent.exact_adam()

    @exact_adam.setter
    def exact_adam(self, value: bool) -> None:
        self._agent.exact_adam(int(as_bool(value, "exact_adam")))

    def train_step(self, x, y, use_replay: bool = True) -> float:
        """One training step on x [input_dim], y [output_dim]; returns the total loss (current + weighted replay)."""
        return self._agent.train_step(_real_array(x, "x"), _real_array(y, "y"), as_bool(use_replay, "use_replay"))

    def _train_step_with_draws(self, x, y, indices, weights) -> float:
        """``train_step`` with replay draws given (positions in the buffer, 0 = oldest; 8 weights) — for parity tests
        (memory="seed" only)."""
        return self._agent.train_step_with_draws(_f32(x, "x"), _f32(y, "y"),
                                                 np.ascontiguousarray(indices, dtype=np.int64), _f32(weights, "weights"))

    def evaluate(self, X, Y=None, write_memory: bool = False) -> float:
        """Mean MSE over samples (X [n, input_dim], Y [n, output_dim], or the seed's list of (x, y) pairs as X).

        Parameters
        ----------
        write_memory : bool, default False
            False: every forward reads the memory as it is and nothing in the agent changes (two identical calls
            give identical results). True: the seed's ``evaluate`` — each forward also writes the memory, as in
            training, so evaluating changes what the agent holds (the seed's numbers; the parity tests use it).
        """
        X, Y = _pairs_to_arrays(X, Y, "evaluate")
        return self._agent.evaluate(X, Y, as_bool(write_memory, "write_memory"))

    def predict(self, x) -> np.ndarray:
        """The controller's output for ``x`` [input_dim] (returns [output_dim]) or ``X`` [n, input_dim] (returns
        [n, output_dim]), reading the memory without writing it and without training: the agent is unchanged."""
        x = _real_array(x, "x")
        if x.ndim == 1:
            return self._agent.predict(x.reshape(1, -1))[0]
        return self._agent.predict(x)

    def adapt(self, support_x, support_y=None, num_steps: int = 5, lr: float = 0.01) -> np.ndarray:
        """Meta-adapts the controller in place on a new task's support set before training on it (the seed's
        ``meta_learner.adapt(support)`` step, applied).

        Runs :meth:`MetaLearner(agent.controller).adapt <mnemonet.controller_meta.ControllerMetaLearner.adapt>` from
        the agent's memory and copies the adapted parameters into the controller. The memory and usage, Adam's
        moments and the replay buffer are not changed (adaptation passes run on a copy of the memory). Needs
        ``memory="seed"`` (InvalidStateError otherwise).

        Parameters
        ----------
        support_x, support_y : array_like [n, input_dim], [n, output_dim]
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
        # The whole data set is validated natively first (shape, dtype, finiteness; no step is taken), then the
        # native loop runs in chunks of samples sized to take ~0.1 s each, so Ctrl-C (KeyboardInterrupt, raised
        # between chunks) stops within about that: the agent is then exactly as after the last completed step.
        self._agent.fit(X, Y, 0, use_replay, np.zeros(0, np.float64))
        chunk = 16
        try:
            for e in range(epochs):
                lo = 0
                while lo < n or (n == 0 and lo == 0):
                    hi = min(n, lo + chunk) if n else 0
                    t0 = time.perf_counter()
                    self._agent.fit(X[lo:hi] if n else X, Y[lo:hi] if n else Y, 1, use_replay, losses[e, lo:hi])
                    dt = time.perf_counter() - t0
                    chunk = max(1, min(1 << 16, int(chunk * 0.1 / dt) if dt > 0 else chunk * 2))
                    if n == 0:
                        break
                    lo = hi
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{losses[e].mean():.4f}")
        finally:
            if bar is not None:
                bar.close()
        return losses

    def fit_stream(self, stream, epochs: int = 1, use_replay: bool = True, seed: int = 0,
                   progress: bool = False, *, loss: str = "cross_entropy", buffer_size: int = 200):
        """Learns a continual-learning stream (:class:`mnemonet.continual.TaskStream`, e.g. ``split_digits``) task
        after task with this agent, and measures the accuracy matrix as :func:`mnemonet.continual.run` does.

        ``loss="cross_entropy"`` (the default) is the classification head of the native ``"agent"``/``"agent-dnc"``
        strategies of ``continual.run``, run on this agent (the same native code): the first C = ``output_count``
        outputs are logits, and each row's loss is the softmax cross-entropy over the units active for it (task-IL:
        its task's units; domain-IL: the shared head; class-IL: the units of every task seen so far), trained one
        row per step with the agent's recipe (memory read and write, B = ``replay_batch_size`` replayed rows
        weighted ``replay_weight`` · w_j once more than max(16, B) are stored, sampled ∝ priority^``replay_alpha``
        with β = ``replay_beta``, clipping at ``clip_norm``, the agent's Adam). The replayed rows come from a
        reservoir memory of ``buffer_size`` (x, label) rows that lives for this call (as the strategies' equal
        memory budget); the agent's own (x, y) ``replay_buffer`` is neither used nor changed. The controller (or
        the DNC), the memory and Adam's state are trained in place. Each epoch visits the task's rows in a random
        order drawn from ``seed``; a row is predicted by the masked argmax of its logits, each forward reading and
        writing a copy of the memory (restored after the evaluation; ``memory="dnc"``: read only), as the
        strategies do. :func:`mnemonet.continual.strategy_agent` builds the agent a strategy starts from, so that
        ``strategy_agent(s, seed=k).fit_stream(s, seed=k)`` equals ``continual.run(s, "agent", seed=k)`` exactly.
        The run is one native call (no progress bar, and Ctrl-C takes effect when it returns; ~1 s per
        split-digits stream for the seed's memory, a few seconds for the DNC's).

        ``loss="mse"`` is classification by regression, exactly the seed's ``train_step``: the target of a row of
        output unit k is the one-hot vector e_k [output_dim], trained with ``fit`` (MSE, the agent's replay buffer,
        memory writes); a row's prediction is the argmax of ``predict(x)`` (memory read, not written) over its
        active units.

        Parameters
        ----------
        stream : TaskStream
            Inputs of width ``input_dim``; at most ``output_dim`` output units.
        epochs : int, default 1
            Passes over each task's training rows.
        use_replay : bool, default True
            False: only the current row's loss (no replayed rows).
        seed : int, default 0
            Row order (and, for the cross-entropy head, the reservoir memory's draws).
        progress : bool, default False
            A tqdm bar per task (``loss="mse"`` only).
        loss : {"cross_entropy", "mse"}, default "cross_entropy"
        buffer_size : int, default 200
            Rows of the cross-entropy head's reservoir replay memory (> max(16, B)); ignored with ``loss="mse"``.

        Returns
        -------
        ContinualResult
            ``accuracy_matrix`` R [T, T], ``baseline`` [T] (accuracy before training), ``memory`` [T, N, W] (M after
            each task) and its ``memory_rank``; ``strategy`` names the agent's memory kind and the loss.

        Raises
        ------
        InvalidArgumentError
            A stream of another input width or more units than ``output_dim``, an unknown ``loss``, ``epochs`` < 1,
            ``buffer_size`` ≤ max(16, B).
        """
        from .continual._runner import ContinualResult, _hyper, _run_native

        if not isinstance(loss, str) or loss not in ("cross_entropy", "mse"):
            raise _native.InvalidArgumentError(f"loss must be 'cross_entropy' or 'mse', got {loss!r}")
        d, o, units = self.input_dim, self.output_dim, [tuple(int(u) for u in us) for us in stream.units]
        if stream.input_dim != d or stream.output_count > o:
            raise _native.InvalidArgumentError(
                f"fit_stream needs inputs of width input_dim={d} and at most output_dim={o} output units; the "
                f"stream has inputs of width {stream.input_dim} and {stream.output_count} units")
        epochs = as_int(epochs, "epochs", 1, 100_000)
        use_replay = as_bool(use_replay, "use_replay")
        seed = as_int(seed, "seed", 0)
        label = f"ContinualLearningAgent(memory={self.memory!r}, loss={loss!r})"
        c = self.config
        if loss == "cross_entropy":
            buffer_size = as_int(buffer_size, "buffer_size", 1, 1 << 24)
            h = _hyper({"epochs": epochs, "buffer_size": buffer_size, "memory_size": c.memory_size,
                        "memory_dim": c.memory_dim})
            strategy = "agent" if self.memory == "seed" else "agent-dnc"
            R, b, memory, wall = _run_native(stream, strategy, h, seed, DEFAULTS_HIDDEN, (c.memory_size, c.memory_dim),
                                             agent=self._agent, use_replay=use_replay)
            return ContinualResult(strategy=label, seed=seed, accuracy_matrix=R, baseline=b, wall_time=wall,
                                   hyperparameters={"epochs": epochs, "use_replay": use_replay, "memory": self.memory,
                                                    "loss": loss, "buffer_size": buffer_size}, memory=memory)

        rng = np.random.default_rng(seed)
        t_count = stream.num_tasks

        def active(task, stage):
            if stream.scenario == "task":
                return list(units[task])
            if stream.scenario == "domain":
                return list(units[0])
            return sorted({u for k in range(stage + 1) for u in units[k]})

        def accuracy(task, stage):
            t = stream.test[task]
            cols = np.asarray(active(task, stage))
            pred = cols[np.argmax(self.predict(t.x)[:, cols], axis=1)]
            return float(np.mean(pred == t.y))

        start = time.perf_counter()
        baseline = np.array([accuracy(j, j) for j in range(t_count)])
        R = np.zeros((t_count, t_count))
        memory = []
        for i in range(t_count):
            task = stream.train[i]
            Y = np.zeros((len(task), o), np.float32)
            Y[np.arange(len(task)), task.y] = 1.0
            for _ in range(epochs):
                order = rng.permutation(len(task))
                self.fit(task.x[order], Y[order], epochs=1, use_replay=use_replay, progress=progress,
                         desc=f"task {i + 1}")
            R[i] = [accuracy(j, i) for j in range(t_count)]
            memory.append(np.array(self.memory_bank.memory, dtype=np.float32))
        return ContinualResult(strategy=label, seed=seed, accuracy_matrix=R, baseline=baseline,
                               wall_time=time.perf_counter() - start,
                               hyperparameters={"epochs": epochs, "use_replay": use_replay, "memory": self.memory,
                                                "loss": loss}, memory=np.stack(memory))

    def save(self, path) -> None:
        """Writes weights, Adam state, memory, usage, replay contents and RNG state: atomically to ``path`` (str or
        os.PathLike), or to a binary file object (anything with ``write``)."""
        self._agent.save(path)

    @classmethod
    def load(cls, path) -> "ContinualLearningAgent":
        """Reads an agent written by ``save`` from a path or a binary file object; a corrupt, truncated or foreign
        checkpoint raises ``CheckpointFormatError``."""
        native = _native.Agent.load(path)
        i, h, n, w, r, writes, cap, lr, o = native.info()
        self = cls.__new__(cls)
        self._adopt(native, MemoryConfig(n, w, r, writes))  # the memory kind comes from the checkpoint
        return self

    def __repr__(self) -> str:
        c = self.config
        out = "" if self.output_dim == self.input_dim else f"output_dim={self.output_dim}, "
        return (f"ContinualLearningAgent(input_dim={self.input_dim}, hidden_dim={self.hidden_dim}, {out}"
                f"config=MemoryConfig(memory_size={c.memory_size}, memory_dim={c.memory_dim}, "
                f"num_read_heads={c.num_read_heads}, num_write_heads={c.num_write_heads}), memory={self.memory!r}, "
                f"replay={len(self.replay_buffer)}/{self.replay_capacity}, "
                f"lr={self.lr:g}, replay_batch_size={self.replay_batch_size}, replay_weight={self.replay_weight:g}, "
                f"clip_norm={self.clip_norm:g}, replay_alpha={self.replay_alpha:g}, replay_beta={self.replay_beta:g})")
