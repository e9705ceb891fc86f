"""Recursive linear regression: Dohmatob et al.'s linear growth of the OLS test error,
Gerstgrasser et al.'s π²/6 bound under accumulation, the exact fixed-design ridge recursion, and
ridge tuned on held-out real rows, against plain-numpy simulations written here.

Tolerance: 4 Monte-Carlo standard errors (sd/√R of the per-lane excess risk).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthaudit.mitigations import theory as th


def _close_mean(samples, expected, k=4.0):
    samples = np.asarray(samples, dtype=float)
    se = samples.std(ddof=1) / np.sqrt(samples.shape[0])
    assert abs(samples.mean() - expected) <= k * se + 1e-12, (samples.mean(), expected, se)


def _ols(X, y):
    """Per-lane OLS: X (R, n, d), y (R, n) → (R, d)."""
    G = np.swapaxes(X, 1, 2) @ X
    return np.linalg.solve(G, np.einsum("lnd,ln->ld", X, y)[..., None])[..., 0]


def _labels(rng, X, w, s2):
    return np.einsum("lnd,ld->ln", X, w) + np.sqrt(s2) * rng.standard_normal(X.shape[:2])


@pytest.mark.parametrize("fresh_design", [True, False])
def test_dohmatob_ols_error_grows_linearly(fresh_design):
    # their setting: x ~ N(0, Σ), generators on T0 rows with noise σ0², final model on T rows
    # with noise σ²; error ‖ŵ − w0‖²_Σ
    rng = np.random.default_rng(1)
    R, d, T0, T, s2, s02 = 20_000, 4, 12, 15, 1.0, 0.5
    Sigma = np.diag([2.0, 1.0, 0.5, 0.25])
    L = np.linalg.cholesky(Sigma)
    w0 = np.tile(np.array([1.0, -1.0, 0.5, 0.0]), (R, 1))
    design = rng.standard_normal((R, T0, d)) @ L.T
    gen = w0.copy()
    for n in range(4):
        if n:
            X = rng.standard_normal((R, T0, d)) @ L.T if fresh_design else design
            gen = _ols(X, _labels(rng, X, gen, s02))
        if n in (0, 1, 3):
            Xf = rng.standard_normal((R, T, d)) @ L.T
            final = _ols(Xf, _labels(rng, Xf, gen, s2))
            e = final - w0
            err = np.einsum("li,ij,lj->l", e, Sigma, e)
            _close_mean(err, th.ols_replace_error(n, d, T, T0, sigma2=s2, sigma02=s02))


def test_gerstgrasser_accumulation_is_bounded_by_pi_squared_over_six():
    rng = np.random.default_rng(2)
    R, d, T, s2 = 20_000, 4, 12, 1.0
    X = rng.standard_normal((R, T, d))
    w = np.tile(np.array([0.5, 1.0, -1.0, 2.0]), (R, 1))
    label_sum = np.zeros((R, T))
    est = w.copy()          # ŵ_0 := w*: the real labels come from the truth
    errs = []
    for i in range(1, 7):
        label_sum += _labels(rng, X, est, s2)
        est = _ols(X, label_sum / i)   # OLS on all i label vectors = OLS on their mean
        errs.append(((est - w) ** 2).sum(1))
    theory = th.ols_accumulate_error(np.arange(1, 7), d, T, sigma2=s2)
    for i in (0, 1, 5):
        _close_mean(errs[i], theory[i])
    ratio = th.ols_accumulate_error([1, 10**6], d, T)
    assert ratio[1] / ratio[0] == pytest.approx(math.pi**2 / 6, rel=1e-5)
    # replace grows without bound instead
    assert th.ols_replace_error(50, d, T) / th.ols_replace_error(0, d, T) == pytest.approx(51)


def test_fixed_design_ridge_recursion_is_exact():
    rng = np.random.default_rng(3)
    n, d, R = 25, 6, 40_000
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    lambdas = [0.0, 3.0, 3.0, 10.0, 0.0, 1.0]
    theory = th.ridge_fixed_design_risk(X, w, lambdas, sigma2=1.0)
    G = X.T @ X
    est = np.tile(w, (R, 1))
    for t, lam in enumerate(lambdas):
        y = est @ X.T + rng.standard_normal((R, n))
        est = y @ X @ np.linalg.inv(G + lam * np.eye(d))      # symmetric inverse
        _close_mean(((est - w) ** 2).sum(1), theory[t])
    ols = th.ridge_fixed_design_risk(X, w, [0.0] * 5)
    assert np.allclose(ols, np.trace(np.linalg.inv(G)) * np.arange(1, 6))


def test_ridge_tuned_on_held_out_real_rows_stays_bounded():
    # Dohmatob et al.'s mitigation: λ chosen each generation on real held-out rows
    rng = np.random.default_rng(4)
    R, n, d, T, H = 1000, 20, 8, 30, 200
    w = np.ones(d) / np.sqrt(d)                       # ‖w*‖² = 1: the risk of predicting 0
    X = rng.standard_normal((R, n, d))
    Xh = rng.standard_normal((R, H, d))
    yh = np.einsum("lhd,d->lh", Xh, w) + rng.standard_normal((R, H))
    grid = np.concatenate([[0.0], np.logspace(-2, 4, 21)])
    G = np.swapaxes(X, 1, 2) @ X
    invs = [np.linalg.inv(G + lam * np.eye(d)) for lam in grid]

    def tuned(y):
        b = np.einsum("lnd,ln->ld", X, y)
        best, out = np.full(R, np.inf), np.zeros((R, d))
        for inv in invs:
            beta = np.einsum("lij,lj->li", inv, b)
            err = ((yh - np.einsum("lhd,ld->lh", Xh, beta)) ** 2).mean(1)
            better = err < best
            best[better], out[better] = err[better], beta[better]
        return out

    est = tuned(np.einsum("lnd,d->ln", X, w) + rng.standard_normal((R, n)))
    risks = [((est - w) ** 2).sum(1)]
    for _ in range(T):
        est = tuned(np.einsum("lnd,ld->ln", X, est) + rng.standard_normal((R, n)))
        risks.append(((est - w) ** 2).sum(1))
    risks = np.array(risks)
    ols_T = th.ols_replace_error(T, d, n)          # ≈ 22: linear growth without the mitigation
    se = risks[-1].std(ddof=1) / np.sqrt(R)
    assert risks[-1].mean() + 4 * se < 1.0 < ols_T / 20
    # bounded: no growth over the last half (paired difference within 4 s.e.)
    diff = risks[-1] - risks[T // 2]
    assert abs(diff.mean()) <= 4 * diff.std(ddof=1) / np.sqrt(R)


def test_oracle_ridge_path_beats_ols_and_is_bounded():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((20, 8))
    w = np.ones(8) / np.sqrt(8)
    oracle = th.ridge_oracle_path(X, w, 30)
    ols = th.ridge_fixed_design_risk(X, w, [0.0] * 31)
    assert np.all(oracle["risk"] <= ols + 1e-12)
    # the expectation-greedy λ_t keeps the risk near ‖w*‖² = 1 (the risk of predicting 0)
    assert oracle["risk"].max() < 1.01 and np.all(oracle["lambdas"][1:] > 0)
    assert th.ridge_fixed_design_risk(X, w, oracle["lambdas"]) == pytest.approx(oracle["risk"])
