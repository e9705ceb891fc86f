"""Mixed adapter: a Gaussian over the numeric block and a multinomial over the categorical block.

The two blocks are independent. It audits any real table with numeric and categorical columns
without SDV, and it is the *reference model* other synthesizers are measured with: its
parameters (numeric block first, then categorical) are the drift parameters of any table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from ..params import concat_layouts
from .base import ParametricAdapter
from .categorical import CategoricalAdapter
from .gaussian import GaussianAdapter
from .schema import TableSchema, is_numeric

__all__ = ["MixedAdapter"]


class MixedAdapter(ParametricAdapter):
    """Gaussian (numeric columns) × multinomial (categorical columns), independent blocks.

    Parameters
    ----------
    numeric, categorical : list of str, optional
        The two blocks, obeyed as given (an integer column in ``categorical`` is categorical).
        A block left out takes the remaining columns by dtype: numeric dtypes (not bool) go to
        the Gaussian block, every other column to the categorical block.
    estimator : {"unbiased", "mle"}
        Passed to the Gaussian block.
    joint : bool, default False
        Passed to the categorical block (joint cells instead of independent marginals).

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 4.0], "c": pd.Categorical(["a", "b", "a"])})
    >>> MixedAdapter().fit(df).params_.round(3)
    mean[x]    2.333
    var[x]     2.333
    p[c=a]     0.667
    p[c=b]     0.333
    Name: value, dtype: float64
    """

    name: ClassVar[str] = "mixed"

    def __init__(self, numeric: Sequence | None = None, categorical: Sequence | None = None,
                 estimator: str = "unbiased", joint: bool = False):
        self.numeric = numeric
        self.categorical = categorical
        self.estimator = estimator
        self.joint = joint

    def settings_problems(self) -> list[str]:
        problems = []
        for what in ("numeric", "categorical"):
            value = getattr(self, what)
            if value is not None and (isinstance(value, str) or not hasattr(value, "__iter__")):
                problems.append(f"`{what}` must be a list of column names; got {value!r}.")
        if not problems:
            both = sorted(set(self.numeric or []) & set(self.categorical or []), key=str)
            if both:
                problems.append(
                    f"column(s) {both} are in both the numeric and categorical blocks; put each "
                    "column in one block."
                )
        problems += GaussianAdapter(estimator=self.estimator).settings_problems()
        problems += CategoricalAdapter(joint=self.joint).settings_problems()
        return problems

    def _split(self, data: pd.DataFrame) -> tuple[list, list]:
        """The two blocks: the user's, then every other column by its dtype (numeric dtypes but
        bool to the Gaussian block, the rest to the categorical block)."""
        given = [c for block in (self.numeric, self.categorical) if block for c in block]
        num = list(self.numeric) if self.numeric is not None else None
        cat = list(self.categorical) if self.categorical is not None else None
        if num is None:
            num = [c for c in data.columns if is_numeric(data[c]) and c not in given]
        if cat is None:
            cat = [c for c in data.columns if not is_numeric(data[c]) and c not in given]
        return num, cat

    def _blocks_for(self, num, cat):
        g = GaussianAdapter(columns=num, estimator=self.estimator) if num else None
        c = CategoricalAdapter(columns=cat, joint=self.joint) if cat else None
        return g, c

    def _column_problems(self, data: pd.DataFrame, *, strict: bool) -> list[str]:
        if any(
            v is not None and (isinstance(v, str) or not hasattr(v, "__iter__"))
            for v in (self.numeric, self.categorical)
        ):
            return []  # reported by settings_problems
        num, cat = self._split(data)
        problems = []
        for block in self._blocks_for(num, cat):
            if block is not None:
                problems += block._column_problems(data, strict=strict)
        if not num and not cat:
            problems.append("no columns to model; give a table with at least one column.")
        return problems

    def _schema_for(self, data: pd.DataFrame) -> TableSchema:
        num, cat = self._split(data)
        kinds = {**{c: "numeric" for c in num}, **{c: "categorical" for c in cat}}
        return TableSchema.from_frame(data[num + cat], kinds)

    def _bind_schema(self, schema: TableSchema) -> None:
        num, cat = schema.columns_of("numeric"), schema.columns_of("categorical")
        g, c = self._blocks_for(num, cat)
        if g is not None:
            g._bind_schema(schema.subset(num))
        if c is not None:
            c._bind_schema(schema.subset(cat))
        self._set_blocks(g, c, num, cat)

    def _set_blocks(self, g, c, num, cat) -> None:
        self.gaussian_, self.categorical_ = g, c
        self.numeric_, self.categorical_columns_ = num, cat
        self.columns_ = num + cat
        self.layout_ = concat_layouts(*(b.layout_ for b in (g, c) if b is not None))
        self._pg = len(g.layout_) if g is not None else 0

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """The Gaussian block's columns (floats), then the categorical block's codes (as floats)."""
        parts = []
        if self.gaussian_ is not None:
            parts.append(self.gaussian_.encode(data))
        if self.categorical_ is not None:
            parts.append(self.categorical_.encode(data).astype(float))
        return np.concatenate(parts, axis=1)

    def _each(self, fn, *args):
        out = {}
        if self.gaussian_ is not None:
            out["g"] = fn(self.gaussian_, *[a["g"] for a in args])
        if self.categorical_ is not None:
            out["c"] = fn(self.categorical_, *[a["c"] for a in args])
        return out

    def stats_from_encoded(self, X: np.ndarray) -> dict:
        k = len(self.numeric_)
        out = {}
        if self.gaussian_ is not None:
            out["g"] = self.gaussian_.stats_from_encoded(X[..., :k])
        if self.categorical_ is not None:
            out["c"] = self.categorical_.stats_from_encoded(X[..., k:].astype(np.int64))
        return out

    def combine(self, a: dict, b: dict) -> dict:
        return self._each(lambda blk, x, y: blk.combine(x, y), a, b)

    def params_from_stats(self, stats: dict) -> dict:
        return self._each(lambda blk, s: blk.params_from_stats(s), stats)

    def theta_vector(self, theta: dict) -> np.ndarray:
        parts = []
        if self.gaussian_ is not None:
            parts.append(self.gaussian_.theta_vector(theta["g"]))
        if self.categorical_ is not None:
            parts.append(self.categorical_.theta_vector(theta["c"]))
        return np.concatenate(parts, axis=1)

    def theta_from_vector(self, v: np.ndarray) -> dict:
        v = np.atleast_2d(np.asarray(v, dtype=float))
        out = {}
        if self.gaussian_ is not None:
            out["g"] = self.gaussian_.theta_from_vector(v[:, : self._pg])
        if self.categorical_ is not None:
            out["c"] = self.categorical_.theta_from_vector(v[:, self._pg :])
        return out

    def simulate_sufficient(self, theta: dict, n, *, rng: np.random.Generator) -> dict:
        return self._each(lambda blk, t: blk.simulate_sufficient(t, n, rng=rng), theta)

    def sample_rows(self, theta: dict, n: int, rng: np.random.Generator) -> pd.DataFrame:
        parts = []
        if self.gaussian_ is not None:
            parts.append(self.gaussian_.sample_rows(theta["g"], n, rng))
        if self.categorical_ is not None:
            parts.append(self.categorical_.sample_rows(theta["c"], n, rng))
        return pd.concat(parts, axis=1)

    def degenerate(self, theta) -> list[str]:
        msgs = []
        if self.gaussian_ is not None:
            msgs += self.gaussian_.degenerate(theta["g"])
        if self.categorical_ is not None:
            msgs += self.categorical_.degenerate(theta["c"])
        return msgs
