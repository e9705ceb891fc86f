"""What was audited, read from a result's ``config`` and ``provenance`` (never guessed): the
dataset, its size and fingerprint, the synthesizer and library versions, seed and date.

Anything a result does not record reads "not recorded". The keys read (the first present wins)
are listed in :data:`KEYS`; ``docs/report.md`` documents them.

Examples
--------
>>> f = audit_facts({"adapter": "gaussian", "pool_rows": 80, "holdout_rows": 20, "seed": 3},
...                 {"synthaudit": "0.1.0", "numpy": "2.0"}, columns=("x",))
>>> f.rows, f.dataset, f.seed
('100 (80 in the training pool, 20 held out)', 'not recorded', '3')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KEYS", "NOT_RECORDED", "AuditFacts", "audit_facts"]

NOT_RECORDED = "not recorded"

#: field -> keys looked up, in order, in config then provenance
KEYS = {
    "dataset": ("dataset", "dataset_name", "data_name", "data"),
    "fingerprint": ("data_fingerprint", "fingerprint"),
    "date": ("date", "created", "started", "timestamp"),
    "seed": ("seed",),
    "n_columns": ("n_columns", "data_columns"),
    "integer_columns": ("integer_columns",),
    "dtypes": ("dtypes", "column_dtypes"),
}
#: provenance keys that are not library versions
_NOT_VERSIONS = {"seed_entropy", "data_fingerprint", "fingerprint", "date", "created", "started",
                 "timestamp", "dataset", "dataset_name", "integer_columns", "dtypes",
                 "column_dtypes", "n_columns", "data_columns", "data_rows", "python"}


def _lookup(config: dict, provenance: dict, field: str):
    for src in (config, provenance):
        for k in KEYS[field]:
            v = src.get(k)
            if v not in (None, "", [], {}):
                return v
    return None


@dataclass(frozen=True)
class AuditFacts:
    """The audit's identity card (strings, ready to print)."""

    dataset: str
    rows: str
    columns: str
    fingerprint: str
    synthesizer: str
    settings: str
    versions: str
    seed: str
    date: str
    schedule: str
    workflow: str
    size: str
    reference: str
    integer_gaussian: tuple[str, ...]
    integer_known: bool

    def rows_for_table(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the scorecard, in reading order."""
        return [
            ("Dataset", self.dataset), ("Rows", self.rows), ("Columns", self.columns),
            ("Data fingerprint", self.fingerprint), ("Synthesizer", self.synthesizer),
            ("Synthesizer settings", self.settings), ("Schedule", self.schedule),
            ("Workflow", self.workflow), ("Generations × replications", self.size),
            ("Measured against", self.reference), ("Seed", self.seed), ("Date", self.date),
            ("Versions", self.versions),
        ]


def _integer_columns(config: dict, provenance: dict) -> tuple[set[str], bool]:
    ints = _lookup(config, provenance, "integer_columns")
    if isinstance(ints, (list, tuple)):
        return {str(c) for c in ints}, True
    dtypes = _lookup(config, provenance, "dtypes")
    if isinstance(dtypes, dict):
        return {str(c) for c, t in dtypes.items()
                if str(t).lower().lstrip("u").startswith("int")}, True
    return set(), False


def audit_facts(config: dict, provenance: dict, *, columns=(), gaussian_columns=(),
                n_generations=None, n_replications=None, reference_kind=None) -> AuditFacts:
    """Collect what was audited from ``config`` and ``provenance``.

    ``columns`` are the modelled columns (from the parameter layout), used when the result
    does not record the table's column count; ``gaussian_columns`` are checked against the
    recorded integer columns (``integer_columns`` or ``dtypes``) to flag a whole-number column
    modelled as Gaussian.
    """
    config = dict(config or {})
    provenance = dict(provenance or {})
    dataset = _lookup(config, provenance, "dataset")
    pool, hold = config.get("pool_rows"), config.get("holdout_rows")
    if isinstance(pool, int):
        hold = int(hold or 0)
        rows = (f"{pool + hold:,} ({pool:,} in the training pool, {hold:,} held out)" if hold
                else f"{pool:,}")
    else:
        rows = NOT_RECORDED
    ncol = _lookup(config, provenance, "n_columns")
    cols = list(dict.fromkeys(str(c) for c in columns))
    if isinstance(ncol, int):
        colt = f"{ncol} ({len(cols)} modelled)" if cols and len(cols) != ncol else str(ncol)
    elif cols:
        shown = ", ".join(cols[:8]) + (f", … ({len(cols) - 8} more)" if len(cols) > 8 else "")
        colt = f"{len(cols)} modelled: {shown}"
    else:
        colt = NOT_RECORDED
    adapter = str(config.get("adapter") or NOT_RECORDED)
    settings = config.get("adapter_settings", config.get("adapter_params"))
    if isinstance(settings, dict):
        settings_t = ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None) or "defaults"
    else:
        settings_t = NOT_RECORDED
    vers = {k: v for k, v in provenance.items() if k not in _NOT_VERSIONS and v is not None}
    versions = ", ".join(f"{k} {v}" for k, v in vers.items()) or NOT_RECORDED
    if provenance.get("python"):
        versions += f" (Python {provenance['python']})"
    seed = _lookup(config, provenance, "seed")
    seed_t = str(seed) if seed is not None else (
        f"entropy {config['seed_entropy']}" if config.get("seed_entropy") is not None
        else NOT_RECORDED)
    G = n_generations if n_generations is not None else config.get("n_generations")
    R = n_replications if n_replications is not None else config.get("n_replications")
    n0 = config.get("n0")
    size = f"{G} × {R}" + (f" (generation 0 fitted on n0 = {n0:,} real rows)"
                           if isinstance(n0, int) else "")
    ref = reference_kind or config.get("reference")
    ref_t = {"truth": "a known truth (simulated data)",
             "real": "the real table (fit on the whole training pool)"}.get(
        ref, str(ref) if ref else NOT_RECORDED)
    ints, known = _integer_columns(config, provenance)
    return AuditFacts(
        dataset=str(dataset) if dataset is not None else NOT_RECORDED,
        rows=rows, columns=colt,
        fingerprint=str(_lookup(config, provenance, "fingerprint") or NOT_RECORDED),
        synthesizer=adapter, settings=settings_t, versions=versions, seed=seed_t,
        date=str(_lookup(config, provenance, "date") or NOT_RECORDED),
        schedule=str(config.get("schedule") or NOT_RECORDED),
        workflow=str(config.get("workflow") or NOT_RECORDED), size=size, reference=ref_t,
        integer_gaussian=tuple(c for c in gaussian_columns if str(c) in ints),
        integer_known=known,
    )
