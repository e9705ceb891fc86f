"""Drift, population risk, holdout risk, table distances and downstream risk (DESIGN §5).

Three kinds of function live here, all pure:

- **closed forms on parameters**, vectorised over replication lanes (θ arrays of shape (B, P) in
  the adapter's parameter order): :func:`kl_divergence` (``KL(P_ref ‖ P_θ)``),
  :func:`param_sq_error`, :func:`holdout_nll` (mean negative log-likelihood of held-out rows,
  from their sufficient statistics, :func:`holdout_statistics`);
- **trace post-processing** (an ``values[r, g, p]`` array, after the run): :func:`standard_errors`,
  :func:`standardised_drift`, :func:`fisher_drift`, :func:`variance_retention`,
  :func:`log_det_ratio`, :func:`level_loss`;
- **table metrics** (per-row path): :func:`ks_statistic`, :func:`tv_distance`,
  :func:`correlation_distance`, :func:`table_distances`, :func:`downstream_risk`.

The :class:`~synthaudit.engine.Metric` subclasses at the end record them per generation:

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

import math

import numpy as np
import pandas as pd
from scipy import special

from .adapters.base import _is_numeric
from .engine import Metric
from .exceptions import ValidationError
from .params import ParamLayout

__all__ = [
    "DownstreamRisk",
    "HoldoutNLL",
    "ParamError",
    "TableDistance",
    "TruthKL",
    "correlation_distance",
    "default_metrics",
    "downstream_risk",
    "fisher_drift",
    "holdout_nll",
    "holdout_statistics",
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

def layout_of(obj) -> ParamLayout:
    """The :class:`~synthaudit.params.ParamLayout` of an adapter, a result, or parameter names.

    Examples
    --------
    >>> layout_of(["rate[k]"]).poisson_columns
    ('k',)
    """
    if isinstance(obj, ParamLayout):
        return obj
    for attr in ("layout_", "layout"):
        lay = getattr(obj, attr, None)
        if isinstance(lay, ParamLayout):
            return lay
    names = getattr(obj, "parameters", None)
    if names is not None and not callable(names):
        return ParamLayout.from_names(names)
    if isinstance(obj, pd.Series):
        return ParamLayout.from_names(obj.index)
    if isinstance(obj, (list, tuple, pd.Index, np.ndarray)):
        return ParamLayout.from_names(list(obj))
    raise ValidationError(
        "expected an adapter, an AuditResult, a ParamLayout or a list of parameter names; "
        f"got {type(obj).__name__}."
    )


def _require_complete(lay: ParamLayout, what: str) -> None:
    if lay.unknown:
        raise ValidationError(
            f"{what} needs parameters named mean[..], var[..], cov[..], p[..=..] or rate[..]; "
            f"these are not understood: {list(lay.unknown)[:5]}."
        )


def _as_lanes(theta, P: int) -> np.ndarray:
    a = np.asarray(theta, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != P:
        raise ValidationError(f"θ must have shape (B, {P}) or ({P},); got {np.shape(theta)}.")
    return a


def _gauss(lay: ParamLayout, th: np.ndarray):
    return th[:, lay.mean_index], th[:, lay.cov_index]


# ---------------------------------------------------------------------------------------------
# KL divergence and parameter error
# ---------------------------------------------------------------------------------------------
def _kl_gaussian(mu0, S0, mu1, S1) -> np.ndarray:
    """KL(N(mu0, S0) ‖ N(mu1, S1)) per lane; inf where S1 is not positive definite."""
    B = max(len(mu0), len(mu1))
    p = mu0.shape[1]
    mu0, mu1 = np.broadcast_to(mu0, (B, p)), np.broadcast_to(mu1, (B, p))
    S0, S1 = np.broadcast_to(S0, (B, p, p)), np.broadcast_to(S1, (B, p, p))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 1:
            v0, v1 = S0[:, 0, 0], S1[:, 0, 0]
            d = mu1[:, 0] - mu0[:, 0]
            out = 0.5 * (v0 / v1 + d * d / v1 - 1.0 + np.log(v1 / v0))
            bad = ~(v1 > 0) | ~np.isfinite(v1)
            return np.where(bad, np.inf, out)
        s1, ld1 = np.linalg.slogdet(S1)
        _, ld0 = np.linalg.slogdet(S0)
        bad = ~(s1 > 0) | ~np.isfinite(ld1)
        S1s = np.where(bad[:, None, None], np.eye(p), S1)
        tr = np.trace(np.linalg.solve(S1s, S0), axis1=-2, axis2=-1)
        d = mu1 - mu0
        quad = np.einsum("bi,bi->b", d, np.linalg.solve(S1s, d[..., None])[..., 0])
        out = 0.5 * (tr + quad - p + ld1 - ld0)
    return np.where(bad, np.inf, out)


def _kl_terms_categorical(p0, p1) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p0 > 0, p0 * (np.log(p0) - np.log(p1)), 0.0)
    t = np.where((p0 > 0) & ~(p1 > 0), np.inf, t)
    return t.sum(axis=1)


def _kl_terms_poisson(l0, l1) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(l0 > 0, l0 * (np.log(l0) - np.log(l1)), 0.0) - l0 + l1
    t = np.where((l0 > 0) & ~(l1 > 0), np.inf, t)
    return t.sum(axis=1)


def kl_divergence(model, theta_ref, theta) -> np.ndarray:
    """``KL(P_θref ‖ P_θ)`` per lane, in closed form (nats).

    Sum over independent blocks: multivariate Gaussian, categorical (independent marginals:
    sum over columns; joint: over cells), Poisson. Infinite where θ has lost support the reference
    has (a level with zero probability, a zero variance, a zero rate).

    Parameters
    ----------
    model : adapter, result or list of parameter names
        Gives the layout (see :func:`layout_of`).
    theta_ref : array (P,) or (B, P)
        The reference (truth), in the same order.
    theta : array (B, P)

    Returns
    -------
    ndarray (B,)

    Examples
    --------
    >>> names = ["p[c=a]", "p[c=b]"]
    >>> kl_divergence(names, [0.5, 0.5], [[0.5, 0.5], [1.0, 0.0]]).tolist()
    [0.0, inf]
    """
    lay = layout_of(model)
    _require_complete(lay, "the KL divergence")
    P = lay.n_params
    t0, t1 = _as_lanes(theta_ref, P), _as_lanes(theta, P)
    B = max(len(t0), len(t1))
    out = np.zeros(B)
    if len(lay.gaussian_columns):
        mu0, S0 = _gauss(lay, t0)
        mu1, S1 = _gauss(lay, t1)
        out = out + _kl_gaussian(mu0, S0, mu1, S1)
    if lay.categorical:
        idx = np.concatenate([b.index for b in lay.categorical])
        out = out + _kl_terms_categorical(t0[:, idx], t1[:, idx])
    if len(lay.poisson_columns):
        out = out + _kl_terms_poisson(t0[:, lay.rate_index], t1[:, lay.rate_index])
    return out


def param_sq_error(theta_ref, theta) -> np.ndarray:
    """``‖θ − θref‖²`` per lane (plain Euclidean, every parameter weighted 1).

    Examples
    --------
    >>> param_sq_error([0.0, 1.0], [[1.0, 1.0], [0.0, 3.0]]).tolist()
    [1.0, 4.0]
    """
    t1 = np.atleast_2d(np.asarray(theta, dtype=float))
    t0 = np.asarray(theta_ref, dtype=float)
    return ((t1 - t0) ** 2).sum(axis=1)


# ---------------------------------------------------------------------------------------------
# holdout negative log-likelihood
# ---------------------------------------------------------------------------------------------
def holdout_statistics(model, table: pd.DataFrame) -> dict:
    """Sufficient statistics of held-out rows for :func:`holdout_nll`.

    Returns a dict with ``n`` and, per block present in the layout, ``g_mean`` (p,),
    ``g_scatter`` (p, p) (``Σ (x − x̄)(x − x̄)ᵀ``), ``c_counts`` (aligned with the categorical
    parameters), ``pois_sum`` and ``pois_log_fact`` (``Σ log k!`` per column).

    ``model`` should be the fitted adapter (it encodes category levels exactly); a list of names
    works for independent categorical columns (levels matched by their string form).
    """
    lay = layout_of(model)
    _require_complete(lay, "the holdout log-likelihood")
    n = len(table)
    if n == 0:
        raise ValidationError("the holdout has no rows; use holdout > 0 in run_audit.")
    out: dict = {"n": n}
    if len(lay.gaussian_columns):
        X = table[list(lay.gaussian_columns)].to_numpy(dtype=float)
        m = X.mean(axis=0)
        D = X - m
        out["g_mean"], out["g_scatter"] = m, D.T @ D
    if lay.categorical:
        out["c_counts"] = _category_counts(model, lay, table)
    if len(lay.poisson_columns):
        K = table[list(lay.poisson_columns)].to_numpy(dtype=float)
        out["pois_sum"] = K.sum(axis=0)
        out["pois_log_fact"] = special.gammaln(K + 1.0).sum(axis=0)
    return out


def _category_counts(model, lay: ParamLayout, table: pd.DataFrame) -> np.ndarray:
    cat = None
    if hasattr(model, "stats_from_encoded") and hasattr(model, "encode"):
        cat = getattr(model, "categorical_", model)
        if not hasattr(cat, "levels_"):
            cat = None
    if cat is not None:
        stats = cat.stats_from_encoded(cat.encode(table)[None])
        return np.asarray(stats["counts"][0], dtype=float)
    counts = []
    for b in lay.categorical:
        if len(b.columns) > 1:
            raise ValidationError(
                "joint categorical cells need the fitted adapter to count holdout rows."
            )
        vc = table[b.columns[0]].astype(str).value_counts()
        counts.append([float(vc.get(lv, 0.0)) for lv in b.levels])
    return np.concatenate(counts)


def holdout_nll(model, theta, stats: dict) -> np.ndarray:
    """Mean negative log-likelihood of the held-out rows under each lane's θ (nats per row).

    Computed from the holdout's sufficient statistics (:func:`holdout_statistics`), so it costs
    O(P²) per lane whatever the holdout size. Gaussian:
    ``½[p log 2π + log|Σ| + tr(Σ⁻¹(S/n + (x̄ − μ)(x̄ − μ)ᵀ))]``; categorical:
    ``−Σ_l c_l log p_l / n``; Poisson: ``(nλ − Σk log λ + Σ log k!)/n``; blocks add up.
    Infinite where a held-out row has zero likelihood (a lost level, a zero variance).

    Examples
    --------
    >>> import pandas as pd
    >>> names = ["p[c=a]", "p[c=b]"]
    >>> st = holdout_statistics(names, pd.DataFrame({"c": ["a", "a", "b", "b"]}))
    >>> holdout_nll(names, [[0.5, 0.5], [1.0, 0.0]], st).round(4).tolist()
    [0.6931, inf]
    """
    lay = layout_of(model)
    _require_complete(lay, "the holdout log-likelihood")
    th = _as_lanes(theta, lay.n_params)
    n = float(stats["n"])
    out = np.zeros(len(th))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if len(lay.gaussian_columns):
            mu, S = _gauss(lay, th)
            p = mu.shape[1]
            d = stats["g_mean"][None, :] - mu
            M = stats["g_scatter"][None] / n + np.einsum("bi,bj->bij", d, d)
            if p == 1:
                v = S[:, 0, 0]
                g = 0.5 * (math.log(2 * math.pi) + np.log(v) + M[:, 0, 0] / v)
                bad = ~(v > 0)
            else:
                sign, ld = np.linalg.slogdet(S)
                bad = ~(sign > 0) | ~np.isfinite(ld)
                Ss = np.where(bad[:, None, None], np.eye(p), S)
                tr = np.trace(np.linalg.solve(Ss, M), axis1=-2, axis2=-1)
                g = 0.5 * (p * math.log(2 * math.pi) + ld + tr)
            out = out + np.where(bad, np.inf, g)
        if lay.categorical:
            idx = np.concatenate([b.index for b in lay.categorical])
            c = stats["c_counts"][None, :]
            pr = th[:, idx]
            terms = np.where(c > 0, -c * np.log(pr), 0.0)
            terms = np.where((c > 0) & ~(pr > 0), np.inf, terms)
            out = out + terms.sum(axis=1) / n
        if len(lay.poisson_columns):
            lam = th[:, lay.rate_index]
            s = stats["pois_sum"][None, :]
            terms = n * lam - np.where(s > 0, s * np.log(lam), 0.0) + stats["pois_log_fact"]
            terms = np.where((s > 0) & ~(lam > 0), np.inf, terms)
            out = out + terms.sum(axis=1) / n
    return out


# ---------------------------------------------------------------------------------------------
# drift, variance retention, level loss (from the trace)
# ---------------------------------------------------------------------------------------------
def standard_errors(model, theta_ref, n0: int) -> np.ndarray:
    """Standard error of each parameter for a fit on ``n0`` rows of the reference model.

    See the module docstring for the formulas. NaN for parameters of unknown families, 0 for a
    level with zero reference probability.

    Examples
    --------
    >>> standard_errors(["mean[x]", "var[x]"], [0.0, 4.0], 101).round(4).tolist()
    [0.199, 0.5657]
    """
    lay = layout_of(model)
    t = np.asarray(theta_ref, dtype=float)
    se = np.full(lay.n_params, np.nan)
    if n0 < 2:
        raise ValidationError(f"`n0` must be ≥ 2; got {n0!r}.")
    if len(lay.gaussian_columns):
        S = t[lay.cov_index]
        dg = np.diag(S)
        se[lay.mean_index] = np.sqrt(dg / n0)
        p = len(dg)
        for i in range(p):
            for j in range(i, p):
                k = lay.cov_index[i, j]
                se[k] = np.sqrt((S[i, i] * S[j, j] + S[i, j] ** 2) / (n0 - 1))
    for b in lay.categorical:
        pr = t[b.index]
        se[b.index] = np.sqrt(np.clip(pr * (1 - pr), 0, None) / n0)
    if len(lay.poisson_columns):
        se[lay.rate_index] = np.sqrt(np.clip(t[lay.rate_index], 0, None) / n0)
    return se


def _origin(values: np.ndarray, theta_ref, origin: str) -> np.ndarray:
    if origin == "reference":
        return np.asarray(theta_ref, dtype=float)[None, None, :]
    if origin in ("generation0", "generation 0", "gen0"):
        return values[:, :1, :]
    raise ValidationError(f"`origin` must be 'reference' or 'generation0'; got {origin!r}.")


def standardised_drift(model, values, theta_ref, n0: int, *, origin: str = "reference"):
    """``(θ_t − θ_origin) / se`` per replication, generation and parameter.

    ``values`` has shape (R, G+1, P) (parameters only, in layout order); ``se`` from
    :func:`standard_errors` at the reference. ``origin`` is ``"reference"`` (the truth or the fit
    on the whole real table) or ``"generation0"`` (each replication's own real-only baseline).
    NaN where the standard error is 0 (a level the reference does not have).

    Examples
    --------
    >>> v = np.array([[[0.0, 4.0], [0.4, 4.0]]])       # one replication, two generations
    >>> standardised_drift(["mean[x]", "var[x]"], v, [0.0, 4.0], 100)[0, 1].round(3).tolist()
    [2.0, 0.0]
    """
    lay = layout_of(model)
    v = np.asarray(values, dtype=float)[..., : lay.n_params]
    se = standard_errors(lay, theta_ref, n0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, (v - _origin(v, theta_ref, origin)) / se, np.nan)


def _fisher_quadratic(lay: ParamLayout, ref: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``Δθᵀ I(θ_ref) Δθ`` for Δθ of shape (..., P) (Fisher information of one row)."""
    q = np.zeros(delta.shape[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        if len(lay.gaussian_columns):
            S = ref[lay.cov_index]
            Si = np.linalg.inv(S)
            dm = delta[..., lay.mean_index]
            dS = delta[..., lay.cov_index]
            q = q + np.einsum("...i,ij,...j->...", dm, Si, dm)
            A = np.einsum("ij,...jk->...ik", Si, dS)
            q = q + 0.5 * np.einsum("...ij,...ji->...", A, A)
        for b in lay.categorical:
            p0 = ref[b.index]
            d = delta[..., b.index]
            terms = np.where(p0 > 0, d * d / p0, np.where(d != 0, np.inf, 0.0))
            q = q + terms.sum(axis=-1)
        if len(lay.poisson_columns):
            l0 = ref[lay.rate_index]
            d = delta[..., lay.rate_index]
            q = q + np.where(l0 > 0, d * d / l0, np.where(d != 0, np.inf, 0.0)).sum(axis=-1)
    return q


def fisher_drift(model, values, theta_ref, n0: int, *, origin: str = "reference") -> np.ndarray:
    """Overall drift ``sqrt(n0 · Δθᵀ I(θ_ref) Δθ)`` per replication and generation.

    ``I`` is the Fisher information of one row at the reference (Gaussian:
    ``Δμᵀ Σ⁻¹ Δμ + ½ tr((Σ⁻¹ ΔΣ)²)``; categorical: ``Σ Δp²/p``; Poisson: ``Δλ²/λ``), so the
    drift is in units of generation 0's sampling error: with a known truth, generation 0's drift
    from the reference is about ``χ_d``. Finite even when a level is lost.

    Examples
    --------
    >>> v = np.array([[[0.0, 1.0], [0.1, 1.0]]])
    >>> fisher_drift(["mean[x]", "var[x]"], v, [0.0, 1.0], 100).round(6).tolist()
    [[0.0, 1.0]]
    """
    lay = layout_of(model)
    _require_complete(lay, "the Fisher drift")
    v = np.asarray(values, dtype=float)[..., : lay.n_params]
    ref = np.asarray(theta_ref, dtype=float)
    delta = v - _origin(v, ref, origin)
    return np.sqrt(n0 * _fisher_quadratic(lay, ref, delta))


def variance_retention(model, values, theta_ref) -> dict[str, np.ndarray]:
    """``σ²_t / σ²_ref`` for every ``var[c]`` parameter: {name: array (R, G+1)}.

    Examples
    --------
    >>> v = np.array([[[0.0, 4.0], [0.0, 1.0]]])
    >>> variance_retention(["mean[x]", "var[x]"], v, [0.0, 4.0])["var[x]"].tolist()
    [[1.0, 0.25]]
    """
    lay = layout_of(model)
    v = np.asarray(values, dtype=float)
    ref = np.asarray(theta_ref, dtype=float)
    out = {}
    for i in range(len(lay.gaussian_columns)):
        k = int(lay.cov_index[i, i])
        out[lay.names[k]] = v[..., k] / ref[k]
    return out


def log_det_ratio(model, values, theta_ref) -> np.ndarray | None:
    """``log|Σ_t| − log|Σ_ref|`` (R, G+1) for a Gaussian block of ≥ 2 columns, else None.

    ``−inf`` where Σ_t is singular.
    """
    lay = layout_of(model)
    if len(lay.gaussian_columns) < 2:
        return None
    v = np.asarray(values, dtype=float)
    ref = np.asarray(theta_ref, dtype=float)
    sign, ld = np.linalg.slogdet(v[..., lay.cov_index])
    _, ld0 = np.linalg.slogdet(ref[lay.cov_index])
    return np.where(sign > 0, ld - ld0, -np.inf)


def level_loss(model, values, theta_ref) -> dict[str, tuple[np.ndarray, int]]:
    """Lost levels per categorical block: {label: (counts (R, G+1), levels with p_ref > 0)}.

    A level is lost at generation t when its probability is 0 while the reference's is positive.

    Examples
    --------
    >>> v = np.array([[[0.5, 0.5], [1.0, 0.0]]])
    >>> cnt, k = level_loss(["p[c=a]", "p[c=b]"], v, [0.5, 0.5])["c"]
    >>> cnt.tolist(), k
    ([[0, 1]], 2)
    """
    lay = layout_of(model)
    v = np.asarray(values, dtype=float)
    ref = np.asarray(theta_ref, dtype=float)
    out = {}
    for b in lay.categorical:
        pos = ref[b.index] > 0
        lost = (v[..., b.index] <= 0) & pos
        out[b.label] = (lost.sum(axis=-1), int(pos.sum()))
    return out


# ---------------------------------------------------------------------------------------------
# table metrics (per-row path)
# ---------------------------------------------------------------------------------------------


def ks_statistic(a, b, *, backend: str = "scipy") -> float:
    """Two-sample Kolmogorov–Smirnov statistic (sup-distance of the empirical cdfs), in [0, 1].

    ``backend="sdmetrics"`` computes ``1 − KSComplement`` (identical numbers; SDMetrics takes
    seconds to import, so scipy is the default).

    Examples
    --------
    >>> ks_statistic([0.0, 1.0, 2.0], [10.0, 11.0])
    1.0
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if backend == "sdmetrics":
        from sdmetrics.single_column import KSComplement

        return float(1.0 - KSComplement.compute(pd.Series(a), pd.Series(b)))
    from scipy.stats import ks_2samp

    return float(ks_2samp(a, b).statistic)


def tv_distance(a, b, levels=None, *, backend: str = "scipy") -> float:
    """Total variation ``½ Σ_l |f_a(l) − f_b(l)|`` between two categorical samples, in [0, 1].

    Examples
    --------
    >>> tv_distance(["x", "x", "y", "y"], ["x", "x", "x", "x"])
    0.5
    """
    if backend == "sdmetrics":
        from sdmetrics.single_column import TVComplement

        return float(1.0 - TVComplement.compute(pd.Series(a, dtype=object),
                                                pd.Series(b, dtype=object)))
    fa = pd.Series(np.asarray(a, dtype=object)).value_counts(normalize=True)
    fb = pd.Series(np.asarray(b, dtype=object)).value_counts(normalize=True)
    idx = fa.index.union(fb.index) if levels is None else pd.Index(list(levels)).union(
        fa.index.union(fb.index))
    return float(0.5 * np.abs(fa.reindex(idx, fill_value=0) - fb.reindex(idx, fill_value=0)).sum())


def correlation_distance(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Frobenius norm of the difference of the Pearson correlation matrices of two tables.

    A constant column (zero variance) has correlation 0 with every other column.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 2.0]})
    >>> b = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [2.0, 1.0, 0.0]})
    >>> round(correlation_distance(a, b), 6)    # off-diagonals +1 vs -1: sqrt(2·2²)
    2.828427
    """
    def corr(t):
        X = t.to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            C = np.corrcoef(X, rowvar=False)
        C = np.nan_to_num(np.atleast_2d(C), nan=0.0)
        np.fill_diagonal(C, 1.0)
        return C

    return float(np.linalg.norm(corr(a) - corr(b)))


def table_distances(table: pd.DataFrame, real: pd.DataFrame, columns=None, *,
                    backend: str = "scipy") -> dict[str, float]:
    """Per-column distances of ``table`` to ``real``: ``ks:c`` (numeric), ``tv:c`` (categorical)
    and ``corr`` (numeric correlation matrices, with ≥ 2 numeric columns).

    Examples
    --------
    >>> real = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", "b"]})
    >>> table_distances(real.iloc[:2], real)
    {'ks:x': 0.5, 'tv:c': 0.0}
    """
    cols = list(real.columns) if columns is None else list(columns)
    out: dict[str, float] = {}
    num = [c for c in cols if _is_numeric(real[c])]
    for c in cols:
        if c in num:
            out[f"ks:{c}"] = ks_statistic(table[c], real[c], backend=backend)
        else:
            levels = real[c].cat.categories if isinstance(real[c].dtype, pd.CategoricalDtype) \
                else None
            out[f"tv:{c}"] = tv_distance(table[c], real[c], levels, backend=backend)
    if len(num) >= 2:
        out["corr"] = correlation_distance(table[num], real[num])
    return out


def _labels_of(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    return sorted(pd.unique(s), key=lambda v: (str(type(v)), v))


def downstream_risk(train: pd.DataFrame, test: pd.DataFrame, target: str, *, labels=None,
                    task: str | None = None, clip: float = 1e-15) -> float:
    """Train-on-synthetic, test-on-real risk of a scikit-learn model.

    A categorical target gets a :class:`~sklearn.linear_model.LogisticRegression` (one-hot
    categorical features, standardised numeric ones) scored by log-loss over ``labels`` (every
    level of the real target: a class missing from ``train`` gets probability ``clip``, so the
    loss stays finite); a numeric target a :class:`~sklearn.linear_model.Ridge` (α = 1) scored by
    mean squared error.

    Parameters
    ----------
    train, test : DataFrame
    target : str
    labels : sequence, optional
        All classes of a categorical target (default: levels of ``test`` and ``train``).
    task : {"classification", "regression"}, optional
        Default: classification unless the target is numeric (not bool).
    clip : float
        Probabilities are clipped to ``[clip, 1]`` and renormalised.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> df = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(scale=0.1, size=400)})
    >>> round(downstream_risk(df[:200], df[200:], "y"), 2)
    0.01
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if target not in train.columns or target not in test.columns:
        raise ValidationError(f"`target` {target!r} is not a column of the table.")
    feats = [c for c in train.columns if c != target]
    task = task or ("regression" if _is_numeric(test[target]) else "classification")
    num = [c for c in feats if _is_numeric(test[c])]
    cat = [c for c in feats if c not in num]

    def prep(df):
        out = df[feats].copy()
        for c in cat:
            out[c] = out[c].astype(str)
        for c in num:
            out[c] = out[c].astype(float)
        return out

    transformers = []
    if num:
        transformers.append(("num", StandardScaler(), num))
    if cat:
        transformers.append(("cat", OneHotEncoder(handle_unknown="ignore"), cat))
    Xtr, Xte = prep(train), prep(test)
    if task == "regression":
        ytr = train[target].to_numpy(dtype=float)
        yte = test[target].to_numpy(dtype=float)
        if not feats:
            pred = np.full(len(yte), ytr.mean())
        else:
            model = make_pipeline(ColumnTransformer(transformers), Ridge(alpha=1.0))
            pred = model.fit(Xtr, ytr).predict(Xte)
        return float(np.mean((yte - pred) ** 2))
    if task != "classification":
        raise ValidationError(f"`task` must be 'classification' or 'regression'; got {task!r}.")
    ytr = np.asarray(train[target].astype(str))
    yte = np.asarray(test[target].astype(str))
    if labels is None:
        labels = sorted(set(ytr) | set(yte))
    labels = [str(v) for v in labels]
    col = {v: i for i, v in enumerate(labels)}
    unknown = sorted(set(yte) - set(col))
    if unknown:
        raise ValidationError(f"the test target holds level(s) {unknown} not in `labels`.")
    probs = np.zeros((len(yte), len(labels)))
    present = np.unique(ytr)
    if len(present) == 1 or not feats:
        freq = pd.Series(ytr).value_counts(normalize=True)
        for v, f in freq.items():
            probs[:, col[v]] = f
    else:
        model = make_pipeline(ColumnTransformer(transformers), LogisticRegression(max_iter=2000))
        model.fit(Xtr, ytr)
        pr = model.predict_proba(Xte)
        for j, v in enumerate(model.classes_):
            probs[:, col[str(v)]] = pr[:, j]
    probs = np.clip(probs, clip, 1.0)
    probs /= probs.sum(axis=1, keepdims=True)
    idx = np.array([col[v] for v in yte])
    return float(-np.mean(np.log(probs[np.arange(len(yte)), idx])))


# ---------------------------------------------------------------------------------------------
# Metric subclasses (what the engine records per generation)
# ---------------------------------------------------------------------------------------------
def _parametric(plan) -> bool:
    from .adapters import ParametricAdapter

    return isinstance(plan.reference_model, ParametricAdapter)


def _reference_vector(plan) -> np.ndarray:
    """The plan's reference parameters as an array in ``plan.parameters`` order (computed once
    per plan: metrics are called every generation on the fast path)."""
    cached = plan.__dict__.get("_reference_vector")
    if cached is None:
        cached = plan.reference.reindex(list(plan.parameters)).to_numpy(dtype=float)
        plan.__dict__["_reference_vector"] = cached
    return cached


class TruthKL(Metric):
    """``risk[kl]``: ``KL(P_truth ‖ P_θ_t)`` in closed form (needs ``truth=``)."""

    vectorised = True

    def names(self, plan) -> list[str]:
        if plan.reference_kind != "truth":
            raise ValidationError(
                "metric TruthKL needs a known truth: pass truth=... (or a simulated table) to "
                "run_audit, or use HoldoutNLL with holdout > 0 for a real table."
            )
        _require_complete(layout_of(plan.parameters), "metric TruthKL")
        return ["risk[kl]"]

    def from_params(self, plan, theta):
        return kl_divergence(plan.parameters, _reference_vector(plan), theta)[:, None]


class ParamError(Metric):
    """``risk[param_sq_error]``: ``‖θ_t − θ*‖²`` (needs ``truth=``)."""

    vectorised = True

    def names(self, plan) -> list[str]:
        if plan.reference_kind != "truth":
            raise ValidationError(
                "metric ParamError needs a known truth: pass truth=... to run_audit."
            )
        return ["risk[param_sq_error]"]

    def from_params(self, plan, theta):
        return param_sq_error(_reference_vector(plan), theta)[:, None]


class HoldoutNLL(Metric):
    """``risk[holdout_nll]``: mean negative log-likelihood of the real holdout rows (nats/row).

    Needs ``holdout > 0`` in :func:`~synthaudit.run_audit` and parameters of a known family
    (a parametric adapter, or a synthesizer measured through the mixed reference model).
    """

    vectorised = True

    def __init__(self):
        self._stats = None
        self._key = None

    def names(self, plan) -> list[str]:
        if plan.holdout is None or len(plan.holdout) == 0:
            raise ValidationError(
                "metric HoldoutNLL needs held-out rows: pass holdout=0.2 (a fraction) to run_audit."
            )
        _require_complete(layout_of(plan.parameters), "metric HoldoutNLL")
        return ["risk[holdout_nll]"]

    def _statistics(self, plan) -> dict:
        key = (id(plan.holdout), len(plan.holdout))
        if self._stats is None or self._key != key:
            model = plan.parameters
            ref = plan.reference_model
            if _parametric(plan) and tuple(ref.parameter_names_) == tuple(plan.parameters):
                model = ref  # encodes category levels exactly
            self._stats, self._key = holdout_statistics(model, plan.holdout), key
        return self._stats

    def from_params(self, plan, theta):
        return holdout_nll(plan.parameters, theta, self._statistics(plan))[:, None]

    def __getstate__(self):  # statistics are cheap: recompute in each worker
        return {"_stats": None, "_key": None}


class _TableMetric(Metric):
    """Per-row metric that knows which generation it is called for."""

    vectorised = False

    def _generation(self, plan, generation) -> int:
        if generation is None:
            raise ValidationError(
                f"metric {type(self).__name__} needs the generation it measures "
                "(the engine passes generation=)."
            )
        return int(generation)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_gen0", None)
        return state

    def from_params(self, plan, theta):
        raise ValidationError(f"metric {type(self).__name__} needs tables: use path='rows'.")


class TableDistance(_TableMetric):
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

    def __init__(self, against=("pool", "generation0"), columns=None, backend: str = "scipy"):
        bad = [a for a in against if a not in ("pool", "generation0")]
        if bad or not against:
            raise ValidationError(
                f"`against` must name 'pool' and/or 'generation0'; got {list(against)!r}."
            )
        if backend not in ("scipy", "sdmetrics"):
            raise ValidationError(f"`backend` must be 'scipy' or 'sdmetrics'; got {backend!r}.")
        self.against, self.columns, self.backend = tuple(against), columns, backend

    def _keys(self, plan) -> list[str]:
        cols = list(plan.pool.columns) if self.columns is None else list(self.columns)
        missing = [c for c in cols if c not in plan.pool.columns]
        if missing:
            raise ValidationError(f"TableDistance: column(s) {missing} not in the table.")
        num = [c for c in cols if _is_numeric(plan.pool[c])]
        keys = [f"ks:{c}" if c in num else f"tv:{c}" for c in cols]
        return keys + (["corr"] if len(num) >= 2 else [])

    def names(self, plan) -> list[str]:
        keys = self._keys(plan)
        prefix = {"pool": "dist", "generation0": "dist_gen0"}
        return [f"{prefix[a]}[{k}]" for a in self.against for k in keys]

    def from_table(self, plan, model, table, theta, generation=None):
        g = self._generation(plan, generation)
        cols = list(plan.pool.columns) if self.columns is None else list(self.columns)
        keys = self._keys(plan)
        if g == 0:
            self._gen0 = table[cols].copy()
        out = []
        for a in self.against:
            ref = plan.pool[cols] if a == "pool" else getattr(self, "_gen0", None)
            if ref is None:
                out += [np.nan] * len(keys)
                continue
            d = table_distances(table[cols], ref, backend=self.backend)
            out += [d[k] for k in keys]
        return np.asarray(out, dtype=float)


class DownstreamRisk(_TableMetric):
    """``risk[downstream:target]``: a scikit-learn model trained on each generation's table,
    scored on the real holdout (log-loss for a categorical target, squared error for a numeric
    one); see :func:`downstream_risk`. Needs ``holdout > 0`` and the per-row path."""

    def __init__(self, target: str, task: str | None = None):
        self.target, self.task = target, task

    def names(self, plan) -> list[str]:
        if plan.holdout is None or len(plan.holdout) == 0:
            raise ValidationError(
                "metric DownstreamRisk scores on held-out real rows: pass holdout=0.2 to run_audit."
            )
        if self.target not in plan.pool.columns:
            raise ValidationError(
                f"DownstreamRisk: `target` {self.target!r} is not a column; available: "
                f"{list(plan.pool.columns)}."
            )
        return [f"risk[downstream:{self.target}]"]

    def from_table(self, plan, model, table, theta, generation=None):
        self._generation(plan, generation)
        y = plan.pool[self.target]
        labels = None
        if not _is_numeric(y) or self.task == "classification":
            labels = _labels_of(pd.concat([y, plan.holdout[self.target]], ignore_index=True)
                                if not isinstance(y.dtype, pd.CategoricalDtype) else y)
        cols = [c for c in plan.pool.columns if c in table.columns]
        return np.array([downstream_risk(table[cols], plan.holdout[cols], self.target,
                                         labels=labels, task=self.task)])


def default_metrics(plan) -> list[Metric]:
    """What the engine records by default: ``TruthKL`` and ``ParamError`` when the truth is known,
    ``HoldoutNLL`` when a holdout exists and the parameters are of a known family.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> plan = SimpleNamespace(reference_kind="truth", holdout=None, parameters=("mean[x]",
    ...                        "var[x]"))
    >>> [type(m).__name__ for m in default_metrics(plan)]
    ['TruthKL', 'ParamError']
    """
    lay = layout_of(tuple(plan.parameters))
    out: list[Metric] = []
    if plan.reference_kind == "truth" and lay.complete:
        out += [TruthKL(), ParamError()]
    if plan.holdout is not None and len(plan.holdout) and lay.complete:
        out.append(HoldoutNLL())
    return out
