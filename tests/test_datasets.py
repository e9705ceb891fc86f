"""Tests of synthaudit.datasets: shipped tables, reading and checking user tables, simulators.

Statistical checks use fixed seeds and a tolerance of 5 standard errors of the estimator (the
standard error is written next to each check): a correct simulator fails one of them with
probability below 1e-6, a wrong truth index or a wrong parameterisation fails it surely.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthaudit.datasets as ds
from synthaudit.datasets import shipped
from synthaudit.exceptions import DegenerateDataWarning, ValidationError

Z = 5.0  # tolerance in standard errors for every Monte-Carlo check below


# --------------------------------------------------------------------------------------------
# Shipped tables
# --------------------------------------------------------------------------------------------

SHAPES = {
    "breast_cancer": ((569, 31), (569, 31)),
    "penguins": ((333, 8), (344, 8)),
    "wine": ((178, 14), (178, 14)),
}


def test_registry_lists_every_shipped_file():
    assert sorted(ds.DATASETS) == sorted(SHAPES)
    files = sorted(p.name for p in ds.data_dir().iterdir() if p.name.endswith(".csv"))
    assert files == sorted(info.file for info in ds.DATASETS.values())
    with pytest.raises(TypeError):
        ds.DATASETS["new"] = ds.DATASETS["wine"]  # read-only


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_load_shape_and_dtypes(name):
    info = ds.DATASETS[name]
    clean, raw = ds.load(name), ds.load(name, dropna=False)
    assert (clean.shape, raw.shape) == SHAPES[name]
    assert (len(clean), len(raw)) == (info.rows, info.rows_raw)
    assert tuple(clean.columns) == info.columns
    assert not clean.isna().any().any()
    assert isinstance(clean.index, pd.RangeIndex)
    for col in info.columns:
        dtype = clean[col].dtype
        if col in info.categorical:
            assert isinstance(dtype, pd.CategoricalDtype)
            assert tuple(dtype.categories) == info.categorical[col]
            assert not dtype.ordered
        elif col in info.integer:
            assert dtype == np.int64
        else:
            assert dtype == np.float64
    if info.target is not None:
        assert info.target in info.columns


def test_penguins_specifics():
    raw = ds.load("penguins", dropna=False)
    assert raw.isna().sum().to_dict() == {
        "species": 0,
        "island": 0,
        "bill_length_mm": 2,
        "bill_depth_mm": 2,
        "flipper_length_mm": 2,
        "body_mass_g": 2,
        "sex": 11,
        "year": 0,
    }
    assert raw["year"].dtype == np.int64
    assert ds.load("penguins")["species"].value_counts().to_dict() == {
        "Adelie": 146,
        "Gentoo": 119,
        "Chinstrap": 68,
    }


def test_target_levels_of_sklearn_tables():
    assert ds.load("breast_cancer")["target"].value_counts().to_dict() == {
        "benign": 357,
        "malignant": 212,
    }
    assert ds.load("wine")["target"].value_counts(sort=False).tolist() == [59, 71, 48]


def test_list_datasets_matches_loads():
    table = ds.list_datasets()
    assert table.columns.tolist() == [
        "name",
        "rows",
        "columns",
        "numeric",
        "categorical",
        "target",
        "licence",
        "description",
    ]
    assert table["name"].tolist() == sorted(SHAPES)
    for row in table.itertuples():
        frame = ds.load(row.name)
        n_cat = sum(isinstance(t, pd.CategoricalDtype) for t in frame.dtypes)
        assert (row.rows, row.columns) == frame.shape
        assert (row.numeric, row.categorical) == (frame.shape[1] - n_cat, n_cat)
        assert row.licence in {"CC0 1.0", "CC BY 4.0"}


def test_describe():
    meta = ds.describe("breast_cancer")
    assert meta["rows"] == 569 and meta["licence"] == "CC BY 4.0"
    assert meta["target"] == "target"
    assert meta["categorical"] == {"target": ["malignant", "benign"]}
    assert len(meta["numeric"]) == 30 and meta["numeric"][0] == "mean_radius"
    assert meta["citation"] and meta["source"]


def test_unknown_name_lists_available_names():
    for call in (ds.load, ds.describe):
        with pytest.raises(ValidationError) as err:
            call("iris")
        for name in SHAPES:
            assert name in str(err.value)
        assert "'iris'" in str(err.value)


def test_missing_datasets_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(shipped, "data_dir", lambda: tmp_path / "absent")
    with pytest.raises(ValidationError, match="missing from the installed synthaudit package"):
        ds.load("penguins")


def test_tables_are_package_data_found_inside_the_package(monkeypatch, tmp_path):
    """The CSV files are looked up in synthaudit.datasets itself: never in the working
    directory, the repository root or another package's ``datasets/`` folder."""
    package_dir = Path(ds.__file__).resolve().parent
    assert Path(str(ds.data_dir())).resolve() == package_dir / "data"
    assert Path(ds.describe("penguins")["path"]).resolve() == package_dir / "data" / "penguins.csv"
    decoy = tmp_path / "datasets"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("")
    (decoy / "penguins.csv").write_text("not,the,table\n1,2,3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert ds.load("penguins").shape == (333, 8)


# --------------------------------------------------------------------------------------------
# read_table / check_table
# --------------------------------------------------------------------------------------------


def _frame():
    return pd.DataFrame(
        {
            "x": [1.5, 2.5, -0.5, 4.0],
            "k": [1, 2, 3, 4],
            "c": ["b", "a", "b", "c"],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".pq", ".CSV"])
def test_read_table_round_trip(tmp_path, suffix):
    df = _frame()
    path = tmp_path / f"t{suffix}"
    if suffix.lower() in {".parquet", ".pq"}:
        df.to_parquet(path)
    else:
        df.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    got = ds.read_table(path)
    assert got.columns.tolist() == ["x", "k", "c"]
    assert got["x"].dtype == np.float64 and got["k"].dtype == np.int64
    assert got["c"].cat.categories.tolist() == ["a", "b", "c"]
    pd.testing.assert_frame_equal(got.astype({"c": object}), df)


def test_read_table_keeps_categorical_levels_from_parquet(tmp_path):
    df = pd.DataFrame(
        {"c": pd.Categorical(["a", "b"], categories=["z", "b", "a"]), "x": [1.0, 2.0]}
    )
    df.to_parquet(tmp_path / "t.parquet")
    got = ds.read_table(str(tmp_path / "t.parquet"))
    assert got["c"].cat.categories.tolist() == ["z", "b", "a"]  # unused level kept, order kept


def test_read_table_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(ValidationError, match="file not found") as err:
        ds.read_table(path)
    assert str(path) in str(err.value)


def test_read_table_corrupt_parquet(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"\x00\x01 this is not parquet \xff\xfe" * 20)
    with pytest.raises(ValidationError, match="could not be read as Parquet") as err:
        ds.read_table(path)
    assert str(path) in str(err.value)


def test_read_table_corrupt_csv(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(ValidationError, match="could not be read as CSV"):
        ds.read_table(path)


@pytest.mark.parametrize(
    ("text", "message"), [("", "no columns"), ("a,b\n", "no rows"), ("\n\n", "no columns")]
)
def test_read_table_empty_csv(tmp_path, text, message):
    path = tmp_path / "empty.csv"
    path.write_text(text)
    with pytest.raises(ValidationError, match=message):
        ds.read_table(path)


def test_read_table_unsupported_suffix(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_text("a\n1\n")
    with pytest.raises(ValidationError, match=r"unsupported file type '\.xlsx'.*\.csv, \.tsv"):
        ds.read_table(path)


def test_read_table_nan_cells_named_with_counts(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("x,y,c\n1,NA,a\n2,,b\n3,5,\n4,6,a\n")
    with pytest.raises(ValidationError) as err:
        ds.read_table(path)
    msg = str(err.value)
    assert "y (2)" in msg and "c (1)" in msg and "x (" not in msg
    assert "3 of 4 rows" in msg
    assert "dropna=True" in msg and "--dropna" in msg
    got = ds.read_table(path, dropna=True)
    assert got.shape == (1, 3)
    assert got.index.tolist() == [0]
    assert got.iloc[0].tolist() == [4, 6.0, "a"]


def test_read_table_dropna_nothing_left(tmp_path):
    path = tmp_path / "allna.csv"
    path.write_text("x,y\n1,\n,2\n")
    with pytest.raises(ValidationError, match="no rows left"):
        ds.read_table(path, dropna=True)


def test_read_table_penguins_raw_needs_dropna(tmp_path):
    path = tmp_path / "penguins.csv"
    ds.load("penguins", dropna=False).to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"sex \(11\)"):
        ds.read_table(path)
    got = ds.read_table(path, dropna=True)
    pd.testing.assert_frame_equal(got, ds.load("penguins"))


def test_check_table_collects_every_problem():
    df = pd.DataFrame([[1.0, np.inf, np.nan], [np.nan, 2.0, 3.0]], columns=["x", "x", 0])
    with pytest.raises(ValidationError) as err:
        ds.check_table(df)
    problems = err.value.problems
    assert len(problems) == 4
    joined = "\n".join(problems)
    for part in ("must be strings", "0 (int)", "duplicates ['x']", "infinite", "NaN cells"):
        assert part in joined


def test_check_table_infinite_not_dropped_by_dropna():
    df = pd.DataFrame({"x": [1.0, -np.inf, 2.0], "y": [1.0, 2.0, np.nan]})
    with pytest.raises(ValidationError, match=r"infinite values in 1 column\(s\): x \(1\)"):
        ds.check_table(df, dropna=True)


@pytest.mark.parametrize("df", [pd.DataFrame(), pd.DataFrame({"x": []}), pd.DataFrame(index=[0])])
def test_check_table_empty(df):
    with pytest.raises(ValidationError, match="empty"):
        ds.check_table(df)


def test_check_table_rejects_non_frames_and_unsupported_dtypes():
    with pytest.raises(ValidationError, match="DataFrame; got list"):
        ds.check_table([[1, 2]])
    df = pd.DataFrame({"t": pd.to_datetime(["2020-01-01", "2020-01-02"]), "x": [1.0, 2.0]})
    with pytest.raises(ValidationError, match=r"t \(datetime64"):
        ds.check_table(df)


def test_check_table_cleans_and_keeps_index():
    df = pd.DataFrame(
        {
            "i": pd.array([1, None, 3], dtype="Int64"),
            "s": pd.array(["b", "a", "a"], dtype="string"),
            "o": ["u", "u", "v"],
        },
        index=[10, 11, 12],
    )
    got = ds.check_table(df, dropna=True)
    assert got.index.tolist() == [10, 12]
    assert got["i"].dtype == np.int64
    assert got["s"].cat.categories.tolist() == ["a", "b"]
    assert isinstance(got["o"].dtype, pd.CategoricalDtype)
    assert df["s"].dtype == "string"  # the input is not modified


def test_check_table_warns_on_constant_column():
    with pytest.warns(DegenerateDataWarning, match="'a'"):
        ds.check_table(pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [1.0, 2.0, 3.0]}))


# --------------------------------------------------------------------------------------------
# Simulators
# --------------------------------------------------------------------------------------------

N = 20_000


def test_simulate_gaussian():
    table = ds.simulate_gaussian(N, mean=2.0, var=4.0, column="age", rng=101)
    assert table.data.shape == (N, 1) and table.data["age"].dtype == np.float64
    assert table.truth.index.tolist() == ["mean[age]", "var[age]"]
    assert table.truth.tolist() == [2.0, 4.0]
    x = table.data["age"].to_numpy()
    # SE of the sample mean: sqrt(var / n); of the unbiased sample variance: var * sqrt(2/(n-1)).
    assert abs(x.mean() - 2.0) < Z * math.sqrt(4.0 / N)
    assert abs(x.var(ddof=1) - 4.0) < Z * 4.0 * math.sqrt(2 / (N - 1))
    assert "age" in table.description and "SimulatedTable(" in repr(table)


def test_simulate_multivariate_gaussian():
    mean = [1.0, -2.0, 0.5]
    cov = np.array([[2.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 0.5]])
    table = ds.simulate_multivariate_gaussian(N, mean, cov, columns=["a", "b", "c"], rng=102)
    assert table.data.shape == (N, 3) and (table.data.dtypes == np.float64).all()
    assert table.truth.index.tolist() == [
        "mean[a]",
        "mean[b]",
        "mean[c]",
        "var[a]",
        "cov[a,b]",
        "cov[a,c]",
        "var[b]",
        "cov[b,c]",
        "var[c]",
    ]
    x = table.data.to_numpy()
    s = np.cov(x, rowvar=False)
    for i in range(3):
        # SE of a sample mean: sqrt(cov_ii / n).
        assert abs(x[:, i].mean() - mean[i]) < Z * math.sqrt(cov[i, i] / N)
        for j in range(i, 3):
            # Gaussian data: Var(s_ij) ~= (cov_ii cov_jj + cov_ij^2) / n.
            se = math.sqrt((cov[i, i] * cov[j, j] + cov[i, j] ** 2) / N)
            assert abs(s[i, j] - cov[i, j]) < Z * se
    default = ds.simulate_multivariate_gaussian(5, [0.0, 0.0], np.eye(2), rng=0)
    assert default.data.columns.tolist() == ["x0", "x1"]
    assert default.truth.index.tolist() == [
        "mean[x0]",
        "mean[x1]",
        "var[x0]",
        "cov[x0,x1]",
        "var[x1]",
    ]


def test_simulate_categorical_keeps_zero_levels():
    probs = [0.5, 0.3, 0.2, 0.0]
    table = ds.simulate_categorical(N, probs, column="sex", levels=["a", "b", "c", "z"], rng=103)
    col = table.data["sex"]
    assert table.data.shape == (N, 1) and isinstance(col.dtype, pd.CategoricalDtype)
    assert col.cat.categories.tolist() == ["a", "b", "c", "z"]
    assert table.truth.index.tolist() == ["p[sex=a]", "p[sex=b]", "p[sex=c]", "p[sex=z]"]
    freq = col.value_counts(sort=False).to_numpy() / N
    assert freq[3] == 0.0
    for p, f in zip(probs[:3], freq[:3], strict=True):
        assert abs(f - p) < Z * math.sqrt(p * (1 - p) / N)  # SE of a proportion
    mapping = ds.simulate_categorical(10, {"F": 0.4, "M": 0.6}, rng=0)
    assert mapping.truth.index.tolist() == ["p[c=F]", "p[c=M]"]
    assert ds.simulate_categorical(10, [0.5, 0.5], rng=0).truth.index.tolist() == [
        "p[c=0]",
        "p[c=1]",
    ]


def test_simulate_poisson():
    table = ds.simulate_poisson(N, 3.5, rng=104)
    k = table.data["k"]
    assert table.data.shape == (N, 1) and k.dtype == np.int64 and (k >= 0).all()
    assert table.truth.to_dict() == {"rate[k]": 3.5}
    assert abs(k.mean() - 3.5) < Z * math.sqrt(3.5 / N)  # SE of the mean: sqrt(rate / n)


def test_simulate_mixed():
    table = ds.simulate_mixed(
        N, [0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]], [0.7, 0.3], levels=["u", "v"], rng=105
    )
    assert table.data.columns.tolist() == ["x0", "x1", "c"]
    assert table.data.dtypes.astype(str).tolist() == ["float64", "float64", "category"]
    assert table.truth.index.tolist() == [
        "mean[x0]",
        "mean[x1]",
        "var[x0]",
        "cov[x0,x1]",
        "var[x1]",
        "p[c=u]",
        "p[c=v]",
    ]
    assert abs((table.data["c"] == "u").mean() - 0.7) < Z * math.sqrt(0.7 * 0.3 / N)
    assert abs(table.data["x1"].mean() - 1.0) < Z * math.sqrt(2.0 / N)
    # Independence: the mean of x1 within level v is still 1, SE sqrt(var / n_v).
    in_v = table.data.loc[table.data["c"] == "v", "x1"]
    assert abs(in_v.mean() - 1.0) < Z * math.sqrt(2.0 / len(in_v))


def _logistic_mle(x, y, iters=25):
    """Newton-Raphson MLE of a logistic regression with intercept; returns (beta, covariance)."""
    xt = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(xt.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-xt @ beta))
        info = xt.T @ (xt * (p * (1 - p))[:, None])
        beta = beta + np.linalg.solve(info, xt.T @ (y - p))
    return beta, np.linalg.inv(info)


def test_simulate_logistic():
    table = ds.simulate_logistic(N, [1.0, -0.5], intercept=0.3, rng=106)
    assert table.data.columns.tolist() == ["x0", "x1", "y"]
    assert table.data["y"].dtype == np.int64 and set(table.data["y"]) == {0, 1}
    assert table.truth.index.tolist() == ["intercept", "beta[x0]", "beta[x1]"]
    x = table.data[["x0", "x1"]].to_numpy()
    beta, cov = _logistic_mle(x, table.data["y"].to_numpy())
    # SE of the MLE: square root of the diagonal of the inverse Fisher information.
    assert (np.abs(beta - table.truth.to_numpy()) < Z * np.sqrt(np.diag(cov))).all()
    assert (np.abs(x.mean(axis=0)) < Z / math.sqrt(N)).all()  # features standard normal


def test_simulate_linear():
    table = ds.simulate_linear(N, [2.0, 0.0, -1.0], intercept=-1.0, noise_var=0.25, rng=107)
    assert table.data.columns.tolist() == ["x0", "x1", "x2", "y"]
    assert (table.data.dtypes == np.float64).all()
    assert table.truth.index.tolist() == [
        "intercept",
        "beta[x0]",
        "beta[x1]",
        "beta[x2]",
        "noise_var",
    ]
    xt = np.column_stack([np.ones(N), table.data[["x0", "x1", "x2"]].to_numpy()])
    y = table.data["y"].to_numpy()
    beta, *_ = np.linalg.lstsq(xt, y, rcond=None)
    dof = N - xt.shape[1]
    s2 = float(((y - xt @ beta) ** 2).sum() / dof)
    # SE of OLS: sqrt(noise_var * diag((X'X)^-1)); of the residual variance: var * sqrt(2/dof).
    se = np.sqrt(0.25 * np.diag(np.linalg.inv(xt.T @ xt)))
    assert (np.abs(beta - table.truth.to_numpy()[:4]) < Z * se).all()
    assert abs(s2 - 0.25) < Z * 0.25 * math.sqrt(2 / dof)


def test_seeding_is_reproducible_and_accepts_generators():
    a = ds.simulate_mixed(50, rng=7).data
    b = ds.simulate_mixed(50, rng=7).data
    pd.testing.assert_frame_equal(a, b)
    gen = np.random.default_rng(7)
    first = ds.simulate_gaussian(5, rng=gen).data
    second = ds.simulate_gaussian(5, rng=gen).data  # the generator advanced
    assert not np.allclose(first.to_numpy(), second.to_numpy())
    assert len(ds.simulate_poisson(3, 1.0).data) == 3  # rng=None: fresh entropy


def test_simulated_table_is_frozen():
    table = ds.simulate_gaussian(5, rng=0)
    with pytest.raises(AttributeError):
        table.truth = table.truth * 2


@pytest.mark.parametrize(
    ("call", "parts"),
    [
        (lambda: ds.simulate_gaussian(1), ["`n`", ">= 2", "got 1"]),
        (lambda: ds.simulate_gaussian(10, var=0.0), ["`var`", "> 0", "got 0.0"]),
        (lambda: ds.simulate_gaussian(2.5), ["`n`", "integer", "2.5"]),
        (
            lambda: ds.simulate_multivariate_gaussian(10, [0, 0], [[1, 0.5], [0.4, 1]]),
            ["`cov`", "symmetric"],
        ),
        (
            lambda: ds.simulate_multivariate_gaussian(10, [0, 0], [[1, 2], [2, 1]]),
            ["`cov`", "positive definite", "-1"],
        ),
        (
            lambda: ds.simulate_multivariate_gaussian(10, [0, 0, 0], np.eye(2)),
            ["`cov`", "3 x 3", "(2, 2)"],
        ),
        (lambda: ds.simulate_categorical(10, [0.5, 0.6]), ["`probs`", "sum to 1", "1.1"]),
        (lambda: ds.simulate_categorical(10, [1.2, -0.2]), ["`probs`", "non-negative", "-0.2"]),
        (
            lambda: ds.simulate_categorical(10, [0.5, 0.5], levels=["a", "a"]),
            ["`levels`", "distinct"],
        ),
        (lambda: ds.simulate_poisson(10, -1.0), ["`rate`", "> 0", "-1.0"]),
        (lambda: ds.simulate_logistic(10, []), ["`beta`", "non-empty"]),
        (lambda: ds.simulate_linear(10, [1.0], noise_var=-2), ["`noise_var`", "> 0", "-2"]),
        (lambda: ds.simulate_gaussian(10, rng="seed"), ["`rng`", "Generator", "'seed'"]),
        (
            lambda: ds.simulate_mixed(10, [0.0], [[1.0]], [1.0], columns=["c"]),
            ["`column`", "differ"],
        ),
    ],
)
def test_simulator_argument_errors(call, parts):
    with pytest.raises(ValidationError) as err:
        call()
    for part in parts:
        assert part in str(err.value)


def test_simulator_lists_every_problem():
    with pytest.raises(ValidationError) as err:
        ds.simulate_gaussian(0, var=-1.0, column="")
    assert len(err.value.problems) == 3
