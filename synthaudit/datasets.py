"""Real tables shipped in ``datasets/``, user tables read and checked, simulated known truth.

Three kinds of input feed an audit (DESIGN §3):

- **shipped real tables** (:func:`list_datasets`, :func:`load`, :func:`describe`, :data:`DATASETS`):
  small, real, openly licensed CSV files in the repository's top-level ``datasets/`` folder;
- **a user's table** (:func:`read_table`, :func:`check_table`): a CSV, TSV or Parquet file, or a
  DataFrame, validated once, with every problem reported together;
- **simulated tables with known truth** (``simulate_*``): the truth is a :class:`pandas.Series`
  indexed exactly like the adapters' ``params_`` (``"mean[x]"``, ``"cov[a,b]"``, ``"p[c=a]"``),
  so population risk and drift can be measured against it.

Categorical columns are pandas ``category`` columns with a fixed level order, numeric columns are
``float64`` (``int64`` for counts and the penguins' ``year``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from . import _random
from .exceptions import DegenerateDataWarning, ValidationError
from .params import categorical_layout, gaussian_layout, poisson_layout, regression_layout

__all__ = [
    "DATASETS",
    "DATA_DIR",
    "DatasetInfo",
    "SimulatedTable",
    "check_table",
    "describe",
    "list_datasets",
    "load",
    "read_table",
    "simulate_categorical",
    "simulate_gaussian",
    "simulate_linear",
    "simulate_logistic",
    "simulate_mixed",
    "simulate_multivariate_gaussian",
    "simulate_poisson",
]

#: Where the shipped CSV files live: the repository's top-level ``datasets/`` folder (synthaudit
#: is installed editable from its repository; the folder is not part of a wheel).
DATA_DIR = Path(__file__).resolve().parents[1] / "datasets"

_SUFFIXES = {".csv": "CSV", ".tsv": "TSV", ".parquet": "Parquet", ".pq": "Parquet"}
_DROPNA_HINT = "Pass `dropna=True` (CLI flag `--dropna`) to drop the rows that have them."


# --------------------------------------------------------------------------------------------
# Shipped real tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata of one shipped table (an entry of :data:`DATASETS`).

    ``rows`` counts the rows :func:`load` returns by default (rows with NA cells dropped);
    ``rows_raw`` the rows of the CSV file itself. ``categorical`` maps each categorical column to
    its levels, in their fixed order; every other column is numeric, ``int64`` when listed in
    ``integer``, else ``float64``.
    """

    name: str
    file: str
    title: str
    description: str
    source: str
    citation: str
    licence: str
    licence_url: str
    rows: int
    rows_raw: int
    columns: tuple[str, ...]
    categorical: Mapping[str, tuple[str, ...]]
    integer: tuple[str, ...]
    target: str | None
    good_for: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "categorical", MappingProxyType(dict(self.categorical)))

    @property
    def numeric(self) -> tuple[str, ...]:
        """The numeric columns, in table order."""
        return tuple(c for c in self.columns if c not in self.categorical)

    @property
    def path(self) -> Path:
        """Absolute path of the CSV file."""
        return DATA_DIR / self.file


_BC_BASE = (
    "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
    "concave_points", "symmetry", "fractal_dimension",
)  # fmt: skip
_BC_FEATURES = (
    tuple(f"mean_{f}" for f in _BC_BASE)
    + tuple(f"{f}_error" for f in _BC_BASE)
    + tuple(f"worst_{f}" for f in _BC_BASE)
)
_WINE_FEATURES = (
    "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
    "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
    "od280_od315_of_diluted_wines", "proline",
)  # fmt: skip

_INFOS = (
    DatasetInfo(
        name="breast_cancer",
        file="breast_cancer.csv",
        title="Wisconsin Diagnostic Breast Cancer (WDBC)",
        description="569 breast masses: 30 numeric nucleus features, diagnosis malignant/benign.",
        source="UCI Machine Learning Repository, via scikit-learn's load_breast_cancer().",
        citation=(
            "Wolberg, W., Mangasarian, O., Street, N. & Street, W. (1993). Breast Cancer "
            "Wisconsin (Diagnostic). UCI Machine Learning Repository. "
            "https://doi.org/10.24432/C5DW2B"
        ),
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        rows=569,
        rows_raw=569,
        columns=(*_BC_FEATURES, "target"),
        categorical={"target": ("malignant", "benign")},
        integer=(),
        target="target",
        good_for=(
            "a 30-dimensional multivariate Gaussian with strong correlations (near-singular "
            "covariance), and downstream risk of a binary classifier (train on synthetic, "
            "test on real)."
        ),
    ),
    DatasetInfo(
        name="penguins",
        file="penguins.csv",
        title="Palmer penguins",
        description=(
            "Adelie, Chinstrap and Gentoo penguins of the Palmer Archipelago, 2007-2009: "
            "bill, flipper and body-mass measurements, species, island, sex, year."
        ),
        source="Palmer Station LTER, via the palmerpenguins package (PyPI 0.1.6).",
        citation=(
            "Horst, A. M., Hill, A. P. & Gorman, K. B. (2020). palmerpenguins: Palmer "
            "Archipelago (Antarctica) penguin data. R package version 0.1.0. "
            "https://doi.org/10.5281/zenodo.3960218; data from Gorman, K. B., Williams, T. D. & "
            "Fraser, W. R. (2014), PLoS ONE 9(3): e90081."
        ),
        licence="CC0 1.0",
        licence_url="https://creativecommons.org/publicdomain/zero/1.0/",
        rows=333,
        rows_raw=344,
        columns=(
            "species",
            "island",
            "bill_length_mm",
            "bill_depth_mm",
            "flipper_length_mm",
            "body_mass_g",
            "sex",
            "year",
        ),
        categorical={
            "species": ("Adelie", "Chinstrap", "Gentoo"),
            "island": ("Biscoe", "Dream", "Torgersen"),
            "sex": ("female", "male"),
        },
        integer=("year",),
        target="species",
        good_for=(
            "mixed numeric and categorical columns; categorical collapse (level loss) on "
            "species/island/sex; a small multivariate Gaussian; linear regression of body mass "
            "on flipper length; the NaN handling of dropna (11 raw rows have NA cells)."
        ),
    ),
    DatasetInfo(
        name="wine",
        file="wine.csv",
        title="Wine recognition",
        description="178 Italian wines from 3 cultivars: 13 chemical measurements, cultivar class.",
        source="UCI Machine Learning Repository, via scikit-learn's load_wine().",
        citation=(
            "Aeberhard, S. & Forina, M. (1992). Wine. UCI Machine Learning Repository. "
            "https://doi.org/10.24432/C5PC7J"
        ),
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        rows=178,
        rows_raw=178,
        columns=(*_WINE_FEATURES, "target"),
        categorical={"target": ("class_0", "class_1", "class_2")},
        integer=(),
        target="target",
        good_for=(
            "a small table (n = 178) where collapse shows quickly; a 3-level categorical "
            "target; a 13-dimensional Gaussian with very different scales (proline ~ 10^3, "
            "hue ~ 1)."
        ),
    ),
)

#: Registry of the shipped tables: name -> :class:`DatasetInfo` (read-only, sorted by name).
DATASETS: Mapping[str, DatasetInfo] = MappingProxyType({i.name: i for i in _INFOS})


def _info(name: object) -> DatasetInfo:
    if not isinstance(name, str) or name not in DATASETS:
        raise ValidationError(
            f"`name` must be one of the shipped datasets ({', '.join(DATASETS)}); got {name!r}."
        )
    return DATASETS[name]


def list_datasets() -> pd.DataFrame:
    """The shipped real tables, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, rows, columns, numeric, categorical, target, licence, description``;
        ``rows`` is the row count :func:`load` returns by default (NA rows dropped),
        ``numeric`` and ``categorical`` count columns of each kind.

    Examples
    --------
    >>> list_datasets()[["name", "rows", "columns", "target"]]
                name  rows  columns   target
    0  breast_cancer   569       31   target
    1       penguins   333        8  species
    2           wine   178       14   target
    """
    return pd.DataFrame(
        [
            {
                "name": i.name,
                "rows": i.rows,
                "columns": len(i.columns),
                "numeric": len(i.numeric),
                "categorical": len(i.categorical),
                "target": i.target,
                "licence": i.licence,
                "description": i.description,
            }
            for i in DATASETS.values()
        ]
    )


def describe(name: str) -> dict[str, Any]:
    """Metadata of one shipped table: source, citation, licence, size, columns, target.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`'s names.

    Returns
    -------
    dict
        Keys ``name, title, description, source, citation, licence, licence_url, rows,
        rows_raw, columns, numeric, categorical, target, good_for, path``; ``categorical``
        maps each categorical column to its list of levels.

    Examples
    --------
    >>> meta = describe("penguins")
    >>> meta["licence"], meta["rows"], meta["rows_raw"], meta["target"]
    ('CC0 1.0', 333, 344, 'species')
    >>> meta["categorical"]["sex"]
    ['female', 'male']
    """
    i = _info(name)
    return {
        "name": i.name,
        "title": i.title,
        "description": i.description,
        "source": i.source,
        "citation": i.citation,
        "licence": i.licence,
        "licence_url": i.licence_url,
        "rows": i.rows,
        "rows_raw": i.rows_raw,
        "columns": list(i.columns),
        "numeric": list(i.numeric),
        "categorical": {c: list(levels) for c, levels in i.categorical.items()},
        "target": i.target,
        "good_for": i.good_for,
        "path": str(i.path),
    }


def load(name: str, *, dropna: bool = True) -> pd.DataFrame:
    """Load a shipped real table with its documented dtypes.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`'s names.
    dropna : bool, default True
        Drop the rows that have an NA cell (only ``penguins`` has any: 11 of 344 rows) and
        renumber the index from 0. ``False`` returns the raw rows, NaN cells included.

    Returns
    -------
    pandas.DataFrame
        Categorical columns as ``category`` with the fixed level order of
        ``describe(name)["categorical"]``; numeric columns as ``float64``, ``int64`` for the
        integer columns (the penguins' ``year``).

    Raises
    ------
    ValidationError
        Unknown ``name`` (the message lists the available names), or the ``datasets/`` folder
        or a file in it is missing or altered.

    Examples
    --------
    >>> penguins = load("penguins")
    >>> penguins.shape
    (333, 8)
    >>> penguins["species"].cat.categories.tolist()
    ['Adelie', 'Chinstrap', 'Gentoo']
    >>> str(penguins["year"].dtype), str(penguins["body_mass_g"].dtype)
    ('int64', 'float64')
    >>> load("penguins", dropna=False).shape
    (344, 8)
    """
    info = _info(name)
    if not DATA_DIR.is_dir():
        raise ValidationError(
            f"the shipped datasets folder is missing: expected {DATA_DIR}. It lives at the top "
            "of the synthaudit repository; install synthaudit from a checkout with "
            "`pip install -e .`."
        )
    if not info.path.is_file():
        raise ValidationError(f"the shipped table {name!r} is missing: expected {info.path}.")
    raw = pd.read_csv(info.path, dtype={c: "string" for c in info.categorical})
    if tuple(raw.columns) != info.columns:
        raise ValidationError(
            f"the shipped table {info.path} has been altered: expected columns "
            f"{list(info.columns)}; got {list(raw.columns)}."
        )
    frame = pd.DataFrame(index=raw.index)
    for col in info.columns:
        if col in info.categorical:
            values = raw[col].astype(object).where(raw[col].notna(), np.nan)
            frame[col] = pd.Categorical(values, categories=list(info.categorical[col]))
            unknown = frame[col].isna() & raw[col].notna()
            if unknown.any():
                raise ValidationError(
                    f"the shipped table {info.path} has been altered: column {col!r} has "
                    f"values outside its levels {list(info.categorical[col])}: "
                    f"{sorted(set(raw.loc[unknown, col]))}."
                )
        else:
            frame[col] = pd.to_numeric(raw[col]).astype("float64")
    if dropna:
        frame = frame.dropna().reset_index(drop=True)
    for col in info.integer:
        if not frame[col].isna().any():
            frame[col] = frame[col].astype("int64")
    return frame


# --------------------------------------------------------------------------------------------
# A user's table
# --------------------------------------------------------------------------------------------


def _is_supported(series: pd.Series) -> bool:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return True
    if pd.api.types.is_complex_dtype(dtype):
        return False
    return pd.api.types.is_numeric_dtype(dtype) or _is_text(series)


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


def _to_category(series: pd.Series) -> pd.Series:
    """A text column as ``category`` with sorted levels (by their string form)."""
    values = series.astype(object).where(series.notna(), np.nan)
    levels = sorted(pd.unique(values.dropna()), key=lambda v: (str(v), type(v).__name__))
    return pd.Series(
        pd.Categorical(values, categories=levels), index=series.index, name=series.name
    )


def _to_numpy_dtype(series: pd.Series) -> pd.Series:
    """Nullable extension dtypes (``Int64``, ``Float64``, ``boolean``) to plain NumPy dtypes."""
    dtype = series.dtype
    if isinstance(dtype, (pd.CategoricalDtype, np.dtype)):
        return series
    if pd.api.types.is_bool_dtype(dtype):
        return series.astype(bool) if not series.isna().any() else series.astype(object)
    if pd.api.types.is_integer_dtype(dtype) and not series.isna().any():
        return series.astype("int64")
    if pd.api.types.is_numeric_dtype(dtype):
        return series.astype("float64")
    return series


def _check(df: object, *, dropna: bool, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"`data` must be a pandas DataFrame; got {type(df).__name__}.")
    problems: list[str] = []
    if df.shape[1] == 0:
        problems.append(f"{what} is empty: it has no columns.")
    if df.shape[0] == 0:
        problems.append(f"{what} is empty: it has no rows.")
    if problems:
        raise ValidationError(problems)

    names = list(df.columns)
    bad_names = [n for n in names if not isinstance(n, str)]
    if bad_names:
        shown = ", ".join(f"{n!r} ({type(n).__name__})" for n in bad_names)
        problems.append(
            f"column names must be strings; got {shown}. Rename them, e.g. "
            "`df.columns = df.columns.astype(str)`."
        )
    dup = sorted({str(n) for n in names if names.count(n) > 1})
    if dup:
        problems.append(f"column names must be unique; got duplicates {dup}.")

    cols = [df.iloc[:, j] for j in range(df.shape[1])]
    unsupported = [
        (str(n), str(s.dtype)) for n, s in zip(names, cols, strict=True) if not _is_supported(s)
    ]
    if unsupported:
        shown = ", ".join(f"{n} ({t})" for n, t in unsupported)
        problems.append(
            f"columns must be numeric, boolean, text or categorical; got {shown}. Convert or "
            "drop them."
        )

    infinite = []
    for n, s in zip(names, cols, strict=True):
        numeric = pd.api.types.is_numeric_dtype(s.dtype) and _is_supported(s)
        if numeric and not pd.api.types.is_bool_dtype(s.dtype):
            count = int(np.isinf(s.to_numpy(dtype="float64", na_value=np.nan)).sum())
            if count:
                infinite.append(f"{n} ({count})")
    if infinite:
        problems.append(
            f"{what} has infinite values in {len(infinite)} column(s): {', '.join(infinite)}. "
            "Replace or remove them."
        )

    na_mask = df.isna().to_numpy()
    na_rows = na_mask.any(axis=1)
    if na_rows.any() and not dropna:
        counts = na_mask.sum(axis=0)
        shown = ", ".join(f"{n} ({int(c)})" for n, c in zip(names, counts, strict=True) if c)
        problems.append(
            f"{what} has NaN cells in {int((counts > 0).sum())} column(s): {shown}; "
            f"{int(na_rows.sum())} of {len(df)} rows have at least one. {_DROPNA_HINT}"
        )
    if na_rows.all() and dropna:
        problems.append(
            f"{what} has no rows left after dropping the rows with NaN cells: all {len(df)} "
            "rows have at least one."
        )
    if problems:
        raise ValidationError(problems)

    out = df.loc[~na_rows].copy() if na_rows.any() else df.copy()
    for n in names:
        s = out[n]
        out[n] = _to_category(s) if _is_text(s) else _to_numpy_dtype(s)

    constant = [n for n in names if out[n].nunique(dropna=False) <= 1]
    if constant and len(out) > 1:
        warnings.warn(
            f"{what} has constant column(s) {constant}: a single value each, so their fitted "
            "spread is zero from generation 0.",
            DegenerateDataWarning,
            stacklevel=3,
        )
    return out


def check_table(df: pd.DataFrame, *, dropna: bool = False) -> pd.DataFrame:
    """Validate a table before an audit and return a cleaned copy.

    Every problem is collected and reported together: an empty table (no rows or no columns),
    column names that are not strings or not unique, unsupported column types (datetimes,
    complex numbers), infinite values, and NaN cells (named by column with their counts).

    Parameters
    ----------
    df : pandas.DataFrame
        The table. Its index is kept (dropped rows keep their labels out).
    dropna : bool, default False
        ``False`` makes NaN cells an error; ``True`` drops the rows that have them (still an
        error if no row is left). The CLI's flag is ``--dropna``.

    Returns
    -------
    pandas.DataFrame
        A copy, with object and string columns as ``category`` (levels sorted) and nullable
        extension dtypes (``Int64``, ``Float64``, ``boolean``) as plain NumPy dtypes.
        Existing ``category`` columns keep their levels, unused levels included.

    Raises
    ------
    ValidationError
        Listing every problem found (``.problems``).

    Warns
    -----
    DegenerateDataWarning
        A column holds a single value.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, None, 3.0], "c": ["b", "a", None]})
    >>> check_table(df)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    synthaudit.exceptions.ValidationError: the table has NaN cells in 2 column(s): x (1), c (1); ...
    >>> clean = check_table(df.assign(c=["b", "a", "a"]), dropna=True)
    >>> clean["c"].cat.categories.tolist(), len(clean)
    (['a', 'b'], 2)
    """
    return _check(df, dropna=dropna, what="the table")


def read_table(path: str | Path, *, dropna: bool = False) -> pd.DataFrame:
    """Read a user's table from CSV, TSV or Parquet and validate it with :func:`check_table`.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` (comma-separated), ``.tsv`` (tab-separated), ``.parquet`` or ``.pq`` file;
        the suffix picks the format. In text files the usual NA markers (empty cell, ``NA``,
        ``NaN``, ``null``, ``n/a``, ...) are NaN cells.
    dropna : bool, default False
        ``False`` makes NaN cells an error naming each column and its count; ``True`` drops
        the rows that have them (CLI flag ``--dropna``). The index is renumbered from 0.

    Returns
    -------
    pandas.DataFrame
        Text columns as ``category`` with sorted levels; numeric columns as NumPy dtypes.

    Raises
    ------
    ValidationError
        Missing file, unsupported suffix, a file that cannot be read in the expected format,
        an empty table, or any problem :func:`check_table` finds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = tmp.write_text("x,c\\n1.5,a\\n2.5,b\\n")
    >>> read_table(tmp).dtypes.astype(str).tolist()
    ['float64', 'category']
    """
    if not isinstance(path, (str, Path)) and not hasattr(path, "__fspath__"):
        raise ValidationError(f"`path` must be a file path; got {type(path).__name__}.")
    p = Path(path).expanduser()
    if not p.exists():
        raise ValidationError(f"file not found: '{p}'.")
    if not p.is_file():
        raise ValidationError(f"`path` must be a file; got a directory: '{p}'.")
    suffix = p.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValidationError(
            f"unsupported file type {p.suffix or '(no suffix)'!r} for '{p}': expected one of "
            f"{', '.join(_SUFFIXES)}."
        )
    kind = _SUFFIXES[suffix]
    try:
        if kind == "Parquet":
            df = pd.read_parquet(p)
        else:
            df = pd.read_csv(p, sep="\t" if kind == "TSV" else ",")
    except pd.errors.EmptyDataError:
        raise ValidationError(f"'{p}' is empty: it has no columns.") from None
    except Exception as exc:  # any reader failure: corrupt bytes, bad encoding, ragged rows
        detail = " ".join(str(exc).split())[:200]
        raise ValidationError(
            f"'{p}' could not be read as {kind}: expected a valid {kind} file ({detail})."
        ) from exc
    out = _check(df, dropna=dropna, what=f"'{p}'")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Simulated tables with known truth
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SimulatedTable:
    """A simulated table and the true parameters of the distribution it was drawn from.

    ``truth`` is indexed like the adapters' ``params_`` (``"mean[x]"``, ``"var[x]"``,
    ``"cov[a,b]"``, ``"p[c=a]"``, ``"rate[k]"``, ``"beta[x0]"``), so
    ``adapter.params_ - table.truth`` is the parameter error.
    """

    data: pd.DataFrame
    truth: pd.Series
    description: str = field(default="")

    def __repr__(self) -> str:
        rows, cols = self.data.shape
        return (
            f"SimulatedTable(data=<{rows} rows x {cols} columns>, "
            f"truth=[{', '.join(self.truth.index)}], description={self.description!r})"
        )


def _rng(rng: object) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    ok = (
        rng is None
        or isinstance(rng, np.random.SeedSequence)
        or (
            isinstance(rng, (int, np.integer))
            and not isinstance(rng, (bool, np.bool_))
            and rng >= 0
        )
    )
    if not ok:
        raise ValidationError(
            "`rng` must be a non-negative integer seed, a numpy.random.Generator or None; "
            f"got {rng!r}."
        )
    return _random.generator(_random.as_root(rng), "user")


def _check_n(n: object, problems: list[str]) -> None:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 2:
        problems.append(f"`n` must be an integer >= 2; got {n!r}.")


def _finite_scalar(value: object, name: str, problems: list[str], *, positive: bool = False):
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"`{name}` must be a real number; got {value!r}.")
        return None
    if isinstance(value, (bool, np.bool_)) or not math.isfinite(x) or (positive and x <= 0):
        want = "a finite number > 0" if positive else "a finite real number"
        problems.append(f"`{name}` must be {want}; got {value!r}.")
        return None
    return x


def _vector(value: object, name: str, problems: list[str]) -> np.ndarray | None:
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        problems.append(f"`{name}` must be a 1-D array of real numbers; got {value!r}.")
        return None
    if arr.ndim != 1 or arr.size == 0:
        problems.append(f"`{name}` must be a non-empty 1-D array; got shape {arr.shape}.")
        return None
    if not np.isfinite(arr).all():
        problems.append(f"`{name}` must hold finite numbers; got {arr.tolist()}.")
        return None
    return arr


def _column_names(
    columns: object, p: int, default: str, name: str, problems: list[str]
) -> list[str] | None:
    if columns is None:
        return [f"{default}{i}" for i in range(p)]
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        problems.append(f"`{name}` must be a sequence of {p} column names; got {columns!r}.")
        return None
    cols = list(columns)
    if len(cols) != p or not all(isinstance(c, str) and c for c in cols) or len(set(cols)) != p:
        problems.append(
            f"`{name}` must be {p} distinct non-empty strings (one per mean entry); got {cols!r}."
        )
        return None
    return cols


def _check_column(column: object, name: str, problems: list[str]) -> None:
    if not isinstance(column, str) or not column:
        problems.append(f"`{name}` must be a non-empty string; got {column!r}.")


def _gaussian_block(
    mean: object, cov: object, columns: object, problems: list[str]
) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    mu = _vector(mean, "mean", problems)
    try:
        sigma = np.asarray(cov, dtype="float64")
    except (TypeError, ValueError):
        problems.append(f"`cov` must be a square matrix of real numbers; got {cov!r}.")
        return None
    if mu is None:
        return None
    p = mu.size
    if sigma.ndim == 0 and p == 1:
        sigma = sigma.reshape(1, 1)
    if sigma.shape != (p, p):
        problems.append(
            f"`cov` must be a {p} x {p} matrix (one row per mean entry); got shape {sigma.shape}."
        )
        return None
    if not np.isfinite(sigma).all():
        problems.append("`cov` must hold finite numbers; got NaN or infinite entries.")
        return None
    if not np.allclose(sigma, sigma.T, rtol=1e-10, atol=1e-12):
        gap = float(np.max(np.abs(sigma - sigma.T)))
        problems.append(f"`cov` must be symmetric; got max |cov - cov.T| = {gap:.3g}.")
        return None
    smallest = float(np.linalg.eigvalsh(sigma).min())
    if smallest <= 0:
        problems.append(f"`cov` must be positive definite; got smallest eigenvalue {smallest:.3g}.")
        return None
    cols = _column_names(columns, p, "x", "columns", problems)
    if cols is None:
        return None
    return mu, sigma, cols


def _gaussian_truth(mu: np.ndarray, sigma: np.ndarray, cols: list[str]) -> pd.Series:
    iu = np.triu_indices(len(cols))
    values = np.concatenate([mu, sigma[iu]])
    return pd.Series(values, index=list(gaussian_layout(cols).names), dtype="float64", name="truth")


def _draw_gaussian(
    n: int, mu: np.ndarray, sigma: np.ndarray, cols: list[str], gen: np.random.Generator
) -> pd.DataFrame:
    chol = np.linalg.cholesky(sigma)
    x = mu + gen.standard_normal((n, mu.size)) @ chol.T
    return pd.DataFrame(x, columns=cols)


def _categorical_block(
    probs: object, levels: object, column: object, problems: list[str]
) -> tuple[np.ndarray, list[str]] | None:
    _check_column(column, "column", problems)
    if isinstance(probs, Mapping):
        if levels is not None:
            problems.append(
                "give the levels either as the keys of `probs` or as `levels`, not both."
            )
            return None
        levels, probs = list(probs.keys()), list(probs.values())
    p = _vector(probs, "probs", problems)
    if p is None:
        return None
    if (p < 0).any() or not math.isclose(p.sum(), 1.0, rel_tol=0, abs_tol=1e-9):
        problems.append(
            f"`probs` must be non-negative and sum to 1; got {p.tolist()} (sum {p.sum():.12g})."
        )
        return None
    if levels is None:
        names = [str(i) for i in range(p.size)]
    elif isinstance(levels, str) or not isinstance(levels, Sequence):
        problems.append(f"`levels` must be a sequence of {p.size} level names; got {levels!r}.")
        return None
    else:
        names = list(levels)
        if (
            len(names) != p.size
            or not all(isinstance(v, str) and v for v in names)
            or len(set(names)) != p.size
        ):
            problems.append(
                f"`levels` must be {p.size} distinct non-empty strings (one per probability); "
                f"got {names!r}."
            )
            return None
    return p / p.sum(), names


def _draw_categorical(
    n: int, p: np.ndarray, names: list[str], column: str, gen: np.random.Generator
) -> tuple[pd.Series, pd.Series]:
    codes = gen.choice(p.size, size=n, p=p)
    data = pd.Series(pd.Categorical.from_codes(codes, categories=names), name=column)
    names_ = categorical_layout([column], {column: names}).names
    truth = pd.Series(p, index=list(names_), dtype="float64", name="truth")
    return data, truth


def simulate_gaussian(
    n: int, mean: float = 0.0, var: float = 1.0, *, column: str = "x", rng: Any = None
) -> SimulatedTable:
    """Draw ``n`` rows of one Gaussian column ``N(mean, var)``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    mean, var : float
        True mean and variance (``var > 0``).
    column : str, default "x"
        Column name.
    rng : int, numpy.random.Generator or None
        Seed (built through synthaudit's seeding tree), generator (used as is) or None
        (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: one ``float64`` column; ``truth`` indexed ``["mean[x]", "var[x]"]``.

    Examples
    --------
    >>> table = simulate_gaussian(1000, mean=2.0, var=4.0, rng=0)
    >>> table.data.shape
    (1000, 1)
    >>> table.truth
    mean[x]    2.0
    var[x]     4.0
    Name: truth, dtype: float64
    """
    problems: list[str] = []
    _check_n(n, problems)
    m = _finite_scalar(mean, "mean", problems)
    v = _finite_scalar(var, "var", problems, positive=True)
    _check_column(column, "column", problems)
    if problems:
        raise ValidationError(problems)
    gen = _rng(rng)
    data = pd.DataFrame({column: m + math.sqrt(v) * gen.standard_normal(int(n))})
    truth = pd.Series([m, v], index=list(gaussian_layout([column]).names), name="truth")
    return SimulatedTable(data, truth, f"{n} rows of {column} ~ N({m:g}, {v:g})")


def simulate_multivariate_gaussian(
    n: int, mean: Any, cov: Any, *, columns: Sequence[str] | None = None, rng: Any = None
) -> SimulatedTable:
    """Draw ``n`` rows of a multivariate Gaussian ``N(mean, cov)``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    mean : array-like of shape (p,)
        True mean.
    cov : array-like of shape (p, p)
        True covariance: symmetric positive definite.
    columns : sequence of str, optional
        Column names; default ``x0, x1, ...``.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: p ``float64`` columns. ``truth``: every ``mean[c]`` in column order, then the
        upper triangle of ``cov`` row by row: ``var[ci]`` on the diagonal, ``cov[ci,cj]`` above.

    Examples
    --------
    >>> table = simulate_multivariate_gaussian(
    ...     500, [0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]], columns=["a", "b"], rng=0)
    >>> table.truth.index.tolist()
    ['mean[a]', 'mean[b]', 'var[a]', 'cov[a,b]', 'var[b]']
    """
    problems: list[str] = []
    _check_n(n, problems)
    block = _gaussian_block(mean, cov, columns, problems)
    if problems or block is None:
        raise ValidationError(problems)
    mu, sigma, cols = block
    data = _draw_gaussian(int(n), mu, sigma, cols, _rng(rng))
    return SimulatedTable(
        data,
        _gaussian_truth(mu, sigma, cols),
        f"{n} rows of ({', '.join(cols)}) ~ {len(cols)}-variate Gaussian N(mean, cov)",
    )


def simulate_categorical(
    n: int,
    probs: Any,
    *,
    column: str = "c",
    levels: Sequence[str] | None = None,
    rng: Any = None,
) -> SimulatedTable:
    """Draw ``n`` rows of one categorical column with level probabilities ``probs``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    probs : array-like of shape (K,) or mapping level -> probability
        Non-negative, summing to 1 (a mapping also gives the levels).
    column : str, default "c"
        Column name.
    levels : sequence of str, optional
        Level names, one per probability; default ``"0", "1", ...``.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: one ``category`` column declaring *every* level, also those drawn zero times;
        ``truth`` indexed ``p[c=level]`` in level order.

    Examples
    --------
    >>> table = simulate_categorical(100, [0.5, 0.5, 0.0], levels=["a", "b", "z"], rng=0)
    >>> table.data["c"].cat.categories.tolist()
    ['a', 'b', 'z']
    >>> table.truth.index.tolist()
    ['p[c=a]', 'p[c=b]', 'p[c=z]']
    """
    problems: list[str] = []
    _check_n(n, problems)
    block = _categorical_block(probs, levels, column, problems)
    if problems or block is None:
        raise ValidationError(problems)
    p, names = block
    col, truth = _draw_categorical(int(n), p, names, column, _rng(rng))
    return SimulatedTable(
        col.to_frame(), truth, f"{n} rows of {column} ~ Categorical over {len(names)} levels"
    )


def simulate_poisson(n: int, rate: float, *, column: str = "k", rng: Any = None) -> SimulatedTable:
    """Draw ``n`` rows of one Poisson count column.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    rate : float
        True rate (mean), ``> 0``.
    column : str, default "k"
        Column name.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: one ``int64`` column; ``truth`` indexed ``["rate[k]"]``.

    Examples
    --------
    >>> table = simulate_poisson(50, 3.0, rng=0)
    >>> str(table.data["k"].dtype), table.truth.to_dict()
    ('int64', {'rate[k]': 3.0})
    """
    problems: list[str] = []
    _check_n(n, problems)
    lam = _finite_scalar(rate, "rate", problems, positive=True)
    _check_column(column, "column", problems)
    if problems:
        raise ValidationError(problems)
    counts = _rng(rng).poisson(lam, size=int(n)).astype("int64")
    truth = pd.Series([lam], index=list(poisson_layout([column]).names), dtype="float64",
                      name="truth")
    return SimulatedTable(
        pd.DataFrame({column: counts}), truth, f"{n} rows of {column} ~ Poisson({lam:g})"
    )


def simulate_mixed(
    n: int,
    mean: Any = (0.0, 0.0),
    cov: Any = ((1.0, 0.5), (0.5, 1.0)),
    probs: Any = (0.5, 0.3, 0.2),
    *,
    columns: Sequence[str] | None = None,
    column: str = "c",
    levels: Sequence[str] | None = None,
    rng: Any = None,
) -> SimulatedTable:
    """Draw a Gaussian numeric block and an independent categorical column.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    mean, cov, columns
        The numeric block, as in :func:`simulate_multivariate_gaussian`.
    probs, column, levels
        The categorical column, as in :func:`simulate_categorical`.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: the numeric columns then the categorical one; ``truth``: the Gaussian truth
        then the categorical truth.

    Examples
    --------
    >>> table = simulate_mixed(200, rng=0)
    >>> table.data.dtypes.astype(str).tolist()
    ['float64', 'float64', 'category']
    >>> table.truth.index.tolist()
    ['mean[x0]', 'mean[x1]', 'var[x0]', 'cov[x0,x1]', 'var[x1]', 'p[c=0]', 'p[c=1]', 'p[c=2]']
    """
    problems: list[str] = []
    _check_n(n, problems)
    block = _gaussian_block(mean, cov, columns, problems)
    cat = _categorical_block(probs, levels, column, problems)
    if block is not None and cat is not None and column in block[2]:
        problems.append(
            f"`column` must differ from the numeric column names {block[2]}; got {column!r}."
        )
    if problems or block is None or cat is None:
        raise ValidationError(problems)
    mu, sigma, cols = block
    gen = _rng(rng)
    data = _draw_gaussian(int(n), mu, sigma, cols, gen)
    col, cat_truth = _draw_categorical(int(n), cat[0], cat[1], column, gen)
    data[column] = col.array
    truth = pd.concat([_gaussian_truth(mu, sigma, cols), cat_truth]).rename("truth")
    return SimulatedTable(
        data,
        truth,
        f"{n} rows: ({', '.join(cols)}) ~ Gaussian, independent {column} ~ Categorical over "
        f"{len(cat[1])} levels",
    )


def _regression_inputs(
    n: object, beta: object, intercept: object, problems: list[str]
) -> tuple[np.ndarray, float] | None:
    _check_n(n, problems)
    b = _vector(beta, "beta", problems)
    b0 = _finite_scalar(intercept, "intercept", problems)
    if b is None or b0 is None:
        return None
    return b, b0


def _regression_truth(b0: float, b: np.ndarray, s2: float | None = None) -> pd.Series:
    lay = regression_layout([f"x{i}" for i in range(b.size)], noise=s2 is not None)
    values = [b0, *b] + ([s2] if s2 is not None else [])
    return pd.Series(values, index=list(lay.names), dtype="float64", name="truth")


def simulate_logistic(
    n: int, beta: Any, *, intercept: float = 0.0, rng: Any = None
) -> SimulatedTable:
    """Draw a logistic-regression table: standard normal features, binary label ``y``.

    ``P(y = 1 | x) = 1 / (1 + exp(-(intercept + x @ beta)))``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    beta : array-like of shape (p,)
        True coefficients of ``x0 .. x{p-1}``.
    intercept : float, default 0.0
        True intercept.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: ``float64`` columns ``x0 .. x{p-1}`` then ``y`` (``int64``, 0 or 1);
        ``truth`` indexed ``intercept, beta[x0], ...``.

    Examples
    --------
    >>> table = simulate_logistic(300, [1.0, -2.0], intercept=0.5, rng=0)
    >>> table.data.columns.tolist()
    ['x0', 'x1', 'y']
    >>> table.truth.index.tolist()
    ['intercept', 'beta[x0]', 'beta[x1]']
    """
    problems: list[str] = []
    inputs = _regression_inputs(n, beta, intercept, problems)
    if problems or inputs is None:
        raise ValidationError(problems)
    b, b0 = inputs
    gen = _rng(rng)
    x = gen.standard_normal((int(n), b.size))
    eta = b0 + x @ b
    prob = np.exp(-np.logaddexp(0.0, -eta))  # the logistic function, overflow-safe
    y = (gen.random(int(n)) < prob).astype("int64")
    data = pd.DataFrame(x, columns=[f"x{i}" for i in range(b.size)])
    data["y"] = y
    return SimulatedTable(
        data,
        _regression_truth(b0, b),
        f"{n} rows: x ~ N(0, I_{b.size}), y ~ Bernoulli(logistic(intercept + x @ beta))",
    )


def simulate_linear(
    n: int, beta: Any, *, intercept: float = 0.0, noise_var: float = 1.0, rng: Any = None
) -> SimulatedTable:
    """Draw a linear-regression table: standard normal features, Gaussian noise, label ``y``.

    ``y = intercept + x @ beta + e`` with ``e ~ N(0, noise_var)``.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    beta : array-like of shape (p,)
        True coefficients of ``x0 .. x{p-1}``.
    intercept : float, default 0.0
        True intercept.
    noise_var : float, default 1.0
        True noise variance, ``> 0``.
    rng : int, numpy.random.Generator or None
        Seed, generator or None (fresh entropy).

    Returns
    -------
    SimulatedTable
        ``data``: ``float64`` columns ``x0 .. x{p-1}`` then ``y``; ``truth`` indexed
        ``intercept, beta[x0], ..., noise_var``.

    Examples
    --------
    >>> table = simulate_linear(300, [1.0, -2.0], intercept=0.5, noise_var=0.25, rng=0)
    >>> table.truth.index.tolist()
    ['intercept', 'beta[x0]', 'beta[x1]', 'noise_var']
    """
    problems: list[str] = []
    inputs = _regression_inputs(n, beta, intercept, problems)
    s2 = _finite_scalar(noise_var, "noise_var", problems, positive=True)
    if problems or inputs is None or s2 is None:
        raise ValidationError(problems)
    b, b0 = inputs
    gen = _rng(rng)
    x = gen.standard_normal((int(n), b.size))
    y = b0 + x @ b + math.sqrt(s2) * gen.standard_normal(int(n))
    data = pd.DataFrame(x, columns=[f"x{i}" for i in range(b.size)])
    data["y"] = y
    truth = _regression_truth(b0, b, s2)
    return SimulatedTable(
        data, truth, f"{n} rows: x ~ N(0, I_{b.size}), y = intercept + x @ beta + N(0, {s2:g})"
    )
