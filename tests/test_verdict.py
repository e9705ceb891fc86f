"""The verdict's decision table (synthaudit.report.verdict, docs/report.md): one test per row,
each on a small synthetic result object built here (a SimpleNamespace with the attributes the
report reads), so every row is hit deterministically; and the properties the verdict promises
(independent of optional metrics and of the holdout, infinite generation-0 risks left out and
counted, no closed-form line for models theory does not describe, no contradiction).

The synthetic traces are deterministic (no sampling), so the numbers are exact: e.g. 160 of 200
replications collapsed gives a Wilson interval of [0.74, 0.85].
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from synthaudit.report import AuditReport, KeyNumbers
from synthaudit.report import verdict as V
from synthaudit.report._stats import share, wilson_interval
from synthaudit.report.verdict import verdict

N0 = 100
G = 5
NAMES = ("mean[x]", "var[x]")


def fake(theta, *, names=NAMES, reference=(0.0, 1.0), metrics=None, adapter="gaussian",
         workflow="replace", reference_kind="real", schedule=f"const:{N0}", config=None,
         provenance=None):
    """A result-like object: parameters ``theta`` (R, G+1, P) and ``metrics`` {name: (R, G+1)}."""
    metrics = metrics or {}
    values = np.concatenate([theta] + [np.asarray(m, float)[..., None] for m in metrics.values()],
                            axis=2)
    cfg = {"adapter": adapter, "schedule": schedule, "workflow": workflow, "n0": N0,
           "pool_rows": N0, "holdout_rows": 20 if "risk[holdout_nll]" in metrics else 0,
           "reference": reference_kind, "n_generations": theta.shape[1] - 1,
           "n_replications": theta.shape[0], **(config or {})}
    return SimpleNamespace(
        values=values, quantities=tuple(names) + tuple(metrics), parameters=tuple(names),
        n_rows=np.full(theta.shape[1], N0), reference=pd.Series(reference, index=list(names)),
        reference_kind=reference_kind, config=cfg, provenance=provenance or {},
        n_free_params=None)


def steady(R=200, g=G, names=NAMES, reference=(0.0, 1.0)):
    """Every replication keeps the reference at every generation (no drift, no collapse)."""
    return np.broadcast_to(np.asarray(reference, float), (R, g + 1, len(names))).copy()


def risk_path(start, end, R=200):
    """A risk that is ``start`` at generation 0 and moves linearly to ``end`` (per replication)."""
    start = np.broadcast_to(np.asarray(start, float), (R,))
    end = np.broadcast_to(np.asarray(end, float), (R,))
    w = np.linspace(0, 1, G + 1)
    with np.errstate(invalid="ignore"):
        out = start[:, None] * (1 - w) + end[:, None] * w
    out[:, 0], out[:, -1] = start, end
    return out


def report(res, **kw) -> AuditReport:
    return AuditReport.from_result(res, **kw)


# --------------------------------------------------------------------------------------------
# one test per row of the decision table
# --------------------------------------------------------------------------------------------
def test_row1_too_few_replications_is_inconclusive_even_when_everything_collapsed():
    th = steady(R=20)
    th[:, G, 1] = 0.001  # every replication lost its variance
    v = report(fake(th)).verdict()
    assert (v.label, v.row) == ("inconclusive", 1)
    assert "too few replications (20" in v.headline and "lean towards 'collapses'" in v.headline


def test_row1_threshold_is_derived_from_the_signs_threshold():
    # fewest R with which 0 collapses out of R has a Wilson upper bound below SIGNS
    R = V.MIN_REPLICATIONS
    assert wilson_interval(0, R)[1] < V.SIGNS <= wilson_interval(0, R - 1)[1]
    assert R == 35
    th = steady(R=R)
    assert report(fake(th)).verdict().row != 1
    assert report(fake(steady(R=R - 1))).verdict().row == 1


def test_row2_nothing_measured_is_inconclusive():
    # parameters of a family without closed forms, no risk: no collapse, drift or improvement
    th = np.ones((200, G + 1, 1))
    v = report(fake(th, names=("weight",), reference=(1.0,))).verdict()
    assert (v.label, v.row) == ("inconclusive", 2)
    assert "nothing the verdict can judge" in v.headline


def test_row2_regression_coefficients_are_not_judged_by_a_drift_they_lack():
    # the Fisher metric does not cover regression coefficients: no drift, not a false "stable"
    names = ("intercept", "beta[x]")
    th = steady(names=names, reference=(0.5, 1.0))
    th[:, G, 1] = 3.0
    rep = report(fake(th, names=names, reference=(0.5, 1.0), adapter="logistic"))
    v = rep.verdict()
    assert (v.label, v.row) == ("inconclusive", 2) and not v.numbers.drift.measured
    assert "overall" not in set(rep.drift_table()["parameter"])


def test_row3_majority_collapse_collapses():
    th = steady()
    th[:160, G, 1] = 0.01  # 80 % of replications keep 1 % of the variance
    v = report(fake(th)).verdict()
    assert (v.label, v.row) == ("collapses", 3)
    assert v.numbers.collapse.value == 0.8 and v.numbers.collapse.low >= 0.5
    assert "the loop collapses" in v.headline and "80%" in v.headline


def test_row4_clear_signs_of_collapse_degrade():
    th = steady()
    th[:60, G, 1] = 0.01  # 30 %
    v = report(fake(th)).verdict()
    assert (v.label, v.row) == ("degrades", 4)
    assert "a clear sign of collapse" in v.headline


def test_row4_says_when_the_majority_threshold_cannot_be_told():
    th = steady(R=60)
    th[:28, G, 1] = 0.01  # 47 %: CI [0.34, 0.59] contains ½
    v = report(fake(th)).verdict()
    assert (v.label, v.row) == ("degrades", 4)
    assert any("cannot be told" in r for r in v.reasons)


def test_row5_a_clearly_worse_model_degrades():
    th = steady()
    nll = risk_path(20.0, np.r_[np.full(180, 21.0), np.full(20, 19.5)])  # worse in 90 %
    v = report(fake(th, metrics={"risk[holdout_nll]": nll})).verdict()
    assert (v.label, v.row) == ("degrades", 5)
    assert v.numbers.improvement.value == pytest.approx(0.1)
    assert v.numbers.risk_change.value == pytest.approx(1.0)
    assert "better than the real-only one in only 10% (95% CI" in v.headline


def test_row5_with_a_known_truth():
    th = steady()
    kl = risk_path(0.01, np.r_[np.full(190, 0.05), np.full(10, 0.005)])
    res = fake(th, metrics={"risk[kl]": kl}, reference_kind="truth")
    v = report(res).verdict()
    assert (v.label, v.row) == ("degrades", 5) and v.numbers.risk == "risk[kl]"


def test_row6_large_drift_degrades():
    th = steady()
    th[:, G, 0] = 0.5 + np.linspace(-0.05, 0.05, 200)  # mean moved ~5 standard errors (0.1)
    v = report(fake(th)).verdict()
    assert (v.label, v.row) == ("degrades", 6)
    # Fisher drift sqrt(n0·Δμ²/σ²) = 5, per parameter (d = 2): 5/√2
    assert v.numbers.drift.value == pytest.approx(5 / np.sqrt(2), rel=0.02)
    assert "standard errors" in v.headline


def test_row7_improves():
    th = steady()
    nll = risk_path(20.0, np.r_[np.full(180, 19.0), np.full(20, 20.5)])  # better in 90 %
    v = report(fake(th, metrics={"risk[holdout_nll]": nll})).verdict()
    assert (v.label, v.row) == ("improves", 7)
    assert "improves on the real-only model" in v.headline


def test_row8_stable():
    th = steady()
    nll = risk_path(20.0, np.r_[np.full(100, 19.5), np.full(100, 20.5)])  # P = ½
    v = report(fake(th, metrics={"risk[holdout_nll]": nll})).verdict()
    assert (v.label, v.row) == ("stable", 8)
    assert v.numbers.improvement.value == 0.5 and v.numbers.drift.value == 0
    assert v.headline.startswith("Verdict: stable — no sign of collapse by generation 5")


def test_row8_stable_with_collapse_only():
    v = report(fake(steady())).verdict()  # no risk recorded, nothing moves
    assert (v.label, v.row) == ("stable", 8)


def test_row9_straddling_intervals_are_inconclusive():
    R = 40
    th = steady(R=R)
    nll = risk_path(20.0, np.r_[np.full(16, 19.5), np.full(24, 20.5)], R=R)  # P = 0.4
    v = report(fake(th, metrics={"risk[holdout_nll]": nll})).verdict()
    assert (v.label, v.row) == ("inconclusive", 9)
    assert any("spans 40%" in r for r in v.reasons)


def test_every_row_of_the_table_is_in_the_docs():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "report.md").read_text()
    for row, label, condition in V.DECISION_TABLE:
        assert re.search(rf"\|\s*{row}\s*\|\s*{label}\s*\|\s*{re.escape(condition)}\s*\|", doc), (
            row, label, condition)
    assert [r for r, _, _ in V.DECISION_TABLE] == list(range(1, 10))
    assert {label for _, label, _ in V.DECISION_TABLE} == set(V.LABELS)


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------
def test_label_does_not_depend_on_optional_metrics():
    th = steady()
    th[:60, G, 1] = 0.01
    base = report(fake(th)).verdict()
    extra = {"risk[param_sq_error]": risk_path(0.0, 1.0), "dist[ks:x]": risk_path(0.0, 0.3),
             "dist_gen0[ks:x]": risk_path(0.0, 0.2)}
    more = report(fake(th, metrics=extra)).verdict()
    assert (more.label, more.row) == (base.label, base.row)
    assert more.numbers.collapse == base.numbers.collapse
    assert more.numbers.drift == base.numbers.drift
    assert more.numbers.risk is None  # the squared error does not define "better"


@pytest.mark.parametrize("lost", [0.47, 0.24])
def test_label_does_not_depend_on_the_holdout(lost):
    """The same measured level loss gives the same label with and without a holdout risk."""
    names = ("p[c=a]", "p[c=b]", "p[c=z]")
    ref = (0.6, 0.38, 0.02)
    th = steady(names=names, reference=ref)
    k = int(lost * 200)
    th[:k, G] = (0.62, 0.38, 0.0)  # the rare level is lost in k replications
    without = report(fake(th, names=names, reference=ref, adapter="categorical")).verdict()
    nll = risk_path(1.0, np.r_[np.full(k, np.inf), np.full(200 - k, 1.05)])
    with_h = report(fake(th, names=names, reference=ref, adapter="categorical",
                         metrics={"risk[holdout_nll]": nll})).verdict()
    assert without.label == with_h.label == "degrades"
    assert without.numbers.level_loss == with_h.numbers.level_loss
    assert without.numbers.level_loss.value == pytest.approx(k / 200)


def test_infinite_generation0_risk_is_left_out_and_counted():
    th = steady()
    start = np.full(200, 20.0)
    start[:7] = np.inf  # a held-out level the training rows never saw
    end = np.r_[np.full(100, 19.5), np.full(100, 20.5)]
    nll = risk_path(start, end)
    nll[:7] = np.inf
    rep = report(fake(th, metrics={"risk[holdout_nll]": nll}))
    n = rep.key_numbers()
    assert n.risk_excluded_infinite == 7 and n.risk_excluded_missing == 0
    assert n.improvement.n == 193 and np.isfinite(n.improvement.value)
    assert n.improvement.value == pytest.approx(93 / 193)
    assert np.isfinite(n.risk_change.value)
    assert "7 of 200 replications were left out" in str(rep.verdict())
    flat = " ".join(rep.summary_text().split())
    assert "7 of 200 replications left out: risk already infinite at generation 0" in flat
    imp = rep.improvement_table(generations=[G])
    assert imp["n_excluded"].iloc[0] == 7 and imp["n_replications"].iloc[0] == 193
    assert "infinite at generation 0" in rep.to_html()


def test_risk_infinite_at_generation0_everywhere_says_so():
    th = steady()
    nll = np.full((200, G + 1), np.inf)
    rep = report(fake(th, metrics={"risk[holdout_nll]": nll}))
    v = rep.verdict()
    assert not v.numbers.improvement.measured and v.numbers.risk_excluded_infinite == 200
    assert "not finite at generation 0 in any replication" in str(v)
    assert "No risk was measured" not in str(v)


@pytest.mark.parametrize("adapter", ["sdv:gaussian_copula", "external", "object"])
def test_no_closed_form_line_for_synthesizers_theory_does_not_describe(adapter):
    th = steady()
    th[:60, G, 1] = 0.01
    rep = report(fake(th, adapter=adapter))
    assert rep.theory_note() == "" and not rep.theory_applies
    assert rep.collapse_table()["predicted"].isna().all()
    assert rep.summary()["schedule_collapses"] is None
    text = rep.summary_text()
    assert "theory" not in text and "S_T" not in text
    assert "S_T" not in rep.to_html()


def test_closed_form_line_for_a_parametric_family_never_contradicts_the_measurement():
    rep = report(fake(steady()))  # gaussian, const schedule, nothing collapsed
    note = rep.theory_note()
    assert "the variance collapses" in note
    assert "not yet visible here: a variance collapsed in 0% of replications" in note
    text = rep.summary_text()
    assert "no collapse yet" not in text.lower()
    assert rep.verdict().label == "stable"


@pytest.mark.parametrize("row_case", ["collapse", "degrade", "stable"])
def test_verdict_never_says_collapses_and_no_collapse_together(row_case):
    th = steady()
    if row_case == "collapse":
        th[:160, G, 1] = 0.01
    elif row_case == "degrade":
        th[:60, G, 1] = 0.01
    v = str(report(fake(th)).verdict())
    says_collapse = "collapses" in v
    says_none = "No replication" in v or "no sign of collapse" in v
    assert not (says_collapse and says_none), v


def test_verdict_accepts_a_report_and_rejects_anything_else():
    rep = report(fake(steady()))
    assert verdict(rep) == rep.verdict()
    with pytest.raises(TypeError, match="KeyNumbers"):
        verdict({"collapse": 0.5})
    with pytest.raises(ValueError, match="label"):
        V.Verdict("fine", 0, "x")


def test_key_numbers_are_json_friendly():
    import json

    n = KeyNumbers(n_replications=100, generation=3, collapse=share([True] * 20 + [False] * 80))
    d = json.loads(json.dumps(verdict(n).to_dict()))
    assert d["label"] == "degrades" and d["numbers"]["collapse"]["value"] == 0.2
    assert d["numbers"]["drift"]["value"] is None
