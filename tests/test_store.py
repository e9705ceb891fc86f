"""Run directories: manifest, atomic unit files, resume, corruption, and a real SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit import RunDirectoryError, SynthauditWarning, ValidationError, run_audit
from synthaudit import store as st


def _table(seed=0, n=60):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(2.0, 3.0, size=n)})


# fast path: 1100 replications = 3 blocks, the last one padded
FAST = {"adapter": "gaussian", "n_generations": 6, "n_replications": 1100, "seed": 5}
ROWS = {"adapter": "gaussian", "n_generations": 4, "n_replications": 6, "seed": 5, "path": "rows"}


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def unit_files(root: Path) -> list[Path]:
    return sorted((root / "units").glob("*.parquet"))


@pytest.mark.parametrize("settings", [FAST, ROWS], ids=["fast", "rows"])
def test_round_trip_is_bit_exact(tmp_path, settings):
    df = _table()
    ref = run_audit(df, **settings)
    got = run_audit(df, run_dir=tmp_path / "run", **settings)
    loaded = st.load_run(tmp_path / "run")
    for res in (got, loaded):
        assert res.values.tobytes() == ref.values.tobytes()
        pd.testing.assert_frame_equal(res.trace, ref.trace)
        assert res.quantities == ref.quantities and res.parameters == ref.parameters
        assert np.array_equal(res.n_rows, ref.n_rows)
        pd.testing.assert_series_equal(res.reference, ref.reference)
        assert res.config == ref.config and res.n_free_params == ref.n_free_params
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["config"] == ref.config
    assert manifest["seed_entropy"] == 5 and manifest["synthaudit_version"]
    assert len(manifest["config_hash"]) == 64 and len(manifest["data_fingerprint"]) == 64
    assert {"numpy", "pandas", "python"} <= set(manifest["provenance"])


def test_unit_file_is_a_tidy_parquet_table(tmp_path):
    run_audit(_table(), run_dir=tmp_path, **ROWS)
    frame = pd.read_parquet(unit_files(tmp_path)[2])
    assert list(frame.columns[:2]) == ["replication", "generation"]
    assert (frame["replication"] == 2).all() and list(frame["generation"]) == list(range(5))
    assert frame.dtypes.iloc[2:].eq(np.float64).all()


def test_resume_recomputes_only_missing_units(tmp_path):
    df = _table()
    ref = run_audit(df, **FAST)
    run_audit(df, run_dir=tmp_path, n_jobs=1, **FAST)
    files = unit_files(tmp_path)
    assert [f.name for f in files] == ["fast-000000-000003.parquet"]
    files[0].unlink()
    # a partial run with another unit layout: only block 1 exists on disk
    run_audit(df, run_dir=tmp_path, n_jobs=3, **FAST)  # units of one block each
    names = [f.name for f in unit_files(tmp_path)]
    assert names == [f"fast-{b:06d}-000001.parquet" for b in range(3)]
    (tmp_path / "units" / names[0]).unlink()
    (tmp_path / "units" / names[2]).unlink()
    before = {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in unit_files(tmp_path)}
    res = run_audit(df, run_dir=tmp_path, n_jobs=1, **FAST)  # wants one 3-block unit
    names = sorted(f.name for f in unit_files(tmp_path))
    assert names == ["fast-000000-000001.parquet", "fast-000001-000001.parquet",
                     "fast-000002-000001.parquet"]
    kept = tmp_path / "units" / "fast-000001-000001.parquet"
    assert (kept.stat().st_mtime_ns, kept.read_bytes()) == before[kept.name]  # untouched
    assert res.values.tobytes() == ref.values.tobytes()
    assert st.load_run(tmp_path).values.tobytes() == ref.values.tobytes()


def test_complete_run_recomputes_nothing(tmp_path, monkeypatch):
    df = _table()
    run_audit(df, run_dir=tmp_path, **ROWS)
    from synthaudit.engine import AuditPlan

    def boom(self, unit):
        raise AssertionError("recomputed a unit that was on disk")

    monkeypatch.setattr(AuditPlan, "compute", boom)
    res = run_audit(df, run_dir=tmp_path, **ROWS)
    assert res.values.shape == (6, 5, 6)  # 5 parameters and the held-out NLL


def test_seed_none_reuses_the_directory_seed(tmp_path):
    df = _table()
    first = run_audit(df, run_dir=tmp_path, **{**ROWS, "seed": None})
    unit_files(tmp_path)[0].unlink()
    again = run_audit(df, run_dir=tmp_path, **{**ROWS, "seed": None})
    assert again.values.tobytes() == first.values.tobytes()


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    df = _table()
    run_audit(df, run_dir=tmp_path, **ROWS)
    before = snapshot(tmp_path)
    unit_files(tmp_path)[-1].unlink()
    import pyarrow.parquet as pq

    def half_then_fail(table, where, **kw):
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        run_audit(df, run_dir=tmp_path, **ROWS)
    after = snapshot(tmp_path)
    assert not [n for n in after if n.endswith(".tmp")]  # the temporary file was removed
    assert {k: v for k, v in before.items() if k in after} == after
    assert len(after) == len(before) - 1


def test_leftover_temporary_file_is_ignored_and_removed(tmp_path):
    df = _table()
    ref = run_audit(df, run_dir=tmp_path, **ROWS)
    stray = tmp_path / "units" / ".row-000001-000001.parquet.abc123.tmp"
    stray.write_bytes(b"interrupted write")
    res = run_audit(df, run_dir=tmp_path, **ROWS)
    assert not stray.exists() and res.values.tobytes() == ref.values.tobytes()


def test_other_configuration_is_refused_naming_the_fields(tmp_path):
    df = _table()
    run_audit(df, run_dir=tmp_path, **ROWS)
    before = snapshot(tmp_path)
    with pytest.raises(RunDirectoryError, match=r"seed_entropy \(stored 5, now 6\).*n_generations"
                       r"|n_generations.*seed_entropy \(stored 5, now 6\)"):
        run_audit(df, run_dir=tmp_path, **{**ROWS, "seed": 6, "n_generations": 5})
    other = df.copy()
    other.loc[3, "x"] += 1e-9
    with pytest.raises(RunDirectoryError, match=r"data \(the real table differs\).*new run dir"):
        run_audit(other, run_dir=tmp_path, **ROWS)
    assert snapshot(tmp_path) == before


def test_corrupt_manifest(tmp_path):
    df = _table()
    run_audit(df, run_dir=tmp_path, **ROWS)
    m = tmp_path / "manifest.json"
    for bad in (b'{"format": 1, "conf', b"[]", m.read_bytes().replace(b'"n0": 48', b'"n0": 49')):
        m.write_bytes(bad)
        before = snapshot(tmp_path)
        with pytest.raises(RunDirectoryError, match="manifest .* is corrupt"):
            run_audit(df, run_dir=tmp_path, **ROWS)
        with pytest.raises(RunDirectoryError, match="is corrupt"):
            st.load_run(tmp_path)
        assert snapshot(tmp_path) == before


def test_foreign_and_file_directories_are_refused(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(RunDirectoryError, match="not a synthaudit run directory.*notes.txt"):
        run_audit(_table(), run_dir=foreign, **ROWS)
    assert snapshot(foreign) == {"notes.txt": b"keep me"}
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(RunDirectoryError, match="not a directory"):
        run_audit(_table(), run_dir=a_file, **ROWS)
    with pytest.raises(RunDirectoryError, match="no manifest.json"):
        st.load_run(foreign)
    with pytest.raises(RunDirectoryError, match="does not exist"):
        st.load_run(tmp_path / "absent")


def test_empty_existing_directory_is_fine(tmp_path):
    res = run_audit(_table(), run_dir=tmp_path, **ROWS)
    assert st.load_run(tmp_path).values.tobytes() == res.values.tobytes()


def test_corrupt_unit_is_moved_aside_and_recomputed(tmp_path):
    df = _table()
    ref = run_audit(df, run_dir=tmp_path, **ROWS)
    victim = unit_files(tmp_path)[3]
    raw = bytearray(victim.read_bytes())
    import pyarrow.parquet as pq

    column = pq.ParquetFile(victim).metadata.row_group(0).column(2)  # the first quantity
    raw[column.data_page_offset + column.total_compressed_size // 2] ^= 0xFF  # inside its values
    victim.write_bytes(bytes(raw))
    with pytest.raises(RunDirectoryError, match=f"{victim.name}.*is corrupt.*resume"):
        st.load_run(tmp_path)
    with pytest.warns(SynthauditWarning, match=f"{victim.name} is corrupt.*quarantine"):
        res = run_audit(df, run_dir=tmp_path, **ROWS)
    assert res.values.tobytes() == ref.values.tobytes()
    assert (tmp_path / "quarantine" / victim.name).read_bytes() == bytes(raw)  # kept
    assert st.load_run(tmp_path).values.tobytes() == ref.values.tobytes()


def test_truncated_unit_is_detected(tmp_path):
    df = _table()
    run_audit(df, run_dir=tmp_path, **FAST)
    victim = unit_files(tmp_path)[0]
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.raises(RunDirectoryError, match="not a readable Parquet file"):
        st.load_run(tmp_path)


def test_incomplete_run_says_how_much_is_missing(tmp_path):
    run_audit(_table(), run_dir=tmp_path, **ROWS)
    for f in unit_files(tmp_path)[:2]:
        f.unlink()
    with pytest.raises(RunDirectoryError, match="incomplete: 2 of 6 replications are missing"):
        st.load_run(tmp_path)


def test_directory_in_use_is_refused(tmp_path):
    from synthaudit.engine import prepare

    plan = prepare(_table(), **ROWS)
    with st.open_run(tmp_path, plan), pytest.raises(RunDirectoryError, match="in use by another"):
        st.open_run(tmp_path, plan)
    with st.open_run(tmp_path, plan) as again:  # released on close
        assert again.done == {}


def test_keep_tables_cannot_use_a_run_directory(tmp_path):
    with pytest.raises(ValidationError, match="keep_tables"):
        run_audit(_table(), run_dir=tmp_path / "r", keep_tables=True, **ROWS)
    assert not (tmp_path / "r").exists()


def test_bad_arguments_write_nothing(tmp_path):
    with pytest.raises(ValidationError):
        run_audit(_table(), run_dir=tmp_path / "r", **{**ROWS, "n_generations": 0})
    with pytest.raises(ValidationError, match="backend"):
        run_audit(_table(), run_dir=tmp_path / "r", backend="spark", **ROWS)
    assert not (tmp_path / "r").exists()


def test_fingerprint_sees_values_levels_and_split():
    from synthaudit.engine import prepare

    df = _table()
    base = st.data_fingerprint(prepare(df, **ROWS))
    assert base == st.data_fingerprint(prepare(df.copy(), **ROWS))
    assert base != st.data_fingerprint(prepare(df.assign(x=df.x + 1e-12), **ROWS))
    assert base != st.data_fingerprint(prepare(df, **{**ROWS, "holdout": 0.3}))
    assert base != st.data_fingerprint(prepare(df, **{**ROWS, "seed": 6}))  # another split


# ---------------------------------------------------------------------------------------------
# a real kill: SIGKILL in the middle of a CLI run, then resume
# ---------------------------------------------------------------------------------------------
def _cli(*args):
    return [sys.executable, "-m", "synthaudit", "run", *args]


KILL_ARGS = ("--data", "{data}", "--adapter", "gaussian", "--path", "rows", "-T", "15",
             "-R", "160", "--seed", "11", "--quiet")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_then_resume_gives_the_identical_trace(tmp_path):
    data = tmp_path / "t.csv"
    _table(3, 80).to_csv(data, index=False)
    args = [a.format(data=data) for a in KILL_ARGS]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    reference = subprocess.Popen(_cli(*args, "--run-dir", str(tmp_path / "b"), "--jobs", "2"),
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    victim = subprocess.Popen(_cli(*args, "--run-dir", str(tmp_path / "a")), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    units = tmp_path / "a" / "units"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and victim.poll() is None:
        if units.is_dir() and len(list(units.glob("*.parquet"))) >= 10:
            break
        time.sleep(0.01)
    assert victim.poll() is None, "the run finished before it could be killed; make it longer"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    done = len(list(units.glob("*.parquet")))
    assert 10 <= done < 160
    with pytest.raises(RunDirectoryError, match="incomplete"):
        st.load_run(tmp_path / "a")
    resumed = subprocess.run(_cli(*args, "--run-dir", str(tmp_path / "a")), env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert reference.wait(timeout=120) == 0, reference.stderr.read()
    a, b = st.load_run(tmp_path / "a"), st.load_run(tmp_path / "b")
    assert a.values.tobytes() == b.values.tobytes()
    pd.testing.assert_frame_equal(a.trace, b.trace)
    assert len(list(units.glob("*.parquet"))) == 160
