"""The adapter contract (docs/design.md §4.2): the checks of synthaudit.adapters.checks run over
EVERY registered adapter (SDV ones with one epoch where sdv is installed, ``external`` with the
toy vendor script, ``object`` with a small bootstrap object), then family-specific tests."""

import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit import make_adapter
from synthaudit.adapters import available_adapters, check_adapter
from synthaudit.adapters.checks import CHECKS
from synthaudit.exceptions import NotFittedError, ValidationError

VENDOR = Path(__file__).parent / "scripts" / "gauss_vendor.py"


def _table(rng, n=200):
    return pd.DataFrame(
        {
            "x": rng.normal(1.0, 2.0, n),
            "y": rng.normal(0.0, 1.0, n),
            "k": rng.poisson(3.0, n).astype(np.int64),
            "c": pd.Categorical(rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                                categories=["a", "b", "c", "never"]),
        }
    )


# ---------------------------------------------------------------------------------------------
# every registered adapter through every contract check
# ---------------------------------------------------------------------------------------------
class Bootstrap:
    """A minimal synthesizer object: resamples its training rows (seeded by random_state)."""

    def fit(self, df):
        self.df_ = df.reset_index(drop=True)
        return self

    def sample(self, n, random_state=None):
        return self.df_.sample(n, replace=True, random_state=random_state)


def _vendor() -> str:
    words = [sys.executable, str(VENDOR), "--in", "{input}", "--out", "{output}",
             "--rows", "{n}", "--seed", "{seed}"]
    return " ".join(w if w.startswith("{") else shlex.quote(w) for w in words)


_NEURAL = {"epochs": 1, "enable_gpu": False}
#: registered name -> settings (one case each; a registered name without a case fails below)
CONTRACT_CASES = {
    "gaussian": {"columns": ["x", "y"]},
    "categorical": {"columns": ["c", "s"]},
    "poisson": {"columns": ["k"]},
    "mixed": {},
    "linear": {"target": "y"},
    "logistic": {"target": "s"},
    "external": {"command": _vendor()},
    "object": None,  # make_adapter(Bootstrap())
    "sdv:gaussian_copula": {},
    "sdv:ctgan": _NEURAL,
    "sdv:tvae": _NEURAL,
    "sdv:copulagan": _NEURAL,
}


def _registered() -> list[str]:
    from synthaudit.adapters.sdv import SYNTHESIZERS

    members = {"sdv": [f"sdv:{k}" for k in SYNTHESIZERS]}
    out = []
    for name in available_adapters():
        prefix, sep, _ = name.partition(":*")
        out += members.get(prefix, [name]) if sep else [name]
    return out


def _contract_table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    df = _table(rng, n)
    df["s"] = rng.choice(["no", "yes"], n)
    return df


def _contract_adapter(name):
    if name.startswith("sdv:"):
        pytest.importorskip("sdv")
    settings = CONTRACT_CASES[name]
    return make_adapter(Bootstrap()) if settings is None else make_adapter(name, **settings)


def test_every_registered_adapter_has_a_contract_case():
    missing = [n for n in _registered() if n not in CONTRACT_CASES]
    assert not missing, f"registered adapter(s) {missing} have no case in CONTRACT_CASES"


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.sdv) if n.startswith("sdv:") else n for n in CONTRACT_CASES],
)
def test_contract(name, check):
    check(_contract_adapter(name), _contract_table())


def test_check_adapter_reports_every_broken_rule():
    """check_adapter itself fails, naming each broken rule, on an adapter that breaks them."""
    from synthaudit.adapters import GaussianAdapter

    class Meddling(GaussianAdapter):
        def __init__(self, columns=None, estimator="unbiased"):
            super().__init__(columns=list(columns or ["x"]), estimator=estimator)

        def sample(self, n, *, rng=None):  # unseeded when rng is None
            rng = np.random.default_rng() if rng is None else rng
            return super().sample(n, rng=rng)

    with pytest.raises(AssertionError) as err:
        check_adapter(Meddling(), _contract_table())
    text = str(err.value)
    assert "check_settings_only_init: __init__ must store its arguments unchanged" in text
    assert "check_sample_keeps_schema: sample(n, rng=None) must raise ValidationError" in text
    check_adapter(GaussianAdapter(columns=["x", "y"]), _contract_table())  # a sound one passes


# ---------------------------------------------------------------------------------------------
# the parametric families in more detail
# ---------------------------------------------------------------------------------------------
CASES = {
    "gaussian": dict(columns=["x", "y"]),
    "gaussian-mle": dict(columns=["x"], estimator="mle"),
    "categorical": dict(columns=["c"]),
    "categorical-joint": dict(columns=["c", "k"], joint=True),
    "poisson": dict(columns=["k"]),
    "mixed": dict(),
}


def _make(case):
    name = case.split("-")[0]
    return make_adapter(name, **CASES[case])


@pytest.fixture(params=sorted(CASES))
def case(request):
    return request.param


def test_settings_clone_and_repr(case):
    ad = _make(case)
    clone = ad.clone()
    assert type(clone) is type(ad)
    assert clone.get_params() == ad.get_params()
    assert repr(ad).startswith(type(ad).__name__)
    assert not clone.is_fitted


def test_not_fitted_errors(case):
    ad = _make(case)
    with pytest.raises(NotFittedError, match="fit"):
        ad.sample(5, rng=np.random.default_rng(0))
    with pytest.raises(NotFittedError):
        _ = ad.params_


def test_sample_keeps_columns_dtypes_and_levels(case):
    rng = np.random.default_rng(1)
    df = _table(rng)
    ad = _make(case).fit(df)
    out = ad.sample(50, rng=rng)
    assert len(out) == 50
    cols = list(out.columns)
    assert cols == list(ad.schema_.columns)
    for c in cols:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            assert list(out[c].cat.categories) == list(df[c].cat.categories)
        else:
            assert pd.api.types.is_numeric_dtype(out[c])
    # refitting on a sample gives parameters with the same names in the same order
    again = _make(case).fit(out)
    assert list(again.params_.index) == list(ad.params_.index)


def test_params_are_named_and_reproducible(case):
    rng = np.random.default_rng(2)
    df = _table(rng)
    p1 = _make(case).fit(df).params_
    p2 = _make(case).fit(df).params_
    pd.testing.assert_series_equal(p1, p2)
    assert all("[" in n and n.endswith("]") for n in p1.index)
    a = _make(case).fit(df)
    s1 = a.sample(30, rng=np.random.default_rng(5))
    s2 = a.sample(30, rng=np.random.default_rng(5))
    pd.testing.assert_frame_equal(s1, s2)


def test_parameter_names():
    rng = np.random.default_rng(3)
    df = _table(rng)
    assert list(make_adapter("gaussian", columns=["x"]).fit(df).params_.index) == [
        "mean[x]", "var[x]"]
    assert list(make_adapter("gaussian", columns=["x", "y"]).fit(df).params_.index) == [
        "mean[x]", "mean[y]", "var[x]", "cov[x,y]", "var[y]"]
    assert list(make_adapter("categorical", columns=["c"]).fit(df).params_.index) == [
        "p[c=a]", "p[c=b]", "p[c=c]", "p[c=never]"]
    assert list(make_adapter("poisson", columns=["k"]).fit(df).params_.index) == ["rate[k]"]


def test_lost_level_stays_a_level_with_zero_count():
    df = pd.DataFrame({"c": pd.Categorical(["a"] * 5 + ["b"] * 5, categories=["a", "b"])})
    ad = make_adapter("categorical").fit(df)
    only_a = pd.DataFrame({"c": pd.Categorical(["a"] * 10, categories=["a", "b"])})
    ad.fit_generated(only_a)
    assert ad.params_["p[c=b]"] == 0.0
    out = ad.sample(100, rng=np.random.default_rng(0))
    assert list(out["c"].cat.categories) == ["a", "b"]
    assert (out["c"] == "b").sum() == 0


def test_estimators_differ_by_divisor():
    df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    u = make_adapter("gaussian").fit(df).params_["var[x]"]
    m = make_adapter("gaussian", estimator="mle").fit(df).params_["var[x]"]
    assert u * 3 == pytest.approx(m * 4)


@pytest.mark.parametrize(
    "adapter, frame, words",
    [
        ("gaussian", pd.DataFrame({"x": [1.0, 2.0], "t": ["a", "b"]}), "not numeric"),
        ("gaussian", pd.DataFrame({"x": [1.0, 1.0, 1.0]}), "constant"),
        ("gaussian", pd.DataFrame({"x": [1.0, np.nan, 2.0]}), r"x \(1 NaN\)"),
        ("gaussian", pd.DataFrame({"x": []}, dtype=float), "0 row"),
        ("gaussian", pd.DataFrame(index=range(3)), "no columns"),
        ("categorical", pd.DataFrame({"x": [1.5, 2.5]}), "floats"),
        ("poisson", pd.DataFrame({"k": [1.5, 2.0]}), "counts"),
        ("gaussian", [[1, 2]], "DataFrame"),
    ],
)
def test_bad_input_is_a_clear_validation_error(adapter, frame, words):
    with pytest.raises(ValidationError, match=words):
        make_adapter(adapter).fit(frame)


def test_unknown_adapter_lists_available():
    with pytest.raises(ValidationError, match="available: .*gaussian"):
        make_adapter("nope")


def test_fast_path_statistics_match_rows():
    """simulate_sufficient draws statistics with the law of the statistics of sampled rows."""
    rng = np.random.default_rng(4)
    df = _table(rng)
    ad = make_adapter("gaussian", columns=["x", "y"]).fit(df)
    theta = {k: np.repeat(v, 20000, axis=0) for k, v in ad.theta_.items()}
    stats = ad.simulate_sufficient(theta, 10, rng=np.random.default_rng(9))
    # E[scatter] = (n - 1) Σ; the mean of 20000 Wisharts has relative s.e. ~ sqrt(2/(9·20000))
    cov = ad.theta_["cov"][0]
    np.testing.assert_allclose(stats["scatter"].mean(0) / 9, cov, rtol=0.05, atol=0.05)
    np.testing.assert_allclose(stats["mean"].mean(0), ad.theta_["mean"][0], atol=0.05)
