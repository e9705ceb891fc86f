"""The cost–utility frontier: what each member of each family achieves, and what it costs.

Examples
--------
>>> f = frontier(100, 20, d=2, families=("constant",), grid={"constant": [100, 400]})
>>> f[["schedule_spec", "total_rows"]].to_numpy().tolist()
[['const:100', 2000], ['const:400', 8000]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ValidationError
from ..schedules import constant, exponential, linear, polynomial
from ._checks import is_int
from .laws import TARGET_KINDS
from .search import FAMILIES, Target, _bounds, _validate, evaluate_target

__all__ = ["frontier", "plot_frontier"]


def _default_grid(family: str, n0: int, first: int, T: int, points: int) -> np.ndarray:
    top = _bounds(family, first, T)[1]
    if family == "constant":
        return np.unique(np.round(np.geomspace(max(2, n0 / 4), 1000 * n0, points)))
    if family == "linear":
        return np.concatenate([[0.0], np.geomspace(first / 100, min(top, 100 * first), points - 1)])
    if family == "polynomial":
        return np.linspace(0.0, min(top, 3.0), points)
    return np.concatenate([[1.0], 1 + np.geomspace(1e-4, min(top - 1, 1.0), points - 1)])


def frontier(
    n0: int,
    n_generations: int,
    *,
    d: int | None = None,
    families=FAMILIES,
    target_kind: str = "improvement",
    eps: float | None = None,
    estimator: str = "unbiased",
    grid=25,
    first_size: int | None = None,
    workflow="replace",
) -> pd.DataFrame:
    """Cost–utility frontier: what each member of each family achieves, and what it costs.

    Parameters
    ----------
    n0, n_generations : int
    d : int, optional
        Needed for ``target_kind="improvement"``.
    families : sequence of str
    target_kind : {"improvement", "collapse", "extra_variance"}
        The quantity on the utility axis (``collapse`` needs ``eps``).
    eps : float, optional
    estimator : {"unbiased", "mle"}
    grid : int or dict
        Points per family (default grids), or ``{family: parameter values}``.
    first_size : int, optional
        Size of generation 1 in the growth families (default ``n0``).
    workflow : {"replace", "accumulate", "mix:M"} or Workflow
        As in :func:`~synthaudit.planner.plan` (only workflows with laws are accepted).

    Returns
    -------
    DataFrame
        Columns ``family``, ``parameter``, ``schedule_spec``, ``total_rows``, ``achieved``,
        sorted by cost. Members beyond the size cap are left out.

    Examples
    --------
    >>> f = frontier(100, 20, d=2, families=("constant", "polynomial"), grid=3)
    >>> f[["family", "parameter", "total_rows"]]
           family  parameter  total_rows
    0    constant       25.0         500
    1  polynomial        0.0        2000
    2    constant     1581.0       31620
    3  polynomial        1.5       76079
    4    constant   100000.0     2000000
    5  polynomial        3.0     4410000
    """
    value = 0.25 if target_kind in ("improvement", "collapse") else 1.0
    if target_kind not in TARGET_KINDS:
        raise ValidationError(
            f"`target_kind` must be one of {', '.join(TARGET_KINDS)}; got {target_kind!r}."
        )
    tgt = Target(target_kind, value, eps)
    wf = _validate(n0, n_generations, d, tgt, None, families, estimator, None, first_size,
                   workflow, None)
    first = int(first_size) if first_size is not None else int(n0)
    if not isinstance(grid, dict) and (not is_int(grid) or grid < 2):
        raise ValidationError(f"`grid` must be an integer ≥ 2 or a dict of values; got {grid!r}.")
    builders = {
        "constant": lambda p: constant(int(p)),
        "linear": lambda p: linear(first, p),
        "polynomial": lambda p: polynomial(first, p),
        "exponential": lambda p: exponential(first, p),
    }
    rows = []
    for family in families:
        values = grid.get(family) if isinstance(grid, dict) else None
        if values is None:
            values = _default_grid(family, n0, first, n_generations, grid if is_int(grid) else 25)
        for p in np.asarray(values, dtype=float):
            try:
                sched = builders[family](float(p))
                total = sched.total_rows(n_generations)
            except ValidationError:
                continue
            rows.append(
                {
                    "family": family,
                    "parameter": float(p),
                    "schedule_spec": sched.spec,
                    "total_rows": total,
                    "achieved": evaluate_target(
                        tgt, n0, sched, n_generations, d=d, estimator=estimator, workflow=wf
                    ),
                }
            )
    frame = pd.DataFrame(
        rows, columns=["family", "parameter", "schedule_spec", "total_rows", "achieved"]
    )
    return frame.sort_values(["total_rows", "family"], kind="stable").reset_index(drop=True)


def plot_frontier(frame: pd.DataFrame, ax=None, *, target: float | None = None, ylabel=None):
    """Plot a :func:`frontier` frame: achieved value against total rows, one line per family.

    Parameters
    ----------
    frame : DataFrame
        From :func:`frontier`.
    ax : matplotlib Axes, optional
        Draw there; otherwise a new :class:`matplotlib.figure.Figure` is made (no pyplot, so it
        works headless).
    target : float, optional
        Draw the target value as a horizontal line.
    ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_frontier(frontier(100, 20, d=2, grid=5), target=0.2)
    >>> type(fig).__name__
    'Figure'
    """
    from matplotlib.figure import Figure

    missing = {"family", "total_rows", "achieved"} - set(frame.columns)
    if missing:
        raise ValidationError(
            f"`frame` must be a frontier() table; it lacks the columns {sorted(missing)}."
        )
    if ax is None:
        fig = Figure(figsize=(6.4, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for family, part in frame.groupby("family", sort=False):
        part = part.sort_values("total_rows")
        ax.plot(part["total_rows"], part["achieved"], marker="o", ms=3, label=family)
    if target is not None:
        ax.axhline(target, color="grey", ls="--", lw=1, label=f"target {target:g}")
    ax.set_xscale("log")
    ax.set_xlabel("total synthetic rows Σ n_t")
    ax.set_ylabel(ylabel or "achieved at horizon T")
    ax.legend(frameon=False)
    return fig
