"""Exact finite-n laws (theory.finite, theory.bartlett) against independent Monte Carlo.

The simulations are written here with plain numpy (never the engine). A proportion over R draws
has standard error sqrt(p(1−p)/R); a mean has sd/sqrt(R). Each comparison allows 4 standard
errors. Ties follow the laws' convention: two risks within 1e-12·(1 + |risk_0|) are equal, and an
improvement is a strictly smaller risk.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthaudit.exceptions import ValidationError
from synthaudit.theory import (
    binary_improvement_probability,
    expected_generalized_variance_ratio,
    extinction_probability,
    generalized_variance_law,
    level_loss_probability,
    mean_improvement_probability,
    mean_improvement_probability_exact,
    noise_variance_law,
    poisson_improvement_probability,
    variance_law,
)

R = 20_000


def _close_prop(exact, hits, k=4.0):
    se = math.sqrt(max(exact * (1 - exact), 1e-12) / hits.size)  # SE of a proportion
    assert abs(exact - hits.mean()) <= k * se + 1e-12, (exact, hits.mean(), se)


def _close_mean(exact, draws, k=4.0):
    se = draws.std() / math.sqrt(draws.size)  # SE of a mean
    assert abs(exact - draws.mean()) <= k * se, (exact, draws.mean(), se)


def _ties(r0, rT):
    both_inf = np.isinf(r0) & np.isinf(rT)
    with np.errstate(invalid="ignore"):
        close = np.abs(rT - r0) <= 1e-12 * (1 + np.where(np.isfinite(r0), np.abs(r0), 0))
    return both_inf | close


# --------------------------------------------------------------- mean improvement, σ² re-estimated


def _mc_mean_improvement(rng, n0, sizes, estimator, R=R):
    c = (lambda n: n - 1) if estimator == "unbiased" else (lambda n: n)
    v = rng.chisquare(n0 - 1, R) / c(n0)
    d0 = rng.normal(0, 1 / math.sqrt(n0), R)
    mu = d0.copy()
    for n in sizes:
        mu = mu + rng.normal(0, 1, R) * np.sqrt(v / n)
        v = v * rng.chisquare(n - 1, R) / c(n)
    return np.abs(mu) < np.abs(d0)


@pytest.mark.parametrize(
    ("n0", "sizes", "estimator"),
    [
        (5, [5] * 20, "unbiased"),
        (5, [5] * 20, "mle"),
        (10, [10] * 100, "unbiased"),
        (8, [3, 50, 7, 200, 12], "mle"),
        (300, [300] * 60, "unbiased"),
    ],
)
def test_mean_improvement_exact_matches_simulation(n0, sizes, estimator):
    rng = np.random.default_rng(len(sizes) + n0)
    exact = mean_improvement_probability_exact(n0, sizes, estimator=estimator)
    _close_prop(exact, _mc_mean_improvement(rng, n0, sizes, estimator))


def test_mean_improvement_exact_is_the_issue_measurement_not_the_asymptotic_one():
    exact, err = mean_improvement_probability_exact(10, "const:10", 100, return_error=True)
    assert exact == pytest.approx(0.1658, abs=5e-4) and err < 1e-6
    assert mean_improvement_probability(10, "const:10", 100) == pytest.approx(0.0628, abs=5e-4)
    # large n: the two laws meet; every horizon in one pass agrees with single calls
    many = mean_improvement_probability_exact(2000, "const:2000", [0, 1, 5, 20])
    assert many[0] == 0.5
    asym = mean_improvement_probability(2000, "const:2000", [1, 5, 20])
    np.testing.assert_allclose(many[1:], asym, rtol=5e-3)
    assert np.all(many[1:] > asym)  # a re-estimated σ thickens the tails of the drift
    assert many[2] == pytest.approx(mean_improvement_probability_exact(2000, "const:2000", 5), abs=1e-12)


# -------------------------------------------------------------------------- Wright–Fisher


def _mc_counts(rng, p, n0, sizes, workflow="replace", m=0):
    x = rng.binomial(n0, p, R)
    x0, N = x.copy(), n0
    for n in sizes:
        if workflow == "replace":
            x, N = rng.binomial(n, x / N), n
        elif workflow == "mix":
            x, N = rng.binomial(n, x / N) + rng.binomial(m, p, R), n + m
        else:
            x, N = x + rng.binomial(n, x / N), N + n
    return x0, x, N


@pytest.mark.parametrize(
    ("p", "n0", "sizes", "workflow", "m"),
    [
        (0.02, 50, [50], "replace", 0),
        (0.1, 5, [5] * 4, "replace", 0),
        (0.2, 10, [10, 4, 30, 8, 8], "replace", 0),
        (0.1, 20, [20] * 10, "mix", 5),
        (0.1, 10, [10] * 5, "accumulate", 0),
        (0.005, 2000, [2000] * 30, "replace", 0),
    ],
)
def test_level_loss_matches_simulation(p, n0, sizes, workflow, m):
    rng = np.random.default_rng(int(p * 1000) + n0)
    spec = f"mix:{m}" if workflow == "mix" else workflow
    exact = level_loss_probability(p, n0, sizes, workflow=spec)
    _, x, _ = _mc_counts(rng, p, n0, sizes, workflow, m)
    _close_prop(exact, x == 0)


def test_level_loss_properties():
    lost = level_loss_probability(0.1, 20, "const:20", [0, 1, 5, 50, 2000])
    assert lost[0] == pytest.approx(0.9**20) and np.all(np.diff(lost) > 0)
    assert lost[-1] == pytest.approx(0.9, abs=1e-9)  # p̂ is a martingale: lost w.p. 1 − p, fixed w.p. p
    assert level_loss_probability(0.1, 20, "const:20", 5, include_baseline=False) < lost[2]
    acc = level_loss_probability(0.1, 20, "const:20", [0, 50], workflow="accumulate")
    np.testing.assert_allclose(acc, 0.9**20)
    assert level_loss_probability(0.1, 20, "const:20", 50, workflow="mix:10") < lost[3] / 5


# -------------------------------------------------------------------------- Galton–Watson


@pytest.mark.parametrize(
    ("lam", "n0", "sizes", "workflow", "m", "baseline"),
    [
        (0.05, 20, [20] * 100, "replace", 0, True),
        (0.3, 10, [5, 40, 80, 7], "replace", 0, True),
        (0.3, 10, [5, 40, 80, 7], "replace", 0, False),
        (0.05, 20, [20] * 30, "mix", 3, True),
        (0.2, 10, [10] * 5, "accumulate", 0, True),
        (0.002, 1000, [1000] * 200, "replace", 0, True),
    ],
)
def test_extinction_matches_simulation(lam, n0, sizes, workflow, m, baseline):
    rng = np.random.default_rng(int(lam * 1000) + len(sizes))
    s = rng.poisson(n0 * lam, R) if baseline else None
    N = n0
    for t, n in enumerate(sizes):
        mean = (n * s / N) if (baseline or t > 0) else np.full(R, n * lam)
        if workflow == "replace":
            s, N = rng.poisson(mean), n
        elif workflow == "mix":
            s, N = rng.poisson(mean) + rng.poisson(m * lam, R), n + m
        else:
            s, N = s + rng.poisson(mean), N + n
    spec = f"mix:{m}" if workflow == "mix" else workflow
    exact = extinction_probability(lam, n0, sizes, workflow=spec, include_baseline=baseline)
    _close_prop(exact, s == 0)


def test_extinction_closed_forms():
    assert extinction_probability(0.2, 10, [], include_baseline=True) == pytest.approx(math.exp(-2))
    # one generation: P(S_1 = 0) = E[exp(−n_1 S_0/n0)] = exp(n0 λ (e^{−n_1/n0} − 1))
    assert extinction_probability(0.2, 10, [30]) == pytest.approx(math.exp(2 * (math.exp(-3) - 1)))
    far = extinction_probability(0.2, 10, "const:10", [10, 100, 1000])
    assert np.all(np.diff(far) > 0) and far[-1] > 0.9


# ------------------------------------------------------------- exact improvement probabilities


def _kl_binary(q, p):
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    return np.where((q <= 0) | (q >= 1), np.inf, kl)


@pytest.mark.parametrize(
    ("p", "n0", "sizes", "risk", "workflow", "m"),
    [
        (0.3, 20, [20] * 5, "kl", "replace", 0),
        (0.5, 10, [10], "kl", "replace", 0),
        (0.5, 10, [10] * 3, "sq_error", "replace", 0),
        (0.02, 50, [50], "kl", "replace", 0),
        (0.2, 15, [15] * 4, "kl", "mix", 5),
        (0.2, 15, [15] * 4, "kl", "accumulate", 0),
        (0.4, 200, [200] * 10, "kl", "replace", 0),
    ],
)
def test_binary_improvement_matches_simulation(p, n0, sizes, risk, workflow, m):
    rng = np.random.default_rng(int(p * 100) + n0 + len(sizes))
    x0, x, N = _mc_counts(rng, p, n0, sizes, workflow, m)
    f = (lambda q: _kl_binary(q, p)) if risk == "kl" else (lambda q: 2 * (q - p) ** 2)
    r0, rT = f(x0 / n0), f(x / N)
    tie = _ties(r0, rT)
    spec = f"mix:{m}" if workflow == "mix" else workflow
    imp, ptie = binary_improvement_probability(p, n0, sizes, risk=risk, workflow=spec, return_tie=True)
    _close_prop(imp, (rT < r0) & ~tie)
    _close_prop(ptie, tie)


@pytest.mark.parametrize(
    ("lam", "n0", "sizes", "risk", "workflow", "m"),
    [
        (2.0, 10, [10] * 3, "kl", "replace", 0),
        (0.3, 10, [10], "kl", "replace", 0),
        (1.0, 8, [8] * 6, "sq_error", "replace", 0),
        (0.5, 10, [10] * 4, "kl", "mix", 5),
        (0.5, 10, [10] * 4, "kl", "accumulate", 0),
        (1.0, 150, [150] * 5, "kl", "replace", 0),
    ],
)
def test_poisson_improvement_matches_simulation(lam, n0, sizes, risk, workflow, m):
    rng = np.random.default_rng(int(lam * 10) + n0 + len(sizes))
    s0 = rng.poisson(n0 * lam, R).astype(float)
    s, N = s0.copy(), n0
    for n in sizes:
        if workflow == "replace":
            s, N = rng.poisson(n * s / N).astype(float), n
        elif workflow == "mix":
            s, N = (rng.poisson(n * s / N) + rng.poisson(m * lam, R)).astype(float), n + m
        else:
            s, N = s + rng.poisson(n * s / N), N + n

    def f(est):
        if risk == "sq_error":
            return (est - lam) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = lam * np.log(lam / est) - lam + est
        return np.where(est <= 0, np.inf, kl)

    r0, rT = f(s0 / n0), f(s / N)
    tie = _ties(r0, rT)
    spec = f"mix:{m}" if workflow == "mix" else workflow
    imp, ptie = poisson_improvement_probability(lam, n0, sizes, risk=risk, workflow=spec, return_tie=True)
    _close_prop(imp, (rT < r0) & ~tie)
    _close_prop(ptie, tie)


def test_exact_programmes_refuse_what_they_cannot_afford():
    with pytest.raises(ValidationError, match="operations"):
        binary_improvement_probability(0.5, 5000, "const:5000", 200)
    with pytest.raises(ValidationError, match="`risk`"):
        binary_improvement_probability(0.5, 10, "const:10", 2, risk="tv")
    with pytest.raises(ValidationError, match="`p`"):
        level_loss_probability(1.0, 10, "const:10", 2)
    with pytest.raises(ValidationError, match="`rate`"):
        extinction_probability(-1, 10, "const:10", 2)


# --------------------------------------------------------------------- Bartlett and regression


def _mc_generalized_variance(rng, p, n0, sizes, estimator):
    """|Σ̂_T| from scatter matrices of Gaussian rows drawn by hand (no Bartlett shortcut)."""
    L = np.tile(np.eye(p), (R, 1, 1))
    for n in [n0, *sizes]:
        c = n - 1 if estimator == "unbiased" else n
        X = rng.normal(size=(R, n, p)) @ np.swapaxes(L, 1, 2)
        Xc = X - X.mean(axis=1, keepdims=True)
        L = np.linalg.cholesky(np.swapaxes(Xc, 1, 2) @ Xc / c)
    return np.prod(np.diagonal(L, axis1=1, axis2=2), axis=1) ** 2


@pytest.mark.parametrize(
    ("p", "n0", "sizes", "estimator"),
    [(2, 6, [6] * 5, "unbiased"), (3, 8, [5, 12, 8], "mle"), (2, 80, [80] * 8, "unbiased")],
)
def test_generalized_variance_law_matches_simulation(p, n0, sizes, estimator):
    rng = np.random.default_rng(p + n0)
    det = _mc_generalized_variance(rng, p, n0, sizes, estimator)
    law = generalized_variance_law(n0, sizes, dim=p, estimator=estimator)
    _close_mean(law.mean(), det)
    assert law.mean() == pytest.approx(
        expected_generalized_variance_ratio(n0, sizes, dim=p, estimator=estimator), rel=1e-12
    )
    for q in np.quantile(det, [0.05, 0.5, 0.95]):
        _close_prop(float(law.cdf(q)), det <= q)


def test_bartlett_closed_form_and_singular_sizes():
    n, T = 12, 7
    expected = np.prod([((n - 1 - i) / (n - 1)) ** (T + 1) for i in range(3)])
    assert expected_generalized_variance_ratio(n, f"const:{n}", T, dim=3) == pytest.approx(expected)
    assert generalized_variance_law(50, "const:50", 10, dim=1).cdf(0.7) == pytest.approx(
        variance_law(50, "const:50", 10).cdf(0.7), abs=1e-12
    )
    with pytest.raises(ValidationError, match="singular"):
        generalized_variance_law(10, [3, 10], dim=3)
    assert expected_generalized_variance_ratio(10, [3, 10], dim=3) == 0.0


@pytest.mark.parametrize(("n0", "sizes", "q"), [(8, [8] * 6, 3), (200, [150] * 10, 4)])
def test_noise_variance_law_matches_least_squares_refits(n0, sizes, q):
    # labels redrawn from the fitted model; the features resampled from a fixed pool of n0 rows
    rng = np.random.default_rng(n0 + q)
    B = 2500  # replications (each a loop of lstsq fits); SE = sqrt(p(1−p)/B)
    pool = np.c_[np.ones(n0), rng.normal(size=(n0, q - 1))]
    beta_true = rng.normal(size=q)
    out = np.empty(B)
    for b in range(B):
        X = pool
        y = X @ beta_true + rng.normal(size=n0)
        beta, s2 = beta_true, 1.0
        for n in [None, *sizes]:
            if n is not None:
                X = pool[rng.integers(0, n0, n)]
                y = X @ beta + math.sqrt(s2) * rng.normal(size=n)
            beta, *_ = np.linalg.lstsq(X, y, rcond=None)
            resid = y - X @ beta
            s2 = resid @ resid / (len(y) - q)
        out[b] = s2
    law = noise_variance_law(n0, sizes, n_coef=q)
    assert law.mean() == 1.0
    for eps in np.quantile(out, [0.1, 0.5, 0.9]):
        _close_prop(float(law.cdf(eps)), out <= eps)
