"""The plan of an audit: :func:`prepare` validates a request (every problem at once) and builds a
frozen :class:`AuditPlan`, everything a worker needs to compute a unit.

:func:`prepare` checks the settings (:class:`~synthaudit.spec.AuditSpec`), the adapter and its
settings, the table and the sizes the data allow, and raises one
:class:`~synthaudit.exceptions.ValidationError` listing them all before any model is fitted;
then it fits the reference model on the whole real table, splits the pool from the holdout and
checks what only the fitted model can tell (the truth's parameters, the per-row path's memory, the
metrics' needs). Nothing in the plan changes after that.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _random
from .. import schedules as _schedules
from .. import workflows as _workflows
from ..adapters import BaseAdapter, ParametricAdapter, make_adapter
from ..exceptions import ValidationError
from ..metrics import Metric, MetricContext, default_metrics
from ..params import ParamLayout
from ..spec import AuditSpec, jsonable, resolve, settings_problems
from . import executors
from .fast import compute_fast
from .rows import compute_rows

__all__ = ["AuditPlan", "build_plan", "prepare", "resolve_spec"]


@dataclass(frozen=True, eq=False)
class AuditPlan:
    """Everything a worker needs to compute a unit (frozen and picklable).

    Attributes
    ----------
    spec : AuditSpec
        The settings as given.
    adapter : adapter
        Unfitted template; each per-row replication fits a clone of it.
    reference_model : adapter
        Fitted on the whole real table; the fast path uses its statistics functions.
    pool, holdout : DataFrame
        The real rows generations draw from, and the held-out rows (None without a holdout).
    schedule, workflow, sizes, real_rows, train_sizes
        The schedule, the workflow, n_1..n_T, m_1..m_T and the training size of generations 0..T.
    n0, n_generations, n_replications : int
    root : SeedSequence
        Root of every random stream (its entropy is recorded).
    path : {"fast", "rows"}
    layout, parameters, quantities
        The parameter layout, its names, and every recorded quantity (parameters, then metrics).
    reference, reference_kind
        The reference parameters and where they come from (``"truth"`` or ``"real"``).
    truth_theta : dict or None
        The truth as the adapter's θ (one lane), when it is known.
    context : MetricContext
        What the metrics read.
    """

    spec: AuditSpec
    adapter: Any
    reference_model: Any
    pool: pd.DataFrame
    holdout: pd.DataFrame | None
    schedule: _schedules.Schedule
    workflow: _workflows.Workflow
    sizes: np.ndarray
    real_rows: np.ndarray
    train_sizes: np.ndarray
    n0: int
    n_generations: int
    n_replications: int
    root: np.random.SeedSequence
    path: str
    layout: ParamLayout
    parameters: tuple[str, ...]
    quantities: tuple[str, ...]
    reference: pd.Series
    reference_kind: str
    context: MetricContext
    truth_theta: dict | None = None
    metrics: tuple[Metric, ...] = ()
    metric_widths: tuple[int, ...] = ()
    keep_tables: bool = False
    n_free_params: int | None = None
    pool_encoded: np.ndarray | None = None
    fast_block: int = _random.FAST_BLOCK

    @property
    def n_quantities(self) -> int:
        return len(self.quantities)

    def config(self) -> dict:
        """The JSON-friendly settings of this plan: every field of the spec that decides the
        numbers (:attr:`AuditSpec.RESULT_FIELDS`), with what was resolved against the data
        filled in (n0, the schedule, the path, the seed's entropy), and what was derived
        (adapter parameters, pool and holdout rows, reference, quantities). Two runs with the
        same config and data compute the same trace."""
        ad = self.adapter
        entropy = _random.root_entropy(self.root)
        return {
            "adapter": ad.name or type(ad).__name__,
            "adapter_settings": jsonable(self.spec.adapter_settings),
            "adapter_params": {k: jsonable(v) for k, v in ad.effective_params().items()},
            "schedule": self.schedule.spec,
            "workflow": self.workflow.spec,
            "n_generations": self.n_generations,
            "n_replications": self.n_replications,
            "n0": self.n0,
            "holdout": self.spec.holdout,
            "holdout_rows": 0 if self.holdout is None else len(self.holdout),
            "pool_rows": len(self.pool),
            "reference": self.reference_kind,
            "seed": entropy,
            "seed_entropy": entropy,
            "path": self.path,
            "keep_tables": self.keep_tables,
            "fast_block": self.fast_block,
            "quantities": list(self.quantities),
        }

    def units(self, per_unit: int | None = None) -> list[tuple[str, int, int]]:
        """Work units: ``("fast", first_block, n_blocks)`` or ``("row", replication, 1)``."""
        if self.path == "fast":
            n_blocks = math.ceil(self.n_replications / self.fast_block)
            per = per_unit or n_blocks
            return [("fast", b, min(per, n_blocks - b)) for b in range(0, n_blocks, per)]
        return [("row", r, 1) for r in range(self.n_replications)]

    def unit_replications(self, unit) -> np.ndarray:
        """The replications a unit computes (a padded last fast block runs past R)."""
        kind, start, count = unit
        if kind == "fast":
            first = start * self.fast_block
            return np.arange(first, first + count * self.fast_block)
        return np.arange(start, start + count)

    def compute(self, unit) -> tuple[np.ndarray, list | None]:
        """Values of one unit, shape (replications in unit, n_generations + 1, n_quantities),
        and the unit's tables when they are kept."""
        kind, start, count = unit
        if kind == "fast":
            return compute_fast(self, start, count), None
        return compute_rows(self, start)


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------
def _adapter_keys(adapter, unknown: Mapping) -> Collection[str]:
    """Which of the ``unknown`` names are settings of ``adapter`` (for a hint)."""
    for settings in (dict(unknown), {}):
        try:
            built = make_adapter(adapter, **settings)
        except Exception:  # only a hint: any failure means "cannot tell"
            continue
        params = inspect.signature(type(built).__init__).parameters
        return {p for p in params if p != "self"}
    return ()


def resolve_spec(spec: AuditSpec | Mapping | None = None, fields: Mapping | None = None, *,
                 labels: Mapping[str, str] | None = None,
                 where: Callable[[str], str] | None = None,
                 ) -> tuple[AuditSpec, list[str], frozenset[str]]:
    """:func:`synthaudit.spec.resolve` plus the checks that need the engine (the backend is a
    registered executor). Returns ``(spec, problems, invalid fields)``; ``labels`` and
    ``where`` say how to name a field in messages (see :func:`~synthaudit.spec.resolve`)."""
    spec, problems, invalid = resolve(spec, fields, adapter_keys=_adapter_keys, labels=labels,
                                      where=where)
    if "backend" not in invalid and spec.backend not in executors.EXECUTORS:
        name = (labels or {}).get("backend", "backend")
        problems.append(f"`{name}` must be one of {sorted(executors.EXECUTORS)}; got "
                        f"{spec.backend!r}{where('backend') if where else ''}.")
        invalid = invalid | {"backend"}
    return spec, problems, invalid


def _unpack(data, truth, problems: list[str]):
    """The real table and the truth (a Series or None) from ``data``/``truth``."""
    if not isinstance(data, pd.DataFrame) and hasattr(data, "data") and hasattr(data, "truth"):
        if truth is None:  # a simulated table brings its truth
            truth = data.truth
        data = data.data
    if truth is None or isinstance(truth, pd.Series):
        return data, truth
    try:
        return data, pd.Series(truth, dtype=float)
    except (TypeError, ValueError):
        problems.append("`truth` must be a Series (or a dict) of parameters: name -> value; "
                        f"got {type(truth).__name__}.")
        return data, None


def prepare(data, spec: AuditSpec | Mapping | None = None, *, truth=None,
            metrics: Sequence[Metric] | None = None, **fields) -> AuditPlan:
    """Validate an audit (every problem at once) and build its plan.

    Takes the arguments of :func:`synthaudit.run_audit`; see there.

    Examples
    --------
    >>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=50)})
    >>> plan = prepare(df, adapter="gaussian", n_generations=3, n_replications=10)
    >>> plan.path, plan.n0, len(plan.holdout), plan.parameters
    ('fast', 40, 10, ('mean[x]', 'var[x]'))
    """
    spec, problems, invalid = resolve_spec(spec, fields)
    return build_plan(data, spec, truth=truth, metrics=metrics, problems=problems,
                      invalid=invalid)


def _check_metrics(metrics, problems: list[str]) -> tuple | None:
    if metrics is None:
        return None
    try:
        chosen = tuple(metrics)
    except TypeError:
        problems.append(f"`metrics` must be a list of Metric objects; got {metrics!r}.")
        return None
    bad = [type(m).__name__ for m in chosen if not isinstance(m, Metric)]
    if bad:
        problems.append(f"`metrics` must hold Metric objects (synthaudit.metrics); got {bad}.")
        return None
    return chosen


def build_plan(data, spec: AuditSpec, *, truth=None, metrics: Sequence[Metric] | None = None,
               problems: Sequence[str] = (), invalid: Collection[str] = frozenset(),
               ) -> AuditPlan:
    """The plan of ``spec`` on ``data``; ``problems`` and ``invalid`` come from
    :func:`resolve_spec` (the checks below skip what depends on an invalid field, and every
    problem is raised together)."""
    problems = list(problems)

    def valid(*names) -> bool:
        return not set(invalid) & set(names)

    G = spec.n_generations if valid("n_generations") else None
    metrics = _check_metrics(metrics, problems)

    # -- the adapter and its settings -------------------------------------------------------
    ad = None
    if valid("adapter", "adapter_settings"):
        try:
            ad = make_adapter(spec.adapter, **spec.adapter_settings)
        except ValidationError as exc:
            problems += exc.problems
        else:
            bad = settings_problems(type(ad), spec.adapter_settings)
            if bad:
                problems += bad
                ad = None

    # -- the table, the truth, and the sizes the table allows -------------------------------
    table, truth_s = _unpack(data, truth, problems)
    try:
        table = (ad if ad is not None else BaseAdapter()).validate(table)
    except ValidationError as exc:
        problems += exc.problems
        table = None
    n_pool = None
    if table is not None and valid("holdout"):
        n_pool = len(table) - int(round(spec.holdout * len(table)))
        if truth_s is None and n_pool < 2:
            problems.append(
                f"`holdout` ({spec.holdout}) leaves {n_pool} of the table's {len(table)} rows "
                "for the pool; at least 2 are needed: lower the holdout fraction."
            )
    n0 = None
    if n_pool is not None and valid("n0"):
        n0 = n_pool if spec.n0 is None else spec.n0
        if truth_s is None and n0 > n_pool:
            problems.append(
                f"`n0` ({n0}) exceeds the {n_pool} rows available for generation 0"
                + (" after the holdout split" if spec.holdout else "")
                + "; lower n0 or the holdout fraction."
            )
    schedule = sizes = None
    if valid("schedule", "n_generations"):
        schedule = spec.schedule
        if schedule is None and n0 is not None:
            schedule = _schedules.constant(max(n0, 2))
        if schedule is not None:
            try:
                sizes = schedule.sizes(G)
            except ValidationError as exc:
                problems += exc.problems
    workflow = spec.workflow if valid("workflow") else None
    real_rows = None
    if workflow is not None and G is not None:
        try:
            real_rows = workflow.real_rows(G)
        except ValidationError as exc:
            problems += exc.problems
        if (real_rows is not None and n_pool is not None and truth_s is None
                and real_rows.max(initial=0) > n_pool):  # with a truth, fresh rows come from it
            problems.append(
                f"workflow {workflow.spec!r} draws up to {int(real_rows.max())} real rows per "
                f"generation but the pool has {n_pool}."
            )

    # -- the path ---------------------------------------------------------------------------
    path = None
    if ad is not None and valid("path", "keep_tables"):
        needs_tables = metrics is not None and not all(m.vectorised for m in metrics)
        fast_ok = type(ad).supports_fast_path and not spec.keep_tables and not needs_tables
        if spec.path == "fast" and not fast_ok:
            why = ("it keeps tables (keep_tables=True)" if spec.keep_tables
                   else "a metric needs tables" if needs_tables
                   else f"adapter {ad.name or type(ad).__name__!r} has no sufficient statistics")
            problems.append(f"`path='fast'` is not possible here: {why}. Use path='rows'.")
        path = "fast" if spec.path in ("auto", "fast") and fast_ok else "rows"

    # -- the reference fit (it also checks the table against the model) ---------------------
    # A fit is never spent on a request already known to be invalid, unless it is cheap (a
    # parametric adapter): then what only the fitted model can tell is reported too.
    root = _random.as_root(spec.seed) if valid("seed") else None
    ref = None
    if (ad is not None and table is not None and root is not None
            and (not problems or type(ad).supports_fast_path)):
        ref = ad.clone()
        try:
            ref.fit(table, rng=_random.generator(root, "split"))
        except ValidationError as exc:
            problems += exc.problems
            ref = None
    if ref is None:  # there are problems already (or there would have been a fit)
        raise ValidationError(problems)
    layout = ref.layout_
    parameters = tuple(layout.names)

    # pool / holdout split (seeded, once)
    holdout = pool = None
    if valid("holdout"):
        if spec.holdout > 0:
            n_hold = int(round(spec.holdout * len(table)))
            perm = _random.generator(root, "split").permutation(len(table))
            hold_idx, pool_idx = np.sort(perm[:n_hold]), np.sort(perm[n_hold:])
            holdout = table.iloc[hold_idx].reset_index(drop=True)
            pool = table.iloc[pool_idx].reset_index(drop=True)
        else:
            pool = table.reset_index(drop=True)

    reference, reference_kind, truth_theta = ref.params_.copy(), "real", None
    if truth_s is not None:
        missing = [p for p in parameters if p not in truth_s.index]
        extra = [p for p in truth_s.index if p not in parameters]
        if missing or extra:
            problems.append(
                f"`truth` must name exactly the adapter's parameters {list(parameters)}; "
                f"missing {missing}, unexpected {extra}."
            )
        elif not isinstance(ref, ParametricAdapter):
            problems.append("`truth` needs a parametric adapter (gaussian, categorical, …).")
        else:
            reference = truth_s.reindex(list(parameters)).astype(float)
            reference_kind = "truth"
            truth_theta = ref.theta_from_vector(reference.to_numpy().reshape(1, -1))

    train_sizes = None
    if workflow is not None and n0 is not None and sizes is not None:
        train_sizes = workflow.train_sizes(n0, sizes)
    if path == "rows" and train_sizes is not None and valid("memory_budget"):
        ncols = len(ref.schema_.columns)
        peak = int(train_sizes.max()) * ncols * 8 * 4
        if peak > spec.memory_budget:
            hint = (
                "use the fast path (path='fast'), which never holds the rows"
                if type(ad).supports_fast_path
                else "use a schedule with fewer rows per generation"
            )
            problems.append(
                f"the per-row path would hold a training table of {int(train_sizes.max()):,} rows "
                f"× {ncols} columns (about {peak / 1024**3:.1f} GiB with working copies), over the "
                f"memory budget of {spec.memory_budget / 1024**3:.1f} GiB; {hint}."
            )

    context, chosen, names = None, (), []
    if pool is not None and n0 is not None:
        holdout_encoded = None
        if holdout is not None and len(holdout) and isinstance(ref, ParametricAdapter):
            holdout_encoded = ref.encode(holdout)
        context = MetricContext(
            layout=layout,
            reference=reference.reindex(list(parameters)).to_numpy(dtype=float),
            reference_kind=reference_kind,
            n0=int(n0),
            pool=pool,
            holdout=holdout,
            holdout_encoded=holdout_encoded,
        )
        chosen = tuple(default_metrics(context) if metrics is None else metrics)
        for m in chosen:
            try:
                names.append(list(m.names(context)))
            except ValidationError as exc:
                problems += exc.problems
    if problems:
        raise ValidationError(problems)
    return AuditPlan(
        spec=spec,
        adapter=ad.clone(),
        reference_model=ref,
        pool=pool,
        holdout=holdout,
        schedule=schedule,
        workflow=workflow,
        sizes=sizes,
        real_rows=real_rows,
        train_sizes=train_sizes,
        n0=int(n0),
        n_generations=G,
        n_replications=spec.n_replications,
        root=root,
        path=path,
        layout=layout,
        parameters=parameters,
        quantities=parameters + tuple(n for group in names for n in group),
        reference=reference,
        reference_kind=reference_kind,
        context=context,
        truth_theta=truth_theta,
        metrics=chosen,
        metric_widths=tuple(len(g) for g in names),
        keep_tables=spec.keep_tables,
        n_free_params=int(ref.n_free_params_),
        pool_encoded=ref.encode(pool) if path == "fast" else None,
    )
