"""A user's table: read from CSV, TSV or Parquet (:func:`read_table`) or checked as a DataFrame
(:func:`check_table`), every problem reported together."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._util import sort_levels
from ..exceptions import DegenerateDataWarning, ValidationError

__all__ = ["check_table", "read_table"]

_SUFFIXES = {".csv": "CSV", ".tsv": "TSV", ".parquet": "Parquet", ".pq": "Parquet"}
_DROPNA_HINT = "Pass `dropna=True` (CLI flag `--dropna`) to drop the rows that have them."


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
    """A text column as ``category`` with its levels in the package's one order (by type name,
    then value: :func:`synthaudit._util.sort_levels`, as the adapters order them)."""
    values = series.astype(object).where(series.notna(), np.nan)
    levels = list(sort_levels(values.dropna().unique().tolist()))
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
        A copy, with object and string columns as ``category`` (levels sorted by type name,
        then value) and nullable
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
