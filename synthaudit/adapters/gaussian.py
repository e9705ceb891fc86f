"""Gaussian adapter: univariate or multivariate normal over numeric columns.

Sufficient statistics of m rows: the count, the mean vector and the scatter matrix
``M = Σ (x_i − x̄)(x_i − x̄)ᵀ``. Drawn directly (DESIGN §5): ``x̄ ~ N(μ, Σ/n)`` and
``M ~ Wishart(n − 1, Σ)``, independent; the Wishart by a batched Bartlett decomposition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from .._util import ESTIMATORS
from ..params import gaussian_layout
from .base import ParametricAdapter, _columns_setting
from .schema import TableSchema, is_numeric

__all__ = ["GaussianAdapter"]


def _sqrt_psd(cov: np.ndarray) -> np.ndarray:
    """A batch of matrices F with F Fᵀ = cov (Cholesky; eigen-square-root where it fails)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        return v * np.sqrt(np.clip(w, 0.0, None))[..., None, :]


def wishart_batch(scale_sqrt: np.ndarray, df: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one Wishart(df_b, F_b F_bᵀ) matrix per lane b (Bartlett decomposition).

    ``scale_sqrt`` has shape (B, p, p), ``df`` shape (B,), integer ≥ 1. Lanes with df < p get a
    singular Wishart drawn as a sum of df outer products.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W = wishart_batch(np.eye(2)[None].repeat(4000, 0), np.full(4000, 10), rng)
    >>> np.round(W.mean(axis=0) / 10, 1)
    array([[1., 0.],
           [0., 1.]])
    """
    B, p, _ = scale_sqrt.shape
    df = np.asarray(df, dtype=np.int64)
    out = np.empty((B, p, p))
    full = df >= p
    if full.any():
        idx = np.flatnonzero(full)
        k = len(idx)
        A = np.zeros((k, p, p))
        dfi = df[idx][:, None] - np.arange(p)[None, :]
        A[:, np.arange(p), np.arange(p)] = np.sqrt(rng.chisquare(dfi))
        tril = np.tril_indices(p, -1)
        if len(tril[0]):
            A[:, tril[0], tril[1]] = rng.standard_normal((k, len(tril[0])))
        LA = scale_sqrt[idx] @ A
        out[idx] = LA @ np.swapaxes(LA, -1, -2)
    if (~full).any():
        idx = np.flatnonzero(~full)
        kmax = int(df[idx].max())
        Z = rng.standard_normal((len(idx), kmax, p))
        Z *= (np.arange(kmax)[None, :] < df[idx][:, None])[..., None]
        Y = Z @ np.swapaxes(scale_sqrt[idx], -1, -2)
        out[idx] = np.swapaxes(Y, -1, -2) @ Y
    return out


class GaussianAdapter(ParametricAdapter):
    """Normal model over numeric columns (univariate for one column, multivariate otherwise).

    Parameters
    ----------
    columns : list of str, optional
        Numeric columns to model (default: every column; each must be numeric).
    estimator : {"unbiased", "mle"}
        Variance divisor n − 1 (``"unbiased"``) or n (``"mle"``).

    Notes
    -----
    Parameters are named ``mean[c]`` for every column, then the upper triangle of the
    covariance row by row: ``var[c]`` on the diagonal, ``cov[a,b]`` off it.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> GaussianAdapter().fit(df).params_
    mean[x]    1.500000
    var[x]     1.666667
    Name: value, dtype: float64
    >>> float(GaussianAdapter(estimator="mle").fit(df).params_["var[x]"])
    1.25
    """

    name: ClassVar[str] = "gaussian"

    def __init__(self, columns: Sequence | None = None, estimator: str = "unbiased"):
        self.columns = columns
        self.estimator = estimator

    # -- settings and columns ---------------------------------------------------------------
    def settings_problems(self) -> list[str]:
        if self.estimator not in ESTIMATORS:
            return [f"`estimator` must be one of {list(ESTIMATORS)}; got {self.estimator!r}."]
        return []

    def _column_problems(self, data: pd.DataFrame, *, strict: bool) -> list[str]:
        problems: list[str] = []
        cols = _columns_setting(self.columns, data, problems)
        text = [c for c in cols if not is_numeric(data[c])]
        if text:
            problems.append(
                f"the gaussian adapter models numeric columns only; column(s) {text} are not "
                "numeric. Choose numeric columns (columns=[...]) or use adapter 'mixed' for "
                "tables with categorical columns."
            )
        if not cols and not problems:
            problems.append("no columns to model; give at least one numeric column.")
        if strict:
            const = [c for c in cols if c not in text and data[c].nunique() < 2]
            if const:
                problems.append(
                    f"column(s) {const} are constant: a Gaussian with zero variance cannot be "
                    "audited. Drop the column(s) or choose others with columns=[...]."
                )
        return problems

    def _schema_for(self, data: pd.DataFrame) -> TableSchema:
        cols = list(data.columns) if self.columns is None else list(self.columns)
        return TableSchema.from_frame(data[cols], {c: "numeric" for c in cols})

    def _bind_schema(self, schema: TableSchema) -> None:
        cols = list(schema.columns)
        self.columns_ = cols
        self._iu = np.triu_indices(len(cols))
        self.layout_ = gaussian_layout(cols)

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """The modelled columns as floats, in ``columns_`` order (shape (n, p))."""
        self._require_columns(data, self.columns_)
        return data[self.columns_].to_numpy(dtype=float)

    # -- statistics and estimator -----------------------------------------------------------
    def stats_from_encoded(self, X: np.ndarray) -> dict:
        B, m, _ = X.shape
        mean = X.mean(axis=1)
        D = X - mean[:, None, :]
        scatter = np.einsum("bmi,bmj->bij", D, D)
        return {"n": np.full(B, m, dtype=np.int64), "mean": mean, "scatter": scatter}

    @staticmethod
    def combine(a: dict, b: dict) -> dict:
        na, nb = a["n"].astype(float), b["n"].astype(float)
        n = na + nb
        delta = b["mean"] - a["mean"]
        mean = a["mean"] + delta * (nb / n)[:, None]
        scatter = (
            a["scatter"]
            + b["scatter"]
            + np.einsum("bi,bj->bij", delta, delta) * (na * nb / n)[:, None, None]
        )
        return {"n": a["n"] + b["n"], "mean": mean, "scatter": scatter}

    def params_from_stats(self, stats: dict) -> dict:
        n = stats["n"].astype(float)
        div = n - 1.0 if self.estimator == "unbiased" else n
        cov = stats["scatter"] / div[:, None, None]
        return {"mean": stats["mean"].copy(), "cov": cov}

    def theta_vector(self, theta: dict) -> np.ndarray:
        i, j = self._iu
        return np.concatenate([theta["mean"], theta["cov"][:, i, j]], axis=1)

    def theta_from_vector(self, v: np.ndarray) -> dict:
        v = np.atleast_2d(np.asarray(v, dtype=float))
        p = len(self.columns_)
        i, j = self._iu
        cov = np.zeros((v.shape[0], p, p))
        cov[:, i, j] = v[:, p:]
        cov[:, j, i] = v[:, p:]
        return {"mean": v[:, :p].copy(), "cov": cov}

    # -- simulation -------------------------------------------------------------------------
    def simulate_sufficient(self, theta: dict, n, *, rng: np.random.Generator) -> dict:
        """Statistics of ``n`` rows drawn from each lane of θ, without drawing the rows."""
        mean, cov = theta["mean"], theta["cov"]
        B, p = mean.shape
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), (B,))
        nf = n.astype(float)
        if p == 1:  # univariate: two scalar draws per lane
            var = np.clip(cov[:, 0, 0], 0.0, None)
            m = mean[:, 0] + np.sqrt(var / nf) * rng.standard_normal(B)
            s = var * rng.chisquare(n - 1)
            return {"n": n.copy(), "mean": m[:, None], "scatter": s[:, None, None]}
        F = _sqrt_psd(cov)
        z = rng.standard_normal((B, p))
        m = mean + np.einsum("bij,bj->bi", F, z) / np.sqrt(nf)[:, None]
        S = wishart_batch(F, n - 1, rng)
        return {"n": n.copy(), "mean": m, "scatter": S}

    def sample_rows(self, theta: dict, n: int, rng: np.random.Generator) -> pd.DataFrame:
        mean, cov = theta["mean"][0], theta["cov"][0]
        F = _sqrt_psd(cov[None])[0]
        X = mean + rng.standard_normal((n, len(mean))) @ F.T
        return pd.DataFrame(X, columns=self.columns_)

    def degenerate(self, theta) -> list[str]:
        var = np.diagonal(theta["cov"], axis1=-2, axis2=-1)
        zero = [c for c, v in zip(self.columns_, var[0]) if not v > 0]
        return [f"zero variance in column(s) {zero}"] if zero else []
