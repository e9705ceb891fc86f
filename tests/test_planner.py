"""Tests of synthaudit.planner: chosen schedules meet the target, one step cheaper misses it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from synthaudit.exceptions import ValidationError
from synthaudit.planner import (
    FAMILIES,
    PlanResult,
    Target,
    evaluate_target,
    frontier,
    plan,
    plot_frontier,
)
from synthaudit.schedules import constant, parse

N0, T = 100, 30

TARGETS = [
    Target("improvement", 0.2),
    Target("extra_variance", 3.0),
    Target("collapse", 0.05, eps=0.5),
]


@pytest.fixture(scope="module", params=TARGETS, ids=lambda t: t.kind)
def planned(request):
    return request.param, plan(N0, T, target=request.param, d=2)


def test_chosen_meets_target_and_cheaper_neighbour_misses(planned):
    target, result = planned
    assert isinstance(result, PlanResult)
    assert result.schedules, "some family should reach these targets"
    for family, schedule in result.schedules.items():
        achieved = evaluate_target(target, N0, schedule, T, d=2)
        assert target.met(achieved), (family, schedule, achieved)
        neighbour = result.cheaper_neighbour(family)
        if neighbour is not None:
            assert not target.met(evaluate_target(target, N0, neighbour, T, d=2)), neighbour
            assert neighbour.total_rows(T) <= schedule.total_rows(T)


def test_table_is_tidy_and_sorted(planned):
    target, result = planned
    table = result.table
    assert list(table.columns) == [
        "family",
        "parameters",
        "schedule_spec",
        "total_rows",
        "achieved",
        "target",
        "feasible",
        "note",
    ]
    assert sorted(table["family"]) == sorted(FAMILIES)
    totals = table["total_rows"].dropna().to_numpy(dtype=float)
    assert np.all(np.diff(totals) >= 0)
    assert table["total_rows"].isna().sum() == len(table) - len(totals)
    assert (table["target"] == str(target)).all()
    for row in table.itertuples():
        if row.schedule_spec:
            assert parse(row.schedule_spec) == result.schedules[row.family]  # specs round-trip
            assert row.total_rows == result.schedules[row.family].total_rows(T)
    cheapest = table[table["feasible"]].iloc[0]
    assert result.best == result.schedules[cheapest["family"]]
    assert "best:" in str(result)


def test_constant_member_matches_the_closed_form():
    # n0·T/n ≤ x  ⇔  n ≥ n0·T/x
    result = plan(N0, T, extra_variance=3.0, families=("constant",))
    assert result.best == constant(math.ceil(N0 * T / 3.0))
    assert result.cheaper_neighbour("constant") == constant(math.ceil(N0 * T / 3.0) - 1)


def test_constant_is_cheapest_at_a_fixed_horizon_but_flagged_as_collapsing():
    # Σ n_t ≥ T²/S_T (Cauchy–Schwarz): equal sizes are cheapest for a given S_T
    result = plan(N0, T, d=2, improvement=0.2)
    assert result.table["family"].iloc[0] == "constant"
    note = result.table.set_index("family").loc["constant", "note"]
    assert "collapses in the long run" in note
    poly = result.table.set_index("family").loc["polynomial"]
    if float(poly["achieved"]) > 0 and "power" in poly["parameters"]:
        power = float(poly["parameters"].split("power=")[1])
        assert (power > 1) == ("collapses" not in poly["note"])


def test_improvement_at_or_above_half_is_impossible():
    for p in (0.5, 0.7):
        result = plan(N0, T, d=3, improvement=p)
        assert result.best is None and not result.table["feasible"].any()
        assert result.table["note"].str.contains("always below ½").all()


def test_growth_families_cannot_beat_their_first_generation():
    # n_1 = n0 ⇒ r_T ≥ 1 ⇒ P_T ≤ ½(1 − 1/√5) ≈ 0.276 for d = 2
    result = plan(N0, T, d=2, improvement=0.3)
    table = result.table.set_index("family")
    assert table.loc["constant", "feasible"]
    for family in ("linear", "polynomial", "exponential"):
        assert not table.loc[family, "feasible"]
        assert "generation 1 has 100 rows" in table.loc[family, "note"]
    # a larger first generation lifts that ceiling
    assert plan(N0, T, d=2, improvement=0.3, first_size=400).table["feasible"].all()


def test_collapse_target_below_the_baseline_floor_is_impossible():
    # P(χ²_99/99 ≤ 0.9) ≈ 0.27: no schedule can bring it to 0.01
    result = plan(N0, T, collapse=0.01, eps=0.9)
    assert result.best is None
    assert result.table["note"].str.contains("real rows alone").all()


def test_budget_and_bias():
    result = plan(N0, T, extra_variance=3.0, max_total_rows=40_000, alpha=0.5)
    table = result.table.set_index("family")
    assert table.loc["constant", "total_rows"] == 30_000 and table.loc["constant", "feasible"]
    over = table[(~table["feasible"]) & table["total_rows"].notna()]
    assert len(over) and over["note"].str.contains("over budget").all()
    assert "bias_drift" in result.table.columns
    assert "drifts without bound" in table.loc["constant", "note"]
    assert table.loc["constant", "bias_drift"] == pytest.approx(T / math.sqrt(1000))


def test_single_generation():
    result = plan(N0, 1, extra_variance=2.0)
    assert result.best == constant(50)
    assert result.table.set_index("family").loc["polynomial", "schedule_spec"] == "poly:100:0"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n0": 1, "n_generations": 5, "extra_variance": 1.0}, "`n0`"),
        ({"n0": 100, "n_generations": 0, "extra_variance": 1.0}, "`n_generations`"),
        ({"n0": 100, "n_generations": 5, "improvement": 0.2}, "`d`"),
        ({"n0": 100, "n_generations": 5, "improvement": 1.2, "d": 2}, "`improvement`"),
        ({"n0": 100, "n_generations": 5, "collapse": 0.1}, "`eps`"),
        ({"n0": 100, "n_generations": 5, "extra_variance": 1.0, "eps": 0.5}, "`eps`"),
        ({"n0": 100, "n_generations": 5}, "exactly one target"),
        ({"n0": 100, "n_generations": 5, "extra_variance": 1.0, "improvement": 0.1}, "exactly one"),
        (
            {"n0": 100, "n_generations": 5, "extra_variance": 1.0, "families": ("cubic",)},
            "`families`",
        ),
        ({"n0": 100, "n_generations": 5, "extra_variance": 1.0, "estimator": "x"}, "`estimator`"),
        ({"n0": 100, "n_generations": 5, "extra_variance": 1.0, "alpha": 0}, "`alpha`"),
        (
            {"n0": 100, "n_generations": 5, "extra_variance": 1.0, "max_total_rows": -3},
            "`max_total_rows`",
        ),
        ({"n0": 100, "n_generations": 5, "extra_variance": -1.0}, "`extra_variance`"),
        ({"n0": 100, "n_generations": 5, "target": "improvement"}, "`target`"),
    ],
)
def test_bad_inputs_name_the_parameter(kwargs, name):
    with pytest.raises(ValidationError, match=name):
        n0, n_generations = kwargs.pop("n0"), kwargs.pop("n_generations")
        plan(n0, n_generations, **kwargs)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as info:
        plan(1, 0, improvement=0.2, families=("cubic",))
    assert len(info.value.problems) == 4  # n0, n_generations, d, families


def test_unknown_family_for_neighbour():
    result = plan(N0, 5, extra_variance=1.0, families=("constant",))
    with pytest.raises(ValidationError, match="`family`"):
        result.cheaper_neighbour("polynomial")


def test_frontier_and_plot():
    frame = frontier(N0, 20, d=2, grid=6)
    assert list(frame.columns) == ["family", "parameter", "schedule_spec", "total_rows", "achieved"]
    assert set(frame["family"]) == set(FAMILIES)
    for _, part in frame.groupby("family"):
        part = part.sort_values("total_rows")
        assert np.all(np.diff(part["achieved"]) >= -1e-12)  # more rows, more improvement
    assert (frame["achieved"] < 0.5).all()
    custom = frontier(
        N0, 20, families=("constant",), target_kind="extra_variance", grid={"constant": [100, 200]}
    )
    np.testing.assert_allclose(custom["achieved"], [20.0, 10.0])
    collapse = frontier(N0, 20, families=("polynomial",), target_kind="collapse", eps=0.5, grid=3)
    assert collapse["achieved"].between(0, 1).all()
    fig = plot_frontier(frame, target=0.2)
    assert type(fig).__name__ == "Figure" and len(fig.axes) == 1
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plot_frontier(frame, ax=ax) is ax.figure
    with pytest.raises(ValidationError, match="`frame`"):
        plot_frontier(pd.DataFrame({"x": [1]}))
    with pytest.raises(ValidationError, match="`target_kind`"):
        frontier(N0, 20, d=2, target_kind="utility")


def test_target_dataclass():
    t = Target("collapse", 0.1, eps=0.5)
    assert str(t) == "P(σ²_T/σ² ≤ 0.5) ≤ 0.1" and t.met(0.1) and not t.met(0.11)
    with pytest.raises(ValidationError, match="`target` kind"):
        Target("utility", 0.1)
    with pytest.raises(AttributeError):
        t.value = 0.2  # frozen
