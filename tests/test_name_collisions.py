"""Tables whose column or level names used to collide in parameter names audit correctly
(issue 9): each fits, gives distinct parameters, and audits to finite values on both paths."""

import warnings

import numpy as np
import pandas as pd
import pytest

import synthaudit as sa
from synthaudit.params import ParamLayout

N = 150


def _num(rng):
    return rng.normal(size=N)


def _tables():
    rng = np.random.default_rng(0)
    return {
        # cov[a,b,c] used to name both: columns "a,b" & "c" against "a" & "b,c"
        "comma in first column": pd.DataFrame({"a,b": _num(rng), "c": _num(rng)}),
        "comma in second column": pd.DataFrame({"a": _num(rng), "b,c": _num(rng)}),
        "both comma tables side by side": pd.DataFrame(
            {"a,b": _num(rng), "c": _num(rng), "a": _num(rng), "b,c": _num(rng)}
        ),
        # p[a=b=c] used to name both: column "a=b" level "c" against column "a" level "b=c"
        "equals sign in column and level": pd.DataFrame(
            {"a=b": rng.choice(["c", "d"], N), "a": rng.choice(["b=c", "d"], N)}
        ),
        # one-hot style names were merged into a fake column "color"
        "one-hot style names": pd.DataFrame(
            {
                "color=red": rng.integers(0, 2, N).astype(float),
                "color=blue": _num(rng),
                "color": rng.choice(["red", "blue"], N),
            }
        ),
        # levels 1 and "1" gave duplicate names
        "levels 1 and '1'": pd.DataFrame(
            {"v": pd.Series([[1, "1", "x"][i % 3] for i in range(N)], dtype=object), "y": _num(rng)}
        ),
        "brackets, dollar, spaces, unicode": pd.DataFrame(
            {
                "x[1]": _num(rng),
                "$ y ]": _num(rng),
                "naïve ü": rng.choice(["é", "ß [", "a b", "c]"], N),
                "名前": rng.choice(["甲", "乙"], N),
            }
        ),
    }


TABLES = _tables()


@pytest.mark.parametrize("label", list(TABLES))
def test_fits_with_distinct_parameter_names(label):
    df = TABLES[label]
    ad = sa.make_adapter("mixed").fit(df)
    names = list(ad.params_.index)
    assert len(set(names)) == len(names)
    assert np.isfinite(ad.params_.to_numpy()).all()
    # the names read back to the same parameters (the grammar is unambiguous)
    assert ParamLayout.from_names(names) == ad.layout_
    # every column is named by exactly the parameters about it
    for col in df.columns:
        assert any(col in p.columns for p in ad.layout_.params)


def test_colliding_tables_name_different_parameters():
    a = sa.make_adapter("mixed").fit(TABLES["comma in first column"]).params_.index
    b = sa.make_adapter("mixed").fit(TABLES["comma in second column"]).params_.index
    assert "cov[a\\,b,c]" in a and "cov[a,b\\,c]" in b
    both = sa.make_adapter("mixed").fit(TABLES["both comma tables side by side"]).params_.index
    assert {"cov[a\\,b,c]", "cov[a,b\\,c]"} <= set(both)
    eq = sa.make_adapter("mixed").fit(TABLES["equals sign in column and level"]).params_.index
    assert {"p[a\\=b=c]", "p[a=b\\=c]"} <= set(eq)
    lv = sa.make_adapter("mixed").fit(TABLES["levels 1 and '1'"]).params_.index
    assert {"p[v=1]", "p[v='1']"} <= set(lv)


@pytest.mark.parametrize("path", ["fast", "rows"])
@pytest.mark.parametrize("label", list(TABLES))
def test_audits_to_finite_values(label, path):
    df = TABLES[label]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.DegenerateDataWarning)
        res = sa.run_audit(df, n_generations=3, n_replications=4, seed=0, path=path)
    assert res.values.shape[:2] == (4, 4)
    assert np.isfinite(res.values).all()
    expected = list(sa.make_adapter("mixed").fit(df).params_.index)
    assert list(res.parameters) == expected
    assert len(set(res.quantities)) == len(res.quantities)


def test_both_paths_agree_on_the_parameters_of_generation_0():
    df = TABLES["equals sign in column and level"]
    fast = sa.run_audit(df, n_generations=2, n_replications=3, seed=1, path="fast")
    rows = sa.run_audit(df, n_generations=2, n_replications=3, seed=1, path="rows")
    P = len(fast.parameters)
    assert fast.parameters == rows.parameters
    np.testing.assert_allclose(fast.values[:, 0, :P], rows.values[:, 0, :P])


@pytest.mark.parametrize("label", list(TABLES))
def test_run_directory_resumes_and_loads(label, tmp_path):
    """Run twice into one run directory (the second run resumes: nothing to compute) and load
    it back: the same values under the same parameter names."""
    df = TABLES[label]
    kw = dict(n_generations=3, n_replications=4, seed=0, run_dir=tmp_path / "run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.DegenerateDataWarning)
        first = sa.run_audit(df, **kw)
        again = sa.run_audit(df, **kw)
    loaded = sa.load_run(tmp_path / "run")
    np.testing.assert_array_equal(first.values, again.values)
    np.testing.assert_array_equal(first.values, loaded.values)
    assert loaded.parameters == first.parameters
