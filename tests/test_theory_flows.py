"""Workflow laws (theory.flows) against independent Monte Carlo written here.

Each simulation draws the sufficient statistics of the Gaussian chain directly (sample mean
N(μ̂, v/n), scatter v·χ²_{n−1}; pooling adds the between-group term), with plain numpy.
Standard errors: a proportion over R draws has SE sqrt(p(1−p)/R); a mean has SE sd/sqrt(R).
Every comparison allows 4 standard errors (fixed seeds: deterministic, not tuned).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from synthaudit.exceptions import ValidationError
from synthaudit.theory import (
    accumulate_variance_law,
    collapse_probability,
    expected_variance_ratio,
    improvement_probability,
    improvement_probability_workflow,
    mean_improvement_known_variance,
    mean_improvement_probability,
    workflow_criterion,
    workflow_moments,
)

R = 20_000


def _chain(rng, n0, sizes, workflow, m=0, estimator="unbiased", known_sigma=False, baseline=True):
    """(D_0, v_0, [(D_t, v_t)]) for σ = 1, μ = 0: the workflows of DESIGN §2, from statistics."""
    c = (lambda N: N - 1) if estimator == "unbiased" else (lambda N: N)
    d = rng.normal(0, 1 / math.sqrt(n0), R)
    ss = rng.chisquare(n0 - 1, R) if baseline else np.full(R, float(c(n0)))
    N = n0
    v = ss / c(N)
    d0, v0, out = d.copy(), v.copy(), []
    for n in sizes:
        s = np.ones(R) if known_sigma else v
        ybar = d + rng.normal(0, 1, R) * np.sqrt(s / n)
        ssy = s * rng.chisquare(n - 1, R)
        if workflow == "replace":
            d, ss, N = ybar, ssy, n
        elif workflow == "accumulate":
            Nn = N + n
            ss = ss + ssy + N * n / Nn * (ybar - d) ** 2
            d, N = (N * d + n * ybar) / Nn, Nn
        else:
            zbar = rng.normal(0, 1 / math.sqrt(m), R)
            ssz = rng.chisquare(m - 1, R) if m > 1 else 0.0
            N = n + m
            ss = ssy + ssz + n * m / N * (ybar - zbar) ** 2
            d = (n * ybar + m * zbar) / N
        v = ss / c(N)
        out.append((d.copy(), v.copy()))
    return d0, v0, out


def _close_mean(exact, draws, k=4.0):
    se = draws.std() / math.sqrt(draws.size)  # SE of a Monte-Carlo mean
    assert abs(exact - draws.mean()) <= k * se, (exact, draws.mean(), se)


def _close_prop(exact, hits, k=4.0):
    se = math.sqrt(max(exact * (1 - exact), 1e-12) / hits.size)  # SE of a proportion
    assert abs(exact - hits.mean()) <= k * se + 1e-12, (exact, hits.mean(), se)


# ------------------------------------------------------------------------------------ moments


@pytest.mark.parametrize(
    ("workflow", "m", "n0", "n", "T"),
    [
        ("replace", 0, 5, 5, 6),
        ("accumulate", 0, 5, 5, 8),
        ("accumulate", 0, 200, 150, 10),
        ("mix", 3, 5, 5, 8),
        ("mix", 1, 6, 10, 8),
        ("mix", 100, 200, 200, 10),
    ],
)
@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_moments_match_simulation(workflow, m, n0, n, T, estimator):
    rng = np.random.default_rng(11 + n0 + T + m + (estimator == "mle"))
    spec = f"mix:{m}" if workflow == "mix" else workflow
    mom = workflow_moments(n0, [n] * T, workflow=spec, estimator=estimator)
    _, _, path = _chain(rng, n0, [n] * T, workflow, m, estimator)
    for t in (1, T // 2, T):
        d, v = path[t - 1]
        _close_mean(mom.variance_ratio[t], v)
        _close_mean(mom.mean_sq_error[t], d**2)
    rng = np.random.default_rng(7 + n0)
    _, _, path = _chain(rng, n0, [n] * T, workflow, m, estimator, known_sigma=True)
    _close_mean(mom.mean_sq_error_known_variance[T], path[-1][0] ** 2)


def test_moments_special_cases():
    rep = workflow_moments(100, "const:100", 50, estimator="mle")
    assert rep.variance_ratio[-1] == pytest.approx(
        expected_variance_ratio(100, "const:100", 50, estimator="mle"), rel=1e-12
    )
    np.testing.assert_allclose(rep.mean_sq_error_known_variance, (1 + np.arange(51)) / 100)
    # accumulate, unbiased: the product Π(1 − n_t/(N_t(N_t − 1))) of the issue
    acc = workflow_moments(10, [10, 20, 5], workflow="accumulate")
    N = np.array([20, 40, 45])
    np.testing.assert_allclose(acc.variance_ratio[1:], np.cumprod(1 - np.array([10, 20, 5]) / (N * (N - 1))))
    # r_acc² = n0 · Σ n_t/N_t² with σ known
    assert acc.mean_sq_error_known_variance[-1] * 10 == pytest.approx(1 + 10 * np.sum([10, 20, 5] / N**2))
    # mix converges to the fixed point of its affine map
    mix = workflow_moments(50, "const:50", 400, workflow="mix:25")
    assert abs(mix.variance_ratio[-1] - mix.variance_ratio[-2]) < 1e-12 and mix.variance_ratio[-1] > 0.9


# ------------------------------------------------------------------------- accumulate variance


@pytest.mark.parametrize(
    ("n0", "n", "T", "estimator", "baseline"),
    [
        (5, 5, 30, "unbiased", True),
        (2, 3, 10, "mle", True),
        (8, 8, 15, "unbiased", False),
        (300, 300, 40, "mle", True),
        (200, 200, 25, "unbiased", False),
    ],
)
def test_accumulate_variance_law_matches_simulation(n0, n, T, estimator, baseline):
    rng = np.random.default_rng(100 + n0 + T)
    _, _, path = _chain(rng, n0, [n] * T, "accumulate", estimator=estimator, baseline=baseline)
    v = path[-1][1]
    law = accumulate_variance_law(n0, [n] * T, estimator=estimator, include_baseline=baseline)
    _close_mean(law.mean(), v)
    eps = np.quantile(v, [0.01, 0.1, 0.5, 0.9, 0.99])
    exact = law.cdf(eps)
    for e, q in zip(exact, eps):
        _close_prop(e, v <= q)
    assert law.error_bound() < 1e-5


def test_accumulate_never_collapses_where_replace_does():
    acc = accumulate_variance_law(20, "const:20", 300)
    assert acc.cdf(0.3) < 0.01 < 0.9 < collapse_probability(0.3, 20, "const:20", 300)
    rep = workflow_criterion("const:20", 300, workflow="replace", n0=20)
    assert rep.collapses
    for wf in ("accumulate", "mix:1", "mix:poly:2:1"):
        crit = workflow_criterion("const:20", 300, workflow=wf, n0=20)
        assert not crit.collapses and crit.expected_variance_ratio > 0.3
        assert "no collapse" in crit.reason and wf.split(":")[0] in str(crit)
    assert not workflow_criterion("poly:20:2", 10, n0=20).collapses


def test_accumulate_law_edge_cases():
    law = accumulate_variance_law(10, [], include_baseline=False)
    assert law.cdf(0.99) == 0.0 and law.cdf(1.0) == 1.0 and law.mean() == 1.0
    law = accumulate_variance_law(10, [], include_baseline=True)
    assert law.cdf(1.0) == pytest.approx(stats.chi2.cdf(9, 9), abs=1e-14)  # P(χ²_9/9 ≤ 1)
    law = accumulate_variance_law(10, [10, 10])
    assert law.cdf(0.0) == 0.0 and law.cdf(np.inf) == 1.0 and law.sf(0.5) == pytest.approx(1 - law.cdf(0.5))
    assert np.all(np.diff(law.cdf(np.geomspace(0.05, 5, 30))) >= -1e-12)


# ------------------------------------------------------------------ mean improvement, σ known


@pytest.mark.parametrize(
    ("workflow", "m", "n0", "n", "T"),
    [("replace", 0, 5, 5, 7), ("accumulate", 0, 5, 5, 20), ("mix", 2, 6, 6, 10), ("mix", 200, 300, 100, 5)],
)
def test_mean_improvement_known_variance_matches_simulation(workflow, m, n0, n, T):
    rng = np.random.default_rng(31 + n0 + T)
    d0, _, path = _chain(rng, n0, [n] * T, workflow, m, known_sigma=True)
    spec = f"mix:{m}" if workflow == "mix" else workflow
    exact = mean_improvement_known_variance(n0, [n] * T, workflow=spec)
    _close_prop(exact, np.abs(path[-1][0]) < np.abs(d0))


def test_mean_improvement_known_variance_replace_is_the_old_law():
    for T in (1, 10, 100):
        assert mean_improvement_known_variance(50, "const:20", T) == pytest.approx(
            mean_improvement_probability(50, "const:20", T), rel=1e-12
        )
    assert mean_improvement_known_variance(50, "const:20", 0) == 0.5


# ---------------------------------------------- asymptotic improvement probability, any workflow


@pytest.mark.parametrize(
    ("workflow", "d", "sizes", "m"),
    [
        ("accumulate", 3, [50] * 10, 0),
        ("mix", 2, [40] * 8, 20),
        ("mix", 1, [10, 30, 90], 5),
        ("replace", 4, [50] * 5, 0),
    ],
)
def test_improvement_workflow_formula_matches_gaussian_model(workflow, d, sizes, m):
    # The formula's own model: θ_0 ~ N(0, I/n0); replace adds N(0, I/n), accumulate pools
    # (θ_t = θ_{t−1} + (n/N)·N(0, I/n)), mix averages with m fresh real rows.
    rng = np.random.default_rng(5 + d)
    n0 = 60
    th = rng.normal(0, 1 / math.sqrt(n0), (R, d))
    risk0 = (th**2).sum(1)
    N = n0
    for n in sizes:
        y = th + rng.normal(0, 1 / math.sqrt(n), (R, d))
        if workflow == "replace":
            th = y
        elif workflow == "accumulate":
            th, N = (N * th + n * y) / (N + n), N + n
        else:
            z = rng.normal(0, 1 / math.sqrt(m), (R, d))
            th = (n * y + m * z) / (n + m)
    spec = f"mix:{m}" if workflow == "mix" else workflow
    exact = improvement_probability_workflow(n0, sizes, d=d, workflow=spec)
    _close_prop(exact, (th**2).sum(1) < risk0)
    if workflow == "replace":
        assert exact == pytest.approx(improvement_probability(n0, sizes, d=d), rel=1e-12)


def test_bad_workflow_inputs_name_the_parameter():
    for bad in ("mix", "mix:0", "shuffle", 3):
        with pytest.raises(ValidationError, match="`workflow`"):
            workflow_moments(10, [10], workflow=bad)
    with pytest.raises(ValidationError) as info:
        workflow_moments(1, [10], estimator="median")
    assert len(info.value.problems) == 2
