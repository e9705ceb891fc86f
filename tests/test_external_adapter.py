"""Bring-your-own synthesizers: ObjectAdapter (a Python object) and ExternalAdapter (a command)."""

import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthaudit as sa
from synthaudit.adapters import TableSchema, make_adapter
from synthaudit.adapters.external import ExternalAdapter, ObjectAdapter
from synthaudit.exceptions import AdapterError, NotFittedError, ValidationError

VENDOR = Path(__file__).parent / "scripts" / "gauss_vendor.py"


def _table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(10.0, 2.0, n),
            "k": rng.integers(0, 50, n).astype(np.int64),
            "c": pd.Categorical(rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])),
            "s": rng.choice(["u", "v"], n),
        }
    )


def _vendor(*extra) -> str:
    words = [sys.executable, str(VENDOR), "--in", "{input}", "--out", "{output}",
             "--rows", "{n}", "--seed", "{seed}", *extra]
    return " ".join(w if w.startswith("{") else shlex.quote(w) for w in words)


# ---------------------------------------------------------------------------------------------
# objects
# ---------------------------------------------------------------------------------------------
class Bootstrap:
    """Resamples its training rows; seeded through a ``random_state`` keyword."""

    def fit(self, df):
        self.df_ = df.reset_index(drop=True)
        return self

    def sample(self, n, random_state=None):
        return self.df_.sample(n, replace=True, random_state=random_state)


class RngBootstrap(Bootstrap):
    def sample(self, n, rng=None):
        assert isinstance(rng, np.random.Generator)
        return self.df_.iloc[rng.integers(0, len(self.df_), n)]


class Broken(Bootstrap):
    def __init__(self, how):
        self.how = how

    def fit(self, df):
        if self.how == "fit":
            raise RuntimeError("cannot allocate licence")
        return super().fit(df)

    def sample(self, n):
        if self.how == "sample":
            raise ValueError("model diverged")
        out = self.df_.iloc[: max(n, 1)].reset_index(drop=True)
        if self.how == "columns":
            return out.drop(columns=["c"]).assign(extra=1)
        if self.how == "rows":
            return out.iloc[:-1]
        if self.how == "array":
            return out.to_numpy()
        if self.how == "only_a":
            return pd.DataFrame({**{c: out[c] for c in out}, "c": ["a"] * len(out)})
        return out


def test_object_adapter_runs_reproducibly_through_run_audit():
    df = _table()
    kw = {"adapter": Bootstrap(), "schedule": "const:120", "n_generations": 4, "n_replications": 3}
    r1 = sa.run_audit(df, seed=3, **kw)
    r2 = sa.run_audit(df, seed=3, **kw)
    r3 = sa.run_audit(df, seed=4, **kw)
    pd.testing.assert_frame_equal(r1.trace, r2.trace)
    assert not np.allclose(r1.values[:, 1:], r3.values[:, 1:])
    assert "mean[x]" in r1.parameters and "p[c=a]" in r1.parameters
    assert r1.config["adapter"] == "object"
    assert r1.n_free_params == make_adapter("mixed").fit(df).n_free_params_


def test_object_adapter_contract():
    df = _table()
    ad = make_adapter(Bootstrap())
    assert isinstance(ad, ObjectAdapter) and ad.name == "object"
    with pytest.raises(NotFittedError):
        ad.sample(3, rng=1)
    ad.fit(df, rng=np.random.default_rng(0))
    out = ad.sample(50, rng=np.random.default_rng(1))
    assert list(out.columns) == list(df.columns) and len(out) == 50
    assert out["s"].dtype == "category" and list(out["s"].cat.categories) == ["u", "v"]
    assert out["k"].dtype == np.int64 and out["x"].dtype == np.float64
    pd.testing.assert_frame_equal(out, ad.sample(50, rng=np.random.default_rng(1)))
    pd.testing.assert_series_equal(ad.params_, make_adapter("mixed").fit(df).params_)
    # the prototype is never fitted; a clone is unfitted and shares nothing fitted
    assert not hasattr(ad.obj, "df_")
    assert not ad.clone().is_fitted


def test_object_seed_keywords():
    df = _table()
    ad = ObjectAdapter(RngBootstrap()).fit(df, rng=np.random.default_rng(0))
    a = ad.sample(30, rng=np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, ad.sample(30, rng=np.random.default_rng(5)))


def test_object_without_methods_is_a_validation_error():
    bare = ObjectAdapter(object())  # __init__ only stores; the settings are checked after
    with pytest.raises(ValidationError, match=r"fit\(…\).*\n.*sample\(…\)"):
        bare.check_settings()
    with pytest.raises(ValidationError, match=r"fit\(…\)"):
        bare.validate(_table())
    with pytest.raises(ValidationError, match="fit"):
        make_adapter(object())


@pytest.mark.parametrize(
    "how, words",
    [
        ("columns", r"missing column\(s\) \['c'\].*\n.*unexpected column\(s\) \['extra'\]"),
        ("rows", "expected 10 rows; got 9"),
        ("array", "must return a pandas DataFrame.*got ndarray"),
        ("sample", "Broken.sample failed: ValueError: model diverged"),
    ],
)
def test_object_bad_sample_is_a_clear_adapter_error(how, words):
    ad = ObjectAdapter(Broken(how)).fit(_table(), rng=0)
    with pytest.raises(AdapterError, match=words):
        ad.sample(10, rng=1)


def test_object_failing_fit_keeps_its_message():
    with pytest.raises(AdapterError, match="Broken.fit failed: RuntimeError: cannot allocate") as e:
        ObjectAdapter(Broken("fit")).fit(_table(), rng=0)
    assert isinstance(e.value.__cause__, RuntimeError)


def test_lost_level_stays_a_level_with_zero_rows():
    df = _table()
    ad = ObjectAdapter(Broken("only_a")).fit(df, rng=0)
    out = ad.sample(20, rng=1)
    assert list(out["c"].cat.categories) == ["a", "b", "c"]
    assert out["c"].value_counts()[["b", "c"]].tolist() == [0, 0]
    # a later generation fitted on rows without "b"/"c" (plain strings) keeps the real levels
    gen = ad.clone().fit_generated(out.assign(c=out["c"].astype(str)), rng=2, learned=ad.learned_)
    assert list(gen.sample(5, rng=1)["c"].cat.categories) == ["a", "b", "c"]
    assert gen.params_["p[c=b]"] == 0.0


# ---------------------------------------------------------------------------------------------
# conforming
# ---------------------------------------------------------------------------------------------
def test_conform_table_reads_back_csv_types():
    real = pd.DataFrame({"b": [True, False], "y": [2007, 2008], "c": pd.Categorical([1, 2])})
    schema = TableSchema.from_frame(real)
    got = pd.DataFrame({"c": ["2", "1", "1"], "b": ["True", "False", "True"],
                        "y": [2007.4, 2008.6, 2006.9]})
    out = schema.conform(got, n=3)
    assert out["b"].tolist() == [True, False, True] and out["c"].tolist() == [2, 1, 1]
    assert out["y"].tolist() == [2007, 2009, 2007] and out["y"].dtype == np.int64
    with pytest.raises(AdapterError, match=r"'y' has 1 non-numeric.*\n.*'c' has value\(s\) '7'"):
        schema.conform(got.assign(c=["7", "1", "1"], y=[1.0, "x", 2.0]))


# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------
def test_external_end_to_end_through_run_audit():
    df = _table(80)
    kw = {"adapter": "external", "adapter_settings": {"command": _vendor()}, "schedule": "const:80",
          "n_generations": 3,
              "n_replications": 1}
    r1 = sa.run_audit(df, seed=1, **kw)
    r2 = sa.run_audit(df, seed=1, **kw)
    pd.testing.assert_frame_equal(r1.trace, r2.trace)
    assert np.isfinite(r1.values).all()
    assert r1.config["adapter"] == "external"
    assert r1.config["adapter_params"]["command"] == _vendor()
    # the toy vendor is a Gaussian: generation 1's mean stays near the real one
    x = r1.quantity("mean[x]")
    assert abs(x[1] - x[0]).max() < 2.0


def test_external_parquet_and_schema():
    df = _table(60)
    ad = ExternalAdapter(_vendor(), format="parquet").fit(df, rng=np.random.default_rng(0))
    out = ad.sample(25, rng=np.random.default_rng(2))
    assert out.dtypes.astype(str).tolist() == ["float64", "int64", "category", "category"]
    assert list(out["c"].cat.categories) == ["a", "b", "c"]
    pd.testing.assert_frame_equal(out, ad.sample(25, rng=np.random.default_rng(2)))
    assert ad.clone().get_params() == ad.get_params()


def test_external_crash_shows_stderr():
    ad = make_adapter("external", command=_vendor("--crash")).fit(_table(), rng=0)
    with pytest.raises(AdapterError, match=r"(?s)exit status 3.*licence server unreachable"):
        ad.sample(10, rng=1)


def test_external_timeout():
    ad = ExternalAdapter(_vendor("--sleep", "30"), timeout=1).fit(_table(), rng=0)
    t0 = time.perf_counter()
    with pytest.raises(AdapterError, match=r"timed out after 1 s"):
        ad.sample(10, rng=1)
    assert time.perf_counter() - t0 < 15


@pytest.mark.parametrize(
    "how, words",
    [
        ("missing", r"missing column\(s\) \['x'\]"),
        ("extra", r"unexpected column\(s\) \['vendor_row_id'\]"),
        ("rows", "expected 10 rows; got 9"),
        ("category", r"'c' has value\(s\) 'never-seen-level'"),
    ],
)
def test_external_wrong_schema(how, words):
    ad = ExternalAdapter(_vendor("--wrong-schema", how)).fit(_table(), rng=0)
    with pytest.raises(AdapterError, match=words):
        ad.sample(10, rng=1)


def test_external_no_output_or_missing_tool():
    with pytest.raises(AdapterError, match="wrote no output table"):
        ExternalAdapter(_vendor("--no-output")).fit(_table(), rng=0).sample(5, rng=1)
    with pytest.raises(AdapterError, match="could not start"):
        ExternalAdapter("/nonexistent/vendor-tool {input} {output}").fit(_table(), rng=0).sample(5, rng=1)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"command": "tool --rows {n}"}, r"\{input\}.*\n.*\{output\}"),
        ({"command": "tool {input} {output} {colour}"}, r"unknown placeholder\(s\) \['colour'\]"),
        ({"command": "tool {input} {output}", "format": "xlsx"}, "`format` must be one of"),
        ({"command": "tool {input} {output}", "timeout": 0}, "`timeout` must be a positive"),
        ({"command": ""}, "`command` is empty"),
        ({"command": 3}, "string or a list of strings"),
    ],
)
def test_external_bad_settings(kwargs, words):
    with pytest.raises(ValidationError, match=words):
        make_adapter("external", **kwargs)
