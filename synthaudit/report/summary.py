"""The verdict-first summary that fits one screen (the command line prints it).

Layout: the verdict on the first line(s); then at most ten lines with the numbers behind it,
each with its 95 % interval (collapse, level loss, drift, risk, improvement, the long-run line
of theory where it applies); the most drifted parameters with plain-language labels; caveats;
where the full tables go; the terms, explained once. No line is wider than ``width`` (100).

Examples
--------
>>> from synthaudit.report._stats import share
>>> from synthaudit.report.facts import audit_facts
>>> from synthaudit.report.verdict import KeyNumbers, verdict
>>> v = verdict(KeyNumbers(n_replications=200, generation=20, collapse=share([False] * 200)))
>>> text = summary_text(v, audit_facts({"adapter": "gaussian"}, {}), None)
>>> text.splitlines()[0]
'Verdict: stable — no sign of collapse by generation 20.'
>>> max(len(line) for line in text.splitlines()) <= 100
True
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from ._stats import Estimate, ci_text, fmt_num, pct
from .facts import NOT_RECORDED, AuditFacts
from .quantities import metric_info
from .verdict import Verdict

__all__ = ["FULL_TABLES_HINT", "TERMS", "summary_text"]

#: where the full tables go (flags of ``synthaudit run``)
FULL_TABLES_HINT = ("Full tables: -o FILE.parquet|.csv writes the trace, --report FILE.html the "
                    "HTML report, --full prints every table here.")

#: the terms of the summary, explained once in plain words
TERMS = (
    "Terms: generation 0 = the model fitted on the real rows only (the real-only baseline). "
    "Generation-0 standard error = how much a parameter varies between fits on fresh real "
    "samples of that size (a drift of 2 = twice that). Collapse = a variance shrinking to {eps} "
    "of its base, or a category level gone (it never returns). 95% CI = the range the true "
    "value lies in, given the replications run."
)
#: added to the terms when the line of theory is shown
TERMS_THEORY = " S_T = Σ 1/n_t, the sampling noise the synthetic generations add up."


def _ci(e: Estimate, fmt) -> str:
    return ci_text(e, fmt)


def _short(e: Estimate, fmt) -> str:
    return ci_text(e, fmt, label="")


def _signed(x) -> str:
    s = fmt_num(x)
    return s if s.startswith(("−", "-", "n/a")) or x == 0 else "+" + s


def _wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    first = indent if first is None else first
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent,
                         break_on_hyphens=False) or [first.rstrip()]


def _numbers_lines(v: Verdict, theory: str, width: int) -> list[str]:
    n = v.numbers
    rows: list[tuple[str, str]] = []
    if n.collapse.measured:
        what = ("a variance or a category level" if n.variance_collapse.measured
                and n.level_loss.measured else "a category level" if n.level_loss.measured
                else "a variance")
        rows.append(("collapse", f"{_ci(n.collapse, pct)} of replications lost {what}"))
        if n.variance_collapse.measured and n.level_loss.measured:
            rows.append(("", f"variance ≤ {pct(n.eps)} of {n.variance_base}: "
                             f"{_short(n.variance_collapse, pct)} · level lost: "
                             f"{_short(n.level_loss, pct)}"))
    if n.drift.measured:
        rows.append(("drift", f"median {_ci(n.drift, fmt_num)} generation-0 standard errors per "
                              "parameter"))
    if n.risk_change.measured:
        e = n.risk_change
        ci = ("" if math.isnan(e.low) or math.isnan(e.high)
              else f" (95% CI {_signed(e.low)} to {_signed(e.high)})")
        info = metric_info(n.risk)
        unit = " (nats/row, lower is better)" if info.key == "holdout_nll" else (
            " (lower is better)")
        rows.append(("risk", f"{info.short}{unit}: median change {_signed(e.value)}{ci}"))
        if n.risk_infinite.measured and n.risk_infinite.value > 0:
            rows.append(("", f"infinite (a level or a variance lost) in "
                             f"{_ci(n.risk_infinite, pct)} of replications"))
    if n.improvement.measured:
        rows.append(("improvement", f"better than the real-only model in "
                                    f"{_ci(n.improvement, pct)} of replications"))
    elif n.risk is None:
        rows.append(("improvement", "not measured: no risk recorded (a truth gives KL, a "
                                    "holdout gives held-out NLL)"))
    else:
        rows.append(("improvement", "not measured: the risk is not finite at generation 0 in "
                                    "any replication"))
    excl = n.risk_excluded_infinite
    if excl:
        rows.append(("", f"{excl} of {n.n_replications} replications left out: risk already "
                         "infinite at generation 0"))
    if n.risk_excluded_missing:
        rows.append(("", f"{n.risk_excluded_missing} replications left out: risk missing"))
    if theory:
        rows.append(("theory", theory[0].lower() + theory[1:]))
    key_w = max([len(k) for k, _ in rows] + [8]) + 2
    out = []
    for key, text in rows:
        out += _wrap(text, width, indent=" " * (key_w + 2),
                     first="  " + key.ljust(key_w))
    return out


def summary_text(verdict: Verdict, facts: AuditFacts, top_drift: pd.DataFrame | None, *,
                 theory: str = "", notes=(), n_parameters: int | None = None,
                 width: int = 100) -> str:
    """The one-screen summary (see the module docstring).

    Parameters
    ----------
    verdict : Verdict
        From :func:`synthaudit.report.verdict.verdict` (its ``numbers`` are printed).
    facts : AuditFacts
        What was audited.
    top_drift : DataFrame or None
        :meth:`AuditReport.top_drift` (``label, median_abs_drift, start, end``).
    theory : str
        The long-run line of theory ("" where theory does not describe the model).
    notes : sequence of str
        Caveats (e.g. a whole-number column modelled as Gaussian).
    n_parameters : int, optional
        How many parameters the model has (says how many the top list leaves out).
    width : int
        Maximum line width.
    """
    n = verdict.numbers
    lines = _wrap(verdict.headline, width, indent="  ", first="")
    what = [facts.synthesizer if facts.synthesizer != NOT_RECORDED else "model"]
    if facts.dataset != NOT_RECORDED:
        what.append(f"on {facts.dataset}")
    audited = (f"{' '.join(what)} · {facts.workflow} · schedule {facts.schedule} · "
               f"{n.n_replications} replications; numbers at generation {n.generation}")
    lines += _wrap(audited, width, indent="  ", first="  ")
    lines += _numbers_lines(verdict, theory, width)
    if top_drift is not None and len(top_drift):
        more = (f" of {n_parameters}" if n_parameters and n_parameters > len(top_drift) else "")
        lines += _wrap(f"Most drifted parameters{more} by generation {n.generation}: median "
                       "|drift| in generation-0 standard errors (typical change; value at "
                       "generation 0)", width, indent="  ", first="")
        lab_w = min(48, max(len(str(x)) for x in top_drift["label"]))
        for _, r in top_drift.iterrows():
            label = str(r["label"])
            label = label if len(label) <= lab_w else label[: lab_w - 1] + "…"
            line = (f"  {label.ljust(lab_w)}  {fmt_num(r['median_abs_drift']):>6}  "
                    f"(±{fmt_num(r['median_abs_change'])}; was {fmt_num(r['start'])})")
            lines.append(line[:width])
    for note in notes:
        lines += _wrap("Note: " + note, width, indent="  ", first="")
    lines += _wrap(FULL_TABLES_HINT, width, indent="  ", first="")
    terms = TERMS.format(eps=pct(n.eps)) + (TERMS_THEORY if "S_T" in theory else "")
    lines += _wrap(terms, width, indent="  ", first="")
    return "\n".join(lines)
