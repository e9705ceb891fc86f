"""Fresh real data in every generation (Bakshi & Chakraborty): the exact recursions of
synthaudit.mitigations.theory against independent plain-numpy simulations written here.

Tolerances: 4 Monte-Carlo standard errors. For a mean of R i.i.d. replications the standard
error is sd/√R with sd the replications' sample standard deviation; for a probability P
estimated by a share of R replications it is √(P(1 − P)/R) with P the theoretical value.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthaudit.exceptions import ValidationError
from synthaudit.mitigations import theory as th

P = np.array([0.55, 0.30, 0.10, 0.05])


def _close_mean(samples, expected, k=4.0):
    """|mean − expected| ≤ k standard errors of the mean (sd/√R)."""
    samples = np.asarray(samples, dtype=float)
    se = samples.std(ddof=1) / np.sqrt(samples.shape[0])
    assert abs(samples.mean() - expected) <= k * se + 1e-12, (samples.mean(), expected, se)


def _close_share(hits, p, k=4.0):
    """|share − p| ≤ k·√(p(1 − p)/R) (binomial standard error at the theoretical p)."""
    hits = np.asarray(hits, dtype=float)
    se = np.sqrt(max(p * (1 - p), 1e-12) / hits.shape[0])
    assert abs(hits.mean() - p) <= k * se + 1e-12, (hits.mean(), p, se)


def _sim_categorical(p, n0, sizes, real_rows, R, seed):
    """Plain multinomial loop: k_t rows from p, m_t rows from p̂_{t−1}; returns p̂ (R, T+1, K)."""
    rng = np.random.default_rng(seed)
    out = np.empty((R, len(sizes) + 1, len(p)))
    ph = rng.multinomial(n0, p, size=R) / n0
    out[:, 0] = ph
    for t, (n, k) in enumerate(zip(sizes, real_rows)):
        counts = rng.multinomial(k, p, size=R) if k else 0
        if n - k:
            counts = counts + rng.multinomial(n - k, ph)
        ph = counts / n
        out[:, t + 1] = ph
    return out


@pytest.mark.parametrize(
    "n0,sizes,real",
    [
        (30, [30] * 25, [6] * 25),  # α = 0.2, constant n
        (30, [30] * 25, [0] * 25),  # α = 0: Wright–Fisher
        (20, [int(20 * (t + 1) ** 1.5) for t in range(12)],
         [int(np.floor(0.25 * 20 * (t + 1) ** 1.5 + 0.5)) for t in range(12)]),  # α const, n ↑
    ],
)
def test_categorical_risk_recursion_is_exact(n0, sizes, real):
    R = 20_000
    ph = _sim_categorical(P, n0, sizes, real, R, seed=1)
    risk = th.categorical_fresh_risk(P, n0, sizes, real)
    err = ((ph - P) ** 2).sum(-1)
    for t in sorted({0, 1, 2, 5, len(sizes) // 2, len(sizes)}):
        _close_mean(err[:, t], risk[t])


def test_categorical_risk_with_a_finite_pool_drawn_without_replacement():
    # pool of N rows with exact shares P; generation 0 and each generation's fresh rows are
    # drawn without replacement from it (as the engine draws from its pool)
    N, n0, n, k, T, R = 60, 20, 20, 8, 15, 20_000
    rng = np.random.default_rng(7)
    pool = np.repeat(np.arange(4), (P * N).astype(int))
    assert len(pool) == N

    def draw(m):
        idx = np.argpartition(rng.random((R, N)), m - 1, axis=1)[:, :m]
        return np.stack([(pool[idx] == j).sum(1) for j in range(4)], axis=1)

    ph = draw(n0) / n0
    errs = [((ph - P) ** 2).sum(1)]
    for _ in range(T):
        ph = (draw(k) + rng.multinomial(n - k, ph)) / n
        errs.append(((ph - P) ** 2).sum(1))
    risk = th.categorical_fresh_risk(P, n0, [n] * T, [k] * T, population=N)
    for t in (0, 1, 3, 8, 15):
        _close_mean(errs[t], risk[t])
    # the i.i.d. formula would be wrong here (sampling without replacement is less noisy)
    iid = th.categorical_fresh_risk(P, n0, [n] * T, [k] * T)
    assert iid[0] > risk[0] * 1.4


def test_level_loss_law_is_exact_and_alpha_zero_loses_rare_levels():
    n0, n, T, R = 30, 30, 150, 20_000
    ph = _sim_categorical(P, n0, [n] * T, [0] * T, R, seed=3)
    lost = th.level_loss_probability(P[3], n0, [n] * T, [0] * T)
    for t in (0, 1, 5, 30, 150):
        _close_share(ph[:, t, 3] == 0, lost[t])
    # claim: with α = 0 a lost level never returns, and the rare level (5 %) is lost for good
    assert np.all(np.diff(lost) >= -1e-12)
    assert lost[-1] > 0.9
    # with fresh rows the zero state is no longer absorbing: much less often absent at T
    ph2 = _sim_categorical(P, n0, [n] * T, [6] * T, R, seed=4)
    lost2 = th.level_loss_probability(P[3], n0, [n] * T, [6] * T)
    for t in (1, 10, 150):
        _close_share(ph2[:, t, 3] == 0, lost2[t])
    assert lost2[-1] < 0.5 * lost[-1]


def test_constant_alpha_constant_n_is_bounded_above_r0():
    # claim: no collapse (bounded) but no improvement (limit above R0)
    n0 = n = 30
    k, T, R = 6, 120, 20_000
    risk = th.categorical_fresh_risk(P, n0, [n] * T, [k] * T)
    limit = th.categorical_fresh_stationary(n, k, n0=n0)
    v = 1 - P @ P
    assert 1.0 < limit < v / risk[0]          # above R0, below the collapsed value v
    assert abs(risk[-1] / risk[0] - limit) < 1e-9
    ph = _sim_categorical(P, n0, [n] * T, [k] * T, R, seed=5)
    err = ((ph - P) ** 2).sum(-1)
    _close_mean(err[:, -1], risk[-1])
    # measured: generation T's risk is above generation 0's by many standard errors
    diff = err[:, -1] - err[:, 0]
    assert diff.mean() > 10 * diff.std(ddof=1) / np.sqrt(R)


def test_constant_alpha_superlinear_n_recovers_the_truth():
    n0, T, R = 20, 40, 10_000
    sizes = [int(round(n0 * t**1.5)) for t in range(1, T + 1)]
    real = th.fresh_rows(0.2, sizes)
    risk = th.categorical_fresh_risk(P, n0, sizes, real)
    assert risk[-1] / risk[0] < 0.05 and np.all(np.diff(risk[5:]) < 0)
    ph = _sim_categorical(P, n0, sizes, real, R, seed=6)
    err = ((ph - P) ** 2).sum(-1)
    _close_mean(err[:, -1], risk[-1])
    assert (err[:, -1] < err[:, 0]).mean() > 0.85      # generation T beats generation 0


def test_decaying_alpha_constant_n_does_not_recover():
    # α_t = 0.5·t^−1 with n = 30: k_t = ⌊15/t + ½⌋ reaches 0 at t = 31, then pure collapse
    n0 = n = 30
    T, R = 150, 20_000
    real = th.fresh_rows(0.5 / np.arange(1, T + 1), [n] * T)
    assert real[0] == 15 and real[30] == 0
    risk = th.categorical_fresh_risk(P, n0, [n] * T, real)
    const = th.categorical_fresh_risk(P, n0, [n] * T, [6] * T)
    v = 1 - P @ P
    assert risk[-1] > 5 * const[-1] and risk[-1] > 0.8 * v
    ph = _sim_categorical(P, n0, [n] * T, real, R, seed=8)
    err = ((ph - P) ** 2).sum(-1)
    for t in (10, 40, 150):
        _close_mean(err[:, t], risk[t])
    lost = th.level_loss_probability(P[3], n0, [n] * T, real)
    _close_share(ph[:, -1, 3] == 0, lost[-1])
    assert lost[-1] > 0.8


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_gaussian_fresh_moments_are_exact(estimator):
    n0, n, k, T, R = 12, 10, 3, 6, 100_000
    ddof = 1 if estimator == "unbiased" else 0
    rng = np.random.default_rng(11)
    x = rng.standard_normal((R, n0))
    mu, s = x.mean(1), x.var(1, ddof=ddof)
    sims = [(mu, s)]
    for _ in range(T):
        rows = np.concatenate([rng.standard_normal((R, k)),
                               mu[:, None] + np.sqrt(s)[:, None] * rng.standard_normal((R, n - k))], 1)
        mu, s = rows.mean(1), rows.var(1, ddof=ddof)
        sims.append((mu, s))
    m = th.gaussian_fresh_moments(n0, [n] * T, [k] * T, estimator=estimator)
    for t in (0, 1, 3, 6):
        mu_t, s_t = sims[t]
        _close_mean(mu_t**2, m["mse_mean"][t])
        _close_mean(s_t, m["mean_var"][t])
        _close_mean((s_t - 1) ** 2, m["mse_var"][t])


def test_gaussian_claims_constant_alpha_bounded_and_alpha_zero_collapses():
    n0 = n = 50
    T = 400
    bounded = th.gaussian_fresh_moments(n0, [n] * T, [10] * T)
    collapsed = th.gaussian_fresh_moments(n0, [n] * T, [0] * T, estimator="mle")
    # fresh rows: the mean's error settles above generation 0's, the variance stays near σ²
    r = bounded["mse_mean"] / bounded["mse_mean"][0]
    assert 1 < r[-1] < 10 and abs(r[-1] - r[-50]) < 1e-6
    assert 0.9 < bounded["mean_var"][-1] < 1.2
    # α = 0 (MLE): E σ̂²_T = Π(1 − 1/n) → 0 and the mean's error grows without bound
    assert abs(collapsed["mean_var"][-1] - (1 - 1 / n) ** (T + 1)) < 1e-12
    assert collapsed["mse_mean"][-1] > 100 * collapsed["mse_mean"][0] * (1 - 1 / n) ** T


def test_validation_lists_every_problem():
    with pytest.raises(ValidationError) as err:
        th.categorical_fresh_risk([0.5, 0.6], 0, [10, 10], [11, 2, 3])
    assert len(err.value.problems) == 3
    with pytest.raises(ValidationError, match="k_t must be ≤"):
        th.categorical_fresh_risk([0.5, 0.5], 10, [10, 10], [11, 2])
    with pytest.raises(ValidationError, match="shares"):
        th.fresh_rows(1.5, [10])


def test_exact_coefficient_beats_the_one_minus_alpha_squared_approximation():
    # the approximate recursion R_t = (n0/n)R0 + ((n−1)/n)(1−α)²R_{t−1}; ours has
    # m(m−1)/n². At n = 6, k = 2 the two limits differ by 6 %: the simulation must pick ours.
    n0 = n = 6
    k, T, R = 2, 40, 50_000
    ours = th.categorical_fresh_risk(P, n0, [n] * T, [k] * T)
    a = k / n
    approx = [ours[0]]
    for _ in range(T):
        approx.append(n0 / n * ours[0] + (n - 1) / n * (1 - a) ** 2 * approx[-1])
    err = ((_sim_categorical(P, n0, [n] * T, [k] * T, R, seed=12)[:, -1] - P) ** 2).sum(-1)
    _close_mean(err, ours[-1])
    se = err.std(ddof=1) / np.sqrt(R)
    assert abs(err.mean() - approx[-1]) > 8 * se
