"""Multi-armed Bernoulli bandits (Duan et al. 2016; Mishra et al. 2018 Table 3) and the classical baselines.

An episode is N pulls of K arms with success probabilities p_k ~ U[0, 1]. All methods are evaluated on the same
draws with common random numbers: ``draw`` gives p [E, K] and u [E, N, K], and pulling arm a at step t pays 1 iff
u[e, t, a] < p[e, a] — so two methods that take the same actions get the same rewards.

Baselines (vectorised over episodes): ``random``, ``epsilon_greedy`` (ε = 0.1), ``ucb1`` (Auer et al. 2002: pull
each arm once, then argmax mean + √(2 ln t / n)), ``thompson`` (Beta(1, 1) priors, one posterior draw per arm and
step). Gittins indices are not computed; BENCHMARKS.md quotes the paper's Gittins figures.
"""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from ._args import as_float32, as_float64, as_int, as_real, require_finite
from ._native import InvalidArgumentError

__all__ = ["draw", "run_baseline", "BASELINES", "PAPER_TABLE3", "summarize"]

#: The figures of Mishra et al. 2018, Table 3 that this project quotes (average total reward per episode); other
#: cells are not reproduced here.
PAPER_TABLE3 = {
    (10, 5): {"snail": 6.6},
    (100, 5): {"snail": 79.1, "gittins": 78.3},
    (10, 10): {},
}


def draw(episodes: int, arms: int, pulls: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """p [E, K] ~ U[0, 1] and u [E, N, K] ~ U[0, 1) (float32), from ``seed``."""
    episodes, arms = as_int(episodes, "episodes", 1, 1 << 24), as_int(arms, "arms", 1, 1 << 16)
    pulls = as_int(pulls, "pulls", 1, 1 << 20)
    rng = np.random.default_rng(as_int(seed, "seed", 0))
    return (rng.random((episodes, arms), dtype=np.float32), rng.random((episodes, pulls, arms), dtype=np.float32))


def run_baseline(method: str, probabilities: np.ndarray, uniforms: np.ndarray, seed: int = 0,
                 epsilon: float = 0.1) -> np.ndarray:
    """Total reward per episode [E] of ``method`` ("random", "epsilon_greedy", "ucb1", "thompson") on the draws."""
    if method not in BASELINES:
        raise InvalidArgumentError(f"unknown baseline {method!r}; choose from {BASELINES}")
    p, u = as_float32(probabilities, "probabilities"), as_float32(uniforms, "uniforms")
    if u.ndim != 3 or p.shape != (u.shape[0], u.shape[2]) or 0 in u.shape:
        raise InvalidArgumentError(f"probabilities must be [E, K] and uniforms [E, N, K] (non-empty), got {p.shape} "
                                   f"and {u.shape}")
    for a, what in ((p, "probabilities"), (u, "uniforms")):
        if not ((require_finite(a, what) >= 0).all() and (a <= 1).all()):
            raise InvalidArgumentError(f"{what} must be in [0, 1]")
    epsilon = as_real(epsilon, "epsilon", 0.0)
    if epsilon > 1:
        raise InvalidArgumentError(f"epsilon must be in [0, 1], got {epsilon}")
    e, n, k = u.shape
    rng = np.random.default_rng(as_int(seed, "seed", 0))
    counts = np.zeros((e, k))
    wins = np.zeros((e, k))
    total = np.zeros(e)
    rows = np.arange(e)
    for t in range(n):
        if method == "random":
            a = rng.integers(0, k, size=e)
        elif method == "epsilon_greedy":
            means = np.where(counts > 0, wins / np.maximum(counts, 1), np.inf)  # untried arms first
            greedy = np.argmax(means + 1e-9 * rng.random((e, k)), axis=1)
            a = np.where(rng.random(e) < epsilon, rng.integers(0, k, size=e), greedy)
        elif method == "ucb1":
            if t < k:
                a = np.full(e, t)
            else:
                score = wins / counts + np.sqrt(2 * np.log(t) / counts)
                a = np.argmax(score, axis=1)
        elif method == "thompson":
            a = np.argmax(rng.beta(wins + 1, counts - wins + 1), axis=1)
        else:  # refused above
            raise AssertionError(method)
        r = (u[rows, t, a] < p[rows, a]).astype(np.float64)
        counts[rows, a] += 1
        wins[rows, a] += r
        total += r
    return total


BASELINES = ("random", "epsilon_greedy", "ucb1", "thompson")


def summarize(totals: np.ndarray) -> Dict[str, float]:
    """mean and the 95% confidence half-width 1.96·σ/√E of per-episode totals."""
    t = as_float64(totals, "totals", allow_bool=False)
    if t.ndim != 1 or t.size == 0:
        raise InvalidArgumentError(f"totals must be a non-empty vector [E], got shape {t.shape}")
    require_finite(t, "totals")
    return {"mean_reward": float(t.mean()), "ci95": float(1.96 * t.std(ddof=1) / np.sqrt(len(t))) if len(t) > 1 else 0.0}
