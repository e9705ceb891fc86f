"""Expansion schedules: how many synthetic rows generation t = 1, 2, …, T gets.

A schedule is a small frozen value object. ``sizes(T)`` returns the int64 array
``[n_1, …, n_T]`` (every size ≥ 2), ``total_rows(T)`` its sum, ``inverse_sum(T)`` the quantity
``S_T = Σ 1/n_t`` that decides collapse (docs/design.md §5).

String specs (for the CLI and config files) — :func:`parse`:

=====================  ==========================================
``const:100``          n_t = 100
``linear:100:50``      n_t = 100 + 50·(t−1)
``poly:100:1.5``       n_t = 100·t^1.5
``exp:100:1.05``       n_t = 100·1.05^(t−1)
``explicit:100,200``   the sizes given (the last one repeats)
=====================  ==========================================

Sizes are rounded to the nearest integer (half up).

Examples
--------
>>> polynomial(100, 1.5).sizes(4)
array([100, 283, 520, 800])
>>> parse("const:100")
constant(100)
>>> constant(100).total_rows(500)
50000
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .exceptions import ValidationError

__all__ = [
    "Schedule",
    "constant",
    "explicit",
    "exponential",
    "linear",
    "parse",
    "polynomial",
]

#: Largest size any generation may ask for (protects against absurd specs).
MAX_ROWS = 10**12


def _check_positive(name: str, value, *, minimum: float = 0.0, strict: bool = True) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = math.isfinite(value) and (value > minimum if strict else value >= minimum)
    if not ok:
        rel = ">" if strict else "≥"
        why = " (every generation needs at least 2 rows)" if name in ("n", "n0") else ""
        raise ValidationError(
            f"`{name}` must be a finite number {rel} {minimum:g}{why}; got {value!r}."
        )
    return value


@dataclass(frozen=True)
class Schedule:
    """Base class. Subclasses define :meth:`_raw` (float sizes for t = 1..T)."""

    def _raw(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def sizes(self, n_generations: int) -> np.ndarray:
        """Sizes ``n_1 … n_T`` as an int64 array.

        Raises
        ------
        ValidationError
            If ``n_generations`` is not a positive integer, or a size is < 2 or absurdly large.
        """
        T = _check_generations(n_generations)
        raw = self._raw(np.arange(1, T + 1, dtype=float))
        with np.errstate(over="ignore", invalid="ignore"):
            bad_big = ~np.isfinite(raw) | (raw > MAX_ROWS)
        if bad_big.any():
            t = int(np.argmax(bad_big)) + 1
            raise ValidationError(
                f"schedule {self!r} asks for more than {MAX_ROWS:.0e} rows at generation {t}; "
                "use fewer generations or a slower-growing schedule."
            )
        sizes = np.floor(raw + 0.5).astype(np.int64)
        if (sizes < 2).any():
            t = int(np.argmax(sizes < 2)) + 1
            raise ValidationError(
                f"schedule {self!r} gives {sizes[t - 1]} rows at generation {t}; every generation "
                "needs at least 2 rows (a variance needs two points)."
            )
        return sizes

    def total_rows(self, n_generations: int) -> int:
        """Total synthetic rows ``Σ_{t=1..T} n_t`` (the cost of the schedule)."""
        return int(self.sizes(n_generations).sum())

    def inverse_sum(self, n_generations: int) -> float:
        """``S_T = Σ_{t=1..T} 1/n_t``; collapse happens iff it diverges as T → ∞."""
        return float((1.0 / self.sizes(n_generations)).sum())

    @property
    def spec(self) -> str:
        """The string spec that :func:`parse` turns back into this schedule."""
        raise NotImplementedError


def _check_generations(n_generations) -> int:
    if (
        isinstance(n_generations, bool)
        or not isinstance(n_generations, (int, np.integer))
        or n_generations < 1
    ):
        raise ValidationError(
            f"`n_generations` must be a positive integer; got {n_generations!r}."
        )
    return int(n_generations)


def _fmt(x: float) -> str:
    return f"{x:.12g}"


@dataclass(frozen=True, repr=False)
class constant(Schedule):
    """n_t = n for every generation (the paper's fixed-size loop: collapses)."""

    n: float

    def __post_init__(self):
        _check_positive("n", self.n, minimum=2, strict=False)

    def _raw(self, t):
        return np.full_like(t, float(self.n))

    def __repr__(self):
        return f"constant({_fmt(self.n)})"

    @property
    def spec(self):
        return f"const:{_fmt(self.n)}"


@dataclass(frozen=True, repr=False)
class linear(Schedule):
    """n_t = n0 + slope·(t − 1) (linear growth: Σ 1/n_t still diverges, so it collapses)."""

    n0: float
    slope: float

    def __post_init__(self):
        _check_positive("n0", self.n0, minimum=2, strict=False)
        _check_positive("slope", self.slope, minimum=0, strict=False)

    def _raw(self, t):
        return self.n0 + self.slope * (t - 1)

    def __repr__(self):
        return f"linear({_fmt(self.n0)}, {_fmt(self.slope)})"

    @property
    def spec(self):
        return f"linear:{_fmt(self.n0)}:{_fmt(self.slope)}"


@dataclass(frozen=True, repr=False)
class polynomial(Schedule):
    """n_t = n0·t^power (power > 1 keeps Σ 1/n_t finite: no collapse)."""

    n0: float
    power: float

    def __post_init__(self):
        _check_positive("n0", self.n0, minimum=2, strict=False)
        _check_positive("power", self.power, minimum=0, strict=False)

    def _raw(self, t):
        with np.errstate(over="ignore"):
            return self.n0 * t**self.power

    def __repr__(self):
        return f"polynomial({_fmt(self.n0)}, {_fmt(self.power)})"

    @property
    def spec(self):
        return f"poly:{_fmt(self.n0)}:{_fmt(self.power)}"


@dataclass(frozen=True, repr=False)
class exponential(Schedule):
    """n_t = n0·growth^(t−1) (growth > 1 keeps Σ 1/n_t finite)."""

    n0: float
    growth: float

    def __post_init__(self):
        _check_positive("n0", self.n0, minimum=2, strict=False)
        _check_positive("growth", self.growth, minimum=1, strict=False)

    def _raw(self, t):
        with np.errstate(over="ignore"):
            return self.n0 * np.power(self.growth, t - 1)

    def __repr__(self):
        return f"exponential({_fmt(self.n0)}, {_fmt(self.growth)})"

    @property
    def spec(self):
        return f"exp:{_fmt(self.n0)}:{_fmt(self.growth)}"


@dataclass(frozen=True, repr=False)
class explicit(Schedule):
    """The sizes given, generation by generation; the last size repeats past their end."""

    values: tuple

    def __init__(self, values):
        try:
            vals = tuple(int(v) for v in values)
        except (TypeError, ValueError):
            raise ValidationError(
                f"`explicit` needs a list of integer sizes; got {values!r}."
            ) from None
        if not vals:
            raise ValidationError("`explicit` needs at least one size; got an empty list.")
        object.__setattr__(self, "values", vals)

    def _raw(self, t):
        v = np.asarray(self.values, dtype=float)
        idx = np.minimum(t.astype(np.int64) - 1, len(v) - 1)
        return v[idx]

    def __repr__(self):
        return f"explicit({list(self.values)!r})"

    @property
    def spec(self):
        return "explicit:" + ",".join(str(v) for v in self.values)


_SPEC_HELP = (
    "use one of const:N, linear:N0:SLOPE, poly:N0:POWER, exp:N0:GROWTH, explicit:N1,N2,..."
)


def parse(spec: str | Schedule) -> Schedule:
    """Turn a string spec (see module doc) into a :class:`Schedule`; a Schedule passes through.

    Examples
    --------
    >>> parse("poly:100:1.5")
    polynomial(100, 1.5)
    >>> parse("explicit:100,200,400").sizes(4)
    array([100, 200, 400, 400])
    """
    if isinstance(spec, Schedule):
        return spec
    if not isinstance(spec, str) or ":" not in spec:
        raise ValidationError(f"invalid schedule spec {spec!r}; {_SPEC_HELP}.")
    kind, _, rest = spec.strip().partition(":")
    kind = kind.lower()
    try:
        if kind == "explicit":
            values = [int(float(v)) for v in rest.split(",") if v.strip()]
        else:
            args = [float(a) for a in rest.split(":")]
    except ValueError:
        raise ValidationError(
            f"invalid schedule spec {spec!r}: numbers expected; {_SPEC_HELP}."
        ) from None
    if kind == "explicit":
        return explicit(values)
    builders = {
        "const": (constant, 1),
        "constant": (constant, 1),
        "linear": (linear, 2),
        "lin": (linear, 2),
        "poly": (polynomial, 2),
        "polynomial": (polynomial, 2),
        "exp": (exponential, 2),
        "exponential": (exponential, 2),
    }
    if kind not in builders:
        raise ValidationError(f"unknown schedule kind {kind!r} in {spec!r}; {_SPEC_HELP}.")
    cls, nargs = builders[kind]
    if len(args) != nargs:
        raise ValidationError(
            f"schedule {kind!r} takes {nargs} number(s); got {len(args)} in {spec!r}; {_SPEC_HELP}."
        )
    return cls(*args)
