"""Bring your own synthesizer: a Python object, or a vendor's command-line tool, as an adapter.

* :class:`ObjectAdapter` -- any object with ``fit(df)`` and ``sample(n)``.
* :class:`ExternalAdapter` -- a command template that fits and samples in one call, e.g.
  ``"vendor-tool fit-sample --in {input} --out {output} --rows {n} --seed {seed}"``.

Both build on :class:`~synthaudit.adapters._synth.SynthesizerAdapter`: the real table's schema
is decided once by ``fit`` and kept by every later generation, every sampled table is checked
and conformed to it (:meth:`~synthaudit.adapters.schema.TableSchema.conform`: same columns,
order, dtypes, category levels; a level that vanished stays a level with zero rows), and drift
is measured with the reference model (:class:`~synthaudit.adapters.MixedAdapter`).
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
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..exceptions import AdapterError, ValidationError
from ._synth import SynthesizerAdapter, int_seed, to_plain

__all__ = ["ExternalAdapter", "ObjectAdapter", "SynthesizerAdapter"]

#: keywords through which a seed is handed to a wrapped object's fit/sample
SEED_KEYWORDS = ("random_state", "seed", "rng")
#: how much of a failing command's stderr an error message shows
STDERR_TAIL = 2000


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
        self.obj = obj

    def settings_problems(self) -> list[str]:
        return [
            f"`obj` must have a callable {m}(…) method; {type(self.obj).__name__} has none."
            for m in ("fit", "sample")
            if not callable(getattr(self.obj, m, None))
        ]

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
        seed = int_seed(rng)
        if _has_random_state_param(model):
            model.set_params(random_state=seed)
        self._call(model.fit, "fit", (table,), seed)
        self.model_ = model

    def _sample_synthesizer(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        out = self._call(self.model_.sample, "sample", (n,), int_seed(rng))
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
    ...     ExternalAdapter("vendor-tool --rows {n} --colour {color}").check_settings()
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

    def settings_problems(self) -> list[str]:
        return self._parse_template()[1]

    def _argv_template(self) -> list[str]:
        argv, problems = self._parse_template()
        if problems:
            raise ValidationError(problems)
        return argv

    def _parse_template(self) -> tuple[list[str], list[str]]:
        """The command's words and every problem with the settings (``make_adapter`` and
        ``validate`` report them; ``__init__`` only stores)."""
        problems = []
        cmd = self.command
        argv: list[str] = []
        if isinstance(cmd, str):
            try:
                argv = shlex.split(cmd)
            except ValueError as exc:
                problems.append(f"`command` cannot be split into words: {exc}.")
                cmd = None
        elif isinstance(cmd, (list, tuple)) and all(isinstance(a, str) for a in cmd):
            argv = list(cmd)
        else:
            problems.append(
                f"`command` must be a string or a list of strings; got {type(cmd).__name__}."
            )
            cmd = None
        if cmd is not None and not argv:
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
        return argv, problems

    def _describe(self) -> str:
        return f"the command {self._shown()!r}"

    def _shown(self) -> str:
        cmd = self.command
        return cmd if isinstance(cmd, str) else shlex.join(cmd)

    def _fit_synthesizer(self, table: pd.DataFrame, rng: np.random.Generator) -> None:
        self.train_ = table

    def _sample_synthesizer(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        seed = int_seed(rng)
        ext = self.format
        with tempfile.TemporaryDirectory(prefix="synthaudit-") as tmp:
            src, dst = Path(tmp) / f"input.{ext}", Path(tmp) / f"output.{ext}"
            plain = to_plain(self.train_)
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
