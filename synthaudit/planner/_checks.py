"""Input checks of the planner's own (``is_real``); the shared ones come from ``synthaudit._util``."""

from __future__ import annotations

import math

import numpy as np

from .._util import ESTIMATORS, is_int, version

__all__ = ["ESTIMATORS", "is_int", "is_real", "version"]


def is_real(x) -> bool:
    """A finite real number that is not a bool."""
    return (
        isinstance(x, (int, float, np.integer, np.floating))
        and not isinstance(x, (bool, np.bool_))
        and math.isfinite(float(x))
    )
