"""One table schema (adapters/schema.py): kinds decided once by the adapter, levels ordered one
way, one conformer, every problem listed; what was learned from the real table is frozen."""

import copy
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import synthaudit as sa
from synthaudit.adapters import LearnedFromReal, TableSchema, make_adapter
from synthaudit.adapters.schema import levels_of, table_problems
from synthaudit.exceptions import AdapterError, ValidationError


def _ints(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(size=n), "k": rng.choice([1, 2, 5], n, p=[0.5, 0.3, 0.2])}
    )


# ---------------------------------------------------------------------------------------------
# kinds decided once, by the adapter
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["fast", "rows"])
def test_integer_categorical_with_truth(path):
    df = _ints()[["k"]]
    truth = pd.Series({"p[k=1]": 0.5, "p[k=2]": 0.3, "p[k=5]": 0.2})
    res = sa.run_audit(df, adapter="categorical", truth=truth, n_generations=3, n_replications=4,
                       seed=0, path=path, holdout=0.2)
    assert res.reference_kind == "truth"
    assert list(res.parameters) == list(truth.index)
    assert np.isfinite(res.values).all()
    # generation 0 is drawn from the truth: shares near 0.5 / 0.3 / 0.2, summing to one
    g0 = res.values[:, 0, :3]
    np.testing.assert_allclose(g0.sum(axis=1), 1.0)


def test_integer_categorical_samples_keep_their_dtype_and_levels():
    df = _ints()[["k"]]
    ad = make_adapter("categorical").fit(df)
    assert ad.schema_.kinds["k"] == "categorical" and ad.schema_.levels["k"] == (1, 2, 5)
    out = ad.sample(50, rng=0)
    assert out["k"].dtype == np.int64 and set(out["k"]) <= {1, 2, 5}


def test_mixed_obeys_the_users_blocks():
    df = _ints()
    ad = make_adapter("mixed", categorical=["k"]).fit(df)
    assert dict(ad.schema_.kinds) == {"x": "numeric", "k": "categorical"}
    assert list(ad.params_.index) == ["mean[x]", "var[x]", "p[k=1]", "p[k=2]", "p[k=5]"]
    as_numbers = make_adapter("mixed").fit(df)
    assert list(as_numbers.params_.index) == ["mean[x]", "mean[k]", "var[x]", "cov[x,k]", "var[k]"]
    only_x = make_adapter("mixed", numeric=["x"]).fit(df.assign(c=["a", "b", "c"] * 100))
    assert only_x.schema_.columns == ("x", "c")  # k is left out: the user listed the numeric block
    with pytest.raises(ValidationError, match=r"\['k'\] are in both"):
        make_adapter("mixed", numeric=["k"], categorical=["k"])


@pytest.mark.parametrize("path", ["fast", "rows"])
def test_mixed_integer_categorical_block_audits_with_truth(path):
    """Used to fail: the truth model re-derived k's kind from its dtype (numeric)."""
    df = _ints()
    adapter = make_adapter("mixed", categorical=["k"])
    truth = adapter.clone().fit(df).params_
    res = sa.run_audit(df, adapter=adapter, truth=truth, n_generations=3, n_replications=4,
                       seed=0, path=path)
    assert list(res.parameters) == list(truth.index)
    assert np.isfinite(res.values).all()


def test_generation_zero_keeps_levels_absent_from_its_rows():
    """n0 rows may miss a rare level of an object column: generation 0 is bound to the real
    table's schema (handed over explicitly), so its parameters keep every level."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"c": ["a"] * 197 + ["rare"] * 3, "x": rng.normal(size=200)})
    res = sa.run_audit(df, n0=20, n_generations=2, n_replications=6, seed=0, path="rows")
    assert "p[c=rare]" in res.parameters
    assert np.isfinite(res.values).all()


# ---------------------------------------------------------------------------------------------
# levels ordered one way
# ---------------------------------------------------------------------------------------------
def test_levels_one_order_everywhere():
    mixed_types = pd.Series([2, "b", 1, "a", "1"], dtype=object)
    assert levels_of(mixed_types) == (1, 2, "1", "a", "b")  # by (type name, value)
    cat = pd.Series(pd.Categorical(["x"], categories=["z", "x"]))
    assert levels_of(cat) == ("z", "x")  # a category dtype's order as given
    df = pd.DataFrame({"v": mixed_types})
    assert make_adapter("categorical").fit(df).levels_["v"] == levels_of(mixed_types)
    assert TableSchema.from_frame(df).levels["v"] == levels_of(mixed_types)
    assert make_adapter("mixed").fit(df).categorical_.levels_["v"] == levels_of(mixed_types)


# ---------------------------------------------------------------------------------------------
# the schema and its conformer
# ---------------------------------------------------------------------------------------------
def test_schema_is_read_only_and_pickles():
    schema = TableSchema.from_frame(_ints(), kinds={"k": "categorical"})
    with pytest.raises(TypeError, match="read-only"):
        schema.kinds["x"] = "categorical"
    with pytest.raises(TypeError):
        schema.levels.update(k=())
    assert pickle.loads(pickle.dumps(schema)) == schema
    assert copy.deepcopy(schema) == schema
    with pytest.raises(ValidationError, match="one kind in"):
        TableSchema(("x",), {"x": "text"}, {"x": np.dtype(float)}, {})


def test_conform_lists_every_problem_and_keeps_integer_categories():
    schema = TableSchema.from_frame(_ints(), kinds={"k": "categorical"})
    out = schema.conform(pd.DataFrame({"k": ["5", 1], "x": ["0.5", 2]}))
    assert out["k"].tolist() == [5, 1] and out["k"].dtype == np.int64
    assert out["x"].dtype == np.float64
    bad = pd.DataFrame({"k": [3, 1, None], "x": [1.0, "a", 2.0], "extra": 1})
    with pytest.raises(AdapterError) as err:
        schema.conform(bad, n=2, source="the vendor")
    text = str(err.value)
    for words in ("the vendor returned", "unexpected column(s) ['extra']", "expected 2 rows",
                  "'x' has 1 non-numeric", "'k' has 1 missing"):
        assert words in text
    with pytest.raises(AdapterError, match=r"'k' has value\(s\) 3"):
        schema.conform(pd.DataFrame({"k": [3, 1], "x": [1.0, 2.0]}))


def test_table_problems_lists_everything():
    df = pd.DataFrame({"x": [1.0, np.nan, np.inf], "t": pd.to_datetime(["2020-01-01"] * 3)})
    problems = table_problems(pd.concat([df, df[["x"]]], axis=1))
    assert len(problems) == 4
    assert any("unique" in p for p in problems) and any("datetime" in p for p in problems)
    with pytest.raises(ValidationError, match="must be a pandas DataFrame"):
        table_problems([[1.0]])


# ---------------------------------------------------------------------------------------------
# validate: every problem at once, without fitting
# ---------------------------------------------------------------------------------------------
def test_validate_lists_settings_table_and_column_problems_together():
    df = pd.DataFrame({"x": [1.0, 1.0, np.nan], "t": ["a", "b", "c"], "y": [1.0, 2.0, 3.0]})
    ad = make_adapter("gaussian")
    ad.estimator = "median"  # set after make_adapter's check: validate still reports it
    with pytest.raises(ValidationError) as err:
        ad.validate(df)
    problems = err.value.problems
    assert len(problems) == 4, problems
    assert "`estimator`" in problems[0] and "missing cells" in problems[1]
    assert "not numeric" in problems[2] and "constant" in problems[3]
    assert not ad.is_fitted
    # generated tables are not refused for degenerate columns
    with pytest.raises(ValidationError) as err:
        make_adapter("gaussian", columns=["x"]).validate(df, strict=False)
    assert err.value.problems == [p for p in problems if "missing cells" in p]


def test_fit_equals_validate_then_fit():
    df = pd.DataFrame({"k": [0, 0, 0], "c": ["a", "a", "a"]})
    for name, settings in (("poisson", {"columns": ["k"]}), ("categorical", {})):
        ad = make_adapter(name, **settings)
        with pytest.raises(ValidationError) as v:
            ad.validate(df)
        with pytest.raises(ValidationError) as f:
            ad.fit(df)
        assert v.value.problems == f.value.problems


# ---------------------------------------------------------------------------------------------
# what was learned from the real table: frozen, kept, handed over explicitly
# ---------------------------------------------------------------------------------------------
def test_learned_from_real_is_frozen_and_never_shared_by_clones():
    real = pd.DataFrame({"c": ["a", "b", "c"] * 10, "x": np.arange(30.0)})
    ad = make_adapter("mixed").fit(real)
    learned = ad.learned_
    assert isinstance(learned, LearnedFromReal)
    with pytest.raises(AttributeError):
        learned.schema = None
    with pytest.raises(TypeError):
        learned.extra["x"] = 1
    clone = ad.clone()
    assert not clone.is_fitted and getattr(clone, "learned_", None) is None
    only_a = real[real["c"] == "a"].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.DegenerateDataWarning)
        unbound = make_adapter("mixed").fit_generated(only_a)
        bound = clone.fit_generated(only_a, learned=learned)
    assert list(unbound.params_.index) == ["mean[x]", "var[x]", "p[c=a]"]
    assert list(bound.params_.index) == list(ad.params_.index)
    assert bound.params_["p[c=b]"] == 0.0 and ad.params_["p[c=b]"] > 0
    with pytest.raises(ValidationError, match="LearnedFromReal"):
        make_adapter("mixed").fit_generated(only_a, learned=ad.schema_)


def test_synthesizer_fit_needs_a_seed():
    class Copy:
        def fit(self, df):
            self.df = df

        def sample(self, n):
            return self.df.iloc[:n]

    real = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    ad = make_adapter(Copy())
    with pytest.raises(ValidationError, match="`rng` is required"):
        ad.fit(real)
    ad.fit(real, rng=0)
    with pytest.raises(ValidationError, match="`rng` is required"):
        ad.sample(2)
    assert ad.sample(2, rng=1).shape == (2, 2)
