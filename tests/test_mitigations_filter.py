"""Filtering synthetic rows: the likelihood filter's exact one-generation moments (truncated
normal), its population-limit path, tail coverage, and the calibration/records of the three
filters, against plain-numpy simulations written here.

Tolerances: 4 Monte-Carlo standard errors (sd/√R for means over R lanes; √(p(1 − p)/N) for a
keep rate measured on N candidates).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from synthaudit.mitigations import filters as fl
from synthaudit.mitigations import theory as th


def _close_mean(samples, expected, k=4.0):
    samples = np.asarray(samples, dtype=float)
    se = samples.std(ddof=1) / np.sqrt(samples.shape[0])
    assert abs(samples.mean() - expected) <= k * se + 1e-12, (samples.mean(), expected, se)


def _filtered_rows(rng, mu, sd, center, half, n):
    """Rejection sampling, lane by lane vectorised: n rows of N(mu, sd²) inside the window."""
    R = len(mu)
    out = np.empty((R, n))
    have = np.zeros(R, dtype=int)
    drawn = np.zeros(R, dtype=int)
    while (have < n).any():
        x = mu[:, None] + sd[:, None] * rng.standard_normal((R, 4 * n))
        ok = np.abs(x - center[:, None]) <= half[:, None]
        for i in np.flatnonzero(have < n):
            keep = np.flatnonzero(ok[i])[: n - have[i]]
            out[i, have[i]: have[i] + len(keep)] = x[i, keep]
            drawn[i] += keep[-1] + 1 if have[i] + len(keep) == n else 4 * n
            have[i] += len(keep)
    return out, drawn


def test_one_generation_is_an_exact_truncated_normal():
    # generation t − 1 = N(0.3, 1.5) off-centre; window |x − 0| ≤ 1.5·1 (generation 0's)
    rng = np.random.default_rng(1)
    R, n, z = 20_000, 15, 1.5
    mu, sd = np.full(R, 0.3), np.full(R, np.sqrt(1.5))
    rows, drawn = _filtered_rows(rng, mu, sd, np.zeros(R), np.full(R, z), n)
    step = th.likelihood_filter_step(0.3, 1.5, 0.0, 1.0, z)
    _close_mean(rows.mean(1), step["mean"])
    _close_mean(rows.var(1, ddof=1), step["var"])          # unbiased: exact at any n
    rate = n * R / drawn.sum()
    se = np.sqrt(step["keep_rate"] * (1 - step["keep_rate"]) / drawn.sum())
    assert abs(rate - step["keep_rate"]) <= 4 * se
    assert step["var_factor"] < 1


def test_population_limit_path_with_a_biased_reference():
    # generation 0 estimated μ̂_0 = 0.4 while the truth is 0: the window is off-centre
    rng = np.random.default_rng(2)
    R, n, T, z = 100, 10_000, 4, 1.645
    center, scale = 0.4, 1.0
    path = th.likelihood_filter_path(z, T, center=center, scale=scale)
    mu, sd = np.full(R, center), np.full(R, scale)
    for t in range(1, T + 1):
        rows, _ = _filtered_rows(rng, mu, sd, np.full(R, center), np.full(R, z * scale), n)
        mu, sd = rows.mean(1), rows.std(1, ddof=1)
        # O(1/n) = 1e-4 Jensen bias ≪ the s.e. over R lanes (≈ √(2/n)/√R ≈ 1.4e-3)
        _close_mean(sd**2, path["sd"][t] ** 2)
        _close_mean(mu, path["mean"][t])
    assert np.all(np.diff(path["sd"]) < 0)


def test_tails_collapse_faster_with_the_filter():
    # truth N(0, 1); real quantiles ±2.326 (1 %/99 %); n = 40 rows per generation
    rng = np.random.default_rng(3)
    R, n, T, q = 4000, 40, 10, 0.05
    z = th.likelihood_filter_z(q)
    lo, hi = stats.norm.ppf([0.01, 0.99])
    x0 = rng.standard_normal((R, n))
    mu0, sd0 = x0.mean(1), x0.std(1, ddof=1)
    plain_mu, plain_sd = mu0.copy(), sd0.copy()
    filt_mu, filt_sd = mu0.copy(), sd0.copy()
    for _ in range(T):
        rows = plain_mu[:, None] + plain_sd[:, None] * rng.standard_normal((R, n))
        plain_mu, plain_sd = rows.mean(1), rows.std(1, ddof=1)
        rows, _ = _filtered_rows(rng, filt_mu, filt_sd, mu0, z * sd0, n)
        filt_mu, filt_sd = rows.mean(1), rows.std(1, ddof=1)
    cov_plain = th.gaussian_tail_coverage(plain_mu, plain_sd, lo, hi)
    cov_filt = th.gaussian_tail_coverage(filt_mu, filt_sd, lo, hi)
    diff = cov_plain - cov_filt
    assert diff.mean() > 4 * diff.std(ddof=1) / np.sqrt(R)
    # the population-limit theory says the same: the filter alone cuts the tails …
    path = th.likelihood_filter_path(z, T)
    cov_path = th.gaussian_tail_coverage(path["mean"], path["sd"], lo, hi)
    assert cov_path[0] == pytest.approx(1.0) and cov_path[-1] < 0.2
    # … and a biased reference cuts them faster still: a too-narrow one (σ̂_0 = 0.9σ) both
    # tails, an off-centre one (μ̂_0 = 0.3σ) the tail on the far side
    narrow = th.likelihood_filter_path(z, T, scale=0.9)
    assert np.all(th.gaussian_tail_coverage(narrow["mean"], narrow["sd"], lo, hi)[1:]
                  < cov_path[1:])
    shifted = th.likelihood_filter_path(z, T, center=0.3)
    far = th.gaussian_tail_coverage(shifted["mean"], shifted["sd"], lo, hi, 0.01, 0.0)
    far_centred = th.gaussian_tail_coverage(path["mean"], path["sd"], lo, hi, 0.01, 0.0)
    assert np.all(far[1:] < far_centred[1:])


def test_likelihood_filter_calibration_keeps_one_minus_q_of_real_rows():
    rng = np.random.default_rng(4)
    q = 0.1
    # a reference fitted on 200 000 rows: its estimation error moves the keep rate by ~3e-4,
    # well inside 4 s.e. of the 100 000 candidates (4·√(q(1 − q)/N) ≈ 4e-3)
    ref = fl.fit_reference("likelihood", rng.standard_normal((1, 200_000, 3)), q=q)
    N = 100_000
    keep = fl.score(ref, rng.standard_normal((1, N, 3))) <= ref.threshold[:, None]
    assert abs(keep.mean() - (1 - q)) <= 4 * np.sqrt(q * (1 - q) / N)
    assert ref.threshold[0] == pytest.approx(np.sqrt(stats.chi2.ppf(0.9, 3)))


def test_filters_record_keep_rate_threshold_and_candidates():
    rng = np.random.default_rng(5)
    real = rng.standard_normal((3, 200, 2))
    for method in fl.METHODS:
        ref = fl.fit_reference(method, real, q=0.1)
        # a collapsed generation: spread 0.4 around the real mean
        out = fl.draw_filtered(ref, lambda k: 0.4 * rng.standard_normal((3, k, 2)), 100, rng=rng)
        assert out.rows.shape == (3, 100, 2)
        assert np.all((out.keep_rate > 0) & (out.keep_rate <= 1))
        assert np.all(out.candidates >= 100) and np.all(np.isfinite(out.threshold))
        assert np.allclose(out.keep_rate, 100 / out.candidates)
    # the classifier sees the shrunken spread and drops central rows: the kept rows are wider
    ref = fl.fit_reference("classifier", real, q=0.1)
    out = fl.draw_filtered(ref, lambda k: 0.4 * rng.standard_normal((3, k, 2)), 100, rng=rng)
    assert np.all(out.keep_rate < 0.9)
    assert out.rows.std() > 0.45
    # the likelihood filter cannot: a collapsed generation passes almost whole
    ref = fl.fit_reference("likelihood", real, q=0.1)
    out = fl.draw_filtered(ref, lambda k: 0.4 * rng.standard_normal((3, k, 2)), 100, rng=rng)
    assert np.all(out.keep_rate > 0.95)
