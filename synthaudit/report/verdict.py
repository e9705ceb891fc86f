"""The one verdict of an audit: a documented decision table over *measured* numbers.

:func:`verdict` reads a :class:`KeyNumbers` — the numbers at the last generation, each with its
95 % confidence interval — and returns a :class:`Verdict` whose ``label`` is one of
:data:`LABELS`. The same verdict drives :meth:`AuditReport.verdict`, ``summary()``, the one-screen
text summary and the HTML page. It never looks at theory, at which optional metrics were
recorded, or at whether a holdout exists: a number that was not measured is skipped, never
guessed.

The quantities (``docs/report.md`` has the table with one test per row, ``tests/test_verdict.py``):

- ``collapse`` — share of replications in which a Gaussian variance fell to ``eps`` of its base
  *or* a category level was lost (Wilson interval);
- ``improvement`` — share of replications whose risk at the last generation is below its risk
  at generation 0 (Wilson interval), over the replications whose generation-0 risk is finite;
- ``risk_change`` — median over those replications of ``risk_T − risk_0`` (order-statistic
  interval);
- ``drift`` — median root-mean-square drift per parameter from generation 0, in generation-0
  standard errors (``sqrt(n0·ΔθᵀIΔθ / d)``; order-statistic interval).

The rows, first match wins, are :data:`DECISION_TABLE` (thresholds: :data:`MAJORITY`,
:data:`SIGNS`, :data:`WORSE`, :data:`DRIFT_LIMIT`, :data:`MIN_REPLICATIONS`); ``docs/report.md``
shows the same table (a test keeps the two equal) and why each threshold is what it is.

Examples
--------
>>> from synthaudit.report._stats import Estimate, share
>>> nums = KeyNumbers(n_replications=200, generation=30, eps=0.05,
...                   collapse=share([True] * 150 + [False] * 50))
>>> v = verdict(nums)
>>> v.label
'collapses'
>>> print(v.headline[:58])
Verdict: the loop collapses — by generation 30, 75% (95% C
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ._stats import Z95, Estimate, ci_text, fmt_num, pct

__all__ = ["DECISION_TABLE", "DRIFT_LIMIT", "LABELS", "MAJORITY", "MIN_REPLICATIONS", "SIGNS",
           "WORSE", "KeyNumbers", "Verdict", "verdict"]

#: every label :func:`verdict` can give
LABELS = ("collapses", "degrades", "stable", "improves", "inconclusive")
#: collapse in a majority of replications is "collapses"
MAJORITY = 0.5
#: collapse in at least this share of replications is a clear sign ("degrades")
SIGNS = 0.10
#: an improvement probability below this is a practically worse model ("degrades")
WORSE = 0.40
#: median drift per parameter (generation-0 standard errors) above which the loop has moved the
#: model by more than the real data's own sampling noise ("degrades")
DRIFT_LIMIT = 1.0


def _min_replications(threshold: float = SIGNS, z: float = Z95) -> int:
    """Fewest replications for which a clean result (0 collapses out of R) has a Wilson upper
    bound below ``threshold``: ``z²/(R + z²) < threshold`` ⇔ ``R > z²(1 − t)/t``. Below it no
    replication count can tell "stable" from "signs of collapse" (35 for 10 %)."""
    return int(math.floor(z * z * (1 - threshold) / threshold)) + 1


#: fewer replications than this cannot separate "stable" from "signs of collapse" at all
MIN_REPLICATIONS = _min_replications()

#: the decision table: (row, label, condition), first match wins (``docs/report.md`` shows it)
DECISION_TABLE = (
    (1, "inconclusive", f"fewer than {MIN_REPLICATIONS} replications"),
    (2, "inconclusive", "none of collapse, improvement, drift was measured"),
    (3, "collapses", f"collapse CI low ≥ {MAJORITY:g}"),
    (4, "degrades", f"collapse CI low ≥ {SIGNS:g}"),
    (5, "degrades", f"improvement CI high < {WORSE:g} and risk-change CI low > 0"),
    (6, "degrades", f"drift CI low > {DRIFT_LIMIT:g}"),
    (7, "improves", f"collapse CI high < {SIGNS:g} (or not measured), improvement CI low > 0.5 "
                    "and risk-change CI high < 0"),
    (8, "stable", f"collapse CI high < {SIGNS:g}, improvement CI low ≥ {WORSE:g}, drift CI "
                  f"high ≤ {DRIFT_LIMIT:g} (each where measured)"),
    (9, "inconclusive", "otherwise: an interval straddles a threshold"),
)

_NA = Estimate.missing()


@dataclass(frozen=True)
class KeyNumbers:
    """The measured numbers behind a verdict, at generation ``generation``.

    Built by :meth:`AuditReport.key_numbers`; any :class:`~synthaudit.report._stats.Estimate`
    may be missing (``value`` NaN) when the audit did not measure it.

    Attributes
    ----------
    n_replications, generation : int
    eps : float
        Collapse threshold on the variance ratio.
    collapse : Estimate
        Share of replications with a collapsed variance or a lost level (the union).
    variance_collapse, level_loss : Estimate
        The two parts of ``collapse`` (for the text; the verdict reads ``collapse``).
    drift : Estimate
        Median RMS drift per parameter from generation 0, in generation-0 standard errors.
    risk_change, improvement : Estimate
        Median ``risk_T − risk_0`` and ``P(risk_T < risk_0)`` over the replications whose
        generation-0 risk is finite.
    risk : str or None
        The risk those two are about (a trace name, e.g. ``risk[holdout_nll]``).
    risk_label : str
    risk_infinite : Estimate
        Share of those replications whose risk is infinite at the end (a lost level or a
        vanished variance gives held-out rows zero likelihood).
    risk_excluded_infinite : int
        Replications left out because their generation-0 risk is infinite (e.g. a held-out
        level unseen in the training pool).
    risk_excluded_missing : int
        Replications left out because the risk is missing (NaN) at generation 0 or at the end.
    variance_base : str
        What a variance is compared with: ``"truth"`` or ``"generation 0"``.
    """

    n_replications: int
    generation: int
    eps: float = 0.05
    collapse: Estimate = _NA
    variance_collapse: Estimate = _NA
    level_loss: Estimate = _NA
    drift: Estimate = _NA
    risk_change: Estimate = _NA
    improvement: Estimate = _NA
    risk: str | None = None
    risk_label: str = "risk"
    risk_infinite: Estimate = _NA
    risk_excluded_infinite: int = 0
    risk_excluded_missing: int = 0
    variance_base: str = "generation 0"

    def to_dict(self) -> dict:
        out = {}
        for k, v in self.__dict__.items():
            out[k] = v.to_dict() if isinstance(v, Estimate) else v
        return out


@dataclass(frozen=True)
class Verdict:
    """What the audit concludes: a ``label`` from :data:`LABELS`, the ``row`` of the decision
    table that decided it, a one-line ``headline``, the ``reasons`` (plain sentences with the
    numbers and their intervals) and the ``numbers`` themselves.

    ``str(verdict)`` is the headline followed by the reasons.
    """

    label: str
    row: int
    headline: str
    reasons: tuple[str, ...] = ()
    numbers: KeyNumbers | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.label not in LABELS:
            raise ValueError(f"verdict label must be one of {LABELS}; got {self.label!r}.")

    def __str__(self) -> str:
        return " ".join((self.headline, *self.reasons))

    def to_dict(self) -> dict:
        return {"label": self.label, "row": self.row, "headline": self.headline,
                "reasons": list(self.reasons),
                "numbers": None if self.numbers is None else self.numbers.to_dict()}


# ---------------------------------------------------------------------------------------------
# the decision table
# ---------------------------------------------------------------------------------------------
def _lo(e: Estimate) -> float:
    return e.low if e.measured else math.nan


def _hi(e: Estimate) -> float:
    return e.high if e.measured else math.nan


def _ge(x: float, t: float) -> bool:  # False for NaN: an unknown bound decides nothing
    return not math.isnan(x) and x >= t


def _gt(x: float, t: float) -> bool:
    return not math.isnan(x) and x > t


def _lt(x: float, t: float) -> bool:
    return not math.isnan(x) and x < t


def _le(x: float, t: float) -> bool:
    return not math.isnan(x) and x <= t


def _ci(e: Estimate, fmt=pct) -> str:
    return ci_text(e, fmt)


def _what_collapsed(n: KeyNumbers) -> str:
    var, lvl = n.variance_collapse.measured, n.level_loss.measured
    if var and lvl:
        return "lost a variance or a category level"
    if lvl:
        return "lost a category level"
    return "lost a variance"


def _decide(n: KeyNumbers) -> tuple[str, int, list[tuple[int, str]]]:
    """(label, row, [(row, reason)] of every "degrades" row that fires), ignoring row 1 (the
    replication count)."""
    U, P, dR, D = n.collapse, n.improvement, n.risk_change, n.drift
    if not (U.measured or P.measured or D.measured):
        return "inconclusive", 2, []
    G = n.generation
    if _ge(_lo(U), MAJORITY):
        return "collapses", 3, []
    fired = []
    if _ge(_lo(U), SIGNS):
        fired.append((4, f"{_ci(U)} of replications {_what_collapsed(n)} by generation {G}: "
                         f"a clear sign of collapse (at least {pct(SIGNS)})"))
    if _lt(_hi(P), WORSE) and _gt(_lo(dR), 0):
        fired.append((5, f"the recursively trained model is better than the real-only one in "
                         f"only {_ci(P, pct)} of replications"))
    if _gt(_lo(D), DRIFT_LIMIT):
        fired.append((6, f"the loop moved the parameters by a median {_ci(D, fmt_num)} "
                         f"generation-0 standard errors, more than the real data's own "
                         f"sampling noise ({fmt_num(DRIFT_LIMIT)})"))
    if fired:
        return "degrades", fired[0][0], fired
    no_collapse = not U.measured or _lt(_hi(U), SIGNS)
    if no_collapse and _gt(_lo(P), 0.5) and _lt(_hi(dR), 0):
        return "improves", 7, []
    if (no_collapse and (not P.measured or _ge(_lo(P), WORSE))
            and (not D.measured or _le(_hi(D), DRIFT_LIMIT))):
        return "stable", 8, []
    return "inconclusive", 9, []


def _straddles(n: KeyNumbers) -> list[str]:
    """Which intervals sit across a threshold (for row 9's reasons)."""
    out = []
    U, P, D = n.collapse, n.improvement, n.drift
    if U.measured and not _lt(_hi(U), SIGNS):
        out.append(f"collapse share {_ci(U)} spans the {pct(SIGNS)} threshold")
    if P.measured and not _ge(_lo(P), WORSE):
        out.append(f"improvement probability {_ci(P, pct)} spans {pct(WORSE)}")
    if D.measured and not _le(_hi(D), DRIFT_LIMIT):
        out.append(f"median drift {_ci(D, fmt_num)} spans {fmt_num(DRIFT_LIMIT)} "
                   "generation-0 standard error")
    return out


def _context(n: KeyNumbers, said: frozenset = frozenset()) -> list[str]:
    """The measured numbers not already said (``said``: rows already given), one sentence
    each."""
    G = n.generation
    out = []
    if 3 not in said and 4 not in said and n.collapse.measured:
        if n.collapse.value == 0:
            out.append(f"No replication {_what_collapsed(n)} by generation {G} "
                       f"(95% CI up to {pct(n.collapse.high)}).")
        else:
            out.append(f"{_ci(n.collapse)} of replications {_what_collapsed(n)} by "
                       f"generation {G}.")
    if n.improvement.measured:
        if 5 not in said and 7 not in said:
            out.append(f"Better than the real-only model in {_ci(n.improvement, pct)} of "
                       f"replications (risk: {n.risk_label}).")
        inf = n.risk_infinite
        tail = (f"; infinite in {_ci(inf)} of replications" if inf.measured and inf.value > 0
                else "")
        out.append(f"Median change in the risk ({n.risk_label}) by generation {G}: "
                   f"{_ci(n.risk_change, fmt_num)}{tail}.")
    elif n.risk is not None:
        out.append(f"Whether the loop beats the real-only model cannot be measured: the risk "
                   f"({n.risk_label}) is not finite at generation 0 in any replication.")
    else:
        out.append("No risk was measured, so whether the loop beats the real-only model is "
                   "unknown (record a risk: TruthKL with a truth, HoldoutNLL with a holdout).")
    ex = n.risk_excluded_infinite
    if ex:
        out.append(f"{ex} of {n.n_replications} replications were left out of the risk "
                   f"numbers: their risk is already infinite at generation 0 (e.g. a category "
                   f"level of the held-out rows or of the truth absent from the real-only "
                   f"model).")
    if n.risk_excluded_missing:
        out.append(f"{n.risk_excluded_missing} replications were left out of the risk numbers: "
                   "the risk is missing at generation 0 or at the end.")
    if n.drift.measured and 6 not in said:
        out.append(f"Median drift from generation 0: {_ci(n.drift, fmt_num)} standard errors "
                   "per parameter.")
    return out


def verdict(numbers) -> Verdict:
    """Apply the decision table (module docstring) to measured numbers.

    Parameters
    ----------
    numbers : KeyNumbers or AuditReport
        An :class:`~synthaudit.report.AuditReport` is read through its ``key_numbers()``.

    Returns
    -------
    Verdict

    Examples
    --------
    >>> from synthaudit.report._stats import share
    >>> verdict(KeyNumbers(n_replications=10, generation=5,
    ...                    collapse=share([True] * 10))).label
    'inconclusive'
    >>> verdict(KeyNumbers(n_replications=400, generation=5,
    ...                    collapse=share([False] * 400))).label
    'stable'
    """
    n = numbers.key_numbers() if hasattr(numbers, "key_numbers") else numbers
    if not isinstance(n, KeyNumbers):
        raise TypeError(f"verdict() needs KeyNumbers or an AuditReport; got {type(n).__name__}.")
    G, R = n.generation, n.n_replications
    label, row, fired = _decide(n)
    if R < MIN_REPLICATIONS:
        lean = (f" The numbers lean towards '{label}'." if label != "inconclusive" else "")
        head = (f"Verdict: inconclusive — too few replications ({R}; at least "
                f"{MIN_REPLICATIONS} are needed before a clean result can be told from signs "
                f"of collapse).")
        return Verdict("inconclusive", 1, head + lean, tuple(_context(n)), n)
    if row == 2:
        head = ("Verdict: inconclusive — nothing the verdict can judge was measured (no "
                "Gaussian or categorical parameter, no risk, no drift).")
        return Verdict("inconclusive", 2, head, (), n)
    U = n.collapse
    if label == "collapses":
        head = (f"Verdict: the loop collapses — by generation {G}, {_ci(U)} of replications "
                f"{_what_collapsed(n)}.")
    elif label == "degrades":
        head = f"Verdict: the loop degrades — {fired[0][1]}."
        extra = [f[0].upper() + f[1:] + "." for _, f in fired[1:]]
        if row == 4 and _ge(_hi(U), MAJORITY):
            extra.insert(0, f"Whether a majority collapses ('collapses') cannot be told from "
                            f"{R} replications: the interval contains {pct(MAJORITY)}.")
        said = frozenset(r for r, _ in fired)
        return Verdict("degrades", row, head, tuple(extra + _context(n, said)), n)
    elif label == "improves":
        head = (f"Verdict: the loop improves on the real-only model — better in "
                f"{_ci(n.improvement, pct)} of replications by generation {G}, with no sign "
                f"of collapse.")
    elif label == "stable":
        bits = [f"no sign of collapse by generation {G}" if U.measured else None,
                "the model about as good as the real-only one" if n.improvement.measured
                else None,
                "parameters within one generation-0 standard error" if n.drift.measured
                else None]
        head = "Verdict: stable — " + ", ".join(b for b in bits if b) + "."
    else:
        head = ("Verdict: inconclusive — the confidence intervals straddle the decision "
                "thresholds; run more replications.")
        return Verdict("inconclusive", 9, head,
                       tuple(s[0].upper() + s[1:] + "." for s in _straddles(n))
                       + tuple(_context(n)), n)
    return Verdict(label, row, head, tuple(_context(n, frozenset({row}))), n)
