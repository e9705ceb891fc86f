"""Bring your own synthesizer: a Python object, or a vendor's command-line tool, as an adapter.

Three classes:

* :class:`SynthesizerAdapter` -- the base of every adapter that wraps a synthesizer whose
  parameters synthaudit cannot read (SDV, a Python object, a command). It keeps the *real
  table's schema*, checks and conforms every sampled table to it (same columns, order, dtypes,
  category levels; a level that vanished stays a level with zero rows) and measures drift with
  the reference model: ``params_`` are the parameters of a :class:`~synthaudit.adapters.MixedAdapter`
  fitted on the synthesizer's training table (Gaussian over the numeric columns, multinomial over
  the categorical ones), so they are comparable across generations and across synthesizers.
* :class:`ObjectAdapter` -- any object with ``fit(df)`` and ``sample(n)``.
* :class:`ExternalAdapter` -- a command template that fits and samples in one call, e.g.
  ``"vendor-tool fit-sample --in {input} --out {output} --rows {n} --seed {seed}"``.

The real table's schema
-----------------------
``fit`` is the entry point for *real* rows: it learns the schema (and, for SDV, the metadata)
and records it in a small holder shared by the adapter and every :meth:`clone` of it. The engine
fits one clone per generation with ``fit_generated``; each clone reads the real schema from the
holder, so a level missing from one generation's rows (or from a subsample of the real table) is
still a level of everything sampled later. A table whose columns do not match the holder's is
treated as a new real table (its own schema).
"""

from __future__ import annotations

import copy
import inspect
import os
import shlex
import signal
import string
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._random import int_seed as _seed
from ..exceptions import AdapterError, DegenerateDataWarning, ValidationError
from .base import BaseAdapter, TableSchema, _as_rng, _is_numeric
from .mixed import MixedAdapter

__all__ = ["ExternalAdapter", "ObjectAdapter", "SynthesizerAdapter", "conform_table"]

#: keywords through which a seed is handed to a wrapped object's fit/sample
SEED_KEYWORDS = ("random_state", "seed", "rng")
#: how much of a failing command's stderr an error message shows
STDERR_TAIL = 2000


# ---------------------------------------------------------------------------------------------
# checking and conforming a synthesizer's output
# ---------------------------------------------------------------------------------------------
def conform_table(
    schema: TableSchema,
    df,
    *,
    n: int | None = None,
    source: str = "the synthesizer",
    error: type[Exception] = AdapterError,
) -> pd.DataFrame:
    """Check ``df`` against the real table's ``schema`` and return it in that schema.

    Columns are put in the real order; categorical columns become ``pd.Categorical`` with the
    real levels (values are matched as they are, then by their text, so a level read back from a
    CSV file as ``"True"`` or ``"2007"`` is recognised); numeric columns take the real dtype
    (integers are rounded; a column whose values do not fit the integer dtype stays float64).
    Every problem is reported at once in one ``error`` (default :class:`AdapterError`): missing
    or unexpected columns, a wrong row count (when ``n`` is given), missing cells, non-numeric
    values in a numeric column, unknown categories.

    Examples
    --------
    >>> real = pd.DataFrame({"x": [1, 2, 3], "c": ["a", "b", "b"]})
    >>> schema = TableSchema.from_frame(real)
    >>> out = conform_table(schema, pd.DataFrame({"c": ["b", "b"], "x": [0.6, 2.2]}), n=2)
    >>> out.dtypes.astype(str).tolist(), out["x"].tolist(), out["c"].cat.categories.tolist()
    (['int64', 'category'], [1, 2], ['a', 'b'])
    >>> conform_table(schema, pd.DataFrame({"x": [1.0], "d": ["a"]}), n=2)
    Traceback (most recent call last):
    ...
    synthaudit.exceptions.AdapterError: the synthesizer returned a table that does not match the real table:
      - missing column(s) ['c']; expected columns ['x', 'c']
      - unexpected column(s) ['d']
      - expected 2 rows; got 1
    """
    if not isinstance(df, pd.DataFrame):
        raise error(f"{source} must return a pandas DataFrame; got {type(df).__name__}.")
    if _already_conform(schema, df, n):
        out = df.copy()  # callers (and wrapped objects) may keep or modify it
        out.index = pd.RangeIndex(len(out))
        return out
    problems = []
    cols = [str(c) for c in df.columns]
    missing = [c for c in schema.columns if c not in df.columns]
    extra = [c for c in df.columns if c not in schema.columns]
    if missing:
        problems.append(f"missing column(s) {missing}; expected columns {list(schema.columns)}")
    if extra:
        problems.append(f"unexpected column(s) {extra}")
    if len(set(cols)) != len(cols):
        problems.append(f"duplicated column names in {cols}")
    if n is not None and len(df) != n:
        problems.append(f"expected {n} rows; got {len(df)}")
    out = {}
    for col in schema.columns:
        if col not in df.columns or len(set(cols)) != len(cols):
            continue
        s = df[col]
        n_na = int(s.isna().sum())
        if n_na:
            problems.append(f"column {col!r} has {n_na} missing cell(s)")
            continue
        if schema.kinds[col] == "categorical":
            values, bad = _as_levels(s, schema.levels[col])
            if bad:
                shown = ", ".join(repr(v) for v in bad[:5]) + (" …" if len(bad) > 5 else "")
                problems.append(
                    f"column {col!r} has value(s) {shown} that are not categories of the real "
                    f"table ({list(schema.levels[col])})"
                )
                continue
            out[col] = values
        else:
            values, msg = _as_numeric(s, schema.dtypes[col])
            if msg:
                problems.append(f"column {col!r} {msg}")
                continue
            out[col] = values
    if problems:
        raise error(
            f"{source} returned a table that does not match the real table:\n  - "
            + "\n  - ".join(problems)
        )
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _already_conform(schema: TableSchema, df: pd.DataFrame, n: int | None) -> bool:
    """Fast path: ``df`` is already in the schema (e.g. a table this module conformed)."""
    if tuple(df.columns) != tuple(schema.columns) or (n is not None and len(df) != n):
        return False
    for col in schema.columns:
        s = df[col]
        if schema.kinds[col] == "categorical":
            if not isinstance(s.dtype, pd.CategoricalDtype):
                return False
            if tuple(s.cat.categories) != tuple(schema.levels[col]) or (s.cat.codes < 0).any():
                return False
        else:
            if s.dtype != schema.dtypes[col]:
                return False
            if pd.api.types.is_float_dtype(s.dtype) and not np.isfinite(s.to_numpy()).all():
                return False
            if s.isna().any():
                return False
    return True


def _as_levels(s: pd.Series, levels: tuple) -> tuple[pd.Categorical, list]:
    vals = s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s
    cat = pd.Categorical(vals, categories=list(levels))
    unknown = np.asarray(cat.codes) < 0
    if not unknown.any():
        return cat, []
    by_text = {str(level): i for i, level in enumerate(levels)}
    codes = np.asarray(cat.codes).copy()
    bad = []
    for i in np.flatnonzero(unknown):
        v = vals.iloc[i]
        code = by_text.get(str(v), -1)
        if code < 0 and isinstance(v, str) and v.strip() != v:
            code = by_text.get(v.strip(), -1)
        if code < 0 and v not in bad:
            bad.append(v)
        codes[i] = code
    if bad:
        return cat, bad
    return pd.Categorical.from_codes(codes, categories=list(levels)), []


def _as_numeric(s: pd.Series, dtype) -> tuple[Any, str]:
    if pd.api.types.is_bool_dtype(s.dtype):
        x = s.astype(float)
    else:
        x = pd.to_numeric(s, errors="coerce")
        nonnum = int(x.isna().sum())
        if nonnum:
            bad = s[x.isna()].unique()[:3].tolist()
            return None, f"has {nonnum} non-numeric value(s), e.g. {bad}"
    x = np.asarray(x, dtype=float)
    if not np.isfinite(x).all():
        return None, f"has {int((~np.isfinite(x)).sum())} infinite value(s)"
    if pd.api.types.is_integer_dtype(dtype):
        r = np.rint(x)
        try:
            info = np.iinfo(np.dtype(getattr(dtype, "numpy_dtype", dtype)))
        except TypeError:  # pragma: no cover - exotic integer extension types
            return r, ""
        if len(r) == 0 or (r.min() >= info.min and r.max() <= info.max):
            return pd.array(r.astype(np.int64), dtype=dtype) if isinstance(
                dtype, pd.api.extensions.ExtensionDtype
            ) else r.astype(dtype), ""
        return r, ""  # out of the integer range: keep the rounded floats
    if pd.api.types.is_float_dtype(dtype):
        return x.astype(dtype), ""
    return x, ""


def _to_plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as their plain values (object), for tools that reject 'category'."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out


# ---------------------------------------------------------------------------------------------
# the base class
# ---------------------------------------------------------------------------------------------
class _RealTable:
    """The real table's schema (and adapter-specific extras), shared by an adapter's clones."""

    __slots__ = ("extra", "reference", "schema")

    def __init__(self):
        self.schema: TableSchema | None = None
        self.extra: dict = {}
        self.reference: MixedAdapter | None = None  # bound to the real table's columns

    def matches(self, data: pd.DataFrame) -> bool:
        s = self.schema
        if s is None or set(data.columns) != set(s.columns):
            return False
        return all((s.kinds[c] == "numeric") == _is_numeric(data[c]) for c in s.columns)


class SynthesizerAdapter(BaseAdapter):
    """Base of the adapters around an opaque synthesizer (SDV, a Python object, a command).

    Subclasses implement ``_fit_synthesizer(table, rng)`` (``table`` already conformed to the
    real schema) and ``_sample_synthesizer(n, rng) -> DataFrame``; this class validates tables,
    conforms samples and provides ``params_`` / ``n_free_params_`` through the reference model
    (:class:`~synthaudit.adapters.MixedAdapter` fitted on the training table).
    """

    supports_fast_path: ClassVar[bool] = False

    # -- the holder of the real schema, shared with clones ------------------------------------
    def _holder(self) -> _RealTable:
        holder = self.__dict__.get("_real")
        if holder is None:
            holder = self._real = _RealTable()
        return holder

    def clone(self) -> SynthesizerAdapter:
        """An unfitted copy with the same settings, sharing the real table's schema."""
        new = type(self)(**self.get_params())
        new._real = self._holder()
        return new

    def _learn_real(self, data: pd.DataFrame, schema: TableSchema) -> dict:
        """Extras learned once from the real table (e.g. SDV metadata); stored in the holder."""
        return {}

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, rng: np.random.Generator | None = None):
        """Fit on real rows: learn (and share with clones) the real schema, then fit."""
        data = self.validate(data)
        schema = TableSchema.from_frame(data)
        holder = self._holder()
        holder.schema, holder.extra = schema, self._learn_real(data, schema)
        return self._fit_on(data, holder, rng=rng, strict=True)

    def fit_generated(self, data: pd.DataFrame, *, rng: np.random.Generator | None = None):
        """Fit on a generation's rows, in the real table's schema (used by the engine)."""
        data = self.validate(data, strict=False)
        holder = self._holder()
        if holder.schema is None:
            schema = TableSchema.from_frame(data)
            holder.schema, holder.extra = schema, self._learn_real(data, schema)
        elif not holder.matches(data):
            own = _RealTable()
            own.schema = TableSchema.from_frame(data)
            own.extra = self._learn_real(data, own.schema)
            holder = own
        return self._fit_on(data, holder, rng=rng, strict=False)

    def _fit_on(self, data: pd.DataFrame, holder: _RealTable, *, rng, strict: bool):
        self.schema_ = None
        rng = _as_rng(rng)
        table = conform_table(holder.schema, data, source="the training table",
                              error=ValidationError)
        if strict or holder.reference is None:
            ref = MixedAdapter()
            if strict:
                ref.fit(table)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DegenerateDataWarning)
                    ref.fit_generated(table)
            holder.reference = ref
        else:  # bound to the real columns already: only the statistics change
            ref = copy.copy(holder.reference).fit_generated(table)
        self._real_extra = holder.extra
        self._fit_synthesizer(table, rng)
        self.reference_model_ = ref
        self.n_train_ = len(table)
        self.schema_ = holder.schema
        return self

    def sample(self, n: int, *, rng: np.random.Generator | None = None) -> pd.DataFrame:
        """Draw ``n`` rows, checked and conformed to the real table's schema."""
        self._check_fitted("sampling")
        n = self._sample_count(n)
        out = self._sample_synthesizer(n, _as_rng(rng))
        return conform_table(self.schema_, out, n=n, source=self._describe())

    # -- parameters ---------------------------------------------------------------------------
    def _params_series(self) -> pd.Series:
        return self.reference_model_.params_

    @property
    def layout_(self):
        """The reference model's parameter layout (the drift parameters)."""
        self._check_fitted("reading layout_")
        return self.reference_model_.layout_

    # -- to implement -------------------------------------------------------------------------
    def _describe(self) -> str:
        return type(self).__name__

    def _fit_synthesizer(self, table: pd.DataFrame, rng: np.random.Generator) -> None:
        raise NotImplementedError  # pragma: no cover

    def _sample_synthesizer(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        raise NotImplementedError  # pragma: no cover




# ---------------------------------------------------------------------------------------------
# a Python object
# ---------------------------------------------------------------------------------------------
class ObjectAdapter(SynthesizerAdapter):
    """Any object with ``fit(df)`` and ``sample(n)`` as an adapter.

    Parameters
    ----------
    obj : object
        The *unfitted prototype*. It is never fitted itself: every fit works on a fresh copy
        (``sklearn.base.clone`` when the object has ``get_params``, else ``copy.deepcopy``).

    Notes
    -----
    **Seeding.** When ``fit`` or ``sample`` accepts a keyword named ``random_state``, ``seed``
    (an int drawn from the engine's generator is passed) or ``rng`` (a ``numpy.random.Generator``
    seeded from it), it gets one, and an object with ``get_params()`` listing ``random_state`` is
    given one through ``set_params``. Otherwise reproducibility is the object's responsibility:
    the same audit seed then gives the same trace only if the object is deterministic.

    ``sample`` must return a DataFrame with the real table's columns and exactly ``n`` rows;
    anything else raises :class:`~synthaudit.exceptions.AdapterError` saying what was expected
    and what came back; an exception inside the object is wrapped in ``AdapterError`` with its
    message.

    Examples
    --------
    >>> class Bootstrap:
    ...     def fit(self, df):
    ...         self.df = df
    ...     def sample(self, n, random_state=None):
    ...         return self.df.sample(n, replace=True, random_state=random_state)
    >>> real = pd.DataFrame({"x": [1.0, 2.0, 4.0, 5.0], "c": ["a", "b", "a", "a"]})
    >>> ad = ObjectAdapter(Bootstrap()).fit(real, rng=np.random.default_rng(0))
    >>> ad.sample(3, rng=np.random.default_rng(1)).shape
    (3, 2)
    >>> ad.params_.index.tolist()
    ['mean[x]', 'var[x]', 'p[c=a]', 'p[c=b]']
    """

    name: ClassVar[str] = "object"

    def __init__(self, obj):
        problems = [
            f"`obj` must have a callable {m}(…) method; {type(obj).__name__} has none."
            for m in ("fit", "sample")
            if not callable(getattr(obj, m, None))
        ]
        if problems:
            raise ValidationError(problems)
        self.obj = obj

    def _describe(self) -> str:
        return f"{type(self.obj).__name__}.sample"

    def _fresh(self):
        if callable(getattr(self.obj, "get_params", None)):
            from sklearn.base import clone

            try:
                return clone(self.obj)
            except (TypeError, ValueError, RuntimeError, AttributeError):
                return copy.deepcopy(self.obj)  # get_params but not a scikit-learn estimator
        return copy.deepcopy(self.obj)

    def _fit_synthesizer(self, table: pd.DataFrame, rng: np.random.Generator) -> None:
        model = self._fresh()
        seed = _seed(rng)
        if _has_random_state_param(model):
            model.set_params(random_state=seed)
        self._call(model.fit, "fit", (table,), seed)
        self.model_ = model

    def _sample_synthesizer(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        out = self._call(self.model_.sample, "sample", (n,), _seed(rng))
        if isinstance(out, dict) and len(out) == 1:  # {table name: frame}, SDV style
            out = next(iter(out.values()))
        if not isinstance(out, pd.DataFrame):
            raise AdapterError(
                f"{self._describe()}({n}) must return a pandas DataFrame with columns "
                f"{list(self.schema_.columns)}; got {type(out).__name__}."
            )
        return out

    def _call(self, method, what: str, args: tuple, seed: int):
        kwargs = {}
        key = _seed_keyword(method)
        if key is not None:
            kwargs[key] = np.random.default_rng(seed) if key == "rng" else seed
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            raise AdapterError(
                f"{type(self.obj).__name__}.{what} failed: {type(exc).__name__}: {exc}"
            ) from exc


def _has_random_state_param(model) -> bool:
    """Whether a scikit-learn style object takes ``random_state`` through ``set_params``."""
    get_params = getattr(model, "get_params", None)
    if not (callable(get_params) and callable(getattr(model, "set_params", None))):
        return False
    try:
        return "random_state" in get_params()
    except (TypeError, ValueError, AttributeError):
        return False


def _seed_keyword(method) -> str | None:
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return None
    for key in SEED_KEYWORDS:
        p = params.get(key)
        if p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            return key
    return None


# ---------------------------------------------------------------------------------------------
# a command-line tool
# ---------------------------------------------------------------------------------------------
_PLACEHOLDERS = ("input", "output", "n", "seed", "format")
_FORMATS = ("csv", "parquet")


class ExternalAdapter(SynthesizerAdapter):
    """A vendor's command-line synthesizer as an adapter (fit and sample in one call).

    Parameters
    ----------
    command : str or list of str
        A command template, split like a shell would (``shlex``) but run *without* a shell.
        Placeholders: ``{input}`` (the training table's file; required), ``{output}`` (where the
        tool must write the synthetic table; required), ``{n}`` (rows to write), ``{seed}`` (an
        int drawn from the engine's generator) and ``{format}``. E.g.
        ``"vendor-tool fit-sample --in {input} --out {output} --rows {n} --seed {seed}"``.
    format : {"csv", "parquet"}
        File format of both tables (categorical columns are written as their plain values).
    timeout : float
        Seconds one call may run; the tool (and its process group) is killed after that.

    Notes
    -----
    ``fit`` only stores the training table; ``sample(n)`` writes it to a fresh temporary
    directory, runs the command, reads the output and checks it against the real table's schema
    (columns, row count, numeric values, known categories) before conforming it. Without
    ``{seed}`` in the command, reproducibility is the tool's responsibility.

    Examples
    --------
    >>> ExternalAdapter("vendor-tool --in {input} --out {output} --rows {n} --seed {seed}")
    ExternalAdapter(command='vendor-tool --in {input} --out {output} --rows {n} --seed {seed}')
    >>> try:
    ...     ExternalAdapter("vendor-tool --rows {n} --colour {color}")
    ... except ValidationError as exc:
    ...     print(*exc.problems, sep="\\n")
    `command` has unknown placeholder(s) ['color']; allowed: ['input', 'output', 'n', 'seed', 'format'].
    `command` must contain the placeholder {input} (the training table's file).
    `command` must contain the placeholder {output} (where the tool writes the synthetic table).
    """

    name: ClassVar[str] = "external"

    def __init__(self, command, *, format: str = "csv", timeout: float = 600):
        self.command = command
        self.format = format
        self.timeout = timeout
        self._argv_template()  # validate now: a bad template fails at make_adapter

    def _argv_template(self) -> list[str]:
        problems = []
        cmd = self.command
        if isinstance(cmd, str):
            try:
                argv = shlex.split(cmd)
            except ValueError as exc:
                raise ValidationError(f"`command` cannot be split into words: {exc}.") from None
        elif isinstance(cmd, (list, tuple)) and all(isinstance(a, str) for a in cmd):
            argv = list(cmd)
        else:
            raise ValidationError(
                f"`command` must be a string or a list of strings; got {type(cmd).__name__}."
            )
        if not argv:
            problems.append("`command` is empty; give the vendor tool's command line.")
        found, unknown = set(), []
        for word in argv:
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(word) if f is not None]
            except ValueError as exc:
                problems.append(f"`command` word {word!r} is not a valid template: {exc}.")
                continue
            for f in fields:
                if f in _PLACEHOLDERS:
                    found.add(f)
                else:
                    unknown.append(f)
        if unknown:
            problems.append(
                f"`command` has unknown placeholder(s) {sorted(set(unknown))}; "
                f"allowed: {list(_PLACEHOLDERS)}."
            )
        if argv and "input" not in found:
            problems.append("`command` must contain the placeholder {input} (the training "
                            "table's file).")
        if argv and "output" not in found:
            problems.append("`command` must contain the placeholder {output} (where the tool "
                            "writes the synthetic table).")
        if self.format not in _FORMATS:
            problems.append(f"`format` must be one of {list(_FORMATS)}; got {self.format!r}.")
        t = self.timeout
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not t > 0:
            problems.append(f"`timeout` must be a positive number of seconds; got {t!r}.")
        if problems:
            raise ValidationError(problems)
        return argv

    def _describe(self) -> str:
        return f"the command {self._shown()!r}"

    def _shown(self) -> str:
        cmd = self.command
        return cmd if isinstance(cmd, str) else shlex.join(cmd)

    def _fit_synthesizer(self, table: pd.DataFrame, rng: np.random.Generator) -> None:
        self.train_ = table

    def _sample_synthesizer(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        seed = _seed(rng)
        ext = self.format
        with tempfile.TemporaryDirectory(prefix="synthaudit-") as tmp:
            src, dst = Path(tmp) / f"input.{ext}", Path(tmp) / f"output.{ext}"
            plain = _to_plain(self.train_)
            if ext == "csv":
                plain.to_csv(src, index=False)
            else:
                plain.to_parquet(src, index=False)
            values = {"input": str(src), "output": str(dst), "n": n, "seed": seed, "format": ext}
            argv = [word.format(**values) for word in self._argv_template()]
            err = self._run(argv)
            if not dst.exists():
                raise AdapterError(
                    f"{self._describe()} exited normally but wrote no output table at "
                    f"{{output}}; it must write {n} rows there.{self._tail(err)}"
                )
            try:
                out = pd.read_csv(dst) if ext == "csv" else pd.read_parquet(dst)
            except Exception as exc:
                raise AdapterError(
                    f"the output of {self._describe()} could not be read as {ext}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        return out

    def _run(self, argv: list[str]) -> bytes:
        """Run the tool; return its stderr. Errors: cannot start, timeout, non-zero exit."""
        posix = os.name == "posix"
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=posix,
            )
        except OSError as exc:
            raise AdapterError(
                f"could not start {self._describe()}: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            _, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill(proc, posix)
            try:
                _, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - stuck pipes
                err = b""
            raise AdapterError(
                f"{self._describe()} timed out after {self.timeout} s (the `timeout` setting) "
                f"and was stopped.{self._tail(err)}"
            ) from None
        if proc.returncode != 0:
            raise AdapterError(
                f"{self._describe()} failed with exit status {proc.returncode}."
                f"{self._tail(err) or ' It wrote nothing to stderr.'}"
            )
        return err

    @staticmethod
    def _tail(err) -> str:
        text = (err or b"").decode("utf-8", errors="replace").strip()
        if not text:
            return ""
        if len(text) > STDERR_TAIL:
            text = "…" + text[-STDERR_TAIL:]
        return f"\nIts stderr ends with:\n{text}"


def _kill(proc: subprocess.Popen, posix: bool) -> None:
    """Stop a timed-out tool: its whole process group on POSIX (it was started in its own)."""
    try:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
