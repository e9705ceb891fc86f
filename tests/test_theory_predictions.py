"""Predictions carry a kind and a regime; the asymptotic improvement probability is shown only
inside the regime decided by simulation (theory.predictions, DESIGN §5).

Statistical checks use an independent numpy simulation of the model (sufficient statistics drawn
directly) with R replications: a proportion has standard error sqrt(p(1−p)/R), and the checks
allow 4 of them on top of the rule's stated error 0.25·max(P, 0.02).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthaudit.exceptions import ValidationError
from synthaudit.theory import (
    Prediction,
    expected_variance_prediction,
    extinction_prediction,
    generalized_variance_prediction,
    improvement_prediction,
    improvement_probability,
    improvement_validity,
    level_loss_prediction,
    level_loss_probability,
    mean_improvement_prediction,
    noise_variance_prediction,
    variance_collapse_prediction,
)

R = 20_000


def _gauss_improvement(rng, n, T):
    """Measured P(KL_T < KL_0) for N(0, 1) refitted on n rows per generation (replace)."""
    mu = rng.normal(0, 1 / math.sqrt(n), R)
    v = rng.chisquare(n - 1, R) / (n - 1)

    def kl(mu, v):
        return 0.5 * (1 / v + mu**2 / v - 1 + np.log(v))

    r0 = kl(mu, v)
    for _ in range(T):
        mu = mu + rng.normal(0, 1, R) * np.sqrt(v / n)
        v = v * rng.chisquare(n - 1, R) / (n - 1)
    return float(np.mean(kl(mu, v) < r0))


def _categorical_improvement(rng, p, n, T):
    p = np.asarray(p)

    def kl(q):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = p * np.log(p / q)
        return np.where((q <= 0).any(axis=1), np.inf, t.sum(axis=1))

    q0 = rng.multinomial(n, p, R) / n
    q = q0
    for _ in range(T):
        q = rng.multinomial(n, q) / n
    return float(np.mean(kl(q) < kl(q0)))


def _within_stated_error(pred: Prediction, measured: float) -> bool:
    se = math.sqrt(max(measured * (1 - measured), 1e-4) / R)
    return abs(pred.value - measured) <= pred.error + 4 * se


# ---------------------------------------------------------------------------- the dataclass


def test_prediction_kinds():
    with pytest.raises(ValidationError, match="`kind`"):
        Prediction(0.1, "approximate", "", "", 0.0)
    none = improvement_prediction(100, "const:100", 5, family="sdv")
    assert not none.shown and math.isnan(none.value) and "no prediction" in str(none)
    for fam in ("external", "regression", "other"):
        assert improvement_prediction(100, "const:100", 5, family=fam).kind == "none"
    with pytest.raises(ValidationError, match="`family`"):
        improvement_prediction(100, "const:100", 5, family="ctgan")


# ------------------------------------------------------------------ the rule, at its boundaries


def test_gaussian_boundary_rows_per_parameter():
    assert improvement_validity(4, "const:4", 1, gaussian_dim=1).reasons == ()   # 4 = 2d, d·S = 0.5
    assert improvement_validity(40, [4], gaussian_dim=1).ok                       # n_min = 4 = 2d
    bad = improvement_validity(40, [3], gaussian_dim=1)
    assert not bad.ok and "n_min = 3 < 2·d = 4" in bad.reasons[0]


def test_gaussian_boundary_drift():
    assert improvement_validity(100, "const:100", 50, gaussian_dim=1).ok          # d·S_T = 1
    bad = improvement_validity(100, "const:100", 51, gaussian_dim=1)
    assert not bad.ok and "d·e_T = 1.02" in bad.reasons[0]
    # accumulate and mix keep the drift bounded: the same loop stays inside
    assert improvement_validity(100, "const:100", 500, gaussian_dim=1, workflow="accumulate").ok
    assert improvement_validity(100, "const:100", 500, gaussian_dim=1, workflow="mix:50").ok
    # multivariate: d = p + p(p+1)/2
    assert improvement_validity(100, "const:100", 11, gaussian_dim=2).ok        # 5 · 0.12 ≤ 1
    assert not improvement_validity(100, "const:100", 21, gaussian_dim=2).ok   # 5 · 0.22 > 1


def test_discrete_boundary_counts():
    assert improvement_validity(80, "const:80", 1, probabilities=[[0.5, 0.5]]).ok   # 80·¼ = 20
    bad = improvement_validity(79, "const:79", 1, probabilities=[[0.5, 0.5]])
    assert not bad.ok and "(ties)" in bad.reasons[0]
    three = [[0.1, 0.3, 0.6]]
    assert improvement_validity(50, "const:50", 1, probabilities=three).ok          # 50·0.1 = 5
    bad = improvement_validity(49, "const:49", 1, probabilities=three)
    assert not bad.ok and "smallest expected count" in bad.reasons[0]
    assert improvement_validity(20, "const:20", 1, rates=[1.0]).ok                   # 20·1 = 20
    assert not improvement_validity(19, "const:19", 1, rates=[1.0]).ok
    assert improvement_validity(20, "const:20", 1, rates=[0.25, 3.0]).ok             # 20·0.25 = 5
    assert not improvement_validity(20, "const:20", 1, rates=[0.24, 3.0]).ok


def test_discrete_boundary_level_loss():
    p = [0.08, 0.42, 0.5]
    T = np.arange(1, 400)
    loss = level_loss_probability(p[0], 100, "const:100", T.tolist())
    loss = loss + level_loss_probability(p[1], 100, "const:100", T.tolist())
    loss = loss + level_loss_probability(p[2], 100, "const:100", T.tolist())
    t_star = int(T[np.argmax(loss > 0.05)])  # first horizon past the 5 % bound
    assert improvement_validity(100, "const:100", t_star - 1, probabilities=[p]).ok
    bad = improvement_validity(100, "const:100", t_star, probabilities=[p])
    assert not bad.ok and "lost by T" in bad.reasons[0]


def test_every_block_must_meet_its_condition():
    ok = improvement_validity(200, "const:200", 5, gaussian_dim=1, probabilities=[[0.3, 0.7]])
    assert ok.ok and ok.d == 3
    bad = improvement_validity(200, "const:200", 5, gaussian_dim=1, probabilities=[[0.01, 0.99]])
    assert not bad.ok
    with pytest.raises(ValidationError, match="`probabilities`"):
        improvement_validity(200, "const:200", 5, probabilities=[[0.3, 0.6]])
    with pytest.raises(ValidationError, match="no parameter"):
        improvement_validity(200, "const:200", 5)


# ------------------------------------------------- the rule against simulation, both sides


@pytest.mark.parametrize(("n", "T"), [(10, 5), (20, 10), (200, 100)])
def test_inside_the_regime_the_asymptotic_law_is_within_its_error(n, T):
    pred = improvement_prediction(n, f"const:{n}", T, family="gaussian", gaussian_dim=1)
    assert pred.kind == "asymptotic"
    assert _within_stated_error(pred, _gauss_improvement(np.random.default_rng(n + T), n, T))


@pytest.mark.parametrize(("n", "T"), [(10, 50), (5, 20)])
def test_outside_the_regime_the_asymptotic_law_misses(n, T):
    # the rule is not vacuous: here the large-sample value is several stated errors off
    assert improvement_prediction(n, f"const:{n}", T, family="gaussian", gaussian_dim=1).kind == "none"
    asym = improvement_probability(n, f"const:{n}", T, d=2)
    measured = _gauss_improvement(np.random.default_rng(n * T), n, T)
    assert abs(asym - measured) > 0.25 * max(measured, 0.02) + 4 * math.sqrt(measured / R)


def test_categorical_inside_and_outside():
    p = [0.2, 0.3, 0.5]
    inside = improvement_prediction(200, "const:200", 5, family="categorical", probabilities=[p])
    assert inside.kind == "asymptotic"
    assert _within_stated_error(inside, _categorical_improvement(np.random.default_rng(1), p, 200, 5))
    # the rare level: p = 0.02, n = 50 — the exact binary law, not 0.276
    rare = improvement_prediction(50, "const:50", 1, family="categorical", probabilities=[[0.02, 0.98]])
    assert rare.kind == "exact"
    measured = _categorical_improvement(np.random.default_rng(2), [0.02, 0.98], 50, 1)
    assert abs(rare.value - measured) <= 4 * math.sqrt(rare.value * (1 - rare.value) / R)
    # with more levels and a rare one: no prediction
    many = improvement_prediction(50, "const:50", 20, family="categorical", probabilities=[[0.02, 0.48, 0.5]])
    assert many.kind == "none" and "outside" in many.note


def test_exact_laws_are_used_where_they_exist():
    p = improvement_prediction(30, "const:30", 4, family="poisson", rates=[0.5])
    assert p.kind == "exact" and "ties" in p.note
    big = improvement_prediction(5000, "const:5000", 100, family="categorical", probabilities=[[0.5, 0.5]])
    assert big.kind == "asymptotic"  # the exact programme is too large; inside the regime
    assert improvement_prediction(100, "const:100", 5, family="gaussian", gaussian_dim=1,
                                  risk="sq_error").kind == "none"


# ------------------------------------------------------------------- the other entry points


def test_mean_improvement_prediction_kinds():
    rep = mean_improvement_prediction(10, "const:10", 100)
    assert rep.kind == "exact" and rep.value == pytest.approx(0.1658, abs=5e-4) and rep.error < 1e-6
    assert mean_improvement_prediction(10, "const:10", 100, workflow="accumulate").kind == "asymptotic"
    assert mean_improvement_prediction(4, "const:4", 10, workflow="mix:2").kind == "none"
    known = mean_improvement_prediction(10, "const:10", 100, variance="known")
    assert known.kind == "exact" and known.value == pytest.approx(0.0628, abs=5e-4)
    with pytest.raises(ValidationError, match="`variance`"):
        mean_improvement_prediction(10, "const:10", 1, variance="fixed")


def test_variance_predictions_per_workflow():
    assert variance_collapse_prediction(0.5, 50, "const:50", 100).kind == "exact"
    acc = variance_collapse_prediction(0.5, 50, "const:50", 100, workflow="accumulate")
    assert acc.kind == "exact" and acc.value < 0.01 and acc.error < 1e-5
    assert variance_collapse_prediction(0.5, 50, "const:50", 100, workflow="mix:5").kind == "none"
    for wf in ("replace", "accumulate", "mix:5"):
        assert expected_variance_prediction(50, "const:50", 100, workflow=wf).kind == "exact"


def test_count_and_matrix_predictions():
    assert level_loss_prediction(0.02, 50, "const:50", 1).kind == "exact"
    assert extinction_prediction(0.1, 20, "const:20", 10, workflow="mix:5").kind == "exact"
    assert generalized_variance_prediction(10, "const:10", 5, dim=2).kind == "exact"
    assert generalized_variance_prediction(10, "const:10", 5, dim=2, eps=0.5).kind == "exact"
    assert generalized_variance_prediction(10, [2, 10], dim=3, eps=0.5).value == 1.0
    assert generalized_variance_prediction(10, "const:10", 5, dim=2, workflow="accumulate").kind == "none"
    assert noise_variance_prediction(30, "const:30", 5, n_coef=3).value == 1.0
    assert noise_variance_prediction(30, "const:30", 5, n_coef=3, workflow="mix:3").kind == "none"
