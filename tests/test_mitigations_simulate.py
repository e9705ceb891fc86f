"""The mitigation simulator against the exact theory, and the fresh-share planner.

Tolerances: 4 Monte-Carlo standard errors (sd/√R over R replication lanes; √(p(1 − p)/N) for a
keep rate over N candidates).
"""

from __future__ import annotations

import numpy as np
import pytest

import synthaudit as sa
from synthaudit.exceptions import ValidationError
from synthaudit.mitigations import theory as th
from synthaudit.mitigations.planning import cheapest_fresh_share
from synthaudit.mitigations.simulate import simulate, simulate_regression


@pytest.fixture(scope="module")
def penguins():
    return sa.datasets.load("penguins", dropna=True)


def _close_mean(samples, expected, k=4.0):
    samples = np.asarray(samples, dtype=float)
    se = samples.std(ddof=1) / np.sqrt(samples.shape[0])
    assert abs(samples.mean() - expected) <= k * se + 1e-12, (samples.mean(), expected, se)


@pytest.mark.parametrize("truth", [True, False])
def test_categorical_fresh_share_matches_the_exact_risk(penguins, truth):
    n0, T, R = 30, 40, 4000
    run = simulate("fresh:0.2", penguins, family="categorical", columns=["species", "island"],
                   n0=n0, n_generations=T, n_replications=R, truth=truth, seed=1)
    N = None if truth else len(penguins)
    risk = 0.0
    for col in ("species", "island"):
        p = penguins[col].value_counts(normalize=True).sort_index().to_numpy()
        risk = risk + th.categorical_fresh_risk(p, n0, run.sizes, run.real_rows, population=N)
    err = run.standardized_error()
    for t in (0, 1, 10, 40):
        _close_mean(err[:, t], risk[t])


def test_gaussian_fresh_share_matches_the_exact_moments(penguins):
    n0, T, R = 20, 30, 20_000
    run = simulate("fresh:0.25", penguins, columns=["flipper_length_mm"], n0=n0, n_generations=T,
                   n_replications=R, truth=True, seed=2)
    m = th.gaussian_fresh_moments(n0, run.sizes, run.real_rows)
    mu, var = run.truth
    for t in (0, 1, 5, 30):
        _close_mean((run.theta[:, t, 0] - mu) ** 2 / var, m["mse_mean"][t])
        _close_mean(run.theta[:, t, 1] / var, m["mean_var"][t])


def test_shrinkage_matches_the_exact_drift(penguins):
    n0, T, R, c = 25, 30, 20_000, 0.2
    run = simulate("shrink:0.2", penguins, columns=["bill_depth_mm"], n0=n0, n_generations=T,
                   n_replications=R, truth=True, seed=3)
    d = th.shrinkage_drift(c, n0, run.sizes)
    drift = (run.theta[:, :, 0] - run.theta[:, :1, 0]) ** 2 / run.theta[:, :1, 1]
    for t in (1, 5, 30):
        _close_mean(drift[:, t], d["drift_var"][t])


def test_likelihood_filter_first_generation_is_the_truncated_normal(penguins):
    R, n, q = 20_000, 30, 0.1
    run = simulate("filter:likelihood:q=0.1", penguins, columns=["body_mass_g"], n0=n,
                   n_generations=1, n_replications=R, truth=True, seed=4)
    z = th.likelihood_filter_z(q)
    step = th.likelihood_filter_step(0.0, 1.0, 0.0, 1.0, z)
    _close_mean(run.theta[:, 1, 1] / run.theta[:, 0, 1], step["var_factor"])
    kept = R * n
    drawn = run.records["filter_candidates"][:, 0].sum()
    assert abs(kept / drawn - (1 - q)) <= 4 * np.sqrt(q * (1 - q) / drawn)


def test_summary_reads_out_collapse_costs_and_records(penguins):
    cols = ["bill_length_mm", "flipper_length_mm"]
    kw = dict(columns=cols, n0=40, n_generations=60, n_replications=300, seed=5)
    plain = simulate(None, penguins, **kw).summary([0, 60])
    fresh = simulate("fresh:0.2", penguins, **kw).summary([0, 60])
    filt = simulate("filter:likelihood:q=0.05", penguins, **kw).summary([0, 60])
    assert plain["variance_ratio_median"].iloc[-1] < 0.7 < fresh["variance_ratio_median"].iloc[-1]
    assert filt["tail_coverage_median"].iloc[-1] < plain["tail_coverage_median"].iloc[-1]
    assert fresh["real_rows_cumulative"].iloc[-1] == 40 + 60 * 8
    assert 0.9 < filt["filter_keep_rate"].iloc[-1] <= 1.0
    cat = simulate(None, penguins, family="categorical", columns=["island"], n0=20,
                   n_generations=200, n_replications=300, seed=6).summary([200])
    assert cat["levels_lost"].iloc[0] > 1


def test_simulate_validation(penguins):
    with pytest.raises(ValidationError) as err:
        simulate("filter:pca:q=0.1", penguins, family="categorical", n0=1, n_generations=0)
    assert len(err.value.problems) == 3
    with pytest.raises(ValidationError, match="simulate_regression"):
        simulate("ridge:auto", penguins)


def test_regression_simulator_ols_grows_and_tuned_ridge_does_not(penguins):
    X = penguins[["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]].to_numpy()
    y = penguins["body_mass_g"].to_numpy() / 1000
    kw = dict(n0=20, n_generations=30, n_replications=300, seed=7)
    ols = simulate_regression(X, y, **kw)
    acc = simulate_regression(X, y, workflow="accumulate", **kw)
    rid = simulate_regression(X, y, ridge="auto", **kw)
    e_ols, e_acc, e_rid = (r.test_mse.mean(0) for r in (ols, acc, rid))
    assert e_ols[-1] > 3 * e_ols[0]
    assert e_acc[-1] < 1.2 * e_acc[0] * np.pi**2 / 6 and e_rid[-1] < e_ols[-1]
    # tuned ridge grows far slower than OLS (its unpenalised intercept still random-walks)
    assert e_rid[-1] - e_rid[15] < 0.5 * (e_ols[-1] - e_ols[15])
    assert np.all(rid.lambdas >= 0) and ols.lambdas.max() == 0


def test_planner_meets_the_target_and_is_the_cheapest():
    n0, T, target = 40, 30, 1.5
    plan = cheapest_fresh_share(target, n0=n0, n_generations=T)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    risk = th.categorical_fresh_risk(p, n0, [plan.n] * T, [plan.real_rows] * T)
    assert risk[-1] / risk[0] <= target
    worse = th.categorical_fresh_risk(p, n0, [plan.n] * T, [plan.real_rows - 1] * T)
    assert worse[-1] / worse[0] > target                       # one real row fewer fails
    assert np.all(plan.frontier.cost >= plan.cost - 1e-9)
    assert th.fresh_rows(plan.share, [plan.n])[0] == plan.real_rows
    # an independent multinomial simulation of the plan reaches the planned risk
    rng = np.random.default_rng(8)
    R = 20_000
    ph = rng.multinomial(n0, p, size=R) / n0
    for _ in range(T):
        ph = (rng.multinomial(plan.real_rows, p, size=R)
              + rng.multinomial(plan.synthetic_rows, ph)) / plan.n
    _close_mean(((ph - p) ** 2).sum(1), risk[-1])
    g = cheapest_fresh_share(target, n0=n0, n_generations=T, family="gaussian")
    assert g.risk_ratio <= target and g.real_rows >= 1
    with pytest.raises(ValidationError) as err:
        cheapest_fresh_share(-1, n0=1, n_generations=T, family="x")
    assert len(err.value.problems) == 3
