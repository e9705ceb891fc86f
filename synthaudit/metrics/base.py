"""The metric contract (docs/design.md §4.3): what a metric is, and what it is handed.

A :class:`Metric` records one or more quantities per replication and generation beside the
parameters. Its metadata is data (:class:`MetricInfo`); the engine hands it a frozen
:class:`MetricContext` — never the engine's plan — and a metric keeps no state between calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import numpy as np
import pandas as pd

from ..exceptions import ValidationError
from ..params import ParamLayout

__all__ = ["Metric", "MetricContext", "MetricInfo"]

_GOALS = ("min", "max")
_NEEDS = ("truth", "holdout", "tables")


@dataclass(frozen=True)
class MetricInfo:
    """What a metric measures, as data (in the manner of SDMetrics' metric metadata).

    Attributes
    ----------
    name : str
        Short name (the prefix of its trace names).
    goal : {"min", "max"}
        Whether smaller or larger is better.
    bounds : tuple of float
        The range of its values (``(0, inf)`` for a risk).
    needs : frozenset of {"truth", "holdout", "tables"}
        What the audit must provide: a known truth, held-out real rows, generated tables
        (the per-row path).
    description : str
    """

    name: str
    goal: str = "min"
    bounds: tuple[float, float] = (0.0, float("inf"))
    needs: frozenset = field(default_factory=frozenset)
    description: str = ""

    def __post_init__(self):
        if self.goal not in _GOALS:
            raise ValidationError(f"`goal` must be one of {list(_GOALS)}; got {self.goal!r}.")
        bad = sorted(set(self.needs) - set(_NEEDS))
        if bad:
            raise ValidationError(f"`needs` may hold {list(_NEEDS)}; got {bad}.")
        object.__setattr__(self, "needs", frozenset(self.needs))


@dataclass(frozen=True, eq=False)
class MetricContext:
    """Everything a metric may read about the audit it records for (built once by the engine).

    Attributes
    ----------
    layout : ParamLayout
        The model's parameters (θ order).
    reference : ndarray (P,)
        The reference parameters in layout order: the truth, or the fit on the whole real table.
    reference_kind : {"truth", "real"}
    n0 : int
        Real rows of generation 0.
    pool : DataFrame or None
        The real rows generations may draw from (table metrics compare against it).
    holdout : DataFrame or None
        Held-out real rows.
    holdout_encoded : ndarray or None
        The held-out rows encoded by the model whose layout this is (categorical codes exact).
    """

    layout: ParamLayout
    reference: np.ndarray
    reference_kind: str
    n0: int
    pool: pd.DataFrame | None = None
    holdout: pd.DataFrame | None = None
    holdout_encoded: np.ndarray | None = None

    @property
    def has_truth(self) -> bool:
        return self.reference_kind == "truth"

    @property
    def has_holdout(self) -> bool:
        return self.holdout is not None and len(self.holdout) > 0

    @cached_property
    def holdout_stats(self) -> dict:
        """Sufficient statistics of the holdout (computed once per context, per process)."""
        from .closed import holdout_statistics, holdout_statistics_encoded

        if self.holdout_encoded is not None:
            return holdout_statistics_encoded(self.layout, self.holdout_encoded)
        if not self.has_holdout:
            raise ValidationError("there are no held-out rows; pass holdout > 0 to run_audit.")
        return holdout_statistics(self.layout, self.holdout)

    def __getstate__(self):  # the cached statistics are cheap: recompute in each worker
        state = dict(self.__dict__)
        state.pop("holdout_stats", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)


class Metric:
    """A quantity recorded per replication and generation beside the parameters.

    Subclasses set :attr:`info`, implement :meth:`names` and :meth:`from_params` (vectorised
    over lanes; serves both paths) and/or :meth:`from_table` (per-row path only: sees the
    generation's training table and fitted model). A metric with only ``from_table`` sets
    ``vectorised = False`` and forces the per-row path. Metrics keep no state between calls.
    """

    info: ClassVar[MetricInfo] = MetricInfo("metric")
    #: whether :meth:`from_params` is implemented
    vectorised: ClassVar[bool] = True

    def names(self, ctx: MetricContext) -> list[str]:  # pragma: no cover - abstract
        """Trace names this metric records; raise ValidationError if ``ctx`` lacks a need."""
        raise NotImplementedError

    def from_params(self, ctx: MetricContext, theta: np.ndarray) -> np.ndarray:
        """``theta`` has shape (B, P) in layout order; return (B, len(names))."""
        raise ValidationError(f"metric {type(self).__name__} needs tables: use path='rows'.")

    def from_table(self, ctx: MetricContext, model, table: pd.DataFrame, theta: np.ndarray, *,
                   generation: int, baseline_table: pd.DataFrame | None = None) -> np.ndarray:
        """One replication's generation: return len(names) values.

        ``table`` is the generation's training table, ``baseline_table`` the replication's
        generation-0 table (the same object at generation 0)."""
        return self.from_params(ctx, theta[None, :])[0]

    def check_needs(self, ctx: MetricContext) -> None:
        """Raise a ValidationError naming what the audit lacks for this metric."""
        needs = self.info.needs
        problems = []
        if "truth" in needs and not ctx.has_truth:
            problems.append(
                f"metric {type(self).__name__} needs a known truth: pass truth=... (or a simulated "
                "table) to run_audit, or use HoldoutNLL with holdout > 0 for a real table."
            )
        if "holdout" in needs and not ctx.has_holdout:
            problems.append(
                f"metric {type(self).__name__} needs held-out real rows: pass holdout=0.2 "
                "(a fraction) to run_audit."
            )
        if problems:
            raise ValidationError(problems)
