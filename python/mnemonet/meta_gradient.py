"""The result of one task's meta-gradient, shared by :mod:`mnemonet.meta` (MLPs) and :mod:`mnemonet.controller_meta`
(the agent's memory controller); it lives apart so that neither of those modules imports the other."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np

__all__ = ["MetaGradient"]


@dataclass
class MetaGradient:
    """One task's meta-gradient (see :meth:`MetaLearner.meta_gradient`).

    Attributes
    ----------
    gradient : numpy.ndarray, float32 [parameter_count]
        ∇_θ L^q(θ′(θ)) (Reptile: the pseudo-gradient θ − θ_K; pretrain: ∇L^s(θ)).
    alpha_gradient : numpy.ndarray or None
        ∇_α L^q [parameter_count] for Meta-SGD, else None.
    support_loss, query_loss : float
        L^s(θ) before adaptation and L^q(θ′) after it (the task's meta-objective).
    """

    gradient: np.ndarray
    """∇_θ L^q(θ′(θ)) [parameter_count] (Reptile: the pseudo-gradient θ − θ_K; pretrain: ∇L^s(θ))."""
    alpha_gradient: Optional[np.ndarray]
    """∇_α L^q (Meta-SGD only), else None."""
    support_loss: float
    """L^s(θ) before adaptation."""
    query_loss: float
    """L^q(θ′) after adaptation (the task's meta-objective)."""
    layout: Tuple[Tuple[str, Tuple[int, ...]], ...] = field(repr=False, default=())

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """The gradient under PyTorch parameter names (as ``{n: p.grad for n, p in model.named_parameters()}``)."""
        out: "OrderedDict[str, np.ndarray]" = OrderedDict()
        offset = 0
        for name, shape in self.layout:
            size = int(np.prod(shape))
            out[name] = self.gradient[offset:offset + size].reshape(shape)
            offset += size
        return out
