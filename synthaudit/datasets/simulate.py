"""Simulated tables with known truth: the truth is a :class:`pandas.Series` indexed exactly like
the adapters' ``params_`` (built from the :mod:`synthaudit.params` layouts: ``"mean[x]"``,
``"cov[a,b]"``, ``"p[c=a]"``), so population risk and drift can be measured against it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _random
from ..exceptions import ValidationError
from ..params import ParamLayout, categorical_layout, gaussian_layout, poisson_layout, regression_layout

__all__ = [
    "SimulatedTable",
    "simulate_categorical",
    "simulate_gaussian",
    "simulate_linear",
    "simulate_logistic",
    "simulate_mixed",
    "simulate_multivariate_gaussian",
    "simulate_poisson",
]


def _truth(layout: ParamLayout, fill) -> pd.Series:
    """A truth Series indexed by ``layout.names``; ``fill(values)`` writes θ through the
    layout's indices (never an assumed order)."""
    values = np.full(len(layout), np.nan)
    fill(values)
    if np.isnan(values).any():  # pragma: no cover - a simulator that misses a parameter
        raise AssertionError(f"truth left unset: {np.array(layout.names)[np.isnan(values)]}")
    return pd.Series(values, index=list(layout.names), dtype="float64", name="truth")


@dataclass(frozen=True, eq=False)
class SimulatedTable:
    """A simulated table and the true parameters of the distribution it was drawn from.

    ``truth`` is indexed like the adapters' ``params_`` (``"mean[x]"``, ``"var[x]"``,
    ``"cov[a,b]"``, ``"p[c=a]"``, ``"rate[k]"``, ``"beta[x0]"``), so
    ``adapter.params_ - table.truth`` is the parameter error.
    """

    data: pd.DataFrame
    truth: pd.Series
    description: str = field(default="")

    def __repr__(self) -> str:
        rows, cols = self.data.shape
        return (
            f"SimulatedTable(data=<{rows} rows x {cols} columns>, "
            f"truth=[{', '.join(self.truth.index)}], description={self.description!r})"
        )


def _rng(rng: object) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    ok = (
        rng is None
        or isinstance(rng, np.random.SeedSequence)
        or (
            isinstance(rng, (int, np.integer))
            and not isinstance(rng, (bool, np.bool_))
            and rng >= 0
        )
    )
    if not ok:
        raise ValidationError(
            "`rng` must be a non-negative integer seed, a numpy.random.Generator or None; "
            f"got {rng!r}."
        )
    return _random.generator(_random.as_root(rng), "user")


def _check_n(n: object, problems: list[str]) -> None:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 2:
        problems.append(f"`n` must be an integer >= 2; got {n!r}.")


def _finite_scalar(value: object, name: str, problems: list[str], *, positive: bool = False):
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"`{name}` must be a real number; got {value!r}.")
        return None
    if isinstance(value, (bool, np.bool_)) or not math.isfinite(x) or (positive and x <= 0):
        want = "a finite number > 0" if positive else "a finite real number"
        problems.append(f"`{name}` must be {want}; got {value!r}.")
        return None
    return x


def _vector(value: object, name: str, problems: list[str]) -> np.ndarray | None:
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        problems.append(f"`{name}` must be a 1-D array of real numbers; got {value!r}.")
        return None
    if arr.ndim != 1 or arr.size == 0:
        problems.append(f"`{name}` must be a non-empty 1-D array; got shape {arr.shape}.")
        return None
    if not np.isfinite(arr).all():
        problems.append(f"`{name}` must hold finite numbers; got {arr.tolist()}.")
        return None
    return arr


def _column_names(
    columns: object, p: int, default: str, name: str, problems: list[str]
) -> list[str] | None:
    if columns is None:
        return [f"{default}{i}" for i in range(p)]
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        problems.append(f"`{name}` must be a sequence of {p} column names; got {columns!r}.")
        return None
    cols = list(columns)
    if len(cols) != p or not all(isinstance(c, str) and c for c in cols) or len(set(cols)) != p:
        problems.append(
            f"`{name}` must be {p} distinct non-empty strings (one per mean entry); got {cols!r}."
        )
        return None
    return cols


def _check_column(column: object, name: str, problems: list[str]) -> None:
    if not isinstance(column, str) or not column:
        problems.append(f"`{name}` must be a non-empty string; got {column!r}.")


def _gaussian_block(
    mean: object, cov: object, columns: object, problems: list[str]
) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    mu = _vector(mean, "mean", problems)
    try:
        sigma = np.asarray(cov, dtype="float64")
    except (TypeError, ValueError):
        problems.append(f"`cov` must be a square matrix of real numbers; got {cov!r}.")
        return None
    if mu is None:
        return None
    p = mu.size
    if sigma.ndim == 0 and p == 1:
        sigma = sigma.reshape(1, 1)
    if sigma.shape != (p, p):
        problems.append(
            f"`cov` must be a {p} x {p} matrix (one row per mean entry); got shape {sigma.shape}."
        )
        return None
    if not np.isfinite(sigma).all():
        problems.append("`cov` must hold finite numbers; got NaN or infinite entries.")
        return None
    if not np.allclose(sigma, sigma.T, rtol=1e-10, atol=1e-12):
        gap = float(np.max(np.abs(sigma - sigma.T)))
        problems.append(f"`cov` must be symmetric; got max |cov - cov.T| = {gap:.3g}.")
        return None
    smallest = float(np.linalg.eigvalsh(sigma).min())
    if smallest <= 0:
        problems.append(f"`cov` must be positive definite; got smallest eigenvalue {smallest:.3g}.")
        return None
    cols = _column_names(columns, p, "x", "columns", problems)
    if cols is None:
        return None
    return mu, sigma, cols


def _gaussian_truth(mu: np.ndarray, sigma: np.ndarray, cols: list[str]) -> pd.Series:
    lay = gaussian_layout(cols)

    iu = np.triu_indices(len(cols))

    def fill(v):
        v[lay.mean_index] = mu
        v[lay.cov_index[iu]] = sigma[iu]  # var[c] and cov[a,b] (upper triangle) where they sit

    return _truth(lay, fill)


def _draw_gaussian(
    n: int, mu: np.ndarray, sigma: np.ndarray, cols: list[str], gen: np.random.Generator
) -> pd.DataFrame:
    chol = np.linalg.cholesky(sigma)
    x = mu + gen.standard_normal((n, mu.size)) @ chol.T
    return pd.DataFrame(x, columns=cols)


def _categorical_block(
    probs: object, levels: object, column: object, problems: list[str]
) -> tuple[np.ndarray, list[str]] | None:
    _check_column(column, "column", problems)
    if isinstance(probs, Mapping):
        if levels is not None:
            problems.append(
                "give the levels either as the keys of `probs` or as `levels`, not both."
            )
            return None
        levels, probs = list(probs.keys()), list(probs.values())
    p = _vector(probs, "probs", problems)
    if p is None:
        return None
    if (p < 0).any() or not math.isclose(p.sum(), 1.0, rel_tol=0, abs_tol=1e-9):
        problems.append(
            f"`probs` must be non-negative and sum to 1; got {p.tolist()} (sum {p.sum():.12g})."
        )
        return None
    if levels is None:
        names = [str(i) for i in range(p.size)]
    elif isinstance(levels, str) or not isinstance(levels, Sequence):
        problems.append(f"`levels` must be a sequence of {p.size} level names; got {levels!r}.")
        return None
    else:
        names = list(levels)
        if (
            len(names) != p.size
            or not all(isinstance(v, str) and v for v in names)
            or len(set(names)) != p.size
        ):
            problems.append(
                f"`levels` must be {p.size} distinct non-empty strings (one per probability); "
                f"got {names!r}."
            )
            return None
    return p / p.sum(), names


def _draw_categorical(
    n: int, p: np.ndarray, names: list[str], column: str, gen: np.random.Generator
) -> tuple[pd.Series, pd.Series]:
    codes = gen.choice(p.size, size=n, p=p)
    data = pd.Series(pd.Categorical.from_codes(codes, categories=names), name=column)
    lay = categorical_layout([column], {column: names})

    def fill(v):
        v[lay.categorical[0].index] = p

    return data, _truth(lay, fill)


def simulate_gaussian(
    n: int, mean: float = 0.0, var: float = 1.0, *, column: str = "x", rng: Any = None
) -> SimulatedTable:
    """Draw ``n`` rows of one Gaussian column ``N(mean, var)``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    mean, var : float
        True mean and variance (``var > 0``).
    column : str, default "x"
        Column name.
    rng : int, numpy.random.Generator or None
        Seed (built through synthaudit's seeding tree), generator (used as is) or None
        (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: one ``float64`` column; ``truth`` indexed ``["mean[x]", "var[x]"]``.

    Examples
    --------
    >>> table = simulate_gaussian(1000, mean=2.0, var=4.0, rng=0)
    >>> table.data.shape
    (1000, 1)
    >>> table.truth
    mean[x]    2.0
    var[x]     4.0
    Name: truth, dtype: float64
    """
    problems: list[str] = []
    _check_n(n, problems)
    m = _finite_scalar(mean, "mean", problems)
    v = _finite_scalar(var, "var", problems, positive=True)
    _check_column(column, "column", problems)
    if problems:
        raise ValidationError(problems)
    gen = _rng(rng)
    data = pd.DataFrame({column: m + math.sqrt(v) * gen.standard_normal(int(n))})
    truth = _gaussian_truth(np.array([m]), np.array([[v]]), [column])
    return SimulatedTable(data, truth, f"{n} rows of {column} ~ N({m:g}, {v:g})")


def simulate_multivariate_gaussian(
    n: int, mean: Any, cov: Any, *, columns: Sequence[str] | None = None, rng: Any = None
) -> SimulatedTable:
    """Draw ``n`` rows of a multivariate Gaussian ``N(mean, cov)``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    mean : array-like of shape (p,)
        True mean.
    cov : array-like of shape (p, p)
        True covariance: symmetric positive definite.
    columns : sequence of str, optional
        Column names; default ``x0, x1, ...``.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: p ``float64`` columns. ``truth``: every ``mean[c]`` in column order, then the
        upper triangle of ``cov`` row by row: ``var[ci]`` on the diagonal, ``cov[ci,cj]`` above.

    Examples
    --------
    >>> table = simulate_multivariate_gaussian(
    ...     500, [0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]], columns=["a", "b"], rng=0)
    >>> table.truth.index.tolist()
    ['mean[a]', 'mean[b]', 'var[a]', 'cov[a,b]', 'var[b]']
    """
    problems: list[str] = []
    _check_n(n, problems)
    block = _gaussian_block(mean, cov, columns, problems)
    if problems or block is None:
        raise ValidationError(problems)
    mu, sigma, cols = block
    data = _draw_gaussian(int(n), mu, sigma, cols, _rng(rng))
    return SimulatedTable(
        data,
        _gaussian_truth(mu, sigma, cols),
        f"{n} rows of ({', '.join(cols)}) ~ {len(cols)}-variate Gaussian N(mean, cov)",
    )


def simulate_categorical(
    n: int,
    probs: Any,
    *,
    column: str = "c",
    levels: Sequence[str] | None = None,
    rng: Any = None,
) -> SimulatedTable:
    """Draw ``n`` rows of one categorical column with level probabilities ``probs``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    probs : array-like of shape (K,) or mapping level -> probability
        Non-negative, summing to 1 (a mapping also gives the levels).
    column : str, default "c"
        Column name.
    levels : sequence of str, optional
        Level names, one per probability; default ``"0", "1", ...``.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: one ``category`` column declaring *every* level, also those drawn zero times;
        ``truth`` indexed ``p[c=level]`` in level order.

    Examples
    --------
    >>> table = simulate_categorical(100, [0.5, 0.5, 0.0], levels=["a", "b", "z"], rng=0)
    >>> table.data["c"].cat.categories.tolist()
    ['a', 'b', 'z']
    >>> table.truth.index.tolist()
    ['p[c=a]', 'p[c=b]', 'p[c=z]']
    """
    problems: list[str] = []
    _check_n(n, problems)
    block = _categorical_block(probs, levels, column, problems)
    if problems or block is None:
        raise ValidationError(problems)
    p, names = block
    col, truth = _draw_categorical(int(n), p, names, column, _rng(rng))
    return SimulatedTable(
        col.to_frame(), truth, f"{n} rows of {column} ~ Categorical over {len(names)} levels"
    )


def simulate_poisson(n: int, rate: float, *, column: str = "k", rng: Any = None) -> SimulatedTable:
    """Draw ``n`` rows of one Poisson count column.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    rate : float
        True rate (mean), ``> 0``.
    column : str, default "k"
        Column name.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: one ``int64`` column; ``truth`` indexed ``["rate[k]"]``.

    Examples
    --------
    >>> table = simulate_poisson(50, 3.0, rng=0)
    >>> str(table.data["k"].dtype), table.truth.to_dict()
    ('int64', {'rate[k]': 3.0})
    """
    problems: list[str] = []
    _check_n(n, problems)
    lam = _finite_scalar(rate, "rate", problems, positive=True)
    _check_column(column, "column", problems)
    if problems:
        raise ValidationError(problems)
    counts = _rng(rng).poisson(lam, size=int(n)).astype("int64")
    lay = poisson_layout([column])

    def fill(v):
        v[lay.rate_index] = lam

    truth = _truth(lay, fill)
    return SimulatedTable(
        pd.DataFrame({column: counts}), truth, f"{n} rows of {column} ~ Poisson({lam:g})"
    )


def simulate_mixed(
    n: int,
    mean: Any = (0.0, 0.0),
    cov: Any = ((1.0, 0.5), (0.5, 1.0)),
    probs: Any = (0.5, 0.3, 0.2),
    *,
    columns: Sequence[str] | None = None,
    column: str = "c",
    levels: Sequence[str] | None = None,
    rng: Any = None,
) -> SimulatedTable:
    """Draw a Gaussian numeric block and an independent categorical column.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    mean, cov, columns
        The numeric block, as in :func:`simulate_multivariate_gaussian`.
    probs, column, levels
        The categorical column, as in :func:`simulate_categorical`.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: the numeric columns then the categorical one; ``truth``: the Gaussian truth
        then the categorical truth.

    Examples
    --------
    >>> table = simulate_mixed(200, rng=0)
    >>> table.data.dtypes.astype(str).tolist()
    ['float64', 'float64', 'category']
    >>> table.truth.index.tolist()
    ['mean[x0]', 'mean[x1]', 'var[x0]', 'cov[x0,x1]', 'var[x1]', 'p[c=0]', 'p[c=1]', 'p[c=2]']
    """
    problems: list[str] = []
    _check_n(n, problems)
    block = _gaussian_block(mean, cov, columns, problems)
    cat = _categorical_block(probs, levels, column, problems)
    if block is not None and cat is not None and column in block[2]:
        problems.append(
            f"`column` must differ from the numeric column names {block[2]}; got {column!r}."
        )
    if problems or block is None or cat is None:
        raise ValidationError(problems)
    mu, sigma, cols = block
    gen = _rng(rng)
    data = _draw_gaussian(int(n), mu, sigma, cols, gen)
    col, cat_truth = _draw_categorical(int(n), cat[0], cat[1], column, gen)
    data[column] = col.array
    truth = pd.concat([_gaussian_truth(mu, sigma, cols), cat_truth]).rename("truth")
    return SimulatedTable(
        data,
        truth,
        f"{n} rows: ({', '.join(cols)}) ~ Gaussian, independent {column} ~ Categorical over "
        f"{len(cat[1])} levels",
    )


def _regression_inputs(
    n: object, beta: object, intercept: object, problems: list[str]
) -> tuple[np.ndarray, float] | None:
    _check_n(n, problems)
    b = _vector(beta, "beta", problems)
    b0 = _finite_scalar(intercept, "intercept", problems)
    if b is None or b0 is None:
        return None
    return b, b0


def _regression_truth(b0: float, b: np.ndarray, s2: float | None = None) -> pd.Series:
    lay = regression_layout([f"x{i}" for i in range(b.size)], noise=s2 is not None)

    def fill(v):
        v[lay.intercept_index] = b0
        v[lay.beta_index] = b
        if s2 is not None:
            v[lay.noise_index] = s2

    return _truth(lay, fill)


def simulate_logistic(
    n: int, beta: Any, *, intercept: float = 0.0, rng: Any = None
) -> SimulatedTable:
    """Draw a logistic-regression table: standard normal features, binary label ``y``.

    ``P(y = 1 | x) = 1 / (1 + exp(-(intercept + x @ beta)))``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    beta : array-like of shape (p,)
        True coefficients of ``x0 .. x{p-1}``.
    intercept : float, default 0.0
        True intercept.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: ``float64`` columns ``x0 .. x{p-1}`` then ``y`` (``int64``, 0 or 1);
        ``truth`` indexed ``intercept, beta[x0], ...``.

    Examples
    --------
    >>> table = simulate_logistic(300, [1.0, -2.0], intercept=0.5, rng=0)
    >>> table.data.columns.tolist()
    ['x0', 'x1', 'y']
    >>> table.truth.index.tolist()
    ['intercept', 'beta[x0]', 'beta[x1]']
    """
    problems: list[str] = []
    inputs = _regression_inputs(n, beta, intercept, problems)
    if problems or inputs is None:
        raise ValidationError(problems)
    b, b0 = inputs
    gen = _rng(rng)
    x = gen.standard_normal((int(n), b.size))
    eta = b0 + x @ b
    prob = np.exp(-np.logaddexp(0.0, -eta))  # the logistic function, overflow-safe
    y = (gen.random(int(n)) < prob).astype("int64")
    data = pd.DataFrame(x, columns=[f"x{i}" for i in range(b.size)])
    data["y"] = y
    return SimulatedTable(
        data,
        _regression_truth(b0, b),
        f"{n} rows: x ~ N(0, I_{b.size}), y ~ Bernoulli(logistic(intercept + x @ beta))",
    )


def simulate_linear(
    n: int, beta: Any, *, intercept: float = 0.0, noise_var: float = 1.0, rng: Any = None
) -> SimulatedTable:
    """Draw a linear-regression table: standard normal features, Gaussian noise, label ``y``.

    ``y = intercept + x @ beta + e`` with ``e ~ N(0, noise_var)``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    beta : array-like of shape (p,)
        True coefficients of ``x0 .. x{p-1}``.
    intercept : float, default 0.0
        True intercept.
    noise_var : float, default 1.0
        True noise variance, ``> 0``.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: ``float64`` columns ``x0 .. x{p-1}`` then ``y``; ``truth`` indexed
        ``intercept, beta[x0], ..., noise_var``.

    Examples
    --------
    >>> table = simulate_linear(300, [1.0, -2.0], intercept=0.5, noise_var=0.25, rng=0)
    >>> table.truth.index.tolist()
    ['intercept', 'beta[x0]', 'beta[x1]', 'noise_var']
    """
    problems: list[str] = []
    inputs = _regression_inputs(n, beta, intercept, problems)
    s2 = _finite_scalar(noise_var, "noise_var", problems, positive=True)
    if problems or inputs is None or s2 is None:
        raise ValidationError(problems)
    b, b0 = inputs
    gen = _rng(rng)
    x = gen.standard_normal((int(n), b.size))
    y = b0 + x @ b + math.sqrt(s2) * gen.standard_normal(int(n))
    data = pd.DataFrame(x, columns=[f"x{i}" for i in range(b.size)])
    data["y"] = y
    truth = _regression_truth(b0, b, s2)
    return SimulatedTable(
        data, truth, f"{n} rows: x ~ N(0, I_{b.size}), y = intercept + x @ beta + N(0, {s2:g})"
    )
