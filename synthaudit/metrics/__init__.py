"""Drift, population risk, holdout risk, table distances and downstream risk (DESIGN §5).

A package of five modules, imports flowing one way (``base`` ← ``closed`` ← ``drift``,
``tables`` ← ``recorders``); it never imports the engine or the adapters. Three kinds of function,
all pure:

- **closed forms on parameters**, vectorised over replication lanes (θ arrays of shape (B, P) in
  the adapter's parameter order): :func:`kl_divergence` (``KL(P_ref ‖ P_θ)``),
  :func:`param_sq_error`, :func:`holdout_nll` (mean negative log-likelihood of held-out rows,
  from their sufficient statistics, :func:`holdout_statistics`);
- **trace post-processing** (an ``values[r, g, p]`` array, after the run): :func:`standard_errors`,
  :func:`standardised_drift`, :func:`fisher_drift`, :func:`variance_retention`,
  :func:`log_det_ratio`, :func:`level_loss`;
- **table metrics** (per-row path): :func:`ks_statistic`, :func:`tv_distance`,
  :func:`correlation_distance`, :func:`table_distances`, :func:`downstream_risk`.

The :class:`~synthaudit.metrics.Metric` subclasses (``recorders``) record them per generation:

=====================  ==========================================  ==========================
class                  trace names                                 needs
=====================  ==========================================  ==========================
:class:`TruthKL`       ``risk[kl]``                                ``truth=``
:class:`ParamError`    ``risk[param_sq_error]``                    ``truth=``
:class:`HoldoutNLL`    ``risk[holdout_nll]``                       ``holdout=`` > 0
:class:`TableDistance` ``dist[ks:x]``, ``dist[tv:c]``,             per-row path
                       ``dist[corr]`` (to the real pool) and
                       ``dist_gen0[…]`` (to generation 0's table)
:class:`DownstreamRisk` ``risk[downstream:target]``                ``holdout=`` > 0, rows
=====================  ==========================================  ==========================

Parameters are understood from their names (``mean[x]``, ``var[x]``, ``cov[a,b]``,
``p[col=level]``, ``rate[k]``; see :class:`synthaudit.params.ParamLayout`), so the same functions serve the
engine (with the fitted adapter) and the report (with the trace only).

Scale-free drift (:func:`standardised_drift`) divides each parameter's displacement by the
standard error a fit on ``n0`` rows drawn from the reference model would have:

==============  ===============================================
parameter       standard error at the reference θ
==============  ===============================================
``mean[x]``     ``sqrt(σ²_x / n0)``
``var[x]``      ``σ²_x · sqrt(2 / (n0 − 1))``
``cov[a,b]``    ``sqrt((σ²_a σ²_b + σ²_ab) / (n0 − 1))``
``p[c=l]``      ``sqrt(p_l (1 − p_l) / n0)``
``rate[k]``     ``sqrt(λ_k / n0)``
==============  ===============================================

The overall drift (:func:`fisher_drift`) is ``sqrt(n0 · Δθᵀ I(θ_ref) Δθ)``, the displacement in
the Fisher metric at the reference, in the same units: at generation 0 with a known truth it is
distributed (asymptotically) as ``χ_d``, d the number of free parameters.

Examples
--------
>>> import numpy as np
>>> names = ["mean[x]", "var[x]"]
>>> float(kl_divergence(names, [0.0, 1.0], np.array([[0.0, 1.0], [1.0, 1.0]]))[1])
0.5
"""

from __future__ import annotations

from .base import Metric, MetricContext, MetricInfo
from .closed import (
    holdout_nll,
    holdout_statistics,
    holdout_statistics_encoded,
    kl_divergence,
    layout_of,
    param_sq_error,
)
from .drift import (
    drift_origin,
    fisher_drift,
    level_loss,
    log_det_ratio,
    standard_errors,
    standardised_drift,
    variance_retention,
)
from .recorders import (
    DownstreamRisk,
    HoldoutNLL,
    ParamError,
    TableDistance,
    TruthKL,
    default_metrics,
)
from .tables import (
    correlation_distance,
    downstream_risk,
    ks_statistic,
    table_distances,
    tv_distance,
)

__all__ = [
    "DownstreamRisk",
    "HoldoutNLL",
    "Metric",
    "MetricContext",
    "MetricInfo",
    "ParamError",
    "TableDistance",
    "TruthKL",
    "correlation_distance",
    "default_metrics",
    "downstream_risk",
    "drift_origin",
    "fisher_drift",
    "holdout_nll",
    "holdout_statistics",
    "holdout_statistics_encoded",
    "kl_divergence",
    "ks_statistic",
    "layout_of",
    "level_loss",
    "log_det_ratio",
    "param_sq_error",
    "standard_errors",
    "standardised_drift",
    "table_distances",
    "tv_distance",
    "variance_retention",
]
