"""Tests of synthaudit.planner: chosen schedules meet the target, one step cheaper misses it."""

from __future__ import annotations

import math
import re

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
    laws,
    plan,
    plot_frontier,
)
from synthaudit.schedules import MAX_ROWS, constant, exponential, parse, polynomial
from synthaudit.theory import (
    collapse_criterion,
    collapse_probability,
    improvement_probability,
    improvement_probability_r,
)

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
        "never_collapses",
        "achieved_limit",
        "note",
    ]
    assert list(result.long_run.columns) == [c for c in table.columns if c != "never_collapses"]
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
    assert result.best_at_horizon == result.best
    text = str(result)
    assert f"cheapest at T = {T}:" in text and "cheapest that never collapses" in text


def test_constant_member_matches_the_closed_form():
    # n0·T/n ≤ x  ⇔  n ≥ n0·T/x
    result = plan(N0, T, extra_variance=3.0, families=("constant",))
    assert result.best == constant(math.ceil(N0 * T / 3.0))
    assert result.cheaper_neighbour("constant") == constant(math.ceil(N0 * T / 3.0) - 1)


def test_constant_is_cheapest_at_a_fixed_horizon_but_flagged_as_collapsing():
    # Σ n_t ≥ T²/S_T (Cauchy–Schwarz): equal sizes are cheapest for a given S_T
    result = plan(N0, T, d=2, improvement=0.2)
    table = result.table.set_index("family")
    assert result.table["family"].iloc[0] == "constant"
    assert "collapses as T grows" in table.loc["constant", "note"]
    assert not table.loc["constant", "never_collapses"]
    assert table.loc["constant", "achieved_limit"] == 0.0  # P_T → 0
    for family in ("polynomial", "exponential"):
        schedule = result.schedules[family]
        growth = schedule.power if family == "polynomial" else schedule.growth
        assert bool(table.loc[family, "never_collapses"]) == (growth > 1)
        assert bool(table.loc[family, "never_collapses"]) == (
            not collapse_criterion(schedule, T).collapses
        )


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
    needed = set()
    for family in ("linear", "polynomial", "exponential"):
        assert not table.loc[family, "feasible"]
        note = table.loc[family, "note"]
        assert "generation 1 has only 100 rows" in note
        needed.add(int(re.search(r"first_size=(\d+)", note).group(1)))
    # the note says how large generation 1 must be: that size reaches the target, one row less not
    (n1,) = needed
    assert improvement_probability(N0, [n1] + [MAX_ROWS] * (T - 1), d=2) >= 0.3
    assert improvement_probability(N0, [n1 - 1] + [MAX_ROWS] * (T - 1), d=2) < 0.3
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
        ({"n0": 100, "n_generations": 5, "extra_variance": 1.0, "workflow": "blend"}, "`workflow`"),
        (
            {"n0": 100, "n_generations": 5, "extra_variance": 1.0, "max_rows_per_generation": 1},
            "`max_rows_per_generation`",
        ),
        (
            {"n0": 100, "n_generations": 5, "extra_variance": 1.0, "first_size": 500,
             "max_rows_per_generation": 400},
            "`first_size`",
        ),
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


# --------------------------------------------------------------------------------------------
# why a family is unreachable
# --------------------------------------------------------------------------------------------


def test_exponential_unreachable_names_the_per_generation_cap_and_the_generation():
    # P_50 ≥ 0.2 with d = 2 needs S_50 ≤ 0.0225; exponential(100, g) has S ≈ 1/(100(1 − 1/g)),
    # so g ≳ 1.8, and 100·1.8^(k−1) passes 1e12 at k = 41. The fastest growth the cap allows
    # (generation 50 at 1e12 rows) is ≈ 1.59986.
    result = plan(100, 50, d=2, improvement=0.2)
    note = result.table.set_index("family").loc["exponential", "note"]
    assert "per-generation cap (max_rows_per_generation = 1e+12)" in note
    top = float(re.search(r"exponential\(100, ([\d.]+)\)", note).group(1))
    assert exponential(100, top).sizes(50)[-1] <= MAX_ROWS < 100 * (top * 1.0001) ** 49
    growth = float(re.search(r"growth ≈ ([\d.]+)", note).group(1))
    k = int(re.search(r"passes the cap at generation (\d+)", note).group(1))
    assert growth == pytest.approx(1.8, abs=2e-3)
    raw = 100 * growth ** np.arange(50)
    assert k == int(np.argmax(raw > MAX_ROWS)) + 1 == 41
    # and the growth it names does reach the target (sizes past the cap counted at the cap)
    sizes = np.minimum(raw, MAX_ROWS).round().astype(np.int64)
    assert improvement_probability(100, sizes, d=2) >= 0.2


def test_a_lower_cap_names_what_each_family_needs():
    cap = 10**5
    result = plan(100, 30, d=2, improvement=0.3, max_rows_per_generation=cap)
    assert result.provenance["max_rows_per_generation"] == cap
    for family, schedule in result.schedules.items():
        assert schedule.sizes(30).max() <= cap, family
    # constant: P_30 ≥ 0.47 needs about 2·10⁵ rows per generation, over the cap
    strict = plan(100, 30, d=2, improvement=0.47, max_rows_per_generation=cap,
                  families=("constant",))
    note = strict.table["note"].iloc[0]
    assert "even 100000 rows at every generation" in note
    n = int(re.search(r"needs (\d+) rows per generation", note).group(1))
    assert improvement_probability(100, constant(n), 30, d=2) >= 0.47
    assert improvement_probability(100, constant(n - 1), 30, d=2) < 0.47
    assert plan(100, 30, d=2, improvement=0.47, max_rows_per_generation=n,
                families=("constant",)).best == constant(n)
    # P_30 ≥ 0.35 with first = 400 needs Σ_{t=2..30} 1/(400·t^p) ≲ 0.00146, a power ≈ 2.05
    # whose generation 16 has 400·16^2.05 > 1e5 rows; generation 1 alone would allow it
    poly = plan(100, 30, d=2, improvement=0.35, first_size=400, max_rows_per_generation=cap,
                families=("polynomial",))
    note = poly.table["note"].iloc[0]
    assert "per-generation cap (max_rows_per_generation = 100000)" in note, note
    power = float(re.search(r"power ≈ ([\d.]+)", note).group(1))
    k = int(re.search(r"passes the cap at generation (\d+)", note).group(1))
    sizes = polynomial(400, power).sizes(30)
    assert k == int(np.argmax(sizes > cap)) + 1 == 16
    assert improvement_probability(100, sizes, d=2) >= 0.35


def test_impossible_targets_say_why():
    result = plan(N0, T, collapse=0.01, eps=0.9)
    base = collapse_probability(0.9, N0, [])
    assert f"= {base:.4g} > 0.01" in result.table["note"].iloc[0]


# --------------------------------------------------------------------------------------------
# the two answers: cheapest at T, cheapest that never collapses
# --------------------------------------------------------------------------------------------


def _keeps_target(schedule, n0, d, p):
    crit = collapse_criterion(schedule, 10)
    return not crit.collapses and improvement_probability_r(math.sqrt(n0 * crit.limit), d) >= p


def test_two_cheapest_lines():
    result = plan(N0, T, d=2, improvement=0.2)
    first, second = result.headline()
    best, lasting = result.best, result.best_never_collapses
    # at T: the constant schedule, with its caveat on the same line
    assert first.startswith(f"cheapest at T = {T}: {best!r} [{best.spec}]")
    assert "collapses as T grows" in first and "P_T → 0 as T → ∞" in first
    # never collapsing: a different, dearer schedule that keeps the target at every horizon
    assert second.startswith("cheapest that never collapses (and keeps the target at every T): "
                             f"{lasting!r} [{lasting.spec}]")
    assert lasting != best and lasting.total_rows(T) > best.total_rows(T)
    assert _keeps_target(lasting, N0, 2, 0.2)
    assert improvement_probability(N0, lasting, T, d=2) >= 0.2
    # ... and the cheapest of its family that does: one grid step less does not keep it
    family = result.long_run["family"].iloc[0]
    assert result.never_collapse_schedules[family] == lasting
    cheaper = polynomial(lasting.n0, round(lasting.power - 1e-5, 5))
    assert not _keeps_target(cheaper, N0, 2, 0.2)
    # the chosen polynomial at T never collapses but drifts below the target: said so
    poly = result.table.set_index("family").loc["polynomial"]
    assert bool(poly["never_collapses"]) and poly["achieved_limit"] < 0.2
    assert "misses the target from some horizon on" in poly["note"]
    assert lasting.total_rows(T) > result.schedules["polynomial"].total_rows(T)
    # both lines open the printout
    assert str(result).splitlines()[1:3] == [first, second]


def test_no_collapsing_schedule_is_called_cheapest_without_its_caveat():
    for kwargs in ({"d": 2, "improvement": 0.2}, {"collapse": 0.05, "eps": 0.5},
                   {"extra_variance": 3.0, "max_total_rows": 40_000},
                   {"d": 1, "improvement": 0.25}):
        result = plan(N0, T, **kwargs)
        collapsing = [s for s in result.schedules.values()
                      if collapse_criterion(s, T).collapses]
        for line in str(result).splitlines():
            if line.startswith("cheapest") and any(f"[{s.spec}]" in line for s in collapsing):
                assert "collapses as T grows" in line, line
        if result.best_never_collapses is not None:
            assert not collapse_criterion(result.best_never_collapses, T).collapses


def test_never_collapses_when_the_long_run_value_has_no_law():
    # P(σ̂²_T/σ² ≤ eps) as T → ∞ has no law: the never-collapsing answer meets the target at T,
    # and a family whose cheapest such member would sit at power → 1⁺ says it has none
    result = plan(N0, T, collapse=0.05, eps=0.5)
    lasting = result.best_never_collapses
    assert lasting == result.schedules["exponential"]
    assert not collapse_criterion(lasting, T).collapses
    assert "its value as T → ∞ has no law" in result.headline()[1]
    lr = result.long_run.set_index("family")
    assert "no cheapest member" in lr.loc["polynomial", "note"]
    assert "power > 1" in lr.loc["polynomial", "note"]
    assert lr["achieved_limit"].isna().all()


def test_when_no_schedule_keeps_the_target():
    result = plan(N0, T, d=2, improvement=0.3)  # only constant reaches it at T
    assert result.best == result.schedules["constant"]
    assert result.best_never_collapses is None
    assert result.headline()[1] == "cheapest that never collapses: none (see the notes below)"
    budget = plan(N0, T, extra_variance=3.0, max_total_rows=40_000)
    assert budget.best_never_collapses is None
    assert "none within max_total_rows" in budget.headline()[1]


# --------------------------------------------------------------------------------------------
# workflows
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", ["accumulate", "mix:50"])
def test_workflows_without_laws_are_refused_by_name(workflow):
    with pytest.raises(ValidationError) as info:
        plan(N0, T, d=2, improvement=0.2, workflow=workflow)
    text = str(info.value)
    assert f"`workflow` = {workflow!r}" in text and "supports workflow = 'replace'" in text
    assert "coming to synthaudit.theory" in text
    assert ("verify(schedule, workflow='accumulate'" in text) == (workflow == "accumulate")
    with pytest.raises(ValidationError, match="`workflow`"):
        frontier(N0, T, d=2, workflow=workflow)
    with pytest.raises(ValidationError, match="no exact law"):
        evaluate_target(Target("extra_variance", 1.0), N0, constant(100), T, workflow=workflow)
    # listed with every other problem at once
    with pytest.raises(ValidationError) as info:
        plan(1, T, d=2, improvement=0.2, workflow=workflow)
    assert len(info.value.problems) == 2


def test_replace_is_the_default_and_recorded():
    a = plan(N0, T, extra_variance=3.0)
    b = plan(N0, T, extra_variance=3.0, workflow="replace")
    assert a.table.equals(b.table) and a.provenance["workflow"] == "replace"


def test_plugging_in_a_workflow_law_is_one_entry(monkeypatch):
    # a stand-in law for 'accumulate' (replace's, scaled) shows the planner reads LAWS only
    replace = laws.LAWS["replace"]

    def scaled(n0, s, T, **kw):
        return 0.5 * replace.extra_variance(n0, s, T, **kw)

    monkeypatch.setitem(laws.LAWS, "accumulate",
                        laws.WorkflowLaws(extra_variance=scaled, long_run=replace.long_run))
    result = plan(N0, T, extra_variance=3.0, workflow="accumulate", families=("constant",))
    assert result.best == constant(500)  # 0.5 · n0·T/n ≤ 3  ⇔  n ≥ 500
    assert result.provenance["workflow"] == "accumulate"
    assert laws.supported_workflows("extra_variance") == ["replace", "accumulate"]
    with pytest.raises(ValidationError, match="supports workflow = 'replace'"):
        plan(N0, T, d=2, improvement=0.2, workflow="accumulate")  # no improvement law
