"""The ``accumulate`` and ``mix`` workflows: exact Gaussian variance and mean laws (DESIGN §5).

Univariate Gaussian N(μ, σ²); generation 0 is fitted on ``n0`` real rows. Write ``D_t = μ̂_t − μ``
and ``v_t = σ̂²_t``; ``c(N) = N − 1`` (unbiased) or ``N`` (MLE).

**accumulate** — generation t is fitted on every row so far, ``N_t = n0 + Σ_{s≤t} n_s``. The n_t
new rows have mean ``ȳ = μ̂_{t−1} + √(v_{t−1}/n_t)·ξ_t`` and scatter ``v_{t−1}·χ²_{n_t−1}``; pooling
adds the between-group term ``(N_{t−1} n_t / N_t)(ȳ − μ̂_{t−1})² = v_{t−1}·ρ_t ξ_t²`` with
``ρ_t = N_{t−1}/N_t``. Hence

    v_t = v_{t−1} · W_t,   W_t = (c(N_{t−1}) + χ²_{n_t−1} + ρ_t χ²_1) / c(N_t),

with ``W_t`` independent of the past: ``σ̂²_T/σ² = W_0 Π W_t`` is again a product of independent
factors, and ``E[v_t | past] = v_{t−1}(1 − n_t/(N_t(N_t − 1)))`` (unbiased) or
``v_{t−1}(1 − n_t/N_t²)`` (MLE). Since ``n_t/(N_t(N_t−1)) ≤ 1/(N_{t−1}−1) − 1/(N_t−1)`` the product
converges to a positive limit and ``Σ Var log W_t < ∞``: the variance never collapses (n0 ≥ 2).
The mean: ``D_t = D_{t−1} + (n_t/N_t)·√(v_{t−1}/n_t)·ξ_t``; with σ known,
``Var(μ̂_T − μ̂_0) = σ²·Σ n_t/N_t²``, i.e. ``r_acc² = n0·Σ n_t/N_t²``.

**mix** — generation t is fitted on the n_t synthetic rows plus ``m_t`` fresh real rows drawn from
the truth (``λ_t = n_t/(n_t + m_t)``):

    D_t = λ_t D_{t−1} + λ_t √(v_{t−1}/n_t) ξ_t + (1 − λ_t) σ ξ'_t/√m_t        (AR(1) toward μ)
    SS_t = v_{t−1} χ²_{n_t−1} + σ² χ²_{m_t−1} + (n_t m_t/N_t)(ȳ − z̄)²,         v_t = SS_t / c(N_t)

The first moments ``(E D_t², E v_t)`` follow an exact linear recursion with a positive fixed point
(below); the variance is refreshed by real rows every generation and never collapses (m ≥ 1). The
joint law of ``(D_t, v_t)`` is a two-dimensional chain with no product structure: for ``mix`` only
the moments are exact.

Public names: :func:`workflow_criterion`, :func:`workflow_moments`,
:func:`accumulate_variance_law` (:class:`AccumulateVarianceLaw`), :func:`mean_improvement_known_variance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from ..exceptions import ValidationError, collect
from ._inputs import _as_schedule, _check_estimator, _check_n0, _sizes, _workflow
from ._numerics import gamma_rule, lanczos_rule, spline
from .replace import collapse_criterion

__all__ = [
    "AccumulateVarianceLaw",
    "WorkflowCriterion",
    "WorkflowMoments",
    "accumulate_variance_law",
    "improvement_probability_workflow",
    "mean_improvement_known_variance",
    "workflow_criterion",
    "workflow_moments",
]


def _c(n, estimator):
    n = np.asarray(n, dtype=float)
    return n - 1.0 if estimator == "unbiased" else n


def _check_common(n0, estimator) -> tuple[int, str]:
    problems, out = [], []
    for fn in (lambda: _check_n0(n0), lambda: _check_estimator(estimator)):
        try:
            out.append(fn())
        except ValidationError as err:
            problems += err.problems
    collect(problems)
    return out[0], out[1]


def _resolve(n0, schedule_or_sizes, n_generations, workflow):
    sizes = _sizes(schedule_or_sizes, n_generations)
    name, m = _workflow(workflow, int(sizes.size))
    return sizes, name, m


# --------------------------------------------------------------------------------------------
# moments (exact, every workflow)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowMoments:
    """Exact first moments of the Gaussian chain, generations 0..T, in units of σ².

    Attributes
    ----------
    workflow : str
    mean_sq_error : ndarray
        ``E[(μ̂_t − μ)²] / σ²`` (σ² re-estimated every generation, as the adapter does).
    mean_sq_error_known_variance : ndarray
        The same when the samplers use the true σ² (the textbook law).
    variance_ratio : ndarray
        ``E[σ̂²_t] / σ²``.
    """

    workflow: str
    mean_sq_error: np.ndarray
    mean_sq_error_known_variance: np.ndarray
    variance_ratio: np.ndarray


def workflow_moments(
    n0, schedule_or_sizes, n_generations=None, *, workflow="replace", estimator="unbiased"
) -> WorkflowMoments:
    """Exact ``E[(μ̂_t − μ)²]`` and ``E[σ̂²_t]`` for t = 0..T under any workflow.

    The recursions (σ² = 1, ``a = E D²``, ``b = E v`` of the previous generation, ``c = c(N_t)``):

    - replace: ``a ← a + b/n``, ``b ← b (n − 1)/c(n)``;
    - accumulate: ``a ← a + (n/N²) b``, ``b ← b (c(N_{t−1}) + n − 1 + N_{t−1}/N)/c(N)``;
    - mix: ``a ← λ²(a + b/n) + (1 − λ)²/m``,
      ``b ← [(n − 1) b + (m − 1) + (nm/N)(a + b/n + 1/m)] / c(N)``, ``N = n + m``, ``λ = n/N``.

    Generation 0: ``a = 1/n0``, ``b = c(n0)⁻¹ (n0 − 1)``. Under ``mix`` with constant sizes the
    pair converges to the positive fixed point of its affine map.

    Parameters
    ----------
    n0 : int
    schedule_or_sizes : Schedule, str or sequence of int
    n_generations : int, optional
    workflow : str or Workflow
        ``"replace"``, ``"accumulate"``, ``"mix:M"`` (M fresh real rows per generation).
    estimator : {"unbiased", "mle"}

    Returns
    -------
    WorkflowMoments

    Examples
    --------
    >>> mom = workflow_moments(10, [10, 10], workflow="accumulate")
    >>> mom.variance_ratio.round(6).tolist()    # 1 · (1 − 10/(20·19)) · (1 − 10/(30·29))
    [1.0, 0.973684, 0.962492]
    >>> mom.mean_sq_error_known_variance.round(6).tolist()   # (1/10)(1 + 10·(10/400 + 10/900))
    [0.1, 0.125, 0.136111]
    """
    n0, estimator = _check_common(n0, estimator)
    sizes, name, m = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    T = sizes.size
    a = np.empty(T + 1)
    b = np.empty(T + 1)
    k = np.empty(T + 1)
    a[0] = k[0] = 1.0 / n0
    b[0] = (n0 - 1) / float(_c(n0, estimator))
    N_prev = n0
    for t in range(T):
        n = float(sizes[t])
        if name == "replace":
            a[t + 1] = a[t] + b[t] / n
            k[t + 1] = k[t] + 1.0 / n
            b[t + 1] = b[t] * (n - 1) / float(_c(n, estimator))
        elif name == "accumulate":
            N = N_prev + n
            a[t + 1] = a[t] + n / N**2 * b[t]
            k[t + 1] = k[t] + n / N**2
            b[t + 1] = b[t] * (float(_c(N_prev, estimator)) + n - 1 + N_prev / N) / float(
                _c(N, estimator)
            )
            N_prev = N
        else:
            mm = float(m[t])
            N = n + mm
            lam = n / N
            a[t + 1] = lam**2 * (a[t] + b[t] / n) + (1 - lam) ** 2 / mm
            k[t + 1] = lam**2 * (k[t] + 1.0 / n) + (1 - lam) ** 2 / mm
            ss = (n - 1) * b[t] + (mm - 1) + n * mm / N * (a[t] + b[t] / n + 1 / mm)
            b[t + 1] = ss / float(_c(N, estimator))
    return WorkflowMoments(
        workflow=name, mean_sq_error=a, mean_sq_error_known_variance=k, variance_ratio=b
    )


# --------------------------------------------------------------------------------------------
# mean improvement with σ known (exact Gaussian laws)
# --------------------------------------------------------------------------------------------


def mean_improvement_known_variance(
    n0, schedule_or_sizes, n_generations=None, *, workflow="replace"
) -> float:
    """``P(|μ̂_T − μ| < |μ̂_0 − μ|)`` when every generation samples with the true σ (exact).

    Then ``(D_0, D_T)`` is bivariate normal: ``D_T = β D_0 + E`` with ``E ⊥ D_0``,
    ``Var D_0 = a = 1/n0``, and (σ = 1) replace: ``β = 1``, ``Var E = S_T``; accumulate:
    ``β = 1``, ``Var E = Σ n_t/N_t²``; mix: ``β = Π λ_t``, ``Var E`` from the AR(1) recursion
    ``e ← λ²(e + 1/n) + (1 − λ)²/m``. With ``U = D_0 − D_T``, ``V = D_0 + D_T`` (correlation ρ),
    ``P(|D_T| < |D_0|) = P(UV > 0) = ½ + arcsin(ρ)/π``. For β = 1 this is
    ``½ − arcsin(√(b/(4a + b)))/π`` (:func:`~synthaudit.theory.mean_improvement_probability`).
    T = 0 gives ½ (the limit b → 0), as the replace formula does.

    With σ² re-estimated (the Gaussian adapter), this is exact only for the limit of large
    samples; :func:`~synthaudit.theory.mean_improvement_probability_exact` gives the exact replace
    law and :func:`~synthaudit.theory.mean_improvement_prediction` says when this one may be shown.

    Examples
    --------
    >>> round(mean_improvement_known_variance(100, [100], workflow="replace"), 6)
    0.352416
    >>> round(mean_improvement_known_variance(100, [100] * 50, workflow="mix:100"), 4)
    0.5641

    Above ½: the fresh real rows of every generation pool information over generations.
    """
    n0 = _check_n0(n0)
    sizes, name, m = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    a = 1.0 / n0
    beta, e = 1.0, 0.0
    N_prev = n0
    for t, n in enumerate(sizes.astype(float)):
        if name == "replace":
            e += 1.0 / n
        elif name == "accumulate":
            N = N_prev + n
            e += n / N**2
            N_prev = N
        else:
            lam = n / (n + m[t])
            beta *= lam
            e = lam**2 * (e + 1.0 / n) + (1 - lam) ** 2 / m[t]
    if sizes.size == 0 or e == 0:
        return 0.5
    var_u = (1 - beta) ** 2 * a + e
    var_v = (1 + beta) ** 2 * a + e
    rho = ((1 - beta**2) * a - e) / math.sqrt(var_u * var_v)
    return float(0.5 + math.asin(max(-1.0, min(1.0, rho))) / math.pi)


# --------------------------------------------------------------------------------------------
# accumulate: the exact law of the variance
# --------------------------------------------------------------------------------------------


def _chi2_1_mix_cdf(a: np.ndarray, k: float, rho: float) -> np.ndarray:
    """``P(χ²_k + ρ χ²_1 ≤ a)`` for an array ``a`` (independent terms), to ~1e-14.

    ``= √(2/π) ∫_0^{√(a/ρ)} e^{−z²/2} F_k(a − ρ z²) dz``; with ``z = √(a/ρ) sin θ`` the integrand
    ``e^{−z²/2} F_k(a cos² θ) cos θ`` is smooth on ``[0, π/2]``; panels at z = ½, 1, 2, 4, 8 resolve
    the Gaussian factor; z > 12 carries less than e⁻⁷².
    """
    a = np.asarray(a, dtype=float)
    out = np.zeros(a.shape)
    pos = a > 0
    if not pos.any():
        return out
    ap = a[pos]
    zmax = np.sqrt(ap / rho)
    x, w = np.polynomial.legendre.leggauss(24)
    total = np.zeros(ap.shape)
    breaks = np.array([0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0])
    for lo_z, hi_z in zip(breaks[:-1], breaks[1:]):
        lo = np.arcsin(np.minimum(1.0, lo_z / zmax))
        hi = np.arcsin(np.minimum(1.0, hi_z / zmax))
        width = hi - lo
        th = lo[:, None] + (x[None, :] + 1) / 2 * width[:, None]
        z = zmax[:, None] * np.sin(th)
        f = np.exp(-(z**2) / 2) * stats.chi2.cdf(ap[:, None] * np.cos(th) ** 2, k) * np.cos(th)
        total += (f @ w) * width / 2
    out[pos] = np.sqrt(2 / np.pi) * zmax * total
    return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class AccumulateVarianceLaw:
    """Law of ``R = σ̂²_T / σ²`` under ``accumulate`` (exactly computable; build it with
    :func:`accumulate_variance_law`).

    ``R = W_0 Π_t W_t`` with independent ``W_0 = χ²_{n0−1}/c(n0)`` (when ``include_baseline``)
    and ``W_t = (c(N_{t−1}) + χ²_{n_t−1} + ρ_t χ²_1)/c(N_t)``. :meth:`mean` is closed form. The
    cdf of ``log R`` is computed on a grid: it starts from the first factor's exact cdf
    (``χ²`` cdf, or a one-dimensional integral for the first ``W_t``) and is averaged over each
    further factor with a Gauss rule of ``log W_t`` (the tensor Gamma rule reduced by Lanczos);
    see :mod:`synthaudit.theory._numerics`. :meth:`error_bound` compares with a run on half the
    grid step and twice the nodes.
    """

    n0: int
    sizes: np.ndarray
    estimator: str
    include_baseline: bool
    nodes: int = 32
    step_factor: float = 1 / 16

    # -- closed forms --------------------------------------------------------------------------
    def _factors(self):
        N = self.n0 + np.concatenate([[0], np.cumsum(self.sizes)]).astype(float)
        c = _c(N, self.estimator)
        return [
            (float(c[t]), float(self.sizes[t] - 1), float(N[t] / N[t + 1]), float(c[t + 1]))
            for t in range(self.sizes.size)
        ]

    def mean(self) -> float:
        """``E R`` exactly: ``E W_0 · Π (c(N_{t−1}) + n_t − 1 + ρ_t)/c(N_t)``.

        Examples
        --------
        >>> law = accumulate_variance_law(10, [10, 10])
        >>> round(law.mean(), 6)
        0.962492
        """
        out = (self.n0 - 1) / float(_c(self.n0, self.estimator)) if self.include_baseline else 1.0
        for c_prev, k, rho, c_t in self._factors():
            out *= (c_prev + k + rho) / c_t
        return float(out)

    # -- the cdf --------------------------------------------------------------------------------
    def _factor_rule(self, c_prev, k, rho, c_t, q):
        if k > 0:
            xg, wg = gamma_rule(k / 2, q + 16)
        else:
            xg, wg = np.zeros(1), np.ones(1)
        xz, wz = gamma_rule(0.5, q // 2 + 8)
        A = 2 * xg[:, None] + rho * 2 * xz[None, :]
        L = np.log((c_prev + A) / c_t).ravel()
        return lanczos_rule(L, (wg[:, None] * wz[None, :]).ravel(), q)

    def _moments(self, rules):
        means = [float(w @ x) for x, w in rules]
        variances = [float(w @ (x - mu) ** 2) for (x, w), mu in zip(rules, means)]
        return means, variances

    def _grid(self, q: int, step_factor: float):
        factors = self._factors()
        rules = [self._factor_rule(*f, q) for f in factors]
        means, variances = self._moments(rules)
        if self.include_baseline:
            k0 = self.n0 - 1
            c0 = float(_c(self.n0, self.estimator))
            sd0 = math.sqrt(float(special.polygamma(1, k0 / 2)))
            lo0 = math.log(stats.chi2.ppf(1e-17, k0) / c0)
            hi0 = math.log(stats.chi2.isf(1e-17, k0) / c0)

            def start(y):
                return stats.chi2.cdf(c0 * np.exp(y), k0)

            rest, rest_means, rest_vars = rules, means, variances
            floor = -math.inf
        else:
            c_prev, k, rho, c_t = factors[0]
            sd0 = math.sqrt(variances[0])
            lo0 = max(math.log(c_prev / c_t), means[0] - 20 * sd0)
            hi0 = means[0] + 20 * sd0

            def start(y):
                return _chi2_1_mix_cdf(c_t * np.exp(y) - c_prev, k, rho)

            rest, rest_means, rest_vars = rules[1:], means[1:], variances[1:]
            floor = lo0
        s_rest = math.sqrt(sum(rest_vars))
        m_rest = sum(rest_means)
        # each later factor is bounded below: log W_t ≥ log(c(N_{t−1})/c(N_t))
        lower_rest = sum(math.log(f[0] / f[3]) for f in (factors if self.include_baseline else factors[1:]))
        y_lo = lo0 + max(lower_rest, m_rest - 20 * s_rest)
        y_hi = hi0 + m_rest + 20 * s_rest
        if math.isfinite(floor):
            y_lo = max(y_lo, floor + lower_rest)
        h = sd0 * step_factor
        M = int(min(200_000, math.ceil((y_hi - y_lo) / h) + 1))
        y = np.linspace(y_lo, y_hi, M)
        g = start(y)
        for x, w in rest:
            sp = spline(y, g)
            args = y[:, None] - x[None, :]
            vals = np.where(args < y_lo, 0.0, np.where(args > y_hi, 1.0, sp(np.clip(args, y_lo, y_hi))))
            g = np.clip(vals @ w, 0.0, 1.0)
        return y, np.maximum.accumulate(g)

    def _cached(self, fine: bool):
        key = "_fine" if fine else "_coarse"
        if key not in self.__dict__:
            q = self.nodes * (2 if fine else 1)
            sf = self.step_factor / (2 if fine else 1)
            object.__setattr__(self, key, self._grid(q, sf))
        return self.__dict__[key]

    def cdf(self, eps):
        """``P(R ≤ eps)``, vectorised.

        Examples
        --------
        >>> law = accumulate_variance_law(10, [10] * 20)
        >>> round(float(law.cdf(0.5)), 4)     # generation 0 alone: P(χ²_9/9 ≤ 0.5) = 0.1245
        0.2173
        """
        eps_arr = np.asarray(eps, dtype=float)
        flat = np.atleast_1d(eps_arr).ravel()
        if np.any(np.isnan(flat)):
            raise ValidationError(f"`eps` must be numbers; got {eps!r}.")
        out = np.where(flat > 0, 1.0, 0.0)
        if self.sizes.size == 0 and not self.include_baseline:
            out = np.where(flat >= 1, 1.0, 0.0)
        else:
            inner = (flat > 0) & np.isfinite(flat)
            if inner.any():
                if self.sizes.size == 0:
                    c0 = float(_c(self.n0, self.estimator))
                    out[inner] = stats.chi2.cdf(c0 * flat[inner], self.n0 - 1)
                else:
                    y, g = self._cached(False)
                    ly = np.log(flat[inner])
                    val = np.clip(spline(y, g)(np.clip(ly, y[0], y[-1])), 0.0, 1.0)
                    out[inner] = np.where(ly < y[0], 0.0, np.where(ly > y[-1], 1.0, val))
        out = out.reshape(np.shape(np.atleast_1d(eps_arr))) if eps_arr.ndim else out
        return float(out[0]) if eps_arr.ndim == 0 else out

    def sf(self, eps):
        """``P(R > eps)``."""
        return 1.0 - self.cdf(eps)

    def error_bound(self) -> float:
        """A-posteriori bound on the cdf's numerical error: the largest difference to the same
        computation with half the grid step and twice the nodes (taken on the coarse grid).

        Examples
        --------
        >>> accumulate_variance_law(10, [10] * 5).error_bound() < 1e-6
        True
        """
        if self.sizes.size == 0 or (self.sizes.size == 1 and not self.include_baseline):
            return 0.0
        y, g = self._cached(False)
        yf, gf = self._cached(True)
        return float(np.max(np.abs(g - np.clip(spline(yf, gf)(y), 0.0, 1.0))))


def accumulate_variance_law(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    estimator: str = "unbiased",
    include_baseline: bool = True,
) -> AccumulateVarianceLaw:
    """Law of ``σ̂²_T / σ²`` under the ``accumulate`` workflow (see :class:`AccumulateVarianceLaw`).

    Parameters
    ----------
    n0 : int
    schedule_or_sizes : Schedule, str or sequence of int
    n_generations : int, optional
    estimator : {"unbiased", "mle"}
    include_baseline : bool
        True: ``R = σ̂²_T/σ²``; False: the ratio to generation 0's fitted variance.

    Examples
    --------
    >>> law = accumulate_variance_law(100, "const:100", 500)
    >>> round(law.mean(), 4), round(float(law.cdf(0.5)), 5)    # replace: 0.915 (collapse)
    (0.9936, 0.00019)
    """
    n0, estimator = _check_common(n0, estimator)
    sizes = _sizes(schedule_or_sizes, n_generations)
    return AccumulateVarianceLaw(
        n0=n0, sizes=sizes, estimator=estimator, include_baseline=bool(include_baseline)
    )


# --------------------------------------------------------------------------------------------
# collapse criterion per workflow
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowCriterion:
    """Whether the Gaussian variance collapses (``σ̂²_t → 0`` almost surely) under a workflow.

    Attributes
    ----------
    workflow : str
    collapses : bool
    expected_variance_ratio : float
        ``E[σ̂²_T]/σ²`` exactly (:func:`workflow_moments`).
    inverse_sum : float
        ``S_T = Σ 1/n_t`` (what decides the replace workflow).
    reason : str
    """

    workflow: str
    collapses: bool
    expected_variance_ratio: float
    inverse_sum: float
    reason: str

    def __str__(self) -> str:
        verdict = "collapses" if self.collapses else "does not collapse"
        return f"{self.workflow}: the variance {verdict}. {self.reason}"


def workflow_criterion(
    schedule, n_generations: int, *, workflow="replace", n0: int = 2, estimator="unbiased"
) -> WorkflowCriterion:
    """The collapse verdict of a schedule under a workflow.

    - ``replace`` collapses iff ``Σ 1/n_t = ∞`` (:func:`~synthaudit.theory.collapse_criterion`);
    - ``accumulate`` never does (n0 ≥ 2): ``E[σ̂²_t | past] = σ̂²_{t−1}(1 − n_t/(N_t(N_t − 1)))``
      and ``Σ n_t/(N_t(N_t−1)) ≤ 1/(n0 − 1)``, so ``σ̂²_t`` converges to a positive limit;
    - ``mix`` with m ≥ 1 fresh real rows per generation never does: the real rows add
      ``σ² χ²_{m−1}`` and a between-group term to the scatter every generation, and the
      moments converge to a positive fixed point.

    Examples
    --------
    >>> workflow_criterion("const:100", 500).collapses
    True
    >>> workflow_criterion("const:100", 500, workflow="accumulate", n0=100).collapses
    False
    >>> workflow_criterion("const:100", 500, workflow="mix:10", n0=100).collapses
    False
    """
    n0, estimator = _check_common(n0, estimator)
    sched = _as_schedule(schedule)
    name, _ = _workflow(workflow, int(n_generations) if isinstance(n_generations, int) else 0)
    crit = collapse_criterion(sched, n_generations)
    mom = workflow_moments(n0, sched, n_generations, workflow=workflow, estimator=estimator)
    ratio = float(mom.variance_ratio[-1])
    if name == "replace":
        return WorkflowCriterion(name, crit.collapses, ratio, crit.inverse_sum, crit.reason)
    if name == "accumulate":
        reason = (
            "Every real and synthetic row stays in the training set: E[σ̂²_t | past] = "
            "σ̂²_{t−1}(1 − n_t/(N_t(N_t − 1))) and these factors have a positive product, so the "
            "variance converges to a positive limit — no collapse, whatever the schedule."
        )
    else:
        reason = (
            "Fresh real rows enter every generation: they refresh the variance, whose expectation "
            "converges to a positive fixed point, and pull the mean back toward the truth "
            "(an AR(1) with λ = n/(n + m)) — no collapse, whatever the schedule."
        )
    return WorkflowCriterion(name, False, ratio, crit.inverse_sum, reason)



# --------------------------------------------------------------------------------------------
# asymptotic improvement probability under any workflow
# --------------------------------------------------------------------------------------------


def _ar_coefficients(n0, sizes, name, m):
    """``(β, e)``: ``θ_T − θ* ≈ β(θ_0 − θ*) + E`` with ``Cov E = e · I⁻¹`` (Fisher units, per
    unit of information of one row); ``Cov(θ_0 − θ*) = I⁻¹/n0``."""
    beta, e, N_prev = 1.0, 0.0, float(n0)
    for t, n in enumerate(sizes.astype(float)):
        if name == "replace":
            e += 1.0 / n
        elif name == "accumulate":
            N = N_prev + n
            e += n / N**2
            N_prev = N
        else:
            lam = n / (n + m[t])
            beta *= lam
            e = lam**2 * (e + 1.0 / n) + (1 - lam) ** 2 / m[t]
    return beta, e


def improvement_probability_workflow(
    n0, schedule_or_sizes, n_generations=None, *, d: int, workflow="replace"
) -> float:
    """Asymptotic ``P(risk_T < risk_0)`` with d free parameters under any workflow.

    In the Fisher metric, with asymptotically normal estimators, ``θ_T − θ* = β(θ_0 − θ*) + E``
    with E independent of θ_0: replace ``β = 1``, ``e = S_T``; accumulate ``β = 1``,
    ``e = Σ n_t/N_t²`` (so ``r_acc² = n0·e``); mix ``β = Π λ_t`` and the AR(1) recursion of
    :func:`mean_improvement_known_variance`. With ``a = 1/n0`` and ``X ~ N(0, a I_d)``,
    ``P = P(‖βX + E‖² < ‖X‖²) = E_Q[F_{χ'²_d(β² a Q/e)}(a Q/e)]``, ``Q ~ χ²_d`` (noncentral χ²
    cdf, Gauss rule over Q); for β = 1 it is the Student-t form of
    :func:`~synthaudit.theory.improvement_probability_r` with ``r² = n0·e``.

    Examples
    --------
    >>> round(improvement_probability_workflow(100, "const:100", 10, d=2), 4)   # replace
    0.0774
    >>> round(improvement_probability_workflow(100, "const:100", 10, d=2, workflow="accumulate"), 4)
    0.3251
    >>> round(improvement_probability_workflow(100, "const:100", 1, d=1, workflow="mix:100"), 4)
    0.5557
    """
    from .replace import _check_d, improvement_probability_r

    n0 = _check_n0(n0)
    d = _check_d(d)
    sizes, name, m = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    if sizes.size == 0:
        return 0.5
    beta, e = _ar_coefficients(n0, sizes, name, m)
    if beta == 1.0:
        return float(improvement_probability_r(math.sqrt(n0 * e), d))
    # over the radius s = ‖X‖/√a ~ χ_d, on which the integrand is smooth: composite Gauss–Legendre
    a = 1.0 / n0
    x, w = np.polynomial.legendre.leggauss(16)
    top = math.sqrt(d) + 12.0
    edges = np.linspace(0.0, top, 41)
    width = np.diff(edges)
    s = (edges[:-1, None] + width[:, None] * (x[None, :] + 1) / 2).ravel()
    ws = (width[:, None] * w[None, :] / 2).ravel()
    log_dens = (d - 1) * np.log(s) - s**2 / 2 - (d / 2 - 1) * math.log(2) - special.gammaln(d / 2)
    q = s**2
    vals = stats.ncx2.cdf(a * q / e, d, beta**2 * a * q / e)
    return float(np.clip(np.sum(ws * np.exp(log_dens) * vals), 0.0, 1.0))
