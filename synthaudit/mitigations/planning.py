"""Plan a fresh-data mitigation: the cheapest constant (α, n) that meets a risk target.

The planner answers "how many fresh real rows, and how many rows in all, must every generation
have so that generation T's risk stays within ``target × R_0``?" with the exact recursions of
:mod:`synthaudit.mitigations.theory` (categorical: ``R_t/R_0`` does not depend on the level
probabilities; Gaussian: the mean's squared error). Cost = ``n0·real_cost`` (generation 0) +
``T·(k·real_cost + m·synthetic_cost)``.

Examples
--------
>>> plan = cheapest_fresh_share(2.0, n0=100, n_generations=50)
>>> plan.n, plan.real_rows, plan.spec
(85, 30, 'fresh:0.352941')
>>> bool(plan.risk_ratio <= 2.0)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import collect
from .theory import _fresh_risk_factor, _gaussian_first_moments

__all__ = ["FreshSharePlan", "cheapest_fresh_share"]


@dataclass(frozen=True)
class FreshSharePlan:
    """The cheapest constant fresh-data plan meeting a target (see :func:`cheapest_fresh_share`).

    ``frontier`` lists, for every total size n examined, the fewest real rows k meeting the
    target, the cost and the risk ratio reached.
    """

    target: float
    criterion: str
    family: str
    n0: int
    n_generations: int
    n: int
    real_rows: int
    synthetic_rows: int
    risk_ratio: float
    cost: float
    frontier: pd.DataFrame

    @property
    def share(self) -> float:
        """α = k/n (``fresh_rows(α, n) == k``)."""
        return self.real_rows / self.n

    @property
    def spec(self) -> str:
        """The mitigation spec (with the schedule ``const:n``)."""
        return f"fresh:{self.share:.6g}"

    @property
    def schedule(self) -> str:
        return f"const:{self.n}"


def _ratios_categorical(n0, T, n, k, criterion, population):
    nn = np.repeat(np.asarray(n, dtype=float)[:, None], T, axis=1)
    kk = np.repeat(np.asarray(k, dtype=float)[:, None], T, axis=1)
    r = _fresh_risk_factor(n0, nn, kk, population)
    r = r / r[:, :1]
    return r[:, -1] if criterion == "final" else r.max(axis=1)


def _ratios_gaussian(n0, T, n, k, criterion, population=None):
    nn = np.repeat(np.asarray(n, dtype=float)[:, None], T, axis=1)
    kk = np.repeat(np.asarray(k, dtype=float)[:, None], T, axis=1)
    mse, _ = _gaussian_first_moments(n0, nn, kk)
    r = mse / mse[:, :1]
    return r[:, -1] if criterion == "final" else r.max(axis=1)


def cheapest_fresh_share(target: float, n0: int, n_generations: int, *, family: str = "categorical",
                         real_cost: float = 1.0, synthetic_cost: float = 0.1,
                         max_rows: int | None = None, criterion: str = "final",
                         population: int | None = None) -> FreshSharePlan:
    """The cheapest constant (α, n) whose risk ratio ``R_T/R_0`` is at most ``target``.

    Every generation has ``n`` rows, ``k = α·n`` of them fresh real rows (``fresh:α`` with
    schedule ``const:n``). For each n up to ``max_rows`` the fewest k meeting the target is
    found by bisection (the risk falls as real rows replace synthetic ones), vectorised over n;
    the plan is the cheapest.

    Parameters
    ----------
    target : float
        Largest allowed ``R_T/R_0`` (``< 1`` asks the loop to *improve* on generation 0).
    n0, n_generations : int
        Generation 0's real rows; T.
    family : {"categorical", "gaussian"}
        Exact risk of :func:`~synthaudit.mitigations.theory.categorical_fresh_risk` (any p) or the
        Gaussian mean's squared error (:func:`~synthaudit.mitigations.theory.gaussian_fresh_moments`).
    real_cost, synthetic_cost : float
        Cost of one real row and one synthetic row (synthetic rows are not free: with a zero
        cost the plan is always the largest n allowed).
    max_rows : int, optional
        Largest n examined (default: enough for an all-real generation to meet the target).
    criterion : {"final", "max"}
        Constrain ``R_T/R_0`` or ``max_{t ≤ T} R_t/R_0``.
    population : int, optional
        Rows of the real pool when real rows are drawn from it without replacement (categorical).

    Returns
    -------
    FreshSharePlan
    """
    problems: list[str] = []
    ok = isinstance(target, (int, float, np.floating)) and not isinstance(target, bool) \
        and math.isfinite(target) and target > 0
    if not ok:
        problems.append(f"`target` (largest R_T/R_0) must be a positive number; got {target!r}.")
    for name, v in (("n0", n0), ("n_generations", n_generations)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 2 - (name != "n0"):
            problems.append(f"`{name}` must be a positive integer (n0 ≥ 2); got {v!r}.")
    if family not in ("categorical", "gaussian"):
        problems.append(f"`family` must be 'categorical' or 'gaussian'; got {family!r}.")
    if criterion not in ("final", "max"):
        problems.append(f"`criterion` must be 'final' or 'max'; got {criterion!r}.")
    for name, v in (("real_cost", real_cost), ("synthetic_cost", synthetic_cost)):
        if not isinstance(v, (int, float, np.floating)) or isinstance(v, bool) or not v >= 0:
            problems.append(f"`{name}` must be a number ≥ 0; got {v!r}.")
    if population is not None and family != "categorical":
        problems.append("`population` applies to the categorical family only.")
    collect(problems)
    if max_rows is None:
        max_rows = int(math.ceil(2 * n0 / target)) + n0
    if population is not None:
        max_rows_real = population
    else:
        max_rows_real = None
    T = int(n_generations)
    ns = np.arange(2 if family == "categorical" else 3, max_rows + 1)
    ratio_fn = _ratios_categorical if family == "categorical" else _ratios_gaussian
    lo = np.zeros(len(ns), dtype=np.int64)
    hi = ns.copy() if max_rows_real is None else np.minimum(ns, max_rows_real)
    feasible = ratio_fn(n0, T, ns, hi, criterion, population) <= target
    # bisection on k: ratio(k) ≤ target is monotone (more real rows, less risk)
    lo = np.where(ratio_fn(n0, T, ns, lo, criterion, population) <= target, -1, lo)
    lo_ = lo.copy()
    hi_ = hi.copy()
    active = feasible & (lo_ >= 0)
    while np.any(active & (hi_ - lo_ > 1)):
        mid = (lo_ + hi_) // 2
        sel = active & (hi_ - lo_ > 1)
        good = np.zeros(len(ns), dtype=bool)
        idx = np.flatnonzero(sel)
        good[idx] = ratio_fn(n0, T, ns[idx], mid[idx], criterion, population) <= target
        hi_ = np.where(sel & good, mid, hi_)
        lo_ = np.where(sel & ~good, mid, lo_)
    k = np.where(lo == -1, 0, hi_)
    cost = n0 * real_cost + T * (k * real_cost + (ns - k) * synthetic_cost)
    reached = np.full(len(ns), np.nan)
    reached[feasible] = ratio_fn(n0, T, ns[feasible], k[feasible], criterion, population)
    frontier = pd.DataFrame({"n": ns, "real_rows": np.where(feasible, k, -1), "cost": np.where(
        feasible, cost, np.inf), "risk_ratio": reached})
    if not feasible.any():
        collect([f"no constant plan with n ≤ {max_rows} rows reaches R_T/R_0 ≤ {target}; raise "
                 "`max_rows` or the target."])
    best = int(np.argmin(np.where(feasible, cost, np.inf)))
    return FreshSharePlan(float(target), criterion, family, int(n0), T, int(ns[best]), int(k[best]),
                          int(ns[best] - k[best]), float(reached[best]), float(cost[best]),
                          frontier[frontier.real_rows >= 0].reset_index(drop=True))
