"""Closed forms on parameters, vectorised over replication lanes (θ arrays (B, P) in layout
order): the KL divergence to a reference, the squared parameter error, and the mean negative
log-likelihood of held-out rows from their sufficient statistics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from ..exceptions import ValidationError
from ..params import ParamLayout

__all__ = [
    "holdout_nll",
    "holdout_statistics",
    "holdout_statistics_encoded",
    "kl_divergence",
    "layout_of",
    "param_sq_error",
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
    if not lay.complete:
        other = [n for p, n in zip(lay.params, lay.names)
                 if p.kind not in ("mean", "var", "cov", "p", "rate")]
        raise ValidationError(
            f"{what} has closed forms for Gaussian, categorical and Poisson parameters only; "
            f"these have none: {other[:5]}" + (" …" if len(other) > 5 else "") + "."
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
def holdout_statistics_encoded(layout: ParamLayout, X: np.ndarray) -> dict:
    """:func:`holdout_statistics` from held-out rows already encoded by the adapter.

    ``X`` has the columns of :meth:`~synthaudit.adapters.ParametricAdapter.encode`: the
    Gaussian columns, then one code column per categorical block (joint: the cell index), then
    the Poisson counts (docs/design.md §4.2). Levels are matched exactly, by their codes.

    Examples
    --------
    >>> from synthaudit.params import categorical_layout
    >>> lay = categorical_layout(["c"], {"c": ["a", "b", "z"]})
    >>> holdout_statistics_encoded(lay, np.array([[0], [0], [1]]))["c_counts"].tolist()
    [2.0, 1.0, 0.0]
    """
    _require_complete(layout, "the holdout log-likelihood")
    X = np.asarray(X)
    n = X.shape[0]
    if n == 0:
        raise ValidationError("the holdout has no rows; use holdout > 0 in run_audit.")
    out: dict = {"n": n}
    g = len(layout.gaussian_columns)
    k = len(layout.categorical)
    if g:
        G = np.asfortranarray(X[:, :g], dtype=float)  # the layout pandas gives a float block
        m = G.mean(axis=0)
        D = G - m
        out["g_mean"], out["g_scatter"] = m, D.T @ D
    if k:
        counts = []
        for j, b in enumerate(layout.categorical):
            codes = X[:, g + j].astype(np.int64)
            counts.append(np.bincount(codes, minlength=len(b.index)).astype(float))
        out["c_counts"] = np.concatenate(counts)
    if len(layout.poisson_columns):
        K = X[:, g + k :].astype(float)
        out["pois_sum"] = K.sum(axis=0)
        out["pois_log_fact"] = special.gammaln(K + 1.0).sum(axis=0)
    return out


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
    encode = getattr(model, "encode", None)
    if callable(encode):  # a fitted parametric adapter encodes levels exactly
        return holdout_statistics_encoded(lay, encode(table))["c_counts"]
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
