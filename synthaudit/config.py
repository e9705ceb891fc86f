"""The settings of ``synthaudit run``: command-line flags and config files → one
:class:`~synthaudit.spec.AuditSpec`, plus the few settings only the command line has.

A config file is YAML (``.yaml``/``.yml``) or TOML (``.toml``). It holds the fields of
:class:`~synthaudit.spec.AuditSpec` (``n_generations``, ``adapter_settings``, …; the flag names
``generations``, ``replications``, ``jobs`` and ``adapter-options`` work too) and the command
line's own settings (``dataset``, ``data``, ``dropna``, ``output``, ``report``, ``quiet``);
``-`` or ``_`` in names both work. Flags given on the command line override the file (adapter
settings are merged, the flag winning). Relative paths in a file are relative to the file's
folder. Unknown names, wrong types and out-of-range values are all reported at once, each naming
its setting (and the file it came from). The defaults are the :class:`AuditSpec`'s: the same as
:func:`synthaudit.run_audit`'s.

Example ``audit.yaml``::

    dataset: penguins
    adapter: mixed
    schedule: poly:300:1.5
    generations: 50
    replications: 500
    seed: 0
    run-dir: runs/penguins-poly
    adapter-settings:
      estimator: mle

Examples
--------
>>> cfg = resolve({"generations": 20}, file_values={"generations": 10, "adapter": "gaussian"})
>>> cfg.audit.n_generations, cfg.audit.adapter, cfg.audit.seed, cfg.audit.holdout
(20, 'gaussian', 0, 0.2)
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from .exceptions import ValidationError
from .spec import AuditSpec

__all__ = ["ALIASES", "CLI_FIELDS", "RunConfig", "collect", "load_file", "parse_options", "resolve"]

#: names a flag or a config file may use for an AuditSpec field
ALIASES = {
    "generations": "n_generations",
    "replications": "n_replications",
    "jobs": "n_jobs",
    "adapter_options": "adapter_settings",
    "adapter_option": "adapter_settings",
}
_PATH_FIELDS = ("data", "run_dir", "output", "report")


class RunConfig(BaseModel):
    """Validated settings of one ``synthaudit run``: where the table comes from and where the
    results go, and the audit itself (:attr:`audit`, an :class:`AuditSpec`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str | None = None
    data: Path | None = None
    dropna: bool = Field(False, strict=True)
    output: Path | None = None
    report: Path | None = None
    quiet: bool = Field(False, strict=True)
    audit: AuditSpec = Field(default_factory=AuditSpec)

    @field_validator("output")
    @classmethod
    def _output(cls, v: Path | None) -> Path | None:
        if v is not None and v.suffix.lower() not in (".parquet", ".pq", ".csv"):
            raise ValueError(f"must end in .parquet or .csv (the suffix picks the format); got '{v}'")
        return v

    @field_validator("report")
    @classmethod
    def _report(cls, v: Path | None) -> Path | None:
        if v is not None and v.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"must end in .html; got '{v}'")
        return v

    @model_validator(mode="after")
    def _source(self) -> RunConfig:
        if self.dataset is not None and self.data is not None:
            raise ValueError("give either `dataset` (a shipped table) or `data` (a file), not both")
        return self


#: the command line's own settings (everything else is the audit's)
CLI_FIELDS = tuple(k for k in RunConfig.model_fields if k != "audit")


def _norm(values: dict) -> dict:
    return {str(k).replace("-", "_"): v for k, v in values.items()}


def load_file(path) -> dict:
    """Read a YAML or TOML config file into a dict of (normalised) setting names.

    Raises
    ------
    ValidationError
        Missing or unreadable file, unknown suffix, invalid YAML/TOML, or not a mapping.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise ValidationError(f"config file not found: '{p}'.")
    suffix = p.suffix.lower()
    try:
        text = p.read_text(encoding="utf-8")
        if suffix in (".yaml", ".yml"):
            import yaml

            values = yaml.safe_load(text)
        elif suffix == ".toml":
            import tomllib

            values = tomllib.loads(text)
        else:
            raise ValidationError(
                f"config file '{p}' must end in .yaml, .yml or .toml; got {p.suffix or 'no suffix'!r}."
            )
    except ValidationError:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split())[:160]
        raise ValidationError(f"config file '{p}' could not be parsed: {detail}.") from None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError(
            f"config file '{p}' must hold a mapping of settings; got {type(values).__name__}."
        )
    values = _norm(values)
    for key in _PATH_FIELDS:  # relative to the file's folder
        v = values.get(key)
        if isinstance(v, str) and v and not Path(v).expanduser().is_absolute():
            values[key] = str(p.parent / v)
    return values


def parse_options(items) -> dict:
    """``["KEY=VALUE", ...]`` → dict; values are JSON when they parse as JSON, else strings.

    Examples
    --------
    >>> parse_options(["estimator=mle", "columns=[\\"a\\", \\"b\\"]", "k=3"])
    {'estimator': 'mle', 'columns': ['a', 'b'], 'k': 3}
    """
    out: dict = {}
    problems = []
    for item in items or ():
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"`--adapter-option` must look like KEY=VALUE; got {item!r}.")
            continue
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    if problems:
        raise ValidationError(problems)
    return out


def _canonical(values: dict, problems: list[str], where) -> tuple[dict, dict]:
    """Aliases → field names; returns (values by field name, field name → name the user used)."""
    out, used = {}, {}
    for key, v in values.items():
        field = ALIASES.get(key, key)
        if field in out:
            problems.append(f"`{key}` and `{used[field]}` both set {field}{where(field)}; "
                            "give one of them.")
            continue
        out[field], used[field] = v, key
    return out, used


def _describe_cli(err: dict, where) -> str:
    loc = [str(x) for x in err.get("loc", ()) if x != "__root__"]
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if not loc:
        return msg[0].upper() + msg[1:] + "." if msg else "invalid settings."
    got = err.get("input")
    plain = isinstance(got, dict) or err.get("type") in ("missing", "value_error")
    shown = "" if plain else f"; got {got!r}"
    return f"`{loc[0]}`: {msg}{shown}{where(loc[0])}."


def collect(cli_values: dict, *, file_values: dict | None = None, file_name: str | None = None,
            ) -> tuple[RunConfig, list[str], frozenset[str]]:
    """Merge defaults ← config file ← command-line values (``None`` = not given) and validate,
    collecting every problem. Returns ``(config, problems, invalid)``: with problems, the
    config holds the valid settings and the defaults in place of the ``invalid`` ones (so the
    table can still be checked)."""
    problems: list[str] = []
    given_raw = {k: v for k, v in _norm(cli_values).items() if v is not None}
    file_raw = _norm(file_values or {})
    from_file: set[str] = set()

    def where(field: str) -> str:
        return f" (in config file '{file_name}')" if field in from_file and file_name else ""

    given, given_names = _canonical(given_raw, problems, lambda f: "")
    in_file, file_names = _canonical(file_raw, problems, lambda f: f" (in config file '{file_name}')")
    from_file.update(set(in_file) - set(given))
    merged = {**in_file, **given}
    if isinstance(in_file.get("adapter_settings"), dict) and isinstance(
            given.get("adapter_settings"), dict):
        merged["adapter_settings"] = {**in_file["adapter_settings"], **given["adapter_settings"]}
    labels = {**file_names, **given_names}

    known = set(CLI_FIELDS) | set(AuditSpec.model_fields)
    unknown = [k for k in merged if k not in known]
    for k in unknown:
        problems.append(
            f"unknown setting `{labels.get(k, k)}`{where(k)}; known settings: "
            f"{', '.join(sorted(set(CLI_FIELDS) | set(AuditSpec.model_fields) | set(ALIASES)))}."
        )
    invalid = set(unknown)
    spec_values = {k: v for k, v in merged.items() if k in AuditSpec.model_fields}
    from .engine.plan import resolve_spec  # the backend names are the engine's executors

    spec, spec_problems, spec_invalid = resolve_spec(None, spec_values, labels=labels,
                                                     where=where)
    problems += spec_problems
    invalid |= spec_invalid
    cli = {k: v for k, v in merged.items() if k in CLI_FIELDS}
    try:
        cfg = RunConfig.model_validate({**cli, "audit": spec})
    except PydanticError as exc:
        for err in exc.errors():
            problems.append(_describe_cli(err, where))
        bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        if any(not e.get("loc") for e in exc.errors()):  # the data source rule
            bad |= {"dataset", "data"}
        invalid |= bad
        cfg = RunConfig.model_validate(
            {**{k: v for k, v in cli.items() if k not in bad}, "audit": spec})
    # every problem once, in the order found
    seen, ordered = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            ordered.append(p)
    return cfg, ordered, frozenset(invalid)


def resolve(cli_values: dict, *, file_values: dict | None = None,
            file_name: str | None = None) -> RunConfig:
    """:func:`collect`, raising one :class:`ValidationError` with every problem."""
    cfg, problems, _ = collect(cli_values, file_values=file_values, file_name=file_name)
    if problems:
        raise ValidationError(problems)
    return cfg

