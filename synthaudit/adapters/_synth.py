"""The base of adapters around an opaque synthesizer (SDV, a Python object, a command).

Shared, within the package, by :mod:`synthaudit.adapters.external` and
:mod:`synthaudit.adapters.sdv` (neither imports the other).

A synthesizer's parameters cannot be read, so drift is measured with the *reference model*:
``params_`` are those of a :class:`~synthaudit.adapters.MixedAdapter` fitted on the
synthesizer's training table (Gaussian over the numeric columns, multinomial over the
categorical ones), comparable across generations and across synthesizers.

The real table's schema
-----------------------
``fit`` is the entry point for *real* rows: it decides the schema (and, for SDV, the metadata)
once, in a frozen :class:`~synthaudit.adapters.base.LearnedFromReal` (``learned_``). Every
later generation is fitted with ``fit_generated``, which keeps it -- the adapter's own, or the
one handed over explicitly (``clone.fit_generated(rows, rng=rng, learned=real.learned_)``) --
so a level missing from one generation's rows (or from a subsample of the real table) is still
a level of everything sampled later, and every sample is conformed to the real schema.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd

from .._random import int_seed
from ..exceptions import DegenerateDataWarning, ValidationError
from .base import BaseAdapter, LearnedFromReal, as_rng
from .mixed import MixedAdapter
from .schema import TableSchema, to_plain

__all__ = ["SynthesizerAdapter", "int_seed", "to_plain"]


class SynthesizerAdapter(BaseAdapter):
    """Base of the adapters around an opaque synthesizer (SDV, a Python object, a command).

    Subclasses implement ``_fit_synthesizer(table, rng)`` (``table`` already conformed to the
    real schema; ``self.learned_`` is set) and ``_sample_synthesizer(n, rng) -> DataFrame``, and
    may learn extras from the real table with ``_learn_real(data, schema)``; this class
    validates tables, conforms samples and provides ``params_`` / ``layout_`` /
    ``n_free_params_`` through the reference model.

    ``fit`` and ``sample`` need ``rng`` (a generator or an int seed): the synthesizer is seeded
    from it.
    """

    supports_fast_path: ClassVar[bool] = False

    def _column_problems(self, data: pd.DataFrame, *, strict: bool) -> list[str]:
        # the reference model measures drift: what it refuses in a real table is refused here
        return MixedAdapter()._column_problems(data, strict=strict)

    def _learn_real(self, data: pd.DataFrame, schema: TableSchema) -> Mapping:
        """Extras learned once from the real table (e.g. SDV metadata); immutable values."""
        return {}

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, rng=None):
        """Fit on real rows: decide the real schema (``learned_``), then fit the synthesizer."""
        rng = as_rng(rng)
        data = self.validate(data, strict=True)
        schema = TableSchema.from_frame(data)
        learned = LearnedFromReal(schema, self._learn_real(data, schema))
        return self._fit_on(data, learned, rng=rng, strict=True)

    def fit_generated(self, data: pd.DataFrame, *, rng=None, learned: LearnedFromReal | None = None):
        """Fit on a generation's rows, in the real table's schema (used by the engine).

        The schema is ``learned`` when given, else this adapter's own ``learned_``; an unfitted
        adapter without ``learned`` takes ``data`` as its real table."""
        rng = as_rng(rng)
        if learned is not None:
            learned = self._check_learned(learned)
        else:
            learned = getattr(self, "learned_", None)
        data = self.validate(data, strict=False)
        if learned is None:
            schema = TableSchema.from_frame(data)
            learned = LearnedFromReal(schema, self._learn_real(data, schema))
        return self._fit_on(data, learned, rng=rng, strict=False)

    def _reference_for(self, table: pd.DataFrame, learned: LearnedFromReal, strict: bool):
        if strict:
            return MixedAdapter().fit(table)
        previous = getattr(self, "reference_model_", None)
        if previous is not None and getattr(self, "learned_", None) is learned:
            # bound to the real columns already: only the statistics change (a copy: the previous
            # generation's model keeps its own parameters)
            return copy.copy(previous).fit_generated(table)
        schema = learned.schema
        blocks = schema.subset(schema.columns_of("numeric") + schema.columns_of("categorical"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            return MixedAdapter().fit_generated(table, learned=LearnedFromReal(blocks))

    def _fit_on(self, data: pd.DataFrame, learned: LearnedFromReal, *, rng, strict: bool):
        table = learned.schema.conform(data, source="the training table", error=ValidationError)
        ref = self._reference_for(table, learned, strict)
        self.schema_ = None  # unfitted until the synthesizer is fitted
        self.learned_ = learned
        self._fit_synthesizer(table, rng)
        self.reference_model_ = ref
        self.n_train_ = len(table)
        self.schema_ = learned.schema
        return self

    def sample(self, n: int, *, rng=None) -> pd.DataFrame:
        """Draw ``n`` rows, checked and conformed to the real table's schema."""
        self._check_fitted("sampling")
        n = self._sample_count(n)
        out = self._sample_synthesizer(n, as_rng(rng))
        return self.schema_.conform(out, n=n, source=self._describe())

    # -- parameters ---------------------------------------------------------------------------
    def _params_series(self) -> pd.Series:
        return self.reference_model_.params_

    @property
    def layout_(self):
        """The reference model's parameter layout (the drift parameters)."""
        self._check_fitted("reading layout_")
        return self.reference_model_.layout_

    # -- to implement -------------------------------------------------------------------------
    def _describe(self) -> str:
        return type(self).__name__

    def _fit_synthesizer(self, table: pd.DataFrame, rng: np.random.Generator) -> None:
        raise NotImplementedError  # pragma: no cover

    def _sample_synthesizer(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        raise NotImplementedError  # pragma: no cover
