"""Compatibility module: the figures of an audit report, taking a report or a result.

The drawing code lives in :mod:`synthaudit.report.figures`, whose functions take the report's
tidy frames. The functions here keep the older calling style — ``collapse_figure(report)`` with
an :class:`~synthaudit.report.AuditReport` or an audit result — by asking the report for its
frames (``AuditReport.plot_*``). New code can call ``report.plot_collapse()`` directly.

Examples
--------
>>> import numpy as np, pandas as pd
>>> import synthaudit as sa
>>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=100)})
>>> fig = collapse_figure(sa.run_audit(df, adapter="gaussian", n_generations=10,
...                                    n_replications=100, seed=0))
>>> type(fig).__name__
'Figure'
"""

from __future__ import annotations

from .report import AuditReport, compare_schedules

__all__ = [
    "collapse_figure",
    "compare_schedules",
    "drift_fan",
    "improvement_figure",
    "risk_figure",
    "variance_figure",
]


def _report(obj) -> AuditReport:
    return obj if isinstance(obj, AuditReport) else AuditReport.from_result(obj)


def drift_fan(report, parameters=None, *, max_panels: int = 9):
    """Fan chart per parameter (see :meth:`AuditReport.plot_drift`)."""
    return _report(report).plot_drift(parameters, max_panels=max_panels)


def variance_figure(report):
    """Variance retention (see :meth:`AuditReport.plot_variance`)."""
    return _report(report).plot_variance()


def collapse_figure(report, eps: float | None = None):
    """Collapse probability and level loss (see :meth:`AuditReport.plot_collapse`)."""
    return _report(report).plot_collapse(eps)


def improvement_figure(report, risk: str | None = None):
    """Improvement probability (see :meth:`AuditReport.plot_improvement`)."""
    return _report(report).plot_improvement(risk)


def risk_figure(report):
    """Risk by generation (see :meth:`AuditReport.plot_risk`)."""
    return _report(report).plot_risk()
