""":func:`run_audit`: validate, plan, execute the units (optionally into a run directory) and
assemble them in replication order, so the trace is the same for any ``n_jobs`` or backend."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .. import _random
from .. import store as _store
from ..metrics import Metric
from ..result import AuditResult, provenance
from ..spec import AuditSpec
from .executors import execute
from .plan import AuditPlan, build_plan, resolve_spec

__all__ = ["assemble", "run_audit"]

#: libraries whose versions a result records when the audit used them
_USED_LIBRARIES = ("sdv", "torch", "rdt")


def assemble(plan: AuditPlan, pieces: Mapping | Iterable) -> AuditResult:
    """Put unit results together in replication order: ``pieces`` is ``{unit: (values, tables)}``
    or an iterable of ``(unit, (values, tables))`` pairs, consumed as it comes (one unit in
    flight, never a second copy of the whole values array)."""
    R = plan.n_replications
    values = np.empty((R, plan.n_generations + 1, plan.n_quantities))
    tables = [None] * R if plan.keep_tables else None
    items = pieces.items() if isinstance(pieces, Mapping) else pieces
    for unit, (vals, tabs) in items:
        reps = plan.unit_replications(unit)  # contiguous: copy as a slice
        first, last = int(reps[0]), min(int(reps[-1]) + 1, R)
        values[first:last] = vals[: last - first]
        if tables is not None and tabs is not None:
            for r in range(first, last):
                tables[r] = tabs
    prov = provenance(_USED_LIBRARIES)
    prov["seed_entropy"] = _random.root_entropy(plan.root)
    return AuditResult(
        values=values,
        quantities=tuple(plan.quantities),
        parameters=tuple(plan.parameters),
        layout=plan.layout,
        n_rows=np.asarray(plan.train_sizes, dtype=np.int64),
        reference=plan.reference,
        reference_kind=plan.reference_kind,
        config=plan.config(),
        provenance=prov,
        n_free_params=plan.n_free_params,
        tables=tables,
    )


def _units_for_jobs(plan: AuditPlan, n_jobs: int) -> list:
    if plan.path == "fast":
        n_blocks = math.ceil(plan.n_replications / plan.fast_block)
        per = max(1, math.ceil(n_blocks / max(1, n_jobs)))
        per = min(per, 16)  # bounded units keep memory flat and resume fine-grained
        return plan.units(per)
    return plan.units()


def run_audit(data, spec: AuditSpec | Mapping | None = None, *, truth=None,
              metrics: Sequence[Metric] | None = None, **fields) -> AuditResult:
    """Regenerate a table recursively and record every generation's parameters.

    The settings are an :class:`~synthaudit.spec.AuditSpec` — given whole as ``spec``, as
    keyword fields, or both (fields override the spec) — with the same defaults as
    ``synthaudit run``: the same settings give the same trace from Python and the command line.
    Every problem (settings, adapter settings, table, sizes) is reported at once in one
    :class:`~synthaudit.exceptions.ValidationError`.

    Parameters
    ----------
    data : DataFrame or SimulatedTable
        The real table (a :class:`synthaudit.datasets.SimulatedTable` also brings its truth).
    spec : AuditSpec or dict, optional
        The settings; see :class:`~synthaudit.spec.AuditSpec` for every field.
    truth : Series or dict, optional
        Known parameters (named like the adapter's ``params_``): the reference of drift and
        risk; generation 0 then draws n0 fresh rows from the truth in every replication.
    metrics : sequence of Metric, optional
        Quantities recorded per generation beside the parameters. Default
        (:func:`synthaudit.metrics.default_metrics`): KL and squared parameter error to the
        truth when it is known, held-out negative log-likelihood when there is a holdout.
        ``[]`` records parameters only.
    **fields
        Fields of :class:`~synthaudit.spec.AuditSpec`: ``adapter="mixed"``,
        ``adapter_settings={}`` (e.g. ``{"estimator": "mle"}``), ``schedule=None`` (constant
        n0), ``n_generations=50``, ``n_replications=100``, ``workflow="replace"``, ``n0=None``
        (the whole pool), ``holdout=0.2``, ``seed=0`` (None: fresh entropy, recorded; with a
        run directory, its recorded seed), ``path="auto"``, ``n_jobs=1``, ``backend="joblib"``
        (or ``"serial"``, ``"dask"``), ``scheduler=None``, ``memory_budget=2 GiB``,
        ``keep_tables=False``, ``run_dir=None``, ``progress=False``.

    Returns
    -------
    AuditResult
        Its ``config`` holds the spec's fields that decide the numbers, with n0, the schedule,
        the path and the seed as resolved.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=100)})
    >>> res = run_audit(df, adapter="gaussian", adapter_settings={"estimator": "mle"},
    ...                 schedule="const:100", n_generations=20, n_replications=200, seed=1)
    >>> res.values.shape, res.quantities
    ((200, 21, 3), ('mean[x]', 'var[x]', 'risk[holdout_nll]'))
    >>> res.config["n0"], res.config["holdout_rows"], res.config["path"]
    (80, 20, 'fast')
    >>> list(res.trace.columns)
    ['replication', 'generation', 'n_rows', 'parameter', 'value']
    """
    spec, problems, invalid = resolve_spec(spec, fields)
    if spec.run_dir is not None and spec.seed is None and not {"seed", "run_dir"} & invalid:
        stored = _store.stored_seed(spec.run_dir)  # resume a run started with fresh entropy
        if stored is not None:
            spec = spec.model_copy(update={"seed": stored})
    plan = build_plan(data, spec, truth=truth, metrics=metrics, problems=problems,
                      invalid=invalid)
    units = _units_for_jobs(plan, spec.n_jobs if spec.n_jobs > 0 else 2)
    run = dict(n_jobs=spec.n_jobs, progress=spec.progress, backend=spec.backend,
               scheduler=spec.scheduler)
    if spec.run_dir is None:
        return assemble(plan, ((u, (v, t)) for u, v, t in execute(plan, units, **run)))
    with _store.open_run(spec.run_dir, plan) as stored_run:

        def fresh():
            for u, v, t in execute(plan, stored_run.todo(units), **run):
                stored_run.write_unit(u, v)
                yield u, (v, t)

        return assemble(plan, itertools.chain(dict(stored_run.done).items(), fresh()))
