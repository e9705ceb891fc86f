"""The one settings schema of an audit: :class:`AuditSpec` (docs/design.md §4.4).

:func:`synthaudit.run_audit`, ``synthaudit run`` (flags) and config files (YAML/TOML) all build
this one model, so an audit has one set of defaults wherever it is started from. It is a frozen
pydantic model that forbids unknown fields; what the engine resolves against the data (n0, the
default schedule, the path, the seed's entropy) is recorded beside it in the result's ``config``.

Fields that define the result (:attr:`AuditSpec.RESULT_FIELDS`) go into the result's ``config``
and the run directory's identity; the execution fields (``n_jobs``, ``backend``, ``scheduler``,
``memory_budget``, ``run_dir``, ``progress``) change how fast an audit runs, never its numbers.

Examples
--------
>>> spec = AuditSpec(adapter="gaussian", adapter_settings={"estimator": "mle"}, n_generations=20)
>>> spec.n_replications, spec.holdout, spec.seed, spec.schedule
(100, 0.2, 0, None)
>>> spec.to_json()["adapter_settings"]
{'estimator': 'mle'}
>>> spec, problems, invalid = resolve(None, {"n_generations": 0, "holdout": 2})
>>> problems
['`n_generations` must be an integer ≥ 1; got 0.', '`holdout` must be a fraction in [0, 1); got 2.']
"""

from __future__ import annotations

import collections.abc as cabc
import inspect
import types
import typing
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from . import schedules as _schedules
from . import workflows as _workflows
from .exceptions import ValidationError

__all__ = ["DEFAULT_MEMORY_BUDGET", "AuditSpec", "describe_errors", "resolve", "settings_problems"]

#: default memory the per-row path may use for one training table (bytes)
DEFAULT_MEMORY_BUDGET = 2 * 1024**3

#: what each field accepts, in the words of an error message ("`field` must be …; got …")
EXPECTED = {
    "adapter": "a registered adapter name such as 'mixed' or 'sdv:gaussian_copula' "
               "(synthaudit.adapters.available_adapters()) or an adapter object",
    "adapter_settings": "a dict of the adapter's settings (name -> value)",
    "schedule": "a schedule spec such as 'const:100' or 'poly:100:1.5', a Schedule, or None "
                "(a constant schedule of n0 rows)",
    "n_generations": "an integer ≥ 1",
    "n_replications": "an integer ≥ 1",
    "workflow": "'replace', 'accumulate' or 'mix:M' (M real rows per generation), or a Workflow",
    "n0": "an integer ≥ 2, or None (every row of the pool)",
    "holdout": "a fraction in [0, 1)",
    "seed": "an integer ≥ 0, or None (fresh entropy, then recorded)",
    "path": "one of 'auto', 'fast', 'rows'",
    "n_jobs": "a non-zero integer (-1: all cores)",
    "backend": "the name of an executor, such as 'joblib', 'serial' or 'dask'",
    "scheduler": "the address of a Dask scheduler, such as 'tcp://10.0.0.5:8786', or None",
    "memory_budget": "a positive integer (bytes)",
    "keep_tables": "True or False",
    "run_dir": "a folder path, or None",
    "progress": "True or False",
}


def _plain_number(v):
    """numpy scalars as Python numbers (numpy booleans stay as they are: they are not numbers)."""
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


class AuditSpec(BaseModel):
    """Every setting of an audit, with the one set of defaults (docs/design.md §4.4).

    Attributes
    ----------
    adapter : str or adapter object
        Model family: ``"mixed"`` (default), ``"gaussian"``, ``"categorical"``, ``"poisson"``,
        ``"linear"``, ``"logistic"``, a prefixed name such as ``"sdv:gaussian_copula"``, or an
        adapter instance.
    adapter_settings : dict
        The adapter's own settings, e.g. ``{"estimator": "mle"}`` or ``{"columns": ["a", "b"]}``;
        checked against the adapter's ``__init__`` (a bool must be a bool, a list a list).
    schedule : str or Schedule, optional
        Synthetic rows per generation (:mod:`synthaudit.schedules`); default ``constant(n0)``.
        Stored as a :class:`~synthaudit.schedules.Schedule`.
    n_generations, n_replications : int
        T (default 50) and the independent replications of the loop (default 100).
    workflow : str or Workflow
        ``"replace"`` (default), ``"accumulate"`` or ``"mix:M"``; stored as a
        :class:`~synthaudit.workflows.Workflow`.
    n0 : int, optional
        Real rows of generation 0 (default: every row of the pool).
    holdout : float
        Fraction of the real table held out (seeded) to measure risk; default 0.2.
    seed : int or None
        Root of every random stream (default 0). ``None`` draws fresh entropy, which the result
        records (and a run directory's recorded seed is reused).
    path : {"auto", "fast", "rows"}
    n_jobs : int
        Workers (-1: all cores); ``backend`` names the executor (``"joblib"``, ``"serial"``,
        ``"dask"``), ``scheduler`` a Dask scheduler's address.
    memory_budget : int
        Bytes the per-row path may use for one training table (default 2 GiB).
    keep_tables : bool
        Keep every generation's table (per-row path, in memory only).
    run_dir : path, optional
        Save every finished unit there; a rerun resumes (:mod:`synthaudit.store`).
    progress : bool
        Show a progress bar.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True,
                              arbitrary_types_allowed=True, validate_default=True)

    #: the fields that decide the numbers (recorded in the result's config and a run's identity)
    RESULT_FIELDS: ClassVar[tuple[str, ...]] = (
        "adapter", "adapter_settings", "schedule", "n_generations", "n_replications", "workflow",
        "n0", "holdout", "seed", "path", "keep_tables",
    )
    #: the fields that only decide how an audit is executed
    EXECUTION_FIELDS: ClassVar[tuple[str, ...]] = (
        "n_jobs", "backend", "scheduler", "memory_budget", "run_dir", "progress",
    )

    adapter: Any = "mixed"
    adapter_settings: dict[str, Any] = Field(default_factory=dict)
    schedule: Any = None
    n_generations: int = Field(50, ge=1)
    n_replications: int = Field(100, ge=1)
    workflow: Any = "replace"
    n0: int | None = Field(None, ge=2)
    holdout: float = Field(0.2, ge=0.0, lt=1.0)
    seed: int | None = Field(0, ge=0)
    path: Literal["auto", "fast", "rows"] = "auto"
    n_jobs: int = 1
    backend: str = "joblib"
    scheduler: str | None = None
    memory_budget: int = Field(DEFAULT_MEMORY_BUDGET, gt=0)
    keep_tables: bool = False
    run_dir: Path | None = Field(None, strict=False)
    progress: bool = False

    # -- field checks -------------------------------------------------------------------------
    @field_validator("n_generations", "n_replications", "n0", "seed", "n_jobs", "memory_budget",
                     "holdout", mode="before")
    @classmethod
    def _numpy_numbers(cls, v):
        return _plain_number(v)

    @field_validator("adapter")
    @classmethod
    def _adapter(cls, v):
        if isinstance(v, str):
            if not v.strip():
                raise ValueError("empty")
            return v.strip()
        if v is None or isinstance(v, (bool, int, float, list, tuple, dict, Path)):
            raise ValueError("not an adapter")
        return v

    @field_validator("adapter_settings")
    @classmethod
    def _adapter_settings(cls, v: dict):
        own = sorted(k for k in v if k in cls.model_fields)
        if own:
            raise ValueError(
                f"`adapter_settings` must hold the adapter's settings only; {own} "
                f"{'is a setting' if len(own) == 1 else 'are settings'} of the audit itself: "
                "give them as audit settings (their own flags on the command line)"
            )
        return dict(v)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v):
        if v is None:
            return None
        try:
            return _schedules.parse(v)
        except ValidationError as exc:
            raise ValueError(f"`schedule`: {' '.join(exc.problems)}") from None

    @field_validator("workflow")
    @classmethod
    def _workflow(cls, v):
        try:
            return _workflows.parse(v)
        except ValidationError as exc:
            raise ValueError(f"`workflow`: {' '.join(exc.problems)}") from None

    @field_validator("n_jobs")
    @classmethod
    def _n_jobs(cls, v: int) -> int:
        if v == 0:
            raise ValueError("zero")
        return v

    @field_validator("backend")
    @classmethod
    def _backend(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("empty")
        return v.strip().lower()

    @model_validator(mode="after")
    def _together(self) -> AuditSpec:
        problems = cross_problems(dict(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- serialisation ------------------------------------------------------------------------
    @field_serializer("adapter")
    def _ser_adapter(self, v):
        return v if isinstance(v, str) else (getattr(v, "name", "") or type(v).__name__)

    @field_serializer("adapter_settings")
    def _ser_settings(self, v):
        return jsonable(v)

    @field_serializer("schedule")
    def _ser_schedule(self, v):
        return None if v is None else v.spec

    @field_serializer("workflow")
    def _ser_workflow(self, v):
        return v.spec

    @field_serializer("run_dir")
    def _ser_run_dir(self, v):
        return None if v is None else str(v)

    def to_json(self, fields: Collection[str] | None = None) -> dict:
        """The settings as JSON-friendly values (schedules and workflows as their spec strings,
        an adapter object as its name); ``fields`` picks some of them."""
        out = self.model_dump(mode="json")
        return out if fields is None else {k: out[k] for k in fields}


#: rules across fields: (fields involved, test on the field values, message)
_CROSS_RULES: tuple[tuple[tuple[str, ...], Callable[[Mapping], bool], str], ...] = (
    (("scheduler", "backend"),
     lambda v: v["scheduler"] is not None and str(v["backend"]).strip().lower() != "dask",
     "`scheduler` needs backend='dask' (--backend dask); got backend={backend!r}."),
    (("keep_tables", "run_dir"), lambda v: v["keep_tables"] is True and v["run_dir"] is not None,
     "`keep_tables=True` cannot be combined with `run_dir`: tables are kept in memory only."),
    (("adapter", "adapter_settings"),
     lambda v: not isinstance(v["adapter"], str) and bool(v["adapter_settings"]),
     "`adapter_settings` can only be given with an adapter name, not with an adapter object "
     "(set them on the object)."),
)


def cross_problems(values: Mapping) -> list[str]:
    """Problems between fields whose values are each valid (``values``: every field)."""
    return [msg.format(backend=values["backend"]) for _, test, msg in _CROSS_RULES
            if test(values)]


def _cross_fields(values: Mapping) -> set[str]:
    return {f for fields, test, _ in _CROSS_RULES if test(values) for f in fields}


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------
def _known_settings() -> str:
    return ", ".join(AuditSpec.model_fields)


def describe_errors(exc: PydanticError, *, values: Mapping | None = None,
                    adapter_keys: Collection[str] = (), labels: Mapping[str, str] | None = None,
                    where: Callable[[str], str] | None = None) -> list[str]:
    """One readable line per pydantic error: the field, what it expects, what it got.

    ``adapter_keys`` are the setting names of the requested adapter (an unknown field that is
    one of them gets the hint ``adapter_settings={...}``); ``labels`` renames fields (the
    command line's flag names); ``where(field)`` adds where a value came from (a config file).
    """
    labels = labels or {}
    values = values or {}
    out: list[str] = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x != "__root__"]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if not loc:  # a rule across fields: its message is complete
            out += [line for line in msg.splitlines() if line.strip()]
            continue
        field = loc[0]
        name = labels.get(field, field)
        suffix = where(field) if where is not None else ""
        if err.get("type") == "extra_forbidden":
            got = values.get(field, err.get("input"))
            if field in adapter_keys:
                out.append(
                    f"`{name}` is a setting of the adapter, not of the audit: pass it as "
                    f"adapter_settings={{{field!r}: {got!r}}}{suffix}."
                )
            else:
                out.append(
                    f"unknown setting `{name}`{suffix}; the audit's settings are: "
                    f"{_known_settings()} (the adapter's own settings go in "
                    "adapter_settings={...})."
                )
            continue
        if err.get("type") == "value_error" and msg.startswith("`"):
            out.append(msg.rstrip(".") + f"{suffix}.")  # complete message from a validator
            continue
        if len(loc) > 1 and field == "adapter_settings":
            out.append(f"`{name}` keys must be strings; got {loc[1]!r}{suffix}.")
            continue
        got = values.get(field, err.get("input"))
        out.append(f"`{name}` must be {EXPECTED.get(field, msg)}; got {got!r}{suffix}.")
    return out


def resolve(spec: AuditSpec | Mapping | None = None, fields: Mapping[str, Any] | None = None, *,
            adapter_keys: Callable[[Any, Mapping[str, Any]], Collection[str]] | None = None,
            labels: Mapping[str, str] | None = None,
            where: Callable[[str], str] | None = None,
            ) -> tuple[AuditSpec, list[str], frozenset[str]]:
    """Validate ``spec`` updated with ``fields``, collecting every problem.

    Returns ``(spec, problems, invalid)``: when there are problems, ``spec`` holds the valid
    fields and the defaults in place of the ``invalid`` ones, so that the checks that need the
    data can still run on what is valid and every problem is reported at once.
    ``adapter_keys(adapter, unknown)`` returns which of the ``unknown`` keywords (a dict) are
    settings of the adapter (for the hint ``adapter_settings={...}``); ``labels`` and ``where``
    are passed to :func:`describe_errors`.

    Examples
    --------
    >>> spec, problems, invalid = resolve(AuditSpec(seed=3), {"n_generations": 5})
    >>> spec.seed, spec.n_generations, problems
    (3, 5, [])
    """
    if spec is None or isinstance(spec, Mapping):
        base = dict(spec or {})
    elif isinstance(spec, AuditSpec):
        base = dict(spec)
    else:
        return AuditSpec(), [
            f"`spec` must be an AuditSpec (or a dict of its fields); got {type(spec).__name__}."
        ], frozenset(AuditSpec.model_fields)
    merged = {**base, **dict(fields or {})}
    try:
        return AuditSpec.model_validate(merged), [], frozenset()
    except PydanticError as exc:
        errors = exc.errors()
        unknown = [str(e["loc"][0]) for e in errors
                   if e.get("type") == "extra_forbidden" and e.get("loc")]
        keys: Collection[str] = ()
        if unknown and adapter_keys is not None:
            keys = adapter_keys(merged.get("adapter", "mixed"),
                                {k: merged[k] for k in unknown if k in merged})
        problems = describe_errors(exc, values=merged, adapter_keys=keys, labels=labels,
                                   where=where)
        invalid = {str(e["loc"][0]) for e in errors if e.get("loc")}
    good = {k: v for k, v in merged.items() if k not in invalid}
    values = {**_defaults(), **good}
    crossed = _cross_fields(values)
    problems += [p for p in cross_problems(values) if p not in problems]
    invalid |= crossed
    partial = AuditSpec.model_validate({k: v for k, v in good.items() if k not in crossed})
    return partial, problems, frozenset(invalid)


def _defaults() -> dict:
    return {name: f.get_default(call_default_factory=True)
            for name, f in AuditSpec.model_fields.items()}


# ---------------------------------------------------------------------------------------------
# typed adapter settings
# ---------------------------------------------------------------------------------------------
def jsonable(v):
    """A JSON-friendly copy of a setting value (repr for what JSON cannot hold)."""
    v = _plain_number(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, Path):
        return str(v)
    return repr(v)


_SEQUENCES = (list, tuple, cabc.Sequence, cabc.Iterable, cabc.Collection)
_UNIONS = (typing.Union, types.UnionType)


def _conforms(v, ann) -> bool | None:
    """Whether ``v`` is of type ``ann`` (None: this checker cannot tell)."""
    if ann is Any or ann is inspect.Parameter.empty:
        return None
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin in _UNIONS:
        results = [_conforms(v, a) for a in args]
        if any(r is True for r in results):
            return True
        return False if all(r is False for r in results) else None
    if ann is type(None) or ann is None:
        return v is None
    if origin is Literal:
        return any(v == a and type(v) is type(a) for a in args)
    if ann is bool:
        return isinstance(v, (bool, np.bool_))
    if ann is int:
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
    if ann is float:
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
            v, (bool, np.bool_))
    if ann is str:
        return isinstance(v, str)
    if ann in (dict, cabc.Mapping) or origin in (dict, cabc.Mapping):
        return isinstance(v, dict)
    if ann in _SEQUENCES or origin in _SEQUENCES:
        if isinstance(v, (str, bytes)) or not isinstance(v, (list, tuple)):
            return False
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return None if args else True  # a fixed-length tuple: not checked here
        if args and any(_conforms(x, args[0]) is False for x in v):
            return False
        return True
    return None


def _type_text(ann) -> str:
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin in _UNIONS:
        return " or ".join(_type_text(a) for a in args)
    if ann is type(None) or ann is None:
        return "None"
    if origin is Literal:
        return f"one of {list(args)}"
    simple = {bool: "True or False", int: "an integer", float: "a number", str: "a string",
              dict: "a dict"}
    if ann in simple:
        return simple[ann]
    if ann in _SEQUENCES or origin in _SEQUENCES or origin is dict:
        if origin is dict or ann is dict:
            return "a dict"
        if args and args[0] is not Ellipsis:
            inner = _type_text(args[0])
            return f"a list of {inner.removeprefix('a ').removeprefix('an ')}s"
        return "a list"
    return getattr(ann, "__name__", str(ann))


def settings_problems(adapter_cls: type, settings: Mapping[str, Any]) -> list[str]:
    """Check adapter settings against the adapter's ``__init__`` before they are used.

    A setting that is a parameter of ``__init__`` must match its annotation (a bool is a bool —
    the string ``"False"`` is not —, a list of columns is a list, not a string); an unannotated
    setting whose default is a bool must be a bool. Names ``__init__`` does not take are left to
    the adapter's factory (:func:`~synthaudit.adapters.make_adapter` refuses them, or forwards
    them). An adapter class may add its own checks with a classmethod
    ``validate_settings(settings) -> list[str]``.

    Examples
    --------
    >>> class Toy:
    ...     def __init__(self, columns: list[str] | None = None, joint=False): ...
    >>> settings_problems(Toy, {"columns": "age", "joint": "False"})  # doctest: +NORMALIZE_WHITESPACE
    ["`adapter_settings.columns` must be a list of strings or None; got 'age'.",
     "`adapter_settings.joint` must be True or False; got 'False'."]
    """
    try:
        sig = inspect.signature(adapter_cls.__init__)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return []
    try:
        hints = typing.get_type_hints(adapter_cls.__init__)
    except Exception:  # unresolvable annotations: check what the defaults say
        hints = {}
    params = {p.name: p for p in sig.parameters.values()
              if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    problems = []
    for key, value in settings.items():
        p = params.get(key)
        if p is None:  # a factory may forward it (e.g. to an SDV synthesizer): not checked here
            continue
        ann = hints.get(key, inspect.Parameter.empty)
        if ann is inspect.Parameter.empty and isinstance(p.default, bool):
            ann = bool
        if _conforms(value, ann) is False:
            problems.append(
                f"`adapter_settings.{key}` must be {_type_text(ann)}; got {value!r}."
            )
    hook = getattr(adapter_cls, "validate_settings", None)
    if callable(hook):
        problems += [str(p) for p in hook(dict(settings))]
    return problems
