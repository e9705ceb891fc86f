"""Figures of an audit report (matplotlib object API: each function returns a new
:class:`matplotlib.figure.Figure` and never touches pyplot's global state, so they are safe in
threads and notebooks).

Every function takes an :class:`~synthaudit.report.AuditReport` (or a result, turned into one).

Examples
--------
>>> import numpy as np, pandas as pd
>>> import synthaudit as sa
>>> from synthaudit.report import AuditReport
>>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=100)})
>>> rep = AuditReport.from_result(sa.run_audit(df, adapter="gaussian", n_generations=10,
...                                            n_replications=100, seed=0))
>>> fig = collapse_figure(rep)
>>> type(fig).__name__
'Figure'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "collapse_figure",
    "compare_schedules",
    "drift_fan",
    "improvement_figure",
    "risk_figure",
    "variance_figure",
]

_MEASURED = "#1b7a4b"
_PREDICTED = "#c0392b"


def _figure(n_panels: int = 1, *, ncols: int | None = None, panel=(4.6, 3.2)):
    from matplotlib.figure import Figure

    ncols = ncols or min(n_panels, 3)
    nrows = int(np.ceil(n_panels / ncols))
    fig = Figure(figsize=(panel[0] * ncols, panel[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _report(obj):
    from .report import AuditReport

    return obj if isinstance(obj, AuditReport) else AuditReport.from_result(obj)


def _finite(a):
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=9,
            transform=ax.transAxes, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])


def _log_axis(ax, df: pd.DataFrame, extra=()) -> None:
    """Log-scale the y axis with explicit limits from the finite positive values (none: linear)."""
    vals = np.concatenate([_finite(df[c]) for c in ("q05", "q25", "median", "q75", "q95")]
                          + [np.asarray(e, dtype=float) for e in extra])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size < 2:
        return
    lo, hi = float(vals.min()), float(vals.max())
    if hi <= lo:
        hi = lo * 10
    ax.set_yscale("log")
    ax.set_ylim(lo / 1.5, hi * 1.5)


def _band(ax, df: pd.DataFrame, color=_MEASURED, label="median", *, floor=None):
    x = df["generation"].to_numpy()

    def col(c):
        v = _finite(df[c])
        return v if floor is None else np.maximum(v, floor)

    ax.fill_between(x, col("q05"), col("q95"), color=color, alpha=0.15, lw=0,
                    label="5–95 %")
    ax.fill_between(x, col("q25"), col("q75"), color=color, alpha=0.35, lw=0,
                    label="25–75 %")
    ax.plot(x, col("median"), color=color, lw=1.6, label=label)


def drift_fan(report, parameters=None, *, max_panels: int = 9):
    """Fan chart per parameter: median and 5–95 % / 25–75 % bands of the fitted value across
    replications, by generation, with the reference as a dashed line."""
    rep = _report(report)
    params = list(parameters or rep.parameters)[:max_panels]
    tab = rep.parameter_table()
    fig, axes = _figure(len(params))
    for ax, name in zip(axes, params):
        d = tab[tab["parameter"] == name]
        _band(ax, d)
        ax.axhline(float(d["reference"].iloc[0]), color="#333", ls="--", lw=1,
                   label=rep.reference_kind)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("generation")
    if len(axes):
        axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"Parameter drift — {rep.schedule_spec}, {rep.workflow}", fontsize=11)
    return fig


def variance_figure(report):
    """Variance retention ``σ̂²_t / σ²_base`` (log scale): median with bands, the exact expected
    ratio (dashed, replace workflow) and the collapse threshold ``eps``."""
    rep = _report(report)
    tab = rep.variance_table()
    names = [n for n in rep.layout.variance_names]
    fig, axes = _figure(max(1, len(names[:6])))
    if not names:
        _empty(axes[0], "no Gaussian column: variance retention does not apply")
        return fig
    for ax, name in zip(axes, names[:6]):
        d = tab[tab["parameter"] == name]
        lo = max(float(np.nanmin(_finite(d["q05"]).clip(min=0), initial=1.0)) / 10, 1e-12)
        _band(ax, d, floor=lo)
        if np.isfinite(d["predicted_mean"]).any():
            ax.plot(d["generation"], d["predicted_mean"], color=_PREDICTED, ls="--", lw=1.2,
                    label="E ratio (theory)")
        ax.axhline(rep.eps, color="#777", ls=":", lw=1, label=f"eps = {rep.eps:g}")
        _log_axis(ax, d.assign(q05=np.maximum(_finite(d["q05"]), lo)), extra=[[rep.eps]])
        ax.set_title(f"{name} / {d['relative_to'].iloc[0]}", fontsize=10)
        ax.set_xlabel("generation")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Variance retention", fontsize=11)
    return fig


def collapse_figure(report, eps: float | None = None):
    """Measured collapse probability (95 % Wilson band) beside the exact prediction; for
    categorical columns, the probability of having lost at least one level."""
    rep = _report(report)
    col = rep.collapse_table(eps)
    lv = rep.level_loss_table()
    panels = [("var", n) for n in list(col["parameter"].unique())[:6]] + [
        ("lvl", c) for c in list(lv["column"].unique())[:3]]
    fig, axes = _figure(max(1, len(panels)))
    if not panels:
        _empty(axes[0], "no Gaussian or categorical column: collapse does not apply")
        return fig
    for ax, (kind, name) in zip(axes, panels):
        if kind == "var":
            d = col[col["parameter"] == name]
            ylab = f"P(ratio ≤ {d['eps'].iloc[0]:g})"
            title = f"collapse of {name}"
            y = d["measured"]
        else:
            d = lv[lv["column"] == name]
            ylab = "P(≥ 1 level lost)"
            title = f"level loss in {name}"
            y = d["p_any_lost"]
        x = d["generation"]
        ax.fill_between(x, d["ci_low"], d["ci_high"], color=_MEASURED, alpha=0.25, lw=0,
                        label="95 % CI")
        ax.plot(x, y, color=_MEASURED, marker="o", ms=2.5, lw=1, label="measured")
        if kind == "var" and np.isfinite(d["predicted"]).any():
            ax.plot(x, d["predicted"], color=_PREDICTED, ls="--", lw=1.4, label="theory")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("generation")
        ax.set_ylabel(ylab)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("Collapse probability", fontsize=11)
    return fig


def improvement_figure(report, risk: str | None = None):
    """``P(risk_t < risk_0)`` measured (95 % Wilson band) beside theory."""
    rep = _report(report)
    tab = rep.improvement_table(risk)
    fig, axes = _figure(1, panel=(6.0, 3.6))
    ax = axes[0]
    if not len(tab):
        _empty(ax, "improvement probability not available: no risk recorded\n"
                   "(record TruthKL with a truth, or HoldoutNLL with holdout > 0)")
        return fig
    x = tab["generation"]
    ax.fill_between(x, tab["ci_low"], tab["ci_high"], color=_MEASURED, alpha=0.25, lw=0,
                    label="95 % CI")
    ax.plot(x, tab["measured"], color=_MEASURED, marker="o", ms=2.5, lw=1, label="measured")
    if np.isfinite(tab["predicted"]).any():
        ax.plot(x, tab["predicted"], color=_PREDICTED, ls="--", lw=1.4,
                label=f"theory (d = {rep.n_free_params})")
    ax.set_ylim(0, max(0.55, float(np.nanmax(tab["ci_high"])) + 0.02))
    ax.set_xlabel("generation")
    ax.set_ylabel("P(risk_t < risk_0)")
    ax.set_title(f"Probability of beating the real-only model ({tab['risk'].iloc[0]})",
                 fontsize=10)
    ax.legend(fontsize=8)
    return fig


def risk_figure(report):
    """Each recorded (or computable) risk by generation: median and bands across replications
    (log scale when positive); infinite values (lost support) are left out of the bands."""
    rep = _report(report)
    tab = rep.risk_table()
    names = list(tab["risk"].unique())[:6]
    fig, axes = _figure(max(1, len(names)))
    if not names:
        _empty(axes[0], "no risk recorded")
        return fig
    for ax, name in zip(axes, names):
        d = tab[tab["risk"] == name]
        _band(ax, d)
        if not (_finite(d[["q05", "median", "q95"]].to_numpy()) <= 0).any():
            _log_axis(ax, d)
        pinf = float(d["p_infinite"].max())
        title = name + (f"  ({pinf:.0%} infinite)" if pinf > 0 else "")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("generation")
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("Risk by generation", fontsize=11)
    return fig


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
        fisher_drift_median``.
    """
    from .exceptions import ValidationError
    from .report import AuditReport

    if not isinstance(results, dict) or not results:
        raise ValidationError("`results` must be a non-empty dict {label: AuditResult}.")
    reps = {str(k): (v if isinstance(v, AuditReport) else AuditReport.from_result(v, eps=eps))
            for k, v in results.items()}
    fig, (ax1, ax2) = _figure(2, ncols=2, panel=(5.4, 3.8))
    rows = []
    colors = [f"C{i}" for i in range(10)]
    left_title = None
    for i, (label, rep) in enumerate(reps.items()):
        c = colors[i % 10]
        G = rep.n_generations
        total = rep.total_synthetic_rows
        leg = f"{label} ({total:,} rows)"
        row = {"label": label, "schedule": rep.schedule_spec, "workflow": rep.workflow,
               "n0": rep.n0, "n_generations": G, "total_synthetic_rows": total,
               "collapse_measured": np.nan, "collapse_predicted": np.nan,
               "improvement_measured": np.nan, "improvement_predicted": np.nan,
               "fisher_drift_median": np.nan}
        col = rep.collapse_table(eps)
        if len(col):
            first = col["parameter"].iloc[0]
            d = col[col["parameter"] == first]
            ax1.plot(d["generation"], d["measured"], "o", ms=2.5, color=c, label=leg)
            if np.isfinite(d["predicted"]).any():
                ax1.plot(d["generation"], d["predicted"], "--", lw=1.2, color=c)
            left_title = left_title or f"P(σ̂² ratio ≤ {eps:g}) — {first}"
            row["collapse_measured"] = float(d["measured"].iloc[-1])
            row["collapse_predicted"] = float(d["predicted"].iloc[-1])
        else:
            lv = rep.level_loss_table()
            if len(lv):
                first = lv["column"].iloc[0]
                d = lv[lv["column"] == first]
                ax1.plot(d["generation"], d["p_any_lost"], "o-", ms=2.5, lw=1, color=c,
                         label=leg)
                left_title = left_title or f"P(≥ 1 level lost) — {first}"
                row["collapse_measured"] = float(d["p_any_lost"].iloc[-1])
        imp = rep.improvement_table()
        if len(imp):
            ax2.plot(imp["generation"], imp["measured"], "o", ms=2.5, color=c, label=leg)
            if np.isfinite(imp["predicted"]).any():
                ax2.plot(imp["generation"], imp["predicted"], "--", lw=1.2, color=c)
            row["improvement_measured"] = float(imp["measured"].iloc[-1])
            row["improvement_predicted"] = float(imp["predicted"].iloc[-1])
        if rep.layout.complete:
            row["fisher_drift_median"] = float(np.nanmedian(rep._fisher()[:, G]))
        rows.append(row)
    ax1.set_title(left_title or "collapse (not available)", fontsize=10)
    ax1.set_xlabel("generation")
    ax1.set_ylim(-0.02, 1.02)
    ax2.set_title("P(risk_t < risk_0): beating the real-only model", fontsize=10)
    ax2.set_xlabel("generation")
    ax2.set_ylim(-0.01, 0.55)
    for ax in (ax1, ax2):
        if ax.lines:
            ax.legend(fontsize=7, title="markers: measured; dashed: theory", title_fontsize=7)
    fig.suptitle("Schedules compared", fontsize=11)
    return fig, pd.DataFrame(rows)
