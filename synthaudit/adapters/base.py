"""The adapter contract (DESIGN §4) and the base classes every adapter builds on.

An adapter wraps one model family behind ``fit`` / ``sample`` / ``params_``:

* ``__init__`` only stores settings (scikit-learn style); :meth:`BaseAdapter.get_params` reads
  them back from the signature and :meth:`BaseAdapter.clone` rebuilds an unfitted copy;
* fitted state ends in ``_``; ``sample`` or ``params_`` before ``fit`` raises
  :class:`~synthaudit.exceptions.NotFittedError`;
* ``sample`` returns the fitted table's columns in order, categorical columns with the *same*
  levels (a level that disappeared stays a level with zero count: losing levels is collapse).
  Continuous models return float64 numeric columns; count models int64.

:class:`ParametricAdapter` adds the fast exact path (DESIGN §6): the model is a function of
*sufficient statistics*, and the statistics of ``n`` rows can be drawn directly, vectorised over a
batch of replications. ``fit`` itself goes through the same functions (encode → statistics →
parameters), so the per-row path and the fast path share their maths.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..exceptions import DegenerateDataWarning, NotFittedError, ValidationError

__all__ = ["Adapter", "BaseAdapter", "ParametricAdapter", "TableSchema"]


@runtime_checkable
class Adapter(Protocol):
    """What the engine needs from a model family."""

    def fit(self, data: pd.DataFrame, *, rng: np.random.Generator | None = None) -> Adapter: ...

    def sample(self, n: int, *, rng: np.random.Generator | None = None) -> pd.DataFrame: ...

    @property
    def params_(self) -> pd.Series: ...


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


@dataclass(frozen=True)
class TableSchema:
    """Column names, kinds and category levels of a table, learned once and enforced on samples.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2.0], "c": pd.Categorical(["a", "b"])})
    >>> schema = TableSchema.from_frame(df)
    >>> schema.levels["c"]
    ('a', 'b')
    """

    columns: tuple[str, ...]
    kinds: dict  # column -> "numeric" | "categorical"
    dtypes: dict  # column -> numpy/pandas dtype of the real table
    levels: dict  # categorical column -> tuple of levels (in order)

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> TableSchema:
        kinds, dtypes, levels = {}, {}, {}
        for col in df.columns:
            s = df[col]
            dtypes[col] = s.dtype
            if _is_numeric(s):
                kinds[col] = "numeric"
            else:
                kinds[col] = "categorical"
                if isinstance(s.dtype, pd.CategoricalDtype):
                    levels[col] = tuple(s.cat.categories)
                else:
                    levels[col] = tuple(sorted(pd.unique(s.dropna()), key=str))
        return cls(tuple(df.columns), kinds, dtypes, levels)

    def conform(self, df: pd.DataFrame, *, numeric_dtype: str | None = None) -> pd.DataFrame:
        """Return ``df`` with this schema's columns, order and category levels."""
        missing = [c for c in self.columns if c not in df.columns]
        if missing:
            raise ValidationError(
                f"sampled table lacks column(s) {missing}; expected columns {list(self.columns)}."
            )
        out = {}
        for col in self.columns:
            s = df[col]
            if self.kinds[col] == "categorical":
                out[col] = pd.Categorical(s, categories=list(self.levels[col]))
            elif numeric_dtype is not None:
                out[col] = np.asarray(s, dtype=numeric_dtype)
            else:
                out[col] = np.asarray(s)
        return pd.DataFrame(out, index=pd.RangeIndex(len(df)))

    def to_dict(self) -> dict:
        """A JSON-friendly description (for provenance)."""
        return {
            "columns": list(self.columns),
            "kinds": dict(self.kinds),
            "levels": {k: [str(v) for v in lv] for k, lv in self.levels.items()},
        }


class BaseAdapter:
    """Settings, cloning, fitted-state checks and input validation shared by every adapter."""

    #: registry name, e.g. ``"gaussian"``
    name: ClassVar[str] = ""
    #: whether the engine may draw sufficient statistics directly (DESIGN §6)
    supports_fast_path: ClassVar[bool] = False

    # -- scikit-learn style settings --------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The settings given to ``__init__`` (recorded in provenance)."""
        out = {name: getattr(self, name) for name in self._param_names()}
        extra = getattr(self, "_extra_params", None)
        if extra:
            out.update(extra)
        return out

    def set_params(self, **params) -> BaseAdapter:
        valid = set(self._param_names())
        unknown = sorted(set(params) - valid)
        if unknown:
            raise ValidationError(
                f"unknown setting(s) {unknown} for adapter {self.name!r}; valid: {sorted(valid)}."
            )
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def clone(self) -> BaseAdapter:
        """An unfitted copy with the same settings."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        parts = []
        for name in self._param_names():
            default = sig.parameters[name].default
            value = getattr(self, name)
            if default is inspect.Parameter.empty or not _same(value, default):
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- fitted state -----------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        return getattr(self, "schema_", None) is not None

    def _check_fitted(self, what: str) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call .fit(data) before {what}."
            )

    @property
    def params_(self) -> pd.Series:
        """Fitted parameters with stable readable names (``mean[x]``, ``p[c=a]``, …)."""
        self._check_fitted("reading params_")
        return self._params_series()

    def _params_series(self) -> pd.Series:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def parameter_names_(self) -> tuple[str, ...]:
        """Parameter names in θ order (rendered by :mod:`synthaudit.params`)."""
        return self.layout_.names

    @property
    def n_free_params_(self) -> int:
        """Number of free parameters d of the fitted model (for the theory of docs/design.md §5)."""
        self._check_fitted("reading n_free_params_")
        return self.layout_.n_free_params

    def fit_generated(self, data: pd.DataFrame, *, rng: np.random.Generator | None = None):
        """Refit on a generated table (the engine's per-row path); by default, :meth:`fit`."""
        return self.fit(data, rng=rng)

    # -- validation -------------------------------------------------------------------------
    def validate(self, data, *, strict: bool = True) -> pd.DataFrame:
        """Check a table before fitting: a non-empty DataFrame without NaN cells.

        ``strict`` is for real data (degenerate generated tables only warn). Raises
        :class:`~synthaudit.exceptions.ValidationError` listing every problem."""
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
        if problems:
            raise ValidationError(problems)
        nan_counts = data.isna().sum()
        nan_counts = nan_counts[nan_counts > 0]
        if len(nan_counts):
            detail = ", ".join(f"{c!s} ({int(k)} NaN)" for c, k in nan_counts.items())
            raise ValidationError(
                f"the table has missing cells in column(s) {detail}; drop those rows first "
                "(dropna=True in synthaudit.datasets.read_table, or --dropna on the CLI)."
            )
        return data

    def _sample_count(self, n) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValidationError(f"`n` (rows to sample) must be a positive integer; got {n!r}.")
        return int(n)


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and the like
        return a is b


def _as_rng(rng) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValidationError(f"`rng` must be a numpy Generator, an int seed or None; got {rng!r}.")


class ParametricAdapter(BaseAdapter):
    """A model that is a function of sufficient statistics, with the fast exact path.

    Subclasses implement, on *batches* (leading axis = replication lane, size B):

    ``_bind(df)``                        learn columns/levels/parameter names from a table
    ``encode(df) -> (n, c) array``      the table as numbers (codes for categories)
    ``stats_from_encoded(X) -> stats``   statistics of X with shape (B, m, c)
    ``combine(a, b) -> stats``           statistics of the union of two row sets
    ``params_from_stats(stats) -> θ``    the estimator
    ``theta_vector(θ) -> (B, P)``        θ flattened in ``parameter_names_`` order
    ``theta_from_vector(v) -> θ``        its inverse (known truth → model)
    ``simulate_sufficient(θ, n, rng)``   statistics of n rows drawn from θ, without the rows
    ``sample_rows(θ, n, rng) -> frame``  n rows drawn from lane 0 of θ (the per-row path)

    Statistics and θ are dicts of arrays whose first axis is the lane.
    """

    supports_fast_path: ClassVar[bool] = True

    # -- public contract --------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, rng: np.random.Generator | None = None):
        """Fit on ``data`` (real rows: every problem in the table raises ValidationError)."""
        return self._fit(data, strict=True)

    def _fit(self, data: pd.DataFrame, *, strict: bool):
        data = self.validate(data, strict=strict)
        schema = self._bind(data, strict=strict)
        X = self.encode(data)
        theta = self.params_from_stats(self.stats_from_encoded(X[None, ...]))
        self.schema_ = schema
        self.theta_ = theta
        self._warn_degenerate(theta)
        return self

    def fit_generated(self, data: pd.DataFrame, *, rng: np.random.Generator | None = None):
        """Refit on a generated table (used by the engine): degenerate data warns instead of
        raising, and the columns/levels learned from the real table are kept."""
        if self.is_fitted and set(self.schema_.columns) <= set(data.columns):
            # bound already (encoding selects the columns by name): only the statistics change
            X = self.encode(data)
            theta = self.params_from_stats(self.stats_from_encoded(X[None, ...]))
            self.theta_ = theta
            return self
        return self._fit(data, strict=False)

    def set_theta(self, theta_vector, schema: TableSchema) -> ParametricAdapter:
        """Make this adapter the model with parameters ``theta_vector`` (e.g. known truth)."""
        self._bind_schema(schema)
        v = np.asarray(theta_vector, dtype=float).reshape(1, -1)
        self.schema_ = schema
        self.theta_ = self.theta_from_vector(v)
        return self

    def sample(self, n: int, *, rng: np.random.Generator | None = None) -> pd.DataFrame:
        """Draw ``n`` rows from the fitted model."""
        self._check_fitted("sampling")
        n = self._sample_count(n)
        return self.sample_rows(self.theta_, n, _as_rng(rng))

    def _params_series(self) -> pd.Series:
        return pd.Series(
            self.theta_vector(self.theta_)[0], index=list(self.parameter_names_), name="value"
        )

    def _warn_degenerate(self, theta) -> None:
        msgs = self.degenerate(theta)
        if msgs:
            warnings.warn("; ".join(msgs), DegenerateDataWarning, stacklevel=3)

    def degenerate(self, theta) -> list[str]:
        """Readable notes on degenerate parameters (lost levels, zero variance)."""
        return []

    # -- to implement -----------------------------------------------------------------------
    def _bind(self, data: pd.DataFrame, *, strict: bool) -> TableSchema:  # pragma: no cover
        raise NotImplementedError

    def _bind_schema(self, schema: TableSchema) -> None:  # pragma: no cover
        raise NotImplementedError
