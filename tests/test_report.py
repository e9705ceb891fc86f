"""The audit report: theory beside measurement (within Monte-Carlo error), tables, verdict,
figures and the HTML page.

Tolerances. A measured probability over R independent replications has standard error
``sqrt(p(1−p)/R)``; we allow 4 of them (a false alarm about once in 16 000 comparisons), plus the
theory's own error: about 1e-10 for the exact collapse law (Gil-Pelaez inversion) and, for the
improvement probability, the asymptotic (large-n) error of ``E[Φ(−(r/2)χ_d)]``. With n0 = n_t ≥ 500
that error is below 0.003 (measured with 50 000 replications: |measured − theory| ≤ 2 standard
errors at n = 200 and 1000 for d = 1, 2, 3, 5), so we add 0.003.
"""

import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import synthaudit as sa
from synthaudit import datasets, theory
from synthaudit import metrics as M
from synthaudit.report import AuditReport, compare_schedules, wilson_interval

R = 20_000
ASYMPTOTIC = 0.003


def _tol(p, R=R, extra=ASYMPTOTIC):
    p = np.asarray(p, dtype=float)
    return 4 * np.sqrt(np.clip(p * (1 - p), 1e-12, None) / R) + extra


def _check(tab, extra=ASYMPTOTIC):
    assert len(tab) and np.all(np.isfinite(tab["predicted"]))
    diff = np.abs(tab["measured"] - tab["predicted"]).to_numpy()
    tol = _tol(tab["predicted"].to_numpy(), tab["n_replications"].to_numpy(), extra)
    assert np.all(diff <= tol), tab.assign(diff=diff, tol=tol).to_string()


GENS = [1, 2, 5, 10, 20]


@pytest.fixture(scope="module")
def gauss_report():
    sim = datasets.simulate_gaussian(200, mean=1.0, var=4.0, rng=0)
    res = sa.run_audit(sim, adapter="gaussian", schedule="const:1000", n_generations=20,
                       n_replications=R, n0=1000, seed=11, metrics=[M.TruthKL(), M.ParamError()])
    return AuditReport.from_result(res)


# --------------------------------------------------------------------------------------------
# theory vs measurement
# --------------------------------------------------------------------------------------------
def test_improvement_univariate_gaussian_d2(gauss_report):
    tab = gauss_report.improvement_table(generations=GENS)
    assert (tab["d"] == 2).all() and (tab["risk"] == "risk[kl]").all()
    _check(tab)
    # d = 2 closed form ½(1 − r/√(4 + r²)), r² = n0·S_T = T here
    r = np.sqrt(np.array(GENS, dtype=float))
    np.testing.assert_allclose(tab["predicted"], 0.5 * (1 - r / np.sqrt(4 + r**2)), rtol=1e-9)


def test_improvement_of_the_gaussian_mean(gauss_report):
    tab = gauss_report.mean_improvement_table(generations=GENS)
    _check(tab)
    np.testing.assert_allclose(
        tab["predicted"], theory.mean_improvement_probability(1000, [1000] * 20, GENS))


def test_improvement_multivariate_gaussian_d5():
    sim = datasets.simulate_multivariate_gaussian(200, mean=[0.0, 1.0],
                                                  cov=[[1.0, 0.5], [0.5, 2.0]], rng=0)
    res = sa.run_audit(sim, adapter="gaussian", schedule="const:1000", n_generations=20,
                       n_replications=R, n0=1000, seed=12, metrics=[M.TruthKL()])
    rep = AuditReport.from_result(res)
    tab = rep.improvement_table(generations=GENS)
    assert (tab["d"] == 5).all()
    _check(tab)


@pytest.mark.parametrize("schedule", ["const:1000", "poly:500:1.5"])
def test_improvement_categorical_d_is_k_minus_1(schedule):
    sim = datasets.simulate_categorical(200, probs=[0.4, 0.3, 0.2, 0.1], rng=0)
    n0 = int(schedule.split(":")[1])
    res = sa.run_audit(sim, adapter="categorical", schedule=schedule, n_generations=20,
                       n_replications=R, n0=n0, seed=13, metrics=[M.TruthKL()])
    tab = AuditReport.from_result(res).improvement_table(generations=GENS)
    assert (tab["d"] == 3).all()
    _check(tab)


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
@pytest.mark.parametrize("schedule", ["const:20", "linear:20:5", "poly:20:1.5"])
def test_collapse_probability_with_truth(estimator, schedule):
    # with a truth, generation 0 is n0 fresh rows: include_baseline=True (ratio to σ²)
    sim = datasets.simulate_gaussian(100, mean=0.0, var=2.0, rng=1)
    res = sa.run_audit(sim, adapter="gaussian", adapter_settings={"estimator": estimator},
                       schedule=schedule,
                       n_generations=30, n_replications=R, n0=20, seed=14)
    rep = AuditReport.from_result(res, eps=0.3)
    tab = rep.collapse_table(generations=[0, 1, 5, 15, 30])
    assert (tab["relative_to"] == "truth").all()
    _check(tab, extra=1e-6)  # exact law: only Monte-Carlo error
    want = theory.collapse_probability(0.3, 20, schedule, 30, estimator=estimator)
    assert tab["predicted"].iloc[-1] == pytest.approx(want, abs=1e-12)
    assert tab["predicted"].iloc[-1] > 0.02  # the comparison is not trivial
    vt = rep.variance_table(generations=[30])
    exp = theory.expected_variance_ratio(20, schedule, 30, estimator=estimator)
    assert vt["predicted_mean"].iloc[0] == pytest.approx(exp)
    # E ratio: sd of the ratio ≲ 2 at these sizes
    assert abs(vt["mean"].iloc[0] - exp) < 4 * 2 / np.sqrt(R) * max(1, exp) + 0.05


@pytest.mark.parametrize("n0", [40, 25])
def test_collapse_probability_real_table_is_relative_to_generation0(n0):
    # real table: ratio to each replication's generation 0, include_baseline=False — exact
    # whether generation 0 is the whole pool (n0 = 40) or a subsample of it (n0 = 25)
    df = pd.DataFrame({"x": np.random.default_rng(2).normal(3.0, 2.0, 40)})
    res = sa.run_audit(df, adapter="gaussian", schedule="const:20", n_generations=25,
                       n_replications=R, n0=n0, seed=15, holdout=0.0)
    rep = AuditReport.from_result(res, eps=0.25)
    tab = rep.collapse_table(generations=[1, 10, 25])
    assert (tab["relative_to"] == "generation 0").all()
    _check(tab, extra=1e-6)
    want = theory.collapse_probability(0.25, n0, "const:20", 25, include_baseline=False)
    assert tab["predicted"].iloc[-1] == pytest.approx(want, abs=1e-12)


# --------------------------------------------------------------------------------------------
# tables, summary, verdict
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed_report():
    sim = datasets.simulate_mixed(300, probs=(0.6, 0.35, 0.05), rng=0)
    res = sa.run_audit(sim, adapter="mixed", schedule="const:60", n_generations=40,
                       n_replications=400, n0=60, seed=3, metrics=[M.TruthKL(), M.ParamError()])
    return AuditReport.from_result(res)


def test_tables_are_tidy(mixed_report):
    rep = mixed_report
    snake = re.compile(r"^[a-z][a-z0-9_]*$")
    for name in ("parameter_table", "drift_table", "variance_table", "collapse_table",
                 "improvement_table", "risk_table", "level_loss_table",
                 "mean_improvement_table"):
        df = getattr(rep, name)()
        assert len(df), name
        assert all(snake.match(c) for c in df.columns), (name, list(df.columns))
    d = rep.drift_table()
    assert set(d["parameter"]) == set(rep.parameters) | {"overall"}
    assert {"median", "q05", "q25", "q75", "q95"} <= set(d.columns)
    assert set(rep.variance_table()["parameter"]) == {"var[x0]", "var[x1]", "logdet"}
    # the rare level is lost in some replications: the KL is infinite there, reported as such
    lv = rep.level_loss_table()
    assert lv["p_any_lost"].iloc[-1] > 0.2 and lv["n_levels"].iloc[0] == 3
    rt = rep.risk_table()
    kl = rt[rt["risk"] == "risk[kl]"]
    assert kl["p_infinite"].iloc[-1] == pytest.approx(lv["p_any_lost"].iloc[-1])
    assert np.isinf(kl["q95"].iloc[-1])


def test_summary_and_verdict(mixed_report):
    s = mixed_report.summary()
    json.dumps(s)
    for key in ("collapse_measured", "collapse_predicted", "improvement_measured",
                "improvement_predicted", "level_loss_any", "fisher_drift_median", "verdict",
                "total_synthetic_rows"):
        assert key in s
    assert s["total_synthetic_rows"] == 60 * 40 and s["d"] == 7
    v = mixed_report.verdict()
    assert s["verdict_label"] == v.label and s["verdict"] == str(v)
    assert str(v).startswith("Verdict:") and "category level" in str(v) and "95% CI" in str(v)
    # the rare level is lost in most replications: the union of collapse signs is a majority
    assert v.label == "collapses" and v.numbers.level_loss.value > 0.5


def test_risk_falls_back_to_kl_from_parameters_and_says_when_unavailable():
    sim = datasets.simulate_gaussian(100, rng=0)
    res = sa.run_audit(sim, adapter="gaussian", schedule="const:100", n_generations=5,
                       n_replications=200, n0=100, seed=1, metrics=[])  # nothing recorded
    rep = AuditReport.from_result(res)
    assert rep.improvement_risk == "risk[kl]"
    assert rep.risk_table()["source"].iloc[0] == "computed from parameters"
    kl = M.kl_divergence(res, res.reference.to_numpy(), res.values[:, 5, :])
    assert rep.risk_table(generations=[5])["median"].iloc[0] == pytest.approx(np.median(kl))
    # by default the engine records the KL it needs: the report reads it, the same numbers
    recorded = sa.run_audit(sim, adapter="gaussian", schedule="const:100", n_generations=5,
                            n_replications=200, n0=100, seed=1)
    rep_rec = AuditReport.from_result(recorded)
    assert rep_rec.risk_table()["source"].iloc[0] == "recorded"
    assert rep_rec.risk_table(generations=[5])["median"].iloc[0] == pytest.approx(np.median(kl))
    real = sa.run_audit(sim.data, adapter="gaussian", schedule="const:100", n_generations=5,
                        n_replications=50, seed=1, holdout=0.0)
    rep2 = AuditReport.from_result(real)
    assert rep2.improvement_risk is None and rep2.improvement_table().empty
    assert "No risk was measured" in str(rep2.verdict())
    held = sa.run_audit(sim.data, adapter="gaussian", schedule="const:80", n_generations=5,
                        n_replications=50, seed=1, holdout=0.2, metrics=[M.HoldoutNLL()])
    assert AuditReport.from_result(held).improvement_risk == "risk[holdout_nll]"


def test_report_accepts_any_result_like_object(mixed_report):
    r = mixed_report.result
    duck = SimpleNamespace(values=r.values, quantities=r.quantities, parameters=r.parameters,
                           n_rows=r.n_rows, reference=r.reference, config=r.config,
                           provenance=r.provenance, n_free_params=None)
    rep = AuditReport.from_result(duck)
    assert rep.n_free_params == 7  # from the parameter names
    assert rep.reference_kind == "truth"  # from config
    pd.testing.assert_frame_equal(rep.collapse_table(), mixed_report.collapse_table())
    with pytest.raises(ValueError, match="lacks"):
        AuditReport.from_result(object())


def test_non_replace_workflow_has_no_theory():
    sim = datasets.simulate_gaussian(100, rng=0)
    res = sa.run_audit(sim, adapter="gaussian", schedule="const:50", workflow="accumulate",
                       n_generations=5, n_replications=100, n0=50, seed=1)
    rep = AuditReport.from_result(res)
    assert rep.collapse_table()["predicted"].isna().all()
    assert rep.improvement_table()["predicted"].isna().all()
    # no closed-form line for a workflow the theory does not describe
    assert rep.theory_note() == "" and rep.summary()["schedule_collapses"] is None
    assert "theory" not in rep.summary_text() and "S_T" not in str(rep.verdict())


def test_wilson_interval():
    lo, hi = wilson_interval(np.array([0, 50, 100]), 100)
    assert lo[0] == 0 and hi[2] == 1 and lo[1] < 0.5 < hi[1]


# --------------------------------------------------------------------------------------------
# figures and HTML
# --------------------------------------------------------------------------------------------
def _png_ok(fig, tmp_path, name):
    import matplotlib.image as mpimg

    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 5_000, name
    img = mpimg.imread(path)
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 10, name


def test_every_figure_renders(mixed_report, tmp_path):
    figs = mixed_report.figures()
    assert set(figs) == {"Parameter drift", "Variance retention", "Collapse probability",
                         "Improvement probability", "Risk by generation"}
    for name, fig in figs.items():
        assert type(fig).__name__ == "Figure"
        _png_ok(fig, tmp_path, name.replace(" ", "_"))


def test_compare_schedules(tmp_path):
    sim = datasets.simulate_gaussian(100, rng=0)
    kw = {"adapter": "gaussian", "n_generations": 30, "n_replications": 300, "n0": 100,
          "seed": 2, "metrics": [M.TruthKL()]}
    results = {s: sa.run_audit(sim, schedule=s, **kw)
               for s in ("const:100", "linear:100:20", "poly:100:1.5")}
    fig, df = compare_schedules(results, eps=0.1)
    _png_ok(fig, tmp_path, "compare")
    assert list(df["label"]) == list(results)
    assert df["total_synthetic_rows"].tolist() == [
        sa.schedules.parse(s).total_rows(30) for s in results]
    assert df["improvement_predicted"].is_monotonic_increasing  # bigger schedules help
    assert df.notna().all().all()


def test_html_is_self_contained(mixed_report, tmp_path):
    path = tmp_path / "report.html"
    page = mixed_report.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    srcs = re.findall(r"src='([^']*)'", page)
    shown = mixed_report.figures(informative_only=True)
    assert len(srcs) == len(shown) >= 4
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "http://" not in page and "https://" not in page
    assert "Settings (config)" in page and "Provenance" in page
    assert mixed_report.verdict().label in page and "What was audited" in page
    frag = mixed_report._repr_html_()
    assert "data:image/png;base64," in frag and "<html" not in frag
    mixed_report.save(tmp_path / "summary.json")
    assert json.loads((tmp_path / "summary.json").read_text())["d"] == 7


def test_level_loss_share_counts_any_column():
    """'lost at least one category level' is across all categorical columns, not the worst one."""
    df = datasets.load("penguins")
    res = sa.run_audit(df, n_generations=30, n_replications=200, seed=0)
    rep = AuditReport.from_result(res)
    p_cols = np.concatenate([b.index for b in M.layout_of(res).categorical])
    ref = res.reference.iloc[p_cols].to_numpy()
    lost_any = ((res.values[:, 30, p_cols] == 0) & (ref > 0)).any(axis=1).mean()
    assert 0.01 < lost_any < 0.95  # not a trivial comparison
    assert rep.summary()["level_loss_any"] == pytest.approx(lost_any)
    assert rep.key_numbers().level_loss.value == pytest.approx(lost_any)
    assert f"{lost_any:.0%}" in str(rep.verdict())


# --------------------------------------------------------------------------------------------
# the room's boundaries, the one-screen summary, the auditor's page
# --------------------------------------------------------------------------------------------
HEAVY = ("synthaudit.engine", "synthaudit.adapters", "sdv", "torch", "matplotlib")


def _modules_after(code: str) -> set:
    import os
    import subprocess
    import sys

    root = str(__import__("pathlib").Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True, env=env)
    return set(out.stdout.split())


def test_import_report_loads_neither_engine_nor_adapters():
    mods = _modules_after("import synthaudit.report, synthaudit.figures")
    loaded = [m for m in mods if m.split(".")[0] in ("sdv", "torch", "matplotlib")
              or m.startswith(("synthaudit.engine", "synthaudit.adapters"))]
    assert not loaded, loaded
    assert "synthaudit.report.verdict" in mods


def test_building_a_report_loads_neither_engine_nor_adapters():
    """From a result-like object: tables, verdict, summary and page without the engine."""
    code = (
        "import numpy as np, pandas as pd\n"
        "from types import SimpleNamespace\n"
        "from synthaudit.report import AuditReport\n"
        "v = np.ones((40, 4, 2)); v[:, :, 0] = 0\n"
        "res = SimpleNamespace(values=v, quantities=('mean[x]', 'var[x]'),\n"
        "    parameters=('mean[x]', 'var[x]'), n_rows=np.full(4, 50),\n"
        "    reference=pd.Series([0.0, 1.0], index=['mean[x]', 'var[x]']), reference_kind='real',\n"
        "    config={'adapter': 'gaussian', 'schedule': 'const:50', 'n0': 50}, provenance={},\n"
        "    n_free_params=2)\n"
        "rep = AuditReport(res); rep.summary_text(); rep.summary(); rep.drift_table()\n"
    )
    mods = _modules_after(code)
    assert not [m for m in mods if m.startswith(("synthaudit.engine", "synthaudit.adapters"))]


def _wide_result(n_gauss=12, n_cat=55, R=100, G=50, n=100, seed=0):
    """A 200-parameter result (12 Gaussian columns: 90 parameters; 55 two-level categories:
    110) from a small recursive simulation written here (not the engine)."""
    from synthaudit.params import ParamLayout, categorical_params, gaussian_params

    rng = np.random.default_rng(seed)
    gcols = [f"x{i:02d}" for i in range(n_gauss)]
    ccols = [f"c{i:02d}" for i in range(n_cat)]
    lay = ParamLayout.from_params(gaussian_params(gcols) + categorical_params(
        ccols, {c: ["a", "b"] for c in ccols}))
    A = rng.normal(size=(n_gauss, n_gauss)) / np.sqrt(n_gauss)
    S0, mu0, p0 = A @ A.T + np.eye(n_gauss), rng.normal(size=n_gauss), rng.uniform(.05, .5, n_cat)
    vals = np.zeros((R, G + 1, len(lay)))
    for r in range(R):
        mu, S, p = mu0, S0, p0
        for g in range(G + 1):
            if g:
                x = rng.multivariate_normal(mu, S, size=n, method="cholesky")
                mu, S, p = x.mean(0), np.cov(x, rowvar=False), rng.binomial(n, p) / n
            vals[r, g, lay.mean_index] = mu
            vals[r, g, lay.cov_index] = S
            for b, pp in zip(lay.categorical, p):
                vals[r, g, b.index] = (1 - pp, pp)
    return SimpleNamespace(
        values=vals, quantities=lay.names, parameters=lay.names, n_rows=np.full(G + 1, n),
        reference=pd.Series(vals[0, 0], index=lay.names), reference_kind="real", layout=lay,
        config={"adapter": "mixed", "schedule": f"const:{n}", "workflow": "replace", "n0": n,
                "pool_rows": n, "holdout_rows": 0, "reference": "real"},
        provenance={"synthaudit": sa.__version__}, n_free_params=None)


def test_html_size_budget_for_a_200_parameter_audit(tmp_path):
    import time

    res = _wide_result()
    assert len(res.parameters) == 200
    t = time.perf_counter()
    page = AuditReport.from_result(res).to_html(tmp_path / "wide.html")
    took = time.perf_counter() - t
    size = len(page.encode("utf-8"))
    print(f"200-parameter report: {size / 1e6:.2f} MB in {took:.1f} s")  # measured, not asserted
    assert size <= 2_000_000
    assert page.count("<details>") >= 5 and page.count("data:text/csv;base64,") >= 3


def test_css_is_scoped_to_the_report_root(mixed_report):
    from synthaudit.report import html

    rules = [r for r in html.CSS.splitlines() if r.strip()]
    assert rules and all(r.startswith(".synthaudit-report") for r in rules)
    for r in rules:  # every selector of a rule, not only the first
        sel = r.split("{")[0]
        assert all(s.strip().startswith(".synthaudit-report") for s in sel.split(",")), r
    frag = mixed_report._repr_html_()
    assert frag.startswith("<div class='synthaudit-report'><style>") and frag.endswith("</div>")
    assert "<body" not in frag and "Settings (config)" not in frag


def test_summary_text_is_verdict_first_and_fits_one_screen(mixed_report):
    text = mixed_report.summary_text(top_k=4)
    lines = text.splitlines()
    v = mixed_report.verdict()
    assert lines[0].startswith("Verdict:") and v.headline.startswith(lines[0].strip())
    assert max(map(len, lines)) <= 100
    assert len(lines) <= 30
    # at most ten lines of numbers: between the line saying what was audited and the top list
    audited = next(i for i, ln in enumerate(lines) if "numbers at generation" in ln)
    top = next(i for i, ln in enumerate(lines) if ln.startswith("Most drifted"))
    assert 3 <= top - audited - 1 <= 10, lines[audited:top]
    for word in ("collapse", "drift", "risk", "improvement", "95% CI", "Full tables: -o",
                 "--report", "--full", "Terms: generation 0", "standard error"):
        assert word in text, word
    top4 = mixed_report.top_drift(4)
    assert len(top4) == 4
    for label in top4["label"]:
        assert label[:40] in text
    assert "Note:" not in text  # nothing recorded about whole-number columns: no note


def test_summary_notes_a_whole_number_column_modelled_as_gaussian(mixed_report):
    r = mixed_report.result
    cfg = {**r.config, "integer_columns": ["x1"]}
    duck = SimpleNamespace(**{k: getattr(r, k) for k in (
        "values", "quantities", "parameters", "n_rows", "reference", "reference_kind",
        "provenance", "n_free_params")}, config=cfg)
    text = AuditReport.from_result(duck).summary_text()
    assert "Note: x1 holds only whole numbers but was modelled as a Gaussian" in text
    assert "x0 holds" not in text


def test_scorecard_says_what_was_audited_and_what_was_not_recorded(mixed_report):
    page = mixed_report.to_html()
    assert "What was audited" in page and "Key numbers" in page
    assert "Data fingerprint</th><td>not recorded" in page
    r = mixed_report.result
    prov = {**r.provenance, "data_fingerprint": "sha256:abc123", "date": "2026-01-02T03:04:05Z",
            "sdv": "1.2.3"}
    cfg = {**r.config, "dataset": "penguins", "seed": 7}
    duck = SimpleNamespace(**{k: getattr(r, k) for k in (
        "values", "quantities", "parameters", "n_rows", "reference", "reference_kind",
        "n_free_params")}, config=cfg, provenance=prov)
    page = AuditReport.from_result(duck).to_html()
    for text in ("Dataset</th><td>penguins", "sha256:abc123", "2026-01-02T03:04:05Z",
                 "sdv 1.2.3", "Seed</th><td>7"):
        assert text in page, text
    # key numbers carry labels a person reads, not snake_case keys
    keys = re.search(r"<h2>Key numbers</h2>(.*?)</table>", page, re.S).group(1)
    assert not re.search(r"<th>[a-z]+_[a-z_]+</th>", keys)
    assert "Probability of beating the real-only model" in keys


def test_flat_panels_are_left_out_and_narrow_axes_stay_linear():
    from synthaudit.report import figures as F

    gens = np.arange(11)
    flat = pd.DataFrame({"generation": gens, "parameter": "var[x]", "eps": 0.05,
                         "measured": 0.0, "ci_low": 0.0, "ci_high": 0.01, "predicted": 1e-9})
    fig = F.collapse_figure(flat, None)
    assert F.flat_reason(fig) and "var[x]" in fig.synthaudit_skipped
    nll = 20 + 0.05 * gens  # a held-out NLL of ~20: a narrow range
    risk = pd.DataFrame({"generation": gens, "risk": "risk[holdout_nll]", "q05": nll - .1,
                         "q25": nll - .05, "median": nll, "q75": nll + .05, "q95": nll + .1,
                         "p_infinite": 0.0})
    fig = F.risk_figure(risk)
    assert F.flat_reason(fig) is None and fig.axes[0].get_yscale() == "linear"
    wide = risk.assign(**{c: risk[c] * 0 + 10.0 ** -gens for c in F._BANDS})
    assert F.risk_figure(wide).axes[0].get_yscale() == "log"


def test_compatibility_module_keeps_its_names(mixed_report):
    import synthaudit.figures as old

    for name in ("drift_fan", "variance_figure", "collapse_figure", "improvement_figure",
                 "risk_figure", "compare_schedules"):
        assert callable(getattr(old, name))
    assert type(old.drift_fan(mixed_report)).__name__ == "Figure"
    assert type(old.collapse_figure(mixed_report.result, eps=0.2)).__name__ == "Figure"
    import synthaudit.report as rep_mod

    for name in ("AuditReport", "compare_schedules", "wilson_interval"):
        assert hasattr(rep_mod, name)
