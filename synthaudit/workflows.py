"""Workflows: how the training set of generation t is built (docs/design.md §2).

==============  ==============================================================================
``replace``     only the n_t fresh synthetic rows (the paper's fully synthetic loop)
``accumulate``  every real and synthetic row so far (n0 real + n_1 + … + n_t synthetic)
``mix``         the n_t synthetic rows plus m_t fresh real rows drawn from the pool
==============  ==============================================================================

Each workflow builds the next training set both as statistics (fast path: statistics combine
exactly) and as a table (per-row path). String specs: ``replace``, ``accumulate``, ``mix:50``
(m_t = 50) or ``mix:poly:10:1`` (m_t from a schedule spec).

Examples
--------
>>> parse("mix:50")
Mix(real=constant(50))
>>> Accumulate().train_sizes(100, [100, 100])
array([100, 200, 300])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schedules as _schedules
from .exceptions import ValidationError

__all__ = ["Accumulate", "Mix", "Replace", "Workflow", "parse"]


@dataclass(frozen=True)
class Workflow:
    """Base class; see the module docstring."""

    name = "workflow"

    def real_rows(self, n_generations: int) -> np.ndarray:
        """m_t, the fresh real rows added at generations 1..T (zeros unless ``mix``)."""
        return np.zeros(n_generations, dtype=np.int64)

    def train_sizes(self, n0: int, sizes) -> np.ndarray:
        """Training-set size of generations 0..T."""
        raise NotImplementedError

    def next_stats(self, adapter, previous, synthetic, real):
        raise NotImplementedError

    def next_table(self, previous: pd.DataFrame, synthetic: pd.DataFrame, real):
        raise NotImplementedError

    @property
    def spec(self) -> str:
        return self.name


@dataclass(frozen=True)
class Replace(Workflow):
    """Train generation t on the n_t synthetic rows only."""

    name = "replace"

    def train_sizes(self, n0, sizes):
        return np.concatenate([[n0], np.asarray(sizes, dtype=np.int64)])

    def next_stats(self, adapter, previous, synthetic, real):
        return synthetic

    def next_table(self, previous, synthetic, real):
        return synthetic

    def __repr__(self):
        return "Replace()"


@dataclass(frozen=True)
class Accumulate(Workflow):
    """Train generation t on every real and synthetic row so far."""

    name = "accumulate"

    def train_sizes(self, n0, sizes):
        return np.concatenate([[n0], n0 + np.cumsum(np.asarray(sizes, dtype=np.int64))])

    def next_stats(self, adapter, previous, synthetic, real):
        return adapter.combine(previous, synthetic)

    def next_table(self, previous, synthetic, real):
        return pd.concat([previous, synthetic], ignore_index=True)

    def __repr__(self):
        return "Accumulate()"


@dataclass(frozen=True)
class Mix(Workflow):
    """Train generation t on n_t synthetic rows plus m_t fresh real rows from the pool.

    Parameters
    ----------
    real : int or Schedule
        m_t: a constant number of real rows, or a schedule of them.
    """

    real: _schedules.Schedule = None
    name = "mix"

    def __post_init__(self):
        real = self.real
        if isinstance(real, (int, np.integer)) and not isinstance(real, bool):
            if real < 1:
                raise ValidationError(f"`mix` needs at least 1 real row per generation; got {real}.")
            real = _schedules.constant(int(real))
        elif isinstance(real, str):
            real = _schedules.parse(real)
        if not isinstance(real, _schedules.Schedule):
            raise ValidationError(
                f"`Mix(real=...)` takes a number of real rows or a schedule; got {self.real!r}."
            )
        object.__setattr__(self, "real", real)

    def real_rows(self, n_generations):
        return self.real.sizes(n_generations)

    def train_sizes(self, n0, sizes):
        sizes = np.asarray(sizes, dtype=np.int64)
        return np.concatenate([[n0], sizes + self.real_rows(len(sizes))])

    def next_stats(self, adapter, previous, synthetic, real):
        return adapter.combine(synthetic, real)

    def next_table(self, previous, synthetic, real):
        return pd.concat([synthetic, real], ignore_index=True)

    @property
    def spec(self):
        s = self.real
        if isinstance(s, _schedules.constant):
            return f"mix:{int(s.n)}"
        return f"mix:{s.spec}"

    def __repr__(self):
        return f"Mix(real={self.real!r})"


def parse(spec) -> Workflow:
    """A workflow from a name or spec (``replace``, ``accumulate``, ``mix:50``); instances pass.

    Examples
    --------
    >>> parse("replace")
    Replace()
    """
    if isinstance(spec, Workflow):
        return spec
    if not isinstance(spec, str):
        raise ValidationError(
            f"`workflow` must be 'replace', 'accumulate' or 'mix:M'; got {spec!r}."
        )
    key, _, rest = spec.strip().lower().partition(":")
    if key == "replace" and not rest:
        return Replace()
    if key == "accumulate" and not rest:
        return Accumulate()
    if key == "mix":
        if not rest:
            raise ValidationError(
                "workflow 'mix' needs the number of real rows per generation, e.g. 'mix:50'."
            )
        try:
            return Mix(int(rest))
        except ValueError:
            return Mix(_schedules.parse(rest))
    raise ValidationError(
        f"unknown workflow {spec!r}; use 'replace', 'accumulate' or 'mix:M' (M real rows)."
    )
