"""The settings of ``synthaudit run``: one schema for command-line flags and config files.

A config file is YAML (``.yaml``/``.yml``) or TOML (``.toml``) holding the same fields as the
flags of ``synthaudit run`` (``-`` or ``_`` in names both work); flags given on the command line
override the file. Relative paths in a file are relative to the file's folder. Unknown fields,
wrong types and out-of-range values are all reported at once, each naming its field.

Example ``audit.yaml``::

    dataset: penguins
    adapter: mixed
    schedule: poly:300:1.5
    generations: 50
    replications: 500
    seed: 0
    run-dir: runs/penguins-poly
    adapter-options:
      estimator: mle

Examples
--------
>>> cfg = resolve({"generations": 20}, file_values={"generations": 10, "adapter": "gaussian"})
>>> cfg.generations, cfg.adapter, cfg.seed
(20, 'gaussian', 0)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from .exceptions import ValidationError

__all__ = ["RunConfig", "load_file", "parse_options", "resolve"]

_PATH_FIELDS = ("data", "run_dir", "output", "report")


class RunConfig(BaseModel):
    """Validated settings of one ``synthaudit run``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str | None = None
    data: Path | None = None
    adapter: str = "mixed"
    adapter_options: dict[str, Any] = Field(default_factory=dict)
    schedule: str | None = None
    generations: int = Field(50, ge=1)
    replications: int = Field(100, ge=1)
    workflow: str = "replace"
    n0: int | None = Field(None, ge=2)
    holdout: float = Field(0.2, ge=0.0, lt=1.0)
    seed: int = Field(0, ge=0)
    jobs: int = 1
    backend: Literal["joblib", "dask"] = "joblib"
    scheduler: str | None = None
    path: Literal["auto", "fast", "rows"] = "auto"
    dropna: bool = False
    run_dir: Path | None = None
    output: Path | None = None
    report: Path | None = None
    quiet: bool = False

    @field_validator("jobs")
    @classmethod
    def _jobs(cls, v: int) -> int:
        if v == 0:
            raise ValueError("must be a non-zero integer (-1: all cores)")
        return v

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
        if self.scheduler is not None and self.backend != "dask":
            raise ValueError("`scheduler` needs `backend: dask` (--backend dask)")
        return self


def _norm(values: dict) -> dict:
    return {str(k).replace("-", "_"): v for k, v in values.items()}


def load_file(path) -> dict:
    """Read a YAML or TOML config file into a dict of (normalised) field names.

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


def _describe(err: dict, from_file: set, file_name: str | None) -> str:
    loc = [str(x) for x in err.get("loc", ()) if x != "__root__"]
    msg = err.get("msg", "invalid").removeprefix("Value error, ")
    if not loc:
        return msg[0].upper() + msg[1:] + "." if msg else "invalid settings."
    field = loc[0]
    where = f" (in config file '{file_name}')" if field in from_file and file_name else ""
    if err.get("type") == "extra_forbidden":
        return f"unknown setting `{field}`{where}; known settings: {', '.join(RunConfig.model_fields)}."
    got = err.get("input")
    plain = isinstance(got, dict) or err.get("type") in ("missing", "value_error")
    shown = "" if plain else f"; got {got!r}"
    return f"`{'.'.join(loc)}`: {msg}{shown}{where}."


def resolve(cli_values: dict, *, file_values: dict | None = None,
            file_name: str | None = None) -> RunConfig:
    """Merge defaults ← config file ← command-line values (``None`` = not given) and validate."""
    given = {k: v for k, v in _norm(cli_values).items() if v is not None}
    file_values = _norm(file_values or {})
    merged = {**file_values, **given}
    if "adapter_options" in file_values and "adapter_options" in given:
        merged["adapter_options"] = {**(file_values["adapter_options"] or {}),
                                     **given["adapter_options"]}
    from_file = set(file_values) - set(given)
    try:
        return RunConfig.model_validate(merged)
    except PydanticError as exc:
        raise ValidationError([_describe(e, from_file, file_name) for e in exc.errors()]) from None
