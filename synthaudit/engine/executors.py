"""Executors: how units of work are run (docs/design.md §3).

An executor is a function ``(plan, units, n_jobs, scheduler) -> iterator of (unit, values,
tables)`` yielding units as they finish (completion order may vary; content does not, since
every unit draws from its own addressed streams). :data:`EXECUTORS` maps a backend name to one;
adding a backend is one entry there.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator

from ..exceptions import MissingDependencyError, ValidationError

__all__ = ["EXECUTORS", "check", "execute"]


def _serial(plan, units, n_jobs, scheduler) -> Iterator:
    """One unit after the other, in this process."""
    for u in units:
        yield (u, *plan.compute(u))


def _joblib(plan, units, n_jobs, scheduler) -> Iterator:
    """joblib worker processes (``n_jobs``; -1 all cores); serial for one job or one unit."""
    if n_jobs == 1 or len(units) <= 1:
        yield from _serial(plan, units, n_jobs, scheduler)
        return
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for u, (v, t) in par(delayed(_compute_with_unit)(plan, u) for u in units):
        yield u, v, t


def _dask(plan, units, n_jobs, scheduler) -> Iterator:
    """A Dask cluster: ``scheduler`` (an address) or a local cluster on 127.0.0.1 of ``n_jobs``
    worker processes (2 when ``n_jobs == 1``; all cores for -1). The plan is scattered once,
    units are submitted with ``client.map``."""
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


#: backend name -> executor
EXECUTORS = {"serial": _serial, "joblib": _joblib, "dask": _dask}


def check(backend: str, scheduler: str | None = None) -> list[str]:
    """Problems with a backend name (and a scheduler address, which only Dask takes)."""
    problems = []
    if backend not in EXECUTORS:
        problems.append(f"`backend` must be one of {sorted(EXECUTORS)}; got {backend!r}.")
    elif scheduler is not None and backend != "dask":
        problems.append("`scheduler` needs backend='dask'.")
    return problems


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def execute(plan, units: Iterable, *, n_jobs: int = 1, progress: bool = False,
            backend: str = "joblib", scheduler: str | None = None) -> Iterator:
    """Compute ``units`` of ``plan`` with the executor named ``backend``; yields
    ``(unit, values, tables)`` as they finish.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthaudit.engine import prepare
    >>> plan = prepare(pd.DataFrame({"x": np.arange(20.0)}), adapter="gaussian",
    ...                n_generations=2, n_replications=3, holdout=0.0)
    >>> [u for u, _, _ in execute(plan, plan.units(), backend="serial")]
    [('fast', 0, 1)]
    """
    problems = check(backend, scheduler)
    if problems:
        raise ValidationError(problems)
    units = list(units)
    return _with_progress(EXECUTORS[backend](plan, units, n_jobs, scheduler), len(units),
                          progress)


def _with_progress(done: Iterator, total: int, progress: bool) -> Iterator:
    if progress:  # tqdm.auto picks the notebook widget when it can; imported only when shown
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="replication units", delay=2, unit="unit")
    else:
        bar = _NoBar()
    try:
        for item in done:
            bar.update()
            yield item
    finally:
        bar.close()
