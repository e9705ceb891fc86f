"""Poisson adapter for count columns (independent columns).

Sufficient statistics: the count of rows and each column's sum; MLE ``rate = sum / n``. Drawn
directly: ``sum ~ Poisson(n · rate)``. A rate that reaches zero stays zero (absorbing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from ..params import poisson_layout
from .base import ParametricAdapter, _columns_setting
from .schema import TableSchema, is_numeric

__all__ = ["PoissonAdapter"]


class PoissonAdapter(ParametricAdapter):
    """Independent Poisson model over non-negative integer columns, parameters ``rate[c]``.

    Examples
    --------
    >>> df = pd.DataFrame({"k": [0, 1, 2, 5]})
    >>> PoissonAdapter().fit(df).params_
    rate[k]    2.0
    Name: value, dtype: float64
    """

    name: ClassVar[str] = "poisson"

    def __init__(self, columns: Sequence | None = None):
        self.columns = columns

    def _column_problems(self, data: pd.DataFrame, *, strict: bool) -> list[str]:
        problems: list[str] = []
        cols = _columns_setting(self.columns, data, problems)
        bad = []
        for c in cols:
            s = data[c]
            if not is_numeric(s):
                bad.append(c)
                continue
            v = s.dropna().to_numpy(dtype=float)
            v = v[np.isfinite(v)]  # missing and infinite cells are reported by the table checks
            if not ((v >= 0).all() and (v == np.round(v)).all()):
                bad.append(c)
        if bad:
            problems.append(
                f"the poisson adapter models counts (non-negative integers); column(s) {bad} are "
                "not counts. Choose count columns with columns=[...]."
            )
        if not cols and not problems:
            problems.append("no columns to model; give at least one count column.")
        if strict:
            zero = [c for c in cols if c not in bad and data[c].sum() == 0]
            if zero:
                problems.append(
                    f"column(s) {zero} are all zero: a Poisson with rate 0 cannot be audited."
                )
        return problems

    def _schema_for(self, data: pd.DataFrame) -> TableSchema:
        cols = list(data.columns) if self.columns is None else list(self.columns)
        return TableSchema.from_frame(data[cols], {c: "count" for c in cols})

    def _bind_schema(self, schema: TableSchema) -> None:
        self.columns_ = list(schema.columns)
        self.layout_ = poisson_layout(self.columns_)

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """The count columns as floats, in ``columns_`` order."""
        self._require_columns(data, self.columns_)
        return data[self.columns_].to_numpy(dtype=float)

    def stats_from_encoded(self, X: np.ndarray) -> dict:
        B, m, _ = X.shape
        return {"n": np.full(B, m, dtype=np.int64), "sum": X.sum(axis=1)}

    @staticmethod
    def combine(a: dict, b: dict) -> dict:
        return {"n": a["n"] + b["n"], "sum": a["sum"] + b["sum"]}

    def params_from_stats(self, stats: dict) -> dict:
        return {"rate": stats["sum"] / stats["n"].astype(float)[:, None]}

    def theta_vector(self, theta: dict) -> np.ndarray:
        return theta["rate"]

    def theta_from_vector(self, v: np.ndarray) -> dict:
        return {"rate": np.atleast_2d(np.asarray(v, dtype=float)).copy()}

    def simulate_sufficient(self, theta: dict, n, *, rng: np.random.Generator) -> dict:
        rate = theta["rate"]
        B = rate.shape[0]
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), (B,)).copy()
        sums = rng.poisson(rate * n[:, None].astype(float)).astype(float)
        return {"n": n, "sum": sums}

    def sample_rows(self, theta: dict, n: int, rng: np.random.Generator) -> pd.DataFrame:
        rate = theta["rate"][0]
        X = rng.poisson(rate, size=(n, len(rate))).astype(np.int64)
        return pd.DataFrame(X, columns=self.columns_)

    def degenerate(self, theta) -> list[str]:
        zero = [c for c, r in zip(self.columns_, theta["rate"][0]) if r == 0]
        return [f"rate zero in column(s) {zero}"] if zero else []
