"""Weighted accumulation (Amin et al., "Learning from Synthetic Data: Limitations of ERM"):
closed forms of synthaudit.mitigations.theory against plain-numpy simulations written here.

The simulated model, at the level of rows: generation 0 is n real rows N(μ, 1); generation s
is n rows, k real from N(μ, 1) and m = n − k synthetic from N(Y_{s−1}, 1) (known variance);
Y_t pools the generations' rows with the scheme's weights. Then the batch mean is
X_s = αY_{s−1} + (1 − α)μ + U_s with α = m/n and Var U_s = 1/n: Amin et al.'s model.

Tolerance: the estimate Y_t − μ is Gaussian, so its sample variance over R lanes has standard
error Var·√(2/(R − 1)); we allow 4 of those.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthaudit.mitigations import theory as th


def _close_var(samples, expected, k=4.0):
    samples = np.asarray(samples, dtype=float)
    R = samples.shape[0]
    v = np.mean(samples**2)  # μ = 0 is known: the variance about it
    se = expected * math.sqrt(2.0 / R)
    assert abs(v - expected) <= k * se, (v, expected, se)


def _simulate(n, k, T, R, scheme, seed, value=None):
    """Y_0..Y_T − μ per lane for the weighting ``scheme`` (μ = 0, σ² = 1)."""
    rng = np.random.default_rng(seed)
    m = n - k
    alpha = m / n
    xbar0 = rng.standard_normal((R, n)).mean(1)
    Y = xbar0.copy()
    out = [Y.copy()]
    # running weighted sums of batch means (uniform / decay / power) or of Z (decontaminated)
    num, den = n * xbar0, float(n)
    for s in range(1, T + 1):
        rows = np.concatenate([rng.standard_normal((R, k)),
                               Y[:, None] + rng.standard_normal((R, m))], axis=1)
        xbar = rows.mean(1)
        if scheme == "uniform":
            num, den = num + n * xbar, den + n
        elif scheme == "decay":
            num, den = value * num + n * xbar, value * den + n
        elif scheme == "power":
            g = (s + 1) ** value
            num, den = num + g * n * xbar, den + g * n
        else:  # decontaminated: Z_s = (X_s − αY_{s−1})/(1 − α), weight n(1 − α)²
            z = (xbar - alpha * Y) / (1 - alpha)
            w = n * (1 - alpha) ** 2
            num, den = num + w * z, den + w
        Y = num / den
        out.append(Y.copy())
    return np.array(out).T


@pytest.mark.parametrize("alpha_rows", [(10, 7), (10, 5), (10, 3)])  # α = 0.3, 0.5, 0.7
def test_erm_variance_gamma_closed_form(alpha_rows):
    n, k = alpha_rows
    alpha = (n - k) / n
    T, R = 60, 20_000
    Y = _simulate(n, k, T, R, "uniform", seed=1)
    closed = th.erm_contaminated_variance(alpha, T + 1, noise_var=1 / n)
    general = th.weighted_mean_variance([n] * (T + 1), [n] + [k] * T, "uniform")
    assert np.allclose(closed, general, rtol=1e-10)          # two exact routes agree
    for t in (0, 1, 5, 20, 60):
        _close_var(Y[:, t], closed[t])


def test_phase_change_at_one_half():
    t = 10**5
    v = {a: th.erm_contaminated_variance(a, t)[-1] for a in (0.3, 0.5, 0.7)}
    # below ½: 1/((1 − 2α)t); at ½: log t / t; above ½: C·t^(2α−2) — slower than 1/t
    assert abs(v[0.3] / th.erm_variance_asymptotic(0.3, t) - 1) < 0.01
    assert abs(v[0.5] / th.erm_variance_asymptotic(0.5, t) - 1) < 0.1
    assert abs(v[0.7] / th.erm_variance_asymptotic(0.7, t) - 1) < 0.01
    # t·Var: converges below ½, grows (like log t) at ½ and (like t^(2α−1)) above
    tv = {a: [s * th.erm_contaminated_variance(a, s)[-1] for s in (10**3, 10**4, 10**5)]
          for a in (0.3, 0.5, 0.7)}
    assert abs(tv[0.3][2] - tv[0.3][1]) < 0.02 * tv[0.3][2]
    assert tv[0.5][2] > tv[0.5][1] + 1.5 and tv[0.7][2] / tv[0.7][1] > 10**0.4 * 0.95


@pytest.mark.parametrize("scheme,value", [("power", 2.0), ("decay", 0.8)])
def test_weighted_schemes_exact(scheme, value):
    n, k, T, R = 10, 3, 40, 20_000
    Y = _simulate(n, k, T, R, scheme, seed=2, value=value)
    theory = th.weighted_mean_variance([n] * (T + 1), [n] + [k] * T, f"{scheme}={value}")
    for t in (1, 5, 20, 40):
        _close_var(Y[:, t], theory[t])


def test_decontaminated_variance_exact_and_the_ranking():
    n, k, T, R = 10, 3, 60, 20_000
    alpha = (n - k) / n
    Y = _simulate(n, k, T, R, "decontaminated", seed=3)
    theory = th.decontaminated_variance(alpha, T + 1, noise_var=1 / n)
    for t in (0, 1, 10, 60):
        _close_var(Y[:, t], theory[t])
    # claim (α = 0.7 > ½): down-weighting older generations beats uniform ERM, and the
    # de-contaminated estimator beats both; it keeps the 1/t rate of real data
    uni = th.erm_contaminated_variance(alpha, T + 1, noise_var=1 / n)[-1]
    pw = th.weighted_mean_variance([n] * (T + 1), [n] + [k] * T, "power=2")[-1]
    assert theory[-1] < pw < uni
    big = th.decontaminated_variance(alpha, 10**4, noise_var=1 / n)[-1]
    assert abs(big * 10**4 * (1 - alpha) ** 2 * n - 1) < 0.01       # the 1/t rate
    # …and the simulation shows the same order with room to spare (4 s.e. each)
    Yu = _simulate(n, k, T, R, "uniform", seed=4)
    se = math.sqrt(2.0 / R)
    assert np.mean(Y[:, -1] ** 2) * (1 + 4 * se) < np.mean(Yu[:, -1] ** 2) * (1 - 4 * se)


def test_decay_weights_never_converge():
    # geometric down-weighting keeps a bounded effective sample: the variance stalls
    v = th.weighted_mean_variance([10] * 2001, [10] + [7] * 2000, "decay=0.9")
    uniform = th.weighted_mean_variance([10] * 2001, [10] + [7] * 2000, "uniform")
    assert abs(v[-1] - v[-500]) < 1e-9 and v[-1] > 10 * uniform[-1]


@pytest.mark.parametrize("weights,real", [("uniform", 0), ("uniform", 5), ("decay=0.7", 5),
                                          ("power=1", 5)])
def test_categorical_weighted_risk_is_exact(weights, real):
    # plain multinomial loop pooling every generation's counts with the scheme's weights
    p = np.array([0.55, 0.30, 0.10, 0.05])
    n0, n, T, R = 20, 20, 20, 20_000
    rng = np.random.default_rng(6)
    counts0 = rng.multinomial(n0, p, size=R).astype(float)
    A, W = counts0.copy(), float(n0)
    ph = A / W
    errs = [((ph - p) ** 2).sum(1)]
    for t in range(1, T + 1):
        c = rng.multinomial(real, p, size=R) + rng.multinomial(n - real, ph)
        if weights == "uniform":
            rho, g = 1.0, 1.0
        elif weights.startswith("decay"):
            rho, g = 0.7, 1.0
        else:
            rho, g = 1.0, t + 1.0
        A, W = rho * A + g * c, rho * W + g * n
        ph = A / W
        errs.append(((ph - p) ** 2).sum(1))
    risk = th.categorical_fresh_risk(p, n0, [n] * T, [real] * T, weights=weights)
    for t in (1, 5, 20):
        e = errs[t]
        assert abs(e.mean() - risk[t]) <= 4 * e.std(ddof=1) / np.sqrt(R), (t, e.mean(), risk[t])
