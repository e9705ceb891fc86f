"""A table's schema, the checks every table passes, and the one conformer (docs/design.md §4.2).

* :func:`table_problems` -- the checks every adapter runs on a table before fitting (a
  DataFrame with columns and at least two rows, unique column names, supported dtypes, no
  missing or infinite cells), each problem listed;
* :class:`TableSchema` -- the columns of the table an adapter was bound to, their *kind*
  (``numeric``, ``categorical`` or ``count``, decided once, by the adapter, at bind time), their
  dtypes and the levels of every categorical column, in the package's one order (a pandas
  ``category`` dtype's categories as given, otherwise :func:`~synthaudit._util.sort_levels`:
  by type name, then value);
* :meth:`TableSchema.conform` -- the only conformer: it checks a table (a synthesizer's output,
  a generation's rows) against the schema and returns it in the schema's columns, dtypes and
  levels, every problem reported at once.

Examples
--------
>>> df = pd.DataFrame({"x": [1.0, 2.0], "k": [3, 1], "c": ["b", "a"]})
>>> schema = TableSchema.from_frame(df, kinds={"k": "categorical"})
>>> dict(schema.kinds)
{'x': 'numeric', 'k': 'categorical', 'c': 'categorical'}
>>> schema.levels["k"], schema.levels["c"]
((1, 3), ('a', 'b'))
>>> out = schema.conform(pd.DataFrame({"c": ["a", "a"], "k": [3, 3], "x": [0.5, 1.5]}))
>>> out.dtypes.astype(str).tolist(), out["c"].cat.categories.tolist()
(['float64', 'int64', 'category'], ['a', 'b'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._util import sort_levels
from ..exceptions import AdapterError, ValidationError

__all__ = ["KINDS", "TableSchema", "is_numeric", "levels_of", "table_problems", "to_plain"]

#: the kinds of column an adapter models
KINDS = ("numeric", "categorical", "count")


class _ReadOnlyDict(dict):
    """A dict that refuses changes (a schema's mappings), and still pickles and copies."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("a TableSchema is read-only; build a new one instead.")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore
    __ior__ = _refuse  # type: ignore

    def __reduce__(self):
        return (type(self), (dict(self),))


def is_numeric(s: pd.Series) -> bool:
    """Whether a column is numeric (booleans are not: they are two levels).

    Examples
    --------
    >>> is_numeric(pd.Series([1, 2])), is_numeric(pd.Series([True, False]))
    (True, False)
    """
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def levels_of(s: pd.Series) -> tuple:
    """A column's levels: a ``category`` dtype's categories as given, else the sorted values.

    Examples
    --------
    >>> levels_of(pd.Series(["b", "a", "b"]))
    ('a', 'b')
    >>> levels_of(pd.Series(pd.Categorical(["b"], categories=["b", "a"])))
    ('b', 'a')
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        return tuple(s.cat.categories)
    # Python scalars (not NumPy ones): they read the same in names, JSON and reprs
    return sort_levels(np.asarray(pd.unique(s.dropna()), dtype=object).tolist())


def _keeps_dtype(dtype) -> bool:
    """Whether a categorical column keeps its own dtype in samples (integer and boolean columns
    declared categorical); text and ``category`` columns come back as ``category``."""
    if isinstance(dtype, pd.CategoricalDtype):
        return False
    return pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _supported(s: pd.Series) -> bool:
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return True
    if pd.api.types.is_complex_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return False
    if pd.api.types.is_timedelta64_dtype(dtype) or isinstance(
        dtype, (pd.PeriodDtype, pd.IntervalDtype)
    ):
        return False
    return True


def table_problems(data) -> list[str]:
    """The problems every adapter refuses in a table, all of them (an empty list when none).

    A table that is not a DataFrame raises at once (nothing else can be checked).

    Examples
    --------
    >>> table_problems(pd.DataFrame({"x": [1.0, np.nan, np.inf]}))  # doctest: +NORMALIZE_WHITESPACE
    ['the table has missing cells in column(s) x (1 NaN); drop those rows first (dropna=True in
      synthaudit.datasets.read_table, or --dropna on the CLI).',
     'the table has infinite values in column(s) x (1); replace or remove those rows.']
    """
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            f"`data` must be a pandas DataFrame; got {type(data).__name__}. "
            "Load a file with synthaudit.datasets.read_table(path)."
        )
    problems = []
    if data.shape[1] == 0:
        problems.append("the table has no columns; give a table with at least one column.")
    if data.shape[0] < 2:
        problems.append(
            f"the table has {data.shape[0]} row(s); at least 2 rows are needed to fit a model."
        )
    names = list(data.columns)
    dup = sorted({str(c) for c in names if names.count(c) > 1})
    if dup:
        problems.append(f"column names must be unique; got duplicates {dup}. Rename them.")
    cols = [data.iloc[:, j] for j in range(data.shape[1])]
    bad = [f"{c!s} ({s.dtype})" for c, s in zip(names, cols) if not _supported(s)]
    if bad:
        problems.append(
            f"columns must be numeric, boolean, text or categorical; got {', '.join(bad)}. "
            "Convert or drop them."
        )
    nan = [(c, int(s.isna().sum())) for c, s in zip(names, cols)]
    nan = [(c, k) for c, k in nan if k]
    if nan:
        detail = ", ".join(f"{c!s} ({k} NaN)" for c, k in nan)
        problems.append(
            f"the table has missing cells in column(s) {detail}; drop those rows first "
            "(dropna=True in synthaudit.datasets.read_table, or --dropna on the CLI)."
        )
    inf = []
    for c, s in zip(names, cols):
        if is_numeric(s) and _supported(s):
            k = int(np.isinf(s.to_numpy(dtype="float64", na_value=np.nan)).sum())
            if k:
                inf.append(f"{c!s} ({k})")
    if inf:
        problems.append(
            f"the table has infinite values in column(s) {', '.join(inf)}; replace or remove "
            "those rows."
        )
    return problems


def to_plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as their plain values (object), for tools that reject ``category``.

    Examples
    --------
    >>> to_plain(pd.DataFrame({"c": pd.Categorical(["a"])})).dtypes.astype(str).tolist()
    ['object']
    """
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out


@dataclass(frozen=True)
class TableSchema:
    """Columns, kinds, dtypes and category levels of a table, decided once and enforced after.

    Build it with :meth:`from_frame` (the adapter says the kinds it decided; the others follow
    the dtypes: numeric dtypes but bool are ``numeric``, everything else ``categorical``). The
    mappings are read-only.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2.0], "c": pd.Categorical(["a", "b"])})
    >>> schema = TableSchema.from_frame(df)
    >>> schema.levels["c"]
    ('a', 'b')
    """

    columns: tuple[str, ...]
    kinds: Mapping[str, str]  # column -> "numeric" | "categorical" | "count"
    dtypes: Mapping[str, Any]  # column -> numpy/pandas dtype of the bound table
    levels: Mapping[str, tuple]  # categorical column -> tuple of levels (in order)

    def __post_init__(self):
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "kinds", _ReadOnlyDict(self.kinds))
        object.__setattr__(self, "dtypes", _ReadOnlyDict(self.dtypes))
        object.__setattr__(
            self, "levels", _ReadOnlyDict({k: tuple(v) for k, v in self.levels.items()})
        )
        bad = {c: k for c, k in self.kinds.items() if k not in KINDS}
        if bad or set(self.kinds) != set(self.columns):
            raise ValidationError(
                f"a TableSchema needs one kind in {list(KINDS)} per column; got {dict(self.kinds)}."
            )
        missing = [c for c in self.columns if self.kinds[c] == "categorical" and c not in self.levels]
        if missing:
            raise ValidationError(f"categorical column(s) {missing} have no levels.")

    @classmethod
    def from_frame(cls, df: pd.DataFrame, kinds: Mapping[str, str] | None = None) -> TableSchema:
        """The schema of ``df``; ``kinds`` (column -> kind) overrides the dtype's default."""
        kinds = dict(kinds or {})
        out_kinds, dtypes, levels = {}, {}, {}
        for col in df.columns:
            s = df[col]
            dtypes[col] = s.dtype
            kind = kinds.get(col) or ("numeric" if is_numeric(s) else "categorical")
            out_kinds[col] = kind
            if kind == "categorical":
                levels[col] = levels_of(s)
        return cls(tuple(df.columns), out_kinds, dtypes, levels)

    def subset(self, columns: Iterable[str]) -> TableSchema:
        """The schema of some of the columns (in the order given)."""
        cols = tuple(columns)
        return TableSchema(
            cols,
            {c: self.kinds[c] for c in cols},
            {c: self.dtypes[c] for c in cols},
            {c: self.levels[c] for c in cols if c in self.levels},
        )

    def columns_of(self, *kinds: str) -> list[str]:
        """The columns of the given kind(s), in schema order."""
        return [c for c in self.columns if self.kinds[c] in kinds]

    def sample_dtype(self, column: str):
        """The dtype a sampled column has: ``category`` for text and category columns, the
        bound dtype otherwise (integer and boolean columns declared categorical included)."""
        if self.kinds[column] == "categorical" and not _keeps_dtype(self.dtypes[column]):
            return pd.CategoricalDtype(list(self.levels[column]))
        return self.dtypes[column]

    # -- the conformer --------------------------------------------------------------------
    def conform(
        self,
        df,
        *,
        n: int | None = None,
        source: str = "the synthesizer",
        error: type[Exception] = AdapterError,
    ) -> pd.DataFrame:
        """Check ``df`` against this schema and return it in this schema.

        Columns are put in the schema's order; categorical columns take the schema's levels
        (values are matched as they are, then by their text, so a level read back from a CSV
        file as ``"True"`` or ``"2007"`` is recognised) and come back as ``category`` (integer
        and boolean columns declared categorical keep their dtype); numeric and count columns
        take the bound dtype (integers are rounded; values out of the integer range stay
        float64). Every problem is reported at once in one ``error`` (default
        :class:`~synthaudit.exceptions.AdapterError`): missing or unexpected columns, a wrong
        row count (when ``n`` is given), missing cells, non-numeric values in a numeric column,
        unknown categories.

        Examples
        --------
        >>> real = pd.DataFrame({"x": [1, 2, 3], "c": ["a", "b", "b"]})
        >>> schema = TableSchema.from_frame(real)
        >>> out = schema.conform(pd.DataFrame({"c": ["b", "b"], "x": [0.6, 2.2]}), n=2)
        >>> out.dtypes.astype(str).tolist(), out["x"].tolist(), out["c"].cat.categories.tolist()
        (['int64', 'category'], [1, 2], ['a', 'b'])
        >>> schema.conform(pd.DataFrame({"x": [1.0], "d": ["a"]}), n=2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        synthaudit.exceptions.AdapterError: the synthesizer returned a table that does not match ...
          - missing column(s) ['c']; expected columns ['x', 'c']
          - unexpected column(s) ['d']
          - expected 2 rows; got 1
        """
        if not isinstance(df, pd.DataFrame):
            raise error(f"{source} must return a pandas DataFrame; got {type(df).__name__}.")
        if self._already_conform(df, n):
            out = df.copy()  # callers (and wrapped objects) may keep or modify it
            out.index = pd.RangeIndex(len(out))
            return out
        problems = []
        names = list(df.columns)
        unique = len(set(names)) == len(names)
        missing = [c for c in self.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in self.columns]
        if missing:
            problems.append(f"missing column(s) {missing}; expected columns {list(self.columns)}")
        if extra:
            problems.append(f"unexpected column(s) {extra}")
        if not unique:
            problems.append(f"duplicated column names in {[str(c) for c in names]}")
        if n is not None and len(df) != n:
            problems.append(f"expected {n} rows; got {len(df)}")
        out = {}
        for col in self.columns:
            if col not in df.columns or not unique:
                continue
            s = df[col]
            n_na = int(s.isna().sum())
            if n_na:
                problems.append(f"column {col!r} has {n_na} missing cell(s)")
                continue
            if self.kinds[col] == "categorical":
                values, bad = _as_levels(s, self.levels[col], self.dtypes[col])
                if bad:
                    shown = ", ".join(repr(v) for v in bad[:5]) + (" …" if len(bad) > 5 else "")
                    problems.append(
                        f"column {col!r} has value(s) {shown} that are not categories of the "
                        f"real table ({list(self.levels[col])})"
                    )
                    continue
            else:
                values, msg = _as_numeric(s, self.dtypes[col])
                if msg:
                    problems.append(f"column {col!r} {msg}")
                    continue
            out[col] = values
        if problems:
            raise error(
                f"{source} returned a table that does not match the real table:\n  - "
                + "\n  - ".join(problems)
            )
        return pd.DataFrame(out, index=pd.RangeIndex(len(df)))

    def _already_conform(self, df: pd.DataFrame, n: int | None) -> bool:
        """Fast path: ``df`` is already in the schema (e.g. a table this schema conformed)."""
        if tuple(df.columns) != self.columns or (n is not None and len(df) != n):
            return False
        for col in self.columns:
            s = df[col]
            if self.kinds[col] == "categorical":
                want = self.sample_dtype(col)
                if isinstance(want, pd.CategoricalDtype):
                    if not isinstance(s.dtype, pd.CategoricalDtype):
                        return False
                    if tuple(s.cat.categories) != tuple(self.levels[col]) or (s.cat.codes < 0).any():
                        return False
                elif s.dtype != want or not s.isin(list(self.levels[col])).all():
                    return False
            else:
                if s.dtype != self.dtypes[col]:
                    return False
                if pd.api.types.is_float_dtype(s.dtype) and not np.isfinite(s.to_numpy()).all():
                    return False
                if s.isna().any():
                    return False
        return True

    def to_dict(self) -> dict:
        """A JSON-friendly description (for provenance)."""
        return {
            "columns": list(self.columns),
            "kinds": dict(self.kinds),
            "levels": {k: [str(v) for v in lv] for k, lv in self.levels.items()},
        }


def _as_levels(s: pd.Series, levels: tuple, dtype) -> tuple[Any, list]:
    vals = s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s
    cat = pd.Categorical(vals, categories=list(levels))
    codes = np.asarray(cat.codes)
    bad = []
    unknown = codes < 0
    if unknown.any():
        by_text = {str(level): i for i, level in enumerate(levels)}
        codes = codes.copy()
        for i in np.flatnonzero(unknown):
            v = vals.iloc[i]
            v = v.item() if isinstance(v, np.generic) else v  # reads as 3, not np.int64(3)
            code = by_text.get(str(v), -1)
            if code < 0 and isinstance(v, str) and v.strip() != v:
                code = by_text.get(v.strip(), -1)
            if code < 0 and v not in bad:
                bad.append(v)
            codes[i] = code
        if bad:
            return None, bad
    if _keeps_dtype(dtype):
        return np.asarray(levels, dtype=dtype)[codes], []
    return pd.Categorical.from_codes(codes, categories=list(levels)), []


def _as_numeric(s: pd.Series, dtype) -> tuple[Any, str]:
    if pd.api.types.is_bool_dtype(s.dtype):
        x = s.astype(float)
    else:
        x = pd.to_numeric(s, errors="coerce")
        nonnum = int(x.isna().sum())
        if nonnum:
            bad = s[x.isna()].unique()[:3].tolist()
            return None, f"has {nonnum} non-numeric value(s), e.g. {bad}"
    x = np.asarray(x, dtype=float)
    if not np.isfinite(x).all():
        return None, f"has {int((~np.isfinite(x)).sum())} infinite value(s)"
    if pd.api.types.is_integer_dtype(dtype):
        r = np.rint(x)
        try:
            info = np.iinfo(np.dtype(getattr(dtype, "numpy_dtype", dtype)))
        except TypeError:  # pragma: no cover - exotic integer extension types
            return r, ""
        if len(r) == 0 or (r.min() >= info.min and r.max() <= info.max):
            if isinstance(dtype, pd.api.extensions.ExtensionDtype):
                return pd.array(r.astype(np.int64), dtype=dtype), ""
            return r.astype(dtype), ""
        return r, ""  # out of the integer range: keep the rounded floats
    if pd.api.types.is_float_dtype(dtype):
        return x.astype(dtype), ""
    return x, ""
