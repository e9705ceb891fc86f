"""The per-row path (any adapter): rows are sampled and the model refitted, generation after
generation. A unit is one replication; generation g of replication r draws from its own
generator (``_random.generator(root, "row", r, g)``)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _random
from ..exceptions import DegenerateDataWarning

if TYPE_CHECKING:
    from .plan import AuditPlan

__all__ = ["compute_rows"]


def compute_rows(plan: AuditPlan, r: int) -> tuple[np.ndarray, list | None]:
    """Values of replication ``r``, shape (1, T + 1, quantities), and its tables if kept."""
    G = plan.n_generations
    out = np.empty((1, G + 1, plan.n_quantities))
    N = len(plan.pool)
    tables = [] if plan.keep_tables else None
    rng = _random.generator(plan.root, "row", r, 0)
    if plan.truth_theta is not None:
        train = plan.reference_model.sample_rows(plan.truth_theta, plan.n0, rng)
    elif plan.n0 == N:
        train = plan.pool
    else:
        train = plan.pool.iloc[np.sort(rng.choice(N, plan.n0, replace=False))]
        train = train.reset_index(drop=True)
    model = _fit(plan.adapter.clone(), train, rng, learned=plan.reference_model.learned_)
    baseline = train
    _record(plan, out, 0, model, train, baseline)
    if tables is not None:
        tables.append(train)
    for t in range(1, G + 1):
        rng = _random.generator(plan.root, "row", r, t)
        syn = model.sample(int(plan.sizes[t - 1]), rng=rng)
        real = None
        m = int(plan.real_rows[t - 1])
        if m and plan.truth_theta is not None:  # fresh real rows: drawn from the truth
            real = plan.reference_model.sample_rows(plan.truth_theta, m, rng)
        elif m:
            real = plan.pool.iloc[np.sort(rng.choice(N, m, replace=False))]
            real = real.reset_index(drop=True)
        train = plan.workflow.next_table(train, syn, real)
        model = _fit(model, train, rng)
        _record(plan, out, t, model, train, baseline)
        if tables is not None:
            tables.append(syn)
    return out, tables


def _fit(model, table: pd.DataFrame, rng, learned=None):
    """Fit one generation with ``fit_generated``: the model of the previous generation is
    refitted, so an adapter keeps what it learned from the real table (schema, SDV metadata, a
    feature pool); generation 0 is an unfitted clone handed the reference model's ``learned_``
    explicitly. Degenerate generations only warn, and those warnings are the audit's findings,
    not noise: they are silenced here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        if learned is not None:
            return model.fit_generated(table, rng=rng, learned=learned)
        return model.fit_generated(table, rng=rng)


def _record(plan: AuditPlan, out, t, model, table, baseline) -> None:
    P = len(plan.parameters)
    params = model.params_
    if tuple(params.index) != plan.parameters:
        params = params.reindex(list(plan.parameters))
    vec = params.to_numpy(dtype=float)
    out[0, t, :P] = vec
    col = P
    for m, k in zip(plan.metrics, plan.metric_widths):
        out[0, t, col : col + k] = m.from_table(plan.context, model, table, vec, generation=t,
                                                baseline_table=baseline)
        col += k
