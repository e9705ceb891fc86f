"""Run directories: an audit saved unit by unit, so a killed run resumes where it stopped.

Layout of a run directory::

    RUN_DIR/
      manifest.json                      settings, data fingerprint, config hash, provenance
      units/fast-000000-000004.parquet   one file per finished unit (see below)
      units/row-000017-000001.parquet
      quarantine/                        unit files found corrupt, moved aside (never deleted)
      .lock                              held while a process writes into the directory

The manifest is written (atomically) before anything is computed. A unit file holds the values of
one unit of work (:meth:`synthaudit.engine.AuditPlan.units`): fast-path blocks ``first ..
first+count-1`` or per-row replication ``first``. Its columns are ``replication`` (int64),
``generation`` (int32) and one float64 column per quantity, named like ``AuditResult.quantities``;
a SHA-256 of the values is kept in the file's metadata and checked on reading. Every file is
written to a temporary name in the same folder, fsynced, then renamed over its final name, so a
file either exists whole or not at all.

Every random stream is addressed by replication / block (:mod:`synthaudit._random`), so
recomputing only the missing units gives a trace bit-identical to an uninterrupted run, whatever
``n_jobs`` or backend either run used.

Examples
--------
>>> import tempfile, numpy as np, pandas as pd
>>> from synthaudit import run_audit
>>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=50)})
>>> d = tempfile.mkdtemp()
>>> a = run_audit(df, adapter="gaussian", n_generations=5, n_replications=20, seed=1, run_dir=d)
>>> b = load_run(d)
>>> bool((a.values == b.values).all())
True
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import __version__
from .exceptions import RunDirectoryError, SynthauditWarning
from .params import ParamLayout
from .result import AuditResult, provenance

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["RunStore", "config_hash", "data_fingerprint", "load_run", "open_run", "read_manifest",
           "stored_seed"]

FORMAT = 1
MANIFEST = "manifest.json"
UNITS = "units"
QUARANTINE = "quarantine"
LOCK = ".lock"
_UNIT_FILE = re.compile(r"^(fast|row)-(\d{6,})-(\d{6,})\.parquet$")
_REQUIRED = ("format", "config", "config_hash", "data_fingerprint", "parameters", "quantities",
             "n_rows", "reference", "reference_kind", "provenance")


# ---------------------------------------------------------------------------------------------
# identity of a run
# ---------------------------------------------------------------------------------------------
def data_fingerprint(plan) -> str:
    """SHA-256 of the real rows a plan uses (pool and holdout: values, columns, dtypes, levels)."""
    h = hashlib.sha256()
    for name, df in (("pool", plan.pool), ("holdout", plan.holdout)):
        h.update(name.encode())
        if df is None:
            h.update(b"none")
            continue
        meta = [[str(c), str(t), list(map(str, t.categories)) if hasattr(t, "categories") else None]
                for c, t in df.dtypes.items()]
        h.update(json.dumps([list(df.shape), meta]).encode())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _identity(config: dict, fingerprint: str, reference: dict) -> dict:
    return {"format": FORMAT, "config": config, "data_fingerprint": fingerprint,
            "reference": reference}


def config_hash(identity: dict) -> str:
    """SHA-256 of a canonical JSON dump of what makes two runs the same run."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _manifest_for(plan) -> dict:
    config = plan.config()
    reference = {str(k): float(v) for k, v in plan.reference.items()}
    fingerprint = data_fingerprint(plan)
    return {
        "format": FORMAT,
        "synthaudit_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config_hash": config_hash(_identity(config, fingerprint, reference)),
        "config": config,
        "data_fingerprint": fingerprint,
        "seed_entropy": config["seed_entropy"],
        "parameters": list(plan.parameters),
        "layout": plan.layout.to_dict(),
        "quantities": list(plan.quantities),
        "n_rows": [int(n) for n in plan.train_sizes],
        "reference": reference,
        "reference_kind": plan.reference_kind,
        "reference_name": plan.reference.name,
        "n_free_params": plan.n_free_params,
        "provenance": provenance(),
    }


# ---------------------------------------------------------------------------------------------
# atomic files
# ---------------------------------------------------------------------------------------------
def _atomic_write(path: Path, write, *, sync_dir: bool = True) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, fsync it, rename it over.

    The rename is atomic: ``path`` holds either its old content or the whole new one. Without
    ``sync_dir`` a power failure may forget the rename (a unit file: it is recomputed), never
    leave a partial file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_dir:
        _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _short(v, width: int = 40) -> str:
    text = repr(v)
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------
# manifest
# ---------------------------------------------------------------------------------------------
def read_manifest(path) -> dict:
    """The manifest of run directory ``path``; :class:`RunDirectoryError` if absent or corrupt."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise RunDirectoryError(f"run directory '{root}' does not exist.")
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise RunDirectoryError(
            f"'{root}' is not a synthaudit run directory: it has no {MANIFEST}."
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise TypeError("not a JSON object")
        missing = [k for k in _REQUIRED if k not in manifest]
        if missing:
            raise ValueError(f"missing keys {missing}")
        if manifest["format"] != FORMAT:
            raise ValueError(f"format {manifest['format']!r}, this synthaudit reads {FORMAT}")
        ident = _identity(manifest["config"], manifest["data_fingerprint"], manifest["reference"])
        if config_hash(ident) != manifest["config_hash"]:
            raise ValueError("its config hash does not match its content")
    except (ValueError, UnicodeDecodeError, TypeError, KeyError) as exc:
        raise RunDirectoryError(
            f"the manifest '{mpath}' is corrupt ({' '.join(str(exc).split())[:120]}); this run "
            "cannot be resumed: restore the file or use a new run directory."
        ) from None
    return manifest


def stored_seed(path) -> int | None:
    """The seed entropy recorded in run directory ``path`` (None if there is no valid one)."""
    try:
        return int(read_manifest(path)["config"]["seed_entropy"])
    except (RunDirectoryError, KeyError, TypeError, ValueError):
        return None


def _differences(old: dict, new: dict) -> list[str]:
    out = []
    for key in sorted(set(old["config"]) | set(new["config"])):
        a, b = old["config"].get(key), new["config"].get(key)
        if a != b:
            out.append(f"{key} (stored {_short(a)}, now {_short(b)})")
    if old["data_fingerprint"] != new["data_fingerprint"]:
        out.append("data (the real table differs)")
    if old["reference"] != new["reference"] and not out:
        out.append("reference (the reference parameters differ)")
    return out or ["format"]


# ---------------------------------------------------------------------------------------------
# unit files
# ---------------------------------------------------------------------------------------------
def unit_name(unit) -> str:
    kind, first, count = unit
    return f"{kind}-{int(first):06d}-{int(count):06d}.parquet"


def _parse_name(name: str):
    m = _UNIT_FILE.match(name)
    if not m:
        return None
    kind = "fast" if m.group(1) == "fast" else "row"
    return (kind, int(m.group(2)), int(m.group(3)))


def _unit_replications(unit, fast_block: int) -> np.ndarray:
    kind, first, count = unit
    if kind == "fast":
        return np.arange(first * fast_block, (first + count) * fast_block)
    return np.arange(first, first + count)


def _digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes()).hexdigest()


def _write_chunk(path: Path, unit, values: np.ndarray, quantities, n_replications: int,
                 fast_block: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    reps = _unit_replications(unit, fast_block)
    keep = int((reps < n_replications).sum())  # a padded last fast block is cut
    vals = np.ascontiguousarray(values[:keep], dtype=np.float64)
    G1 = vals.shape[1]
    cols = {
        "replication": pa.array(np.repeat(reps[:keep].astype(np.int64), G1)),
        "generation": pa.array(np.tile(np.arange(G1, dtype=np.int32), keep)),
    }
    flat = vals.reshape(keep * G1, -1)
    for q, name in enumerate(quantities):
        cols[name] = pa.array(flat[:, q])
    table = pa.table(cols).replace_schema_metadata(
        {"synthaudit.unit": json.dumps(list(unit)), "synthaudit.sha256": _digest(vals)}
    )
    _atomic_write(path, lambda f: pq.write_table(table, f), sync_dir=False)


def _read_chunk(path: Path, unit, quantities, n_generations: int, n_replications: int,
                fast_block: int) -> np.ndarray:
    """Values of one unit file, padded back to the unit's shape; ValueError if corrupt."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise ValueError(f"not a readable Parquet file: {' '.join(str(exc).split())[:100]}") from exc
    meta = table.schema.metadata or {}
    names = ["replication", "generation", *quantities]
    if table.column_names != names:
        raise ValueError("its columns are not the run's quantities")
    reps = _unit_replications(unit, fast_block)
    keep = int((reps < n_replications).sum())
    G1 = n_generations + 1
    if table.num_rows != keep * G1:
        raise ValueError(f"it has {table.num_rows} rows; expected {keep * G1}")
    rep_col = table.column("replication").to_numpy()
    gen_col = table.column("generation").to_numpy()
    if not (np.array_equal(rep_col, np.repeat(reps[:keep], G1))
            and np.array_equal(gen_col, np.tile(np.arange(G1), keep))):
        raise ValueError("its replication/generation columns do not match its name")
    vals = np.empty((len(reps), G1, len(quantities)))
    vals[keep:] = np.nan
    for q, name in enumerate(quantities):
        vals[:keep, :, q] = table.column(name).to_numpy().reshape(keep, G1)
    if meta.get(b"synthaudit.sha256", b"").decode() != _digest(vals[:keep]):
        raise ValueError("its checksum does not match its values")
    return vals


def _blocks(unit) -> range:
    return range(unit[1], unit[1] + unit[2])


# ---------------------------------------------------------------------------------------------
# the store
# ---------------------------------------------------------------------------------------------
class RunStore:
    """An open run directory bound to a plan. Use :func:`open_run`; it is a context manager.

    Attributes
    ----------
    path : Path
    manifest : dict
    done : dict
        ``{unit: (values, None)}`` for every unit already on disk (read and verified on opening).
    """

    def __init__(self, path: Path, plan, manifest: dict, lock_file):
        self.path, self.plan, self.manifest, self._lock = path, plan, manifest, lock_file
        self.done: dict = {}

    # -- context manager --------------------------------------------------------------------
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    # -- units ------------------------------------------------------------------------------
    def todo(self, units) -> list:
        """``units`` minus what is already on disk (fast-path units are cut around done blocks)."""
        done_rows = {u[1] for u in self.done if u[0] == "row"}
        done_blocks = {b for u in self.done if u[0] == "fast" for b in _blocks(u)}
        out = []
        for u in units:
            if u[0] == "row":
                if u[1] not in done_rows:
                    out.append(u)
                continue
            run: list[int] = []
            for b in [*_blocks(u), None]:
                if b is not None and b not in done_blocks:
                    run.append(b)
                elif run:
                    out.append(("fast", run[0], len(run)))
                    run = []
        return out

    def write_unit(self, unit, values: np.ndarray) -> Path:
        """Save one finished unit atomically."""
        p = self.plan
        path = self.path / UNITS / unit_name(unit)
        _write_chunk(path, unit, values, p.quantities, p.n_replications, p.fast_block)
        self.done[tuple(unit)] = (values, None)
        return path

    def _load_units(self) -> None:
        """Read every unit file; a corrupt one is moved to quarantine/ and will be recomputed."""
        p = self.plan
        udir = self.path / UNITS
        udir.mkdir(exist_ok=True)
        for f in sorted(udir.iterdir()):
            if f.name.endswith(".tmp") and f.name.startswith("."):
                f.unlink()  # an interrupted write (we hold the lock: nobody else is writing)
                continue
            unit = _parse_name(f.name)
            if unit is None or unit[0] != ("fast" if p.path == "fast" else "row"):
                continue
            try:
                vals = _read_chunk(f, unit, p.quantities, p.n_generations, p.n_replications,
                                   p.fast_block)
            except ValueError as exc:
                qdir = self.path / QUARANTINE
                qdir.mkdir(exist_ok=True)
                target = qdir / f.name
                n = 1
                while target.exists():
                    target, n = qdir / f"{f.name}.{n}", n + 1
                os.replace(f, target)
                warnings.warn(
                    f"run directory '{self.path}': unit file {UNITS}/{f.name} is corrupt ({exc}); "
                    f"moved it to {QUARANTINE}/{target.name} and recomputing it.",
                    SynthauditWarning,
                    stacklevel=3,
                )
                continue
            self.done[unit] = (vals, None)


def _lock(path: Path):
    f = open(path / LOCK, "a+")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock
        return f
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise RunDirectoryError(
            f"run directory '{path}' is in use by another synthaudit process; wait for it to "
            "finish or use another directory."
        ) from None
    return f


def _ours(name: str) -> bool:
    return name == LOCK or (name.startswith(f".{MANIFEST}.") and name.endswith(".tmp"))


def open_run(path, plan) -> RunStore:
    """Open (or create) run directory ``path`` for ``plan``.

    A new or empty directory gets a manifest before anything is computed. An existing run is
    checked against the plan: another configuration or another real table raises
    :class:`RunDirectoryError` naming what differs; unit files already there are read and
    verified (:attr:`RunStore.done`). A non-empty directory without a manifest is refused.
    """
    root = Path(path).expanduser()
    if root.exists() and not root.is_dir():
        raise RunDirectoryError(f"run directory '{root}' exists and is not a directory.")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirectoryError(f"cannot create run directory '{root}': {exc.strerror}.") from None
    new = _manifest_for(plan)
    has_manifest = (root / MANIFEST).exists()
    if not has_manifest:
        foreign = [e.name for e in root.iterdir() if not _ours(e.name)]
        if foreign:
            raise RunDirectoryError(
                f"'{root}' is not empty and is not a synthaudit run directory (no {MANIFEST}; "
                f"found {', '.join(sorted(foreign)[:3])}{', …' if len(foreign) > 3 else ''}); "
                "choose a new or empty directory."
            )
    lock = _lock(root)
    try:
        if has_manifest:
            old = read_manifest(root)
            if old["config_hash"] != new["config_hash"]:
                raise RunDirectoryError(
                    f"run directory '{root}' holds a different audit: "
                    + "; ".join(_differences(old, new))
                    + ". Use a new run directory (or the original settings to resume)."
                )
            manifest = old
        else:
            _atomic_write(root / MANIFEST,
                          lambda f: f.write(json.dumps(new, indent=2).encode("utf-8")))
            manifest = new
        store = RunStore(root, plan, manifest, lock)
        store._load_units()
    except BaseException:
        lock.close()
        raise
    return store


# ---------------------------------------------------------------------------------------------
# reading a finished run
# ---------------------------------------------------------------------------------------------
def load_run(path):
    """Assemble the :class:`~synthaudit.result.AuditResult` saved in run directory ``path``.

    Raises
    ------
    RunDirectoryError
        Not a run directory, a corrupt manifest or unit file, or an incomplete run (the
        message says how many replications are missing and how to resume).
    """
    root = Path(path).expanduser()
    m = read_manifest(root)
    c = m["config"]
    R, G = int(c["n_replications"]), int(c["n_generations"])
    kind = "fast" if c["path"] == "fast" else "row"
    block = int(c["fast_block"])
    quantities = tuple(m["quantities"])
    values = np.full((R, G + 1, len(quantities)), np.nan)
    have = np.zeros(R, dtype=bool)
    udir = root / UNITS
    for f in sorted(udir.iterdir()) if udir.is_dir() else []:
        unit = _parse_name(f.name)
        if unit is None or unit[0] != kind:
            continue
        try:
            vals = _read_chunk(f, unit, quantities, G, R, block)
        except ValueError as exc:
            raise RunDirectoryError(
                f"unit file '{f}' is corrupt ({exc}); move it aside or delete it, then resume "
                "the run with the same command to recompute it."
            ) from None
        reps = _unit_replications(unit, block)
        keep = reps < R
        values[reps[keep]] = vals[keep]
        have[reps[keep]] = True
    if not have.all():
        missing = int((~have).sum())
        raise RunDirectoryError(
            f"run directory '{root}' is incomplete: {missing} of {R} replications are missing; "
            "resume it with the same `synthaudit run ... --run-dir` command (or run_audit(..., "
            "run_dir=...))."
        )
    return AuditResult(
        values=values,
        quantities=quantities,
        parameters=tuple(m["parameters"]),
        layout=(ParamLayout.from_dict(m["layout"]) if "layout" in m
                else ParamLayout.from_names(m["parameters"])),
        n_rows=np.asarray(m["n_rows"], dtype=np.int64),
        reference=pd.Series(m["reference"], dtype=float, name=m.get("reference_name")),
        reference_kind=m["reference_kind"],
        config=c,
        provenance={**m["provenance"], "seed_entropy": c["seed_entropy"]},
        n_free_params=m.get("n_free_params"),
    )
