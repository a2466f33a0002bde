"""Meta-learning natively: MAML (exact second order or first order), Meta-SGD, Reptile and the pretrained baseline.

Everything that learns runs in Swift (``Sources/MnemonetMeta``): the inner loop, the exact meta-gradient through it
(Hessian-vector products by forward-over-reverse differentiation), the meta-batch and the Adam outer loop. Python
sets things up and reads results.

Adaptation is functional, as in learn2learn: :meth:`MetaLearner.adapt` returns a new :class:`MLP` with its own
parameters θ′ = θ_K and never touches the meta-parameters θ.

Parameter layout
----------------
An :class:`MLP` with ``layer_sizes=(1, 40, 40, 1)`` is ``nn.Sequential(Linear(1, 40), ReLU(), Linear(40, 40), ReLU(),
Linear(40, 1))``: :meth:`MLP.state_dict` uses exactly PyTorch's keys and shapes (``"0.weight"`` [40, 1],
``"0.bias"`` [40], ``"2.weight"`` [40, 40], ``"2.bias"``, ``"4.weight"`` [1, 40], ``"4.bias"`` [1]), so weights move
between PyTorch and mnemonet with ``{k: v.numpy() for k, v in torch_model.state_dict().items()}`` and back with
``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in mlp.state_dict().items()})``.
"""
from __future__ import annotations

import math
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, Iterable, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _native
from ._checkpoint import CheckpointBytes
from ._native import ArgumentTypeError, InvalidArgumentError
from ._args import as_bool, as_float32, as_int, as_real, require_finite
from ._locking import serialized
from .meta_gradient import MetaGradient

__all__ = ["MLP", "MetaLearner", "MetaGradient", "SinusoidEvaluation", "ALGORITHMS", "ACTIVATIONS"]

ACTIVATIONS = {"relu": 0, "tanh": 1, "sigmoid": 2, "identity": 3}
BACKENDS = {"fused": 0, "composed": 1}
ALGORITHMS = {"maml": 0, "meta-sgd": 1, "reptile": 2, "pretrain": 3}


def _as_rows(a, width: int, what: str) -> np.ndarray:
    """float32, C-contiguous, shape [n, width]; a 1-D array is taken as n rows when width == 1."""
    arr = as_float32(a, what)
    if arr.ndim == 1 and width == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise InvalidArgumentError(f"{what} must have shape (n, {width}), got {tuple(np.shape(a))}")
    return arr


class MLP:
    """A multi-layer perceptron ``layer_sizes[0] → … → layer_sizes[-1]`` with a hidden activation and a linear output.

    The parameters are a flat float32 vector θ in PyTorch ``nn.Sequential(Linear, act, …, Linear)`` order (see the
    module docstring); :meth:`state_dict` exposes them under PyTorch's names and shapes.

    Parameters
    ----------
    layer_sizes : sequence of int, default (1, 40, 40, 1)
        Widths, input first (the sinusoid network of Finn et al. 2017).
    activation : {"relu", "tanh", "sigmoid", "identity"}, default "relu"
        Hidden nonlinearity.
    seed : int, default 0
        Seeds PyTorch's default ``nn.Linear`` initialisation, U(−1/√fan_in, 1/√fan_in), drawn natively.

    Examples
    --------
    >>> net = MLP((1, 40, 40, 1), seed=0)
    >>> net(np.linspace(-5, 5, 7, dtype=np.float32)).shape
    (7, 1)
    """

    def __init__(self, layer_sizes: Sequence[int] = (1, 40, 40, 1), activation: str = "relu", seed: int = 0):
        if activation not in ACTIVATIONS:
            raise InvalidArgumentError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__iter__"):
            raise ArgumentTypeError(f"layer_sizes must be a sequence of ints, got {type(layer_sizes).__name__}")
        sizes = [as_int(s, f"layer_sizes[{i}]", hi=1 << 24) for i, s in enumerate(layer_sizes)]
        seed = as_int(seed, "seed", 0, 2**64 - 1)
        self._net = _native.MetaLearner(sizes, ACTIVATIONS[activation], 0, 0.01, 1, False, 1e-3, seed)
        self.layer_sizes: Tuple[int, ...] = tuple(sizes)
        self.activation = activation
        self._theta = self._net.get_parameters()

    @classmethod
    def _with_parameters(cls, like: "MLP", theta: np.ndarray) -> "MLP":
        out = cls.__new__(cls)
        out._net = like._net  # the shared evaluator: its own θ is never used for an adapted model's predictions
        out.layer_sizes = like.layer_sizes
        out.activation = like.activation
        out._theta = theta
        return out

    # -- parameters ---------------------------------------------------------------------------------------------
    @property
    def parameter_count(self) -> int:
        """|θ| = Σ_l sizes[l+1]·(sizes[l] + 1)."""
        return int(self._theta.size)

    @property
    def parameters(self) -> np.ndarray:
        """θ as a read-only flat float32 view [parameter_count] (use :meth:`load_state_dict` to change it)."""
        view = self._theta.view()
        view.flags.writeable = False
        return view

    def _layout(self) -> Iterable[Tuple[str, Tuple[int, ...]]]:
        for i, (fin, fout) in enumerate(zip(self.layer_sizes[:-1], self.layer_sizes[1:])):
            yield f"{2 * i}.weight", (fout, fin)
            yield f"{2 * i}.bias", (fout,)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """PyTorch-style state dict: ``{"0.weight": [out, in], "0.bias": [out], "2.weight": …}`` (float32 copies)."""
        out: "OrderedDict[str, np.ndarray]" = OrderedDict()
        offset = 0
        for name, shape in self._layout():
            size = int(np.prod(shape))
            out[name] = self._theta[offset:offset + size].reshape(shape).copy()
            offset += size
        return out

    def load_state_dict(self, state_dict: Mapping[str, object], strict: bool = True) -> None:
        """Loads parameters from a PyTorch-style state dict (NumPy arrays, or anything ``np.asarray`` accepts, such as
        CPU torch tensors). Shapes must match exactly; with ``strict`` the key sets must match too."""
        strict = as_bool(strict, "strict")
        layout = list(self._layout())
        expected = {k for k, _ in layout}
        if strict:
            missing = sorted(expected - set(state_dict))
            unexpected = sorted(set(state_dict) - expected)
            if missing or unexpected:
                raise InvalidArgumentError(f"state_dict keys do not match: missing {missing}, unexpected {unexpected}")
        theta = self._theta.copy()
        offset = 0
        for name, shape in layout:
            size = int(np.prod(shape))
            if name in state_dict:
                value = state_dict[name]
                if hasattr(value, "detach"):
                    value = value.detach().cpu().numpy()  # a torch tensor, without importing torch
                arr = as_float32(value, f"state_dict[{name!r}]")
                if arr.shape != shape:
                    raise InvalidArgumentError(f"state_dict[{name!r}] must have shape {shape}, got {arr.shape}")
                if not np.all(np.isfinite(arr)):
                    raise InvalidArgumentError(f"state_dict[{name!r}] contains non-finite values")
                theta[offset:offset + size] = arr.reshape(-1)
            offset += size
        self._theta[:] = theta

    def clone(self) -> "MLP":
        """A copy with its own parameters."""
        return MLP._with_parameters(self, self._theta.copy())

    # -- evaluation ---------------------------------------------------------------------------------------------
    def predict(self, x) -> np.ndarray:
        """ŷ = f(x; θ): x [n, d_in] (or [n] when d_in = 1) → [n, d_out] float32."""
        return self._net.predict(_as_rows(x, self.layer_sizes[0], "x"), self._theta)

    __call__ = predict

    def loss(self, x, y) -> float:
        """Mean squared error of the predictions on (x, y)."""
        y = require_finite(_as_rows(y, self.layer_sizes[-1], "y"), "y")
        pred = self.predict(x)
        if pred.shape != y.shape:
            raise InvalidArgumentError(f"x gives {pred.shape[0]} predictions but y has {y.shape[0]} rows")
        return float(np.mean((pred.astype(np.float64) - y) ** 2))

    def __repr__(self) -> str:
        return (f"MLP(layer_sizes={self.layer_sizes}, activation={self.activation!r}, "
                f"parameters={self.parameter_count})")


@dataclass
class SinusoidEvaluation:
    """Query MSE of adapted learners on fresh sinusoid tasks (the protocol of Finn et al.'s ``test()``).

    Attributes
    ----------
    losses : numpy.ndarray, float32 [num_tasks, max_steps + 1]
        Column s is the query MSE after s inner steps (column 0: before adapting).
    k_shot : int
        Support (and query) points per task.
    lr : float or None
        Inner step size used (None: the learner's own, e.g. Meta-SGD's learned rates).
    seed : int
        Seed of the task stream.
    """

    losses: np.ndarray
    """[num_tasks, max_steps + 1]: column s is the query MSE after s inner steps (column 0: before adapting)."""
    k_shot: int
    lr: Optional[float]
    seed: int

    def mean(self, steps: int) -> float:
        """Mean over tasks after ``steps`` inner steps (inf/NaN if some task diverged)."""
        return float(np.mean(self.losses[:, steps].astype(np.float64)))

    def ci95(self, steps: int) -> float:
        """1.96·std/√num_tasks, as in the paper's code."""
        col = self.losses[:, steps].astype(np.float64)
        return float(1.96 * np.std(col) / math.sqrt(col.size))

    def diverged(self, steps: int, threshold: float = 100.0) -> int:
        """How many tasks have a non-finite or > ``threshold`` query loss after ``steps`` inner steps (for the
        sinusoid, predicting 0 everywhere scores at most 25, so > 100 means the inner loop blew up)."""
        col = self.losses[:, steps]
        return int(np.sum(~np.isfinite(col) | (col > threshold)))

    def worse_than_start(self, steps: int) -> int:
        """How many tasks end with a higher query loss after ``steps`` steps than before adapting."""
        return int(np.sum(~(self.losses[:, steps] <= self.losses[:, 0])))

    def summary(self, steps: Sequence[int] = (1, 5, 10)) -> Dict[str, Dict[str, float]]:
        """``{"1": {"mse": …, "ci95": …, "max": …, "diverged": …}, …}`` for the requested step counts."""
        out = {}
        for s in steps:
            col = self.losses[:, s]
            out[str(s)] = {"mse": self.mean(s), "ci95": self.ci95(s), "max": float(np.max(col)),
                           "diverged": self.diverged(s)}
        return out


class MetaLearner(CheckpointBytes):
    """Meta-learns the initial parameters of an :class:`MLP` (and, for Meta-SGD, per-parameter step sizes).

    Parameters
    ----------
    model : MLP or MemoryController
        The learner. Given a :class:`~mnemonet.MemoryController` (e.g. ``agent.controller``), ``MetaLearner(controller,
        memory_bank=None, inner_lr=0.01, first_order=False)`` returns a
        :class:`~mnemonet.controller_meta.ControllerMetaLearner` (functional ``adapt`` → ``AdaptedController``, MAML
        ``meta_gradient``). For an :class:`MLP`: its parameters become the meta-parameters θ; :meth:`meta_train` updates them (and keeps
        ``model`` in sync), :meth:`adapt` never does.
    algorithm : {"maml", "meta-sgd", "reptile", "pretrain"}, default "maml"
        ``"maml"``: Finn et al. 2017, exact second-order meta-gradient unless ``first_order``. ``"meta-sgd"``: Li et
        al. 2017, α ∈ ℝ^|θ| initialised U[0.005, 0.1] and meta-learned with θ. ``"reptile"``: Nichol et al. 2018.
        ``"pretrain"``: the "pretrained on all tasks" baseline (multi-task regression, fine-tuned at test time).
    inner_lr : float, default 0.01
        Inner step size α (the default of :meth:`adapt`; the reference code of the paper used 0.001 for the
        sinusoid, see BENCHMARKS.md).
    inner_steps : int, default 1
        Inner steps during meta-training.
    first_order : bool, default False
        Drop the second-order terms (FOMAML).
    meta_lr : float, default 1e-3
        Adam's learning rate for the outer loop.
    seed : int, default 0
        Seeds the task stream of :meth:`meta_train` (and Meta-SGD's α init).
    backend : {"fused", "composed"}, default "fused"
        How meta-gradients are computed: ``"fused"``, hand-derived Hessian-vector products for the MLP (fast);
        ``"composed"``, the engine's reverse-mode autodiff with ``createGraph`` (the reference; same values).
    """

    def __new__(cls, model=None, *args, **kwargs):
        # MetaLearner(controller): the seed's usage, MetaLearner over the agent's memory controller.
        from .memory import MemoryController
        if cls is MetaLearner and isinstance(model, MemoryController):
            from .controller_meta import ControllerMetaLearner
            return ControllerMetaLearner(model, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, model: MLP, algorithm: str = "maml", inner_lr: float = 0.01, inner_steps: int = 1,
                 first_order: bool = False, meta_lr: float = 1e-3, seed: int = 0, backend: str = "fused"):
        if not isinstance(model, MLP):
            raise ArgumentTypeError(f"model must be a mnemonet.MLP, got {type(model).__name__}")
        if algorithm not in ALGORITHMS:
            raise InvalidArgumentError(f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}")
        if backend not in BACKENDS:
            raise InvalidArgumentError(f"backend must be one of {sorted(BACKENDS)}, got {backend!r}")
        self.backend = backend
        self.model = model
        self.algorithm = algorithm
        self.inner_lr = as_real(inner_lr, "inner_lr")
        self.inner_steps = as_int(inner_steps, "inner_steps", 0, 10_000)
        self.first_order = as_bool(first_order, "first_order")
        self.meta_lr = as_real(meta_lr, "meta_lr")
        self.seed = as_int(seed, "seed", 0, 2**64 - 1)
        self._native = _native.MetaLearner(list(model.layer_sizes), ACTIVATIONS[model.activation],
                                           ALGORITHMS[algorithm], self.inner_lr, self.inner_steps, self.first_order,
                                           self.meta_lr, self.seed, BACKENDS[backend])
        self._native.set_parameters(np.ascontiguousarray(model._theta))

    # -- state ----------------------------------------------------------------------------------------------------
    @property
    def parameters(self) -> np.ndarray:
        """The meta-parameters θ (a copy; the same as ``model``'s)."""
        return self.model._theta.copy()

    @property
    def alphas(self) -> Optional[np.ndarray]:
        """Meta-SGD's per-parameter inner step sizes α (a copy), else None."""
        return self._native.get_alphas() if self.algorithm == "meta-sgd" else None

    @serialized
    def set_alphas(self, alphas) -> None:
        """Replaces Meta-SGD's α: a flat array [parameter_count] or a state dict with the model's names and shapes."""
        if self.algorithm != "meta-sgd":
            raise InvalidArgumentError("only a meta-sgd learner has per-parameter step sizes")
        if isinstance(alphas, Mapping):
            holder = MLP._with_parameters(self.model, self._native.get_alphas())
            holder.load_state_dict(alphas)
            flat = holder._theta
        else:
            flat = as_float32(alphas, "alphas").reshape(-1)
        self._native.set_alphas(np.ascontiguousarray(flat))

    def alpha_state_dict(self) -> Optional["OrderedDict[str, np.ndarray]"]:
        """Meta-SGD's α under the model's parameter names, else None."""
        if self.algorithm != "meta-sgd":
            return None
        return MLP._with_parameters(self.model, self._native.get_alphas()).state_dict()

    @property
    def iteration(self) -> int:
        """Outer (meta) steps taken."""
        return self._native.iteration

    def _sync(self) -> None:
        self.model._theta[:] = self._native.get_parameters()

    def _push(self) -> None:
        # The model's parameters are the source of truth (a user may load_state_dict into it at any time).
        self._native.set_parameters(np.ascontiguousarray(self.model._theta))

    def _lr(self, lr: Optional[float]) -> float:
        if lr is None:
            return -1.0  # the native default: α for Meta-SGD, else inner_lr
        return as_real(lr, "lr", 0.0)

    # -- checkpoints ------------------------------------------------------------------------------------------------
    @serialized
    def save(self, path) -> None:
        """Writes an atomic checkpoint (network, configuration, θ, α, Adam state, task stream, iteration): a learner
        loaded from it continues :meth:`meta_train` exactly where this one stopped. ``path``: a path (atomic write)
        or a binary file object."""
        self._push()
        self._native.save(path)

    @classmethod
    def load(cls, path) -> "MetaLearner":
        """Reads a checkpoint written by :meth:`save` (raises CheckpointFormatError for a truncated, corrupt or foreign
        file, CheckpointIOError when it cannot be read); ``path`` may be a binary file object."""
        native = _native.MetaLearner.load(path)
        d = native.describe()
        names = {v: k for k, v in ACTIVATIONS.items()}
        algos = {v: k for k, v in ALGORITHMS.items()}
        backends = {v: k for k, v in BACKENDS.items()}
        model = MLP.__new__(MLP)
        model._net = native
        model.layer_sizes = tuple(d["layer_sizes"])
        model.activation = names[d["activation"]]
        model._theta = native.get_parameters()
        self = cls.__new__(cls)
        self.model = model
        self.algorithm = algos[d["algorithm"]]
        self.inner_lr = d["inner_lr"]
        self.inner_steps = d["inner_steps"]
        self.first_order = d["first_order"]
        self.meta_lr = d["meta_lr"]
        self.seed = None
        self.backend = backends[d["backend"]]
        self._native = native
        return self

    # -- adaptation -------------------------------------------------------------------------------------------------
    @serialized
    def adapt(self, support_x, support_y, num_steps: int = 5, lr: Optional[float] = None) -> MLP:
        """Adapts to a task: ``num_steps`` gradient steps on the support set's mean squared error, from θ.

        Parameters
        ----------
        support_x : array_like [K, d_in] (or [K] when d_in = 1)
        support_y : array_like [K, d_out] (or [K] when d_out = 1)
        num_steps : int, default 5
        lr : float or None, default None
            Step size; None means ``inner_lr`` (0.01 unless configured, the seed's default), or the learned α for
            Meta-SGD.

        Returns
        -------
        MLP
            A new model with its own parameters θ′; the meta-parameters are unchanged. Predict with ``adapted(x)``,
            score with ``adapted.loss(x, y)``.
        """
        x = _as_rows(support_x, self.model.layer_sizes[0], "support_x")
        y = _as_rows(support_y, self.model.layer_sizes[-1], "support_y")
        if x.shape[0] != y.shape[0]:
            raise InvalidArgumentError(f"support_x has {x.shape[0]} rows but support_y has {y.shape[0]}")
        if as_int(num_steps, "num_steps") < 0:
            raise InvalidArgumentError(f"num_steps must be >= 0, got {num_steps}")
        self._push()
        theta = self._native.adapt(x, y, int(num_steps), self._lr(lr))
        return MLP._with_parameters(self.model, theta)

    @serialized
    def meta_gradient(self, support_x, support_y, query_x, query_y, num_steps: Optional[int] = None,
                      lr: Optional[float] = None, first_order: Optional[bool] = None) -> MetaGradient:
        """One task's meta-gradient ∇_θ L^q(θ′(θ)) at the current θ (exact second order unless ``first_order``).

        Equals ``torch.autograd.grad(query_loss(adapted), params)`` of a functional PyTorch MAML whose inner steps use
        ``create_graph=True`` (see tools/fixtures/make_meta_fixtures.py). Defaults: the learner's settings.
        """
        d_in, d_out = self.model.layer_sizes[0], self.model.layer_sizes[-1]
        sx, sy = _as_rows(support_x, d_in, "support_x"), _as_rows(support_y, d_out, "support_y")
        qx, qy = _as_rows(query_x, d_in, "query_x"), _as_rows(query_y, d_out, "query_y")
        if sx.shape[0] != sy.shape[0] or qx.shape[0] != qy.shape[0]:
            raise InvalidArgumentError("x and y of a set must have the same number of rows")
        steps = -1 if num_steps is None else as_int(num_steps, "num_steps", 0, 10_000)
        if num_steps is not None and steps < 0:
            raise InvalidArgumentError(f"num_steps must be >= 0, got {num_steps}")
        fo = -1 if first_order is None else int(as_bool(first_order, "first_order"))
        self._push()
        g, ga, ls, lq = self._native.meta_gradient(sx, sy, qx, qy, steps, self._lr(lr), fo)
        return MetaGradient(g, ga if ga.size else None, ls, lq, tuple(self.model._layout()))

    @serialized
    def meta_step(self, support_x, support_y, query_x, query_y) -> Tuple[float, float]:
        """One meta-iteration on your own meta-batch, natively: every task's meta-gradient with this learner's rule,
        their mean, one Adam step.

        Parameters
        ----------
        support_x, query_x : array_like [B, n, d_in] (or [B, n] when d_in = 1)
        support_y, query_y : array_like [B, n, d_out] (or [B, n] when d_out = 1)

        Returns
        -------
        (float, float)
            Meta-batch means of the support loss before and the query loss after adaptation.
        """
        d_in, d_out = self.model.layer_sizes[0], self.model.layer_sizes[-1]

        def prep(a, width, what):
            arr = as_float32(a, what)
            if arr.ndim == 2 and width == 1:
                arr = arr[..., None]
            if arr.ndim != 3 or arr.shape[2] != width:
                raise InvalidArgumentError(f"{what} must have shape (B, n, {width}), got {tuple(np.shape(a))}")
            return arr

        self._push()
        out = self._native.meta_step(prep(support_x, d_in, "support_x"), prep(support_y, d_out, "support_y"),
                                     prep(query_x, d_in, "query_x"), prep(query_y, d_out, "query_y"))
        self._sync()
        return out

    @serialized
    def apply_meta_gradient(self, gradient: np.ndarray, alpha_gradient: Optional[np.ndarray] = None) -> None:
        """One outer Adam step with a given meta-gradient (e.g. the mean of :meth:`meta_gradient` over tasks)."""
        g = as_float32(gradient, "gradient").reshape(-1)
        if self.algorithm == "meta-sgd":
            if alpha_gradient is None:
                raise InvalidArgumentError("a meta-sgd learner needs alpha_gradient too")
            g = np.concatenate([g, as_float32(alpha_gradient, "alpha_gradient").reshape(-1)])
        self._push()
        self._native.apply_meta_gradient(np.ascontiguousarray(g))
        self._sync()

    # -- the sinusoid benchmark -------------------------------------------------------------------------------------
    @serialized
    def meta_train(self, task: str = "sinusoid", iterations: int = 70000, meta_batch_size: int = 25, k_shot: int = 10,
                   progress: bool = True, chunk: Optional[int] = None) -> np.ndarray:
        """Meta-trains natively on sinusoid tasks (Finn et al. 2017 §5.1): each meta-iteration samples
        ``meta_batch_size`` tasks with K support and K query points, computes every task's meta-gradient and takes
        one Adam step on their mean — all in Swift. Returns the per-iteration meta-batch mean of the meta-objective
        (the post-adaptation query loss; the support loss for "pretrain" and "reptile").

        ``progress`` shows a tqdm bar (if tqdm is installed). The native loop runs ``chunk`` iterations per call
        (``None``: as many as take ~0.1 s), so Ctrl-C (KeyboardInterrupt, raised between calls) stops within about
        that, leaving the learner as after its last completed meta-iteration.
        """
        if task != "sinusoid":
            raise InvalidArgumentError(f"only the built-in 'sinusoid' task family is available, got {task!r}")
        adaptive = chunk is None
        iterations = as_int(iterations, "iterations", 0)
        chunk = 10 if adaptive else max(1, as_int(chunk, "chunk"))
        # Checked before the first iteration (also for iterations = 0): no value passes unvalidated.
        meta_batch_size = as_int(meta_batch_size, "meta_batch_size", 1, 2**31 - 1)
        k_shot = as_int(k_shot, "k_shot", 1, 2**31 - 1)
        if iterations < 0:
            raise InvalidArgumentError(f"iterations must be >= 0, got {iterations}")
        bar = None
        if progress:
            try:
                from tqdm.auto import tqdm
                bar = tqdm(total=iterations, desc=f"meta-train {self.algorithm}", unit="it")
            except ImportError:  # pragma: no cover
                bar = None
        history = np.empty(iterations, dtype=np.float32)
        done = 0
        self._push()
        try:
            while done < iterations:
                n = min(chunk, iterations - done)
                t0 = time.perf_counter()
                history[done:done + n] = self._native.train_sinusoid(n, as_int(meta_batch_size, "meta_batch_size"),
                                                                     as_int(k_shot, "k_shot"))
                dt = time.perf_counter() - t0
                done += n
                if adaptive:
                    chunk = max(1, min(100_000, int(chunk * 0.1 / dt) if dt > 0 else 2 * chunk))
                if bar is not None:
                    bar.update(n)
                    bar.set_postfix(loss=f"{float(np.mean(history[max(0, done - n):done])):.3f}")
        finally:
            if bar is not None:
                bar.close()
            self._sync()
        bad = np.flatnonzero(~np.isfinite(history))
        if bad.size:
            warnings.warn(f"meta-training diverged: the meta-objective is not finite from iteration "
                          f"{self.iteration - iterations + int(bad[0])} on (try a smaller inner_lr or meta_lr)",
                          RuntimeWarning, stacklevel=2)
        return history

    @serialized
    def evaluate_sinusoid(self, num_tasks: int = 600, k_shot: int = 5, max_steps: int = 10,
                          lr: Optional[float] = None, seed: int = 1) -> SinusoidEvaluation:
        """The paper's test protocol: ``num_tasks`` fresh K-shot sinusoid tasks (K support, K query points), query
        MSE before and after each of 1…``max_steps`` inner steps of size ``lr`` (None: ``inner_lr``, α for Meta-SGD).
        The same ``seed`` gives the same tasks for every learner."""
        self._push()
        losses = self._native.evaluate_sinusoid(as_int(num_tasks, "num_tasks"), as_int(k_shot, "k_shot"),
                                                as_int(max_steps, "max_steps"), self._lr(lr), as_int(seed, "seed", 0, 2**64 - 1))
        return SinusoidEvaluation(losses, int(k_shot), lr, int(seed))

    def __repr__(self) -> str:
        fo = (", first_order=True" if self.first_order else "") + (
            f", backend={self.backend!r}" if self.backend != "fused" else "")
        return (f"MetaLearner({self.model!r}, algorithm={self.algorithm!r}, inner_lr={self.inner_lr}, "
                f"inner_steps={self.inner_steps}{fo}, meta_lr={self.meta_lr}, iteration={self.iteration})")
