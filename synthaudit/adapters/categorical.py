"""Categorical adapter: multinomial over a column's levels (independent marginals or joint cells).

Sufficient statistics: level counts. Drawn directly: ``counts ~ Multinomial(n, p)``. A level
whose count reaches zero has probability zero from then on (absorbing): collapse shows as
level loss, and the level stays in the output's categories with zero rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from .._util import sort_levels
from ..exceptions import ValidationError
from ..params import categorical_layout
from .base import ParametricAdapter, _columns_setting
from .schema import TableSchema, levels_of

__all__ = ["CategoricalAdapter"]

#: refuse joint tables with more cells than this (the multinomial would be mostly empty)
MAX_JOINT_CELLS = 100_000


def _multinomial(n: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multinomial counts per lane, robust to rounding in p (renormalised, clipped at 0)."""
    p = np.clip(p, 0.0, None)
    total = p.sum(axis=1, keepdims=True)
    p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    return rng.multinomial(n, p)


class CategoricalAdapter(ParametricAdapter):
    """Multinomial model over categorical columns.

    Parameters
    ----------
    columns : list of str, optional
        Columns to model (default: every column). Float columns are refused; category, string,
        bool and integer columns are modelled by their levels. Samples are ``category``
        columns with every level, except integer and boolean columns, which keep their dtype.
    joint : bool, default False
        False: independent marginals, parameters ``p[col=level]``.
        True: one multinomial over joint cells, parameters ``p[a=x,b=y]``.

    Examples
    --------
    >>> df = pd.DataFrame({"c": pd.Categorical(["a", "a", "b", "a"], categories=["a", "b", "z"])})
    >>> CategoricalAdapter().fit(df).params_
    p[c=a]    0.75
    p[c=b]    0.25
    p[c=z]    0.00
    Name: value, dtype: float64
    """

    name: ClassVar[str] = "categorical"

    def __init__(self, columns: Sequence | None = None, joint: bool = False):
        self.columns = columns
        self.joint = joint

    def settings_problems(self) -> list[str]:
        if not isinstance(self.joint, (bool, np.bool_)):
            return [f"`joint` must be True or False; got {self.joint!r}."]
        return []

    def _column_problems(self, data: pd.DataFrame, *, strict: bool) -> list[str]:
        problems: list[str] = []
        cols = _columns_setting(self.columns, data, problems)
        floats = [c for c in cols if pd.api.types.is_float_dtype(data[c])]
        if floats:
            problems.append(
                f"the categorical adapter models discrete columns; column(s) {floats} hold "
                "floats. Use adapter 'gaussian' or 'mixed' for continuous columns."
            )
        if not cols and not problems:
            problems.append("no columns to model; give at least one categorical column.")
        if strict:
            single = [c for c in cols if data[c].nunique() < 2]
            if single:
                problems.append(
                    f"column(s) {single} have a single level in the data: there is nothing to "
                    "audit. Drop them or choose other columns with columns=[...]."
                )
        if isinstance(self.joint, (bool, np.bool_)) and self.joint and cols:
            cells = int(np.prod([len(levels_of(data[c])) for c in cols], dtype=float))
            if cells > MAX_JOINT_CELLS:
                problems.append(
                    f"joint=True over {cols} gives {cells} cells (more than {MAX_JOINT_CELLS}); "
                    "use joint=False (independent marginals) or fewer columns."
                )
        return problems

    def _schema_for(self, data: pd.DataFrame) -> TableSchema:
        cols = list(data.columns) if self.columns is None else list(self.columns)
        return TableSchema.from_frame(data[cols], {c: "categorical" for c in cols})

    def _bind_schema(self, schema: TableSchema) -> None:
        cols = list(schema.columns)
        self.columns_ = cols
        self.levels_ = {c: tuple(schema.levels[c]) for c in cols}
        self._sample_dtypes = {c: schema.sample_dtype(c) for c in cols}
        sizes = [len(self.levels_[c]) for c in cols]
        self._sizes = sizes
        if self.joint:
            self._blocks = [(0, int(np.prod(sizes)))]
        else:
            blocks, start = [], 0
            for k in sizes:
                blocks.append((start, start + k))
                start += k
            self._blocks = blocks
        self.layout_ = categorical_layout(cols, self.levels_, joint=bool(self.joint))

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """One int64 code column per block: per column (independent), or the joint cell index."""
        self._require_columns(data, self.columns_)
        codes = []
        for c in self.columns_:
            s = data[c]
            cat = pd.Categorical(s, categories=list(self.levels_[c]))
            if (cat.codes < 0).any():
                unknown = list(sort_levels(set(pd.unique(s[cat.codes < 0]))))
                raise ValidationError(
                    f"column {c!r} holds level(s) {unknown} unseen when the model was fitted."
                )
            codes.append(cat.codes.astype(np.int64))
        X = np.stack(codes, axis=1)
        if self.joint:
            X = np.ravel_multi_index(X.T, self._sizes)[:, None]
        return X

    def stats_from_encoded(self, X: np.ndarray) -> dict:
        X = np.asarray(X, dtype=np.int64)
        B, m, _ = X.shape
        counts = []
        for j, (a, b) in enumerate(self._blocks):
            k = b - a
            flat = (X[:, :, j] + (np.arange(B) * k)[:, None]).ravel()
            counts.append(np.bincount(flat, minlength=B * k).reshape(B, k))
        return {"n": np.full(B, m, dtype=np.int64), "counts": np.concatenate(counts, axis=1)}

    @staticmethod
    def combine(a: dict, b: dict) -> dict:
        return {"n": a["n"] + b["n"], "counts": a["counts"] + b["counts"]}

    def params_from_stats(self, stats: dict) -> dict:
        return {"p": stats["counts"] / stats["n"].astype(float)[:, None]}

    def theta_vector(self, theta: dict) -> np.ndarray:
        return theta["p"]

    def theta_from_vector(self, v: np.ndarray) -> dict:
        return {"p": np.atleast_2d(np.asarray(v, dtype=float)).copy()}

    def simulate_sufficient(self, theta: dict, n, *, rng: np.random.Generator) -> dict:
        p = theta["p"]
        B = p.shape[0]
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), (B,)).copy()
        counts = np.concatenate(
            [_multinomial(n, p[:, a:b], rng) for a, b in self._blocks], axis=1
        )
        return {"n": n, "counts": counts}

    def sample_rows(self, theta: dict, n: int, rng: np.random.Generator) -> pd.DataFrame:
        p = theta["p"][0]
        codes = []
        for a, b in self._blocks:
            pb = np.clip(p[a:b], 0.0, None)
            codes.append(rng.choice(b - a, size=n, p=pb / pb.sum()))
        if self.joint:
            codes = list(np.unravel_index(codes[0], self._sizes))
        out = {}
        for c, code in zip(self.columns_, codes):
            levels, dtype = self.levels_[c], self._sample_dtypes[c]
            if isinstance(dtype, pd.CategoricalDtype):
                out[c] = pd.Categorical.from_codes(code, dtype=dtype)
            else:  # integer and boolean columns keep their dtype
                out[c] = np.asarray(levels, dtype=dtype)[code]
        return pd.DataFrame(out)

    def degenerate(self, theta) -> list[str]:
        lost = [n for n, v in zip(self.layout_.names, theta["p"][0]) if v == 0]
        if not lost:
            return []
        more = f" and {len(lost) - 5} more" if len(lost) > 5 else ""
        return [f"{len(lost)} level(s) with zero count: {lost[:5]}{more}"]
