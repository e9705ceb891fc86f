"""planner.verify: the schedules the planner picks do, by simulation, what theory promises.

Every check runs the engine's fast exact path with a known Gaussian truth (fresh n0 real rows per
replication). Agreement is |measured − predicted| ≤ 4 Monte-Carlo standard errors. The chosen
member of a family sits *at* the target, so the simulation can only say it meets it within MC
error; its cheaper neighbour misses by theory always, and by simulation where the gap is larger
than the MC error (constant schedules with few rows per generation, where one row matters).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from synthaudit.exceptions import ValidationError
from synthaudit.planner import Target, Verification, evaluate_target, plan, verify
from synthaudit.schedules import constant, polynomial
from synthaudit.workflows import parse as parse_workflow

R = 100_000  # replications per schedule: s.e. of a proportion near 0.2 ≈ 0.0013


def _check_chosen_and_neighbours(result, v, *, neighbour_gap_visible: set[str]):
    """Shared assertions for plan → verify(include_neighbours=True)."""
    table = v.table
    assert v.all_agree, table[["label", "role", "predicted", "measured", "mc_se", "z"]]
    chosen = table[table["role"] == "chosen"].set_index("label")
    promised = result.table.set_index("family")["achieved"]
    for family, row in chosen.iterrows():
        # the promised value is the planner's own
        assert row["predicted"] == pytest.approx(promised[family], rel=1e-12)
        assert row["predicted_meets"]
        # measured meets the target within MC error (never a clear miss)
        assert row["margin_se"] > -4, (family, row.to_dict())
        assert row["verdict"] != "misses"
    neighbours = table[table["role"] == "cheaper neighbour"].set_index("label")
    assert set(neighbours.index) == {f for f, s in result.neighbours.items() if s is not None}
    for family, row in neighbours.iterrows():
        assert not row["predicted_meets"], (family, row.to_dict())  # misses by theory
        assert row["total_rows"] <= chosen.loc[family, "total_rows"]
        if family in neighbour_gap_visible:
            # the simulation tells the two apart, and puts the neighbour on the missing side
            ours = chosen.loc[family]
            gap = abs(row["measured"] - ours["measured"])
            assert gap > 4 * np.hypot(row["mc_se"], ours["mc_se"]), (row.to_dict(), ours.to_dict())
            assert not row["meets_target"], row.to_dict()
    return chosen, neighbours


def test_collapse_target():
    # n0 = 50, T = 3: P(σ̂²_3/σ² ≤ 0.5) ≤ 0.35 needs constant(10) (0.3416); constant(9) gives
    # 0.3658, 16 s.e. away at R = 10⁵. Exact law: agrees for every n.
    target = Target("collapse", 0.35, eps=0.5)
    result = plan(50, 3, target=target, families=("constant", "polynomial"))
    assert result.schedules["constant"] == constant(10)
    v = verify(result, n_replications=R, seed=11, include_neighbours=True)
    assert isinstance(v, Verification)
    _check_chosen_and_neighbours(result, v, neighbour_gap_visible={"constant"})


def test_extra_variance_target():
    # n0·S_T ≤ 50 at T = 10, n0 = 100: constant(20) (50.0) meets, constant(19) (52.6) misses; the
    # measured n0·(μ̂_T − μ̂_0)² has expectation n0·S_T exactly (unbiased estimator), s.e. ≈ 0.23.
    # (Much smaller n_t make the estimator heavy-tailed: σ̂² is a product of χ² factors.)
    result = plan(100, 10, extra_variance=50.0)
    assert result.schedules["constant"] == constant(20)
    v = verify(result, n_replications=R, seed=12, include_neighbours=True)
    _check_chosen_and_neighbours(result, v, neighbour_gap_visible={"constant"})


@pytest.mark.parametrize("d", [2, 1])
def test_improvement_target(d):
    # asymptotic formula: n0 = 200 and every n_t ≥ 200. One step cheaper changes P_T by < 1e-3,
    # far below the MC error: the neighbours miss by theory only.
    result = plan(200, 20, d=d, improvement=0.2)
    assert len(result.schedules) == 4
    v = verify(result, n_replications=R, seed=13 + d, include_neighbours=True)
    _, neighbours = _check_chosen_and_neighbours(result, v, neighbour_gap_visible=set())
    assert ((0.2 - neighbours["predicted"]) < neighbours["mc_se"]).all()
    at_target = v.table[v.table["role"] != "never collapses"]
    assert at_target["mc_se"].between(0.0012, 0.0014).all()
    # the never-collapsing answers (dearer members keeping P_T ≥ 0.2 at every T) agree too
    lasting = v.table[v.table["role"] == "never collapses"]
    assert len(lasting) and lasting["agrees"].all() and (lasting["predicted"] >= 0.2).all()


def test_improvement_multivariate_and_far_from_the_target():
    # d = 5: a bivariate Gaussian (2 means, 3 covariance entries). constant(200) at T = 20 is far
    # below P_T ≥ 0.2 (r_T = √20): the simulation sees the miss clearly.
    v = verify({"small": constant(200), "poly": polynomial(1000, 1.5)}, n0=200, n_generations=20,
               target=Target("improvement", 0.2), d=5, n_replications=20_000, seed=3)
    t = v.table.set_index("label")
    assert v.all_agree, v.table
    assert t.loc["small", "verdict"] == "misses" and t.loc["small", "measured"] < 0.05
    assert t.loc["poly", "predicted"] > t.loc["small", "predicted"]
    assert (t["role"] == "given").all()


def test_kl_matches_the_metrics_module():
    metrics = pytest.importorskip("synthaudit.metrics")
    from synthaudit.planner.verify import _gaussian_kl_to_standard

    rng = np.random.default_rng(0)
    names = ["mean[a]", "mean[b]", "var[a]", "cov[a,b]", "var[b]"]
    A = rng.normal(size=(50, 2, 2))
    cov = A @ np.swapaxes(A, 1, 2) + 0.5 * np.eye(2)
    mu = rng.normal(size=(50, 2))
    theta = np.c_[mu, cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]]
    ref = [0.0, 0.0, 1.0, 0.0, 1.0]
    np.testing.assert_allclose(_gaussian_kl_to_standard(mu, cov),
                               metrics.kl_divergence(names, ref, theta), rtol=1e-10)
    uni = np.c_[rng.normal(size=20), rng.uniform(0.2, 3, size=20)]
    np.testing.assert_allclose(_gaussian_kl_to_standard(uni[:, :1], uni[:, 1, None, None]),
                               metrics.kl_divergence(["mean[x]", "var[x]"], [0.0, 1.0], uni),
                               rtol=1e-10)


# --------------------------------------------------------------------------------------------
# seeding
# --------------------------------------------------------------------------------------------

KW = {"n0": 100, "n_generations": 5, "target": Target("extra_variance", 1.0)}


def test_same_seed_same_numbers_different_seeds_differ():
    # 9000 replications: one full chunk of VERIFY_CHUNK and a partial one
    a = verify("const:400", n_replications=9000, seed=4, **KW)
    b = verify("const:400", n_replications=9000, seed=4, **KW)
    c = verify("const:400", n_replications=9000, seed=5, **KW)
    assert a.table.equals(b.table)
    assert a.table["schedule_spec"].tolist() == ["const:400"]
    assert a.table["predicted"].iloc[0] == pytest.approx(1.25)
    assert a.table["measured"].iloc[0] != c.table["measured"].iloc[0]
    assert a.provenance["seed"] == 4 and a.provenance["seed_entropy"] == 4
    # the first 8192 replications do not depend on how many were asked for
    from synthaudit.planner.verify import _measure

    x = _measure(KW["target"], 100, constant(400), 5, None, "unbiased", 9000,
                 np.random.SeedSequence(4), parse_workflow("replace"))
    y = _measure(KW["target"], 100, constant(400), 5, None, "unbiased", 8192,
                 np.random.SeedSequence(4), parse_workflow("replace"))
    np.testing.assert_array_equal(x[:8192], y)


def test_default_seed_is_zero_and_fresh_entropy_is_recorded():
    default = verify("const:400", n_replications=500, **KW)
    assert default.provenance["seed"] == 0 and default.provenance["seed_entropy"] == 0
    assert default.table.equals(verify("const:400", n_replications=500, seed=0, **KW).table)
    fresh = verify("const:400", n_replications=500, seed=None, **KW)
    entropy = fresh.provenance["seed_entropy"]
    assert fresh.provenance["seed"] is None and isinstance(entropy, int) and entropy > 2**64
    again = verify("const:400", n_replications=500, seed=entropy, **KW)
    assert again.table.equals(fresh.table)  # the recorded entropy repeats the run
    other = verify("const:400", n_replications=500, seed=None, **KW)
    assert other.provenance["seed_entropy"] != entropy
    seq = verify("const:400", n_replications=500, seed=np.random.SeedSequence(7), **KW)
    assert seq.table.equals(verify("const:400", n_replications=500, seed=7, **KW).table)


# --------------------------------------------------------------------------------------------
# parameters read through the layout
# --------------------------------------------------------------------------------------------


def test_layout_reading_does_not_depend_on_order_or_names():
    from synthaudit.params import Param, ParamLayout
    from synthaudit.planner.verify import _gaussian_blocks

    # θ in an order no adapter uses, columns whose names hold the grammar's separators
    theta = {Param("var", ("c",)): 3.0, Param("mean", ("a,b",)): 1.0,
             Param("cov", ("a,b", "c")): 0.5, Param("mean", ("c",)): 2.0,
             Param("var", ("a,b",)): 4.0}
    layout = ParamLayout.from_params(theta)
    assert layout.gaussian_columns == ("a,b", "c")
    order = list(reversed(layout.params))  # the result's quantities: a metric, then θ reversed
    quantities = ("kl", *(p.name for p in order))
    values = np.array([[[7.0, *(theta[p] for p in order)]]])
    fake = SimpleNamespace(layout=layout, quantities=quantities, values=values)
    mu, cov = _gaussian_blocks(fake, ("a,b", "c"))
    np.testing.assert_array_equal(mu[0, 0], [1.0, 2.0])
    np.testing.assert_array_equal(cov[0, 0], [[4.0, 0.5], [0.5, 3.0]])


def test_a_bivariate_gaussian_with_columns_a_comma_b_and_c_verifies():
    # d = 5: two means, three covariance entries; columns "a,b" and "c" would have collided
    # under the old name grammar (cov[a,b,c]). Same seed → the same numbers as x0, x1, and the
    # measurement agrees with the law (R = 20 000: s.e. ≈ 0.003 around P ≈ 0.25).
    from synthaudit.planner.verify import _measure

    target, sched = Target("improvement", 0.2), polynomial(1000, 1.5)
    args = (target, 200, sched, 20, 5, "unbiased", 20_000, np.random.SeedSequence(3),
            parse_workflow("replace"))
    odd = _measure(*args, columns=("a,b", "c"))
    plain = _measure(*args)
    np.testing.assert_array_equal(odd, plain)
    predicted = evaluate_target(target, 200, sched, 20, d=5)
    se = np.sqrt(predicted * (1 - predicted) / odd.size)
    assert abs(odd.mean() - predicted) <= 4 * se, (odd.mean(), predicted, se)


# --------------------------------------------------------------------------------------------
# workflows
# --------------------------------------------------------------------------------------------


def _accumulate_collapse_share(n0, n, T, eps, R, seed):
    """Independent Monte Carlo of P(σ̂²_T ≤ eps) under accumulate (unbiased divisor), from
    sufficient statistics: generation t draws n rows from N(μ̂_{t−1}, σ̂²_{t−1}) and pools them
    with every row so far (count, mean, sum of squared deviations combine exactly)."""
    rng = np.random.default_rng(seed)
    m2 = rng.chisquare(n0 - 1, R)  # truth N(0, 1)
    mean = rng.normal(0.0, 1.0 / np.sqrt(n0), R)
    count = n0
    for _ in range(T):
        var = m2 / (count - 1)
        new_mean = rng.normal(mean, np.sqrt(var / n))
        new_m2 = var * rng.chisquare(n - 1, R)
        total = count + n
        m2 = m2 + new_m2 + count * n / total * (mean - new_mean) ** 2
        mean = (count * mean + n * new_mean) / total
        count = total
    return float(np.mean(m2 / (count - 1) <= eps))


def test_accumulate_is_measured_without_a_prediction():
    # no accumulate law in theory yet: predicted NaN, agreement NA; the measurement matches an
    # independent simulation written here within 4 s.e. of the difference of two shares
    target = Target("collapse", 0.3, eps=0.8)
    R = 40_000
    v = verify("const:20", n0=20, n_generations=5, target=target, workflow="accumulate",
               n_replications=R, seed=8)
    row = v.table.iloc[0]
    assert np.isnan(row["predicted"]) and pd.isna(row["agrees"]) and np.isnan(row["z"])
    assert not v.all_agree  # nothing was predicted
    assert v.provenance["workflow"] == "accumulate"
    assert "measured only" in v.provenance["predicted_by"]
    ref = _accumulate_collapse_share(20, 20, 5, 0.8, R, seed=123)
    se = np.sqrt(2 * ref * (1 - ref) / R)
    assert abs(row["measured"] - ref) <= 4 * se, (row["measured"], ref, se)
    # replace collapses faster than accumulate with the same rows
    r = verify("const:20", n0=20, n_generations=5, target=target, n_replications=R, seed=8)
    assert r.table["measured"].iloc[0] > row["measured"] + 4 * se


def test_mix_is_refused_and_the_plan_workflow_is_used():
    with pytest.raises(ValidationError, match="cannot be verified yet"):
        verify("const:100", n0=100, n_generations=5, target=Target("extra_variance", 1.0),
               workflow="mix:50")
    result = plan(100, 5, extra_variance=2.0, families=("constant",))
    assert verify(result, n_replications=200).provenance["workflow"] == "replace"
    with pytest.raises(ValidationError, match="differs from the plan's"):
        verify(result, workflow="accumulate")
    assert len(verify(result, n_replications=200, workflow="replace").table) == 1


def test_plan_result_verifies_its_never_collapsing_answers_too():
    result = plan(200, 20, d=1, improvement=0.2, families=("constant", "exponential"))
    v = verify(result, n_replications=20_000, seed=2)
    roles = v.table.set_index("schedule_spec")["role"]
    assert roles[result.best.spec] == "chosen"
    assert roles[result.best_never_collapses.spec] == "never collapses"
    assert v.all_agree, v.table


def test_bad_inputs():
    t = Target("improvement", 0.2)
    with pytest.raises(ValidationError, match="d` = 3 cannot be simulated"):
        verify(constant(100), n0=100, n_generations=5, target=t, d=3)
    with pytest.raises(ValidationError) as err:
        verify(constant(100), n_generations=0, target=None)
    text = str(err.value)
    assert "`n0`" in text and "`n_generations`" in text and "`target`" in text
    result = plan(100, 5, extra_variance=2.0, families=("constant",))
    with pytest.raises(ValidationError, match="differs from the plan's"):
        verify(result, n0=50)
    with pytest.raises(ValidationError, match="PlanResult"):
        verify(3.5, n0=100, n_generations=5, target=t, d=2)
    with pytest.raises(ValidationError) as err:
        verify(constant(100), n0=100, n_generations=5, target=t, d=2, seed=-1,
               workflow="blend")
    assert "`seed`" in str(err.value) and "`workflow`" in str(err.value)
