"""Tiny helpers shared by every room (layer 0 of docs/design.md §3: imports nothing of the package).

One definition each of knowledge that was repeated: what counts as an integer setting
(:func:`is_int`), the estimators of a variance (:data:`ESTIMATORS`), the one order of category
levels (:func:`sort_levels`) and the package version (:func:`version`, read once).

Examples
--------
>>> is_int(3), is_int(True), is_int(3.0)
(True, False, False)
>>> sort_levels(["b", 2, "a", 1])
(1, 2, 'a', 'b')
>>> ESTIMATORS
('unbiased', 'mle')
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["ESTIMATORS", "FALLBACK_VERSION", "is_int", "sort_levels", "version"]

#: the variance estimators of the Gaussian family: divisor n − 1 (``unbiased``) or n (``mle``)
ESTIMATORS = ("unbiased", "mle")

#: the version reported when the package metadata cannot be read (a bare source checkout)
FALLBACK_VERSION = "0.1.0"


def is_int(x) -> bool:
    """Whether ``x`` is an integer (Python or NumPy), booleans excluded.

    Examples
    --------
    >>> import numpy as np
    >>> is_int(np.int64(5)), is_int(np.bool_(True)), is_int("5")
    (True, False, False)
    """
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _level_key(v) -> tuple:
    return (type(v).__name__, v)


def sort_levels(values: Iterable) -> tuple:
    """Levels in the package's one order: by (type name, value).

    Used wherever levels are not given by a pandas ``category`` dtype (whose order is kept as
    given). Values of one type that cannot be compared are ordered by their text.

    Examples
    --------
    >>> sort_levels([1, "1", "x"])
    (1, '1', 'x')
    >>> sort_levels([True, False])
    (False, True)
    """
    values = list(values)
    try:
        return tuple(sorted(values, key=_level_key))
    except TypeError:
        return tuple(sorted(values, key=lambda v: (type(v).__name__, str(v))))


@lru_cache(maxsize=1)
def version() -> str:
    """The installed synthaudit version (package metadata; a source checkout gets the fallback).

    Read once, on first use, so ``import synthaudit`` never pays for ``importlib.metadata``.

    Examples
    --------
    >>> isinstance(version(), str)
    True
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _dist_version

    try:
        return _dist_version("synthaudit")
    except PackageNotFoundError:
        return FALLBACK_VERSION
