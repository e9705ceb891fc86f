"""Contraction toward generation 0, θ_t = (1 − c)·θ̂_t + c·θ_0: the exact drift, its stationary
value (1 − c)²/(c(2 − c))·σ²/n, the improvement probability and the cost, against plain-numpy
simulations written here.

Tolerances: 4 Monte-Carlo standard errors — sd/√R for means over R lanes, √(P(1 − P)/R) for
probabilities (P the theoretical value).
"""

from __future__ import annotations

import numpy as np
import pytest

from synthaudit.mitigations import theory as th


def _close_mean(samples, expected, k=4.0):
    samples = np.asarray(samples, dtype=float)
    se = samples.std(ddof=1) / np.sqrt(samples.shape[0])
    assert abs(samples.mean() - expected) <= k * se + 1e-12, (samples.mean(), expected, se)


def _loop(c, n0, n, T, R, seed, *, ddof=1, shrink_variance=True, known_variance=False):
    """Gaussian loop with shrinkage; returns μ_t − μ (R, T+1) and σ²_t (R, T+1); truth N(0, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((R, n0))
    mu0 = x.mean(1)
    s0 = np.ones(R) if known_variance else x.var(1, ddof=ddof)
    mu, s = mu0.copy(), s0.copy()
    mus, ss = [mu], [s]
    for _ in range(T):
        rows = mu[:, None] + np.sqrt(s)[:, None] * rng.standard_normal((R, n))
        mu_hat = rows.mean(1)
        s_hat = s0 if known_variance else rows.var(1, ddof=ddof)
        mu = (1 - c) * mu_hat + c * mu0
        s = (1 - c) * s_hat + c * s0 if shrink_variance else s_hat
        mus.append(mu)
        ss.append(s)
    return np.array(mus).T, np.array(ss).T


@pytest.mark.parametrize("estimator,shrink_variance", [("unbiased", True), ("mle", True),
                                                        ("mle", False)])
def test_drift_recursion_is_exact(estimator, shrink_variance):
    c, n0, n, T, R = 0.2, 20, 20, 30, 40_000
    ddof = 1 if estimator == "unbiased" else 0
    mu, s = _loop(c, n0, n, T, R, seed=1, ddof=ddof, shrink_variance=shrink_variance)
    d = th.shrinkage_drift(c, n0, [n] * T, estimator=estimator, shrink_variance=shrink_variance)
    for t in (1, 2, 5, 15, 30):
        # theory is conditional on generation 0 in units of σ̂²_0: divide lane by lane
        _close_mean((mu[:, t] - mu[:, 0]) ** 2 / s[:, 0], d["drift_var"][t])
        _close_mean(s[:, t] / s[:, 0], d["variance_ratio"][t])


def test_stationary_variance_and_no_collapse_at_constant_n():
    c, n0, n, R = 0.1, 50, 50, 20_000
    stat = th.shrinkage_stationary_variance(c, n)
    assert stat == pytest.approx((1 - c) ** 2 / (c * (2 - c)) / n, rel=1e-12)
    d = th.shrinkage_drift(c, n0, [n] * 300)
    assert d["drift_var"][-1] == pytest.approx(stat, rel=1e-9)
    mu, s = _loop(c, n0, n, 60, R, seed=2)
    _close_mean((mu[:, -1] - mu[:, 0]) ** 2 / s[:, 0], d["drift_var"][60])
    # the variance does not collapse: E σ²_t/σ̂²_0 = 1 at every t (unbiased estimator)
    _close_mean(s[:, -1] / s[:, 0], 1.0)
    assert np.median(s[:, -1] / s[:, 0]) > 0.8


def test_improvement_probability_with_known_variance():
    c, n0, n, T, R = 0.2, 25, 25, 40, 40_000
    mu, _ = _loop(c, n0, n, T, R, seed=3, known_variance=True)
    p = th.shrinkage_improvement_probability(c, n0, [n] * T)
    for t in (1, 5, 40):
        hits = np.abs(mu[:, t]) < np.abs(mu[:, 0])
        se = np.sqrt(p[t] * (1 - p[t]) / R)
        assert abs(hits.mean() - p[t]) <= 4 * se, (t, hits.mean(), p[t], se)
    assert 0 < p[-1] < 0.5        # positive forever, never better than a coin flip


def test_the_cost_is_generation_zeros_error_kept_forever():
    # E(μ_t − μ)² = σ²/n0 + σ²·D_t ≥ σ²/n0: the loop never improves on generation 0 on average
    c, n0, n, T, R = 0.3, 30, 30, 40, 40_000
    mu, _ = _loop(c, n0, n, T, R, seed=4)
    d = th.shrinkage_drift(c, n0, [n] * T)
    for t in (0, 10, 40):
        _close_mean(mu[:, t] ** 2, d["mse"][t])
    assert np.all(d["mse"] >= 1 / n0)
    # and generation t stays tied to generation 0's own error (the bias toward generation 0)
    corr = np.corrcoef(mu[:, -1], mu[:, 0])[0, 1]
    expected = np.sqrt((1 / n0) / d["mse"][-1])
    # s.e. of a sample correlation ≈ (1 − ρ²)/√R
    assert abs(corr - expected) <= 4 * (1 - expected**2) / np.sqrt(R)


def test_categorical_shrinkage_drift_exact_and_no_level_lost():
    c, n, T, R = 0.1, 20, 60, 20_000
    rng = np.random.default_rng(5)
    p_true = np.array([0.6, 0.3, 0.07, 0.03])
    p0 = rng.multinomial(n, p_true, size=R) / n
    p = p0.copy()
    drift, lost = [np.zeros(R)], []
    for _ in range(T):
        p = (1 - c) * rng.multinomial(n, p) / n + c * p0
        drift.append(((p - p0) ** 2).sum(1))
        lost.append(((p == 0) & (p0 > 0)).any(1))
    drift = np.array(drift).T
    # theory is conditional on p0: average the exact D_t over the lanes' own p0
    D = np.array([th.categorical_shrinkage_drift(c, row, [n] * T) for row in p0[:2000]])
    for t in (1, 10, 60):
        # D_t depends on p0 only through v0 = 1 − ‖p0‖² (linearly): average exactly over all lanes
        v0 = 1 - (p0**2).sum(1)
        unit = th.categorical_shrinkage_drift(c, [0.5, 0.5], [n] * T)[t] / 0.5
        _close_mean(drift[:, t], float(np.mean(v0) * unit))
        assert np.allclose(D[:, t], (1 - (p0[:2000] ** 2).sum(1)) * unit)
    assert not np.any(lost)


def test_categorical_shrinkage_risk_against_the_truth():
    c, n0, n, T, R = 0.2, 25, 25, 40, 20_000
    p = np.array([0.5, 0.3, 0.15, 0.05])
    rng = np.random.default_rng(6)
    p0 = rng.multinomial(n0, p, size=R) / n0
    q = p0.copy()
    for _ in range(T):
        q = (1 - c) * rng.multinomial(n, q) / n + c * p0
    err = ((q - p) ** 2).sum(1)
    risk = th.categorical_shrinkage_risk(c, p, n0, [n] * T)
    _close_mean(err, risk[-1])
    assert risk[-1] > risk[0]
