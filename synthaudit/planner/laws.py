"""The laws the planner evaluates, one entry per workflow: the only place to plug in new ones.

:data:`LAWS` maps a workflow name (``replace``, ``accumulate``, ``mix``) to a
:class:`WorkflowLaws`: one function per target kind and one for the long run. Every target law
has the same signature::

    law(n0, schedule_or_sizes, n_generations, *, d, eps, estimator, workflow) -> float

(``schedule_or_sizes`` is a :class:`~synthaudit.schedules.Schedule` or an explicit array of the
sizes ``n_1 … n_T``; ``workflow`` is the parsed :class:`~synthaudit.workflows.Workflow`, so a
``mix`` law reads its ``m_t`` from ``workflow.real_rows(T)``). A law that is ``None`` is not
available: :func:`~synthaudit.planner.plan` refuses such a (workflow, target) pair with a
:class:`~synthaudit.exceptions.ValidationError` that names the workflows it supports.

Only ``replace`` has exact laws in :mod:`synthaudit.theory` today. When the laws for
``accumulate`` and ``mix`` arrive there, plugging one in is one line in :data:`LAWS`, e.g.::

    "accumulate": WorkflowLaws(
        improvement=lambda n0, s, T, *, d, **_: theory.improvement_probability_accumulate(
            n0, s, T, d=d),
        ...

Examples
--------
>>> from synthaudit.workflows import parse
>>> law_for(parse("replace"), "extra_variance")(100, [200] * 10, 10, d=None, eps=None,
...                                             estimator="unbiased", workflow=parse("replace"))
5.0
>>> supported_workflows("improvement")
['replace']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .. import theory
from ..exceptions import ValidationError
from ..workflows import Workflow
from ..workflows import parse as parse_workflow

__all__ = [
    "LAWS",
    "SIMULATED_WORKFLOWS",
    "LongRun",
    "WorkflowLaws",
    "law_for",
    "missing_law_problem",
    "resolve_workflow",
    "supported_workflows",
]

#: Target kinds, in the order the planner documents them.
TARGET_KINDS = ("improvement", "collapse", "extra_variance")


@dataclass(frozen=True)
class LongRun:
    """What happens to a schedule as the horizon grows.

    Attributes
    ----------
    collapses : bool
        The schedule collapses as T → ∞ under the workflow (the fitted variance goes to 0).
    reason : str
        One plain-language sentence.
    limit : float or None
        The target's value as T → ∞ (None where no law gives it).
    """

    collapses: bool
    reason: str
    limit: float | None


@dataclass(frozen=True)
class WorkflowLaws:
    """The laws of one workflow (``None``: not available yet).

    Attributes
    ----------
    improvement, collapse, extra_variance : callable or None
        ``law(n0, schedule_or_sizes, T, *, d, eps, estimator, workflow) -> float``: the value
        the target kind takes at horizon T.
    long_run : callable or None
        ``long_run(kind, n0, schedule, T, *, d, eps, estimator, workflow) -> LongRun``.
    """

    improvement: Callable | None = None
    collapse: Callable | None = None
    extra_variance: Callable | None = None
    long_run: Callable | None = None

    def get(self, kind: str) -> Callable | None:
        return getattr(self, kind)


def _replace_long_run(kind, n0, schedule, n_generations, *, d, eps, estimator, workflow):
    crit = theory.collapse_criterion(schedule, n_generations)
    limit = None
    if kind == "improvement":
        r = math.sqrt(n0 * crit.limit) if math.isfinite(crit.limit) else math.inf
        limit = float(theory.improvement_probability_r(r, d))
    elif kind == "extra_variance":
        limit = float(n0 * crit.limit)
    # collapse: theory has the law of σ̂²_T for every finite T, not of its limit: None
    return LongRun(collapses=crit.collapses, reason=crit.reason, limit=limit)


#: workflow name → its laws. Plug in a law by replacing a None here (see the module docstring).
LAWS: dict[str, WorkflowLaws] = {
    "replace": WorkflowLaws(
        improvement=lambda n0, s, T, *, d, **_: theory.improvement_probability(n0, s, T, d=d),
        collapse=lambda n0, s, T, *, eps, estimator, **_: theory.collapse_probability(
            eps, n0, s, T, estimator=estimator
        ),
        extra_variance=lambda n0, s, T, **_: theory.accumulated_variance(n0, s, T),
        long_run=_replace_long_run,
    ),
    # TODO(theory merge): theory.*_accumulate / *_mix laws and their collapse criteria go here.
    "accumulate": WorkflowLaws(),
    "mix": WorkflowLaws(),
}

#: Workflows :func:`~synthaudit.planner.verify` can simulate with a known truth. ``mix`` waits
#: for the engine to draw its fresh real rows from the truth rather than from the simulated table
#: (issue 10); until then a measurement would be conditional on one fixed table.
SIMULATED_WORKFLOWS = ("replace", "accumulate")


def resolve_workflow(workflow, problems: list) -> Workflow | None:
    """Parse ``workflow`` (a name, a spec such as ``mix:50``, or a Workflow); record problems."""
    try:
        return parse_workflow(workflow)
    except ValidationError as exc:
        problems.extend(
            f"`workflow`: {p} Expected 'replace', 'accumulate' or 'mix:M'." for p in exc.problems
        )
    except (TypeError, ValueError) as exc:  # pragma: no cover - defensive: exotic objects
        problems.append(f"`workflow` must be 'replace', 'accumulate' or 'mix:M'; got {workflow!r} "
                        f"({exc}).")
    return None


def law_for(workflow: Workflow, kind: str) -> Callable | None:
    """The law of ``kind`` under ``workflow``, or None when it is not available yet."""
    return LAWS[workflow.name].get(kind)


def supported_workflows(kind: str) -> list[str]:
    """Workflow names with a law for ``kind`` (a mix law covers every ``mix:M``)."""
    return [name for name, laws in LAWS.items() if laws.get(kind) is not None]


_KIND_PHRASE = {
    "improvement": "an improvement target",
    "collapse": "a collapse target",
    "extra_variance": "an extra-variance target",
}


def missing_law_problem(workflow: Workflow, kind: str) -> str:
    """The message for a (workflow, target kind) pair without a law."""
    supported = ", ".join(repr(w if w != "mix" else "mix:M") for w in supported_workflows(kind))
    text = (
        f"`workflow` = {workflow.spec!r}: the planner has no exact law for {_KIND_PHRASE[kind]} "
        f"under this workflow yet; it supports workflow = {supported} for it. Exact laws for "
        "'accumulate' and 'mix:M' are coming to synthaudit.theory (issue 10); plan under "
        "'replace' meanwhile"
    )
    if workflow.name in SIMULATED_WORKFLOWS:
        text += (
            f", and measure a given schedule under {workflow.spec!r} by simulation with "
            f"synthaudit.planner.verify(schedule, workflow={workflow.spec!r}, ...)"
        )
    return text + "."
