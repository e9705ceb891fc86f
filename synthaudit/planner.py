"""Plan expansion schedules: the cheapest schedule of each family that meets a target.

A *target* is one of (DESIGN §5, replace workflow, horizon T fixed):

- ``improvement=p`` — the improvement probability ``P_T ≥ p`` (needs ``d``, the number of free
  parameters);
- ``collapse=q`` with ``eps`` — the exact ``P(σ̂²_T / σ² ≤ eps) ≤ q`` for a univariate Gaussian
  (generation 0's own sampling error included);
- ``extra_variance=x`` — ``r_T² = n0 · S_T ≤ x``: the variance added by the loop, in units of the
  baseline's.

Every family is searched along one parameter, cost (total synthetic rows ``Σ_{t=1..T} n_t``)
growing with it, every target monotone in it:

============  =====================================  ========================================
family        member                                 searched
============  =====================================  ========================================
constant      ``constant(n)``                        integer n ≥ 2
linear        ``linear(first, slope)``               slope ≥ 0 on a decimal grid
polynomial    ``polynomial(first, power)``           power ≥ 0 on a decimal grid
exponential   ``exponential(first, growth)``         growth ≥ 1 on a decimal grid
============  =====================================  ========================================

``first`` (the size of generation 1) defaults to ``n0``. Continuous parameters are searched on a
grid of step ``10^(⌊log10 max⌋ − 5)`` (six significant digits, so the schedule spec round-trips)
by bisection; the member one grid step cheaper (:meth:`PlanResult.cheaper_neighbour`) misses the
target. Because generation 1 has ``first`` rows whatever the growth, the growth families cannot
push ``S_T`` below ``1/first``: targets beyond that are reported infeasible with the reason.

At a *fixed* horizon, a target that depends on ``S_T`` only (improvement, extra variance) is
always met most cheaply by a constant schedule: ``Σ n_t ≥ T²/S_T`` (Cauchy–Schwarz), with equality
for equal sizes. What the growth families buy is that the target keeps holding as T grows; the
``note`` column says which members collapse in the long run.

:func:`verify` checks a plan by simulation: each chosen schedule runs through the engine's fast
exact path with a known Gaussian truth, and the measured value (with its Monte-Carlo standard
error) is set beside the promised one.

Examples
--------
>>> result = plan(100, 50, d=2, improvement=0.2)
>>> result.best
constant(2223)
>>> result.table[["schedule_spec", "total_rows"]].to_numpy().tolist()
[['const:2223', 111150], ['linear:100:325.5', 403750], ['poly:100:1.5374', 827018], ['', <NA>]]
>>> result.table["note"].iloc[3]
'unreachable within the 1e+12-rows-per-generation cap (achieves 0.1838 at exponential(100, 1.59986)).'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .exceptions import ValidationError, collect
from .schedules import MAX_ROWS, Schedule, constant, exponential, linear, polynomial
from .theory import (
    accumulated_variance,
    bias_collapses,
    bias_drift,
    collapse_criterion,
    collapse_probability,
    improvement_probability,
    improvement_probability_r,
    required_growth_power,
)

__all__ = [
    "FAMILIES",
    "PlanResult",
    "Target",
    "Verification",
    "evaluate_target",
    "frontier",
    "plan",
    "plot_frontier",
    "verify",
]

#: Schedule families the planner knows, in default search order.
FAMILIES = ("constant", "linear", "polynomial", "exponential")
TARGET_KINDS = ("improvement", "collapse", "extra_variance")
ESTIMATORS = ("unbiased", "mle")


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_real(x) -> bool:
    return (
        isinstance(x, (int, float, np.integer, np.floating))
        and not isinstance(x, bool)
        and math.isfinite(float(x))
    )


# --------------------------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a schedule must achieve at the horizon T.

    Parameters
    ----------
    kind : {"improvement", "collapse", "extra_variance"}
    value : float
        ``p`` (``P_T ≥ p``), ``q`` (``P(σ̂²_T/σ² ≤ eps) ≤ q``) or ``x`` (``n0·S_T ≤ x``).
    eps : float, optional
        Variance-ratio threshold in (0, 1), only for ``kind="collapse"``.

    Examples
    --------
    >>> t = Target("improvement", 0.2)
    >>> str(t), t.met(0.25)
    ('P_T ≥ 0.2', True)
    """

    kind: str
    value: float
    eps: float | None = None

    def __post_init__(self):
        problems = []
        if self.kind not in TARGET_KINDS:
            problems.append(
                f"`target` kind must be one of {', '.join(TARGET_KINDS)}; got {self.kind!r}."
            )
        elif self.kind in ("improvement", "collapse"):
            if not _is_real(self.value) or not 0 < float(self.value) < 1:
                problems.append(
                    f"`{self.kind}` must be a probability strictly between 0 and 1; "
                    f"got {self.value!r}."
                )
        elif not _is_real(self.value) or float(self.value) <= 0:
            problems.append(f"`extra_variance` must be a number > 0; got {self.value!r}.")
        if self.kind == "collapse":
            if self.eps is None or not _is_real(self.eps) or not 0 < float(self.eps) < 1:
                problems.append(
                    "`eps` must be a variance ratio strictly between 0 and 1 for a collapse "
                    f"target; got {self.eps!r}."
                )
        elif self.eps is not None and self.kind in TARGET_KINDS:
            problems.append(f"`eps` applies only to a collapse target; got eps={self.eps!r}.")
        collect(problems)

    def met(self, achieved: float) -> bool:
        """Whether an achieved value meets the target (relative slack 1e-12 for rounding)."""
        slack = 1e-12 * abs(self.value)
        if self.kind == "improvement":
            return bool(achieved >= self.value - slack)
        return bool(achieved <= self.value + slack)

    def __str__(self) -> str:
        if self.kind == "improvement":
            return f"P_T ≥ {self.value:g}"
        if self.kind == "collapse":
            return f"P(σ²_T/σ² ≤ {self.eps:g}) ≤ {self.value:g}"
        return f"n0·S_T ≤ {self.value:g}"


def evaluate_target(
    target: Target, n0: int, schedule, n_generations: int, *, d=None, estimator="unbiased"
) -> float:
    """The value a schedule achieves for ``target.kind`` at horizon T (by theory).

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> round(evaluate_target(Target("extra_variance", 1.0), 100, constant(200), 10), 12)
    5.0
    """
    if target.kind == "improvement":
        return float(improvement_probability(n0, schedule, n_generations, d=d))
    if target.kind == "collapse":
        return float(
            collapse_probability(target.eps, n0, schedule, n_generations, estimator=estimator)
        )
    return float(accumulated_variance(n0, schedule, n_generations))


# --------------------------------------------------------------------------------------------
# one-parameter search spaces
# --------------------------------------------------------------------------------------------


_PARAM_NAME = {"linear": "slope", "polynomial": "power", "exponential": "growth"}


def _member(family: str, first: int, p: float) -> Schedule:
    if family == "constant":
        return constant(int(p))
    if family == "linear":
        return linear(first, p)
    if family == "polynomial":
        return polynomial(first, p)
    return exponential(first, p)


def _describe(family: str, first: int, p: float) -> str:
    if family == "constant":
        return f"n={int(p)}"
    return f"first={first}, {_PARAM_NAME[family]}={p:g}"


def _bounds(family: str, first: int, T: int) -> tuple[float, float]:
    """Smallest and largest parameter (the largest keeps every size under the row cap)."""
    if family == "constant":
        return 2.0, float(MAX_ROWS)
    lo = 1.0 if family == "exponential" else 0.0
    if T == 1:  # the growth parameter does not matter: only n_1 = first
        return lo, lo
    cap = MAX_ROWS / first
    if family == "linear":
        hi = (MAX_ROWS - first) / (T - 1)
    elif family == "polynomial":
        hi = math.log(cap) / math.log(T)
    else:
        hi = math.exp(math.log(cap) / (T - 1))
    return lo, hi * (1 - 1e-9)


def _grid_step(value: float) -> tuple[float, int]:
    """Grid step giving six significant digits at ``value`` (so specs round-trip), and digits."""
    exponent = math.floor(math.log10(value)) - 5
    return 10.0**exponent, -exponent


def _search(family: str, first: int, T: int, meets):
    """Cheapest parameter meeting the target and its cheaper neighbour (which misses).

    Returns ``(param, neighbour_param_or_None)``, or None when the largest member misses.
    Constant: integer bisection. Growth families: float bisection, then the result is snapped up
    to a decimal grid of six significant digits and checked (and adjusted) step by step.
    """
    lo, hi = _bounds(family, first, T)

    def ok(p):
        try:
            return meets(_member(family, first, p))
        except ValidationError:  # beyond the row cap
            return False

    if ok(lo):
        return lo, None
    if hi == lo or not ok(hi):
        return None
    if family == "constant":
        a, b = int(lo), int(hi)  # a misses, b meets
        while b - a > 1:
            mid = (a + b) // 2
            a, b = (a, mid) if ok(mid) else (mid, b)
        return float(b), float(b - 1)
    a, b = lo, hi
    for _ in range(200):
        step, _digits = _grid_step(b)
        if b - a <= step / 8:
            break
        mid = 0.5 * (a + b)
        a, b = (a, mid) if ok(mid) else (mid, b)
    step, digits = _grid_step(b)
    k = math.ceil(b / step)

    def value(j):
        return round(j * step, digits)

    while not ok(value(k)):
        if value(k) > hi:
            return None
        k += 1
    while value(k - 1) >= lo and ok(value(k - 1)):
        k -= 1
    below = value(k - 1)
    return value(k), (below if below >= lo else None)


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PlanResult:
    """The cheapest member of each family meeting a target, as a tidy table.

    Attributes
    ----------
    table : DataFrame
        One row per family: ``family``, ``parameters``, ``schedule_spec``, ``total_rows``,
        ``achieved``, ``target``, ``feasible``, ``note`` (plus ``bias_drift`` when ``alpha`` was
        given), sorted by ``total_rows`` (families with no member last).
    best : Schedule or None
        The cheapest feasible schedule (None when no family is feasible).
    schedules : dict
        family → the cheapest member meeting the target (absent when none does).
    neighbours : dict
        family → the member one search step cheaper, which misses the target (None when the
        chosen member is already the smallest of its family).
    target : Target
    provenance : dict
        Inputs and library version.
    """

    table: pd.DataFrame
    best: Schedule | None
    schedules: dict
    neighbours: dict
    target: Target
    provenance: dict = field(default_factory=dict)

    def cheaper_neighbour(self, family: str) -> Schedule | None:
        """The member of ``family`` one search step cheaper than the chosen one (misses the target).

        Examples
        --------
        >>> plan(100, 20, extra_variance=2.0, families=("constant",)).cheaper_neighbour("constant")
        constant(999)
        """
        if family not in self.neighbours:
            raise ValidationError(
                f"`family` must be one of the planned families {sorted(self.neighbours)}; "
                f"got {family!r}."
            )
        return self.neighbours[family]

    def __str__(self) -> str:
        p = self.provenance
        head = (
            f"Cheapest schedules meeting {self.target} at T = {p.get('n_generations')} "
            f"(n0 = {p.get('n0')}" + (f", d = {p['d']}" if p.get("d") is not None else "") + ")"
        )
        best = f"best: {self.best!r} ({self.best.spec})" if self.best else "best: none feasible"
        cols = ["family", "schedule_spec", "total_rows", "achieved", "feasible"]
        lines = [head, best, self.table[cols].to_string(index=False), "notes:"]
        lines += [f"  {r.family}: {r.note}" for r in self.table.itertuples() if r.note]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# plan
# --------------------------------------------------------------------------------------------


def _resolve_target(target, improvement, collapse, extra_variance, eps) -> Target:
    given = {
        k: v
        for k, v in (
            ("improvement", improvement),
            ("collapse", collapse),
            ("extra_variance", extra_variance),
        )
        if v is not None
    }
    if target is not None:
        if given:
            raise ValidationError(
                "give the target either as `target=Target(...)` or as one keyword "
                f"(improvement=, collapse=, extra_variance=); got both: {sorted(given)}."
            )
        if not isinstance(target, Target):
            raise ValidationError(f"`target` must be a Target; got {target!r}.")
        return target
    if len(given) != 1:
        raise ValidationError(
            "exactly one target is needed: improvement=p, collapse=q (with eps=) or "
            f"extra_variance=x; got {sorted(given) or 'none'}."
        )
    kind, value = next(iter(given.items()))
    return Target(kind, value, eps)


def _validate(n0, n_generations, d, target, alpha, families, estimator, max_total_rows, first):
    problems = []
    if not _is_int(n0) or n0 < 2:
        problems.append(f"`n0` must be an integer ≥ 2 (real rows of generation 0); got {n0!r}.")
    if not _is_int(n_generations) or n_generations < 1:
        problems.append(f"`n_generations` must be a positive integer; got {n_generations!r}.")
    if target.kind == "improvement" and (not _is_int(d) or d < 1):
        problems.append(
            f"`d` must be a positive integer (free parameters) for an improvement target; got {d!r}."
        )
    if alpha is not None and (not _is_real(alpha) or alpha <= 0):
        problems.append(f"`alpha` must be a number > 0 (bias of order n^(-alpha)); got {alpha!r}.")
    bad = [
        f
        for f in (families if isinstance(families, (list, tuple)) else [families])
        if f not in FAMILIES
    ]
    if bad or not isinstance(families, (list, tuple)) or not families:
        problems.append(
            f"`families` must be a non-empty list drawn from {', '.join(FAMILIES)}; got {families!r}."
        )
    if estimator not in ESTIMATORS:
        problems.append(f"`estimator` must be 'unbiased' or 'mle'; got {estimator!r}.")
    if max_total_rows is not None and (not _is_real(max_total_rows) or max_total_rows < 2):
        problems.append(f"`max_total_rows` must be a number ≥ 2 or None; got {max_total_rows!r}.")
    if first is not None and (not _is_int(first) or not 2 <= first <= MAX_ROWS):
        problems.append(f"`first_size` must be an integer ≥ 2 or None; got {first!r}.")
    collect(problems)


def _floor_value(target, n0, first, T, d, estimator):
    """Best value a growth family can approach: every generation after the first infinite."""
    if target.kind == "improvement":
        return float(improvement_probability_r(math.sqrt(n0 / first), d))
    if target.kind == "extra_variance":
        return n0 / first
    return float(collapse_probability(target.eps, n0, [first], estimator=estimator))


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("synthaudit")
    except ImportError:  # pragma: no cover - not installed
        return "unknown"


def plan(
    n0: int,
    n_generations: int,
    *,
    target: Target | None = None,
    improvement: float | None = None,
    collapse: float | None = None,
    extra_variance: float | None = None,
    d: int | None = None,
    eps: float | None = None,
    alpha: float | None = None,
    families=FAMILIES,
    estimator: str = "unbiased",
    max_total_rows: float | None = None,
    first_size: int | None = None,
) -> PlanResult:
    """Find, for each schedule family, the cheapest member that meets a target at horizon T.

    Parameters
    ----------
    n0 : int
        Real rows behind generation 0.
    n_generations : int
        Horizon T.
    target : Target, optional
        The target; or give exactly one of ``improvement``, ``collapse`` (with ``eps``),
        ``extra_variance``.
    improvement, collapse, extra_variance : float, optional
        See the module docstring.
    d : int, optional
        Number of free parameters (needed for an improvement target).
    eps : float, optional
        Variance-ratio threshold in (0, 1) for a collapse target.
    alpha : float, optional
        Bias exponent (bias of order ``n^(−α)``): adds a ``bias_drift`` column (``Σ n_t^(−α)``)
        and flags families growing slower than ``t^(1/α)``, whose bias drifts without bound.
    families : sequence of str
        Families to search, from :data:`FAMILIES`.
    estimator : {"unbiased", "mle"}
        Variance estimator (collapse target only).
    max_total_rows : float, optional
        Budget: a member costing more is reported as infeasible (its cost is still shown).
    first_size : int, optional
        Size of generation 1 in the growth families (default ``n0``).

    Returns
    -------
    PlanResult

    Examples
    --------
    >>> r = plan(100, 50, d=2, improvement=0.3)   # beyond the growth families' reach
    >>> r.best, r.table["feasible"].tolist()
    (constant(6563), [True, False, False, False])
    """
    tgt = _resolve_target(target, improvement, collapse, extra_variance, eps)
    _validate(n0, n_generations, d, tgt, alpha, families, estimator, max_total_rows, first_size)
    n0, T = int(n0), int(n_generations)
    first = int(first_size) if first_size is not None else n0
    d = int(d) if d is not None else None

    def achieved_of(schedule) -> float:
        return evaluate_target(tgt, n0, schedule, T, d=d, estimator=estimator)

    # targets no schedule can meet
    impossible = None
    if tgt.kind == "improvement" and tgt.value >= 0.5:
        impossible = (
            "impossible for every schedule: the improvement probability is always below ½ "
            "(generation T adds its own sampling error to generation 0's)."
        )
    elif tgt.kind == "collapse":
        base = float(collapse_probability(tgt.eps, n0, [], estimator=estimator))
        if not tgt.met(base):
            impossible = (
                f"impossible for every schedule: the {n0} real rows alone give "
                f"P(σ²_0/σ² ≤ {tgt.eps:g}) = {base:.4g} > {tgt.value:g}."
            )

    rows, chosen, neighbours = [], {}, {}
    for family in families:
        row = {
            "family": family,
            "parameters": "",
            "schedule_spec": "",
            "total_rows": pd.NA,
            "achieved": np.nan,
            "target": str(tgt),
            "feasible": False,
            "note": "",
        }
        found = None if impossible else _search(family, first, T, lambda s: tgt.met(achieved_of(s)))
        neighbours[family] = None
        if impossible:
            row["note"] = impossible
        elif found is None:
            top_param = _bounds(family, first, T)[1]
            top = _member(family, first, top_param)
            if family == "constant":
                row["note"] = (
                    f"unreachable: even {top.n:.0e} rows per generation miss it "
                    f"(achieves {achieved_of(top):.4g})."
                )
            else:
                floor = _floor_value(tgt, n0, first, T, d, estimator)
                if not tgt.met(floor):
                    row["note"] = (
                        f"unreachable at any growth: generation 1 has {first} rows, so "
                        f"S_T ≥ 1/{first} and the best reachable value is {floor:.4g}."
                    )
                else:
                    row["note"] = (
                        f"unreachable within the {MAX_ROWS:.0e}-rows-per-generation cap "
                        f"(achieves {achieved_of(top):.4g} at {family}({first}, {top_param:.6g}))."
                    )
        else:
            param, below = found
            sched = _member(family, first, param)
            chosen[family] = sched
            if below is not None:
                neighbours[family] = _member(family, first, below)
            total = sched.total_rows(T)
            notes = []
            feasible = max_total_rows is None or total <= max_total_rows
            if not feasible:
                notes.append(
                    f"over budget: costs {total} rows > max_total_rows = {max_total_rows:g}."
                )
            crit = collapse_criterion(sched, T)
            if crit.collapses:
                notes.append(
                    f"meets the target at T = {T}, but S_T → ∞ as T grows: it collapses in the "
                    "long run (the improvement probability → 0, the variance → 0)."
                )
            row.update(
                parameters=_describe(family, first, param),
                schedule_spec=sched.spec,
                total_rows=total,
                achieved=achieved_of(sched),
                feasible=feasible,
                note=" ".join(notes),
            )
        if alpha is not None:
            sched = chosen.get(family)
            row["bias_drift"] = float(bias_drift(sched, alpha, T)) if sched else np.nan
            if sched is not None and bias_collapses(sched, alpha):
                power = required_growth_power(alpha)
                row["note"] = (row["note"] + " " if row["note"] else "") + (
                    f"bias drifts without bound as T grows (needs growth faster than t^{power:g})."
                )
        rows.append(row)

    table = pd.DataFrame(rows)
    table["total_rows"] = table["total_rows"].astype("Int64")
    table = table.sort_values("total_rows", na_position="last", kind="stable").reset_index(
        drop=True
    )
    feasible_rows = table[table["feasible"]]
    best = chosen[feasible_rows["family"].iloc[0]] if len(feasible_rows) else None
    provenance = {
        "synthaudit_version": _version(),
        "n0": n0,
        "n_generations": T,
        "target": str(tgt),
        "d": d,
        "estimator": estimator,
        "alpha": alpha,
        "families": list(families),
        "max_total_rows": max_total_rows,
        "first_size": first,
    }
    return PlanResult(
        table=table,
        best=best,
        schedules=chosen,
        neighbours=neighbours,
        target=tgt,
        provenance=provenance,
    )


# --------------------------------------------------------------------------------------------
# cost–utility frontier
# --------------------------------------------------------------------------------------------


def _default_grid(family: str, n0: int, first: int, T: int, points: int) -> np.ndarray:
    top = _bounds(family, first, T)[1]
    if family == "constant":
        return np.unique(np.round(np.geomspace(max(2, n0 / 4), 1000 * n0, points)))
    if family == "linear":
        return np.concatenate([[0.0], np.geomspace(first / 100, min(top, 100 * first), points - 1)])
    if family == "polynomial":
        return np.linspace(0.0, min(top, 3.0), points)
    return np.concatenate([[1.0], 1 + np.geomspace(1e-4, min(top - 1, 1.0), points - 1)])


def frontier(
    n0: int,
    n_generations: int,
    *,
    d: int | None = None,
    families=FAMILIES,
    target_kind: str = "improvement",
    eps: float | None = None,
    estimator: str = "unbiased",
    grid=25,
    first_size: int | None = None,
) -> pd.DataFrame:
    """Cost–utility frontier: what each member of each family achieves, and what it costs.

    Parameters
    ----------
    n0, n_generations : int
    d : int, optional
        Needed for ``target_kind="improvement"``.
    families : sequence of str
    target_kind : {"improvement", "collapse", "extra_variance"}
        The quantity on the utility axis (``collapse`` needs ``eps``).
    eps : float, optional
    estimator : {"unbiased", "mle"}
    grid : int or dict
        Points per family (default grids), or ``{family: parameter values}``.
    first_size : int, optional
        Size of generation 1 in the growth families (default ``n0``).

    Returns
    -------
    DataFrame
        Columns ``family``, ``parameter``, ``schedule_spec``, ``total_rows``, ``achieved``,
        sorted by family then cost. Members beyond the size cap are left out.

    Examples
    --------
    >>> f = frontier(100, 20, d=2, families=("constant", "polynomial"), grid=3)
    >>> f[["family", "parameter", "total_rows"]]
           family  parameter  total_rows
    0    constant       25.0         500
    1  polynomial        0.0        2000
    2    constant     1581.0       31620
    3  polynomial        1.5       76079
    4    constant   100000.0     2000000
    5  polynomial        3.0     4410000
    """
    value = 0.25 if target_kind in ("improvement", "collapse") else 1.0
    tgt = Target(target_kind, value, eps) if target_kind in TARGET_KINDS else None
    if tgt is None:
        raise ValidationError(
            f"`target_kind` must be one of {', '.join(TARGET_KINDS)}; got {target_kind!r}."
        )
    _validate(n0, n_generations, d, tgt, None, families, estimator, None, first_size)
    first = int(first_size) if first_size is not None else int(n0)
    if not isinstance(grid, dict) and (not _is_int(grid) or grid < 2):
        raise ValidationError(f"`grid` must be an integer ≥ 2 or a dict of values; got {grid!r}.")
    builders = {
        "constant": lambda p: constant(int(p)),
        "linear": lambda p: linear(first, p),
        "polynomial": lambda p: polynomial(first, p),
        "exponential": lambda p: exponential(first, p),
    }
    rows = []
    for family in families:
        values = grid.get(family) if isinstance(grid, dict) else None
        if values is None:
            values = _default_grid(family, n0, first, n_generations, grid if _is_int(grid) else 25)
        for p in np.asarray(values, dtype=float):
            try:
                sched = builders[family](float(p))
                total = sched.total_rows(n_generations)
            except ValidationError:
                continue
            rows.append(
                {
                    "family": family,
                    "parameter": float(p),
                    "schedule_spec": sched.spec,
                    "total_rows": total,
                    "achieved": evaluate_target(
                        tgt, n0, sched, n_generations, d=d, estimator=estimator
                    ),
                }
            )
    frame = pd.DataFrame(
        rows, columns=["family", "parameter", "schedule_spec", "total_rows", "achieved"]
    )
    return frame.sort_values(["total_rows", "family"], kind="stable").reset_index(drop=True)


def plot_frontier(frame: pd.DataFrame, ax=None, *, target: float | None = None, ylabel=None):
    """Plot a :func:`frontier` frame: achieved value against total rows, one line per family.

    Parameters
    ----------
    frame : DataFrame
        From :func:`frontier`.
    ax : matplotlib Axes, optional
        Draw there; otherwise a new :class:`matplotlib.figure.Figure` is made (no pyplot, so it
        works headless).
    target : float, optional
        Draw the target value as a horizontal line.
    ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_frontier(frontier(100, 20, d=2, grid=5), target=0.2)
    >>> type(fig).__name__
    'Figure'
    """
    from matplotlib.figure import Figure

    missing = {"family", "total_rows", "achieved"} - set(frame.columns)
    if missing:
        raise ValidationError(
            f"`frame` must be a frontier() table; it lacks the columns {sorted(missing)}."
        )
    if ax is None:
        fig = Figure(figsize=(6.4, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for family, part in frame.groupby("family", sort=False):
        part = part.sort_values("total_rows")
        ax.plot(part["total_rows"], part["achieved"], marker="o", ms=3, label=family)
    if target is not None:
        ax.axhline(target, color="grey", ls="--", lw=1, label=f"target {target:g}")
    ax.set_xscale("log")
    ax.set_xlabel("total synthetic rows Σ n_t")
    ax.set_ylabel(ylabel or "achieved at horizon T")
    ax.legend(frameon=False)
    return fig


# --------------------------------------------------------------------------------------------
# verification by simulation
# --------------------------------------------------------------------------------------------

#: replications simulated per engine call in :func:`verify` (a multiple of the fast-path block,
#: fixed so that a replication's numbers do not depend on ``n_replications``)
VERIFY_CHUNK = 8192
#: |measured − predicted| ≤ AGREE_SE · s.e. counts as agreement
AGREE_SE = 4.0


def _gaussian_kl_to_standard(values: np.ndarray, p: int) -> np.ndarray:
    """``KL(N(0, I_p) ‖ N(μ, Σ))`` per lane from θ vectors (means, then the upper triangle of Σ
    row by row, the gaussian adapter's order): ``½[tr Σ⁻¹ + μᵀΣ⁻¹μ − p + log det Σ]``."""
    mu = values[:, :p]
    cov = np.empty((len(values), p, p))
    i, j = np.triu_indices(p)
    cov[:, i, j] = values[:, p:]
    cov[:, j, i] = values[:, p:]
    if p == 1:
        var = cov[:, 0, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return 0.5 * ((1.0 + mu[:, 0] ** 2) / var - 1.0 + np.log(var))
    sign, logdet = np.linalg.slogdet(cov)
    inv = np.linalg.inv(cov)
    trace = np.trace(inv, axis1=1, axis2=2)
    quad = np.einsum("bi,bij,bj->b", mu, inv, mu)
    out = 0.5 * (trace + quad - p + logdet)
    return np.where(sign > 0, out, np.inf)


def _gaussian_dimension(d: int) -> int | None:
    """p such that d = p + p(p+1)/2 (a p-variate Gaussian has d free parameters), else None."""
    for p in range(1, 64):
        if p + p * (p + 1) // 2 == d:
            return p
    return None


def _simulate(target: Target, n0, schedule, T, d, estimator, n_replications, seed):
    """Measured value and its Monte-Carlo standard error for one schedule (fast path)."""
    from .datasets import simulate_gaussian, simulate_multivariate_gaussian
    from .engine import run_audit

    if target.kind == "improvement" and d != 1:
        p = _gaussian_dimension(d)
        cols = [f"x{k}" for k in range(p)]
        table = (
            simulate_gaussian(n0, 0.0, 1.0, rng=0)
            if p == 1
            else simulate_multivariate_gaussian(n0, np.zeros(p), np.eye(p), columns=cols, rng=0)
        )
    else:
        p = 1
        table = simulate_gaussian(n0, 0.0, 1.0, rng=0)
    root = np.random.SeedSequence(seed)
    scores = []  # one per replication: an indicator or n0·(μ_T − μ_0)²
    for c, start in enumerate(range(0, n_replications, VERIFY_CHUNK)):
        reps = min(VERIFY_CHUNK, n_replications - start)
        chunk_seed = np.random.SeedSequence(root.entropy, spawn_key=(c,)).generate_state(1)
        res = run_audit(
            table,
            adapter="gaussian",
            adapter_settings={"estimator": estimator},
            schedule=schedule,
            n_generations=T,
            n_replications=reps,
            n0=n0,
            holdout=0.0,  # generation 0 is drawn from the truth: no real rows to hold out
            seed=int(chunk_seed[0]),
            path="fast",
            metrics=(),  # the parameters are all we need
        )
        idx = [res.quantities.index(q) for q in res.parameters]  # means, then the covariance
        first, last = res.values[:, 0, idx], res.values[:, T, idx]
        if target.kind == "collapse":
            scores.append(last[:, 1] <= target.eps)  # σ² = 1
        elif target.kind == "extra_variance":
            scores.append(n0 * (last[:, 0] - first[:, 0]) ** 2)
        elif d == 1:
            scores.append(np.abs(last[:, 0]) < np.abs(first[:, 0]))  # μ = 0
        else:
            kl0 = _gaussian_kl_to_standard(first, p)
            klT = _gaussian_kl_to_standard(last, p)
            scores.append(klT < kl0)
    x = np.concatenate(scores).astype(float)
    measured = float(x.mean())
    if target.kind == "extra_variance":
        se = float(x.std(ddof=1) / math.sqrt(len(x)))
    else:
        se = None  # a proportion: its s.e. depends on the prediction too (see verify)
    return measured, se


@dataclass(frozen=True, eq=False, repr=False)
class Verification:
    """What :func:`verify` measured, beside what the planner promised.

    Attributes
    ----------
    table : DataFrame
        One row per schedule: ``label``, ``role`` (``"chosen"``, ``"cheaper neighbour"`` or
        ``"given"``), ``schedule_spec``, ``total_rows``, ``target``, ``predicted``,
        ``measured``, ``mc_se``, ``z`` (``(measured − predicted)/mc_se``), ``agrees``
        (``|z| ≤ 4``), ``predicted_meets``, ``meets_target`` (the measured value meets the
        target), ``margin_se`` (distance from the target in s.e., positive on the meeting side)
        and ``verdict`` (``"meets"`` / ``"misses"`` when ``|margin_se| > 4``, else
        ``"at the target (within 4 s.e.)"``).
    target : Target
    provenance : dict
        Inputs, how each target kind is measured, and the library version.
    """

    table: pd.DataFrame
    target: Target
    provenance: dict = field(default_factory=dict)

    @property
    def all_agree(self) -> bool:
        """Whether every measured value agrees with its prediction within 4 s.e."""
        return bool(self.table["agrees"].all())

    def __repr__(self) -> str:
        return (
            f"Verification({self.target}, {len(self.table)} schedule(s), "
            f"all_agree={self.all_agree})"
        )

    def __str__(self) -> str:
        p = self.provenance
        head = (
            f"Verification of {self.target} at T = {p.get('n_generations')} (n0 = {p.get('n0')}"
            + (f", d = {p['d']}" if p.get("d") is not None else "")
            + f"; {p.get('n_replications')} replications, seed {p.get('seed')})"
        )
        cols = ["label", "role", "schedule_spec", "predicted", "measured", "mc_se", "agrees",
                "verdict"]
        return "\n".join([head, f"measured: {p.get('measured_as')}",
                          self.table[cols].to_string(index=False)])

    def _repr_html_(self) -> str:
        import html

        return (f"<p>{html.escape(str(self).splitlines()[0])}</p>"
                f"<p><i>measured: {html.escape(str(self.provenance.get('measured_as')))}</i></p>"
                + self.table.to_html(index=False))


_MEASURED_AS = {
    "collapse": "share of replications with σ̂²_T/σ² ≤ eps; truth N(0, 1), n0 fresh rows per "
    "replication; s.e. √(p(1−p)/R) at the larger-variance of the predicted and measured p",
    "extra_variance": "mean of n0·(μ̂_T − μ̂_0)²/σ² over replications (its expectation is "
    "n0·S_T under the unbiased estimator); truth N(0, 1); s.e. sample s.d./√R",
    "improvement_1": "share of replications with |μ̂_T − μ| < |μ̂_0 − μ| (the Gaussian mean, "
    "d = 1); truth N(0, 1)",
    "improvement": "share of replications with KL(truth ‖ generation T) < KL(truth ‖ "
    "generation 0); truth N(0, I_p) with d = p + p(p+1)/2 free parameters",
}


def _schedules_to_verify(obj, include_neighbours):
    """[(label, role, schedule)] from a PlanResult, a schedule, a list or a dict."""
    from .schedules import parse

    if isinstance(obj, PlanResult):
        out = []
        for row in obj.table.itertuples():
            sched = obj.schedules.get(row.family)
            if sched is None:
                continue
            out.append((row.family, "chosen", sched))
            nb = obj.neighbours.get(row.family)
            if include_neighbours and nb is not None:
                out.append((row.family, "cheaper neighbour", nb))
        return out
    if isinstance(obj, (Schedule, str)):
        s = parse(obj)
        return [(s.spec, "given", s)]
    if isinstance(obj, dict):
        return [(str(k), "given", parse(v)) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        scheds = [parse(v) for v in obj]
        return [(s.spec, "given", s) for s in scheds]
    raise ValidationError(
        "`plan_result_or_schedule` must be a PlanResult, a Schedule or spec string, or a list or "
        f"dict of them; got {type(obj).__name__}."
    )


def verify(
    plan_result_or_schedule,
    *,
    n0: int | None = None,
    n_generations: int | None = None,
    target: Target | None = None,
    d: int | None = None,
    n_replications: int = 4000,
    seed: int = 0,
    estimator: str | None = None,
    include_neighbours: bool = False,
) -> Verification:
    """Check by simulation that schedules achieve what theory (and the planner) promise.

    Each schedule is run through :func:`synthaudit.run_audit` on the fast exact path with a
    known truth (a Gaussian table; every replication draws its own ``n0`` real rows from it) and
    the target's quantity is measured across replications:

    =================  ========================================================================
    target             measured (predicted by :func:`evaluate_target`)
    =================  ========================================================================
    collapse           share of replications with ``σ̂²_T/σ² ≤ eps``, univariate N(0, 1)
                       (exact law: agrees for every n)
    extra_variance     mean of ``n0·(μ̂_T − μ̂_0)²/σ²``, whose expectation is ``n0·S_T`` exactly
                       under the unbiased estimator (under the MLE it is smaller by the
                       factors ``Π(1 − 1/n_s)``: expect disagreement for small n). Heavy-
                       tailed when n_t is tiny (σ̂² is a product of χ² factors): keep
                       n_t ≳ 20 or use many more replications
    improvement, d=1   share with ``|μ̂_T − μ| < |μ̂_0 − μ|`` (the Gaussian mean), N(0, 1)
    improvement, d≥2   share with ``KL(truth ‖ gen T) < KL(truth ‖ gen 0)`` for a p-variate
                       N(0, I_p), ``d = p + p(p+1)/2``: d ∈ {2, 5, 9, 14, 20, …}
    =================  ========================================================================

    The improvement formula is *asymptotic* (normal estimators, Fisher metric, a variance that
    does not wander): measured and predicted agree when ``n0`` and every ``n_t`` are large (a
    few hundred or more; more for large d or long horizons with small ``n_t``). Other values of
    d are rejected: there is no simple model with that many free parameters to simulate.

    Agreement is ``|measured − predicted| ≤ 4·s.e.`` (Monte-Carlo standard error over
    ``n_replications``). For a proportion the s.e. is ``√(p(1−p)/R)`` at whichever of the
    predicted and measured p gives the larger value (so a measured 0 does not claim s.e. 0).

    Parameters
    ----------
    plan_result_or_schedule : PlanResult, Schedule, str, list or dict
        A :func:`plan` result (its chosen schedules, one per feasible family; n0, T, the target,
        d and the estimator default to the plan's) or schedules given directly (a dict gives
        them labels).
    n0, n_generations : int, optional
        Required unless a PlanResult is given.
    target : Target, optional
        Required unless a PlanResult is given.
    d : int, optional
        Free parameters, for an improvement target.
    n_replications : int
        Replications per schedule (the fast path makes 10⁴–10⁵ cheap).
    seed : int
        Root seed; the same seed gives the same measurements. Every schedule is simulated from
        the same seed (common random numbers), so *differences* between schedules are measured
        more precisely than each value, and their errors are correlated.
    estimator : {"unbiased", "mle"}, optional
        Variance estimator of the simulated Gaussian (default: the plan's, else unbiased).
    include_neighbours : bool
        With a PlanResult, also verify each family's cheaper neighbour (which misses the target
        by theory; by simulation only when the gap exceeds the Monte-Carlo error).

    Returns
    -------
    Verification

    Examples
    --------
    >>> r = plan(100, 20, extra_variance=2.0, families=("constant",))
    >>> v = verify(r, n_replications=20_000, seed=1)
    >>> v.table[["schedule_spec", "predicted"]].round(6).to_numpy().tolist()
    [['const:1000', 2.0]]
    >>> bool(v.table["agrees"].iloc[0])
    True
    """
    if isinstance(plan_result_or_schedule, PlanResult):
        pr = plan_result_or_schedule
        prov = pr.provenance
        given = {"n0": (n0, prov.get("n0")), "n_generations": (n_generations,
                 prov.get("n_generations")), "target": (target, pr.target),
                 "d": (d, prov.get("d")), "estimator": (estimator, prov.get("estimator"))}
        clash = [f"`{k}` = {a!r} differs from the plan's {b!r}" for k, (a, b) in given.items()
                 if a is not None and a != b]
        if clash:
            raise ValidationError([c + "; leave it out to use the plan's." for c in clash])
        n0, n_generations, target, d, estimator = (v if a is None else a
                                                   for a, v in given.values())
    estimator = "unbiased" if estimator is None else estimator
    problems = []
    if not isinstance(target, Target):
        problems.append(f"`target` must be a Target; got {target!r}.")
    if not _is_int(n0) or n0 < 2:
        problems.append(f"`n0` must be an integer ≥ 2 (real rows of generation 0); got {n0!r}.")
    if not _is_int(n_generations) or n_generations < 1:
        problems.append(f"`n_generations` must be a positive integer; got {n_generations!r}.")
    if not _is_int(n_replications) or n_replications < 2:
        problems.append(f"`n_replications` must be an integer ≥ 2; got {n_replications!r}.")
    if not _is_int(seed) or seed < 0:
        problems.append(f"`seed` must be a non-negative integer; got {seed!r}.")
    if estimator not in ESTIMATORS:
        problems.append(f"`estimator` must be 'unbiased' or 'mle'; got {estimator!r}.")
    if isinstance(target, Target) and target.kind == "improvement":
        if not _is_int(d) or d < 1:
            problems.append(f"`d` must be a positive integer for an improvement target; got {d!r}.")
        elif d != 1 and _gaussian_dimension(int(d)) is None:
            problems.append(
                f"`d` = {d} cannot be simulated: verify supports d = 1 (a Gaussian mean) and "
                "d = p + p(p+1)/2 (a p-variate Gaussian): 2, 5, 9, 14, 20, 27, …"
            )
    collect(problems)
    items = _schedules_to_verify(plan_result_or_schedule, include_neighbours)
    n0, T, R = int(n0), int(n_generations), int(n_replications)
    d = int(d) if d is not None else None

    rows = []
    for label, role, sched in items:
        predicted = evaluate_target(target, n0, sched, T, d=d, estimator=estimator)
        measured, se = _simulate(target, n0, sched, T, d, estimator, R, seed)
        if se is None:
            pq = max(predicted * (1 - predicted), measured * (1 - measured))
            se = math.sqrt(pq / R)
        diff = measured - predicted
        z = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        side = 1.0 if target.kind == "improvement" else -1.0
        gap = side * (measured - target.value)
        margin = gap / se if se > 0 else (math.copysign(math.inf, gap) if gap else 0.0)
        if margin > AGREE_SE:
            verdict = "meets"
        elif margin < -AGREE_SE:
            verdict = "misses"
        else:
            verdict = f"at the target (within {AGREE_SE:g} s.e.)"
        rows.append(
            {
                "label": label,
                "role": role,
                "schedule_spec": sched.spec,
                "total_rows": sched.total_rows(T),
                "target": str(target),
                "predicted": predicted,
                "measured": measured,
                "mc_se": se,
                "z": z,
                "agrees": bool(abs(diff) <= AGREE_SE * se),
                "predicted_meets": target.met(predicted),
                "meets_target": target.met(measured),
                "margin_se": margin,
                "verdict": verdict,
            }
        )
    columns = ["label", "role", "schedule_spec", "total_rows", "target", "predicted", "measured",
               "mc_se", "z", "agrees", "predicted_meets", "meets_target", "margin_se", "verdict"]
    table = pd.DataFrame(rows, columns=columns)
    table["total_rows"] = table["total_rows"].astype("int64")
    key = "improvement_1" if target.kind == "improvement" and d == 1 else target.kind
    provenance = {
        "synthaudit_version": _version(),
        "n0": n0,
        "n_generations": T,
        "target": str(target),
        "d": d,
        "estimator": estimator,
        "n_replications": R,
        "seed": int(seed),
        "agree_within_se": AGREE_SE,
        "measured_as": _MEASURED_AS[key],
        "path": "fast",
    }
    return Verification(table=table, target=target, provenance=provenance)
