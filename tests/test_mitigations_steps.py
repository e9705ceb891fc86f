"""Mitigation steps: specs, validation, and the two paths' hooks with the real adapters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.adapters import CategoricalAdapter, GaussianAdapter, LinearRegressionAdapter
from synthaudit.exceptions import ValidationError
from synthaudit.mitigations import steps as st

SPECS = [
    "fresh:0.2", "fresh:0.5*t^-1", "fresh:0.3*t^-0.5", "weighted:uniform", "weighted:decay=0.5",
    "weighted:power=2", "shrink:0.1", "filter:likelihood:q=0.05", "filter:classifier:q=0.1",
    "filter:pca:q=0.05,k=2", "ridge:auto", "ridge:0.5", "fresh:0.3+weighted:decontaminated",
    "fresh:0.2+filter:likelihood:q=0.05+weighted:power=1+shrink:0.2",
]


@pytest.mark.parametrize("spec", SPECS)
def test_specs_round_trip(spec):
    m = st.parse(spec)
    assert m.spec == spec
    assert st.parse(m.spec) == m


def test_steps_compose_in_canonical_order_and_paths_intersect():
    m = st.parse("shrink:0.1+fresh:0.2")
    assert m.spec == "fresh:0.2+shrink:0.1" and m.paths == ("fast", "rows")
    assert st.parse("fresh:0.2+filter:pca:q=0.1").paths == ("rows",)
    assert st.parse("ridge:auto").paths == ("rows",)
    assert st.parse(["fresh:0.2", st.Shrink(0.3)]).spec == "fresh:0.2+shrink:0.3"


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as err:
        st.parse("fresh:2+shrink:0+filter:foo:q=3+weighted:decay=7")
    msgs = err.value.problems
    assert len(msgs) == 5, msgs
    assert any("fresh" in m for m in msgs) and any("shrink" in m for m in msgs)
    assert any("filter method" in m for m in msgs) and any("decay" in m for m in msgs)
    with pytest.raises(ValidationError, match="two source steps"):
        st.parse("fresh:0.1+fresh:0.2")
    with pytest.raises(ValidationError, match="combine it with a source"):
        st.parse("weighted:decontaminated")
    with pytest.raises(ValidationError, match="unknown mitigation"):
        st.parse("magic:1")


def test_fresh_share_split_and_decay():
    f = st.FreshShare(0.5, decay=1.0)
    syn, real = f.split([30] * 40)
    assert real[:4].tolist() == [15, 8, 5, 4] and real[30] == 0 and np.all(syn + real == 30)
    assert st.FreshShare(1.0).split([7, 9])[0].tolist() == [0, 0]


def _gauss(rng, n, mean=(0.0, 1.0)):
    return pd.DataFrame(rng.standard_normal((n, 2)) + np.asarray(mean), columns=["a", "b"])


def test_fast_hooks_fresh_and_shrink_with_the_gaussian_adapter():
    rng = np.random.default_rng(0)
    ad = GaussianAdapter().fit(_gauss(rng, 50))
    theta0 = ad.theta_
    m = st.parse("fresh:0.3+shrink:0.25")
    syn = ad.simulate_sufficient(theta0, 7, rng=rng)
    real = ad.stats_from_encoded(ad.encode(_gauss(rng, 3))[None])
    train = m.next_stats(ad, None, syn, real, t=1, theta_prev=theta0, theta0=theta0, state={})
    expect = ad.combine(syn, real)
    for key in expect:
        assert np.allclose(train[key], expect[key])
    theta = m.next_theta(ad, ad.params_from_stats(train), t=1, theta0=theta0, state={})
    v = 0.75 * ad.theta_vector(ad.params_from_stats(train)) + 0.25 * ad.theta_vector(theta0)
    assert np.allclose(ad.theta_vector(theta), v)


@pytest.mark.parametrize("spec,weight", [("weighted:decay=0.5", lambda s, t: 0.5 ** (t - s)),
                                         ("weighted:power=2", lambda s, t: (s + 1.0) ** 2),
                                         ("weighted:uniform", lambda s, t: 1.0)])
def test_weighted_statistics_equal_the_row_weighted_fit(spec, weight):
    rng = np.random.default_rng(1)
    tables = [_gauss(rng, n) for n in (20, 10, 15, 12)]
    ad = GaussianAdapter().fit(tables[0])
    m = st.parse(spec)
    train = ad.stats_from_encoded(ad.encode(tables[0])[None])
    for t in range(1, 4):
        batch = ad.stats_from_encoded(ad.encode(tables[t])[None])
        train = m.next_stats(ad, train, batch, None, t=t, theta_prev=None, theta0=None, state={})
    theta = ad.params_from_stats(train)
    X = np.concatenate([tb.to_numpy() for tb in tables])
    w = np.concatenate([np.full(len(tb), weight(s, 3)) for s, tb in enumerate(tables)])
    mean = (w[:, None] * X).sum(0) / w.sum()
    D = X - mean
    cov = (w[:, None, None] * np.einsum("ni,nj->nij", D, D)).sum(0) / (w.sum() - 1)
    assert np.allclose(theta["mean"][0], mean) and np.allclose(theta["cov"][0], cov)


def test_decontaminated_location_gaussian_and_categorical():
    rng = np.random.default_rng(2)
    g = GaussianAdapter().fit(_gauss(rng, 40))
    m = st.parse("fresh:0.4+weighted:decontaminated")
    stats0 = g.stats_from_encoded(g.encode(_gauss(rng, 40))[None])
    theta0 = g.params_from_stats(stats0)
    state = m.start_fast(g, stats0, theta0)
    syn = g.stats_from_encoded(g.encode(_gauss(rng, 6, mean=(3.0, 3.0)))[None])
    real = g.stats_from_encoded(g.encode(_gauss(rng, 4))[None])
    train = m.next_stats(g, stats0, syn, real, t=1, theta_prev=theta0, theta0=theta0, state=state)
    theta = m.next_theta(g, g.params_from_stats(train), t=1, theta0=theta0, state=state)
    xbar = g.params_from_stats(g.combine(syn, real))["mean"][0]
    z = (xbar - 0.6 * theta0["mean"][0]) / 0.4
    w1 = 10 * 0.4**2
    assert np.allclose(theta["mean"][0], (40 * theta0["mean"][0] + w1 * z) / (40 + w1))
    # categorical: the de-contaminated shares are clipped and renormalised per column
    df = pd.DataFrame({"c": list("aaabbc") * 5, "d": list("xy") * 15})
    ca = CategoricalAdapter().fit(df)
    s0 = ca.stats_from_encoded(ca.encode(df)[None])
    t0 = ca.params_from_stats(s0)
    state = m.start_fast(ca, s0, t0)
    syn = ca.stats_from_encoded(ca.encode(pd.DataFrame({"c": ["a"] * 6, "d": ["x"] * 6}))[None])
    real = ca.stats_from_encoded(ca.encode(pd.DataFrame({"c": list("bcbc"), "d": list("yyyy")}))[None])
    train = m.next_stats(ca, s0, syn, real, t=1, theta_prev=t0, theta0=t0, state=state)
    p = m.next_theta(ca, ca.params_from_stats(train), t=1, theta0=t0, state=state)["p"][0]
    assert np.all(p >= 0) and np.isclose(p[:3].sum(), 1) and np.isclose(p[3:].sum(), 1)


def test_rows_path_matches_the_fast_path_for_weighted_accumulation():
    rng = np.random.default_rng(3)
    train0 = _gauss(rng, 30)
    model0 = GaussianAdapter().fit(train0)
    m = st.parse("fresh:0.25+weighted:power=1")
    state = m.start_rows(model0, train0)
    model = model0
    fast = model0.stats_from_encoded(model0.encode(train0)[None])
    for t in range(1, 4):
        real = _gauss(rng, 5)
        seed = 100 + t
        new, table, rec = m.rows_generation(state, model, t, n_synthetic=15, real=real,
                                            fit=lambda tb: GaussianAdapter().fit(tb),
                                            rng=np.random.default_rng(seed))
        syn = model.sample(15, rng=np.random.default_rng(seed))
        fast = m.next_stats(model0, fast, model0.stats_from_encoded(model0.encode(syn)[None]),
                            model0.stats_from_encoded(model0.encode(real)[None]), t=t,
                            theta_prev=model.theta_, theta0=model0.theta_, state={})
        assert np.allclose(new.theta_vector(new.theta_),
                           model0.theta_vector(model0.params_from_stats(fast)))
        assert rec == {"fresh_real_rows": 5.0, "fresh_synthetic_rows": 15.0}
        assert len(table) == 30 + 20 * t
        model = new


def test_rows_path_shrink_and_filter_records():
    rng = np.random.default_rng(4)
    train0 = _gauss(rng, 60)
    model0 = GaussianAdapter().fit(train0)
    m = st.parse("fresh:0.2+filter:likelihood:q=0.1+shrink:0.5")
    state = m.start_rows(model0, train0)
    new, table, rec = m.rows_generation(state, model0, 1, n_synthetic=40, real=_gauss(rng, 10),
                                        fit=lambda tb: GaussianAdapter().fit(tb), rng=rng)
    assert len(table) == 50
    assert set(rec) == {"fresh_real_rows", "fresh_synthetic_rows", "filter_keep_rate",
                        "filter_threshold", "filter_candidates", "filter_forced"}
    assert 0.5 < rec["filter_keep_rate"] <= 1 and rec["filter_candidates"] >= 40
    raw = GaussianAdapter().fit(table)
    v = 0.5 * raw.theta_vector(raw.theta_) + 0.5 * model0.theta_vector(model0.theta_)
    assert np.allclose(new.theta_vector(new.theta_), v)


def test_ridge_refit_on_the_linear_adapter():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 6))
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    df["y"] = X @ np.linspace(-1, 1, 6) + rng.standard_normal(200)
    train, hold = df.iloc[:30].reset_index(drop=True), df.iloc[30:].reset_index(drop=True)
    model = LinearRegressionAdapter(target="y").fit(train)
    m = st.parse("ridge:auto")
    state = m.start_rows(model, train, holdout=hold)
    new, rec = m.refit(model, train, state=state, t=1)
    lam = rec["ridge_lambda"]
    assert lam in m.estimator.grid
    beta = st.ridge_solve(model._design(train)[None], train["y"].to_numpy()[None], lam)[0]
    assert np.allclose(new.beta_, beta) and new.params_.shape == model.params_.shape
    fixed, rec = st.parse("ridge:0.5").refit(model, train, state=state, t=1)
    assert rec == {"ridge_lambda": 0.5}
    with pytest.raises(ValidationError, match="holdout"):
        st.parse("ridge:auto").estimator.refit(model, train, None)


def test_check_reports_what_cannot_run():
    g = GaussianAdapter()
    assert st.parse("filter:pca:q=0.1").check(g, "fast")
    assert st.parse("filter:pca:q=0.1").check(g, "rows") == []
    assert any("linear" in p for p in st.parse("ridge:auto").check(g, "rows"))
    assert st.parse("ridge:auto").check(LinearRegressionAdapter(target="y"), "rows", holdout=False)

    class Opaque:
        supports_fast_path = False

    assert any("statistics" in p for p in st.parse("shrink:0.1").check(Opaque(), "rows"))
    assert st.parse("fresh:0.2").check(Opaque(), "rows") == []
