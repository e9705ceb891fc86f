"""Exact finite-n laws, used instead of the asymptotic ones where they exist (DESIGN §5).

- :func:`mean_improvement_probability_exact` — ``P(|μ̂_T − μ| < |μ̂_0 − μ|)`` for a Gaussian whose
  variance is re-estimated every generation (replace workflow):
  ``P = E[(1/π)·arctan(2σ/√(n0·V))]``, ``V = Σ_t σ̂²_{t−1}/n_t``.
- :func:`level_loss_probability` — Wright–Fisher: ``P(p̂_T = 0)`` for a level of probability p.
- :func:`extinction_probability` — Galton–Watson: ``P(λ̂_T = 0)`` for a Poisson rate.
- :func:`binary_improvement_probability`, :func:`poisson_improvement_probability` — the exact
  improvement probability of one binary column or one count column, ties counted apart.

**Ties.** Improvement means a *strictly* smaller risk. Counts live on a lattice, so
``risk_T = risk_0`` has positive probability (the same proportion ``x_T/n_T = x_0/n_0``, a level
lost at both generations, or a mirror value of a symmetric risk); the exact laws return that
probability separately (``tie``) and never count it as an improvement. Two risks are equal when
they differ by at most ``1e-12·(1 + |risk_0|)`` (so mirror ties, equal in exact arithmetic, are
not decided by rounding).

**The mean improvement, exactly.** Given the variance path, the mean increments are independent
Gaussians, so ``P = E[h(V)]`` with ``h(v) = arctan(2/√(n0 v))/π`` (σ = 1). Write
``V = W_0·U_1`` with the affine recursion ``U_t = 1/n_t + W_t U_{t+1}``, ``U_T = 1/n_T``
(``W_t = χ²_{n_t−1}/c_t`` independent). Then ``P_T = g_T(1/n_T)`` where

    g_1(u) = E[h(W_0 u)],     g_{t+1}(u) = E[g_t(1/n_t + W_t u)],

a one-dimensional value-function recursion: each step averages a smooth function of ``log u`` over
one Gauss rule (see :mod:`synthaudit.theory._numerics`), and one pass gives every horizon. The
grid spans ``[log(1/max n_t), log(1/min n_t) + log T + 40]``; beyond its top (probability below
``T e^{−40}`` by Markov's inequality on ``Π W``, since ``E W ≤ 1``) ``g`` is extended by its
``u^{−1/2}`` decay.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from ..exceptions import ValidationError, collect
from ._inputs import _check_estimator, _check_n0, _generations_list, _sizes, _workflow
from ._numerics import gamma_rule, spline

__all__ = [
    "binary_improvement_probability",
    "extinction_probability",
    "level_loss_probability",
    "mean_improvement_probability_exact",
    "poisson_improvement_probability",
]

TIE_RTOL = 1e-12
_DROP = 1e-20  # states with less mass than this are dropped (their total bounds the error)
_MAX_WORK = 4e9
_DENSE_MAX = 1.6e7  # transition matrices up to this many entries are built once and cached


def _horizons(schedule_or_sizes, n_generations):
    """(sizes up to the largest horizon, horizons array, scalar?)."""
    if n_generations is None:
        sizes = _sizes(schedule_or_sizes, None)
        return sizes, np.array([sizes.size]), True
    gens, scalar = _generations_list(n_generations)
    tmax = int(gens.max())
    sizes = _sizes(schedule_or_sizes, tmax) if tmax else np.zeros(0, dtype=np.int64)
    return sizes, gens, scalar


def _ret(values, scalar):
    values = np.asarray(values, dtype=float)
    return float(values[0]) if scalar else values


def _check_prob(name, p, *, open_interval=True):
    ok = isinstance(p, (int, float, np.integer, np.floating)) and not isinstance(p, bool)
    if ok:
        p = float(p)
        ok = 0 < p < 1 if open_interval else 0 <= p <= 1
    if not ok:
        raise ValidationError(f"`{name}` must be a probability strictly between 0 and 1; got {p!r}.")
    return p


# --------------------------------------------------------------------------------------------
# the mean improvement with σ² re-estimated
# --------------------------------------------------------------------------------------------


def _mean_improvement_pass(n0, sizes, estimator, h, q):
    T = sizes.size
    c = (lambda n: n - 1.0) if estimator == "unbiased" else (lambda n: float(n))
    nmax, nmin = float(sizes.max()), float(sizes.min())
    z_lo = math.log(1.0 / nmax) - 1e-9
    span = math.log(max(T, 1)) + 40.0 + math.log(nmax / nmin) + 1.0
    M = int(math.ceil(span / h)) + 1
    z = z_lo + h * np.arange(M)
    u = np.exp(z)
    x0, w0 = gamma_rule((n0 - 1) / 2, q)
    W0 = 2 * x0 / c(n0)
    g = (np.arctan(2.0 / np.sqrt(n0 * np.outer(u, W0))) / math.pi) @ w0
    out = np.empty(T)
    rules = {}
    for t in range(T):
        n = int(sizes[t])
        out[t] = float(spline(z, g)(math.log(1.0 / n)))
        if t == T - 1:
            break
        if n not in rules:
            xq, wq = gamma_rule((n - 1) / 2, q)
            rules[n] = (2 * xq / c(n), wq)
        Wq, wq = rules[n]
        zz = np.log(1.0 / n + np.outer(u, Wq))
        top = zz > z[-1]
        inside = spline(z, g)(np.minimum(zz, z[-1]))
        g = np.where(top, g[-1] * np.exp(-(np.where(top, zz, z[-1]) - z[-1]) / 2), inside) @ wq
    return np.clip(out, 0.0, 0.5)


def mean_improvement_probability_exact(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    estimator: str = "unbiased",
    return_error: bool = False,
):
    """``P(|μ̂_T − μ| < |μ̂_0 − μ|)`` for a Gaussian refitted with its variance re-estimated
    (replace workflow), exactly (see the module docstring for the method).

    ``P = E[(1/π)·arctan(2σ/√(n0·V))]``, ``V = Σ_{t=1..T} σ̂²_{t−1}/n_t``; the asymptotic
    :func:`~synthaudit.theory.mean_improvement_probability` replaces V by ``σ²·S_T``.

    Parameters
    ----------
    n0 : int
    schedule_or_sizes : Schedule, str or sequence of int
    n_generations : int or sequence of int, optional
        A list gives one value per horizon (computed in one pass).
    estimator : {"unbiased", "mle"}
    return_error : bool
        Also return an a-posteriori error bound: the difference to a run with half the grid step
        and twice the Gauss nodes (typically below 1e-8).

    Returns
    -------
    float or ndarray (and the error bound when ``return_error``)

    Examples
    --------
    >>> round(mean_improvement_probability_exact(10, "const:10", 100), 4)   # asymptotic: 0.0628
    0.1658
    >>> mean_improvement_probability_exact(10, "const:10", [0, 1, 10]).round(4)
    array([0.5   , 0.3573, 0.2122])
    """
    problems = []
    for fn in (lambda: _check_n0(n0), lambda: _check_estimator(estimator)):
        try:
            fn()
        except ValidationError as err:
            problems += err.problems
    collect(problems)
    sizes, gens, scalar = _horizons(schedule_or_sizes, n_generations)
    if sizes.size == 0:
        vals = np.full(gens.size, 0.5)
        return (_ret(vals, scalar), 0.0) if return_error else _ret(vals, scalar)
    coarse = _mean_improvement_pass(int(n0), sizes, estimator, 0.05, 64)
    full = np.concatenate([[0.5], coarse])
    vals = full[gens]
    if not return_error:
        return _ret(vals, scalar)
    fine = np.concatenate([[0.5], _mean_improvement_pass(int(n0), sizes, estimator, 0.025, 128)])
    return _ret(vals, scalar), float(np.max(np.abs(fine[gens] - vals)))


# --------------------------------------------------------------------------------------------
# count chains: binomial (Wright–Fisher) and Poisson transitions
# --------------------------------------------------------------------------------------------


def _log_binom_coef(n: int) -> np.ndarray:
    k = np.arange(n + 1)
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def _binomial_matrix(q: np.ndarray, n: int) -> np.ndarray:
    """Dense ``P[j, k] = Bin(k; n, q_j)`` (rows for each success probability ``q_j``)."""
    k = np.arange(n + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = (
            _log_binom_coef(n)[None, :]
            + special.xlogy(k[None, :], q[:, None])
            + special.xlog1py(n - k[None, :], -q[:, None])
        )
    return np.exp(logp)


def _poisson_matrix(lam: np.ndarray, kmax: int) -> np.ndarray:
    k = np.arange(kmax + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = special.xlogy(k[None, :], lam[:, None]) - lam[:, None] - special.gammaln(k + 1)[None, :]
    return np.exp(logp)


def _binomial_push(mass: np.ndarray, q: np.ndarray, n: int) -> np.ndarray:
    """Law of ``Bin(n, q_J)`` with ``J ~ mass`` (vector), windowed to ±(12 sd + 12) per row."""
    keep = mass > _DROP
    mass, q = mass[keep], q[keep]
    mu = n * q
    half = np.ceil(12 * np.sqrt(n * q * (1 - q)) + 12).astype(np.int64)
    width = int(2 * half.max() + 1)
    lo = np.clip(np.floor(mu).astype(np.int64) - half, 0, None)
    k = lo[:, None] + np.arange(width)[None, :]
    valid = k <= n
    kk = np.minimum(k, n)
    coef = _log_binom_coef(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = coef[kk] + special.xlogy(kk, q[:, None]) + special.xlog1py(n - kk, -q[:, None])
    pmf = np.where(valid, np.exp(logp), 0.0)
    return np.bincount(kk.ravel(), weights=(mass[:, None] * pmf).ravel(), minlength=n + 1)


def _convolve_binomial(dist: np.ndarray, m: int, p: float) -> np.ndarray:
    """Add an independent ``Bin(m, p)`` to a count law."""
    return np.convolve(dist, stats.binom.pmf(np.arange(m + 1), m, p))


# --------------------------------------------------------------------------------------------
# Wright–Fisher: level loss
# --------------------------------------------------------------------------------------------


def level_loss_probability(
    p,
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    workflow="replace",
    include_baseline: bool = True,
):
    """``P(p̂_T = 0)``: a level of true probability ``p`` has no row in generation T's training
    set (Wright–Fisher), exactly by dynamic programming over the count chain.

    replace: ``X_t ~ Bin(n_t, X_{t−1}/n_{t−1})`` (0 is absorbing: lost at T = lost by T);
    mix: ``X_t ~ Bin(n_t, X_{t−1}/N_{t−1}) + Bin(m_t, p)`` (a lost level can come back);
    accumulate: the pooled count never decreases, so ``P = P(X_0 = 0) = (1 − p)^{n0}``.
    Generation 0: ``X_0 ~ Bin(n0, p)`` (``include_baseline``) or ``p̂_0 = p``. States with less
    than 1e-20 probability are dropped (absolute error below 1e-16).

    Parameters
    ----------
    p : float
        The level's probability, in (0, 1).
    n0 : int
    schedule_or_sizes : Schedule, str or sequence of int
    n_generations : int or sequence of int, optional
    workflow : str or Workflow
    include_baseline : bool

    Examples
    --------
    >>> round(level_loss_probability(0.02, 50, "const:50", 1), 4)   # (0.98)^50 = 0.364 at T = 0
    0.5266
    >>> level_loss_probability(0.5, 2, [2, 2], [0, 1, 2]).round(4).tolist()   # 1/4, 3/8, 7/16
    [0.25, 0.375, 0.4375]
    """
    p = _check_prob("p", p)
    n0 = _check_n0(n0)
    sizes, gens, scalar = _horizons(schedule_or_sizes, n_generations)
    name, m = _workflow(workflow, int(sizes.size))
    T = sizes.size
    out = np.zeros(T + 1)
    if include_baseline:
        dist = stats.binom.pmf(np.arange(n0 + 1), n0, p)
        out[0] = dist[0]
        N_prev = n0
        q = np.arange(n0 + 1) / n0
    else:
        dist, q, N_prev = np.ones(1), np.array([p]), n0
    if name == "accumulate":
        out[:] = out[0]
        return _ret(out[gens], scalar)
    cache: dict = {}
    for t in range(T):
        n = int(sizes[t])
        if q.size * (n + 1) <= _DENSE_MAX:
            key = (q.size, n)
            if key not in cache:
                cache[key] = _binomial_matrix(q, n)
            nxt = dist @ cache[key]
        else:
            nxt = _binomial_push(dist, q, n)
        if name == "mix":
            nxt = _convolve_binomial(nxt, int(m[t]), p)
        dist = nxt
        N_prev = n + (int(m[t]) if name == "mix" else 0)
        q = np.arange(N_prev + 1) / N_prev
        out[t + 1] = dist[0]
    return _ret(np.clip(out[gens], 0.0, 1.0), scalar)


# --------------------------------------------------------------------------------------------
# Galton–Watson: extinction of a Poisson rate
# --------------------------------------------------------------------------------------------


def extinction_probability(
    rate,
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    workflow="replace",
    include_baseline: bool = True,
):
    """``P(λ̂_T = 0)`` for a Poisson column of true rate ``rate`` (Galton–Watson), in closed form.

    The sum of a generation's counts is ``S_t ~ Poisson(n_t λ̂_{t−1}) = Poisson((n_t/N_{t−1}) S_{t−1})``:
    a branching process whose individuals have ``Poisson(n_t/N_{t−1})`` offspring. With
    ``z_T = 0`` and ``z_{t−1} = exp((n_t/N_{t−1})(z_t − 1))`` (the pgf composed backwards),
    ``P(S_T = 0 | S_t = s) = z_t^s``, so

    - replace: ``P = exp(n0 λ (z_0 − 1))`` (``include_baseline``) or ``exp(n_1 λ (z_1 − 1))``;
    - mix (``m_t`` fresh real rows: ``Poisson(m_t λ)`` immigrants at step t, N = n + m):
      the same times ``Π_t exp(m_t λ (z_t − 1))``;
    - accumulate: the pooled sum never decreases: ``P = exp(−n0 λ)`` (0 without baseline).

    Examples
    --------
    >>> round(extinction_probability(0.05, 20, "const:20", 100), 4)
    0.9808
    >>> round(extinction_probability(0.05, 20, "const:20", 0), 6)   # exp(−1)
    0.367879
    """
    ok = isinstance(rate, (int, float, np.integer, np.floating)) and not isinstance(rate, bool)
    if not ok or not math.isfinite(float(rate)) or float(rate) <= 0:
        raise ValidationError(f"`rate` must be a finite number > 0; got {rate!r}.")
    lam = float(rate)
    n0 = _check_n0(n0)
    sizes, gens, scalar = _horizons(schedule_or_sizes, n_generations)
    name, m = _workflow(workflow, int(sizes.size))
    train = sizes + (m if name == "mix" else 0)
    out = np.empty(gens.size)
    for i, T in enumerate(gens):
        T = int(T)
        if name == "accumulate" or T == 0:
            out[i] = math.exp(-n0 * lam) if include_baseline else 0.0
            continue
        z = np.zeros(T + 1)  # z[t]: P(one individual of S_t has no descendant in S_T)
        for t in range(T, 0, -1):
            n_prev = n0 if t == 1 else float(train[t - 2])
            z[t - 1] = math.exp(sizes[t - 1] / n_prev * (z[t] - 1.0))
        log_p = n0 * lam * (z[0] - 1.0) if include_baseline else sizes[0] * lam * (z[1] - 1.0)
        if name == "mix":
            log_p += lam * float(np.sum(m[:T] * (z[1:] - 1.0)))
        out[i] = math.exp(log_p)
    return _ret(out, scalar)


# --------------------------------------------------------------------------------------------
# exact improvement probabilities: one binary column, one count column
# --------------------------------------------------------------------------------------------


def _compare(r0: np.ndarray, rT: np.ndarray):
    """Boolean matrices (improve, tie) for risks r0[rows] vs rT[cols]."""
    a, b = r0[:, None], rT[None, :]
    both_inf = np.isinf(a) & np.isinf(b)
    with np.errstate(invalid="ignore"):
        tol = TIE_RTOL * (1 + np.where(np.isfinite(a), np.abs(a), 0.0))
        tie = both_inf | (np.abs(b - a) <= tol)
        improve = ~tie & (b < a)
    return improve, tie


def _binary_risk(q: np.ndarray, p: float, risk: str) -> np.ndarray:
    if risk == "sq_error":
        return 2 * (q - p) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = p * (np.log(p) - np.log(q)) + (1 - p) * (np.log1p(-p) - np.log1p(-q))
    return np.where((q <= 0) | (q >= 1), np.inf, kl)


def _poisson_risk(lam_hat: np.ndarray, lam: float, risk: str) -> np.ndarray:
    if risk == "sq_error":
        return (lam_hat - lam) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = lam * (math.log(lam) - np.log(lam_hat)) - lam + lam_hat
    return np.where(lam_hat <= 0, np.inf, kl)


def _check_risk(risk):
    if risk not in ("kl", "sq_error"):
        raise ValidationError(f"`risk` must be 'kl' or 'sq_error'; got {risk!r}.")
    return risk


def binary_improvement_probability(
    p,
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    risk: str = "kl",
    workflow="replace",
    return_tie: bool = False,
):
    """``P(risk_T < risk_0)`` for one binary categorical column, exactly (ties apart).

    Dynamic programming over the joint law of ``(X_0, X_t)`` (count of the first level; binomial
    transitions under the workflow, see :func:`level_loss_probability`), then a sum over the
    pairs whose risk is strictly smaller at T. ``risk="kl"``: ``KL(p ‖ p̂)`` summed over the two
    levels (infinite when a level is lost, so a lost level never improves); ``"sq_error"``:
    ``‖p̂ − p‖² = 2(p̂ − p)²``. Work grows like ``n0 · n_t² · T``; beyond about 4e9 operations the
    call is refused (use the asymptotic law inside its regime there).

    Parameters
    ----------
    p : float
        Probability of the first level (the second has ``1 − p``).
    n0 : int
    schedule_or_sizes : Schedule, str or sequence of int
    n_generations : int or sequence of int, optional
    risk : {"kl", "sq_error"}
    workflow : str or Workflow
    return_tie : bool
        Also return ``P(risk_T = risk_0)``.

    Examples
    --------
    >>> round(binary_improvement_probability(0.3, 20, "const:20", 5), 4)
    0.1688
    >>> imp, tie = binary_improvement_probability(0.5, 10, "const:10", 1, return_tie=True)
    >>> round(imp, 4), round(tie, 4)
    (0.1954, 0.3099)
    """
    p = _check_prob("p", p)
    n0 = _check_n0(n0)
    risk = _check_risk(risk)
    sizes, gens, scalar = _horizons(schedule_or_sizes, n_generations)
    name, m = _workflow(workflow, int(sizes.size))
    T = sizes.size
    x0 = np.arange(n0 + 1)
    w0 = stats.binom.pmf(x0, n0, p)
    keep = w0 > 1e-18
    x0, w0 = x0[keep], w0[keep]
    N = sizes + (m if name == "mix" else 0)
    if name == "accumulate":
        N = n0 + np.cumsum(sizes)
    work = float(x0.size) * float(np.sum((np.concatenate([[n0], N[:-1]]) + 1.0) * (N + 1.0)))
    if work > _MAX_WORK:
        raise ValidationError(
            f"the exact binary law needs about {work:.1e} operations (n0 = {n0}, T = {T}); "
            "it is offered up to 4e9. Use improvement_prediction, which falls back to the "
            "asymptotic law inside its regime."
        )
    r0 = _binary_risk(x0 / n0, p, risk)
    J = np.zeros((x0.size, n0 + 1))
    J[np.arange(x0.size), x0] = w0
    N_prev = n0
    imp = np.zeros(T + 1)
    tie = np.zeros(T + 1)
    tie[0] = 1.0
    for t in range(T):
        n = int(sizes[t])
        qprev = np.arange(N_prev + 1) / N_prev
        P = _binomial_matrix(qprev, n)
        if name == "mix":
            real = stats.binom.pmf(np.arange(m[t] + 1), m[t], p)
            P = np.stack([np.convolve(row, real) for row in P])
        elif name == "accumulate":
            P2 = np.zeros((N_prev + 1, N_prev + n + 1))
            for j in range(N_prev + 1):
                P2[j, j : j + n + 1] = P[j]
            P = P2
        J = J @ P
        N_prev = P.shape[1] - 1
        better, same = _compare(r0, _binary_risk(np.arange(N_prev + 1) / N_prev, p, risk))
        imp[t + 1] = float(np.sum(J * better))
        tie[t + 1] = float(np.sum(J * same))
    vals = np.clip(imp[gens], 0.0, 1.0)
    if return_tie:
        return _ret(vals, scalar), _ret(np.clip(tie[gens], 0.0, 1.0), scalar)
    return _ret(vals, scalar)


def poisson_improvement_probability(
    rate,
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    risk: str = "kl",
    workflow="replace",
    return_tie: bool = False,
):
    """``P(risk_T < risk_0)`` for one Poisson column of rate ``rate``, exactly (ties apart).

    Dynamic programming over the joint law of the sums ``(S_0, S_t)`` with
    ``S_t ~ Poisson((n_t/N_{t−1}) S_{t−1})`` (+ ``Poisson(m_t λ)`` under mix; accumulate pools).
    ``risk="kl"``: ``KL(Pois(λ) ‖ Pois(λ̂)) = λ log(λ/λ̂) − λ + λ̂`` (infinite at ``λ̂ = 0``);
    ``"sq_error"``: ``(λ̂ − λ)²``. Counts are truncated where the martingale ``λ̂_t`` is 14
    standard deviations above λ (the neglected mass is below 1e-30).

    Examples
    --------
    >>> round(poisson_improvement_probability(2.0, 10, "const:10", 3), 4)
    0.2428
    >>> imp, tie = poisson_improvement_probability(0.3, 10, "const:10", 1, return_tie=True)
    >>> round(imp, 4), round(tie, 4)
    (0.2099, 0.279)
    """
    ok = isinstance(rate, (int, float, np.integer, np.floating)) and not isinstance(rate, bool)
    if not ok or not math.isfinite(float(rate)) or float(rate) <= 0:
        raise ValidationError(f"`rate` must be a finite number > 0; got {rate!r}.")
    lam = float(rate)
    n0 = _check_n0(n0)
    risk = _check_risk(risk)
    sizes, gens, scalar = _horizons(schedule_or_sizes, n_generations)
    name, m = _workflow(workflow, int(sizes.size))
    T = sizes.size
    if name == "accumulate":
        N = n0 + np.cumsum(sizes)
    else:
        N = sizes + (m if name == "mix" else 0)
    # Var(λ̂_t) ≈ λ(1/n0 + e_t): e_t = S_t (replace), Σ n_s/N_s² (accumulate), AR(1) (mix)
    e_t, e, N_run = np.zeros(T), 0.0, float(n0)
    for t in range(T):
        n = float(sizes[t])
        if name == "replace":
            e += 1.0 / n
        elif name == "accumulate":
            N_run += n
            e += n / N_run**2
        else:
            lam_t = n / (n + m[t])
            e = lam_t**2 * (e + 1.0 / n) + (1 - lam_t) ** 2 / m[t]
        e_t[t] = e

    def cap(n_rows, spread):
        top = n_rows * (lam + 14 * math.sqrt(lam * spread)) + 14 * math.sqrt(n_rows * lam)
        return int(math.ceil(top + 30))

    k0max = cap(n0, 1.0 / n0)
    s0 = np.arange(k0max + 1)
    w0 = stats.poisson.pmf(s0, n0 * lam)
    keep = w0 > 1e-18
    s0, w0 = s0[keep], w0[keep]
    caps = [cap(int(N[t]), 1.0 / n0 + e_t[t]) for t in range(T)]
    work = float(s0.size) * float(sum((k0max + 1.0 if t == 0 else caps[t - 1] + 1.0) * (caps[t] + 1.0)
                                      for t in range(T)))
    if work > _MAX_WORK:
        raise ValidationError(
            f"the exact Poisson law needs about {work:.1e} operations; it is offered up to 4e9. "
            "Use improvement_prediction, which falls back to the asymptotic law in its regime."
        )
    r0 = _poisson_risk(s0 / n0, lam, risk)
    J = np.zeros((s0.size, k0max + 1))
    J[np.arange(s0.size), s0] = w0
    N_prev = n0
    imp = np.zeros(T + 1)
    tie = np.zeros(T + 1)
    tie[0] = 1.0
    for t in range(T):
        n = int(sizes[t])
        prev = np.arange(J.shape[1])
        kmax = caps[t]
        if name == "accumulate":
            P = _poisson_matrix(n * prev / N_prev, kmax)
            P2 = np.zeros((prev.size, kmax + 1))
            for j in prev:
                if j <= kmax:
                    P2[j, j:] = P[j, : kmax + 1 - j]
            P = P2
        else:
            P = _poisson_matrix(n * prev / N_prev, kmax)
            if name == "mix":
                imm = stats.poisson.pmf(np.arange(kmax + 1), m[t] * lam)
                P = np.stack([np.convolve(row, imm)[: kmax + 1] for row in P])
        J = J @ P
        N_prev = int(N[t])
        better, same = _compare(r0, _poisson_risk(np.arange(kmax + 1) / N_prev, lam, risk))
        imp[t + 1] = float(np.sum(J * better))
        tie[t + 1] = float(np.sum(J * same))
    vals = np.clip(imp[gens], 0.0, 1.0)
    if return_tie:
        return _ret(vals, scalar), _ret(np.clip(tie[gens], 0.0, 1.0), scalar)
    return _ret(vals, scalar)

