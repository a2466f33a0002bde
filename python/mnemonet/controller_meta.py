"""Meta-learning over the agent's memory controller: the seed's ``MetaLearner(controller).adapt`` made functional.

``MetaLearner(controller)`` (with a :class:`~mnemonet.MemoryController`, e.g. ``agent.controller``) returns a
:class:`ControllerMetaLearner`. Its :meth:`~ControllerMetaLearner.adapt` runs natively (Swift, the controller's fused
backward) and returns an :class:`AdaptedController` with its own parameters; the meta-parameters and the memory are
never modified.

What adaptation computes
------------------------
The seed's ``adapt`` cannot run as written (a batched ``support_x`` breaks the controller's ``view``, the controller
has no ``memory_bank`` attribute, ``autograd.grad`` raises for the write heads, which have no path to the loss, and
every step differentiates the unadapted parameters). mnemonet computes what it means, with the memory treated as the
seed treats it (writes detached)::

    L_S(θ) = (1/n) Σ_j mse(f_θ(x_j; M_{j-1}), y_j)      M_0 = a COPY of the memory, each forward reads then writes it
    θ_0 = θ;   θ_{t+1} = θ_t − lr · ∇L_S(θ_t)           (num_steps times; memory constant for the gradient)

Every pass starts from a fresh copy of the memory (the same M_0), so adaptation only changes parameters. The write
heads and ``lstm.weight_hh_l0`` have zero gradient (h₀ = 0, detached writes) and keep their values.
:meth:`ControllerMetaLearner.meta_gradient` is MAML over the controller (exact second order through the inner steps
by the engine's autodiff with ``createGraph``, or first order).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Optional

import numpy as np

from . import _native
from ._native import ArgumentTypeError, InvalidArgumentError
from .memory import MemoryController, NeuralMemoryBank
from ._args import as_bool, as_float32, as_int, as_real
from .meta_gradient import MetaGradient

__all__ = ["ControllerMetaLearner", "AdaptedController"]


def _rows(a, width: int, what: str) -> np.ndarray:
    """float32, C-contiguous [n, width]; one sample [width] is taken as one row."""
    arr = as_float32(a.detach().cpu().numpy() if hasattr(a, "detach") else a, what)
    if arr.ndim == 1 and arr.shape[0] == width:
        arr = arr.reshape(1, width)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise InvalidArgumentError(f"{what} must have shape (n, {width}), got {tuple(arr.shape)}")
    return arr


def _pair(x, y, width: int, xn: str, yn: str, y_width: Optional[int] = None):
    x, y = _rows(x, width, xn), _rows(y, width if y_width is None else y_width, yn)
    if x.shape[0] != y.shape[0]:
        raise InvalidArgumentError(f"{xn} has {x.shape[0]} rows but {yn} has {y.shape[0]}")
    return x, y


def _snapshot(bank: NeuralMemoryBank) -> NeuralMemoryBank:
    """A standalone copy of ``bank`` (memory and usage)."""
    copy = NeuralMemoryBank(bank.config)
    memory, usage = bank._bank.get()
    copy._bank.set(memory, usage)
    return copy


class AdaptedController:
    """A controller adapted to one task (returned by :meth:`ControllerMetaLearner.adapt`).

    Attributes
    ----------
    controller : MemoryController
        A new controller holding the adapted parameters θ_K (its own copy; ``state_dict()`` gives them).
    memory_bank : NeuralMemoryBank
        A copy of the memory the adaptation ran from (M_0). :meth:`predict` and :meth:`evaluate` start from a copy
        of it, so they are repeatable and never change it.
    support_losses : ndarray, float64 [num_steps + 1]
        The mean support MSE before each step and after the last (``support_losses[0]`` is the unadapted loss).
    """

    def __init__(self, controller: MemoryController, memory_bank: NeuralMemoryBank, support_losses: np.ndarray):
        self.controller = controller
        self.memory_bank = memory_bank
        self.support_losses = support_losses

    def predict(self, x) -> np.ndarray:
        """Runs x [n, input_dim] (or one sample [input_dim]) in order from a copy of M_0 (each forward reads, then
        writes the copy); returns the outputs, float32 [n, output_dim]."""
        x = _rows(x, self.controller.input_dim, "x")
        bank = _snapshot(self.memory_bank)
        if not len(x):
            return np.zeros((0, self.controller.output_dim), dtype=np.float32)
        return np.stack([self.controller.forward(row, bank) for row in x])

    __call__ = predict

    def evaluate(self, x, y) -> float:
        """Mean MSE over samples (x [n, input_dim], y [n, output_dim]) run in order from a copy of M_0 — the seed's ``evaluate``
        with the adapted parameters (natively)."""
        x, y = _pair(x, y, self.controller.input_dim, "x", "y", self.controller.output_dim)
        return self.controller._ctl.mean_loss(self.memory_bank._bank, x, y)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """The adapted parameters under the seed's ``state_dict`` names."""
        return self.controller.state_dict()

    def __repr__(self) -> str:
        steps = len(self.support_losses) - 1
        return (f"AdaptedController(steps={steps}, support_loss {self.support_losses[0]:.4g} -> "
                f"{self.support_losses[-1]:.4g})")


class ControllerMetaLearner:
    """MAML-style adaptation of a :class:`~mnemonet.MemoryController` (what ``MetaLearner(controller)`` returns).

    Parameters
    ----------
    controller : MemoryController
        The learner; its parameters are the meta-parameters θ (never modified here). ``agent.controller`` works:
        it is a live view of the agent.
    memory_bank : NeuralMemoryBank, optional
        The memory to adapt with (only ever copied). Default: the agent's memory when ``controller`` belongs to an
        agent, else a zero memory of the controller's shape.
    inner_lr : float, default 0.01
        Default step size of :meth:`adapt` and :meth:`meta_gradient`.
    first_order : bool, default False
        Default of :meth:`meta_gradient` (FOMAML when True).

    Examples
    --------
    >>> agent = ContinualLearningAgent(seed=0)
    >>> X, Y = create_task_data(4, num_samples=10)
    >>> adapted = MetaLearner(agent.controller).adapt(X, Y, num_steps=5, lr=0.01)
    >>> adapted.evaluate(X, Y) < adapted.support_losses[0]
    True
    """

    def __init__(self, controller: MemoryController, memory_bank: Optional[NeuralMemoryBank] = None,
                 inner_lr: float = 0.01, first_order: bool = False):
        if not isinstance(controller, MemoryController):
            raise ArgumentTypeError(f"controller must be a mnemonet.MemoryController, got {type(controller).__name__}")
        if memory_bank is not None and not isinstance(memory_bank, NeuralMemoryBank):
            raise ArgumentTypeError(f"memory_bank must be a NeuralMemoryBank, got {type(memory_bank).__name__}")
        self.model = controller
        self._bank = memory_bank
        self.inner_lr = as_real(inner_lr, "inner_lr", 0.0)
        self.first_order = as_bool(first_order, "first_order")

    @property
    def memory_bank(self) -> NeuralMemoryBank:
        """The memory adaptation starts from (see the constructor)."""
        if self._bank is not None:
            return self._bank
        agent_bank = getattr(self.model, "_agent_memory_bank", None)
        if agent_bank is not None:
            return agent_bank
        self._bank = NeuralMemoryBank(self.model.memory_config)
        return self._bank

    def _lr(self, lr: Optional[float]) -> float:
        lr = self.inner_lr if lr is None else as_real(lr, "lr", 0.0)
        if not np.isfinite(lr):
            raise InvalidArgumentError(f"lr must be finite, got {lr}")
        return lr

    def adapt(self, support_x, support_y, num_steps: int = 5, lr: Optional[float] = 0.01) -> AdaptedController:
        """``num_steps`` SGD steps of rate ``lr`` on the support set's mean MSE, from θ (the seed's signature).

        Parameters
        ----------
        support_x, support_y : array_like [n, input_dim]
            The support set (1 ≤ n ≤ 4096; NumPy arrays or CPU tensors).
        num_steps : int, default 5
        lr : float, default 0.01
            Step size (None: ``inner_lr``).

        Returns
        -------
        AdaptedController
            New parameters θ_K with ``predict``/``evaluate``; the controller and the memory are unchanged.
        """
        x, y = _pair(support_x, support_y, self.model.input_dim, "support_x", "support_y", self.model.output_dim)
        bank = self.memory_bank
        native, losses = self.model._ctl.adapt(bank._bank, x, y, as_int(num_steps, "num_steps", 0, 100_000), self._lr(lr))
        adapted = MemoryController._wrap(native, self.model.input_dim, self.model.hidden_dim, self.model.memory_config)
        return AdaptedController(adapted, _snapshot(bank), losses)

    def meta_gradient(self, support_x, support_y, query_x, query_y, num_steps: int = 1, lr: Optional[float] = None,
                      first_order: Optional[bool] = None):
        """MAML's meta-gradient over the controller: d L_Q(θ_K(θ)) / dθ.

        θ_K is :meth:`adapt`'s (from the same memory copy); L_Q is the mean query MSE from a copy of the memory.
        Second order (the default) differentiates through the inner gradients with the engine's autodiff
        (``createGraph``); ``first_order=True`` drops those terms (FOMAML). Memory writes are constants (detached).

        Returns
        -------
        MetaGradient
            ``gradient`` [num_parameters] in ``state_dict`` order (``.state_dict()`` splits it by name),
            ``support_loss`` L_S(θ), ``query_loss`` L_Q(θ_K).
        """
        i, o = self.model.input_dim, self.model.output_dim
        sx, sy = _pair(support_x, support_y, i, "support_x", "support_y", o)
        qx, qy = _pair(query_x, query_y, i, "query_x", "query_y", o)
        steps = as_int(num_steps, "num_steps", 0, 100_000)
        if steps < 0 or steps > 1000:
            raise InvalidArgumentError(f"num_steps must be in 0...1000, got {steps}")
        fo = self.first_order if first_order is None else as_bool(first_order, "first_order")
        bank = self.memory_bank
        g = np.zeros(self.model.num_parameters(), dtype=np.float32)
        query_loss = self.model._ctl.meta_gradient(bank._bank, sx, sy, qx, qy, steps, self._lr(lr), fo, g)
        support_loss = self.model._ctl.mean_loss(bank._bank, sx, sy)
        return MetaGradient(gradient=g, alpha_gradient=None, support_loss=support_loss, query_loss=query_loss,
                            layout=tuple((n, tuple(s)) for n, s in self.model._info))

    def __repr__(self) -> str:
        return f"MetaLearner({self.model!r}, inner_lr={self.inner_lr:g}, first_order={self.first_order})"
