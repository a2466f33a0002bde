"""Multi-armed Bernoulli bandits (Duan et al. 2016; Mishra et al. 2018 Table 3) and the classical baselines.

An episode is N pulls of K arms with success probabilities p_k ~ U[0, 1]. All methods are evaluated on the same
draws with common random numbers: ``draw`` gives p [E, K] and u [E, N, K], and pulling arm a at step t pays 1 iff
u[e, t, a] < p[e, a] — so two methods that take the same actions get the same rewards.

Baselines (vectorised over episodes): ``random``, ``epsilon_greedy`` (ε = 0.1), ``ucb1`` (Auer et al. 2002: pull
each arm once, then argmax mean + √(2 ln t / n)), ``thompson`` (Beta(1, 1) priors, one posterior draw per arm and
step), and ``gittins``: the Gittins index policy (Gittins 1979) for Bernoulli arms with Beta(1, 1) priors, the index
computed by :func:`gittins_indices` (calibration against a retirement reward, backward induction over the Beta
posteriors), with discount γ = 1 − 1/N by default (an effective horizon of the episode's N pulls; the index policy is
Bayes-optimal for the discounted infinite-horizon problem, not exactly for N pulls).
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

from ._args import as_float32, as_float64, as_int, as_real, require_finite
from ._native import InvalidArgumentError

__all__ = ["draw", "run_baseline", "gittins_indices", "BASELINES", "PAPER_TABLE3", "summarize"]

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


def gittins_indices(max_pulls: int, discount: float, grid: int = 1000, tol: float = 1e-3) -> np.ndarray:
    """Gittins indices ν(α, β) of a Bernoulli arm with a Beta(α, β) posterior, for α, β ≥ 1 and α + β ≤ max_pulls + 2.

    Calibration: ν(α, β) is the retirement reward λ (per step) at which, in state (α, β), retiring for ever
    (λ/(1 − γ)) and pulling once more then continuing optimally are equally good:

        V_λ(α, β) = max(λ/(1 − γ),  p·(1 + γ V_λ(α+1, β)) + (1 − p)·γ V_λ(α, β+1)),   p = α/(α+β)

    solved by backward induction over the diagonals α + β = n for a grid of λ at once (``grid`` values in (0, 1)),
    from a depth where γ^depth < ``tol`` (there V_λ = max(λ, p)/(1 − γ), the arm taken as known); ν is the grid
    crossing, linearly interpolated. ν(1, 1) at γ = 0.9 is 0.7029 (Gittins' table).

    Parameters
    ----------
    max_pulls : int
        N, the pulls of an episode (indices up to α + β = N + 2 are returned).
    discount : float
        γ in (0, 1).

    Returns
    -------
    ndarray [N + 2, N + 2]
        ``table[α, β]`` = ν(α, β) (zero where α or β is 0 or α + β > N + 2).
    """
    g = as_real(discount, "discount")
    if not 0 < g < 1:
        raise InvalidArgumentError(f"discount must be in (0, 1), got {discount!r}")
    max_pulls = as_int(max_pulls, "max_pulls", 1, 100_000)
    grid, tol = as_int(grid, "grid", 2, 100_000), as_real(tol, "tol")
    if not 0 < tol < 1:
        raise InvalidArgumentError(f"tol must be in (0, 1), got {tol!r}")
    depth = int(np.ceil(np.log(tol) / np.log(g))) + max_pulls + 2
    lam = (np.arange(grid) + 0.5) / grid
    retire = (lam / (1 - g))[:, None]
    alpha = np.arange(1, depth)
    value = np.maximum(lam[:, None], (alpha / depth)[None, :]) / (1 - g)  # V_λ on the diagonal α + β = depth
    table = np.zeros((max_pulls + 2, max_pulls + 2))
    for n in range(depth - 1, 1, -1):
        alpha = np.arange(1, n)
        p = (alpha / n)[None, :]
        cont = p * (1 + g * value[:, alpha]) + (1 - p) * g * value[:, alpha - 1]
        if n <= max_pulls + 2:
            diff = cont - retire  # decreasing in λ; the index is its zero
            below = diff <= 0
            hi = np.where(below.any(axis=0), np.argmax(below, axis=0), grid - 1)
            lo = np.maximum(hi - 1, 0)
            cols = np.arange(n - 1)
            d0, d1 = diff[lo, cols], diff[hi, cols]
            frac = np.where(d0 > d1, d0 / np.maximum(d0 - d1, 1e-300), 0.0)
            table[alpha, n - alpha] = lam[lo] + np.clip(frac, 0, 1) * (lam[hi] - lam[lo])
        value = np.maximum(retire, cont)
    return table


def run_baseline(method: str, probabilities: np.ndarray, uniforms: np.ndarray, seed: int = 0,
                 epsilon: float = 0.1, discount: Optional[float] = None) -> np.ndarray:
    """Total reward per episode [E] of ``method`` ("random", "epsilon_greedy", "ucb1", "thompson", "gittins") on the
    draws. ``discount`` is the Gittins index's γ (default 1 − 1/N)."""
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
    if method == "gittins":
        gamma = 1 - 1 / max(n, 2) if discount is None else as_real(discount, "discount", 0.0)
        index = gittins_indices(n, gamma)
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
        elif method == "gittins":  # ties (e.g. the first pull) broken at random
            score = index[(wins + 1).astype(int), (counts - wins + 1).astype(int)]
            a = np.argmax(score + 1e-9 * rng.random((e, k)), axis=1)
        else:  # refused above
            raise AssertionError(method)
        r = (u[rows, t, a] < p[rows, a]).astype(np.float64)
        counts[rows, a] += 1
        wins[rows, a] += r
        total += r
    return total


BASELINES = ("random", "epsilon_greedy", "ucb1", "thompson", "gittins")


def summarize(totals: np.ndarray) -> Dict[str, float]:
    """mean and the 95% confidence half-width 1.96·σ/√E of per-episode totals."""
    t = as_float64(totals, "totals", allow_bool=False)
    if t.ndim != 1 or t.size == 0:
        raise InvalidArgumentError(f"totals must be a non-empty vector [E], got shape {t.shape}")
    require_finite(t, "totals")
    return {"mean_reward": float(t.mean()), "ci95": float(1.96 * t.std(ddof=1) / np.sqrt(len(t))) if len(t) > 1 else 0.0}
