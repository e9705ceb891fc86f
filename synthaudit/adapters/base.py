"""The adapter protocol (docs/design.md §4.2) and the base classes every adapter builds on.

An adapter wraps one model family behind ``validate`` / ``fit`` / ``fit_generated`` /
``sample`` / ``params_``:

* ``__init__`` only stores its settings, unchanged (scikit-learn's rule): no checks, no
  defaults resolved. :meth:`BaseAdapter.get_params` reads them back from the signature,
  :meth:`BaseAdapter.clone` rebuilds an unfitted copy (containers copied, nothing fitted
  shared), :meth:`BaseAdapter.check_settings` checks them without data (``make_adapter`` calls
  it, so a bad setting fails at once) and :meth:`BaseAdapter.validate` checks them again with
  the table;
* ``validate(data, strict=True)`` runs *every* check the adapter makes on a table -- the
  common ones (:func:`~synthaudit.adapters.schema.table_problems`) and the family's column
  checks -- and lists every problem in one :class:`~synthaudit.exceptions.ValidationError`,
  without fitting; ``fit`` is ``validate`` then the fit;
* column kinds and levels are decided once, when the adapter binds to the real table, in a
  :class:`~synthaudit.adapters.schema.TableSchema`; what was learned from the real table is a
  frozen :class:`LearnedFromReal` (``learned_``) that ``fit_generated`` keeps, or is given
  explicitly (``fit_generated(table, rng=rng, learned=real_model.learned_)``): never a holder
  shared between clones;
* fitted state ends in ``_``; ``sample`` or ``params_`` before ``fit`` raises
  :class:`~synthaudit.exceptions.NotFittedError`; ``sample(n, rng=...)`` needs a generator or
  an int seed (``None`` is refused: an unseeded draw would not be reproducible);
* ``sample`` returns the bound table's columns in order, categorical columns with the *same*
  levels (a level that disappeared stays a level with zero count: losing levels is collapse).

:class:`ParametricAdapter` adds the fast exact path (docs/design.md §6): the model is a function
of *sufficient statistics*, and the statistics of ``n`` rows can be drawn directly, vectorised
over a batch of replications. ``fit`` itself goes through the same functions (encode →
statistics → parameters), so the per-row path and the fast path share their maths.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from ..exceptions import DegenerateDataWarning, NotFittedError, ValidationError
from ..params import ParamLayout
from .schema import TableSchema, _ReadOnlyDict, is_numeric, table_problems

__all__ = [
    "Adapter",
    "BaseAdapter",
    "LearnedFromReal",
    "ParametricAdapter",
    "as_rng",
]

#: kept for callers that have not moved to :func:`synthaudit.adapters.schema.is_numeric`
_is_numeric = is_numeric


class Adapter(Protocol):
    """What the engine needs from a model family (docs/design.md §4.2).

    A static description (not ``runtime_checkable``: ``params_`` of an unfitted adapter raises,
    so an ``isinstance`` test would depend on fitted state); :func:`check_adapter` is the
    runtime check."""

    def validate(self, data: pd.DataFrame, *, strict: bool = True) -> pd.DataFrame: ...

    def fit(self, data: pd.DataFrame, *, rng=None) -> Adapter: ...

    def fit_generated(self, data: pd.DataFrame, *, rng=None, learned=None) -> Adapter: ...

    def sample(self, n: int, *, rng) -> pd.DataFrame: ...

    def get_params(self) -> dict: ...

    def clone(self) -> Adapter: ...

    @property
    def params_(self) -> pd.Series: ...

    @property
    def layout_(self) -> ParamLayout: ...

    @property
    def n_free_params_(self) -> int: ...


@dataclass(frozen=True)
class LearnedFromReal:
    """What an adapter learned from the real table, kept for every later generation.

    ``schema`` holds the columns, kinds, dtypes and levels; ``extra`` what a family needs besides
    (the SDV metadata as JSON text, a logistic model's classes). Immutable: fitted adapters and
    their clones may hold the same object safely, and the engine hands it explicitly to the
    model of generation 0 (``fit_generated(table, rng=rng, learned=...)``).

    Examples
    --------
    >>> schema = TableSchema.from_frame(pd.DataFrame({"c": ["a", "b"]}))
    >>> learned = LearnedFromReal(schema, {"note": "x"})
    >>> learned.extra["note"], learned.schema.levels["c"]
    ('x', ('a', 'b'))
    """

    schema: TableSchema
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "extra", _ReadOnlyDict(self.extra))


def as_rng(rng, what: str = "`rng`") -> np.random.Generator:
    """A generator from a :class:`numpy.random.Generator` or an int seed; ``None`` is refused.

    Examples
    --------
    >>> float(as_rng(0).random()) == float(np.random.default_rng(0).random())
    True
    >>> as_rng(None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    synthaudit.exceptions.ValidationError: `rng` is required: pass a numpy Generator ... got None. ...
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ValidationError(
        f"{what} is required: pass a numpy Generator (np.random.default_rng(seed)) or a "
        f"non-negative int seed; got {rng!r}."
        + (" An unseeded draw could not be reproduced." if rng is None else "")
    )


def _copy_setting(value):
    """Clones get their own containers (a dict of settings is never shared)."""
    if isinstance(value, (dict, list, set)):
        return copy.deepcopy(value)
    return value


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and the like
        return a is b


class BaseAdapter:
    """Settings, cloning, fitted-state checks and table validation shared by every adapter."""

    #: registry name, e.g. ``"gaussian"``
    name: ClassVar[str] = ""
    #: whether the engine may draw sufficient statistics directly (docs/design.md §6)
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
        """The settings given to ``__init__``, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def effective_params(self) -> dict[str, Any]:
        """The settings with their defaults resolved (what a fit will use; for provenance).

        The same as :meth:`get_params` unless a family resolves a default at fit time (the SDV
        adapter, for instance).
        """
        return self.get_params()

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
        """An unfitted copy with the same settings (containers copied, nothing fitted kept)."""
        return type(self)(**{k: _copy_setting(v) for k, v in self.get_params().items()})

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        parts = []
        for name in self._param_names():
            default = sig.parameters[name].default
            value = getattr(self, name)
            if default is inspect.Parameter.empty or not _same(value, default):
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def settings_problems(self) -> list[str]:
        """Problems with the settings alone (no data needed); empty when they are fine."""
        return []

    def check_settings(self) -> BaseAdapter:
        """Raise one :class:`~synthaudit.exceptions.ValidationError` listing every bad setting."""
        problems = self.settings_problems()
        if problems:
            raise ValidationError(problems)
        return self

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
        """Fitted parameters indexed by ``layout_.names`` (``mean[x]``, ``p[c=a]``, …)."""
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

    def fit_generated(self, data: pd.DataFrame, *, rng: np.random.Generator | None = None,
                      learned=None):
        """Refit on a generated table (the engine's per-row path); by default, :meth:`fit`
        (an adapter that learns nothing from the real table beyond its fit ignores ``learned``)."""
        return self.fit(data, rng=rng)

    # -- validation -------------------------------------------------------------------------
    def validate(self, data, *, strict: bool = True) -> pd.DataFrame:
        """Run every check this adapter makes on a table, without fitting.

        The settings, the common table checks (a non-empty DataFrame with unique column names,
        supported dtypes, no missing or infinite cells) and the family's column checks.
        ``strict`` is for real data: degenerate columns (constant, a single level) are errors;
        generated tables (``strict=False``) are only checked for what would break the fit.

        Returns ``data`` unchanged; raises :class:`~synthaudit.exceptions.ValidationError`
        listing every problem.
        """
        problems = self.settings_problems()
        problems += table_problems(data)  # raises at once when data is not a DataFrame
        if data.shape[1] and data.columns.is_unique:
            # with fewer than 2 rows every column is constant: that problem is already listed
            problems += self._column_problems(data, strict=strict and data.shape[0] >= 2)
        if problems:
            raise ValidationError(problems)
        return data

    def _column_problems(self, data: pd.DataFrame, *, strict: bool) -> list[str]:
        """The family's checks of the columns it models (settings may be wrong: be defensive)."""
        return []

    def _sample_count(self, n) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValidationError(f"`n` (rows to sample) must be a positive integer; got {n!r}.")
        return int(n)

    @staticmethod
    def _check_learned(learned) -> LearnedFromReal:
        if not isinstance(learned, LearnedFromReal):
            raise ValidationError(
                "`learned` must be the `learned_` of an adapter fitted on the real table "
                f"(a LearnedFromReal); got {type(learned).__name__}."
            )
        return learned


def _columns_setting(value, data: pd.DataFrame, problems: list[str], what: str = "columns"):
    """The columns a ``columns=`` setting names (all when None), with problems noted."""
    if value is None:
        return list(data.columns)
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        problems.append(f"`{what}` must be a list of column names; got {value!r}.")
        return []
    cols = list(value)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        problems.append(f"column(s) {missing} not in the table; available: {list(data.columns)}.")
    return [c for c in cols if c in data.columns]


class ParametricAdapter(BaseAdapter):
    """A model that is a function of sufficient statistics, with the fast exact path.

    Subclasses decide the kinds of their columns and implement, on *batches* (leading axis =
    replication lane, size B):

    ``_column_problems(df, strict)``     the family's checks (listed, never raised)
    ``_schema_for(df) -> TableSchema``   the columns it models and their kinds (decided once)
    ``_bind_schema(schema)``             columns, levels, ``layout_`` from a schema
    ``encode(df) -> (n, c) array``       the table as numbers, in the layout's block order:
                                         Gaussian columns (float), one code column per
                                         categorical block (joint: the cell index), Poisson counts
    ``stats_from_encoded(X) -> stats``   statistics of X with shape (B, m, c)
    ``combine(a, b) -> stats``           statistics of the union of two row sets
    ``params_from_stats(stats) -> θ``    the estimator
    ``theta_vector(θ) -> (B, P)``        θ flattened in ``layout_.names`` order
    ``theta_from_vector(v) -> θ``        its inverse (known truth → model)
    ``simulate_sufficient(θ, n, rng)``   statistics of n rows drawn from θ, without the rows
    ``sample_rows(θ, n, rng) -> frame``  n rows drawn from lane 0 of θ (the per-row path)

    Statistics and θ are dicts of arrays whose first axis is the lane.
    """

    supports_fast_path: ClassVar[bool] = True

    # -- public contract --------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, rng=None):
        """Validate ``data`` as real rows (every problem raises, listed), bind to it and fit.

        ``rng`` is accepted for the protocol; a parametric fit draws nothing."""
        data = self.validate(data, strict=True)
        self._bind_learned(LearnedFromReal(self._schema_for(data)))
        self._fit_encoded(self.encode(data), warn=True)
        return self

    def fit_generated(self, data: pd.DataFrame, *, rng=None, learned: LearnedFromReal | None = None):
        """Refit on a generated table (used by the engine), keeping what was learned from the
        real table: ``learned`` when given, else this adapter's own ``learned_``. Degenerate
        data warns instead of raising. An unfitted adapter without ``learned`` binds to
        ``data`` itself (validated with ``strict=False``)."""
        if learned is not None:
            learned = self._check_learned(learned)
            if getattr(self, "learned_", None) is not learned:
                self._bind_learned(learned)
        elif not self.is_fitted:
            data = self.validate(data, strict=False)
            self._bind_learned(LearnedFromReal(self._schema_for(data)))
            self._fit_encoded(self.encode(data), warn=True)
            return self
        self._fit_encoded(self.encode(data), warn=False)
        return self

    def set_theta(self, theta_vector, schema) -> ParametricAdapter:
        """Make this adapter the model with parameters ``theta_vector`` (e.g. known truth),
        bound to ``schema`` (a :class:`TableSchema` or a :class:`LearnedFromReal`)."""
        learned = schema if isinstance(schema, LearnedFromReal) else LearnedFromReal(schema)
        self._bind_learned(learned)
        v = np.asarray(theta_vector, dtype=float).reshape(1, -1)
        self.theta_ = self.theta_from_vector(v)
        return self

    def sample(self, n: int, *, rng=None) -> pd.DataFrame:
        """Draw ``n`` rows from the fitted model; ``rng`` (a Generator or an int) is required."""
        self._check_fitted("sampling")
        n = self._sample_count(n)
        return self.sample_rows(self.theta_, n, as_rng(rng))

    def _bind_learned(self, learned: LearnedFromReal) -> None:
        self._bind_schema(learned.schema)
        self.learned_ = learned
        self.schema_ = learned.schema

    def _fit_encoded(self, X: np.ndarray, *, warn: bool) -> None:
        self.theta_ = self.params_from_stats(self.stats_from_encoded(X[None, ...]))
        if warn:
            self._warn_degenerate(self.theta_)

    def _params_series(self) -> pd.Series:
        return pd.Series(
            self.theta_vector(self.theta_)[0], index=list(self.parameter_names_), name="value"
        )

    def _require_columns(self, data: pd.DataFrame, columns) -> None:
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise ValidationError(
                f"the table lacks column(s) {missing} of the fitted model; it models "
                f"{list(columns)}."
            )

    def _warn_degenerate(self, theta) -> None:
        msgs = self.degenerate(theta)
        if msgs:
            warnings.warn("; ".join(msgs), DegenerateDataWarning, stacklevel=4)

    def degenerate(self, theta) -> list[str]:
        """Readable notes on degenerate parameters (lost levels, zero variance)."""
        return []

    # -- to implement -----------------------------------------------------------------------
    def _schema_for(self, data: pd.DataFrame) -> TableSchema:  # pragma: no cover - abstract
        raise NotImplementedError

    def _bind_schema(self, schema: TableSchema) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, data: pd.DataFrame) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError
