"""Tests of synthaudit.theory: closed forms against exact references and Monte Carlo.

Statistical tolerances: a Monte-Carlo proportion over R replications has standard error
sqrt(p(1−p)/R); a Monte-Carlo mean has standard error sd/sqrt(R). Every comparison allows 4
standard errors (a fixed seed makes the tests deterministic; 4 SE keeps them honest rather than
tuned to the seed).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from synthaudit.exceptions import ValidationError
from synthaudit.schedules import constant, explicit, exponential, linear, polynomial
from synthaudit.theory import (
    accumulated_variance,
    bias_collapses,
    bias_drift,
    collapse_criterion,
    collapse_curve,
    collapse_probability,
    expected_variance_ratio,
    improvement_probability,
    improvement_probability_r,
    mean_improvement_probability,
    required_growth_power,
    variance_law,
)

R = 20_000


def _mc_log_ratio(rng, n0, sizes, estimator, include_baseline=True):
    """Monte-Carlo draws of log(σ̂²_T/σ²) = Σ log(χ²_{n−1}/c) (the DESIGN §5 recursion)."""
    all_sizes = ([n0] if include_baseline else []) + list(sizes)
    total = np.zeros(R)
    for n in all_sizes:
        c = n - 1 if estimator == "unbiased" else n
        total += np.log(rng.chisquare(n - 1, size=R) / c)
    return total


def _mc_log_ratio_constant(rng, n0, n, T, estimator):
    c = n - 1 if estimator == "unbiased" else n
    c0 = n0 - 1 if estimator == "unbiased" else n0
    base = np.log(rng.chisquare(n0 - 1, size=R) / c0)
    return base + np.log(rng.chisquare(n - 1, size=(R, T)) / c).sum(axis=1)


# ---------------------------------------------------------------------------- exact variance law


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
@pytest.mark.parametrize("n", [2, 3, 10, 100, 10**6])
def test_cdf_matches_chi2_for_generation_0(n, estimator):
    law = variance_law(n, [], estimator=estimator)
    c = n - 1 if estimator == "unbiased" else n
    sd = math.sqrt(2 / (n - 1))
    eps = np.concatenate([[1e-12, 1e-4, 0.01, 0.1, 0.5, 2, 10], 1 + sd * np.linspace(-5, 5, 11)])
    eps = eps[eps > 0]
    np.testing.assert_allclose(law.cdf(eps), stats.chi2.cdf(eps * c, n - 1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(law.sf(eps), stats.chi2.sf(eps * c, n - 1), rtol=0, atol=1e-12)


def test_single_generation_without_baseline_is_chi2():
    law = variance_law(100, [50], include_baseline=False, estimator="mle")
    eps = np.linspace(0.3, 1.8, 13)
    np.testing.assert_allclose(law.cdf(eps), stats.chi2.cdf(eps * 50, 49), atol=1e-12)


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
@pytest.mark.parametrize("T", [100, 300])
def test_cdf_matches_monte_carlo_constant_100(T, estimator):
    rng = np.random.default_rng(20240 + T + (estimator == "mle"))
    logs = _mc_log_ratio_constant(rng, 100, 100, T, estimator)
    law = variance_law(100, constant(100), T, estimator=estimator)
    eps = np.exp(np.quantile(logs, [0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98]))
    exact = law.cdf(eps)
    empirical = (logs[:, None] <= np.log(eps)).mean(axis=0)
    tol = 4 * np.sqrt(exact * (1 - exact) / R)  # 4 Monte-Carlo standard errors
    assert np.all(np.abs(exact - empirical) <= tol), (exact, empirical, tol)


def test_cdf_matches_monte_carlo_heavy_tailed_small_sizes():
    # n = 2 gives W = χ²_1: log W has a heavy left tail — the hardest case for the inversion
    rng = np.random.default_rng(7)
    sizes = [2, 3, 2, 5, 40]
    logs = _mc_log_ratio(rng, 2, sizes, "unbiased")
    law = variance_law(2, sizes)
    eps = np.exp(np.quantile(logs, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]))
    exact = law.cdf(eps)
    empirical = (logs[:, None] <= np.log(eps)).mean(axis=0)
    assert np.all(np.abs(exact - empirical) <= 4 * np.sqrt(exact * (1 - exact) / R))


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_moments_match_monte_carlo(estimator):
    rng = np.random.default_rng(11)
    T = 100
    logs = _mc_log_ratio_constant(rng, 100, 100, T, estimator)
    law = variance_law(100, constant(100), T, estimator=estimator)
    ratio = np.exp(logs)
    assert abs(law.mean() - ratio.mean()) <= 4 * ratio.std() / math.sqrt(R)
    assert abs(law.log_mean() - logs.mean()) <= 4 * logs.std() / math.sqrt(R)
    # variance of a sample variance: SE ≈ var·sqrt(2/R) for a near-normal sum
    assert abs(law.log_var() - logs.var()) <= 4 * logs.var() * math.sqrt(2 / R)


def test_expected_variance_ratio_closed_form():
    assert expected_variance_ratio(100, constant(100), 500) == 1.0
    mle = expected_variance_ratio(100, polynomial(100, 1.5), 20, estimator="mle")
    sizes = np.concatenate([[100], polynomial(100, 1.5).sizes(20)])
    assert mle == pytest.approx(np.prod(1 - 1 / sizes), rel=1e-13)
    no_base = expected_variance_ratio(100, [10, 20], estimator="mle", include_baseline=False)
    assert no_base == pytest.approx(0.9 * 0.95, rel=1e-14)


def test_cdf_properties_and_ppf():
    law = variance_law(100, polynomial(100, 1.5), 200, estimator="mle")
    eps = np.geomspace(0.05, 5, 40)
    cdf = law.cdf(eps)
    assert np.all(np.diff(cdf) >= -1e-14)
    np.testing.assert_allclose(cdf + law.sf(eps), 1.0, atol=1e-15)
    assert law.cdf(0.0) == 0.0 and law.cdf(np.inf) == 1.0 and law.cdf(-1.0) == 0.0
    assert law.cdf(1e-300) == 0.0  # beyond the Chernoff bound: exactly 0
    q = law.ppf(0.05)
    assert law.cdf(q) == pytest.approx(0.05, abs=1e-10)
    assert np.shape(law.cdf([[0.5, 0.9]])) == (1, 2)
    assert "VarianceLaw" in str(law)


def test_no_factor_is_a_point_mass():
    law = variance_law(100, [], include_baseline=False)
    assert law.cdf(0.99) == 0.0 and law.cdf(1.0) == 1.0 and law.mean() == 1.0


def test_centred_cgf_is_accurate_for_huge_sizes():
    mpmath = pytest.importorskip("mpmath")
    from synthaudit.theory import _centered_cgf

    mpmath.mp.dps = 50
    for a in (0.5, 7.0, 25.5, 1e6, 5e10):
        for w in (0.3j * math.sqrt(a), 5j * math.sqrt(a), 2 * math.sqrt(a), -0.9 * a):
            A, W = mpmath.mpf(a), mpmath.mpc(w)
            ref = complex(mpmath.loggamma(A + W) - mpmath.loggamma(A) - W * mpmath.digamma(A))
            got = _centered_cgf(np.array([a]), np.array([1.0]), np.array([w]))[0]
            assert abs(got - ref) <= 1e-12 * max(1.0, abs(ref))


def test_collapse_probability_and_curve():
    p = collapse_probability(0.5, 100, constant(100), 300)
    assert p == pytest.approx(variance_law(100, constant(100), 300).cdf(0.5))
    curve = collapse_curve(0.5, 100, constant(100), [0, 50, 200, 500])
    assert list(curve.columns) == ["generation", "probability"]
    assert np.all(np.diff(curve["probability"]) > 0)  # a constant schedule collapses
    grow = collapse_curve(0.5, 100, polynomial(100, 2), [50, 500])
    assert grow["probability"].iloc[1] < 0.01


# ------------------------------------------------------------------------ improvement probability


R_GRID = np.array([0.0, 1e-6, 0.05, 0.5, 1.0, 2.0, 7.0, 30.0, 1e3, 1e6])


def test_quadrature_agrees_with_closed_forms():
    for d in (1, 2):
        quad = improvement_probability_r(R_GRID, d, method="quadrature")
        exact = improvement_probability_r(R_GRID, d)
        np.testing.assert_allclose(quad, exact, rtol=0, atol=1e-10)
    r = R_GRID[1:]
    np.testing.assert_allclose(
        improvement_probability_r(r, 1), np.arctan(2 / r) / np.pi, rtol=1e-13
    )
    np.testing.assert_allclose(
        improvement_probability_r(r, 2), 0.5 * (1 - r / np.sqrt(4 + r**2)), atol=1e-15
    )


@pytest.mark.parametrize("d", [3, 5, 12])
def test_quadrature_agrees_with_student_t(d):
    quad = improvement_probability_r(R_GRID, d, method="quadrature")
    student = special.stdtr(d, -R_GRID * math.sqrt(d) / 2)
    np.testing.assert_allclose(quad, student, rtol=0, atol=1e-10)
    np.testing.assert_allclose(improvement_probability_r(R_GRID, d), student, atol=1e-15)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_improvement_matches_monte_carlo_of_the_expectation(d):
    rng = np.random.default_rng(100 + d)
    r = 1.7
    draws = special.ndtr(-(r / 2) * np.sqrt(rng.chisquare(d, size=R)))
    assert abs(improvement_probability_r(r, d) - draws.mean()) <= 4 * draws.std() / math.sqrt(R)


def test_improvement_matches_direct_fisher_risk_simulation():
    # d = 2 parameters in the Fisher metric: θ_0 − θ* ~ N(0, I/n0), θ_T − θ_0 ~ N(0, S_T·I)
    rng = np.random.default_rng(3)
    n0, sched, T, d = 100, constant(100), 10, 2
    theta = rng.normal(0, 1 / math.sqrt(n0), size=(R, d))
    risk0 = (theta**2).sum(axis=1)
    for n in sched.sizes(T):
        theta = theta + rng.normal(0, 1 / math.sqrt(n), size=(R, d))
    empirical = np.mean((theta**2).sum(axis=1) < risk0)
    exact = improvement_probability(n0, sched, T, d=d)
    assert abs(exact - empirical) <= 4 * math.sqrt(exact * (1 - exact) / R)


def test_improvement_properties():
    p = improvement_probability(100, constant(100), [0, 1, 10, 100, 1000], d=3)
    assert p[0] == 0.5 and np.all(p[1:] < 0.5) and np.all(np.diff(p) < 0)
    assert improvement_probability_r(1e12, 3) < 1e-15
    single = [improvement_probability(100, constant(100), t, d=3) for t in (1, 10)]
    np.testing.assert_allclose(p[[1, 2]], single, rtol=1e-15)
    # superlinear growth keeps a positive limit; explicit sizes work too
    far = improvement_probability(100, polynomial(100, 2), [100, 1000], d=2)
    assert far[1] > 0.2 and far[0] - far[1] < 1e-3
    assert improvement_probability(100, [100, 100], d=1) == pytest.approx(
        math.atan(2 / math.sqrt(2)) / math.pi
    )


def test_mean_improvement_formula_matches_simulation():
    # μ_0 − μ ~ N(0, a), μ_T − μ_0 ~ N(0, b): P(|μ_T − μ| < |μ_0 − μ|)
    rng = np.random.default_rng(5)
    n0, sched, T = 50, linear(20, 5), 8
    a, b = 1 / n0, sched.inverse_sum(T)
    x = rng.normal(0, math.sqrt(a), R)
    y = x + rng.normal(0, math.sqrt(b), R)
    empirical = np.mean(np.abs(y) < np.abs(x))
    exact = mean_improvement_probability(n0, sched, T)
    assert abs(exact - empirical) <= 4 * math.sqrt(exact * (1 - exact) / R)
    assert exact == pytest.approx(improvement_probability(n0, sched, T, d=1), rel=1e-13)


# ----------------------------------------------------------------------------- collapse criterion


@pytest.mark.parametrize(
    "schedule",
    [
        constant(100),
        linear(100, 50),
        linear(100, 0),
        polynomial(100, 1),
        polynomial(100, 0.5),
        exponential(100, 1),
        explicit([100, 1000, 10000]),
    ],
)
def test_collapsing_schedules(schedule):
    crit = collapse_criterion(schedule, 30)
    assert crit.collapses and math.isinf(crit.limit)
    assert crit.inverse_sum == pytest.approx(schedule.inverse_sum(30))
    assert "collapses" in str(crit)


def test_polynomial_limit_is_accurate():
    crit = collapse_criterion(polynomial(100, 1.5), 40)
    assert not crit.collapses
    t = np.arange(1, 4_000_001, dtype=float)
    brute = np.sum(1 / np.floor(100 * t**1.5 + 0.5)) + 2 / math.sqrt(4e6) / 100  # + ∫ tail
    assert crit.limit == pytest.approx(brute, rel=1e-10)
    assert crit.limit_error < 1e-12
    # large n0: rounding negligible, so the limit is ζ(p)/n0
    for p in (1.1, 2.0, 3.0):
        limit = collapse_criterion(polynomial(10**7, p), 5).limit
        assert limit * 1e7 == pytest.approx(special.zeta(p), rel=1e-7)


def test_exponential_limit_is_a_geometric_series():
    crit = collapse_criterion(exponential(100, 1.05), 10)
    t = np.arange(1, 3000)
    brute = np.sum(1 / np.floor(100 * 1.05 ** (t - 1.0) + 0.5))
    assert not crit.collapses and crit.limit == pytest.approx(brute, rel=1e-13)
    assert collapse_criterion(exponential(4, 2), 3).limit == pytest.approx(0.5)


# ------------------------------------------------------------------------------------- bias rule


def test_bias_rule():
    assert bias_drift(constant(100), 0.5, 10) == pytest.approx(1.0)
    assert bias_drift([4, 16], 0.5) == pytest.approx(0.75)
    np.testing.assert_allclose(bias_drift(constant(100), 0.5, [1, 4]), [0.1, 0.4])
    assert required_growth_power(0.5) == 2.0
    assert required_growth_power(0.25) == 4.0
    assert required_growth_power(2.0) == 1.0  # the variance criterion dominates
    assert required_growth_power(0.5, estimator_bias=False) == 1.0
    assert bias_collapses(constant(100), 0.5)
    assert bias_collapses(linear(100, 10), 0.9) and not bias_collapses(linear(100, 10), 1.5)
    assert bias_collapses(polynomial(100, 2), 0.5) and not bias_collapses(polynomial(100, 2.1), 0.5)
    assert not bias_collapses(exponential(100, 1.01), 0.1)
    assert bias_collapses(explicit([10, 20]), 0.5)


def test_accumulated_variance():
    assert accumulated_variance(100, constant(100), 50) == pytest.approx(50)
    np.testing.assert_allclose(accumulated_variance(10, [10, 20, 40], [1, 3]), [1.0, 1.75])
    assert accumulated_variance(10, "const:10", 0) == 0.0


# ------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: variance_law(1, constant(10), 5), "`n0`"),
        (lambda: variance_law(100, constant(10), 5, estimator="median"), "`estimator`"),
        (lambda: variance_law(100, constant(10)), "`n_generations`"),
        (lambda: variance_law(100, constant(10), -1), "`n_generations`"),
        (lambda: variance_law(100, [10, 1]), "`sizes`"),
        (lambda: variance_law(100, [10, 2.5]), "`sizes`"),
        (lambda: variance_law(100, 42, 3), "`schedule_or_sizes`"),
        (lambda: improvement_probability(100, constant(10), 5, d=0), "`d`"),
        (lambda: improvement_probability_r(-1.0, 2), "`r`"),
        (lambda: improvement_probability_r(1.0, 2, method="mc"), "`method`"),
        (lambda: bias_drift(constant(10), -0.5, 3), "`alpha`"),
        (lambda: collapse_criterion(constant(10), 0), "`n_generations`"),
        (lambda: collapse_curve(0.5, 100, constant(10), []), "`generations`"),
        (lambda: variance_law(100, [], estimator="unbiased").ppf(1.5), "`q`"),
    ],
)
def test_bad_inputs_name_the_parameter(call, name):
    with pytest.raises(ValidationError, match=name):
        call()


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as info:
        variance_law(0, constant(10), 5, estimator="median")
    assert len(info.value.problems) == 2
    assert isinstance(info.value, ValueError)
