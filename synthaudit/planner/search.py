"""Targets, and the cheapest member of each schedule family that meets one.

A *target* is one of (docs/design.md §5; horizon T fixed):

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

``first`` (the size of generation 1) defaults to ``n0``; no generation may exceed
``max_rows_per_generation`` (default and upper limit: :data:`synthaudit.schedules.MAX_ROWS`).
Continuous parameters are searched on a grid of step ``10^(⌊log10 max⌋ − 5)`` (six significant
digits, so the schedule spec round-trips) by bisection; the member one grid step cheaper
(:meth:`PlanResult.cheaper_neighbour`) misses the target.

Two answers, because they differ:

- **cheapest at T** (:attr:`PlanResult.best`, the rows of :attr:`PlanResult.table`): the cheapest
  member of each family meeting the target at the horizon T. A target that depends on ``S_T``
  only (improvement, extra variance) is always met most cheaply by a constant schedule at a fixed
  horizon (``Σ n_t ≥ T²/S_T`` by Cauchy–Schwarz, equality for equal sizes) — and a constant
  schedule collapses as T grows.
- **cheapest that never collapses** (:attr:`PlanResult.best_never_collapses`, the rows of
  :attr:`PlanResult.long_run`): the cheapest member that meets the target at T, never collapses
  as T grows (polynomial power > 1, exponential growth > 1 under ``replace``) and, where the law of
  the target as T → ∞ is known (improvement, extra variance), keeps meeting it at every later T.

A family with no member says why (the ``note`` column): the per-generation cap is hit (and at
which generation the member the target needs would pass it), generation 1 is too small (and how
large it must be), the budget is exceeded, or no schedule at all can meet the target.

The laws come from :mod:`synthaudit.theory` through :data:`synthaudit.planner.laws.LAWS`, one entry
per workflow; only ``replace`` has exact laws today, and other workflows are refused with the
list of supported ones.

Examples
--------
>>> result = plan(100, 50, d=2, improvement=0.2)
>>> result.best, result.best_never_collapses
(constant(2223), polynomial(100, 1.61346))
>>> result.table[["family", "schedule_spec", "total_rows", "never_collapses"]]
        family     schedule_spec  total_rows  never_collapses
0     constant        const:2223      111150            False
1       linear  linear:100:325.5      403750            False
2   polynomial   poly:100:1.5374      827018             True
3  exponential                          <NA>             <NA>
>>> import textwrap
>>> print(textwrap.fill(result.table["note"].iloc[3], 96))
unreachable under the per-generation cap (max_rows_per_generation = 1e+12): the fastest
exponential it allows, exponential(100, 1.59985), reaches the cap at generation 50 and achieves
0.1838; the target needs growth ≈ 1.8002 or more, which passes the cap at generation 41.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import ValidationError, collect
from ..schedules import MAX_ROWS, Schedule, constant, exponential, linear, polynomial
from ..theory import bias_collapses, bias_drift, required_growth_power
from ..workflows import Workflow
from ._checks import ESTIMATORS, is_int, is_real, version
from .laws import (
    LAWS,
    TARGET_KINDS,
    LongRun,
    law_for,
    missing_law_problem,
    resolve_workflow,
)

__all__ = ["FAMILIES", "PlanResult", "Target", "evaluate_target", "plan"]

#: Schedule families the planner knows, in default search order.
FAMILIES = ("constant", "linear", "polynomial", "exponential")


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
            if not is_real(self.value) or not 0 < float(self.value) < 1:
                problems.append(
                    f"`{self.kind}` must be a probability strictly between 0 and 1; "
                    f"got {self.value!r}."
                )
        elif not is_real(self.value) or float(self.value) <= 0:
            problems.append(f"`extra_variance` must be a number > 0; got {self.value!r}.")
        if self.kind == "collapse":
            if self.eps is None or not is_real(self.eps) or not 0 < float(self.eps) < 1:
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

    @property
    def symbol(self) -> str:
        """The quantity the target bounds, as printed (``P_T``, ``n0·S_T``, …)."""
        if self.kind == "improvement":
            return "P_T"
        if self.kind == "collapse":
            return f"P(σ²_T/σ² ≤ {self.eps:g})"
        return "n0·S_T"

    def __str__(self) -> str:
        if self.kind == "improvement":
            return f"P_T ≥ {self.value:g}"
        return f"{self.symbol} ≤ {self.value:g}"


def _workflow(workflow) -> Workflow:
    problems: list[str] = []
    wf = resolve_workflow(workflow, problems)
    collect(problems)
    return wf


def evaluate_target(
    target: Target,
    n0: int,
    schedule,
    n_generations: int,
    *,
    d=None,
    estimator="unbiased",
    workflow="replace",
) -> float:
    """The value a schedule achieves for ``target.kind`` at horizon T (by the workflow's law).

    Parameters
    ----------
    target : Target
    n0 : int
    schedule : Schedule, str or sequence of int
        A schedule, its spec, or the explicit sizes ``n_1 … n_T``.
    n_generations : int
    d : int, optional
        Free parameters (improvement target).
    estimator : {"unbiased", "mle"}
        Variance estimator (collapse target).
    workflow : str or Workflow
        ``"replace"`` (exact laws); other workflows raise until their laws are in
        :data:`synthaudit.planner.laws.LAWS`.

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> round(evaluate_target(Target("extra_variance", 1.0), 100, constant(200), 10), 12)
    5.0
    """
    wf = _workflow(workflow)
    law = law_for(wf, target.kind)
    if law is None:
        raise ValidationError(missing_law_problem(wf, target.kind))
    return float(
        law(n0, schedule, n_generations, d=d, eps=target.eps, estimator=estimator, workflow=wf)
    )


# --------------------------------------------------------------------------------------------
# one-parameter search spaces
# --------------------------------------------------------------------------------------------


_PARAM_NAME = {"linear": "slope", "polynomial": "power", "exponential": "growth"}
#: the parameter value at which a growth family is a constant schedule
_FLAT = {"linear": 0.0, "polynomial": 0.0, "exponential": 1.0}


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


def _bounds(family: str, first: int, T: int, cap: float = MAX_ROWS) -> tuple[float, float]:
    """Smallest and largest parameter (the largest keeps every size within ``cap``)."""
    if family == "constant":
        return 2.0, float(cap)
    lo = _FLAT[family]
    if T == 1:  # the growth parameter does not matter: only n_1 = first
        return lo, lo
    if family == "linear":
        hi = (cap - first) / (T - 1)
    elif family == "polynomial":
        hi = math.log(cap / first) / math.log(T)
    else:
        hi = math.exp(math.log(cap / first) / (T - 1))
    return lo, max(lo, hi * (1 - 1e-9))


def _grid_step(value: float) -> tuple[float, int]:
    """Grid step giving six significant digits at ``value`` (so specs round-trip), and digits."""
    exponent = math.floor(math.log10(value)) - 5
    return 10.0**exponent, -exponent


def _search(family: str, first: int, T: int, meets, cap: float = MAX_ROWS, bounds=None):
    """Cheapest parameter meeting the target and its cheaper neighbour (which misses).

    Returns ``(param, neighbour_param_or_None)``, or None when the largest member misses.
    Constant: integer bisection. Growth families: float bisection, then the result is snapped up
    to a decimal grid of six significant digits and checked (and adjusted) step by step.
    ``bounds`` overrides the parameter range (default :func:`_bounds`).
    """
    lo, hi = _bounds(family, first, T, cap) if bounds is None else bounds

    def ok(p):
        try:
            sched = _member(family, first, p)
            if sched.sizes(T).max() > cap:
                return False
            return meets(sched)
        except ValidationError:  # beyond the hard row limit
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


def _down(value: float) -> float:
    """``value`` rounded *down* to six significant digits (a member printed from it stays within
    the cap it was computed for)."""
    step, digits = _grid_step(value)
    return round(math.floor(value / step) * step, digits)


def _up(value: float) -> float:
    """``value`` rounded *up* to five significant digits (a printed "needs at least")."""
    step, digits = _grid_step(value)
    step, digits = step * 10, digits - 1
    return round(math.ceil(value / step) * step, digits)


def _first_generation_over(schedule: Schedule, T: int, cap: float) -> int | None:
    """The first generation (1-based, ≤ T) whose size exceeds ``cap``; None when none does.

    Sizes of the growth families never decrease, so the last horizon within the cap is found by
    bisection (:meth:`Schedule.sizes` refuses horizons past the hard limit MAX_ROWS).
    """

    def within(h: int) -> bool:
        try:
            return bool(schedule.sizes(h).max() <= cap)
        except ValidationError:
            return False

    if within(T):
        return None
    a, b = 0, T  # generations 1..a are within the cap; b is not
    while b - a > 1:
        mid = (a + b) // 2
        a, b = (mid, b) if within(mid) else (a, mid)
    return b


def _lower_bound_sizes(schedule: Schedule, T: int) -> np.ndarray:
    """``n_1 … n_T`` with sizes past the hard limit MAX_ROWS replaced by MAX_ROWS (a lower bound:
    the value it gives is within ``T·10⁻¹²`` of the true one for every target, on the safe side)."""
    k = _first_generation_over(schedule, T, MAX_ROWS)
    if k is None:
        return schedule.sizes(T)
    head = schedule.sizes(k - 1) if k > 1 else np.zeros(0, dtype=np.int64)
    return np.concatenate([head, np.full(T - k + 1, MAX_ROWS, dtype=np.int64)])


def _hard_limit_param(family: str, first: int) -> float:
    """The parameter at which generation 2 reaches the hard limit MAX_ROWS."""
    if family == "linear":
        return float(MAX_ROWS - first)
    if family == "polynomial":
        return math.log(MAX_ROWS / first) / math.log(2)
    return MAX_ROWS / first


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------


def _limit_phrase(target: Target, limit) -> str:
    if limit is None or (isinstance(limit, float) and math.isnan(limit)):
        return ""
    value = "∞" if math.isinf(limit) else f"{limit:.4g}"
    return f"{target.symbol} → {value} as T → ∞"


@dataclass(frozen=True, eq=False)
class PlanResult:
    """The cheapest member of each family meeting a target: at T, and without collapse.

    Attributes
    ----------
    table : DataFrame
        The cheapest member of each family meeting the target **at the horizon T**, one row per
        family: ``family``, ``parameters``, ``schedule_spec``, ``total_rows``, ``achieved``,
        ``target``, ``feasible`` (within ``max_total_rows``), ``never_collapses`` (under the
        workflow, as T → ∞), ``achieved_limit`` (the target's value as T → ∞; NaN where no law
        gives it), ``note`` (why a family has no member; long-run caveats) — plus
        ``bias_drift`` when ``alpha`` was given — sorted by ``total_rows`` (no member last).
    best : Schedule or None
        The cheapest feasible schedule at T (None when no family is feasible). It may collapse
        as T grows: see ``table["never_collapses"]`` and :attr:`best_never_collapses`.
    schedules : dict
        family → the cheapest member meeting the target at T (absent when none does).
    neighbours : dict
        family → the member one search step cheaper, which misses the target (None when the
        chosen member is already the smallest of its family).
    target : Target
    provenance : dict
        Inputs (workflow included) and library version.
    long_run : DataFrame
        Per family, the cheapest member that meets the target at T **and never collapses** (and,
        where the target's law as T → ∞ is known, keeps meeting it at every T): the same columns
        as ``table`` but ``never_collapses``.
    best_never_collapses : Schedule or None
        The cheapest feasible row of ``long_run``.
    never_collapse_schedules : dict
        family → its member in ``long_run`` (absent when none).
    """

    table: pd.DataFrame
    best: Schedule | None
    schedules: dict
    neighbours: dict
    target: Target
    provenance: dict = field(default_factory=dict)
    long_run: pd.DataFrame = field(default_factory=pd.DataFrame)
    best_never_collapses: Schedule | None = None
    never_collapse_schedules: dict = field(default_factory=dict)

    @property
    def best_at_horizon(self) -> Schedule | None:
        """The cheapest feasible schedule at T (the same as :attr:`best`)."""
        return self.best

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

    # -- the two answers ---------------------------------------------------------------------
    def _row(self, frame: pd.DataFrame, schedule: Schedule):
        return frame[frame["schedule_spec"] == schedule.spec].iloc[0]

    def _no_answer(self, frame: pd.DataFrame) -> str:
        over = frame[frame["total_rows"].notna() & ~frame["feasible"].astype(bool)]
        if len(over):
            return f"none within max_total_rows ({', '.join(over['family'])} over budget)"
        return "none (see the notes below)"

    def headline(self) -> list[str]:
        """The two answers, one line each: cheapest at T, cheapest that never collapses.

        Every schedule that collapses as T grows carries that caveat on its own line.
        """
        T = self.provenance.get("n_generations")
        lines = []
        if self.best is None:
            lines.append(f"cheapest at T = {T}: {self._no_answer(self.table)}")
        else:
            row = self._row(self.table, self.best)
            text = f"cheapest at T = {T}: {self.best!r} [{self.best.spec}], {row.total_rows:,} rows"
            if pd.isna(row.never_collapses):
                text += " — its long run has no law under this workflow"
            elif not row.never_collapses:
                limit = _limit_phrase(self.target, row.achieved_limit)
                text += (
                    f" — collapses as T grows, so it meets the target at T = {T} only"
                    + (f" ({limit})" if limit else "")
                )
            else:
                text += " — never collapses"
            lines.append(text)
        label = "cheapest that never collapses"
        if self.best_never_collapses is None:
            lines.append(f"{label}: {self._no_answer(self.long_run)}")
        else:
            sched = self.best_never_collapses
            row = self._row(self.long_run, sched)
            limit = row.achieved_limit
            if not pd.isna(limit):
                text = (
                    f"{label} (and keeps the target at every T): {sched!r} [{sched.spec}], "
                    f"{row.total_rows:,} rows — {_limit_phrase(self.target, limit)}"
                )
            else:
                text = f"{label}: {sched!r} [{sched.spec}], {row.total_rows:,} rows"
                text += (
                    f" — meets the target at T = {T}; its value as T → ∞ has no law, so the "
                    "target may be missed at later horizons"
                )
            lines.append(text)
        return lines

    def __str__(self) -> str:
        p = self.provenance
        head = (
            f"Plan for {self.target} at T = {p.get('n_generations')} (n0 = {p.get('n0')}"
            + (f", d = {p['d']}" if p.get("d") is not None else "")
            + f"; workflow {p.get('workflow', 'replace')})"
        )
        cols = ["family", "schedule_spec", "total_rows", "achieved", "feasible", "never_collapses"]
        lr_cols = ["family", "schedule_spec", "total_rows", "achieved", "achieved_limit",
                   "feasible"]
        lines = [head, *self.headline(), "", f"cheapest member of each family at T = "
                 f"{p.get('n_generations')}:", self.table[cols].to_string(index=False)]
        lines += [f"  {r.family}: {r.note}" for r in self.table.itertuples() if r.note]
        if len(self.long_run):
            lines += ["", "cheapest member of each family that never collapses:",
                      self.long_run[lr_cols].to_string(index=False)]
            lines += [f"  {r.family}: {r.note}" for r in self.long_run.itertuples() if r.note]
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


def _validate(n0, n_generations, d, target, alpha, families, estimator, max_total_rows, first,
              workflow, cap) -> Workflow | None:
    """Every problem with the inputs at once; returns the parsed workflow."""
    problems = []
    if not is_int(n0) or n0 < 2:
        problems.append(f"`n0` must be an integer ≥ 2 (real rows of generation 0); got {n0!r}.")
    if not is_int(n_generations) or n_generations < 1:
        problems.append(f"`n_generations` must be a positive integer; got {n_generations!r}.")
    if target.kind == "improvement" and (not is_int(d) or d < 1):
        problems.append(
            f"`d` must be a positive integer (free parameters) for an improvement target; got {d!r}."
        )
    if alpha is not None and (not is_real(alpha) or alpha <= 0):
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
    if max_total_rows is not None and (not is_real(max_total_rows) or max_total_rows < 2):
        problems.append(f"`max_total_rows` must be a number ≥ 2 or None; got {max_total_rows!r}.")
    cap_ok = cap is None or (is_int(cap) and 2 <= cap <= MAX_ROWS)
    if not cap_ok:
        problems.append(
            f"`max_rows_per_generation` must be an integer between 2 and {MAX_ROWS:.0e} (the "
            f"schedules' hard limit) or None; got {cap!r}."
        )
    top = cap if cap_ok and cap is not None else MAX_ROWS
    if first is not None and (not is_int(first) or not 2 <= first <= top):
        problems.append(
            f"`first_size` must be an integer between 2 and max_rows_per_generation = {top:.6g} "
            f"or None; got {first!r}."
        )
    wf = resolve_workflow(workflow, problems)
    if wf is not None and law_for(wf, target.kind) is None:
        problems.append(missing_law_problem(wf, target.kind))
    collect(problems)
    return wf


class _Planner:
    """One planning problem: the law, the inputs, and the searches (kept together)."""

    def __init__(self, tgt, n0, T, d, estimator, wf, first, cap, max_total_rows):
        self.tgt, self.n0, self.T, self.d = tgt, n0, T, d
        self.estimator, self.wf, self.first, self.cap = estimator, wf, first, cap
        self.max_total_rows = max_total_rows
        self.law = law_for(wf, tgt.kind)
        self.long_run_law = LAWS[wf.name].long_run
        self._memo: dict[str, float] = {}

    def value(self, schedule_or_sizes) -> float:
        """The target's value at T (memoised per schedule: the two searches share members)."""
        key = schedule_or_sizes.spec if isinstance(schedule_or_sizes, Schedule) else None
        if key is not None and key in self._memo:
            return self._memo[key]
        out = float(
            self.law(self.n0, schedule_or_sizes, self.T, d=self.d, eps=self.tgt.eps,
                     estimator=self.estimator, workflow=self.wf)
        )
        if key is not None:
            self._memo[key] = out
        return out

    def meets(self, schedule_or_sizes) -> bool:
        return self.tgt.met(self.value(schedule_or_sizes))

    def long_run(self, schedule) -> LongRun | None:
        if self.long_run_law is None:
            return None
        return self.long_run_law(self.tgt.kind, self.n0, schedule, self.T, d=self.d,
                                 eps=self.tgt.eps, estimator=self.estimator, workflow=self.wf)

    # -- why nothing can meet the target ------------------------------------------------------
    def impossible(self) -> str | None:
        """Why no schedule at all meets the target (None when some does)."""
        best = self.value(np.full(self.T, MAX_ROWS, dtype=np.int64))
        if self.tgt.met(best):
            return None
        text = (
            f"impossible for every schedule: even {MAX_ROWS:.0e} rows at every generation "
            f"achieve {best:.4g}"
        )
        if self.wf.name == "replace" and self.tgt.kind == "improvement":
            text += (
                " — the improvement probability is always below ½ (generation T adds its own "
                "sampling error to generation 0's)"
            )
        elif self.wf.name == "replace" and self.tgt.kind == "collapse":
            text += (
                f" — the {self.n0} real rows alone give P(σ²_0/σ² ≤ {self.tgt.eps:g}) = "
                f"{best:.4g} > {self.tgt.value:g}"
            )
        return text + "."

    def _cap_text(self) -> str:
        return f"the per-generation cap (max_rows_per_generation = {self.cap:.6g})"

    def _needed_constant(self) -> int | None:
        """Smallest constant size meeting the target when the user's cap is lifted."""
        if self.cap >= MAX_ROWS or not self.meets(constant(MAX_ROWS)):
            return None
        a, b = int(self.cap), MAX_ROWS  # a misses, b meets
        while b - a > 1:
            mid = (a + b) // 2
            a, b = (a, mid) if self.meets(constant(mid)) else (mid, b)
        return b

    def _needed_first(self) -> int | None:
        """Smallest generation-1 size that lets a growth family reach the target under the cap."""
        rest = np.full(self.T - 1, self.cap, dtype=np.int64)

        def ok(n1):
            return self.meets(np.concatenate([[n1], rest]).astype(np.int64))

        if not ok(self.cap):
            return None
        a, b = self.first, int(self.cap)
        while b - a > 1:
            mid = (a + b) // 2
            a, b = (a, mid) if ok(mid) else (mid, b)
        return b

    def _needed_growth(self, family: str) -> float | None:
        """About the smallest parameter meeting the target if generations could pass the cap."""
        lo = _bounds(family, self.first, self.T, self.cap)[1]
        hi = _hard_limit_param(family, self.first)

        def ok(p):
            return self.meets(_lower_bound_sizes(_member(family, self.first, p), self.T))

        if hi <= lo or not ok(hi):
            return None
        a, b = lo, hi
        for _ in range(200):
            if b - a <= 1e-5 * b:
                break
            mid = 0.5 * (a + b)
            a, b = (a, mid) if ok(mid) else (mid, b)
        return b

    def unreachable(self, family: str) -> str:
        """Why no member of ``family`` within the cap meets the target at T."""
        T, first, cap = self.T, self.first, self.cap
        if family == "constant":
            achieved = self.value(constant(cap))
            text = (
                f"unreachable under {self._cap_text()}: even {cap:.6g} rows at every generation "
                f"achieve {achieved:.4g}"
            )
            needed = self._needed_constant()
            if needed is not None:
                text += f"; the target needs {needed} rows per generation"
            return text + "."
        floor = self.value(np.concatenate([[first], np.full(T - 1, cap)]).astype(np.int64))
        if not self.tgt.met(floor):
            needed = self._needed_first()
            if T == 1:
                text = (
                    f"unreachable with first_size = {first}: at T = 1 only generation 1 counts, "
                    f"and {first} rows achieve {floor:.4g}"
                )
            else:
                text = (
                    f"unreachable with first_size = {first}: generation 1 has only {first} rows, "
                    f"and even {cap:.6g} rows (the per-generation cap) at every later generation "
                    f"achieve {floor:.4g}"
                )
            if needed is not None:
                text += f"; the target needs a first generation of at least {needed} rows " \
                        f"(first_size={needed})"
            return text + "."
        top_param = _bounds(family, first, T, cap)[1]
        top = _member(family, first, top_param)
        name = _PARAM_NAME[family]
        text = (
            f"unreachable under {self._cap_text()}: the fastest {family} it allows, "
            f"{family}({first}, {_down(top_param):g}), reaches the cap at generation {T} and achieves "
            f"{self.value(top):.4g}"
        )
        needed = self._needed_growth(family)
        if needed is not None:
            k = _first_generation_over(_member(family, first, needed), T, cap)
            text += (
                f"; the target needs {name} ≈ {_up(needed):g} or more, which passes the cap at "
                f"generation {k}"
            )
        else:
            text += f"; a faster {family} passes the cap before generation {T}"
        return text + "."

    # -- the two searches ---------------------------------------------------------------------
    def at_horizon(self, family: str, impossible: str | None) -> tuple[dict, Schedule | None,
                                                                      Schedule | None]:
        row = _empty_row(family, self.tgt)
        row["never_collapses"] = pd.NA
        if impossible:
            row["note"] = impossible
            return row, None, None
        found = _search(family, self.first, self.T, self.meets, self.cap)
        if found is None:
            row["note"] = self.unreachable(family)
            return row, None, None
        param, below = found
        sched = _member(family, self.first, param)
        notes = self._budget_note(sched)
        lr = self.long_run(sched)
        if lr is not None:
            row["never_collapses"] = not lr.collapses
            row["achieved_limit"] = np.nan if lr.limit is None else lr.limit
            limit = _limit_phrase(self.tgt, lr.limit)
            if lr.collapses:
                notes.append(
                    f"meets the target at T = {self.T} only: it collapses as T grows"
                    + (f" ({limit})" if limit else "") + f". {lr.reason}"
                )
            elif lr.limit is not None and not self.tgt.met(lr.limit):
                notes.append(
                    f"never collapses, but {limit}: it misses the target from some horizon on."
                )
        self._fill(row, family, param, sched, notes)
        return row, sched, (None if below is None else _member(family, self.first, below))

    def never_collapsing(self, family: str, impossible: str | None, at_t_row: dict):
        """The cheapest member of ``family`` that meets the target at T and never collapses."""
        row = _empty_row(family, self.tgt)
        if impossible:
            row["note"] = impossible
            return row, None
        # at T = 1 every member costs the same (only n_1 = first counts): range over the members
        # whose generation 2 stays within the cap
        lo, hi = _bounds(family, self.first, max(self.T, 2), self.cap)
        top = _member(family, self.first, hi)
        top_lr = self.long_run(top)
        if top_lr is None:
            row["note"] = f"no long-run law for workflow {self.wf.spec!r} yet."
            return row, None
        if top_lr.collapses:
            row["note"] = "every member collapses as T grows" + (
                " (see above)." if at_t_row["schedule_spec"] else f": {top_lr.reason}"
            )
            return row, None
        if not at_t_row["schedule_spec"]:
            row["note"] = "no member meets the target even at T (see above)."
            return row, None

        def keeps(sched):  # the long run first: it is cheap beside the law at T
            lr = self.long_run(sched)
            if lr.collapses or (lr.limit is not None and not self.tgt.met(lr.limit)):
                return False
            return self.meets(sched)

        found = _search(family, self.first, self.T, keeps, self.cap, bounds=(lo, hi))
        if found is None:
            limit = _limit_phrase(self.tgt, top_lr.limit)
            row["note"] = (
                f"no member within {self._cap_text()} keeps the target as T grows: the fastest, "
                f"{family}({self.first}, {_down(hi):g}), gives {limit or 'a value below the target'}."
            )
            return row, None
        param, below = found
        sched = _member(family, self.first, param)
        lr = self.long_run(sched)
        if below is not None and lr.limit is None:
            below_sched = _member(family, self.first, below)
            if self.meets(below_sched) and self.long_run(below_sched).collapses:
                name = _PARAM_NAME[family]
                row["note"] = (
                    f"no cheapest member: {family} never collapses for {name} > {below:g}, the "
                    f"members just above it already meet the target at T = {self.T}, and the "
                    f"target's value as T → ∞ has no law to rank them; choose {name} > {below:g} "
                    "with the margin you need and check it with verify()."
                )
                return row, None
        row["achieved_limit"] = np.nan if lr.limit is None else lr.limit
        self._fill(row, family, param, sched, self._budget_note(sched))
        return row, sched

    def _budget_note(self, sched: Schedule) -> list[str]:
        total = sched.total_rows(self.T)
        if self.max_total_rows is not None and total > self.max_total_rows:
            return [f"over budget: costs {total} rows > max_total_rows = {self.max_total_rows:g}."]
        return []

    def _fill(self, row, family, param, sched, notes):
        total = sched.total_rows(self.T)
        row.update(
            parameters=_describe(family, self.first, param),
            schedule_spec=sched.spec,
            total_rows=total,
            achieved=self.value(sched),
            feasible=self.max_total_rows is None or total <= self.max_total_rows,
            note=" ".join(notes),
        )


def _empty_row(family: str, tgt: Target) -> dict:
    return {
        "family": family,
        "parameters": "",
        "schedule_spec": "",
        "total_rows": pd.NA,
        "achieved": np.nan,
        "target": str(tgt),
        "feasible": False,
        "achieved_limit": np.nan,
        "note": "",
    }


def _add_bias(row: dict, sched: Schedule | None, alpha: float, T: int) -> None:
    row["bias_drift"] = float(bias_drift(sched, alpha, T)) if sched else np.nan
    if sched is not None and bias_collapses(sched, alpha):
        power = required_growth_power(alpha)
        row["note"] = (row["note"] + " " if row["note"] else "") + (
            f"bias drifts without bound as T grows (needs growth faster than t^{power:g})."
        )


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=columns)
    table["total_rows"] = table["total_rows"].astype("Int64")
    table["feasible"] = table["feasible"].astype(bool)
    if "never_collapses" in table:
        table["never_collapses"] = table["never_collapses"].astype("boolean")
    return table.sort_values("total_rows", na_position="last", kind="stable").reset_index(
        drop=True
    )


def _cheapest(table: pd.DataFrame, chosen: dict) -> Schedule | None:
    feasible = table[table["feasible"] & table["total_rows"].notna()]
    return chosen[feasible["family"].iloc[0]] if len(feasible) else None


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
    max_rows_per_generation: int | None = None,
    workflow="replace",
) -> PlanResult:
    """Find, for each schedule family, the cheapest member that meets a target at horizon T —
    and the cheapest that also never collapses as T grows.

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
        See :mod:`synthaudit.planner.search`.
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
    max_rows_per_generation : int, optional
        No generation may have more rows (default and upper limit
        :data:`synthaudit.schedules.MAX_ROWS` = 10¹²).
    workflow : {"replace", "accumulate", "mix:M"} or Workflow
        How each generation's training set is built. Planning needs the workflow's exact laws
        (:data:`synthaudit.planner.laws.LAWS`): today only ``"replace"`` has them, and the others
        raise a :class:`~synthaudit.exceptions.ValidationError` naming the supported workflows
        (measure a given schedule under ``accumulate`` with :func:`verify` meanwhile).

    Returns
    -------
    PlanResult
        ``str(result)`` starts with the two answers, "cheapest at T" and "cheapest that never
        collapses", one line each.

    Examples
    --------
    >>> r = plan(100, 50, d=2, improvement=0.3)   # beyond the growth families' reach
    >>> r.best, r.table["feasible"].tolist()
    (constant(6563), [True, False, False, False])
    >>> print(r.headline()[0].split(" — ")[1])
    collapses as T grows, so it meets the target at T = 50 only (P_T → 0 as T → ∞)
    """
    tgt = _resolve_target(target, improvement, collapse, extra_variance, eps)
    wf = _validate(n0, n_generations, d, tgt, alpha, families, estimator, max_total_rows,
                   first_size, workflow, max_rows_per_generation)
    n0, T = int(n0), int(n_generations)
    first = int(first_size) if first_size is not None else n0
    cap = int(max_rows_per_generation) if max_rows_per_generation is not None else MAX_ROWS
    d = int(d) if d is not None else None
    if first > cap:
        raise ValidationError(
            f"`first_size` = {first} (default: n0) exceeds max_rows_per_generation = {cap}; "
            "give a smaller first_size or a larger cap."
        )
    planner = _Planner(tgt, n0, T, d, estimator, wf, first, cap, max_total_rows)
    impossible = planner.impossible()

    rows, long_rows, chosen, lasting, neighbours = [], [], {}, {}, {}
    for family in families:
        row, sched, below = planner.at_horizon(family, impossible)
        neighbours[family] = below
        if sched is not None:
            chosen[family] = sched
        lr_row, lr_sched = planner.never_collapsing(family, impossible, row)
        if lr_sched is not None:
            lasting[family] = lr_sched
        if alpha is not None:
            _add_bias(row, sched, alpha, T)
            _add_bias(lr_row, lr_sched, alpha, T)
        rows.append(row)
        long_rows.append(lr_row)

    columns = ["family", "parameters", "schedule_spec", "total_rows", "achieved", "target",
               "feasible", "never_collapses", "achieved_limit", "note"]
    if alpha is not None:
        columns.append("bias_drift")
    table = _frame(rows, columns)
    long_run = _frame(long_rows, [c for c in columns if c != "never_collapses"])
    provenance = {
        "synthaudit_version": version(),
        "n0": n0,
        "n_generations": T,
        "target": str(tgt),
        "d": d,
        "estimator": estimator,
        "workflow": wf.spec,
        "laws": "exact (synthaudit.theory)",
        "alpha": alpha,
        "families": list(families),
        "max_total_rows": max_total_rows,
        "max_rows_per_generation": cap,
        "first_size": first,
    }
    return PlanResult(
        table=table,
        best=_cheapest(table, chosen),
        schedules=chosen,
        neighbours=neighbours,
        target=tgt,
        provenance=provenance,
        long_run=long_run,
        best_never_collapses=_cheapest(long_run, lasting),
        never_collapse_schedules=lasting,
    )
