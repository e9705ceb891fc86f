"""Products of independent χ² variables: the multivariate generalized variance and the
regression noise variance (replace workflow; DESIGN §5).

**Generalized variance (Bartlett).** With p columns, the scatter of n rows drawn from
``N(μ̂_{t−1}, Σ̂_{t−1})`` is ``Wishart(n − 1, Σ̂_{t−1})``, and by Bartlett's decomposition its
determinant is ``|Σ̂_{t−1}| · Π_{i=0}^{p−1} χ²_{n−1−i}`` with independent factors. So

    |Σ̂_T| / |Σ| = Π_{t=0}^{T} Π_{i=0}^{p−1} χ²_{n_t−1−i} / c(n_t),      c(n) = n − 1 or n,

(generation 0 from the ``n0`` real rows), ``E|Σ̂_T|/|Σ| = Π_t Π_i (n_t − 1 − i)/c(n_t)`` — for a
constant n and the unbiased divisor ``Π_i ((n − 1 − i)/(n − 1))^{T+1}`` — and ``log|Σ̂_T|/|Σ|`` is a
sum of independent log-χ² terms: its law is a :class:`~synthaudit.theory.VarianceLaw`, inverted
exactly by the Gil-Pelaez formula. When some ``n_t ≤ p`` the scatter is singular: ``|Σ̂| = 0``.

**Regression noise variance.** Least squares with q coefficients (intercept included) on n_t rows
whose labels are drawn from generation t − 1's model: the residual sum of squares is
``σ̂²_{t−1} χ²_{n_t−q}`` whatever the (full-rank) design, so with the divisor ``n − q``

    σ̂²_T / σ² = Π_{t=0}^{T} χ²_{n_t−q} / (n_t − q)       (E = 1),

again a :class:`~synthaudit.theory.VarianceLaw`. (A design of rank below q — features resampled
from a tiny pool — is outside this law.)
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import ValidationError, collect
from ._inputs import _check_estimator, _check_n0, _is_int, _sizes
from .replace import VarianceLaw

__all__ = [
    "expected_generalized_variance_ratio",
    "generalized_variance_law",
    "noise_variance_law",
]


def _chi2_product_law(dofs: np.ndarray, divisors: np.ndarray, estimator: str) -> VarianceLaw:
    """Law of ``Π χ²_{k_j} / c_j`` (independent) as a VarianceLaw."""
    dofs = np.asarray(dofs, dtype=float)
    divisors = np.asarray(divisors, dtype=float)
    uniq, inverse, counts = np.unique(dofs, return_inverse=True, return_counts=True)
    log_scale = float(np.sum(np.log(2 / divisors))) if dofs.size else 0.0
    log_ratio = float(np.sum(np.log(dofs / divisors))) if dofs.size else 0.0
    return VarianceLaw(
        half_dof=uniq / 2,
        counts=counts.astype(float),
        log_scale=log_scale,
        estimator=estimator,
        n_factors=int(dofs.size),
        log_dof_ratio=log_ratio,
    )


def _check_dim(name, value, minimum=1):
    if not _is_int(value) or value < minimum:
        raise ValidationError(f"`{name}` must be an integer ≥ {minimum}; got {value!r}.")
    return int(value)


def _all_sizes(n0, schedule_or_sizes, n_generations, include_baseline):
    sizes = _sizes(schedule_or_sizes, n_generations)
    return np.concatenate([[n0], sizes]).astype(np.int64) if include_baseline else sizes


def _bartlett_factors(sizes, p, estimator):
    n = np.repeat(sizes, p).astype(float)
    i = np.tile(np.arange(p), sizes.size).astype(float)
    dof = n - 1 - i
    c = n - 1 if estimator == "unbiased" else n
    return dof, c


def expected_generalized_variance_ratio(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    dim: int,
    estimator: str = "unbiased",
    include_baseline: bool = True,
) -> float:
    """``E|Σ̂_T| / |Σ|`` exactly: ``Π_t Π_{i<p} (n_t − 1 − i)/c(n_t)`` (0 when some ``n_t ≤ p``).

    Examples
    --------
    >>> round(expected_generalized_variance_ratio(10, "const:10", 9, dim=2), 6)   # (8/9)^10
    0.307946
    >>> expected_generalized_variance_ratio(10, [2, 10], dim=2)                   # singular
    0.0
    """
    problems = []
    for fn in (
        lambda: _check_n0(n0),
        lambda: _check_estimator(estimator),
        lambda: _check_dim("dim", dim),
    ):
        try:
            fn()
        except ValidationError as err:
            problems += err.problems
    collect(problems)
    sizes = _all_sizes(n0, schedule_or_sizes, n_generations, include_baseline)
    dof, c = _bartlett_factors(sizes, int(dim), estimator)
    if np.any(dof <= 0):
        return 0.0
    return float(math.exp(np.sum(np.log(dof / c))))


def generalized_variance_law(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    dim: int,
    estimator: str = "unbiased",
    include_baseline: bool = True,
) -> VarianceLaw:
    """Exact law of ``|Σ̂_T| / |Σ|`` for a p-variate Gaussian refitted generation after generation.

    Parameters
    ----------
    n0 : int
    schedule_or_sizes : Schedule, str or sequence of int
    n_generations : int, optional
    dim : int
        p, the number of Gaussian columns.
    estimator : {"unbiased", "mle"}
    include_baseline : bool
        True: relative to the truth's Σ; False: relative to generation 0's fit.

    Returns
    -------
    VarianceLaw
        ``cdf(eps) = P(|Σ̂_T|/|Σ| ≤ eps)``, ``mean()``, ``log_mean()``, ``log_var()``.

    Raises
    ------
    ValidationError
        When some ``n_t ≤ p``: Σ̂ is then singular with probability one (``|Σ̂_T| = 0``); see
        :func:`expected_generalized_variance_ratio`.

    Examples
    --------
    >>> law = generalized_variance_law(10, "const:10", 9, dim=2)
    >>> round(law.mean(), 6), round(float(law.cdf(0.1)), 4)
    (0.307946, 0.7135)
    """
    problems = []
    for fn in (
        lambda: _check_n0(n0),
        lambda: _check_estimator(estimator),
        lambda: _check_dim("dim", dim),
    ):
        try:
            fn()
        except ValidationError as err:
            problems += err.problems
    collect(problems)
    sizes = _all_sizes(n0, schedule_or_sizes, n_generations, include_baseline)
    dof, c = _bartlett_factors(sizes, int(dim), estimator)
    if np.any(dof <= 0):
        bad = sorted({int(s) for s in sizes if s <= dim})
        raise ValidationError(
            f"sizes {bad} are ≤ dim = {dim}: the fitted covariance is singular with probability "
            "one (|Σ̂| = 0, log-determinant −inf); give every generation more than `dim` rows."
        )
    return _chi2_product_law(dof, c, estimator)


def noise_variance_law(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    n_coef: int,
    include_baseline: bool = True,
) -> VarianceLaw:
    """Exact law of ``σ̂²_T / σ²`` for the noise variance of a linear regression refitted on its
    own labels: ``Π_t χ²_{n_t−q}/(n_t − q)``, q = ``n_coef`` (intercept included).

    Examples
    --------
    >>> law = noise_variance_law(50, "const:50", 20, n_coef=3)
    >>> law.mean(), round(float(law.cdf(0.5)), 4)
    (1.0, 0.3968)
    """
    problems = []
    for fn in (lambda: _check_n0(n0), lambda: _check_dim("n_coef", n_coef)):
        try:
            fn()
        except ValidationError as err:
            problems += err.problems
    collect(problems)
    sizes = _all_sizes(n0, schedule_or_sizes, n_generations, include_baseline)
    dof = sizes.astype(float) - n_coef
    if np.any(dof <= 0):
        bad = sorted({int(s) for s in sizes if s <= n_coef})
        raise ValidationError(
            f"sizes {bad} are ≤ n_coef = {n_coef}: least squares leaves no residual degrees of "
            "freedom; give every generation more rows than coefficients."
        )
    return _chi2_product_law(dof, dof, "unbiased")
