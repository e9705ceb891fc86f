"""The audit report's numbers: drift, population risk, collapse and improvement probability,
measured beside theory, as tidy tables — and the key numbers the verdict is decided on.

:class:`AuditReport` reads only an audit's result (``values``, ``quantities``, ``parameters``,
``n_rows``, ``reference``, ``reference_kind``, ``config``, ``provenance``, ``n_free_params``, and
the parameter layout through :func:`synthaudit.metrics.layout_of`): it never refits a model.

Conventions (``docs/design.md`` §5, ``docs/report.md``):

- **Collapse** of a Gaussian column is ``σ̂²_t / σ²_base ≤ eps``. With a known truth, generation 0
  is itself random (``n0`` fresh rows from the truth), so the base is the *true* variance and the
  theory is :func:`~synthaudit.theory.collapse_probability` with ``include_baseline=True``. With a
  real table the base is each replication's own generation 0 and the theory is the law of
  ``Π W_t`` with ``include_baseline=False`` (exact for every ``n0`` under the replace workflow).
  Theory is shown for the replace workflow and the ``gaussian`` / ``mixed`` adapters only.
- **Improvement** is ``risk_t < risk_0`` within a replication. The risk is, in this order of
  preference: the recorded ``risk[kl]``, the recorded ``risk[holdout_nll]``, the KL divergence to
  the truth computed from the parameters, or (real table with ``n0`` smaller than the pool) the KL
  divergence to the fit on the whole real table. Replications whose generation-0 risk is infinite
  (e.g. a held-out level the training rows never saw) are left out and counted.

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
>>> rep.verdict().label
'degrades'
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .. import metrics as _metrics
from .. import theory as _theory
from ..exceptions import ValidationError
from . import _stats
from .facts import AuditFacts, audit_facts
from .quantities import IMPROVEMENT_RISKS, metric_info, metric_quantities
from .verdict import SIGNS, KeyNumbers, Verdict, verdict

__all__ = ["AuditReport"]

_REQUIRED = ("values", "quantities", "parameters", "n_rows", "reference", "config")
#: adapters whose variance law the theory describes (collapse, variance ratio, mean improvement)
THEORY_ADAPTERS_VAR = ("gaussian", "mixed")
#: adapters whose improvement law the theory describes
THEORY_ADAPTERS_RISK = ("gaussian", "mixed", "categorical", "poisson")




class AuditReport:
    """Tables, figures, a verdict and an HTML report from one audit's result.

    Parameters
    ----------
    result : AuditResult or any object with ``values, quantities, parameters, n_rows,
        reference, config`` (``provenance``, ``n_free_params``, ``reference_kind``, ``layout``
        optional)
    eps : float
        Collapse threshold: a replication has collapsed when a variance ratio is ≤ ``eps``.
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
        self.layout = _metrics.layout_of(result)
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
        self._cache: dict = {}

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
        from ..store import load_run

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
        settings = self.config.get("adapter_settings", self.config.get("adapter_params")) or {}
        return str(settings.get("estimator") or "unbiased")

    @property
    def schedule_spec(self) -> str:
        return str(self.config.get("schedule", "?"))

    @cached_property
    def sizes(self) -> np.ndarray:
        """``n_1 … n_T`` (synthetic rows per generation; the training sizes under replace)."""
        try:
            from .. import schedules

            return schedules.parse(self.schedule_spec).sizes(self.n_generations)
        except (TypeError, ValueError):  # not a schedule spec: the recorded training sizes
            return self.n_rows[1:]

    @property
    def total_synthetic_rows(self) -> int:
        return int(np.sum(self.sizes))

    @property
    def _replace(self) -> bool:
        return self.workflow == "replace"

    @cached_property
    def _closed_forms(self) -> bool:
        """Whether the Fisher drift and the KL divergence of :mod:`synthaudit.metrics` cover
        every parameter (Gaussian, categorical and Poisson families; not regression
        coefficients, whose information depends on the design, nor an adapter's own names)."""
        lay = self.layout
        return (lay.complete and lay.n_params > 0 and not lay.is_regression
                and not len(lay.noise_index))

    @cached_property
    def labels(self) -> dict[str, str]:
        """Plain-language label of every parameter (from the layout), by trace name."""
        return dict(zip(self.layout.names, self.layout.labels()))

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The table columns the model describes (from the parameter layout)."""
        cols = []
        for p in self.layout.params:
            if p.kind != "other":
                cols.extend(p.columns)
        return tuple(dict.fromkeys(cols))

    @cached_property
    def facts(self) -> AuditFacts:
        """What was audited (dataset, rows, columns, fingerprint, synthesizer, versions…)."""
        return audit_facts(self.config, self.provenance, columns=self.columns,
                           gaussian_columns=self.layout.gaussian_columns,
                           n_generations=self.n_generations,
                           n_replications=self.n_replications,
                           reference_kind=self.reference_kind)

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

    def _long(self, gens, names, key: str, arrays: dict, extra: dict | None = None) -> pd.DataFrame:
        """A tidy frame from arrays of shape (len(gens), len(names)): one row per name × gen."""
        k, m = len(gens), len(names)
        out = {"generation": np.tile(gens, m), "n_rows": np.tile(self.n_rows[gens], m),
               key: np.repeat(np.asarray(names, dtype=object), k)}
        for c, v in (extra or {}).items():
            v = np.asarray(v)
            out[c] = np.repeat(v, k) if v.ndim == 1 and v.size == m else v
        for c, a in arrays.items():
            out[c] = np.asarray(a, dtype=float).T.reshape(-1)
        return pd.DataFrame(out)

    # -- drift ----------------------------------------------------------------------------
    def parameter_table(self, generations=None) -> pd.DataFrame:
        """Per generation × parameter: the reference and quantiles of the fitted value.

        Columns: ``generation, n_rows, parameter, label, reference, q05, q25, median, q75, q95,
        mean``.
        """
        gens = self._gens(generations)
        q = _stats.quantiles(self._theta[:, gens, :])
        return self._long(gens, self.parameters, "parameter", q,
                          {"label": [self.labels.get(p, p) for p in self.parameters],
                           "reference": self._theta_ref})

    def _drift(self, origin: str, standardised: bool) -> np.ndarray:
        key = ("drift", origin, standardised)
        if key not in self._cache:
            th = self._theta
            if standardised:
                D = _metrics.standardised_drift(self.layout, th, self._theta_ref, self.n0,
                                                  origin=origin)
            else:
                D = th - self._origin(th, origin)
            self._cache[key] = D
        return self._cache[key]

    def _origin(self, th: np.ndarray, origin: str) -> np.ndarray:
        if origin == "reference":
            return self._theta_ref[None, None, :]
        if origin in ("generation0", "generation 0", "gen0"):
            return th[:, :1, :]
        raise ValidationError(f"`origin` must be 'reference' or 'generation0'; got {origin!r}.")

    def drift_table(self, generations=None, *, origin: str = "reference",
                    standardised: bool = True) -> pd.DataFrame:
        """Per generation × parameter: quantiles across replications of the drift.

        Drift is ``θ_t − θ_origin`` (``origin``: ``"reference"`` or ``"generation0"``), divided
        by generation 0's standard error at the reference when ``standardised`` (see
        :mod:`synthaudit.metrics`). The extra parameter ``overall`` is the Fisher-metric drift
        ``sqrt(n0 · Δθᵀ I Δθ)`` (always standardised; χ_d-sized at generation 0 with a truth).

        Columns: ``generation, n_rows, parameter, label, origin, scale, q05, q25, median, q75,
        q95, mean``.
        """
        gens = self._gens(generations)
        D = self._drift(origin, standardised)
        scale = "standard errors" if standardised else "raw"
        frames = [self._long(gens, self.parameters, "parameter", _stats.quantiles(D[:, gens, :]),
                             {"label": [self.labels.get(p, p) for p in self.parameters],
                              "origin": np.full(len(self.parameters), origin),
                              "scale": np.full(len(self.parameters), scale)})]
        if self._closed_forms:
            F = self._fisher(origin)
            frames.append(self._long(gens, ["overall"], "parameter",
                                     _stats.quantiles(F[:, gens, None]),
                                     {"label": ["all parameters (Fisher metric)"],
                                      "origin": [origin], "scale": ["standard errors"]}))
        return _concat(frames)

    def _fisher(self, origin="reference") -> np.ndarray:
        key = ("fisher", origin)
        if key not in self._cache:
            self._cache[key] = _metrics.fisher_drift(self.layout, self._theta, self._theta_ref,
                                                       self.n0, origin=origin)
        return self._cache[key]

    def overall_drift_median(self, generation: int | None = None, *,
                             origin: str = "reference") -> float:
        """Median across replications of the overall (Fisher-metric) drift at ``generation``
        (default: the last), in generation-0 standard errors; NaN when the layout has
        parameters the Fisher metric does not cover (regression, an adapter's own names)."""
        if not self._closed_forms:
            return float("nan")
        G = self.n_generations if generation is None else int(generation)
        self._gens([G])
        with _quiet():
            return float(np.nanmedian(self._fisher(origin)[:, G]))

    def top_drift(self, k: int = 5, generation: int | None = None, *,
                  origin: str = "generation0") -> pd.DataFrame:
        """The ``k`` parameters that drifted most by ``generation`` (default: the last), by median
        absolute standardised drift from ``origin`` (of a two-level category only its first
        level's share: the other mirrors it).

        Columns: ``parameter, label, median_abs_drift, median_drift, median_abs_change, start,
        end`` (drift in generation-0 standard errors; ``median_abs_change``: median of
        ``|θ_t − θ_origin|`` in the parameter's own units; ``start``/``end``: median fitted value
        at generation 0 and at ``generation``).
        """
        G = self.n_generations if generation is None else int(generation)
        self._gens([G])
        D = self._drift(origin, True)[:, G, :]
        raw = self._drift(origin, False)[:, G, :]
        with np.errstate(all="ignore"), _quiet():
            mad = np.nanmedian(np.abs(D), axis=0)
            med = np.nanmedian(D, axis=0)
            change = np.nanmedian(np.abs(raw), axis=0)
            start = np.nanmedian(self._theta[:, 0, :], axis=0)
            end = np.nanmedian(self._theta[:, G, :], axis=0)
        ok = np.isfinite(mad)
        for b in self.layout.categorical:  # a two-level block: the second share mirrors the first
            if len(b.index) == 2:
                ok[int(b.index[1])] = False
        order = [int(i) for i in np.argsort(-np.where(ok, mad, -np.inf), kind="stable") if ok[i]]
        order = order[: max(0, int(k))]
        return pd.DataFrame({
            "parameter": [self.parameters[i] for i in order],
            "label": [self.labels.get(self.parameters[i], self.parameters[i]) for i in order],
            "median_abs_drift": mad[order], "median_drift": med[order],
            "median_abs_change": change[order], "start": start[order], "end": end[order]})

    # -- variance and collapse --------------------------------------------------------------
    @property
    def _variance_base(self) -> str:
        return "truth" if self.reference_kind == "truth" else "generation 0"

    @cached_property
    def _variance_ratio_stack(self) -> tuple[list[str], np.ndarray]:
        """(var names, ratios (R, G+1, k)) against the truth or each replication's generation 0."""
        names = self.layout.variance_names
        if not names:
            return [], np.zeros(self.values.shape[:2] + (0,))
        idx = [self.parameters.index(n) for n in names]
        v = self._theta[:, :, idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.reference_kind == "truth":
                ratio = v / self._theta_ref[idx][None, None, :]
            else:
                ratio = v / v[:, :1, :]
        return names, ratio

    def _variance_ratios(self) -> dict[str, np.ndarray]:
        names, ratio = self._variance_ratio_stack
        return {n: ratio[:, :, i] for i, n in enumerate(names)}

    @property
    def _variance_theory(self) -> bool:
        return self._replace and self.adapter in THEORY_ADAPTERS_VAR

    def _theory_per_gen(self, what: str, gens) -> np.ndarray:
        """Theory values per generation, cached (they do not depend on the column)."""
        key = ("theory", what, tuple(int(g) for g in gens))
        if key in self._cache:
            return self._cache[key]
        truth = self.reference_kind == "truth"
        if what == "expected_ratio":
            out = np.array([_theory.expected_variance_ratio(
                self.n0, self.sizes[:g], estimator=self.estimator, include_baseline=truth)
                for g in gens], dtype=float)
        else:  # ("collapse", eps)
            eps = float(what.split(":")[1])
            out = np.array([float(_theory.collapse_probability(
                eps, self.n0, self.sizes[:g], estimator=self.estimator, include_baseline=truth))
                for g in gens], dtype=float)
        self._cache[key] = out
        return out

    def variance_table(self, generations=None) -> pd.DataFrame:
        """Variance retention ``σ̂²_t / σ²_base`` per Gaussian column (base: see module doc), and
        ``log|Σ_t| − log|Σ_base|`` for a multivariate block; ``predicted_mean`` is the exact
        ``E[σ̂²_t / σ²_base]`` (replace workflow).

        Columns: ``generation, n_rows, parameter, label, measure, relative_to, q05 … q95, mean,
        predicted_mean``.
        """
        gens = self._gens(generations)
        names, ratio = self._variance_ratio_stack
        frames = []
        if names:
            q = _stats.quantiles(ratio[:, gens, :])
            pred = (self._theory_per_gen("expected_ratio", gens) if self._variance_theory
                    else np.full(len(gens), np.nan))
            q["predicted_mean"] = np.repeat(pred[:, None], len(names), axis=1)
            frames.append(self._long(gens, names, "parameter", q, {
                "label": [self.labels[n] for n in names],
                "measure": np.full(len(names), "ratio"),
                "relative_to": np.full(len(names), self._variance_base)}))
        if len(self.layout.gaussian_columns) >= 2:
            th = self._theta
            if self.reference_kind == "truth":
                L = _metrics.log_det_ratio(self.layout, th, self._theta_ref)
            else:
                L = self._logdet_vs_gen0(th)
            q = _stats.quantiles(L[:, gens, None])
            q["predicted_mean"] = np.full((len(gens), 1), np.nan)
            frames.append(self._long(gens, ["logdet"], "parameter", q, {
                "label": ["log-determinant of the covariance"],
                "measure": ["log_det_ratio"], "relative_to": [self._variance_base]}))
        return _concat(frames)

    def _logdet_vs_gen0(self, th) -> np.ndarray:
        ci = self.layout.cov_index
        s, ld = np.linalg.slogdet(th[..., ci])
        ld = np.where(s > 0, ld, -np.inf)
        return ld - ld[:, :1]

    def collapse_table(self, eps: float | None = None, generations=None) -> pd.DataFrame:
        """Per generation × Gaussian column: the measured ``P(σ̂²_t / σ²_base ≤ eps)`` with a 95 %
        Wilson interval, beside the exact prediction (:func:`synthaudit.theory.collapse_probability`;
        NaN when the theory does not apply: other workflows or adapters).

        Columns: ``generation, n_rows, parameter, label, eps, relative_to, measured, ci_low,
        ci_high, predicted, n_replications``.
        """
        cols = ["generation", "n_rows", "parameter", "label", "eps", "relative_to", "measured",
                "ci_low", "ci_high", "predicted", "n_replications"]
        eps = self.eps if eps is None else float(eps)
        gens = self._gens(generations)
        names, ratio = self._variance_ratio_stack
        if not names:
            return pd.DataFrame(columns=cols)
        R = self.n_replications
        k = np.sum(ratio[:, gens, :] <= eps, axis=0)  # (gens, names)
        lo, hi = _stats.wilson_interval(k, R)
        pred = (self._theory_per_gen(f"collapse:{eps!r}", gens) if self._variance_theory
                else np.full(len(gens), np.nan))
        df = self._long(gens, names, "parameter",
                        {"measured": k / R, "ci_low": lo, "ci_high": hi,
                         "predicted": np.repeat(pred[:, None], len(names), axis=1)},
                        {"label": [self.labels[n] for n in names],
                         "eps": np.full(len(names), eps),
                         "relative_to": np.full(len(names), self._variance_base)})
        df["n_replications"] = R
        return df[cols]

    @cached_property
    def _level_losses(self) -> dict[str, tuple[np.ndarray, int]]:
        return _metrics.level_loss(self.layout, self._theta, self._theta_ref)

    def level_loss_table(self, generations=None) -> pd.DataFrame:
        """Per generation × categorical column: lost levels (probability 0 where the reference's
        is positive). Columns: ``generation, n_rows, column, n_levels, mean_lost, max_lost,
        p_any_lost, ci_low, ci_high``."""
        gens = self._gens(generations)
        R = self.n_replications
        rows = []
        for label, (cnt, k) in self._level_losses.items():
            c = cnt[:, gens]
            anyl = np.sum(c > 0, axis=0)
            lo, hi = _stats.wilson_interval(anyl, R)
            rows.append(pd.DataFrame({**self._frame_head(gens), "column": label, "n_levels": k,
                                      "mean_lost": c.mean(axis=0), "max_lost": c.max(axis=0),
                                      "p_any_lost": anyl / R, "ci_low": lo, "ci_high": hi}))
        return _concat(rows, columns=["generation", "n_rows", "column", "n_levels", "mean_lost",
                                      "max_lost", "p_any_lost", "ci_low", "ci_high"])

    def any_level_lost(self, generation: int) -> float:
        """Share of replications that lost at least one level of *any* categorical column by
        ``generation`` (NaN without categorical columns)."""
        lost = self._lost_any(generation)
        return float("nan") if lost is None else float(np.mean(lost))

    def _lost_any(self, generation: int) -> np.ndarray | None:
        if not self._level_losses:
            return None
        return sum(cnt[:, generation] for cnt, _ in self._level_losses.values()) > 0

    def _collapsed_any(self, generation: int, eps: float | None = None) -> np.ndarray | None:
        names, ratio = self._variance_ratio_stack
        if not names:
            return None
        eps = self.eps if eps is None else float(eps)
        return np.any(ratio[:, generation, :] <= eps, axis=1)

    # -- risk and improvement ---------------------------------------------------------------
    @cached_property
    def _risks(self) -> dict[str, tuple[np.ndarray, str]]:
        """name -> (array (R, G+1), source) for every risk available."""
        out = {}
        for q in metric_quantities(self.quantities, self.parameters):
            if metric_info(q).family == "risk":
                out[q] = (self._q(q), "recorded")
        if self._closed_forms and "risk[kl]" not in out:
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
        risk, label, source, q05 … q95, mean, p_infinite``."""
        gens = self._gens(generations)
        rows = []
        for name, (a, source) in self._risks.items():
            x = a[:, gens]
            rows.append(pd.DataFrame({**self._frame_head(gens), "risk": name,
                                      "label": metric_info(name).label, "source": source,
                                      **_stats.quantiles(x),
                                      "p_infinite": np.mean(np.isinf(x), axis=0)}))
        return _concat(rows, columns=["generation", "n_rows", "risk", "label", "source", "q05",
                                      "q25", "median", "q75", "q95", "mean", "p_infinite"])

    @property
    def improvement_risk(self) -> str | None:
        """The risk used for the improvement probability (None when none is available)."""
        for name in IMPROVEMENT_RISKS:
            if name in self._risks:
                return name
        return None

    @property
    def _improvement_theory(self) -> bool:
        return (self._replace and self.adapter in THEORY_ADAPTERS_RISK
                and self.n_free_params is not None)

    def _risk_pairs(self, risk: str):
        """(risk array, mask of replications with a finite generation-0 risk)."""
        a = self._risks[risk][0]
        return a, np.isfinite(a[:, 0])

    def improvement_table(self, risk: str | None = None, generations=None) -> pd.DataFrame:
        """Per generation t ≥ 1: the measured ``P(risk_t < risk_0)`` with a 95 % Wilson
        interval, beside :func:`synthaudit.theory.improvement_probability` (d = number of free
        parameters; replace workflow). Replications whose generation-0 risk is infinite or whose
        risk is missing are left out (``n_excluded``). An empty frame when no risk is available
        (record ``TruthKL`` with a truth, or ``HoldoutNLL`` with a holdout).

        Columns: ``generation, n_rows, risk, measured, ci_low, ci_high, predicted, d,
        n_replications, n_excluded``.
        """
        cols = ["generation", "n_rows", "risk", "measured", "ci_low", "ci_high", "predicted",
                "d", "n_replications", "n_excluded"]
        risk = risk or self.improvement_risk
        if risk is None:
            return pd.DataFrame(columns=cols)
        if risk not in self._risks:
            raise ValidationError(f"unknown risk {risk!r}; available: {list(self._risks)}.")
        gens = self._gens(generations)
        gens = gens[gens >= 1]
        a, base_ok = self._risk_pairs(risk)
        x = a[:, gens]
        valid = base_ok[:, None] & ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            k = np.sum(valid & (x < a[:, :1]), axis=0)
        n = valid.sum(axis=0)
        lo, hi = _stats.wilson_interval(k, n)
        pred = np.full(len(gens), np.nan)
        if self._improvement_theory and len(gens):
            pred = np.atleast_1d(_theory.improvement_probability(
                self.n0, self.sizes, gens.tolist(), d=self.n_free_params))
        with np.errstate(invalid="ignore", divide="ignore"):
            measured = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        return pd.DataFrame({**self._frame_head(gens), "risk": risk, "measured": measured,
                             "ci_low": lo, "ci_high": hi, "predicted": pred,
                             "d": self.n_free_params, "n_replications": n,
                             "n_excluded": self.n_replications - n})[cols]

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
            lo, hi = _stats.wilson_interval(k, R)
            rows.append(pd.DataFrame({**self._frame_head(gens), "parameter": name,
                                      "measured": k / R, "ci_low": lo, "ci_high": hi,
                                      "predicted": pred, "n_replications": R}))
        return _concat(rows, columns=cols)

    # -- key numbers, verdict, summary -------------------------------------------------------
    def key_numbers(self, generation: int | None = None) -> KeyNumbers:
        """The measured numbers the verdict is decided on (at the last generation by default).

        See :mod:`synthaudit.report.verdict` for what each one is.
        """
        G = self.n_generations if generation is None else int(generation)
        self._gens([G])
        if ("key", G) not in self._cache:
            self._cache[("key", G)] = self._key_numbers(G)
        return self._cache[("key", G)]

    def _key_numbers(self, G: int) -> KeyNumbers:
        R = self.n_replications
        var = self._collapsed_any(G)
        lost = self._lost_any(G)
        parts = [x for x in (var, lost) if x is not None]
        collapse = _stats.share(np.logical_or.reduce(parts)) if parts else _stats.Estimate.missing()
        drift = _stats.Estimate.missing()
        if self._closed_forms:
            F = self._fisher("generation0")[:, G] / np.sqrt(self.layout.n_free_params)
            drift = _stats.median_estimate(F)
        fields = {}
        risk = self.improvement_risk
        if risk is not None and G >= 1:
            a, base_ok = self._risk_pairs(risk)
            end = a[:, G]
            base_nan = np.isnan(a[:, 0])
            valid = base_ok & ~np.isnan(end)
            with np.errstate(invalid="ignore"):
                change = end[valid] - a[valid, 0]
                better = end[valid] < a[valid, 0]
            fields = {
                "risk": risk, "risk_label": metric_info(risk).label,
                "improvement": _stats.share(better),
                "risk_change": _stats.median_estimate(change),
                "risk_infinite": _stats.share(np.isinf(end[valid])),
                "risk_excluded_infinite": int(np.sum(~base_ok & ~base_nan)),
                "risk_excluded_missing": int(np.sum(~valid)) - int(np.sum(~base_ok & ~base_nan)),
            }
        return KeyNumbers(
            n_replications=R, generation=G, eps=self.eps, collapse=collapse,
            variance_collapse=(_stats.share(var) if var is not None
                               else _stats.Estimate.missing()),
            level_loss=_stats.share(lost) if lost is not None else _stats.Estimate.missing(),
            drift=drift, variance_base=self._variance_base, **fields)

    def verdict(self, generation: int | None = None) -> Verdict:
        """The verdict (:func:`synthaudit.report.verdict.verdict` on :meth:`key_numbers`).

        ``str(report.verdict())`` is a plain-language paragraph; ``.label`` is one of
        ``collapses, degrades, stable, improves, inconclusive``.
        """
        key = ("verdict", generation)
        if key not in self._cache:
            self._cache[key] = verdict(self.key_numbers(generation))
        return self._cache[key]

    @property
    def theory_applies(self) -> bool:
        """Whether the closed forms describe this audit's model: a parametric family with a
        Gaussian variance (``gaussian``/``mixed``) under the replace workflow — never an SDV,
        external or object synthesizer."""
        return self._variance_theory and bool(len(self.layout.gaussian_columns))

    def theory_note(self) -> str:
        """The long-run line of theory for this schedule (empty when theory does not apply).

        It is about the limit of many generations; when it says the variance collapses while
        little was measured by the last generation, it says how much was, so the two never read
        as contradicting each other.
        """
        if not self.theory_applies:
            return ""
        G = self.n_generations
        try:
            crit = _theory.collapse_criterion(self.schedule_spec, G)
        except (TypeError, ValueError):  # not a schedule spec: no analytic criterion
            return ""
        head = "Long run (theory, replace workflow): "
        if not crit.collapses:
            return (head + f"S_T converges (to {crit.limit:.3g}), so the variance does not "
                    "collapse under this schedule.")
        text = head + "S_T grows without bound under this schedule, so the variance collapses"
        var = self.key_numbers().variance_collapse
        if var.measured and var.value < SIGNS:
            text += (f" — not yet visible here: a variance collapsed in {_stats.pct(var.value)} "
                     f"of replications by generation {G}")
        return text + "."

    def notes(self) -> list[str]:
        """Caveats a reader should know (whole-number columns modelled as Gaussian…)."""
        out = []
        ints = self.facts.integer_gaussian
        if ints:
            out.append(f"{', '.join(ints)} holds only whole numbers but was modelled as a "
                       "Gaussian (continuous) column; its drift and variance are those of a "
                       "continuous stand-in.")
        return out

    def summary(self) -> dict:
        """The key numbers at the last generation, as a JSON-friendly dict."""
        G = self.n_generations
        v = self.verdict()
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
            worst = col.sort_values("measured", ascending=False, kind="stable").iloc[0]
            out.update({
                "collapse_parameter": worst["parameter"],
                "collapse_relative_to": worst["relative_to"],
                "collapse_measured": float(worst["measured"]),
                "collapse_ci": [float(worst["ci_low"]), float(worst["ci_high"])],
                "collapse_predicted": _none_nan(worst["predicted"]),
            })
            ratios = self._variance_ratios()[worst["parameter"]][:, G]
            out["variance_ratio_median"] = _none_nan(np.nanmedian(ratios))
        out["schedule_collapses"] = None
        if self.theory_applies:
            try:
                out["schedule_collapses"] = bool(
                    _theory.collapse_criterion(self.schedule_spec, G).collapses)
            except (TypeError, ValueError):
                pass
        imp = self.improvement_table(generations=[G])
        if len(imp):
            r = imp.iloc[0]
            out.update({
                "improvement_risk": r["risk"],
                "improvement_measured": _none_nan(r["measured"]),
                "improvement_ci": [_none_nan(r["ci_low"]), _none_nan(r["ci_high"])],
                "improvement_predicted": _none_nan(r["predicted"]),
                "improvement_excluded": int(r["n_excluded"]),
                "d": self.n_free_params,
            })
        lv = self.level_loss_table(generations=[G])
        if len(lv):
            out["level_loss_any"] = self.any_level_lost(G)
            out["levels_lost_mean"] = float(lv["mean_lost"].sum())
            out["levels_total"] = int(lv["n_levels"].sum())
        if self._closed_forms:
            F = self._fisher("reference")
            out["fisher_drift_median"] = _none_nan(np.nanmedian(F[:, G]))
            out["fisher_drift_median_generation0"] = _none_nan(np.nanmedian(F[:, 0]))
        out["verdict_label"] = v.label
        out["verdict"] = str(v)
        out["key_numbers"] = v.numbers.to_dict()
        return out

    def summary_text(self, top_k: int = 5, *, width: int = 100) -> str:
        """The verdict-first summary that fits one screen (≤ ``width`` columns): the verdict,
        the numbers behind it with their intervals, the ``top_k`` most drifted parameters, where
        the full tables go, and the terms explained once."""
        from .summary import summary_text

        return summary_text(self.verdict(), self.facts, self.top_drift(top_k),
                            theory=self.theory_note(), notes=self.notes(),
                            n_parameters=len(self.parameters), width=width)

    # -- figures ----------------------------------------------------------------------------
    def plot_drift(self, parameters=None, *, max_panels: int = 9, generations=None):
        """Fan chart of the fitted parameters (default: the most drifted ones)."""
        from . import figures

        if parameters is None:
            parameters = list(self.top_drift(max_panels)["parameter"]) or list(
                self.parameters[:max_panels])
        tab = self.parameter_table(generations)
        return figures.drift_fan(tab[tab["parameter"].isin(parameters)], parameters,
                                 labels=self.labels, reference_label=self.reference_kind,
                                 max_panels=max_panels,
                                 title=f"Parameter drift — {self.schedule_spec}, {self.workflow}")

    def plot_variance(self, *, max_panels: int = 6, generations=None):
        """Variance retention of the Gaussian columns that lost most (default: up to 6)."""
        from . import figures

        tab = self.variance_table(generations)
        return figures.variance_figure(tab, eps=self.eps, labels=self.labels,
                                       parameters=self._worst_variances(max_panels))

    def _worst_variances(self, k: int) -> list[str]:
        names, ratio = self._variance_ratio_stack
        if not names:
            return []
        with np.errstate(all="ignore"), _quiet():
            med = np.nanmedian(ratio[:, -1, :], axis=0)
        order = np.argsort(np.where(np.isnan(med), np.inf, med), kind="stable")
        return [names[i] for i in order[:k]]

    def plot_collapse(self, eps: float | None = None, *, max_panels: int = 6, generations=None):
        """Collapse probability per Gaussian column and level loss per categorical column."""
        from . import figures

        col = self.collapse_table(eps, generations)
        if len(col):
            last = col[col["generation"] == col["generation"].max()]
            keep = last.sort_values("measured", ascending=False, kind="stable")["parameter"]
            col = col[col["parameter"].isin(list(keep[:max_panels]))]
        return figures.collapse_figure(col, self.level_loss_table(generations),
                                       labels=self.labels)

    def plot_improvement(self, risk: str | None = None, generations=None):
        """``P(risk_t < risk_0)`` measured beside theory."""
        from . import figures

        return figures.improvement_figure(self.improvement_table(risk, generations),
                                          risk_labels=self._risk_labels())

    def plot_risk(self, generations=None):
        """Each risk by generation: median and bands across replications."""
        from . import figures

        return figures.risk_figure(self.risk_table(generations), risk_labels=self._risk_labels())

    def _risk_labels(self) -> dict[str, str]:
        return {k: metric_info(k).short for k in self._risks}

    def figures(self, *, informative_only: bool = False) -> dict:
        """Every figure of the report: ``{title: matplotlib Figure}``.

        With ``informative_only`` (the HTML page), figures whose every panel is flat or empty
        are left out (see :meth:`folded_figures` for what was left out and why).
        """
        from . import figures as F

        out, folded = {}, {}
        drift = self.plot_drift(max_panels=6)
        out["Parameter drift"] = drift
        if self.layout.variance_names:
            out["Variance retention"] = self.plot_variance()
        if self.layout.variance_names or self.layout.categorical:
            out["Collapse probability"] = self.plot_collapse()
        out["Improvement probability"] = self.plot_improvement()
        if self._risks:
            out["Risk by generation"] = self.plot_risk()
        if informative_only:
            for title in list(out):
                why = F.flat_reason(out[title])
                if why:
                    folded[title] = why
                    del out[title]
        self._cache["folded"] = folded
        return out

    def folded_figures(self) -> dict[str, str]:
        """``{title: why}`` of the figures :meth:`figures` left out as uninformative."""
        if "folded" not in self._cache:
            self.figures(informative_only=True)
        return dict(self._cache["folded"])

    # -- HTML -------------------------------------------------------------------------------
    def _pngs(self) -> dict[str, str]:
        """The informative figures as base64 PNG, rendered once per report."""
        if "pngs" not in self._cache:
            from . import figures as F

            figs = self.figures(informative_only=True)
            self._cache["pngs"] = {k: F.png_base64(f) for k, f in figs.items()}
        return self._cache["pngs"]

    def _html_body(self, *, full: bool) -> str:
        from . import html

        G = self.n_generations
        gens = _few(self.generations, G)
        tables = [
            html.Table("Collapse probability", "variance fell to eps of its base",
                       self.collapse_table(generations=[G]), self.collapse_table(generations=gens),
                       sort="measured", file="collapse.csv"),
            html.Table("Level loss", "share of replications that lost a category level",
                       self.level_loss_table(generations=[G]),
                       self.level_loss_table(None if len(self.layout.categorical) <= 5
                                             else gens),
                       sort="p_any_lost", file="level_loss.csv"),
            html.Table("Improvement probability", "P(risk_t < risk_0) by generation, beside "
                       "theory where it describes the model (on a real table theory assumes a "
                       "correctly specified model: a guide, not a test)",
                       self.improvement_table(generations=gens), self.improvement_table(),
                       file="improvement.csv"),
            html.Table("Risk", "quantiles across replications",
                       self.risk_table(generations=[0, G]), self.risk_table(), file="risk.csv"),
            html.Table("Drift from generation 0", "generation-0 standard errors; the most "
                       "drifted parameters first",
                       self.top_drift(10), self.drift_table(generations=gens,
                                                            origin="generation0"),
                       file="drift.csv"),
        ]
        if full:
            tables += [
                html.Table("Variance retention", "ratio to the base variance",
                           self.variance_table(generations=[G]),
                           self.variance_table(generations=gens), sort="median", ascending=True,
                           file="variance.csv"),
                html.Table("Parameters", "fitted values across replications; the most drifted "
                       "parameters first", self._top_parameters(G),
                       self.parameter_table(generations=gens), file="parameters.csv"),
            ]
        return html.report_body(
            verdict=self.verdict(), facts=self.facts, theory=self.theory_note(),
            notes=self.notes(), figures=self._pngs(), folded=self.folded_figures(),
            tables=tables, config=self.config if full else None,
            provenance=self.provenance if full else None)

    def _top_parameters(self, G: int, k: int = 5) -> pd.DataFrame:
        top = list(self.top_drift(k)["parameter"])
        tab = self.parameter_table(generations=[0, G])
        tab = tab[tab["parameter"].isin(top)]
        return tab.iloc[np.argsort([top.index(p) for p in tab["parameter"]], kind="stable")]

    def to_html(self, path=None) -> str:
        """One self-contained HTML page (inline CSS scoped to the report's root element,
        figures as base64 PNG, no script, no network). Written to ``path`` when given; the text
        is returned either way."""
        from . import html

        data = self.facts.dataset
        title = (f"synthaudit report — {'' if data == 'not recorded' else data + ', '}"
                 f"{self.adapter}, {self.schedule_spec}")
        page = html.page(title, self._html_body(full=True),
                         version=str(self.provenance.get("synthaudit", "")))
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page

    def _repr_html_(self) -> str:
        from . import html

        return html.fragment(self._html_body(full=False))

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
@contextlib.contextmanager
def _quiet():
    """Silence numpy's all-NaN RuntimeWarnings inside a block."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _none_nan(x):
    x = float(x)
    return None if not np.isfinite(x) else x


def _concat(frames, columns=None) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames
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
