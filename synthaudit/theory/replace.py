"""The replace workflow: closed forms for the fully synthetic loop (DESIGN §5).

Notation: generation 0 is fitted on ``n0`` real rows; generation t ≥ 1 on ``n_t`` rows drawn from
generation t − 1 (the *replace* workflow). ``S_T = Σ_{t=1..T} 1/n_t`` and ``r_T² = n0 · S_T``.

Every function takes the schedule either as a :class:`~synthaudit.schedules.Schedule` (or its
string spec) plus ``n_generations``, or as an explicit array of sizes ``[n_1, …, n_T]``.

What is here:

- :func:`collapse_criterion` — does ``S_∞`` diverge (collapse), and its limit when it does not;
- :func:`variance_law` — the *exact* law of ``σ̂²_T / σ²`` for a univariate Gaussian (a product of
  independent scaled χ² variables), inverted from its characteristic function with the Gil-Pelaez
  formula; :func:`collapse_probability` and :func:`collapse_curve` read it;
- :func:`improvement_probability` — ``P_T = E[Φ(−(r_T/2)·χ_d)]``, the probability that generation T
  beats the real-only baseline in the Fisher metric; :func:`mean_improvement_probability` for the
  Gaussian mean alone;
- :func:`bias_drift`, :func:`bias_collapses`, :func:`required_growth_power` — the bias rule;
- :func:`expected_variance_ratio`, :func:`accumulated_variance`.

Examples
--------
>>> from synthaudit.schedules import constant, polynomial
>>> collapse_criterion(constant(100), 500).collapses
True
>>> round(improvement_probability(100, polynomial(100, 1.5), 500, d=2), 4)
0.1891
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special  # integrate / optimize are imported lazily (import time)

from ..exceptions import ValidationError, collect
from ..schedules import Schedule, constant, explicit, exponential, linear, polynomial
from ._inputs import (
    _as_schedule,
    _check_alpha,
    _check_d,
    _check_estimator,
    _check_n0,
    _generations_list,
    _inverse_sums,
    _out,
    _sizes,
)

__all__ = [
    "CollapseCriterion",
    "VarianceLaw",
    "accumulated_variance",
    "bias_collapses",
    "bias_drift",
    "collapse_criterion",
    "collapse_curve",
    "collapse_probability",
    "expected_variance_ratio",
    "improvement_probability",
    "improvement_probability_r",
    "mean_improvement_probability",
    "required_growth_power",
    "variance_law",
]

# --------------------------------------------------------------------------------------------
# 1. collapse criterion
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollapseCriterion:
    """Whether a schedule collapses: does ``S_∞ = Σ_{t≥1} 1/n_t`` diverge?

    Attributes
    ----------
    schedule : Schedule
    n_generations : int
        The horizon T at which ``inverse_sum`` was computed.
    inverse_sum : float
        ``S_T``.
    collapses : bool
        True when ``S_∞ = ∞`` (the fitted variance goes to 0 almost surely, DESIGN §5).
    limit : float
        ``S_∞`` (``inf`` when the schedule collapses).
    limit_error : float
        A bound on the numerical error of ``limit`` (rounding of sizes to integers past the exactly
        summed part, plus truncation of the Euler–Maclaurin tail); 0 when exact or infinite.
    reason : str
        One plain-language sentence.
    """

    schedule: Schedule
    n_generations: int
    inverse_sum: float
    collapses: bool
    limit: float
    limit_error: float
    reason: str

    def __str__(self) -> str:
        verdict = "collapses" if self.collapses else "does not collapse"
        lim = "∞" if math.isinf(self.limit) else f"{self.limit:.6g}"
        return (
            f"{self.schedule!r} {verdict}: S_{self.n_generations} = {self.inverse_sum:.6g}, "
            f"S_∞ = {lim}. {self.reason}"
        )


_EXACT_TERMS = 100_000  # terms summed exactly (with rounded sizes) before a closed-form tail
_EXP_MAX_TERMS = 2_000_000


def _polynomial_limit(n0: float, p: float, m: int) -> tuple[float, float]:
    t = np.arange(1, m + 1, dtype=float)
    with np.errstate(over="ignore"):
        head = np.sum(1.0 / np.floor(n0 * t**p + 0.5))
    # Euler–Maclaurin for f(t) = t^-p / n0: Σ_{t>m} f = ∫_m^∞ f − f(m)/2 − f'(m)/12 + f'''(m)/720
    tail = (
        m ** (1 - p) / (p - 1)
        - 0.5 * m**-p
        + p * m ** (-p - 1) / 12
        - p * (p + 1) * (p + 2) * m ** (-p - 3) / 720
    ) / n0
    truncation = p * (p + 1) * (p + 2) * (p + 3) * (p + 4) * m ** (-p - 5) / 30240 / n0
    rounding = 0.5 * m ** (1 - 2 * p) / ((2 * p - 1) * n0**2 * (1 - 0.5 / n0))
    return float(head + tail), float(truncation + rounding)


def _exponential_limit(n0: float, g: float) -> tuple[float, float]:
    # sum exactly until sizes reach ~1e15 (rounding then negligible), geometric tail after
    m = int(min(_EXP_MAX_TERMS, max(1.0, 1 + math.log(1e15 / n0) / math.log(g))))
    t = np.arange(1, m + 1, dtype=float)
    head = np.sum(1.0 / np.floor(n0 * np.power(g, t - 1) + 0.5))
    tail = math.exp(-m * math.log(g)) / (n0 * (1 - 1 / g))
    rounding = 0.5 * math.exp(-2 * m * math.log(g)) / (n0**2 * (1 - g**-2) * (1 - 0.5 / n0))
    return float(head + tail), float(rounding)


def collapse_criterion(schedule, n_generations: int) -> CollapseCriterion:
    """Decide analytically whether a schedule collapses (``S_∞ = ∞``) and compute ``S_∞``.

    Constant and linear schedules diverge; ``polynomial(n0, p)`` diverges iff ``p ≤ 1``;
    ``exponential(n0, g)`` iff ``g = 1``; an explicit schedule repeats its last size forever, so it
    diverges. When ``S_∞`` is finite it is computed as the exact sum of ``1/n_t`` (with the sizes
    rounded as :meth:`Schedule.sizes` rounds them) over the first 10⁵ generations (polynomial) or
    until sizes reach 10¹⁵ (exponential), plus a closed-form tail for the unrounded sizes
    (Euler–Maclaurin to the third derivative for ``t^-p``, a geometric series for ``g^-t``).
    ``limit_error`` bounds the error of that approximation.

    Parameters
    ----------
    schedule : Schedule, str or sequence of int
        A schedule, its spec, or explicit sizes (the last one repeats).
    n_generations : int
        Horizon T for ``inverse_sum``.

    Returns
    -------
    CollapseCriterion

    Examples
    --------
    >>> from synthaudit.schedules import polynomial
    >>> c = collapse_criterion(polynomial(100, 2), 50)
    >>> c.collapses, round(c.limit * 100, 6)   # ζ(2) = π²/6 ≈ 1.644934
    (False, 1.644934)
    """
    sched = _as_schedule(schedule)
    s_t = float(np.sum(1.0 / sched.sizes(n_generations)))
    limit, err = math.inf, 0.0
    if isinstance(sched, constant):
        reason = "A constant size makes S_T = T/n grow without bound: the variance collapses."
    elif isinstance(sched, linear):
        reason = (
            "Linear growth makes S_T grow like log(T)/slope: slowly, but without bound, "
            "so the variance collapses."
            if sched.slope > 0
            else "A zero slope is a constant size: S_T = T/n grows without bound."
        )
    elif isinstance(sched, polynomial):
        if sched.power <= 1:
            reason = (
                f"n_t ∝ t^{sched.power:g} with power ≤ 1: S_T diverges (harmonic-type series), "
                "so the variance collapses."
            )
        else:
            limit, err = _polynomial_limit(float(sched.n0), float(sched.power), _EXACT_TERMS)
            reason = (
                f"n_t ∝ t^{sched.power:g} with power > 1: S_T converges "
                f"(to about ζ({sched.power:g})/{sched.n0:g}), so no collapse."
            )
    elif isinstance(sched, exponential):
        if sched.growth == 1:
            reason = "Growth factor 1 is a constant size: S_T = T/n grows without bound."
        else:
            limit, err = _exponential_limit(float(sched.n0), float(sched.growth))
            reason = f"Geometric growth ×{sched.growth:g}: S_T converges, so no collapse."
    elif isinstance(sched, explicit):
        reason = (
            "An explicit schedule repeats its last size forever, so S_T grows without bound: "
            "the variance collapses in the long run."
        )
    else:
        raise ValidationError(
            "`schedule` must be one of the built-in families (constant, linear, polynomial, "
            f"exponential, explicit) for an analytic verdict; got {sched!r}."
        )
    return CollapseCriterion(
        schedule=sched,
        n_generations=int(n_generations),
        inverse_sum=s_t,
        collapses=math.isinf(limit),
        limit=limit,
        limit_error=err,
        reason=reason,
    )


# --------------------------------------------------------------------------------------------
# 2. exact law of the Gaussian variance
# --------------------------------------------------------------------------------------------

# Stirling coefficients B_2k / (2k(2k−1)) for ln Γ(z), and B_2k / (2k) for ψ(a) − ln a
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360)
_PSI = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760)
_LARGE_A = 20.0


def _log_minus_psi(a: np.ndarray) -> np.ndarray:
    """``ln a − ψ(a)`` without cancellation for large ``a``."""
    a = np.asarray(a, dtype=float)
    out = np.empty_like(a)
    big = a >= _LARGE_A
    ab = a[big]
    series = 1 / (2 * ab)
    for k, c in enumerate(_PSI, start=1):
        series = series + c / ab ** (2 * k)
    out[big] = series
    out[~big] = np.log(a[~big]) - special.psi(a[~big])
    return out


def _stirling_r(z):
    out = 0
    for k, c in enumerate(_STIRLING, start=1):
        out = out + c / z ** (2 * k - 1)
    return out


def _centered_cgf(a: np.ndarray, counts: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``Σ_j counts_j · [ln Γ(a_j + w) − ln Γ(a_j) − w ψ(a_j)]`` for each w (complex or real).

    This is ``log E exp(w · (X − E X))`` for ``X = Σ log χ²_{2 a_j}``: the cumulant generating
    function of the centred log-variance (the scale of each χ² cancels). Where ``|a + w| ≥ 20`` it
    uses a Stirling form written in ``y = w/a`` so no large terms cancel, even for ``a ~ 10¹²``.
    """
    w = np.asarray(w, dtype=complex).ravel()
    a = np.asarray(a, dtype=float).ravel()
    counts = np.asarray(counts, dtype=float).ravel()
    total = np.zeros(w.shape, dtype=complex)
    lmp = _log_minus_psi(a)
    psi, lga = special.psi(a), special.gammaln(a)
    step = max(1, 2_000_000 // max(1, a.size))
    for lo in range(0, w.size, step):
        ww = w[None, lo : lo + step]
        aa = a[:, None]
        g = np.empty((a.size, ww.shape[1]), dtype=complex)
        big = np.abs(aa + ww) >= _LARGE_A
        big &= aa >= _LARGE_A
        if (~big).any():
            ab = np.broadcast_to(aa, g.shape)[~big]
            wb = np.broadcast_to(ww, g.shape)[~big]
            idx = np.broadcast_to(np.arange(a.size)[:, None], g.shape)[~big]
            g[~big] = special.loggamma(ab + wb) - lga[idx] - wb * psi[idx]
        if big.any():
            ab = np.broadcast_to(aa, g.shape)[big]
            wb = np.broadcast_to(ww, g.shape)[big]
            idx = np.broadcast_to(np.arange(a.size)[:, None], g.shape)[big]
            y = wb / ab
            # log(1 + y) accurately for complex y
            l1 = 0.5 * np.log1p(2 * y.real + np.abs(y) ** 2) + 1j * np.arctan2(y.imag, 1 + y.real)
            h = l1 - y  # log(1 + y) − y, by its series where |y| is small
            small = np.abs(y) < 0.2
            if small.any():
                ys = y[small]
                acc = np.zeros(ys.shape, dtype=complex)
                term = ys * ys
                ymax = max(float(np.abs(ys).max()), 1e-300)
                n_terms = min(34, 4 + math.ceil(-39.0 / math.log(ymax)))  # |y|^k < 1e-17 |y|²
                for k in range(2, n_terms):
                    acc += (-1) ** (k + 1) * term / k
                    term = term * ys
                h[small] = acc
            g[big] = (
                wb * lmp[idx] + ab * h + (wb - 0.5) * l1 + (_stirling_r(ab + wb) - _stirling_r(ab))
            )
        total[lo : lo + step] = counts @ g
    return total


def _gl_nodes(n: int = 16):
    x, wts = np.polynomial.legendre.leggauss(n)
    return (x + 1) / 2, wts / 2


_GL_X, _GL_W = _gl_nodes()
_TAIL_NEGLIGIBLE = 1e-18


@dataclass(frozen=True, eq=False)
class VarianceLaw:
    """Exact law of the variance ratio ``R = σ̂²_T / σ²`` of a univariate Gaussian.

    ``R = W_0 · Π_{t=1..T} W_t`` with independent ``W_t = χ²_{n_t−1} / c_t``, ``c_t = n_t − 1``
    (estimator ``"unbiased"``) or ``c_t = n_t`` (``"mle"``); ``W_0`` comes from the ``n0`` real
    rows when ``include_baseline`` is True (otherwise ``R`` is the ratio to generation 0). Build it
    with :func:`variance_law`.

    ``log R`` is a sum of independent log-χ² terms whose characteristic function is known in closed
    form (``E W^{iu} = (2/c)^{iu} Γ(k/2 + iu)/Γ(k/2)``), so :meth:`cdf` inverts it with the
    Gil-Pelaez formula by Gauss–Legendre quadrature: exact to about 1e-13, not a normal
    approximation. Values whose Chernoff bound is below 1e-18 are returned as 0 or 1.

    Attributes
    ----------
    half_dof : ndarray
        Distinct ``k/2 = (n − 1)/2`` values.
    counts : ndarray
        How many factors share each value.
    log_scale : float
        ``Σ log(2/c)`` over the factors.
    log_dof_ratio : float or None
        ``Σ log(k/c)`` over the factors when the divisors ``c`` are not ``k`` or ``k + 1`` (the
        generalized variance); None otherwise (read from ``estimator``).
    """

    half_dof: np.ndarray
    counts: np.ndarray
    log_scale: float
    estimator: str
    n_factors: int
    log_dof_ratio: float | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- moments -----------------------------------------------------------------------------
    def mean(self) -> float:
        """``E R`` exactly: 1 for the unbiased estimator, ``Π (n−1)/n`` under the MLE (in
        general ``Π k/c``, i.e. ``exp(log_dof_ratio)``)."""
        if self.log_dof_ratio is not None:
            return float(math.exp(self.log_dof_ratio))
        if self.estimator == "unbiased" or self.n_factors == 0:
            return 1.0
        n = 2 * self.half_dof + 1
        return float(np.exp(np.sum(self.counts * np.log1p(-1 / n))))

    def log_mean(self) -> float:
        """``E log R = Σ [ψ(k/2) + log(2/c)]`` (digamma)."""
        if self.n_factors == 0:
            return 0.0
        k = 2 * self.half_dof
        per = -_log_minus_psi(self.half_dof)  # ψ(a) − ln a = ψ(k/2) + log(2/k)
        if self.log_dof_ratio is not None:
            return float(np.sum(self.counts * per)) + self.log_dof_ratio
        if self.estimator == "mle":
            per = per - np.log1p(1 / k)  # log(k/c) with c = k + 1
        return float(np.sum(self.counts * per))

    def log_var(self) -> float:
        """``Var log R = Σ ψ'(k/2)`` (trigamma)."""
        return float(np.sum(self.counts * special.polygamma(1, self.half_dof)))

    # -- distribution --------------------------------------------------------------------------
    def _cgf(self, w):
        return _centered_cgf(self.half_dof, self.counts, w)

    def _nodes(self, zmax: float, s: float):
        """Quadrature nodes, weights and ``φ_Z`` on ``[0, V]`` (cached per panel width)."""
        h = 2.0 ** math.floor(math.log2(min(1.0, 2.0 / (1.0 + zmax))))
        if h in self._cache:
            return self._cache[h]
        if "v_max" not in self._cache:
            # upper limit V (standardised units): |φ_Z(V)| < 1e-19
            v_max = 4.0
            while self._cgf(np.array([1j * v_max / s])).real[0] > -44 and v_max < 1e6:
                v_max *= 2
            self._cache["v_max"] = v_max
        v_max = self._cache["v_max"]
        n_panels = math.ceil(v_max / h)
        edges = np.linspace(0.0, v_max, n_panels + 1)
        width = np.diff(edges)
        v = (edges[:-1, None] + width[:, None] * _GL_X[None, :]).ravel()
        wts = (width[:, None] * _GL_W[None, :]).ravel()
        phi = np.exp(self._cgf(1j * v / s))
        self._cache[h] = (v, wts, phi)
        return v, wts, phi

    def _gil_pelaez(self, x: np.ndarray) -> np.ndarray:
        """``P(log R ≤ x)`` for finite x (1-D array)."""
        m, s = self.log_mean(), math.sqrt(self.log_var())
        c = x - m
        out = np.full(x.shape, np.nan)
        # Chernoff bounds: P(X ≤ −c) ≤ exp(K(−λ) − λc), P(X ≥ c) ≤ exp(K(λ) − λc)
        amin = float(self.half_dof.min())
        left, right = c < 0, c > 0
        for mask, sign in ((left, -1.0), (right, 1.0)):
            if not mask.any():
                continue
            cc = np.abs(c[mask])
            best = np.full(cc.shape, np.inf)
            for f in (0.25, 0.5, 1.0, 2.0):
                lam = f * cc / s**2
                if sign < 0:
                    lam = np.minimum(lam, 0.99 * amin)
                bound = self._cgf(sign * lam).real - lam * cc
                best = np.minimum(best, bound)
            tiny = best < math.log(_TAIL_NEGLIGIBLE)
            idx = np.flatnonzero(mask)[tiny]
            out[idx] = 0.0 if sign < 0 else 1.0
        todo = np.isnan(out)
        if not todo.any():
            return out
        z = c[todo] / s
        v, wts, phi = self._nodes(float(np.abs(z).max()), s)
        res = np.empty(z.shape)
        for lo in range(0, z.size, 64):
            zz = z[lo : lo + 64]
            integrand = np.imag(np.exp(-1j * np.outer(zz, v)) * phi[None, :]) / v[None, :]
            res[lo : lo + 64] = 0.5 - (integrand @ wts) / math.pi
        out[todo] = np.clip(res, 0.0, 1.0)
        return out

    def cdf(self, eps):
        """``P(R ≤ eps)``, vectorised over ``eps``.

        Examples
        --------
        >>> law = variance_law(100, [], estimator="unbiased")   # T = 0: R = χ²_99 / 99
        >>> from scipy.stats import chi2
        >>> bool(abs(law.cdf(0.8) - chi2.cdf(0.8 * 99, 99)) < 1e-12)
        True
        """
        eps_arr = np.asarray(eps, dtype=float)
        flat = np.atleast_1d(eps_arr).ravel()
        if np.any(np.isnan(flat)):
            raise ValidationError(f"`eps` must be numbers; got {eps!r}.")
        out = np.where(flat > 0, 1.0, 0.0)
        inner = (flat > 0) & np.isfinite(flat)
        if self.n_factors == 0:
            out = np.where(flat >= 1, 1.0, 0.0)
        elif inner.any():
            out[inner] = self._gil_pelaez(np.log(flat[inner]))
        out = out.reshape(np.shape(np.atleast_1d(eps_arr))) if eps_arr.ndim else out
        return float(out[0]) if eps_arr.ndim == 0 else out

    def sf(self, eps):
        """``P(R > eps) = 1 − cdf(eps)``."""
        c = self.cdf(eps)
        return 1.0 - c

    def ppf(self, q):
        """Quantile: the ``eps`` with ``cdf(eps) = q`` (root-finding in ``log eps``)."""
        q = float(q)
        if not 0 < q < 1:
            raise ValidationError(f"`q` must be strictly between 0 and 1; got {q!r}.")
        if self.n_factors == 0:
            return 1.0
        m, s = self.log_mean(), math.sqrt(self.log_var())
        lo, hi = m - 8 * s, m + 8 * s
        while self.cdf(math.exp(lo)) > q:
            lo -= 8 * s
        while self.cdf(math.exp(hi)) < q:
            hi += 8 * s
        from scipy import optimize

        x = optimize.brentq(lambda x: self.cdf(math.exp(x)) - q, lo, hi, xtol=1e-12)
        return math.exp(x)

    def __str__(self) -> str:
        return (
            f"VarianceLaw({self.n_factors} factors, estimator={self.estimator!r}): "
            f"E R = {self.mean():.6g}, E log R = {self.log_mean():.6g}, "
            f"sd log R = {math.sqrt(self.log_var()):.6g}"
        )


def variance_law(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    estimator: str = "unbiased",
    include_baseline: bool = True,
) -> VarianceLaw:
    """Exact law of ``σ̂²_T / σ²`` for a univariate Gaussian refitted generation after generation.

    Parameters
    ----------
    n0 : int
        Real rows behind generation 0.
    schedule_or_sizes : Schedule, str or sequence of int
        The schedule (with ``n_generations``) or explicit sizes ``[n_1, …, n_T]``; an empty list
        means T = 0.
    n_generations : int, optional
        T (0 allowed: generation 0 only).
    estimator : {"unbiased", "mle"}
        Variance divisor ``n − 1`` or ``n``.
    include_baseline : bool
        True: ``R = σ̂²_T / σ²`` (generation 0's own sampling error included). False: condition on
        ``σ̂²_0 = σ²``, i.e. ``R`` is the ratio to generation 0.

    Returns
    -------
    VarianceLaw

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> law = variance_law(100, constant(100), 100)
    >>> round(law.cdf(0.5), 4), law.mean()
    (0.5902, 1.0)
    """
    problems = []
    for fn in (lambda: _check_n0(n0), lambda: _check_estimator(estimator)):
        try:
            fn()
        except ValidationError as err:
            problems += err.problems
    collect(problems)
    sizes = _sizes(schedule_or_sizes, n_generations)
    if include_baseline:
        sizes = np.concatenate([[n0], sizes]).astype(np.int64)
    uniq, counts = np.unique(sizes, return_counts=True)
    k = uniq.astype(float) - 1
    c = k if estimator == "unbiased" else k + 1
    log_scale = float(np.sum(counts * np.log(2 / c))) if uniq.size else 0.0
    return VarianceLaw(
        half_dof=k / 2,
        counts=counts.astype(float),
        log_scale=log_scale,
        estimator=estimator,
        n_factors=int(sizes.size),
    )


def collapse_probability(
    eps,
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    estimator: str = "unbiased",
    include_baseline: bool = True,
):
    """``P(σ̂²_T / σ² ≤ eps)``, exactly (see :func:`variance_law`); vectorised over ``eps``.

    Examples
    --------
    >>> from synthaudit.schedules import constant, polynomial
    >>> round(collapse_probability(0.5, 100, constant(100), 300), 3)
    0.829
    >>> round(collapse_probability(0.5, 100, polynomial(100, 1.5), 300), 4)
    0.0075
    """
    law = variance_law(
        n0, schedule_or_sizes, n_generations, estimator=estimator, include_baseline=include_baseline
    )
    return law.cdf(eps)


def collapse_curve(
    eps: float,
    n0,
    schedule,
    generations: Sequence[int],
    *,
    estimator: str = "unbiased",
    include_baseline: bool = True,
):
    """``P(σ̂²_t / σ² ≤ eps)`` for each t in ``generations``: a tidy frame.

    Returns
    -------
    DataFrame
        Columns ``generation`` (int) and ``probability`` (float).

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> collapse_curve(0.5, 100, constant(100), [0, 100, 500]).round(3)
       generation  probability
    0           0        0.000
    1         100        0.590
    2         500        0.915
    """
    gens, _ = _generations_list(generations, "generations")
    probs = [
        float(
            collapse_probability(
                eps, n0, schedule, int(t), estimator=estimator, include_baseline=include_baseline
            )
        )
        for t in gens
    ]
    import pandas as pd  # the one tabular return value of theory; pandas loads only here

    return pd.DataFrame({"generation": gens, "probability": probs})


def expected_variance_ratio(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    estimator: str = "unbiased",
    include_baseline: bool = True,
) -> float:
    """``E[σ̂²_T / σ²]`` exactly: 1 (unbiased) or ``Π (1 − 1/n_t)`` over the factors (MLE).

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> round(expected_variance_ratio(100, constant(100), 500, estimator="mle"), 6)
    0.006505
    """
    return variance_law(
        n0, schedule_or_sizes, n_generations, estimator=estimator, include_baseline=include_baseline
    ).mean()


def accumulated_variance(n0, schedule_or_sizes, n_generations=None):
    """``r_T² = n0 · S_T``: the variance added by T generations, in units of the baseline's.

    ``n_generations`` may be a list (returns an array).

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> round(accumulated_variance(100, constant(100), 50), 12)
    50.0
    """
    n0 = _check_n0(n0)
    s, scalar = _inverse_sums(schedule_or_sizes, n_generations)
    return _out(n0 * s, scalar)


# --------------------------------------------------------------------------------------------
# 3. improvement probability
# --------------------------------------------------------------------------------------------


def _improvement_quadrature(r: float, d: int) -> float:
    """``E[Φ(−(r/2) χ_d)]`` by adaptive quadrature over the χ_d density."""
    from scipy import integrate

    if r == 0:
        return 0.5
    if math.isinf(r):
        return 0.0
    log_norm = (d / 2 - 1) * math.log(2) + special.gammaln(d / 2)

    def f(x):
        if x == 0:
            return 0.5 * math.exp(-log_norm) if d == 1 else 0.0
        return math.exp(
            special.log_ndtr(-0.5 * r * x) + (d - 1) * math.log(x) - x * x / 2 - log_norm
        )

    mode = math.sqrt(max(d - 1, 0.0))
    top = mode + 40.0
    c = r / 2  # Φ(−c x) lives on x ≲ 40/c: resolve that scale when c is large
    pieces = sorted({0.0, top, *(p for p in (mode, 1 / c, 8 / c, 40 / c) if 0 < p < top)})
    total = 0.0
    for lo, hi in itertools.pairwise(pieces):
        val, _ = integrate.quad(f, lo, hi, epsabs=1e-15, epsrel=1e-13, limit=200)
        total += val
    return total


def improvement_probability_r(r, d: int, *, method: str = "exact"):
    """``P = E[Φ(−(r/2)·χ_d)]`` as a function of ``r = sqrt(n0 · S_T)``; vectorised over ``r``.

    Since ``Z/χ_d = t_d/√d`` for independent ``Z ~ N(0,1)`` (Student t with d degrees of freedom),
    ``P = F_{t_d}(−r√d/2)`` exactly. ``method="exact"`` uses the closed forms
    ``(1/π)·arctan(2/r)`` (d = 1) and ``½·(1 − r/√(4 + r²))`` (d = 2) and the Student-t cdf
    otherwise; ``method="quadrature"`` integrates over the χ_d density (a cross-check).

    Parameters
    ----------
    r : float or array_like
        ``r_T ≥ 0``.
    d : int
        Number of free parameters (≥ 1).
    method : {"exact", "quadrature"}

    Examples
    --------
    >>> round(improvement_probability_r(1.0, 2), 6)
    0.276393
    >>> exact = improvement_probability_r(1.0, 5)
    >>> bool(abs(exact - improvement_probability_r(1.0, 5, method="quadrature")) < 1e-10)
    True
    """
    d = _check_d(d)
    if method not in ("exact", "quadrature"):
        raise ValidationError(f"`method` must be 'exact' or 'quadrature'; got {method!r}.")
    r_arr = np.asarray(r, dtype=float)
    if np.any(np.isnan(r_arr)) or np.any(r_arr < 0):
        raise ValidationError(f"`r` must be ≥ 0; got {r!r}.")
    if method == "quadrature":
        out = np.vectorize(lambda x: _improvement_quadrature(float(x), d), otypes=[float])(r_arr)
    elif d == 1:
        with np.errstate(divide="ignore"):
            out = np.arctan2(2.0, r_arr) / math.pi
    elif d == 2:
        # ½(1 − r/√(4 + r²)) written without cancellation for large r
        with np.errstate(invalid="ignore", over="ignore"):
            root = np.sqrt(4 + r_arr**2)
            out = np.where(np.isinf(r_arr), 0.0, 2 / (root * (root + r_arr)))
    else:
        out = special.stdtr(d, -r_arr * math.sqrt(d) / 2)
    return float(out) if r_arr.ndim == 0 else np.asarray(out, dtype=float)


def improvement_probability(n0, schedule_or_sizes, n_generations=None, *, d: int, method="exact"):
    """Probability that generation T beats the real-only baseline (DESIGN §5).

    ``P_T = E[Φ(−(r_T/2)·χ_d)]`` with ``r_T² = n0·S_T``: the risk is measured in the Fisher metric
    (KL to second order), estimators asymptotically normal, replace workflow. Always below ½;
    tends to 0 when ``S_∞ = ∞``. See :func:`improvement_probability_r`.

    Parameters
    ----------
    n0 : int
    schedule_or_sizes : Schedule, str or sequence of int
    n_generations : int or sequence of int, optional
        A list gives an array (one value per horizon).
    d : int
        Number of free parameters.
    method : {"exact", "quadrature"}

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> improvement_probability(100, constant(100), [1, 10, 100], d=2).round(4)
    array([0.2764, 0.0774, 0.0097])
    """
    n0 = _check_n0(n0)
    d = _check_d(d)
    s, scalar = _inverse_sums(schedule_or_sizes, n_generations)
    p = np.atleast_1d(improvement_probability_r(np.sqrt(n0 * s), d, method=method))
    return _out(p, scalar)


def mean_improvement_probability(n0, schedule_or_sizes, n_generations=None):
    """``P(|μ_T − μ| < |μ_0 − μ|)`` for the Gaussian mean: ``½ − arcsin(√(b/(4a + b)))/π``.

    ``a = σ²/n0``, ``b = σ²·S_T`` (σ² cancels). This equals :func:`improvement_probability` with
    d = 1, ``(1/π)·arctan(2/r_T)``.

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> round(mean_improvement_probability(100, constant(100), 1), 6)
    0.352416
    """
    n0 = _check_n0(n0)
    s, scalar = _inverse_sums(schedule_or_sizes, n_generations)
    a, b = 1.0 / n0, s
    p = 0.5 - np.arcsin(np.sqrt(b / (4 * a + b))) / math.pi
    return _out(p, scalar)


# --------------------------------------------------------------------------------------------
# 4. bias rule
# --------------------------------------------------------------------------------------------


def bias_drift(schedule_or_sizes, alpha: float, n_generations=None):
    """Accumulated drift ``Σ_{t=1..T} n_t^(−α)`` for an estimator with bias of order ``n^(−α)``.

    Examples
    --------
    >>> from synthaudit.schedules import constant
    >>> round(bias_drift(constant(100), 0.5, 10), 12)
    1.0
    """
    alpha = _check_alpha(alpha)
    if n_generations is None:
        sizes = _sizes(schedule_or_sizes, None)
        return float(np.sum(sizes.astype(float) ** -alpha))
    gens, scalar = _generations_list(n_generations)
    tmax = int(gens.max())
    sizes = _sizes(schedule_or_sizes, tmax) if tmax else np.zeros(0, dtype=np.int64)
    cums = np.concatenate([[0.0], np.cumsum(sizes.astype(float) ** -alpha)])
    return _out(cums[gens], scalar)


def required_growth_power(alpha: float, estimator_bias: bool = True) -> float:
    """Power p such that ``n_t ∝ t^q`` avoids drift iff ``q > p``.

    With a bias of order ``n^(−α)`` the drift ``Σ n_t^(−α)`` converges iff ``q·α > 1``, and the
    variance needs ``q > 1``: the threshold is ``max(1, 1/α)`` (= ``1/α`` for the usual α ≤ 1).
    For an unbiased estimator (``estimator_bias=False``) it is 1.

    Examples
    --------
    >>> required_growth_power(0.5)
    2.0
    >>> required_growth_power(0.5, estimator_bias=False)
    1.0
    """
    alpha = _check_alpha(alpha)
    return max(1.0, 1.0 / alpha) if estimator_bias else 1.0


def bias_collapses(schedule, alpha: float) -> bool:
    """Whether ``Σ_t n_t^(−α)`` diverges (bias drifts without bound), decided analytically.

    Constant and explicit schedules diverge; linear ones iff ``α ≤ 1`` (or slope 0);
    ``polynomial(n0, p)`` iff ``p·α ≤ 1``; ``exponential(n0, g)`` iff ``g = 1``.

    Examples
    --------
    >>> from synthaudit.schedules import polynomial
    >>> bias_collapses(polynomial(100, 1.5), 0.5), bias_collapses(polynomial(100, 2.5), 0.5)
    (True, False)
    """
    alpha = _check_alpha(alpha)
    sched = _as_schedule(schedule)
    if isinstance(sched, (constant, explicit)):
        return True
    if isinstance(sched, linear):
        return sched.slope == 0 or alpha <= 1
    if isinstance(sched, polynomial):
        return sched.power * alpha <= 1
    if isinstance(sched, exponential):
        return sched.growth == 1
    raise ValidationError(
        f"`schedule` must be one of the built-in families for an analytic verdict; got {sched!r}."
    )
