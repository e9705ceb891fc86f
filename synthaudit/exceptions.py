"""Errors and warnings raised by synthaudit.

Every error synthaudit raises on purpose derives from :class:`SynthauditError` *and* from the
builtin exception a caller would naturally catch, so ``except ValueError`` keeps working::

    Exception
    ├── SynthauditError
    │   ├── ValidationError        (also ValueError)    bad input: data, parameters, specs
    │   ├── NotFittedError         (also AttributeError) sample / params_ before fit
    │   ├── AdapterError           (also RuntimeError)   a synthesizer failed while fitting/sampling
    │   ├── MissingDependencyError (also ImportError)    an optional extra (e.g. sdv) is absent
    │   └── RunDirectoryError      (also ValueError)     corrupt or foreign run directory
    └── Warning
        └── SynthauditWarning
            └── DegenerateDataWarning  constant column, lost level, singular covariance

Messages name the parameter, say what was expected and what was received, and how to fix it.
:class:`ValidationError` can carry several problems at once (``.problems``), so a user sees every
mistake in one go.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AdapterError",
    "DegenerateDataWarning",
    "MissingDependencyError",
    "NotFittedError",
    "RunDirectoryError",
    "SynthauditError",
    "SynthauditWarning",
    "ValidationError",
]


class SynthauditError(Exception):
    """Base class of every error synthaudit raises on purpose."""


class ValidationError(SynthauditError, ValueError):
    """Bad input. ``problems`` lists every problem found (one line each).

    Examples
    --------
    >>> err = ValidationError(["`n_generations` must be a positive integer; got 0."])
    >>> str(err)
    '`n_generations` must be a positive integer; got 0.'
    >>> err.problems
    ['`n_generations` must be a positive integer; got 0.']
    """

    def __init__(self, problems: str | Iterable[str]):
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[str] = [str(p) for p in problems]
        super().__init__("\n".join(self.problems))


class NotFittedError(SynthauditError, AttributeError):
    """An adapter was asked for ``sample`` or ``params_`` before ``fit``."""


class AdapterError(SynthauditError, RuntimeError):
    """A synthesizer failed while fitting or sampling (its own message is kept)."""


class MissingDependencyError(SynthauditError, ImportError):
    """An optional dependency is not installed; the message says how to install it."""


class RunDirectoryError(SynthauditError, ValueError):
    """A run directory is corrupt, or belongs to a different configuration."""


class SynthauditWarning(UserWarning):
    """Base class of synthaudit's warnings."""


class DegenerateDataWarning(SynthauditWarning):
    """Data or a fitted model is degenerate: a constant column, a lost level, a singular covariance."""


def collect(problems: list[str]) -> None:
    """Raise one :class:`ValidationError` holding ``problems`` if there are any."""
    if problems:
        raise ValidationError(problems)
