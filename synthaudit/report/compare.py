"""Several audits side by side (e.g. constant / linear / polynomial schedules).

Examples
--------
>>> import synthaudit as sa
>>> sim = sa.datasets.simulate_gaussian(100, rng=0)
>>> res = {s: sa.run_audit(sim, adapter="gaussian", schedule=s, n_generations=5,
...                        n_replications=50, n0=100, seed=0) for s in ("const:100", "poly:100:2")}
>>> fig, df = compare_schedules(res)
>>> df["label"].tolist()
['const:100', 'poly:100:2']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ValidationError
from . import figures
from .numbers import AuditReport

__all__ = ["compare_schedules"]


def compare_schedules(results: dict, *, eps: float = 0.05):
    """Overlay several audits (e.g. constant / linear / polynomial 1.5 schedules).

    Parameters
    ----------
    results : dict
        ``{label: AuditResult or AuditReport}``.
    eps : float
        Collapse threshold.

    Returns
    -------
    (Figure, DataFrame)
        Left panel: collapse probability (first Gaussian column) or, without one, the
        probability of a lost level; right panel: improvement probability. Measured as markers,
        theory dashed; the legend carries each schedule's total synthetic rows. The frame has one
        row per audit: ``label, schedule, workflow, n0, n_generations, total_synthetic_rows,
        collapse_measured, collapse_predicted, improvement_measured, improvement_predicted,
        fisher_drift_median, verdict``.
    """
    if not isinstance(results, dict) or not results:
        raise ValidationError("`results` must be a non-empty dict {label: AuditResult}.")
    reps = {str(k): (v if isinstance(v, AuditReport) else AuditReport.from_result(v, eps=eps))
            for k, v in results.items()}
    rows, curves = [], []
    left_title = None
    for label, rep in reps.items():
        G = rep.n_generations
        total = rep.total_synthetic_rows
        row = {"label": label, "schedule": rep.schedule_spec, "workflow": rep.workflow,
               "n0": rep.n0, "n_generations": G, "total_synthetic_rows": total,
               "collapse_measured": np.nan, "collapse_predicted": np.nan,
               "improvement_measured": np.nan, "improvement_predicted": np.nan,
               "fisher_drift_median": np.nan}
        curve = {"legend": f"{label} ({total:,} rows)", "left": None, "right": None}
        col = rep.collapse_table(eps)
        if len(col):
            first = col["parameter"].iloc[0]
            d = col[col["parameter"] == first]
            curve["left"], curve["left_predicted"] = d, True
            left_title = left_title or f"P(σ̂² ratio ≤ {eps:g}) — {rep.labels.get(first, first)}"
            row["collapse_measured"] = float(d["measured"].iloc[-1])
            row["collapse_predicted"] = float(d["predicted"].iloc[-1])
        else:
            lv = rep.level_loss_table()
            if len(lv):
                first = lv["column"].iloc[0]
                d = lv[lv["column"] == first].rename(columns={"p_any_lost": "measured"})
                curve["left"] = d[["generation", "measured"]]
                left_title = left_title or f"P(≥ 1 level lost) — {first}"
                row["collapse_measured"] = float(d["measured"].iloc[-1])
        imp = rep.improvement_table()
        if len(imp):
            curve["right"] = imp
            row["improvement_measured"] = float(imp["measured"].iloc[-1])
            row["improvement_predicted"] = float(imp["predicted"].iloc[-1])
        row["fisher_drift_median"] = rep.overall_drift_median(G)
        row["verdict"] = rep.verdict().label
        rows.append(row)
        curves.append(curve)
    fig = figures.compare_figure(curves, left_title=left_title or "collapse (not available)",
                                 eps=eps)
    return fig, pd.DataFrame(rows)
