"""The collapse law of DESIGN §5 reproduced by the engine (issue 2's acceptance test).

n0 = n_t = 100, truth (μ, σ²) = (0, 1), 10⁴ replications: the share of replications with
σ̂²_T ≤ 0.05 agrees with the exact law of σ̂²_T/σ² = W_0·Π W_t (Gil-Pelaez inversion in
synthaudit.theory) for both estimators and T = 100 … 500.
"""

import numpy as np
import pytest

import synthaudit as sa
from synthaudit import datasets, schedules, theory

R = 10_000
EPS = 0.05
GENS = [100, 200, 300, 400, 500]


@pytest.fixture(scope="module")
def truth_table():
    return datasets.simulate_gaussian(100, mean=0.0, var=1.0, rng=0)


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_share_below_eps_matches_the_exact_law(truth_table, estimator):
    res = sa.run_audit(truth_table, adapter="gaussian", adapter_settings={"estimator": estimator},
                       n0=100,
                       schedule=schedules.constant(100), n_generations=max(GENS),
                       n_replications=R, seed=2025)
    var = res.quantity("var[x]")
    for T in GENS:
        measured = float(np.mean(var[T].to_numpy() <= EPS))
        exact = theory.collapse_probability(EPS, 100, schedules.constant(100), T,
                                            estimator=estimator, include_baseline=True)
        # Monte-Carlo error of a proportion over R replications: s.e. = sqrt(p(1-p)/R) ≤ 0.005;
        # 4 s.e. plus 1e-6 for the quadrature of the exact law.
        tol = 4 * np.sqrt(exact * (1 - exact) / R) + 1e-6
        assert abs(measured - exact) <= tol, (estimator, T, measured, exact, tol)


def test_constant_collapses_and_polynomial_does_not(truth_table):
    kw = dict(adapter="gaussian", n0=100, n_generations=500, n_replications=4000, seed=7)
    const = sa.run_audit(truth_table, schedule=schedules.constant(100), **kw)
    poly = sa.run_audit(truth_table, schedule=schedules.polynomial(100, 1.5), **kw)
    c = const.quantity("var[x]")
    p = poly.quantity("var[x]")
    # constant: the share of collapsed replications keeps rising with T
    shares = [np.mean(c[T] <= EPS) for T in GENS]
    assert all(b > a for a, b in zip(shares, shares[1:]))
    assert shares[-1] > 0.7
    # polynomial(100, 1.5): Σ 1/n_t converges; no replication loses 95 % of its variance and the
    # median variance stays near 1 (exact law: P(σ̂² ≤ 0.05) is ~1e-30 at T = 500)
    assert theory.collapse_probability(EPS, 100, schedules.polynomial(100, 1.5), 500) < 1e-6
    assert np.mean(p[500] <= EPS) == 0.0
    assert 0.8 < np.median(p[500]) < 1.1
    assert theory.collapse_criterion(schedules.constant(100), 500).collapses
    assert not theory.collapse_criterion(schedules.polynomial(100, 1.5), 500).collapses


def test_expected_variance_under_mle(truth_table):
    # E σ̂²_T = σ²·Π(1 - 1/n_t) including generation 0; R = 10⁴, T = 50: the s.d. of σ̂²_50 is
    # about sqrt(Π E W² - (Π E W)²) ≈ 0.8, so the mean has s.e. ≈ 0.008: tolerance 5 s.e.
    res = sa.run_audit(truth_table, adapter="gaussian", adapter_settings={"estimator": "mle"}, n0=100,
                       schedule=schedules.constant(100), n_generations=50, n_replications=R,
                       seed=3)
    v = res.quantity("var[x]")[50].to_numpy()
    exact = theory.expected_variance_ratio(100, schedules.constant(100), 50, estimator="mle")
    assert abs(v.mean() - exact) < 5 * v.std() / np.sqrt(R)
