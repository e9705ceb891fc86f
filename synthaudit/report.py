"""The audit report: drift, population risk, collapse and improvement probability, measured
beside theory, as tidy tables, figures, a verdict and one self-contained HTML file.

:class:`AuditReport` reads only the trace of an audit (``values``, ``quantities``, ``parameters``,
``n_rows``, ``reference``, ``config``, ``provenance``, ``n_free_params``): it never refits a model.

Conventions (DESIGN §5):

- **Collapse** of a Gaussian column is ``σ̂²_t / σ²_base ≤ eps``. With a known truth, generation 0
  is itself random (``n0`` fresh rows from the truth), so the base is the *true* variance and the
  theory is :func:`~synthaudit.theory.collapse_probability` with ``include_baseline=True``. With a
  real table the truth is unknown: the base is each replication's own generation 0 (the fit on
  its ``n0`` real rows — the same for every replication when ``n0`` is the pool size) and the
  theory is the law of ``Π W_t`` with ``include_baseline=False``. Under the replace workflow
  ``σ̂²_T / σ̂²_0 = Π W_t`` is independent of ``σ̂²_0`` however generation 0 was drawn, so that
  prediction is exact for every ``n0``. Theory is shown for the replace workflow and the
  ``gaussian`` / ``mixed`` adapters only (NaN otherwise).
- **Improvement** is ``risk_t < risk_0`` within a replication. The risk is, in this order of
  preference: the recorded ``risk[kl]`` (truth known), the recorded ``risk[holdout_nll]``, the
  KL divergence to the truth computed from the parameters, or (real table with ``n0`` smaller
  than the pool) the KL divergence to the fit on the whole real table. The prediction is
  :func:`~synthaudit.theory.improvement_probability` with ``d = n_free_params`` (replace
  workflow, asymptotic in the sample sizes). For a real table with ``n0`` = the pool it averages
  over the real samples one could have drawn; a single table's measured value scatters around it.

Examples
--------
>>> import numpy as np, pandas as pd
>>> import synthaudit as sa
>>> from synthaudit.metrics import TruthKL
>>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=100)})
>>> res = sa.run_audit(df, adapter="gaussian", schedule="const:100", n_generations=30,
...                    n_replications=500, seed=1, truth={"mean[x]": 0.0, "var[x]": 1.0},
...                    n0=100, metrics=[TruthKL()])
>>> rep = AuditReport.from_result(res)
>>> rep.improvement_table().columns.tolist()[:6]
['generation', 'n_rows', 'risk', 'measured', 'ci_low', 'ci_high']
>>> "generation 30" in rep.verdict()
True
"""

from __future__ import annotations

import base64
import html
import io
import json
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from . import metrics as _metrics
from . import theory as _theory
from .exceptions import ValidationError

__all__ = ["AuditReport", "compare_schedules", "wilson_interval"]

_QUANTILES = (("q05", 0.05), ("q25", 0.25), ("median", 0.5), ("q75", 0.75), ("q95", 0.95))
_REQUIRED = ("values", "quantities", "parameters", "n_rows", "reference", "config")
_THEORY_ADAPTERS_VAR = ("gaussian", "mixed")
_THEORY_ADAPTERS_RISK = ("gaussian", "mixed", "categorical", "poisson")
_BIG = 1e300


def wilson_interval(k, n, z: float = 1.959963984540054):
    """Wilson score interval for a binomial proportion ``k / n`` (vectorised).

    Examples
    --------
    >>> lo, hi = wilson_interval(3, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0103, 0.0845)
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        den = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / den
        half = z / den * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo = np.where(k <= 0, 0.0, np.clip(centre - half, 0, 1))
    hi = np.where(k >= n, 1.0, np.clip(centre + half, 0, 1))
    return lo, hi


def _quantiles(a: np.ndarray) -> dict[str, np.ndarray]:
    """Quantiles along axis 0, NaN-aware, with ±inf kept (no inf − inf interpolation)."""
    a = np.asarray(a, dtype=float)
    b = np.clip(np.where(np.isposinf(a), _BIG, np.where(np.isneginf(a), -_BIG, a)), -_BIG, _BIG)
    fin = np.where(np.isfinite(a), a, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        top = np.nanmax(fin, axis=0) if a.shape[0] else np.nan
        bottom = np.nanmin(fin, axis=0) if a.shape[0] else np.nan
    top = np.where(np.isnan(top), -_BIG, top)
    bottom = np.where(np.isnan(bottom), _BIG, bottom)
    out = {}
    for name, q in _QUANTILES:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            v = np.nanquantile(b, q, axis=0) if a.shape[0] else np.full(a.shape[1:], np.nan)
        # a quantile beyond every finite value interpolates towards ±inf: it is ±inf
        out[name] = np.where(v > top, np.inf, np.where(v < bottom, -np.inf, v))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out["mean"] = np.nanmean(a, axis=0) if a.shape[0] else np.full(a.shape[1:], np.nan)
    return out


def _fmt_p(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    if x < 0.001:
        return f"{x:.1e}"
    return f"{x:.3f}" if x < 0.1 else f"{x:.2f}"


def _pct(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{100 * x:.2g}%" if x < 0.1 else f"{100 * x:.0f}%"


class AuditReport:
    """Tables, figures, a verdict and an HTML report from one audit's trace.

    Parameters
    ----------
    result : AuditResult or any object with ``values, quantities, parameters, n_rows,
        reference, config`` (``provenance``, ``n_free_params``, ``reference_kind`` optional)
    eps : float
        Collapse threshold: a replication has collapsed when its variance ratio is ≤ ``eps``.
    generations : sequence of int, optional
        Generations the tables show (default: all when T ≤ 100, else 101 evenly spaced).
    """

    def __init__(self, result, *, eps: float = 0.05, generations: Sequence[int] | None = None):
        missing = [a for a in _REQUIRED if not hasattr(result, a)]
        if missing:
            raise ValidationError(
                f"AuditReport needs an audit result (e.g. from run_audit); the object given "
                f"({type(result).__name__}) lacks {missing}."
            )
        if not (isinstance(eps, (int, float)) and 0 < eps < 1):
            raise ValidationError(f"`eps` must be a number in (0, 1); got {eps!r}.")
        self.result = result
        self.eps = float(eps)
        self.values = np.asarray(result.values, dtype=float)
        if self.values.ndim != 3:
            raise ValidationError(f"`values` must be 3-D (R, G+1, Q); got {self.values.shape}.")
        self.quantities = tuple(result.quantities)
        self.parameters = tuple(result.parameters)
        self.n_rows = np.asarray(result.n_rows, dtype=np.int64)
        self.reference = pd.Series(result.reference, dtype=float)
        self.config = dict(result.config)
        self.provenance = dict(getattr(result, "provenance", {}) or {})
        self.reference_kind = getattr(result, "reference_kind", None) or self.config.get(
            "reference", "real")
        self.layout = _metrics.layout_of(self.parameters)
        d = getattr(result, "n_free_params", None)
        if d is None and self.layout.complete:
            d = self.layout.n_free_params
        self.n_free_params = None if d is None else int(d)
        G = self.n_generations
        if generations is None:
            gens = np.arange(G + 1) if G <= 100 else np.unique(np.linspace(0, G, 101).round())
        else:
            gens = np.unique(np.asarray(list(generations), dtype=np.int64))
            if gens.size == 0 or gens.min() < 0 or gens.max() > G:
                raise ValidationError(f"`generations` must lie in 0..{G}; got {list(generations)}.")
        self.generations = gens.astype(np.int64)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_result(cls, result, *, eps: float = 0.05, **kwargs) -> AuditReport:
        """The report of an in-memory result (an :class:`~synthaudit.engine.AuditResult`)."""
        if isinstance(result, AuditReport):
            return cls(result.result, eps=eps, **kwargs)
        return cls(result, eps=eps, **kwargs)

    @classmethod
    def from_run(cls, path, *, eps: float = 0.05, **kwargs) -> AuditReport:
        """The report of a run directory written by ``run_audit(..., run_dir=path)``."""
        try:
            from .store import load_run
        except ImportError:  # pragma: no cover - store missing
            raise NotImplementedError(
                "reading a run directory needs synthaudit.store.load_run, which is not available; "
                "build the report from the in-memory result with AuditReport.from_result(result)."
            ) from None
        return cls(load_run(path), eps=eps, **kwargs)

    # -- basic facts ----------------------------------------------------------------------
    @property
    def n_replications(self) -> int:
        return self.values.shape[0]

    @property
    def n_generations(self) -> int:
        return self.values.shape[1] - 1

    @property
    def n0(self) -> int:
        return int(self.config.get("n0", self.n_rows[0]))

    @property
    def workflow(self) -> str:
        return str(self.config.get("workflow", "replace"))

    @property
    def adapter(self) -> str:
        return str(self.config.get("adapter", "?"))

    @property
    def estimator(self) -> str:
        return str((self.config.get("adapter_params") or {}).get("estimator") or "unbiased")

    @property
    def schedule_spec(self) -> str:
        return str(self.config.get("schedule", "?"))

    @property
    def sizes(self) -> np.ndarray:
        """``n_1 … n_T`` (synthetic rows per generation; the training sizes under replace)."""
        try:
            from . import schedules

            return schedules.parse(self.schedule_spec).sizes(self.n_generations)
        except (TypeError, ValueError):  # not a schedule spec: the recorded training sizes
            return self.n_rows[1:]

    @property
    def total_synthetic_rows(self) -> int:
        return int(np.sum(self.sizes))

    @property
    def _replace(self) -> bool:
        return self.workflow == "replace"

    def _q(self, name: str) -> np.ndarray:
        return self.values[:, :, self.quantities.index(name)]

    @cached_property
    def _theta(self) -> np.ndarray:
        idx = [self.quantities.index(p) for p in self.parameters]
        return self.values[:, :, idx]

    @cached_property
    def _theta_ref(self) -> np.ndarray:
        return self.reference.reindex(list(self.parameters)).to_numpy(dtype=float)

    def _frame_head(self, gens) -> dict:
        return {"generation": gens, "n_rows": self.n_rows[gens]}

    # -- drift ----------------------------------------------------------------------------
    def parameter_table(self, generations=None) -> pd.DataFrame:
        """Per generation × parameter: the reference and quantiles of the fitted value."""
        gens = self._gens(generations)
        rows = []
        for j, name in enumerate(self.parameters):
            q = _quantiles(self._theta[:, gens, j])
            rows.append(pd.DataFrame({
                **self._frame_head(gens), "parameter": name,
                "reference": self._theta_ref[j], **q}))
        return _concat(rows)

    def drift_table(self, generations=None, *, origin: str = "reference",
                    standardised: bool = True) -> pd.DataFrame:
        """Per generation × parameter: quantiles across replications of the drift.

        Drift is ``θ_t − θ_origin`` (``origin``: ``"reference"`` or ``"generation0"``), divided
        by generation 0's standard error at the reference when ``standardised`` (see
        :mod:`synthaudit.metrics`). The extra parameter ``overall`` is the Fisher-metric drift
        ``sqrt(n0 · Δθᵀ I Δθ)`` (always standardised; χ_d-sized at generation 0 with a truth).

        Columns: ``generation, n_rows, parameter, origin, scale, q05, q25, median, q75, q95,
        mean``.
        """
        gens = self._gens(generations)
        th = self._theta
        if standardised:
            D = _metrics.standardised_drift(self.layout, th, self._theta_ref, self.n0,
                                            origin=origin)
        else:
            D = th - _metrics._origin(th, self._theta_ref, origin)
        rows = []
        scale = "standard errors" if standardised else "raw"
        for j, name in enumerate(self.parameters):
            rows.append(pd.DataFrame({**self._frame_head(gens), "parameter": name,
                                      "origin": origin, "scale": scale,
                                      **_quantiles(D[:, gens, j])}))
        if self.layout.complete:
            F = self._fisher(origin)
            rows.append(pd.DataFrame({**self._frame_head(gens), "parameter": "overall",
                                      "origin": origin, "scale": "standard errors",
                                      **_quantiles(F[:, gens])}))
        return _concat(rows)

    def _fisher(self, origin="reference") -> np.ndarray:
        return _metrics.fisher_drift(self.layout, self._theta, self._theta_ref, self.n0,
                                     origin=origin)

    # -- variance and collapse --------------------------------------------------------------
    @property
    def _variance_base(self) -> str:
        return "truth" if self.reference_kind == "truth" else "generation 0"

    def _variance_ratios(self) -> dict[str, np.ndarray]:
        out = {}
        for name in self.layout.variance_names:
            v = self._q(name)
            with np.errstate(divide="ignore", invalid="ignore"):
                if self.reference_kind == "truth":
                    out[name] = v / float(self.reference[name])
                else:
                    out[name] = v / v[:, :1]
        return out

    @property
    def _variance_theory(self) -> bool:
        return self._replace and self.adapter in _THEORY_ADAPTERS_VAR

    def variance_table(self, generations=None) -> pd.DataFrame:
        """Variance retention ``σ̂²_t / σ²_base`` per Gaussian column (base: see module doc), and
        ``log|Σ_t| − log|Σ_base|`` for a multivariate block; ``predicted_mean`` is the exact
        ``E[σ̂²_t / σ²_base]`` (replace workflow).

        Columns: ``generation, n_rows, parameter, measure, relative_to, q05 … q95, mean,
        predicted_mean``.
        """
        gens = self._gens(generations)
        rows = []
        for name, R in self._variance_ratios().items():
            pred = np.full(len(gens), np.nan)
            if self._variance_theory:
                pred = np.array([
                    _theory.expected_variance_ratio(
                        self.n0, self.sizes[:g], estimator=self.estimator,
                        include_baseline=self.reference_kind == "truth")
                    for g in gens])
            rows.append(pd.DataFrame({**self._frame_head(gens), "parameter": name,
                                      "measure": "ratio", "relative_to": self._variance_base,
                                      **_quantiles(R[:, gens]), "predicted_mean": pred}))
        if len(self.layout.gaussian_columns) >= 2:
            th = self._theta
            if self.reference_kind == "truth":
                L = _metrics.log_det_ratio(self.layout, th, self._theta_ref)
            else:
                L = self._logdet_vs_gen0(th)
            rows.append(pd.DataFrame({**self._frame_head(gens), "parameter": "logdet",
                                      "measure": "log_det_ratio",
                                      "relative_to": self._variance_base,
                                      **_quantiles(L[:, gens]),
                                      "predicted_mean": np.nan}))
        return _concat(rows)

    def _logdet_vs_gen0(self, th) -> np.ndarray:
        ci = self.layout.cov_index
        s, ld = np.linalg.slogdet(th[..., ci])
        ld = np.where(s > 0, ld, -np.inf)
        return ld - ld[:, :1]

    def collapse_table(self, eps: float | None = None, generations=None) -> pd.DataFrame:
        """Per generation × Gaussian column: the measured ``P(σ̂²_t / σ²_base ≤ eps)`` with a 95 %
        Wilson interval, beside the exact prediction (:func:`synthaudit.theory.collapse_probability`;
        NaN when the theory does not apply: other workflows or adapters).

        Columns: ``generation, n_rows, parameter, eps, relative_to, measured, ci_low, ci_high,
        predicted, n_replications``.
        """
        eps = self.eps if eps is None else float(eps)
        gens = self._gens(generations)
        R = self.n_replications
        rows = []
        for name, ratio in self._variance_ratios().items():
            k = np.sum(ratio[:, gens] <= eps, axis=0)
            lo, hi = wilson_interval(k, R)
            rows.append(pd.DataFrame({**self._frame_head(gens), "parameter": name, "eps": eps,
                                      "relative_to": self._variance_base, "measured": k / R,
                                      "ci_low": lo, "ci_high": hi,
                                      "predicted": self._collapse_theory(eps, gens),
                                      "n_replications": R}))
        return _concat(rows, columns=["generation", "n_rows", "parameter", "eps", "relative_to",
                                      "measured", "ci_low", "ci_high", "predicted",
                                      "n_replications"])

    def _collapse_theory(self, eps, gens) -> np.ndarray:
        if not self._variance_theory:
            return np.full(len(gens), np.nan)
        sizes = self.sizes
        truth = self.reference_kind == "truth"
        return np.array([
            float(_theory.collapse_probability(eps, self.n0, sizes[:g], estimator=self.estimator,
                                               include_baseline=truth))
            for g in gens])

    def level_loss_table(self, generations=None) -> pd.DataFrame:
        """Per generation × categorical column: lost levels (probability 0 where the reference's
        is positive). Columns: ``generation, n_rows, column, n_levels, mean_lost, max_lost,
        p_any_lost, ci_low, ci_high``."""
        gens = self._gens(generations)
        R = self.n_replications
        rows = []
        for label, (cnt, k) in _metrics.level_loss(self.layout, self._theta,
                                                    self._theta_ref).items():
            c = cnt[:, gens]
            anyl = np.sum(c > 0, axis=0)
            lo, hi = wilson_interval(anyl, R)
            rows.append(pd.DataFrame({**self._frame_head(gens), "column": label, "n_levels": k,
                                      "mean_lost": c.mean(axis=0), "max_lost": c.max(axis=0),
                                      "p_any_lost": anyl / R, "ci_low": lo, "ci_high": hi}))
        return _concat(rows, columns=["generation", "n_rows", "column", "n_levels", "mean_lost",
                                      "max_lost", "p_any_lost", "ci_low", "ci_high"])

    def any_level_lost(self, generation: int) -> float:
        """Share of replications that lost at least one level of *any* categorical column by
        ``generation`` (NaN without categorical columns)."""
        losses = _metrics.level_loss(self.layout, self._theta, self._theta_ref)
        if not losses:
            return float("nan")
        total = sum(cnt[:, generation] for cnt, _ in losses.values())
        return float(np.mean(total > 0))

    # -- risk and improvement ---------------------------------------------------------------
    @cached_property
    def _risks(self) -> dict[str, tuple[np.ndarray, str]]:
        """name -> (array (R, G+1), source) for every risk available."""
        out = {}
        for q in self.quantities:
            if q.startswith("risk["):
                out[q] = (self._q(q), "recorded")
        if self.layout.complete and "risk[kl]" not in out:
            th = self._theta.reshape(-1, len(self.parameters))
            if self.reference_kind == "truth":
                kl = _metrics.kl_divergence(self.layout, self._theta_ref, th)
                out["risk[kl]"] = (kl.reshape(self.values.shape[:2]), "computed from parameters")
            elif self.n0 < int(self.config.get("pool_rows", self.n0)):
                kl = _metrics.kl_divergence(self.layout, self._theta_ref, th)
                out["risk[kl_to_reference]"] = (
                    kl.reshape(self.values.shape[:2]),
                    "computed from parameters (KL to the fit on the whole real table)")
        return out

    def risk_table(self, generations=None) -> pd.DataFrame:
        """Per generation × risk: quantiles across replications, the fraction infinite (a lost
        level or variance) and where the number comes from. Columns: ``generation, n_rows,
        risk, source, q05 … q95, mean, p_infinite``."""
        gens = self._gens(generations)
        rows = []
        for name, (a, source) in self._risks.items():
            x = a[:, gens]
            rows.append(pd.DataFrame({**self._frame_head(gens), "risk": name, "source": source,
                                      **_quantiles(x), "p_infinite": np.mean(np.isinf(x), axis=0)}))
        return _concat(rows, columns=["generation", "n_rows", "risk", "source", "q05", "q25",
                                      "median", "q75", "q95", "mean", "p_infinite"])

    @property
    def improvement_risk(self) -> str | None:
        """The risk used for the improvement probability (None when none is available)."""
        for name in ("risk[kl]", "risk[holdout_nll]", "risk[kl_to_reference]"):
            if name in self._risks:
                return name
        return None

    @property
    def _improvement_theory(self) -> bool:
        return (self._replace and self.adapter in _THEORY_ADAPTERS_RISK
                and self.n_free_params is not None)

    def improvement_table(self, risk: str | None = None, generations=None) -> pd.DataFrame:
        """Per generation t ≥ 1: the measured ``P(risk_t < risk_0)`` with a 95 % Wilson
        interval, beside :func:`synthaudit.theory.improvement_probability` (d = number of free
        parameters; replace workflow). An empty frame when no risk is available (record
        ``TruthKL`` with a truth, or ``HoldoutNLL`` with a holdout).

        Columns: ``generation, n_rows, risk, measured, ci_low, ci_high, predicted, d,
        n_replications``.
        """
        cols = ["generation", "n_rows", "risk", "measured", "ci_low", "ci_high", "predicted",
                "d", "n_replications"]
        risk = risk or self.improvement_risk
        if risk is None:
            return pd.DataFrame(columns=cols)
        if risk not in self._risks:
            raise ValidationError(f"unknown risk {risk!r}; available: {list(self._risks)}.")
        gens = self._gens(generations)
        gens = gens[gens >= 1]
        a = self._risks[risk][0]
        R = self.n_replications
        with np.errstate(invalid="ignore"):
            k = np.sum(a[:, gens] < a[:, :1], axis=0)
        lo, hi = wilson_interval(k, R)
        pred = np.full(len(gens), np.nan)
        if self._improvement_theory and len(gens):
            pred = np.atleast_1d(_theory.improvement_probability(
                self.n0, self.sizes, gens.tolist(), d=self.n_free_params))
        return pd.DataFrame({**self._frame_head(gens), "risk": risk, "measured": k / R,
                             "ci_low": lo, "ci_high": hi, "predicted": pred,
                             "d": self.n_free_params, "n_replications": R})[cols]

    def mean_improvement_table(self, generations=None) -> pd.DataFrame:
        """Per Gaussian mean, with a known truth: measured ``P(|μ_t − μ| < |μ_0 − μ|)`` beside
        :func:`synthaudit.theory.mean_improvement_probability` (replace workflow)."""
        cols = ["generation", "n_rows", "parameter", "measured", "ci_low", "ci_high",
                "predicted", "n_replications"]
        if self.reference_kind != "truth" or not len(self.layout.gaussian_columns):
            return pd.DataFrame(columns=cols)
        gens = self._gens(generations)
        gens = gens[gens >= 1]
        R = self.n_replications
        pred = np.full(len(gens), np.nan)
        if self._variance_theory and len(gens):
            pred = np.atleast_1d(_theory.mean_improvement_probability(self.n0, self.sizes,
                                                                      gens.tolist()))
        rows = []
        for j in self.layout.mean_index:
            name = self.parameters[j]
            err = np.abs(self._theta[:, :, j] - self._theta_ref[j])
            k = np.sum(err[:, gens] < err[:, :1], axis=0)
            lo, hi = wilson_interval(k, R)
            rows.append(pd.DataFrame({**self._frame_head(gens), "parameter": name,
                                      "measured": k / R, "ci_low": lo, "ci_high": hi,
                                      "predicted": pred, "n_replications": R}))
        return _concat(rows, columns=cols)

    # -- summary and verdict ----------------------------------------------------------------
    def summary(self) -> dict:
        """The key numbers at the last generation, as a JSON-friendly dict."""
        G = self.n_generations
        out = {
            "adapter": self.adapter,
            "schedule": self.schedule_spec,
            "workflow": self.workflow,
            "n0": self.n0,
            "n_generations": G,
            "n_replications": self.n_replications,
            "reference": self.reference_kind,
            "total_synthetic_rows": self.total_synthetic_rows,
            "eps": self.eps,
        }
        col = self.collapse_table(generations=[G])
        if len(col):
            worst = col.sort_values("measured", ascending=False).iloc[0]
            out.update({
                "collapse_parameter": worst["parameter"],
                "collapse_relative_to": worst["relative_to"],
                "collapse_measured": float(worst["measured"]),
                "collapse_ci": [float(worst["ci_low"]), float(worst["ci_high"])],
                "collapse_predicted": _none_nan(worst["predicted"]),
            })
            ratios = self._variance_ratios()[worst["parameter"]][:, G]
            out["variance_ratio_median"] = _none_nan(np.nanmedian(ratios))
        try:
            out["schedule_collapses"] = bool(
                _theory.collapse_criterion(self.schedule_spec, G).collapses)
        except (TypeError, ValueError):
            out["schedule_collapses"] = None
        imp = self.improvement_table(generations=[G])
        if len(imp):
            r = imp.iloc[0]
            out.update({
                "improvement_risk": r["risk"],
                "improvement_measured": float(r["measured"]),
                "improvement_ci": [float(r["ci_low"]), float(r["ci_high"])],
                "improvement_predicted": _none_nan(r["predicted"]),
                "d": self.n_free_params,
            })
        lv = self.level_loss_table(generations=[G])
        if len(lv):
            out["level_loss_any"] = self.any_level_lost(G)
            out["levels_lost_mean"] = float(lv["mean_lost"].sum())
            out["levels_total"] = int(lv["n_levels"].sum())
        if self.layout.complete:
            F = self._fisher("reference")
            out["fisher_drift_median"] = _none_nan(np.nanmedian(F[:, G]))
            out["fisher_drift_median_generation0"] = _none_nan(np.nanmedian(F[:, 0]))
        out["verdict"] = self.verdict()
        return out

    def verdict(self) -> str:
        """A plain-language paragraph on what the audit found."""
        G = self.n_generations
        ref = ("a known truth" if self.reference_kind == "truth" else "the real table")
        parts = [
            (f"Audit of the {self.adapter} model over {G} generations × {self.n_replications} "
             f"replications (schedule {self.schedule_spec}, workflow {self.workflow}, "
             f"n0 = {self.n0}, measured against {ref}).")
        ]
        col = self.collapse_table(generations=[G])
        if len(col):
            worst = col.sort_values("measured", ascending=False).iloc[0]
            base = ("the true variance" if self.reference_kind == "truth"
                    else "the real (generation-0) variance")
            s = (f"By generation {G}, {_pct(worst['measured'])} of replications kept less than "
                 f"{_pct(self.eps)} of {base} of {worst['parameter'][4:-1]} "
                 f"(95% CI {_pct(worst['ci_low'])}–{_pct(worst['ci_high'])}")
            s += (f"; predicted {_pct(worst['predicted'])})." if np.isfinite(worst["predicted"])
                  else ").")
            parts.append(s)
        try:
            parts.append(_theory.collapse_criterion(self.schedule_spec, G).reason)
        except (TypeError, ValueError):  # not a schedule spec: no analytic verdict
            parts.append("")
        lv = self.level_loss_table(generations=[G])
        if len(lv):
            lost = self.any_level_lost(G)
            if lost > 0:
                parts.append(
                    f"{_pct(lost)} of replications lost at least one category level by "
                    f"generation {G} (on average {lv['mean_lost'].sum():.2f} of "
                    f"{int(lv['n_levels'].sum())} levels); a lost level never returns.")
            else:
                parts.append(f"No category level was lost by generation {G}.")
        imp = self.improvement_table(generations=[G])
        if len(imp):
            r = imp.iloc[0]
            s = (f"Probability of beating the real-only model at generation {G} "
                 f"({_risk_words(r['risk'])}): {_fmt_p(r['measured'])} measured (95% CI "
                 f"{_fmt_p(r['ci_low'])}–{_fmt_p(r['ci_high'])})")
            s += (f", {_fmt_p(r['predicted'])} predicted (d = {self.n_free_params})."
                  if np.isfinite(r["predicted"]) else ".")
            if np.isfinite(r["predicted"]) and self.reference_kind != "truth":
                s += (" The prediction assumes a correctly specified model and a random "
                      "generation 0; on a real table the held-out risk also carries the model's "
                      "misspecification, so read it as a guide, not a test.")
            parts.append(s)
        else:
            parts.append("No risk was recorded, so the improvement probability is not available "
                         "(record TruthKL with a truth, or HoldoutNLL with holdout > 0).")
        if self.layout.complete:
            F = self._fisher("reference")
            parts.append(
                f"Median overall drift from the {'truth' if self.reference_kind == 'truth' else 'reference'} "
                f"at generation {G}: {np.nanmedian(F[:, G]):.2g} generation-0 standard errors "
                f"(generation 0: {np.nanmedian(F[:, 0]):.2g}).")
        parts.append(self._conclusion())
        return " ".join(p for p in parts if p)

    def _conclusion(self) -> str:
        G = self.n_generations
        col = self.collapse_table(generations=[G])
        lv = self.level_loss_table(generations=[G])
        imp = self.improvement_table(generations=[G])
        collapsed = (len(col) and col["measured"].max() >= 0.5) or (
            len(lv) and lv["p_any_lost"].max() >= 0.5)
        if collapsed:
            return "Verdict: the loop collapses under this schedule."
        if len(imp) and imp["measured"].iloc[0] < 0.05:
            return ("Verdict: no collapse yet, but recursive training almost never beats the "
                    "real-only model.")
        some = (len(col) and col["measured"].max() > 0.05) or (
            len(lv) and lv["p_any_lost"].max() > 0.05)
        if some:
            return "Verdict: early signs of collapse; grow the schedule or add real rows."
        return "Verdict: no sign of collapse at this horizon."

    # -- figures ----------------------------------------------------------------------------
    def plot_drift(self, **kwargs):
        """Fan chart of the parameters (see :func:`synthaudit.figures.drift_fan`)."""
        from .figures import drift_fan

        return drift_fan(self, **kwargs)

    def plot_variance(self, **kwargs):
        from .figures import variance_figure

        return variance_figure(self, **kwargs)

    def plot_collapse(self, **kwargs):
        from .figures import collapse_figure

        return collapse_figure(self, **kwargs)

    def plot_improvement(self, **kwargs):
        from .figures import improvement_figure

        return improvement_figure(self, **kwargs)

    def plot_risk(self, **kwargs):
        from .figures import risk_figure

        return risk_figure(self, **kwargs)

    def figures(self) -> dict:
        """Every figure of the report: {title: matplotlib Figure}."""
        out = {"Parameter drift": self.plot_drift()}
        if self.layout.variance_names:
            out["Variance retention"] = self.plot_variance()
        if self.layout.variance_names or self.layout.categorical:
            out["Collapse probability"] = self.plot_collapse()
        out["Improvement probability"] = self.plot_improvement()
        if self._risks:
            out["Risk by generation"] = self.plot_risk()
        return out

    # -- HTML -------------------------------------------------------------------------------
    def _pngs(self) -> dict[str, str]:
        """The figures as base64 PNG, rendered once per report (the trace never changes)."""
        if getattr(self, "_png_cache", None) is None:
            self._png_cache = {k: _png_b64(f) for k, f in self.figures().items()}
        return self._png_cache

    def _body(self, *, full: bool) -> str:
        h = []
        h.append(f"<p class='verdict'>{html.escape(self.verdict())}</p>")
        summ = {k: v for k, v in self.summary().items() if k != "verdict"}
        h.append("<h2>Key numbers</h2>" + _kv_table(summ))
        figs = self._pngs()
        if not full:
            figs = {k: v for k, v in figs.items()
                    if k in ("Collapse probability", "Improvement probability", "Parameter drift")}
        h.append("<h2>Figures</h2>")
        for title, png in figs.items():
            h.append(f"<figure><img alt='{html.escape(title)}' src='data:image/png;base64,"
                     f"{png}'/><figcaption>{html.escape(title)}</figcaption></figure>")
        G = self.n_generations
        gens = _few(self.generations, G)
        tables = [
            ("Collapse probability", self.collapse_table(generations=gens)),
            ("Improvement probability", self.improvement_table(generations=gens)),
            ("Level loss", self.level_loss_table(generations=gens)),
            ("Risk", self.risk_table(generations=gens)),
        ]
        if full:
            tables += [
                ("Variance retention", self.variance_table(generations=gens)),
                ("Drift from the reference (standard errors)",
                 self.drift_table(generations=gens)),
                ("Parameters", self.parameter_table(generations=gens)),
            ]
        for title, df in tables:
            if len(df):
                h.append(f"<h2>{html.escape(title)}</h2>" + _df_html(df))
        if full:
            h.append("<h2>Configuration</h2>" + _kv_table(self.config))
            h.append("<h2>Provenance</h2>" + _kv_table(self.provenance))
        return "\n".join(h)

    def to_html(self, path=None) -> str:
        """One self-contained HTML page (inline CSS, figures as base64 PNG, no script, no
        network). Written to ``path`` when given; the text is returned either way."""
        title = f"synthaudit report — {self.adapter}, {self.schedule_spec}"
        page = (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{self._body(full=True)}"
            "<footer>Generated by synthaudit "
            f"{html.escape(str(self.provenance.get('synthaudit', '')))}</footer></body></html>\n"
        )
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page

    def _repr_html_(self) -> str:
        return f"<div class='synthaudit-report'><style>{_CSS}</style>{self._body(full=False)}</div>"

    def save(self, path) -> Path:
        """Write the report: ``.html`` (default) or ``.json`` (the summary dict)."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.summary(), indent=2, default=_json_default),
                            encoding="utf-8")
        else:
            self.to_html(path)
        return path

    def __repr__(self) -> str:
        return (f"AuditReport(adapter={self.adapter!r}, schedule={self.schedule_spec!r}, "
                f"generations={self.n_generations}, replications={self.n_replications})")

    def _gens(self, generations) -> np.ndarray:
        if generations is None:
            return self.generations
        g = np.unique(np.asarray(list(np.atleast_1d(generations)), dtype=np.int64))
        if g.size and (g.min() < 0 or g.max() > self.n_generations):
            raise ValidationError(
                f"`generations` must lie in 0..{self.n_generations}; got {g.tolist()}.")
        return g


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _risk_words(name: str) -> str:
    return {
        "risk[kl]": "KL divergence to the truth",
        "risk[holdout_nll]": "negative log-likelihood of the holdout",
        "risk[kl_to_reference]": "KL divergence to the whole-table fit",
        "risk[param_sq_error]": "squared parameter error",
    }.get(name, name)


def _none_nan(x):
    x = float(x)
    return None if not np.isfinite(x) else x


def _concat(frames, columns=None) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns or [])
    return pd.concat(frames, ignore_index=True)


def _few(gens: np.ndarray, G: int, k: int = 6) -> list[int]:
    """A handful of generations for the HTML tables."""
    pts = np.unique(np.concatenate([[0, 1, G], np.linspace(0, G, k).round()]).astype(int))
    return [int(g) for g in pts if 0 <= g <= G]


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _png_b64(fig, dpi: int = 90) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _df_html(df: pd.DataFrame) -> str:
    def fmt(x):
        if isinstance(x, (float, np.floating)):
            if not np.isfinite(x):
                return "∞" if x > 0 else ("−∞" if x < 0 else "")
            return f"{x:.4g}"
        return str(x)

    return df.to_html(index=False, classes="tbl", border=0, formatters={
        c: fmt for c in df.columns}, escape=True)


def _kv_table(d: dict) -> str:
    rows = []
    for k, v in d.items():
        if isinstance(v, float):
            text = f"{v:.4g}"
        elif isinstance(v, (list, tuple)) and all(isinstance(x, float) for x in v):
            text = "[" + ", ".join(f"{x:.4g}" for x in v) + "]"  # intervals
        elif isinstance(v, (dict, list, tuple)):
            text = json.dumps(v, default=_json_default)
        else:
            text = str(v)
        if len(text) > 300:
            text = text[:300] + "…"
        rows.append(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(text)}</td></tr>")
    return "<table class='kv'>" + "".join(rows) + "</table>"


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
color:#222;padding:0 1em;line-height:1.45}
h1{font-size:1.5em;border-bottom:2px solid #2a6;padding-bottom:.3em}
h2{font-size:1.15em;margin-top:1.6em;color:#164}
.verdict{background:#f3f8f5;border-left:4px solid #2a6;padding:.8em 1em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:right}
table.kv th{text-align:left;background:#f6f6f6}table.kv td{text-align:left;word-break:break-all}
thead th{background:#eef4f0}
figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}footer{margin-top:3em;font-size:.8em;color:#777}
"""


def compare_schedules(results: dict, *, eps: float = 0.05):
    """Overlay several audits; see :func:`synthaudit.figures.compare_schedules`."""
    from .figures import compare_schedules as _cmp

    return _cmp(results, eps=eps)

