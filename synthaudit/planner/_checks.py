"""Small input checks and the library version, as the planner's modules read them.

# TODO(lead): _util — ``is_int``, ``version`` and ``ESTIMATORS`` are local copies of what
# ``synthaudit/_util.py`` (``is_int``, ``version()``, ``ESTIMATORS``) provides after the merge;
# replace the three with imports from there. ``is_real`` is the planner's own.
"""

from __future__ import annotations

import math

import numpy as np

#: Variance estimators of the Gaussian family.  TODO(lead): _util.ESTIMATORS
ESTIMATORS = ("unbiased", "mle")


def is_int(x) -> bool:
    """An integer that is not a bool.  TODO(lead): _util.is_int"""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def is_real(x) -> bool:
    """A finite real number that is not a bool."""
    return (
        isinstance(x, (int, float, np.integer, np.floating))
        and not isinstance(x, (bool, np.bool_))
        and math.isfinite(float(x))
    )


def version() -> str:
    """The package version, read where the rest of the package reads it.  TODO(lead): _util.version"""
    from .. import __version__

    return __version__
