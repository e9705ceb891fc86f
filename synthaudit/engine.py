"""The engine: replications × generations of fit → sample → fit (DESIGN §3, §6).

:func:`run_audit` validates the request, prepares an :class:`AuditPlan` (the real table split into
pool and holdout, the reference fit, the schedule's sizes), cuts the work into *units* and runs
them, serially or in parallel. Two paths compute a unit:

* the **fast exact path** (parametric adapters, parameters only): sufficient statistics are drawn
  directly, vectorised over lanes; a unit is a run of whole blocks of ``FAST_BLOCK``
  replications, each block with its own generator, so a replication's numbers never depend on
  how many replications were asked for nor on how the work was split;
* the **per-row path** (any adapter): rows are sampled and the model refitted, generation after
  generation; a unit is one replication with its own generators.

Each unit returns an array ``values[replication, generation, quantity]``; the result assembles
them in replication order, so the trace is the same for any ``n_jobs``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _random
from . import schedules as _schedules
from . import workflows as _workflows
from .adapters import ParametricAdapter, make_adapter
from .exceptions import DegenerateDataWarning, MissingDependencyError, ValidationError
from .metrics import Metric, MetricContext, default_metrics
from .params import ParamLayout
from .result import AuditResult, provenance

__all__ = ["AuditPlan", "AuditResult", "run_audit"]

#: default memory the per-row path may use for one training table (bytes)
DEFAULT_MEMORY_BUDGET = 2 * 1024**3
_PATHS = ("auto", "fast", "rows")
_BACKENDS = ("joblib", "dask")


# ---------------------------------------------------------------------------------------------
# lane-split random generator (fast path)
# ---------------------------------------------------------------------------------------------
class _LaneRNG:
    """Looks like a Generator to an adapter; splits every draw's leading (lane) axis by block.

    Each block's generator sees exactly the calls it would see if its block ran alone, so a
    unit of several blocks draws the same numbers as the blocks one by one.
    """

    def __init__(self, gens: list[np.random.Generator], block: int):
        self.gens, self.block = gens, block

    def _split(self, *arrays):
        for i, g in enumerate(self.gens):
            sl = slice(i * self.block, (i + 1) * self.block)
            yield g, [a[sl] if isinstance(a, np.ndarray) and a.ndim else a for a in arrays]

    def _cat(self, fn, *arrays):
        return np.concatenate([fn(g, *parts) for g, parts in self._split(*arrays)], axis=0)

    def standard_normal(self, size):
        size = (size,) if np.isscalar(size) else tuple(size)
        return self._cat(lambda g: g.standard_normal((self.block,) + size[1:]))

    def chisquare(self, df):
        df = np.asarray(df)
        if df.ndim and df.shape[0] == self.block * len(self.gens) and (df == df.flat[0]).all():
            # one degree of freedom for every lane (the usual case: sizes do not vary by lane);
            # the scalar form draws the same numbers twice as fast
            shape = (self.block,) + df.shape[1:]
            return self._cat(lambda g: g.chisquare(df.flat[0], shape))
        return self._cat(lambda g, d: g.chisquare(d), df)

    def multinomial(self, n, pvals):
        return self._cat(lambda g, nn, p: g.multinomial(nn, p), np.asarray(n), np.asarray(pvals))

    def poisson(self, lam):
        return self._cat(lambda g, lm: g.poisson(lm), np.asarray(lam))

    def random(self, size):
        size = (size,) if np.isscalar(size) else tuple(size)
        return self._cat(lambda g: g.random((self.block,) + size[1:]))


def _subsets(rng, n_lanes: int, population: int, m: int) -> np.ndarray:
    """m distinct row indices out of ``population`` per lane, shape (n_lanes, m)."""
    out = np.empty((n_lanes, m), dtype=np.int64)
    chunk = max(1, int(4_000_000 // max(population, 1)))
    for start in range(0, n_lanes, chunk):
        stop = min(n_lanes, start + chunk)
        keys = rng.random((stop - start, population))
        if m < population:
            idx = np.argpartition(keys, m - 1, axis=1)[:, :m]
        else:
            idx = np.argsort(keys, axis=1)
        out[start:stop] = idx
    return out


def _lane_subsets(rng: _LaneRNG, population: int, m: int) -> np.ndarray:
    return np.concatenate(
        [_subsets(g, rng.block, population, m) for g in rng.gens], axis=0
    )


# ---------------------------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------------------------
@dataclass
class AuditPlan:
    """Everything a worker needs to compute a unit (picklable)."""

    adapter: Any  # unfitted template
    reference_model: Any  # fitted on the whole real table (or set to the truth)
    pool: pd.DataFrame
    holdout: pd.DataFrame | None
    workflow: _workflows.Workflow
    sizes: np.ndarray  # n_1..n_T
    real_rows: np.ndarray  # m_1..m_T
    train_sizes: np.ndarray  # generations 0..T
    n0: int
    n_generations: int
    n_replications: int
    root: np.random.SeedSequence
    path: str
    parameters: tuple[str, ...]
    layout: ParamLayout
    quantities: tuple[str, ...]
    reference: pd.Series
    reference_kind: str  # "truth" or "real"
    context: MetricContext
    truth_model: Any = None
    metrics: Sequence[Metric] = ()
    metric_widths: tuple[int, ...] = ()
    keep_tables: bool = False
    fast_block: int = _random.FAST_BLOCK
    pool_encoded: np.ndarray | None = None
    schedule: _schedules.Schedule | None = None

    @property
    def n_quantities(self) -> int:
        return len(self.quantities)

    def config(self) -> dict:
        """The JSON-friendly settings of this plan (what makes two runs the same run)."""
        return config_of(self)

    def units(self, per_unit: int | None = None) -> list[tuple[str, int, int]]:
        """Work units: ``("fast", first_block, n_blocks)`` or ``("row", replication, 1)``."""
        if self.path == "fast":
            n_blocks = math.ceil(self.n_replications / self.fast_block)
            per = per_unit or n_blocks
            return [("fast", b, min(per, n_blocks - b)) for b in range(0, n_blocks, per)]
        return [("row", r, 1) for r in range(self.n_replications)]

    def unit_replications(self, unit) -> np.ndarray:
        kind, start, count = unit
        if kind == "fast":
            first = start * self.fast_block
            return np.arange(first, first + count * self.fast_block)
        return np.arange(start, start + count)

    # -- computing a unit -------------------------------------------------------------------
    def compute(self, unit) -> tuple[np.ndarray, Any]:
        """Values of one unit, shape (replications in unit, n_generations + 1, n_quantities)."""
        if unit[0] == "fast":
            return self._compute_fast(unit), None
        return self._compute_rows(unit[1])

    def _metric_values(self, theta_vec: np.ndarray) -> np.ndarray:
        if not self.metrics:
            return np.empty((theta_vec.shape[0], 0))
        return np.concatenate([m.from_params(self.context, theta_vec) for m in self.metrics],
                              axis=1)

    def _compute_fast(self, unit) -> np.ndarray:
        _, first, n_blocks = unit
        ad = self.reference_model
        B = self.fast_block
        L = B * n_blocks
        rng = _LaneRNG(
            [_random.generator(self.root, "fast", b) for b in range(first, first + n_blocks)], B
        )
        out = np.empty((L, self.n_generations + 1, self.n_quantities))
        P = len(self.parameters)
        N = len(self.pool)
        # generation 0: the real-only baseline
        if self.truth_model is not None:
            theta_true = _tile(self.truth_model.theta_, L)
            stats = ad.simulate_sufficient(theta_true, self.n0, rng=rng)
        elif self.n0 == N:
            stats = _tile(ad.stats_from_encoded(self.pool_encoded[None]), L)
        else:
            idx = _lane_subsets(rng, N, self.n0)
            stats = ad.stats_from_encoded(self.pool_encoded[idx])
        theta = ad.params_from_stats(stats)
        vec = ad.theta_vector(theta)
        out[:, 0, :P] = vec
        out[:, 0, P:] = self._metric_values(vec)
        train = stats
        for t in range(1, self.n_generations + 1):
            syn = ad.simulate_sufficient(theta, self.sizes[t - 1], rng=rng)
            real = None
            m = int(self.real_rows[t - 1])
            if m:
                idx = _lane_subsets(rng, N, m)
                real = ad.stats_from_encoded(self.pool_encoded[idx])
            train = self.workflow.next_stats(ad, train, syn, real)
            theta = ad.params_from_stats(train)
            vec = ad.theta_vector(theta)
            out[:, t, :P] = vec
            out[:, t, P:] = self._metric_values(vec)
        return out

    def _compute_rows(self, r: int):
        G = self.n_generations
        out = np.empty((1, G + 1, self.n_quantities))
        N = len(self.pool)
        tables = [] if self.keep_tables else None
        rng = _random.generator(self.root, "row", r, 0)
        if self.truth_model is not None:
            train = self.truth_model.sample(self.n0, rng=rng)
        elif self.n0 == N:
            train = self.pool
        else:
            train = self.pool.iloc[np.sort(rng.choice(N, self.n0, replace=False))]
            train = train.reset_index(drop=True)
        model = self._fit(train, rng)
        baseline = train
        self._record(out, 0, model, train, baseline)
        if tables is not None:
            tables.append(train)
        for t in range(1, G + 1):
            rng = _random.generator(self.root, "row", r, t)
            syn = model.sample(int(self.sizes[t - 1]), rng=rng)
            real = None
            m = int(self.real_rows[t - 1])
            if m:
                real = self.pool.iloc[np.sort(rng.choice(N, m, replace=False))]
                real = real.reset_index(drop=True)
            train = self.workflow.next_table(train, syn, real)
            model = self._fit(train, rng, previous=model)
            self._record(out, t, model, train, baseline)
            if tables is not None:
                tables.append(syn)
        return out, tables

    def _fit(self, table: pd.DataFrame, rng, previous=None):
        """Fit generation g: the previous generation's model is refitted (``fit_generated``
        keeps what it learned from the real table: schema, SDV metadata, a feature pool);
        generation 0 is a fresh clone handed the reference model's ``learned_`` explicitly."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            if previous is not None:
                return previous.fit_generated(table, rng=rng)
            return self.adapter.clone().fit_generated(
                table, rng=rng, learned=self.reference_model.learned_
            )

    def _record(self, out, t, model, table, baseline):
        P = len(self.parameters)
        if isinstance(model, ParametricAdapter):
            vec = model.theta_vector(model.theta_)[0]
        else:
            vec = model.params_.reindex(list(self.parameters)).to_numpy(dtype=float)
        out[0, t, :P] = vec
        col = P
        for m, k in zip(self.metrics, self.metric_widths):
            out[0, t, col : col + k] = m.from_table(self.context, model, table, vec, generation=t,
                                                    baseline_table=baseline)
            col += k


def _tile(tree, L: int):
    """Broadcast a lane-1 statistics/θ tree to L lanes."""
    if isinstance(tree, dict):
        return {k: _tile(v, L) for k, v in tree.items()}
    return np.repeat(tree, L, axis=0) if tree.shape[0] == 1 else tree


# ---------------------------------------------------------------------------------------------
# run_audit
# ---------------------------------------------------------------------------------------------
def _check_int(name, value, minimum, problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        problems.append(f"`{name}` must be an integer ≥ {minimum}; got {value!r}.")
        return None
    return int(value)


def prepare(
    data,
    *,
    adapter="mixed",
    schedule=None,
    n_generations: int = 50,
    n_replications: int = 100,
    workflow="replace",
    n0: int | None = None,
    truth=None,
    holdout: float = 0.0,
    seed=None,
    path: str = "auto",
    metrics: Sequence[Metric] | None = None,
    keep_tables: bool = False,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    adapter_settings: dict | None = None,
) -> AuditPlan:
    """Validate every argument of :func:`run_audit` (all problems at once) and build the plan."""
    problems: list[str] = []
    G = _check_int("n_generations", n_generations, 1, problems)
    R = _check_int("n_replications", n_replications, 1, problems)
    if path not in _PATHS:
        problems.append(f"`path` must be one of {list(_PATHS)}; got {path!r}.")
    if not (isinstance(holdout, (int, float)) and 0 <= holdout < 1):
        problems.append(f"`holdout` must be a fraction in [0, 1); got {holdout!r}.")
    try:
        ad = make_adapter(adapter, **(adapter_settings or {}))
    except ValidationError as exc:
        problems += exc.problems
        ad = None
    try:
        wf = _workflows.parse(workflow)
    except ValidationError as exc:
        problems += exc.problems
        wf = None
    try:
        root = _random.as_root(seed)
    except ValidationError as exc:
        problems += exc.problems
        root = None
    if isinstance(truth, pd.Series) or truth is None:
        truth_s = truth
    elif hasattr(truth, "truth"):
        truth_s = truth.truth
    else:
        try:
            truth_s = pd.Series(truth, dtype=float)
        except (TypeError, ValueError):
            problems.append("`truth` must be a Series of parameters (name -> value).")
            truth_s = None
    if hasattr(data, "data") and hasattr(data, "truth") and not isinstance(data, pd.DataFrame):
        if truth is None:
            truth_s = data.truth
        data = data.data
    if ad is not None:
        try:
            data = ad.validate(data)
        except ValidationError as exc:
            problems += exc.problems
            data = None
    if problems:
        raise ValidationError(problems)

    # the reference fit on the whole real table validates the table for this adapter
    ref_model = ad.clone()
    ref_model.fit(data, rng=_random.generator(root, "split"))
    parameters = tuple(str(p) for p in ref_model.params_.index)
    explicit_metrics = () if metrics is None else tuple(metrics)
    fast_ok = isinstance(ref_model, ParametricAdapter) and not keep_tables and all(
        m.vectorised for m in explicit_metrics
    )
    if path == "fast" and not fast_ok:
        why = (
            "it keeps tables (keep_tables=True)" if keep_tables
            else "a metric needs tables" if not all(m.vectorised for m in explicit_metrics)
            else f"adapter {ad.name or type(ad).__name__!r} has no sufficient statistics"
        )
        raise ValidationError(f"`path='fast'` is not possible here: {why}. Use path='rows'.")
    chosen = "fast" if (path in ("auto", "fast") and fast_ok) else "rows"

    # pool / holdout split (seeded, once)
    if holdout > 0:
        n_hold = int(round(holdout * len(data)))
        perm = _random.generator(root, "split").permutation(len(data))
        hold_idx, pool_idx = np.sort(perm[:n_hold]), np.sort(perm[n_hold:])
        holdout_df = data.iloc[hold_idx].reset_index(drop=True)
        pool = data.iloc[pool_idx].reset_index(drop=True)
    else:
        holdout_df, pool = None, data.reset_index(drop=True)

    truth_model = None
    reference, reference_kind = ref_model.params_.copy(), "real"
    if truth_s is not None:
        missing = [p for p in parameters if p not in truth_s.index]
        extra = [p for p in truth_s.index if p not in parameters]
        if missing or extra:
            raise ValidationError(
                f"`truth` must name exactly the adapter's parameters {list(parameters)}; "
                f"missing {missing}, unexpected {extra}."
            )
        if not isinstance(ref_model, ParametricAdapter):
            raise ValidationError("`truth` needs a parametric adapter (gaussian, categorical, …).")
        reference = truth_s.reindex(list(parameters)).astype(float)
        reference_kind = "truth"
        truth_model = ad.clone().set_theta(reference.to_numpy(), ref_model.schema_)
        n0_default = len(pool)
    else:
        n0_default = len(pool)

    problems = []
    n0v = n0_default if n0 is None else _check_int("n0", n0, 2, problems)
    if n0v is not None and truth_model is None and n0v > len(pool):
        problems.append(
            f"`n0` ({n0v}) exceeds the {len(pool)} rows available for generation 0"
            + (" after the holdout split" if holdout else "")
            + "; lower n0 or the holdout fraction."
        )
    sched = None
    if schedule is None:
        schedule = _schedules.constant(max(n0v or 2, 2))
    try:
        sched = _schedules.parse(schedule)
        sizes = sched.sizes(G)
    except ValidationError as exc:
        problems += exc.problems
    if wf is not None and sched is not None:
        try:
            real_rows = wf.real_rows(G)
            if real_rows.max(initial=0) > len(pool):
                problems.append(
                    f"workflow {wf.spec!r} draws up to {int(real_rows.max())} real rows per "
                    f"generation but the pool has {len(pool)}."
                )
        except ValidationError as exc:
            problems += exc.problems
    if problems:
        raise ValidationError(problems)
    train_sizes = wf.train_sizes(n0v, sizes)

    if chosen == "rows":
        schema = getattr(ref_model, "schema_", None)
        ncols = len(schema.columns) if schema is not None else len(data.columns)
        peak = int(train_sizes.max()) * ncols * 8 * 4
        if peak > memory_budget:
            hint = (
                "use the fast path (path='fast'), which never holds the rows"
                if isinstance(ref_model, ParametricAdapter)
                else "use a schedule with fewer rows per generation"
            )
            raise ValidationError(
                f"the per-row path would hold a training table of {int(train_sizes.max()):,} rows "
                f"× {ncols} columns (about {peak / 1024**3:.1f} GiB with working copies), over the "
                f"memory budget of {memory_budget / 1024**3:.1f} GiB; {hint}."
            )

    layout = ref_model.layout_
    holdout_encoded = None
    if holdout_df is not None and len(holdout_df):
        owner = getattr(ref_model, "reference_model_", ref_model)  # whose layout this is
        if isinstance(owner, ParametricAdapter) and owner.layout_ == layout:
            holdout_encoded = owner.encode(holdout_df)
    context = MetricContext(
        layout=layout,
        reference=reference.reindex(list(parameters)).to_numpy(dtype=float),
        reference_kind=reference_kind,
        n0=int(n0v),
        pool=pool,
        holdout=holdout_df,
        holdout_encoded=holdout_encoded,
    )
    chosen_metrics = tuple(default_metrics(context) if metrics is None else metrics)
    names = [list(m.names(context)) for m in chosen_metrics]
    return AuditPlan(
        adapter=ad.clone(),
        reference_model=ref_model,
        pool=pool,
        holdout=holdout_df,
        workflow=wf,
        sizes=sizes,
        real_rows=wf.real_rows(G),
        train_sizes=train_sizes,
        n0=int(n0v),
        n_generations=G,
        n_replications=R,
        root=root,
        path=chosen,
        parameters=parameters,
        layout=layout,
        quantities=parameters + tuple(n for group in names for n in group),
        reference=reference,
        reference_kind=reference_kind,
        context=context,
        truth_model=truth_model,
        metrics=chosen_metrics,
        metric_widths=tuple(len(g) for g in names),
        keep_tables=keep_tables,
        pool_encoded=ref_model.encode(pool) if chosen == "fast" else None,
        schedule=sched,
    )


def config_of(plan: AuditPlan) -> dict:
    """The JSON-friendly settings of a plan (what makes two runs the same run)."""
    ad = plan.adapter
    return {
        "adapter": ad.name or type(ad).__name__,
        "adapter_params": {k: _jsonable(v) for k, v in ad.effective_params().items()},
        "schedule": plan.schedule.spec,
        "workflow": plan.workflow.spec,
        "n_generations": plan.n_generations,
        "n_replications": plan.n_replications,
        "n0": plan.n0,
        "holdout_rows": 0 if plan.holdout is None else len(plan.holdout),
        "pool_rows": len(plan.pool),
        "reference": plan.reference_kind,
        "seed_entropy": _random.root_entropy(plan.root),
        "path": plan.path,
        "fast_block": plan.fast_block,
        "quantities": list(plan.quantities),
    }


def _jsonable(v):
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return repr(v)


def execute(
    plan: AuditPlan,
    units: list,
    *,
    n_jobs: int = 1,
    progress: bool = True,
    on_result: Callable | None = None,
    backend: str = "joblib",
    scheduler: str | None = None,
):
    """Compute ``units`` (serially, with joblib when ``n_jobs != 1``, or on a Dask cluster with
    ``backend="dask"``); yields ``(unit, values, tables)`` as they finish (completion order may
    vary; content does not).

    ``backend="dask"`` connects to ``scheduler`` (an address such as ``"tcp://host:8786"``) or,
    without one, starts a local cluster on 127.0.0.1 with ``n_jobs`` worker processes (2 when
    ``n_jobs == 1``; all cores for ``-1``)."""
    _check_backend(backend, scheduler)
    return _execute(plan, units, n_jobs, progress, backend, scheduler)


def _check_backend(backend, scheduler) -> None:
    if backend not in _BACKENDS:
        raise ValidationError(f"`backend` must be one of {list(_BACKENDS)}; got {backend!r}.")
    if scheduler is not None and backend != "dask":
        raise ValidationError("`scheduler` needs backend='dask'.")


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _execute(plan, units, n_jobs, progress, backend, scheduler):
    if progress:  # tqdm.auto picks the notebook widget when it can; imported only when shown
        from tqdm.auto import tqdm

        bar = tqdm(total=len(units), desc="replication units", delay=2, unit="unit")
    else:
        bar = _NoBar()
    try:
        if backend == "dask":
            done = _execute_dask(plan, units, n_jobs, scheduler)
        elif n_jobs == 1 or len(units) <= 1:
            done = ((u, *plan.compute(u)) for u in units)
        else:
            from joblib import Parallel, delayed

            par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            done = ((u, v, t) for u, (v, t) in
                    par(delayed(_compute_with_unit)(plan, u) for u in units))
        for u, vals, tables in done:
            bar.update()
            yield u, vals, tables
    finally:
        bar.close()


def _execute_dask(plan, units, n_jobs, scheduler):
    """Units on a Dask cluster: the plan is scattered once, units submitted with client.map."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MissingDependencyError(
            'the Dask backend needs dask.distributed: pip install "synthaudit[dask]".'
        ) from None
    if not units:
        return
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ValidationError(
                f"cannot reach the Dask scheduler at `scheduler={scheduler!r}`: {exc}"
            ) from None
    else:
        import os

        cores = os.cpu_count() or 2
        workers = n_jobs if n_jobs > 1 else (2 if n_jobs == 1 else max(1, cores + 1 + n_jobs))
        with warnings.catch_warnings():  # "port 8787 in use": the HTTP server moves, harmless
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, host="127.0.0.1")
        client = Client(cluster)
    try:
        remote_plan = client.scatter(plan, broadcast=True)
        futures = client.map(_compute_with_unit, [remote_plan] * len(units), units, pure=False)
        for fut in as_completed(futures):
            u, (vals, tables) = fut.result()
            fut.release()
            yield u, vals, tables
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _compute_with_unit(plan, unit):
    return unit, plan.compute(unit)


def assemble(plan: AuditPlan, pieces: dict, *, extra_provenance: dict | None = None) -> AuditResult:
    """Put unit results together in replication order: ``pieces`` is ``{unit: (values, tables)}``
    or an iterable of ``(unit, (values, tables))`` pairs, consumed as it comes."""
    R = plan.n_replications
    values = np.empty((R, plan.n_generations + 1, plan.n_quantities))
    tables = [None] * R if plan.keep_tables else None
    items = pieces.items() if isinstance(pieces, dict) else pieces
    for unit, (vals, tabs) in items:
        reps = plan.unit_replications(unit)  # contiguous: copy as a slice
        first, last = int(reps[0]), min(int(reps[-1]) + 1, R)
        values[first:last] = vals[: last - first]
        if tables is not None and tabs is not None:
            for r in range(first, last):
                tables[r] = tabs
    prov = provenance()
    prov["seed_entropy"] = _random.root_entropy(plan.root)
    if extra_provenance:
        prov.update(extra_provenance)
    try:
        d = int(plan.reference_model.n_free_params_)
    except (AttributeError, NotImplementedError):
        d = None
    return AuditResult(
        values=values,
        quantities=tuple(plan.quantities),
        parameters=tuple(plan.parameters),
        layout=plan.layout,
        n_rows=np.asarray(plan.train_sizes, dtype=np.int64),
        reference=plan.reference,
        reference_kind=plan.reference_kind,
        config=config_of(plan),
        provenance=prov,
        n_free_params=d,
        tables=tables,
    )


def _units_for_jobs(plan: AuditPlan, n_jobs: int) -> list:
    if plan.path == "fast":
        n_blocks = math.ceil(plan.n_replications / plan.fast_block)
        per = max(1, math.ceil(n_blocks / max(1, n_jobs)))
        per = min(per, 16)  # bounded units keep memory flat and resume fine-grained
        return plan.units(per)
    return plan.units()


def run_audit(
    data,
    *,
    adapter="mixed",
    schedule=None,
    n_generations: int = 50,
    n_replications: int = 100,
    workflow="replace",
    n0: int | None = None,
    truth=None,
    holdout: float = 0.0,
    seed=None,
    n_jobs: int = 1,
    path: str = "auto",
    metrics: Sequence[Metric] | None = None,
    keep_tables: bool = False,
    progress: bool = False,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    backend: str = "joblib",
    scheduler: str | None = None,
    run_dir=None,
    **adapter_settings,
) -> AuditResult:
    """Regenerate a table recursively and record every generation's parameters.

    Parameters
    ----------
    data : DataFrame or SimulatedTable
        The real table (a :class:`synthaudit.datasets.SimulatedTable` also brings its truth).
    adapter : str or adapter
        ``"gaussian"``, ``"categorical"``, ``"poisson"``, ``"mixed"`` (default), a prefixed name
        such as ``"sdv:gaussian_copula"``, or an adapter instance. Extra keyword arguments are
        the adapter's settings (e.g. ``estimator="mle"``).
    schedule : Schedule or str, optional
        Synthetic rows per generation (default ``constant(n0)``); see :mod:`synthaudit.schedules`.
    n_generations, n_replications : int
        T, and the number of independent runs of the loop.
    workflow : {"replace", "accumulate", "mix:M"} or Workflow
    n0 : int, optional
        Real rows of generation 0 (default: all rows of the pool). When smaller than the pool,
        each replication draws its own n0 rows. With ``truth``, each replication draws n0 fresh
        rows from the true model.
    truth : Series, optional
        Known parameters (named like the adapter's ``params_``): the reference of drift and risk.
    holdout : float
        Fraction of the real table set aside (seeded) for held-out risk.
    seed : int or SeedSequence, optional
        Root of every random stream; the same seed gives the same trace for any ``n_jobs``.
    n_jobs : int
        Parallel workers (joblib); ``-1`` for all cores.
    path : {"auto", "fast", "rows"}
        ``auto`` takes the fast exact path when the adapter supports it and no tables are kept.
    metrics : sequence of Metric, optional
        Quantities recorded per generation beside the parameters. Default
        (:func:`synthaudit.metrics.default_metrics`): KL and squared parameter error to the
        truth when it is known, held-out negative log-likelihood when there is a holdout.
        ``[]`` records parameters only.
    keep_tables : bool
        Keep each generation's table (per-row path only).
    progress : bool
        Show a progress bar (tqdm; appears only on runs longer than two seconds).
    backend : {"joblib", "dask"}
        How units run in parallel; ``"dask"`` uses ``scheduler`` (an address) or a local cluster.
    scheduler : str, optional
        Address of a running Dask scheduler (``backend="dask"``).
    run_dir : path, optional
        Run directory (:mod:`synthaudit.store`): every finished unit is saved; units already
        there are not recomputed, so a killed run resumes where it stopped with the same trace.
        With ``seed=None`` the directory's seed is reused.

    Returns
    -------
    AuditResult

    Examples
    --------
    >>> from synthaudit import schedules
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=100)})
    >>> res = run_audit(df, adapter="gaussian", schedule=schedules.constant(100),
    ...                 n_generations=20, n_replications=200, seed=1)
    >>> res.values.shape
    (200, 21, 2)
    >>> list(res.trace.columns)
    ['replication', 'generation', 'n_rows', 'parameter', 'value']
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValidationError(f"`n_jobs` must be a non-zero integer (-1: all cores); got {n_jobs!r}.")
    _check_backend(backend, scheduler)
    run_store = None
    if run_dir is not None:
        from . import store as run_store

        if keep_tables:
            raise ValidationError("`keep_tables=True` cannot be combined with `run_dir`: tables "
                                  "are kept in memory only.")
        seed = run_store.stored_seed(run_dir) if seed is None else seed
    plan = prepare(
        data,
        adapter=adapter,
        schedule=schedule,
        n_generations=n_generations,
        n_replications=n_replications,
        workflow=workflow,
        n0=n0,
        truth=truth,
        holdout=holdout,
        seed=seed,
        path=path,
        metrics=metrics,
        keep_tables=keep_tables,
        memory_budget=memory_budget,
        adapter_settings=adapter_settings,
    )
    units = _units_for_jobs(plan, n_jobs if n_jobs > 0 else 2)
    # units are copied into the result as they finish (one unit in flight, never a second copy
    # of the whole values array)
    if run_store is None:
        done = ((u, (v, t)) for u, v, t in execute(
            plan, units, n_jobs=n_jobs, progress=progress, backend=backend, scheduler=scheduler))
        return assemble(plan, done)
    with run_store.open_run(run_dir, plan) as run:

        def fresh():
            for u, v, t in execute(plan, run.todo(units), n_jobs=n_jobs, progress=progress,
                                   backend=backend, scheduler=scheduler):
                run.write_unit(u, v)
                yield u, (v, t)

        return assemble(plan, itertools.chain(dict(run.done).items(), fresh()))
