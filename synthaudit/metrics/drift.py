"""Trace post-processing: standard errors at the reference, scale-free and Fisher drift,
variance retention, log-determinant ratios and level loss (arrays ``values[r, g, p]``)."""

from __future__ import annotations

import numpy as np

from ..exceptions import ValidationError
from ..params import ParamLayout
from .closed import _require_complete, layout_of

__all__ = [
    "drift_origin",
    "fisher_drift",
    "level_loss",
    "log_det_ratio",
    "standard_errors",
    "standardised_drift",
    "variance_retention",
]


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


def drift_origin(values: np.ndarray, theta_ref, origin: str) -> np.ndarray:
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
        return np.where(se > 0, (v - drift_origin(v, theta_ref, origin)) / se, np.nan)


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
    delta = v - drift_origin(v, ref, origin)
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
