"""Input checks shared by the theory modules (every message names the parameter)."""

from __future__ import annotations

import math

import numpy as np

from .._util import ESTIMATORS
from .._util import is_int as _is_int
from ..exceptions import ValidationError
from ..schedules import MAX_ROWS, Schedule, explicit, parse

# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------


def _check_n0(n0) -> int:
    if not _is_int(n0) or n0 < 2:
        raise ValidationError(
            f"`n0` must be an integer ≥ 2 (real rows of generation 0); got {n0!r}."
        )
    return int(n0)


def _check_estimator(estimator) -> str:
    if estimator not in ESTIMATORS:
        raise ValidationError(
            f"`estimator` must be one of {', '.join(repr(e) for e in ESTIMATORS)}; got {estimator!r}."
        )
    return estimator


def _check_d(d) -> int:
    if not _is_int(d) or d < 1:
        raise ValidationError(
            f"`d` must be a positive integer (number of free parameters); got {d!r}."
        )
    return int(d)


def _check_alpha(alpha) -> float:
    ok = isinstance(alpha, (int, float, np.integer, np.floating)) and not isinstance(alpha, bool)
    if not ok or not math.isfinite(float(alpha)) or float(alpha) <= 0:
        raise ValidationError(
            f"`alpha` must be a finite number > 0 (bias of order n^(-alpha)); got {alpha!r}."
        )
    return float(alpha)


def _as_schedule(schedule) -> Schedule:
    if isinstance(schedule, (Schedule, str)):
        return parse(schedule)
    try:
        arr = np.asarray(schedule)
    except (TypeError, ValueError):  # pragma: no cover - exotic objects
        arr = None
    if arr is None or arr.ndim != 1 or arr.size == 0:
        raise ValidationError(
            "`schedule` must be a Schedule, a schedule spec such as 'poly:100:1.5', or a non-empty "
            f"list of sizes; got {schedule!r}."
        )
    return explicit(_check_sizes(arr))


def _check_sizes(arr) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim != 1:
        raise ValidationError(f"`sizes` must be a 1-D list of integers; got shape {arr.shape}.")
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
        raise ValidationError(f"`sizes` must be finite integers ≥ 2; got {arr.tolist()!r}.")
    if np.any(arr != np.round(arr)) or np.any(arr < 2) or np.any(arr > MAX_ROWS):
        bad = arr[(arr != np.round(arr)) | (arr < 2) | (arr > MAX_ROWS)]
        raise ValidationError(
            f"`sizes` must be integers between 2 and {MAX_ROWS:.0e}; got {bad[:5].tolist()!r}."
        )
    return arr.astype(np.int64)


def _sizes(schedule_or_sizes, n_generations) -> np.ndarray:
    """Resolve ``[n_1, …, n_T]``.

    A Schedule (or spec) needs ``n_generations`` (0 allowed: no synthetic generation). An explicit
    array is used as is when ``n_generations`` is None; otherwise it is read as an explicit schedule
    whose last size repeats.
    """
    if isinstance(schedule_or_sizes, (Schedule, str)):
        sched = parse(schedule_or_sizes)
        if n_generations is None:
            raise ValidationError(
                "`n_generations` is required when the schedule is a Schedule or a spec; got None."
            )
        if _is_int(n_generations) and n_generations == 0:
            return np.zeros(0, dtype=np.int64)
        return sched.sizes(n_generations)
    if isinstance(schedule_or_sizes, (int, float, np.integer, np.floating)):
        raise ValidationError(
            "`schedule_or_sizes` must be a Schedule, a spec or a list of sizes; "
            f"got the number {schedule_or_sizes!r} (use constant({schedule_or_sizes!r}))."
        )
    arr = _check_sizes(np.asarray(schedule_or_sizes))
    if n_generations is None:
        return arr
    if not _is_int(n_generations) or n_generations < 0:
        raise ValidationError(
            f"`n_generations` must be a non-negative integer; got {n_generations!r}."
        )
    if n_generations == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.size == 0:
        raise ValidationError("`sizes` is empty, so it cannot be extended to `n_generations`.")
    return explicit(arr.tolist()).sizes(int(n_generations))


def _generations_list(n_generations, name="n_generations") -> tuple[np.ndarray, bool]:
    """Scalar or sequence of non-negative integers → (int array, was_scalar)."""
    scalar = np.ndim(n_generations) == 0
    gens = np.atleast_1d(np.asarray(n_generations))
    if gens.size == 0 or gens.dtype.kind not in "iu" or np.any(gens < 0):
        raise ValidationError(
            f"`{name}` must be a non-negative integer or a list of them; got {n_generations!r}."
        )
    return gens.astype(np.int64), bool(scalar)


def _inverse_sums(schedule_or_sizes, n_generations):
    """``S_T`` for one T or a list of T values (cumulative sum over one size array)."""
    if n_generations is None:
        sizes = _sizes(schedule_or_sizes, None)
        return np.array([np.sum(1.0 / sizes)]), True
    gens, scalar = _generations_list(n_generations)
    tmax = int(gens.max())
    sizes = _sizes(schedule_or_sizes, tmax) if tmax > 0 else np.zeros(0, dtype=np.int64)
    cums = np.concatenate([[0.0], np.cumsum(1.0 / sizes)])
    return cums[gens], scalar


def _out(values: np.ndarray, scalar: bool):
    return float(values[0]) if scalar else values


WORKFLOWS = ("replace", "accumulate", "mix")


def _workflow(workflow, n_generations: int) -> tuple[str, np.ndarray]:
    """``(name, m)`` for a workflow spec (``"replace"``, ``"accumulate"``, ``"mix:M"``,
    ``"mix:poly:10:1"``) or a :class:`synthaudit.workflows.Workflow` (read by duck typing: theory
    does not import the workflows room). ``m`` holds the fresh real rows ``m_1 … m_T`` (zeros
    unless ``mix``)."""
    zeros = np.zeros(n_generations, dtype=np.int64)
    name = getattr(workflow, "name", None)
    if isinstance(name, str) and hasattr(workflow, "real_rows"):
        if name not in WORKFLOWS:
            raise ValidationError(
                f"`workflow` must be replace, accumulate or mix; got {workflow!r}."
            )
        m = np.asarray(workflow.real_rows(n_generations), dtype=np.int64) if n_generations else zeros
        return name, m
    if not isinstance(workflow, str):
        raise ValidationError(
            f"`workflow` must be 'replace', 'accumulate', 'mix:M' or a Workflow; got {workflow!r}."
        )
    key, _, rest = workflow.strip().lower().partition(":")
    if key in ("replace", "accumulate") and not rest:
        return key, zeros
    if key == "mix" and rest:
        try:
            m_const = int(rest)
        except ValueError:
            m_const = None
        if m_const is not None:
            if m_const < 1:
                raise ValidationError(
                    f"`workflow` 'mix:M' needs M ≥ 1 real row per generation; got {workflow!r}."
                )
            return "mix", np.full(n_generations, m_const, dtype=np.int64)
        sched = parse(rest)
        return "mix", sched.sizes(n_generations) if n_generations else zeros
    raise ValidationError(
        f"`workflow` must be 'replace', 'accumulate' or 'mix:M' (M real rows per generation); "
        f"got {workflow!r}."
    )
