"""Same seed, same trace: serial, joblib workers and a Dask cluster (DESIGN §7, §8)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from synthaudit import MissingDependencyError, ValidationError, run_audit
from synthaudit.engine import execute, prepare
from synthaudit.store import load_run


def _table(seed=0, n=80):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(size=n),
        "y": rng.normal(1.0, 2.0, size=n),
        "c": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
    })


# fast path: 2100 replications = 5 blocks, cut into several units for 2 workers
FAST = {"adapter": "mixed", "n_generations": 8, "n_replications": 2100, "seed": 3,
        "path": "fast", "schedule": "poly:60:1.2"}
ROWS = {"adapter": "mixed", "n_generations": 5, "n_replications": 8, "seed": 3, "path": "rows",
        "workflow": "mix:10"}


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, host="127.0.0.1") as c:
        yield c


@pytest.fixture(scope="module")
def serial():
    df = _table()
    return {name: run_audit(df, **s) for name, s in (("fast", FAST), ("rows", ROWS))}


@pytest.mark.parametrize("which", ["fast", "rows"])
def test_joblib_workers_give_the_serial_trace(serial, which):
    settings = FAST if which == "fast" else ROWS
    got = run_audit(_table(), n_jobs=2, **settings)
    assert got.values.tobytes() == serial[which].values.tobytes()
    pd.testing.assert_frame_equal(got.trace, serial[which].trace)


@pytest.mark.parametrize("which", ["fast", "rows"])
def test_dask_cluster_gives_the_serial_trace(serial, cluster, which):
    settings = FAST if which == "fast" else ROWS
    got = run_audit(_table(), backend="dask", scheduler=cluster.scheduler_address, n_jobs=2,
                    **settings)
    assert got.values.tobytes() == serial[which].values.tobytes()


def test_dask_resume_mixes_with_serial_units(serial, cluster, tmp_path):
    df = _table()
    run_audit(df, run_dir=tmp_path, **ROWS)
    for f in sorted((tmp_path / "units").glob("*.parquet"))[::2]:
        f.unlink()
    got = run_audit(df, run_dir=tmp_path, backend="dask", scheduler=cluster.scheduler_address,
                    **ROWS)
    assert got.values.tobytes() == serial["rows"].values.tobytes()
    assert load_run(tmp_path).values.tobytes() == serial["rows"].values.tobytes()


def test_execute_yields_every_unit_once(cluster):
    plan = prepare(_table(), **FAST)
    units = plan.units(1)
    seen = [u for u, _, _ in execute(plan, units, backend="dask",
                                     scheduler=cluster.scheduler_address, progress=False)]
    assert sorted(seen) == sorted(units)


@pytest.mark.slow
def test_dask_local_cluster_started_on_demand(serial):
    pytest.importorskip("distributed")
    got = run_audit(_table(), backend="dask", n_jobs=2, **ROWS)
    assert got.values.tobytes() == serial["rows"].values.tobytes()


def test_missing_dask_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(MissingDependencyError, match=r'pip install "synthaudit\[dask\]"'):
        run_audit(_table(), backend="dask", **{**ROWS, "n_replications": 2})


def test_backend_arguments_are_validated():
    with pytest.raises(ValidationError, match="`backend` must be one of"):
        run_audit(_table(), backend="spark", **ROWS)
    with pytest.raises(ValidationError, match="`scheduler` needs backend='dask'"):
        run_audit(_table(), scheduler="tcp://127.0.0.1:1", **ROWS)
