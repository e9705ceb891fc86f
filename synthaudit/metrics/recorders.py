"""The metrics the engine records per generation (see the table in :mod:`synthaudit.metrics`)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from ..exceptions import ValidationError
from ..params import quote
from .base import Metric, MetricContext, MetricInfo
from .closed import _require_complete, holdout_nll, kl_divergence, param_sq_error
from .tables import _labels_of, downstream_risk, is_numeric, table_distances

__all__ = [
    "DownstreamRisk",
    "HoldoutNLL",
    "ParamError",
    "TableDistance",
    "TruthKL",
    "default_metrics",
]


class TruthKL(Metric):
    """``risk[kl]``: ``KL(P_truth ‖ P_θ_t)`` in closed form (needs ``truth=``)."""

    info: ClassVar[MetricInfo] = MetricInfo(
        "kl", "min", (0.0, float("inf")), frozenset({"truth"}),
        "KL divergence from the true distribution to generation t's model (nats)",
    )

    def names(self, ctx: MetricContext) -> list[str]:
        self.check_needs(ctx)
        _require_complete(ctx.layout, "metric TruthKL")
        return ["risk[kl]"]

    def from_params(self, ctx, theta):
        return kl_divergence(ctx.layout, ctx.reference, theta)[:, None]


class ParamError(Metric):
    """``risk[param_sq_error]``: ``‖θ_t − θ*‖²`` (needs ``truth=``)."""

    info: ClassVar[MetricInfo] = MetricInfo(
        "param_sq_error", "min", (0.0, float("inf")), frozenset({"truth"}),
        "squared distance of generation t's parameters from the true ones",
    )

    def names(self, ctx: MetricContext) -> list[str]:
        self.check_needs(ctx)
        return ["risk[param_sq_error]"]

    def from_params(self, ctx, theta):
        return param_sq_error(ctx.reference, theta)[:, None]


class HoldoutNLL(Metric):
    """``risk[holdout_nll]``: mean negative log-likelihood of the real holdout rows (nats/row).

    Needs ``holdout > 0`` in :func:`~synthaudit.run_audit` and parameters of a known family
    (a parametric adapter, or a synthesizer measured through the mixed reference model).
    """

    info: ClassVar[MetricInfo] = MetricInfo(
        "holdout_nll", "min", (-float("inf"), float("inf")), frozenset({"holdout"}),
        "mean negative log-likelihood of held-out real rows (nats per row)",
    )

    def names(self, ctx: MetricContext) -> list[str]:
        self.check_needs(ctx)
        _require_complete(ctx.layout, "metric HoldoutNLL")
        return ["risk[holdout_nll]"]

    def from_params(self, ctx, theta):
        return holdout_nll(ctx.layout, theta, ctx.holdout_stats)[:, None]


def _columns(ctx: MetricContext, columns) -> list:
    if ctx.pool is None:
        raise ValidationError("table metrics need the real pool in the metric context.")
    cols = list(ctx.pool.columns) if columns is None else list(columns)
    missing = [c for c in cols if c not in ctx.pool.columns]
    if missing:
        raise ValidationError(f"column(s) {missing} not in the table; available: "
                              f"{list(ctx.pool.columns)}.")
    return cols


class TableDistance(Metric):
    """Distances of each generation's training table to the real pool and to generation 0.

    Trace names: ``dist[ks:x]`` (numeric: Kolmogorov–Smirnov statistic), ``dist[tv:c]``
    (categorical: total variation), ``dist[corr]`` (Frobenius norm of the difference of the
    numeric correlation matrices, with ≥ 2 numeric columns), all against the real pool; the same
    with ``dist_gen0[…]`` against the replication's generation-0 table.

    Parameters
    ----------
    against : tuple of {"pool", "generation0"}
    columns : list of str, optional
        Default: every column of the real table.
    backend : {"scipy", "sdmetrics"}
        ``sdmetrics`` uses KSComplement / TVComplement (same numbers, slow import).
    """

    info: ClassVar[MetricInfo] = MetricInfo(
        "dist", "min", (0.0, float("inf")), frozenset({"tables"}),
        "column-wise distances of generation t's table to the real pool / generation 0",
    )
    vectorised: ClassVar[bool] = False

    def __init__(self, against=("pool", "generation0"), columns=None, backend: str = "scipy"):
        bad = [a for a in against if a not in ("pool", "generation0")]
        if bad or not against:
            raise ValidationError(
                f"`against` must name 'pool' and/or 'generation0'; got {list(against)!r}."
            )
        if backend not in ("scipy", "sdmetrics"):
            raise ValidationError(f"`backend` must be 'scipy' or 'sdmetrics'; got {backend!r}.")
        self.against, self.columns, self.backend = tuple(against), columns, backend

    def _keys(self, ctx: MetricContext) -> list[str]:
        cols = _columns(ctx, self.columns)
        num = [c for c in cols if is_numeric(ctx.pool[c])]
        keys = [f"ks:{quote(c)}" if c in num else f"tv:{quote(c)}" for c in cols]
        return keys + (["corr"] if len(num) >= 2 else [])

    def names(self, ctx: MetricContext) -> list[str]:
        keys = self._keys(ctx)
        prefix = {"pool": "dist", "generation0": "dist_gen0"}
        return [f"{prefix[a]}[{k}]" for a in self.against for k in keys]

    def from_table(self, ctx, model, table, theta, *, generation, baseline_table=None):
        cols = _columns(ctx, self.columns)
        keys = self._keys(ctx)
        raw = [k.split(":", 1)[0] + ":" + str(c) for k, c in zip(keys, cols)] + keys[len(cols):]
        out = []
        for a in self.against:
            ref = ctx.pool[cols] if a == "pool" else (
                None if baseline_table is None else baseline_table[cols])
            if ref is None:
                out += [np.nan] * len(keys)
                continue
            d = table_distances(table[cols], ref, backend=self.backend)
            out += [d[k] for k in raw]
        return np.asarray(out, dtype=float)


class DownstreamRisk(Metric):
    """``risk[downstream:target]``: a scikit-learn model trained on each generation's table,
    scored on the real holdout (log-loss for a categorical target, squared error for a numeric
    one); see :func:`~synthaudit.metrics.downstream_risk`. Needs ``holdout > 0`` and the
    per-row path."""

    info: ClassVar[MetricInfo] = MetricInfo(
        "downstream", "min", (0.0, float("inf")), frozenset({"holdout", "tables"}),
        "loss on held-out real rows of a model trained on generation t's table",
    )
    vectorised: ClassVar[bool] = False

    def __init__(self, target: str, task: str | None = None):
        self.target, self.task = target, task

    def names(self, ctx: MetricContext) -> list[str]:
        self.check_needs(ctx)
        if self.target not in ctx.pool.columns:
            raise ValidationError(
                f"DownstreamRisk: `target` {self.target!r} is not a column; available: "
                f"{list(ctx.pool.columns)}."
            )
        return [f"risk[downstream:{quote(self.target)}]"]

    def from_table(self, ctx, model, table, theta, *, generation, baseline_table=None):
        y = ctx.pool[self.target]
        labels = None
        if not is_numeric(y) or self.task == "classification":
            labels = _labels_of(pd.concat([y, ctx.holdout[self.target]], ignore_index=True)
                                if not isinstance(y.dtype, pd.CategoricalDtype) else y)
        cols = [c for c in ctx.pool.columns if c in table.columns]
        return np.array([downstream_risk(table[cols], ctx.holdout[cols], self.target,
                                         labels=labels, task=self.task)])


def default_metrics(ctx: MetricContext) -> list[Metric]:
    """What the engine records by default: ``ParamError`` when the truth is known, ``TruthKL``
    when it is and the parameters have closed forms (Gaussian, categorical, Poisson), and
    ``HoldoutNLL`` when a holdout exists and they have.

    Examples
    --------
    >>> from synthaudit.params import gaussian_layout
    >>> ctx = MetricContext(gaussian_layout(["x"]), np.array([0.0, 1.0]), "truth", 100)
    >>> [type(m).__name__ for m in default_metrics(ctx)]
    ['TruthKL', 'ParamError']
    """
    out: list[Metric] = []
    if ctx.has_truth and ctx.layout.complete:
        out.append(TruthKL())
    if ctx.has_truth:
        out.append(ParamError())
    if ctx.has_holdout and ctx.layout.complete:
        out.append(HoldoutNLL())
    return out
