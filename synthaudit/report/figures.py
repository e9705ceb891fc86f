"""Figures of an audit report, drawn from the report's tidy frames (matplotlib object API: each
function returns a new :class:`matplotlib.figure.Figure` and never touches pyplot's global state,
so they are safe in threads and notebooks).

The functions take *frames* — the tables of :class:`~synthaudit.report.AuditReport` — and never
build a report themselves (``AuditReport.plot_*`` hand them the frames). Panels that carry no
information (all NaN, or flat: the same value at every generation) are not drawn; what was left
out is listed in ``fig.synthaudit_skipped`` (``{panel: why}``), and a figure with nothing left to
draw says so in ``fig.synthaudit_empty`` (``None`` otherwise). The y axis is logarithmic only where
the values are positive and span more than :data:`LOG_RANGE` (a held-out NLL of ~20 stays linear).

Examples
--------
>>> import numpy as np, pandas as pd
>>> tab = pd.DataFrame({"generation": np.arange(6), "risk": "risk[kl]",
...                     "measured": [np.nan, .4, .3, .25, .2, .15], "ci_low": .1, "ci_high": .5,
...                     "predicted": np.nan})
>>> fig = improvement_figure(tab)
>>> type(fig).__name__, fig.synthaudit_empty
('Figure', None)
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

__all__ = [
    "FLAT_PROBABILITY",
    "LOG_RANGE",
    "collapse_figure",
    "compare_figure",
    "drift_fan",
    "flat_reason",
    "improvement_figure",
    "png_base64",
    "risk_figure",
    "variance_figure",
]

_MEASURED = "#1b7a4b"
_PREDICTED = "#c0392b"
#: a y axis is logarithmic only when max/min of its positive values exceeds this
LOG_RANGE = 30.0
_BANDS = ("q05", "q25", "median", "q75", "q95")


def _figure(n_panels: int = 1, *, ncols: int | None = None, panel=(4.6, 3.2)):
    """A grid of panels with fixed margins (in inches, so they do not depend on the grid):
    matplotlib's constrained layout would cost about half of the report's time."""
    from matplotlib.figure import Figure

    ncols = ncols or min(max(n_panels, 1), 3)
    nrows = int(np.ceil(max(n_panels, 1) / ncols))
    w, h = panel[0] * ncols, panel[1] * nrows + 0.35
    fig = Figure(figsize=(w, h))
    fig.subplots_adjust(left=0.75 / w, right=1 - 0.15 / w, bottom=0.5 / h, top=1 - 0.6 / h,
                        wspace=0.9 / panel[0], hspace=0.95 / panel[1])
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    fig.synthaudit_skipped = {}
    fig.synthaudit_empty = None
    return fig, axes[:max(n_panels, 1)]


def _finite(a) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


#: a probability panel (0–1 axis) whose values stay within this of each other is flat
FLAT_PROBABILITY = 0.005


def _flat(values, atol: float = 0.0) -> str | None:
    """Why a panel carries no information (None when it does): no finite value, or every value
    within ``atol`` (plus rounding) of the others."""
    v = np.asarray(values, dtype=float).ravel()
    f = v[np.isfinite(v)]
    if f.size == 0:
        return "no finite value"
    if np.ptp(f) <= atol + 1e-12 * max(1.0, float(np.max(np.abs(f)))):
        if atol:
            return f"stays within {_num(atol)} of {_num(float(np.median(f)))} at every generation"
        return f"{_num(f[0])} at every generation"
    return None


def _num(x: float) -> str:
    return "0" if x == 0 else f"{x:.3g}"


def _empty_figure(text: str):
    fig, axes = _figure(1, panel=(6.0, 1.6))
    ax = axes[0]
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=9,
            transform=ax.transAxes, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.synthaudit_empty = text
    return fig


def flat_reason(fig) -> str | None:
    """Why a figure from this module has nothing to show (``None`` when it has)."""
    return getattr(fig, "synthaudit_empty", None)


def _y_scale(ax, values, extra=()) -> None:
    """Logarithmic y only for positive values spanning more than :data:`LOG_RANGE`."""
    v = np.concatenate([np.asarray(values, dtype=float).ravel(),
                        np.asarray(extra, dtype=float).ravel()])
    v = v[np.isfinite(v)]
    if v.size < 2 or (v <= 0).any():
        return
    lo, hi = float(v.min()), float(v.max())
    if hi / lo > LOG_RANGE:
        from matplotlib.ticker import LogLocator, ScalarFormatter

        ax.set_yscale("log")
        ax.set_ylim(lo / 1.5, hi * 1.5)
        decades = np.log10(hi / lo)
        subs = (1.0,) if decades > 4 else (1.0, 2.0, 5.0) if decades > 1.5 else (1, 2, 3, 5)
        ax.yaxis.set_major_locator(LogLocator(subs=subs))
        fmt = ScalarFormatter()
        fmt.set_scientific(decades > 4)
        ax.yaxis.set_major_formatter(fmt)
        ax.yaxis.set_minor_formatter(_null_formatter())


def _null_formatter():
    from matplotlib.ticker import NullFormatter

    return NullFormatter()


def _band(ax, df: pd.DataFrame, color=_MEASURED, label="median"):
    x = df["generation"].to_numpy()
    ax.fill_between(x, _finite(df["q05"]), _finite(df["q95"]), color=color, alpha=0.15, lw=0,
                    label="5–95 %")
    ax.fill_between(x, _finite(df["q25"]), _finite(df["q75"]), color=color, alpha=0.35, lw=0,
                    label="25–75 %")
    ax.plot(x, _finite(df["median"]), color=color, lw=1.6, label=label)


def _title(name: str, labels: dict | None, width: int = 38) -> str:
    t = (labels or {}).get(name, name)
    return t if len(t) <= width else t[: width - 1] + "…"


def _select(frame: pd.DataFrame, key: str, names, value_cols, max_panels: int, fig_skipped,
            atol: float = 0.0):
    """Names whose panel carries information (in order, at most ``max_panels``)."""
    keep = []
    for name in names:
        d = frame[frame[key] == name]
        why = (_flat(d[[c for c in value_cols if c in d]].to_numpy(dtype=float), atol)
               if len(d) else "no data")
        if why:
            fig_skipped[name] = why
        else:
            keep.append(name)
    return keep[:max_panels]


def drift_fan(parameter_table: pd.DataFrame, parameters=None, *, labels=None,
              reference_label: str = "reference", title: str | None = None,
              max_panels: int = 9):
    """Fan chart per parameter: median and 5–95 % / 25–75 % bands of the fitted value across
    replications, by generation, with the reference as a dashed line.

    ``parameter_table``: columns ``generation, parameter, reference, q05 … q95``
    (:meth:`AuditReport.parameter_table`); ``labels``: ``{parameter: plain-language label}``.
    """
    names = list(parameters if parameters is not None
                 else dict.fromkeys(parameter_table["parameter"]))
    skipped: dict = {}
    keep = _select(parameter_table, "parameter", names, _BANDS, max_panels, skipped)
    if not keep:
        fig = _empty_figure("no parameter moved: every fan is flat")
        fig.synthaudit_skipped = skipped
        return fig
    fig, axes = _figure(len(keep))
    fig.synthaudit_skipped = skipped
    for ax, name in zip(axes, keep):
        d = parameter_table[parameter_table["parameter"] == name]
        _band(ax, d)
        ref = float(d["reference"].iloc[0])
        if np.isfinite(ref):
            ax.axhline(ref, color="#333", ls="--", lw=1, label=reference_label)
        ax.set_title(_title(name, labels), fontsize=10)
        ax.set_xlabel("generation")
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(title or "Parameter drift", fontsize=11)
    return fig


def variance_figure(variance_table: pd.DataFrame, *, eps: float, parameters=None, labels=None,
                    max_panels: int = 6):
    """Variance retention ``σ̂²_t / σ²_base``: median with bands, the exact expected ratio
    (dashed, where theory applies) and the collapse threshold ``eps``.

    ``variance_table``: :meth:`AuditReport.variance_table` (rows ``measure == "ratio"``).
    """
    tab = variance_table[variance_table["measure"] == "ratio"] if len(variance_table) else \
        variance_table
    if not len(tab):
        return _empty_figure("no Gaussian column: variance retention does not apply")
    names = list(parameters if parameters is not None else dict.fromkeys(tab["parameter"]))
    skipped: dict = {}
    keep = _select(tab, "parameter", names, _BANDS, max_panels, skipped)
    if not keep:
        fig = _empty_figure("every variance ratio is flat")
        fig.synthaudit_skipped = skipped
        return fig
    fig, axes = _figure(len(keep))
    fig.synthaudit_skipped = skipped
    for ax, name in zip(axes, keep):
        d = tab[tab["parameter"] == name]
        _band(ax, d)
        if np.isfinite(d["predicted_mean"]).any():
            ax.plot(d["generation"], d["predicted_mean"], color=_PREDICTED, ls="--", lw=1.2,
                    label="E ratio (theory)")
        vals = _finite(d[list(_BANDS)].to_numpy())
        low = np.nanmin(vals) if np.isfinite(vals).any() else np.nan
        if not (low > 3 * eps):  # the threshold is near the data: draw it
            ax.axhline(eps, color="#777", ls=":", lw=1, label=f"eps = {eps:g}")
            _y_scale(ax, vals[vals > 0], extra=[eps])
        else:
            _y_scale(ax, vals[vals > 0])
        ax.set_title(f"{_title(name, labels, 30)} / {d['relative_to'].iloc[0]}", fontsize=10)
        ax.set_xlabel("generation")
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("Variance retention", fontsize=11)
    return fig


def _by_last(frame: pd.DataFrame, key: str, col: str) -> list:
    """Names ordered by their value of ``col`` at the last generation, largest first."""
    last = frame[frame["generation"] == frame["generation"].max()]
    return list(last.sort_values(col, ascending=False, kind="stable")[key])


def collapse_figure(collapse_table: pd.DataFrame, level_loss_table: pd.DataFrame | None = None,
                    *, labels=None, max_panels: int = 6, max_level_panels: int = 3):
    """Measured collapse probability (95 % Wilson band) beside the exact prediction, per
    Gaussian column; for categorical columns, the probability of having lost a level. Panels
    go from the largest probability at the last generation down; the y axis stops a little
    above the largest value shown (a probability of a few percent stays readable).

    Frames: :meth:`AuditReport.collapse_table` and :meth:`AuditReport.level_loss_table`.
    """
    lv = level_loss_table if level_loss_table is not None else pd.DataFrame()
    skipped: dict = {}
    var = []
    if len(collapse_table):
        var = _select(collapse_table, "parameter",
                      _by_last(collapse_table, "parameter", "measured"),
                      ("measured", "predicted"), max_panels, skipped, atol=FLAT_PROBABILITY)
    lvl = []
    if len(lv):
        lvl = _select(lv, "column", _by_last(lv, "column", "p_any_lost"), ("p_any_lost",),
                      max_level_panels, skipped, atol=FLAT_PROBABILITY)
    panels = [("var", n) for n in var] + [("lvl", c) for c in lvl]
    if not panels:
        if not len(collapse_table) and not len(lv):
            return _empty_figure("no Gaussian or categorical column: collapse does not apply")
        fig = _empty_figure("no replication collapsed or lost a level at any generation")
        fig.synthaudit_skipped = skipped
        return fig
    fig, axes = _figure(len(panels))
    fig.synthaudit_skipped = skipped
    for ax, (kind, name) in zip(axes, panels):
        if kind == "var":
            d = collapse_table[collapse_table["parameter"] == name]
            ylab = f"P(ratio ≤ {d['eps'].iloc[0]:g})"
            title = f"collapse: {_title(name, labels, 30)}"
            y = d["measured"]
        else:
            d = lv[lv["column"] == name]
            ylab = "P(≥ 1 level lost)"
            title = f"level loss: {name}"
            y = d["p_any_lost"]
        x = d["generation"]
        ax.fill_between(x, d["ci_low"], d["ci_high"], color=_MEASURED, alpha=0.25, lw=0,
                        label="95 % CI")
        ax.plot(x, y, color=_MEASURED, marker="o", ms=2.5, lw=1, label="measured")
        top = np.nanmax(d["ci_high"].to_numpy(dtype=float))
        if kind == "var" and np.isfinite(d["predicted"]).any():
            ax.plot(x, d["predicted"], color=_PREDICTED, ls="--", lw=1.4, label="theory")
            top = max(top, np.nanmax(d["predicted"].to_numpy(dtype=float)))
        ax.set_ylim(0, min(1.0, max(0.05, 1.15 * top)) + 0.01)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("generation")
        ax.set_ylabel(ylab)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("Collapse probability", fontsize=11)
    return fig


def improvement_figure(improvement_table: pd.DataFrame, *, risk_labels=None):
    """``P(risk_t < risk_0)`` measured (95 % Wilson band) beside theory.

    ``improvement_table``: :meth:`AuditReport.improvement_table`.
    """
    tab = improvement_table
    if not len(tab) or not np.isfinite(tab["measured"].to_numpy(dtype=float)).any():
        return _empty_figure("improvement probability not available: no risk recorded "
                             "(record TruthKL with a truth, or HoldoutNLL with a holdout)")
    fig, axes = _figure(1, panel=(6.0, 3.6))
    ax = axes[0]
    x = tab["generation"]
    ax.fill_between(x, tab["ci_low"], tab["ci_high"], color=_MEASURED, alpha=0.25, lw=0,
                    label="95 % CI")
    ax.plot(x, tab["measured"], color=_MEASURED, marker="o", ms=2.5, lw=1, label="measured")
    if "predicted" in tab and np.isfinite(tab["predicted"].to_numpy(dtype=float)).any():
        d = tab["d"].iloc[0] if "d" in tab else None
        ax.plot(x, tab["predicted"], color=_PREDICTED, ls="--", lw=1.4,
                label="theory" + (f" (d = {d})" if d is not None else ""))
    top = float(np.nanmax(tab["ci_high"].to_numpy(dtype=float)))
    ax.set_ylim(0, max(0.55, top + 0.02))
    ax.axhline(0.5, color="#999", ls=":", lw=1)
    ax.set_xlabel("generation")
    ax.set_ylabel("P(risk_t < risk_0)")
    risk = tab["risk"].iloc[0]
    ax.set_title(f"Probability of beating the real-only model "
                 f"({(risk_labels or {}).get(risk, risk)})", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def risk_figure(risk_table: pd.DataFrame, *, risk_labels=None, max_panels: int = 6):
    """Each risk by generation: median and bands across replications; infinite values (lost
    support) are left out of the bands and counted in the title. Logarithmic y only where the
    values span more than :data:`LOG_RANGE`.

    ``risk_table``: :meth:`AuditReport.risk_table`.
    """
    if not len(risk_table):
        return _empty_figure("no risk recorded")
    skipped: dict = {}
    keep = _select(risk_table, "risk", dict.fromkeys(risk_table["risk"]), _BANDS, max_panels,
                   skipped)
    if not keep:
        fig = _empty_figure("every risk is flat or infinite")
        fig.synthaudit_skipped = skipped
        return fig
    fig, axes = _figure(len(keep))
    fig.synthaudit_skipped = skipped
    for ax, name in zip(axes, keep):
        d = risk_table[risk_table["risk"] == name]
        _band(ax, d)
        _y_scale(ax, _finite(d[list(_BANDS)].to_numpy()))
        pinf = float(d["p_infinite"].max())
        title = (risk_labels or {}).get(name, name) + (
            f"  ({pinf:.0%} infinite)" if pinf > 0 else "")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("generation")
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("Risk by generation", fontsize=11)
    return fig


def compare_figure(curves: list[dict], *, left_title: str, eps: float):
    """Overlay several audits (:func:`synthaudit.report.compare_schedules` builds ``curves``).

    Each curve is ``{"legend": str, "left": frame or None, "left_predicted": bool,
    "right": frame or None}`` where ``left`` has ``generation, measured`` (and ``predicted``)
    for collapse or level loss and ``right`` has ``generation, measured, predicted`` for the
    improvement probability.
    """
    fig, (ax1, ax2) = _figure(2, ncols=2, panel=(5.4, 3.8))
    for i, c in enumerate(curves):
        col = f"C{i % 10}"
        left = c.get("left")
        if left is not None and len(left):
            style = "o" if c.get("left_predicted") else "o-"
            ax1.plot(left["generation"], left["measured"], style, ms=2.5, lw=1, color=col,
                     label=c["legend"])
            if "predicted" in left and np.isfinite(left["predicted"].to_numpy(float)).any():
                ax1.plot(left["generation"], left["predicted"], "--", lw=1.2, color=col)
        right = c.get("right")
        if right is not None and len(right):
            ax2.plot(right["generation"], right["measured"], "o", ms=2.5, color=col,
                     label=c["legend"])
            if np.isfinite(right["predicted"].to_numpy(float)).any():
                ax2.plot(right["generation"], right["predicted"], "--", lw=1.2, color=col)
    ax1.set_title(left_title, fontsize=10)
    ax1.set_xlabel("generation")
    ax1.set_ylim(-0.02, 1.02)
    ax2.set_title("P(risk_t < risk_0): beating the real-only model", fontsize=10)
    ax2.set_xlabel("generation")
    ax2.set_ylim(-0.01, 0.55)
    for ax in (ax1, ax2):
        if ax.lines:
            ax.legend(fontsize=7, title="markers: measured; dashed: theory", title_fontsize=7)
    fig.suptitle("Schedules compared", fontsize=11)
    return fig


def png_base64(fig, dpi: int = 80) -> str:
    """A figure as base64 PNG (for the HTML page)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")
