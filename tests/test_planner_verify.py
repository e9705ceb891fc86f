"""planner.verify: the schedules the planner picks do, by simulation, what theory promises.

Every check runs the engine's fast exact path with a known Gaussian truth (fresh n0 real rows per
replication). Agreement is |measured − predicted| ≤ 4 Monte-Carlo standard errors. The chosen
member of a family sits *at* the target, so the simulation can only say it meets it within MC
error; its cheaper neighbour misses by theory always, and by simulation where the gap is larger
than the MC error (constant schedules with few rows per generation, where one row matters).
"""

from __future__ import annotations

import numpy as np
import pytest

from synthaudit.exceptions import ValidationError
from synthaudit.planner import Target, Verification, plan, verify
from synthaudit.schedules import constant, polynomial

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
    assert v.table["mc_se"].between(0.0012, 0.0014).all()


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
    from synthaudit.planner import _gaussian_kl_to_standard

    rng = np.random.default_rng(0)
    names = ["mean[a]", "mean[b]", "var[a]", "cov[a,b]", "var[b]"]
    A = rng.normal(size=(50, 2, 2))
    cov = A @ np.swapaxes(A, 1, 2) + 0.5 * np.eye(2)
    theta = np.c_[rng.normal(size=(50, 2)), cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]]
    ref = [0.0, 0.0, 1.0, 0.0, 1.0]
    np.testing.assert_allclose(_gaussian_kl_to_standard(theta, 2),
                               metrics.kl_divergence(names, ref, theta), rtol=1e-10)
    uni = np.c_[rng.normal(size=20), rng.uniform(0.2, 3, size=20)]
    np.testing.assert_allclose(_gaussian_kl_to_standard(uni, 1),
                               metrics.kl_divergence(["mean[x]", "var[x]"], [0.0, 1.0], uni),
                               rtol=1e-10)


def test_reproducible():
    # 9000 replications: one full chunk of VERIFY_CHUNK and a partial one
    kw = {"n0": 100, "n_generations": 5, "target": Target("extra_variance", 1.0), "seed": 4}
    a = verify("const:400", n_replications=9000, **kw).table
    b = verify("const:400", n_replications=9000, **kw).table
    assert a.equals(b)
    assert a["schedule_spec"].tolist() == ["const:400"]
    assert a["predicted"].iloc[0] == pytest.approx(1.25)


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
