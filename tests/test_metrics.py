"""Metrics: closed-form KL and holdout NLL against scipy / Monte Carlo, drift scales, table and
downstream metrics, and the Metric hooks inside run_audit."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthaudit as sa
from synthaudit import datasets
from synthaudit import metrics as M
from synthaudit.adapters import CategoricalAdapter, GaussianAdapter, MixedAdapter, PoissonAdapter
from synthaudit.exceptions import ValidationError

G1 = ["mean[x]", "var[x]"]
G2 = ["mean[a]", "mean[b]", "var[a]", "cov[a,b]", "var[b]"]


# --------------------------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------------------------
def test_layout_from_adapters_matches_names():
    df = pd.DataFrame({"a": [0.0, 1.0, 3.0], "b": [1.0, 0.0, 2.0],
                       "c": pd.Categorical(["u", "v", "u"])})
    m = MixedAdapter().fit(df)
    lay = M.layout_of(m)
    assert lay.gaussian_columns == ("a", "b") and lay.complete
    assert [b.label for b in lay.categorical] == ["c"]
    assert lay.n_free_params == m.n_free_params_ == 5 + 1
    joint = CategoricalAdapter(joint=True).fit(pd.DataFrame({"a": list("xyxy"), "b": list("uvvu")}))
    jl = M.layout_of(joint)
    assert len(jl.categorical) == 1 and jl.categorical[0].label == "a,b"
    assert jl.n_free_params == joint.n_free_params_
    assert M.layout_of(["foo", "mean[x]", "var[x]"]).unknown == ("foo",)


# --------------------------------------------------------------------------------------------
# KL closed forms
# --------------------------------------------------------------------------------------------
def _mc_kl(logp, logq, sample, n=400_000, seed=0):
    x = sample(np.random.default_rng(seed), n)
    d = logp(x) - logq(x)
    return d.mean(), d.std() / np.sqrt(n)


def test_kl_univariate_gaussian_vs_monte_carlo():
    ref, th = np.array([1.0, 4.0]), np.array([[1.5, 2.5]])
    kl = M.kl_divergence(G1, ref, th)[0]
    est, se = _mc_kl(lambda x: stats.norm.logpdf(x, 1.0, 2.0),
                     lambda x: stats.norm.logpdf(x, 1.5, np.sqrt(2.5)),
                     lambda g, n: g.normal(1.0, 2.0, n))
    assert abs(kl - est) < 5 * se
    # theta_from_vector round trip agrees with the name layout
    ad = GaussianAdapter().fit(pd.DataFrame({"x": [0.0, 1.0, 3.0]}))
    back = ad.theta_from_vector(th)
    assert back["cov"][0, 0, 0] == th[0, 1]


def test_kl_multivariate_gaussian_vs_monte_carlo():
    mu0, S0 = np.array([0.0, 1.0]), np.array([[1.0, 0.5], [0.5, 2.0]])
    mu1, S1 = np.array([0.3, 0.7]), np.array([[1.4, -0.2], [-0.2, 1.5]])
    def vec(mu, S):
        return np.array([mu[0], mu[1], S[0, 0], S[0, 1], S[1, 1]])

    kl = M.kl_divergence(G2, vec(mu0, S0), vec(mu1, S1)[None])[0]
    p, q = stats.multivariate_normal(mu0, S0), stats.multivariate_normal(mu1, S1)
    est, se = _mc_kl(p.logpdf, q.logpdf, lambda g, n: g.multivariate_normal(mu0, S0, n))
    assert abs(kl - est) < 5 * se


def test_kl_categorical_poisson_and_mixed_exact():
    p0, p1 = np.array([0.5, 0.3, 0.2]), np.array([0.4, 0.4, 0.2])
    names = ["p[c=a]", "p[c=b]", "p[c=z]"]
    assert M.kl_divergence(names, p0, p1[None])[0] == pytest.approx(stats.entropy(p0, p1))
    k = np.arange(200)
    exact = np.sum(stats.poisson.pmf(k, 3.0) * (stats.poisson.logpmf(k, 3.0)
                                                - stats.poisson.logpmf(k, 2.2)))
    assert M.kl_divergence(["rate[k]"], [3.0], [[2.2]])[0] == pytest.approx(exact, rel=1e-10)
    both = G1 + names
    kl = M.kl_divergence(both, np.r_[0.0, 1.0, p0], np.r_[0.5, 2.0, p1][None])[0]
    assert kl == pytest.approx(M.kl_divergence(G1, [0, 1.0], [[0.5, 2.0]])[0]
                               + stats.entropy(p0, p1))


def test_kl_is_infinite_on_lost_support_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(M.kl_divergence(["p[c=a]", "p[c=b]"], [0.5, 0.5], [[1.0, 0.0]])[0])
        assert np.isinf(M.kl_divergence(G1, [0.0, 1.0], [[0.0, 0.0]])[0])
        sing = np.array([[0.0, 0.0, 1.0, 1.0, 1.0]])  # singular covariance
        assert np.isinf(M.kl_divergence(G2, [0, 0, 1.0, 0.0, 1.0], sing)[0])
        assert np.isinf(M.kl_divergence(["rate[k]"], [1.0], [[0.0]])[0])
        # a level absent from the truth may be gained or lost freely
        assert np.isfinite(M.kl_divergence(["p[c=a]", "p[c=b]"], [1.0, 0.0], [[0.9, 0.1]])[0])


def test_param_sq_error():
    assert M.param_sq_error([1.0, 2.0], [[1.0, 2.0], [2.0, 0.0]]).tolist() == [0.0, 5.0]


# --------------------------------------------------------------------------------------------
# holdout NLL
# --------------------------------------------------------------------------------------------
def test_holdout_nll_gaussian_vs_scipy_per_row():
    rng = np.random.default_rng(1)
    X = rng.multivariate_normal([0, 1], [[1, 0.3], [0.3, 2]], 300)
    df = pd.DataFrame(X, columns=["a", "b"])
    ad = GaussianAdapter().fit(df)
    st = M.holdout_statistics(ad, df)
    th = np.array([[0.1, 0.9, 1.2, 0.2, 1.8], [0.0, 1.0, 1.0, 0.3, 2.0]])
    got = M.holdout_nll(ad, th, st)
    for i in range(2):
        cov = th[i, [2, 3, 3, 4]].reshape(2, 2)
        direct = -stats.multivariate_normal(th[i, :2], cov).logpdf(X).mean()
        assert got[i] == pytest.approx(direct, rel=1e-10)
    ad1 = GaussianAdapter().fit(df[["a"]])
    got1 = M.holdout_nll(ad1, [[0.2, 1.5]], M.holdout_statistics(ad1, df[["a"]]))[0]
    assert got1 == pytest.approx(-stats.norm.logpdf(X[:, 0], 0.2, np.sqrt(1.5)).mean())


def test_holdout_nll_mixed_and_poisson_vs_scipy_per_row():
    sim = datasets.simulate_mixed(400, rng=2)
    df = sim.data
    ad = MixedAdapter().fit(df)
    th = ad.theta_vector(ad.theta_)
    got = M.holdout_nll(ad, th, M.holdout_statistics(ad, df))[0]
    num = ad.numeric_
    mu, cov = ad.theta_["g"]["mean"][0], ad.theta_["g"]["cov"][0]
    p = ad.theta_["c"]["p"][0]
    codes = pd.Categorical(df["c"]).codes
    direct = -(stats.multivariate_normal(mu, cov).logpdf(df[num].to_numpy())
               + np.log(p[codes])).mean()
    assert got == pytest.approx(direct, rel=1e-10)

    k = pd.DataFrame({"k": np.random.default_rng(3).poisson(2.5, 500)})
    pa = PoissonAdapter().fit(k)
    got = M.holdout_nll(pa, [[2.0], [2.5]], M.holdout_statistics(pa, k))
    for i, lam in enumerate([2.0, 2.5]):
        assert got[i] == pytest.approx(-stats.poisson.logpmf(k["k"], lam).mean(), rel=1e-10)


def test_holdout_nll_infinite_on_zero_probability():
    names = ["p[c=a]", "p[c=b]"]
    st = M.holdout_statistics(names, pd.DataFrame({"c": ["a", "b"]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = M.holdout_nll(names, [[1.0, 0.0], [0.5, 0.5]], st)
        assert np.isinf(out[0]) and np.isfinite(out[1])
        st1 = M.holdout_statistics(G1, pd.DataFrame({"x": [0.0, 1.0]}))
        assert np.isinf(M.holdout_nll(G1, [[0.5, 0.0]], st1)[0])
        stp = M.holdout_statistics(["rate[k]"], pd.DataFrame({"k": [0, 0]}))
        assert M.holdout_nll(["rate[k]"], [[0.0]], stp)[0] == 0.0


# --------------------------------------------------------------------------------------------
# drift scales: at generation 0 with a truth the standardised drift is ~N(0, 1) and the Fisher
# drift squared is ~χ²_d
# --------------------------------------------------------------------------------------------
def test_drift_is_standardised_at_generation_zero():
    sim = datasets.simulate_mixed(300, rng=0)
    n0, R = 400, 8000
    res = sa.run_audit(sim, adapter="mixed", n0=n0, n_generations=1, n_replications=R, seed=5)
    z = M.standardised_drift(res, res.values, res.reference.to_numpy(), n0)[:, 0, :]
    # sd of the standardised drift is 1 up to MC error (sd of an sd estimate ≈ 1/sqrt(2R))
    # plus the O(1/n0) error of the asymptotic standard errors
    assert np.allclose(z.std(axis=0), 1.0, atol=5 / np.sqrt(2 * R) + 0.01)
    F = M.fisher_drift(res, res.values, res.reference.to_numpy(), n0)[:, 0]
    d = res.n_free_params
    # E F² = d; sd of the mean of χ²_d over R lanes is sqrt(2d/R)
    assert abs(np.mean(F**2) - d) < 5 * np.sqrt(2 * d / R) + 0.05 * d / 5
    g0 = M.standardised_drift(res, res.values, res.reference.to_numpy(), n0,
                              origin="generation0")
    assert np.all(g0[:, 0] == 0)


def test_variance_retention_and_level_loss():
    v = np.array([[[0.0, 2.0, 0.5, 0.5], [0.0, 1.0, 1.0, 0.0]]])
    names = ["mean[x]", "var[x]", "p[c=a]", "p[c=b]"]
    assert M.variance_retention(names, v, [0, 2.0, 0.5, 0.5])["var[x]"].tolist() == [[1.0, 0.5]]
    cnt, k = M.level_loss(names, v, [0, 2.0, 0.5, 0.5])["c"]
    assert cnt.tolist() == [[0, 1]] and k == 2
    v2 = np.array([[[0, 0, 1, 0, 1], [0, 0, 2, 0, 2], [0, 0, 1, 1, 1]]], dtype=float)
    L = M.log_det_ratio(G2, v2, [0, 0, 1, 0, 1])
    assert L[0, 0] == 0 and L[0, 1] == pytest.approx(np.log(4)) and np.isneginf(L[0, 2])


# --------------------------------------------------------------------------------------------
# table and downstream metrics
# --------------------------------------------------------------------------------------------
def test_table_distances_against_scipy():
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300),
                      "c": pd.Categorical(rng.choice(list("uvw"), 300))})
    b = pd.DataFrame({"x": rng.normal(0.3, 1, 200), "y": rng.normal(size=200),
                      "c": pd.Categorical(["u"] * 200, categories=list("uvw"))})
    d = M.table_distances(b, a)
    assert set(d) == {"ks:x", "ks:y", "tv:c", "corr"}
    assert d["ks:x"] == pytest.approx(stats.ks_2samp(b["x"], a["x"]).statistic)
    fa = a["c"].value_counts(normalize=True)
    assert d["tv:c"] == pytest.approx(1 - fa["u"])
    ca, cb = np.corrcoef(a[["x", "y"]].T), np.corrcoef(b[["x", "y"]].T)
    assert d["corr"] == pytest.approx(np.linalg.norm(ca - cb))
    # a constant column (collapsed variance) does not crash the correlation distance
    b2 = b.assign(y=1.0)
    assert np.isfinite(M.table_distances(b2, a)["corr"])


def test_sdmetrics_backend_gives_the_same_numbers():
    pytest.importorskip("sdmetrics")
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=200), rng.normal(0.2, 1, 150)
    assert M.ks_statistic(a, b, backend="sdmetrics") == pytest.approx(M.ks_statistic(a, b))
    ca, cb = list("aabbc"), list("aaaab")
    assert M.tv_distance(ca, cb, backend="sdmetrics") == pytest.approx(M.tv_distance(ca, cb))


def test_downstream_risk_lost_class_and_regression():
    sim = datasets.simulate_mixed(600, rng=4)
    df = sim.data
    train, test = df.iloc[:400], df.iloc[400:]
    full = M.downstream_risk(train, test, "c")
    lost = train[train["c"] != train["c"].cat.categories[-1]]  # a class vanished
    ll = M.downstream_risk(lost, test, "c", labels=list(df["c"].cat.categories))
    assert np.isfinite(full) and np.isfinite(ll) and ll > full
    one = train[train["c"] == train["c"].cat.categories[0]]  # only one class left
    assert np.isfinite(M.downstream_risk(one, test, "c", labels=list(df["c"].cat.categories)))
    mse = M.downstream_risk(train, test, df.columns[0])
    assert 0 < mse < df[df.columns[0]].var() * 1.2


# --------------------------------------------------------------------------------------------
# Metric hooks inside run_audit
# --------------------------------------------------------------------------------------------
def test_metrics_recorded_on_both_paths_agree_on_kl():
    sim = datasets.simulate_gaussian(100, mean=0.0, var=1.0, rng=0)
    kw = {"adapter": "gaussian", "schedule": "const:50", "n_generations": 3, "n0": 50,
          "seed": 2, "metrics": [M.TruthKL(), M.ParamError()]}
    fast = sa.run_audit(sim, n_replications=64, path="fast", **kw)
    rows = sa.run_audit(sim, n_replications=4, path="rows", **kw)
    for res in (fast, rows):
        assert res.quantities[-2:] == ("risk[kl]", "risk[param_sq_error]")
        kl = M.kl_divergence(res, res.reference.to_numpy(),
                             res.values[:, :, :2].reshape(-1, 2))
        np.testing.assert_allclose(res.values[:, :, 2].ravel(), kl)


def test_holdout_nll_metric_matches_direct_computation():
    sim = datasets.simulate_mixed(300, rng=0)
    res = sa.run_audit(sim.data, adapter="mixed", schedule="const:100", n_generations=2,
                       n_replications=8, seed=1, holdout=0.25, metrics=[M.HoldoutNLL()])
    assert res.quantities[-1] == "risk[holdout_nll]"
    assert res.config["holdout_rows"] == 75
    assert np.all(np.isfinite(res.values[..., -1]))


def test_table_metrics_on_the_row_path():
    sim = datasets.simulate_mixed(200, rng=0)
    res = sa.run_audit(sim.data, adapter="mixed", schedule="const:80", n_generations=3,
                       n_replications=3, seed=1, holdout=0.3, path="rows",
                       metrics=[M.TableDistance(), M.DownstreamRisk("c")])
    q = res.quantities
    assert "dist[ks:x0]" in q and "dist[tv:c]" in q and "dist[corr]" in q
    assert "dist_gen0[ks:x0]" in q and q[-1] == "risk[downstream:c]"
    g0 = [i for i, n in enumerate(q) if n.startswith("dist_gen0[")]
    assert np.all(res.values[:, 0, g0] == 0)  # generation 0 against itself
    assert np.all(res.values[:, 1:, g0] > 0)
    assert np.all(np.isfinite(res.values))


@pytest.mark.slow
def test_table_metrics_are_the_same_in_parallel():
    # n_jobs=2 pickles the metrics (their generation counters and cached tables reset): same numbers
    sim = datasets.simulate_mixed(200, rng=0)
    res = sa.run_audit(sim.data, adapter="mixed", schedule="const:80", n_generations=3,
                       n_replications=3, seed=1, holdout=0.3, path="rows",
                       metrics=[M.TableDistance(), M.DownstreamRisk("c")])
    par = sa.run_audit(sim.data, adapter="mixed", schedule="const:80", n_generations=3,
                       n_replications=3, seed=1, holdout=0.3, path="rows", n_jobs=2,
                       metrics=[M.TableDistance(), M.DownstreamRisk("c")])
    np.testing.assert_allclose(par.values, res.values)


def test_metric_requirements_are_clear_errors():
    df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=50)})
    with pytest.raises(ValidationError, match="truth"):
        sa.run_audit(df, adapter="gaussian", n_generations=2, metrics=[M.TruthKL()])
    with pytest.raises(ValidationError, match="holdout"):
        sa.run_audit(df, adapter="gaussian", n_generations=2, holdout=0.0, metrics=[M.HoldoutNLL()])
    with pytest.raises(ValidationError, match="rows"):
        sa.run_audit(df, adapter="gaussian", n_generations=2, path="fast",
                     metrics=[M.TableDistance()])


def test_default_metrics():
    from synthaudit import engine

    sim = datasets.simulate_gaussian(100, rng=0)
    plan = engine.prepare(sim, adapter="gaussian", n_generations=2, holdout=0.2)
    assert [type(m).__name__ for m in M.default_metrics(plan.context)] == [
        "TruthKL", "ParamError", "HoldoutNLL"]
    assert [type(m).__name__ for m in plan.metrics] == ["TruthKL", "ParamError", "HoldoutNLL"]
    plan = engine.prepare(sim.data, adapter="gaussian", n_generations=2, holdout=0.0)
    assert M.default_metrics(plan.context) == []


def test_metrics_keep_no_state_and_describe_themselves():
    """A metric object is reusable across audits (no state between calls) and carries its
    metadata as data."""
    from synthaudit import engine

    sim = datasets.simulate_gaussian(100, rng=0)
    td = M.TableDistance()
    a = engine.prepare(sim.data, adapter="gaussian", n_generations=2, metrics=[td], path="rows")
    before = dict(vars(td))
    a.compute(("row", 0, 1))
    assert dict(vars(td)) == before
    assert M.TruthKL.info.needs == frozenset({"truth"})
    assert M.TableDistance.info.needs == frozenset({"tables"})
    assert M.HoldoutNLL.info.goal == "min"
