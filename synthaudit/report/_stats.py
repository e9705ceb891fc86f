"""Small statistics and formatting helpers of the report room (no synthaudit imports beyond
``exceptions``): Wilson and median intervals, NaN/inf-aware quantiles, the :class:`Estimate`
value object, and the number formats every output of the report shares.

Examples
--------
>>> e = share([True] * 30 + [False] * 70)
>>> round(e.value, 2), round(e.low, 3), round(e.high, 3), e.n
(0.3, 0.219, 0.396, 100)
>>> pct(0.3), pct(0.004), fmt_num(21.456), fmt_num(0.000123)
('30%', '0.4%', '21.5', '0.000123')
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["Estimate", "ci_text", "fmt_num", "fmt_p", "median_interval", "pct", "quantiles", "share",
           "wilson_interval"]

#: 1.96: the two-sided 95 % normal quantile used by every interval of the report
Z95 = 1.959963984540054
QUANTILES = (("q05", 0.05), ("q25", 0.25), ("median", 0.5), ("q75", 0.75), ("q95", 0.95))
_BIG = 1e300


def wilson_interval(k, n, z: float = Z95):
    """Wilson score interval for a binomial proportion ``k / n`` (vectorised).

    Examples
    --------
    >>> lo, hi = wilson_interval(3, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0103, 0.0845)
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        den = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / den
        half = z / den * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo = np.where(k <= 0, 0.0, np.clip(centre - half, 0, 1))
    hi = np.where(k >= n, 1.0, np.clip(centre + half, 0, 1))
    bad = ~(n > 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def median_interval(x, level: float = 0.95) -> tuple[float, float, float]:
    """The median of ``x`` with its distribution-free confidence interval.

    The interval is ``[x_(j), x_(n−j+1)]`` of the sorted sample, with ``j`` the largest rank such
    that ``P(Binomial(n, ½) < j) ≤ (1 − level)/2`` (exact coverage ≥ ``level`` for any continuous
    law). NaNs are dropped; ±inf are kept (they sort to the ends). With fewer than 6 values no
    95 % interval exists: the bounds are NaN.

    Examples
    --------
    >>> m, lo, hi = median_interval(np.arange(100.0))
    >>> m, lo, hi
    (49.5, 39.0, 60.0)
    """
    a = np.sort(np.asarray(x, dtype=float).ravel())
    a = a[~np.isnan(a)]
    n = a.size
    if n == 0:
        return math.nan, math.nan, math.nan
    med = float(np.median(a)) if np.isfinite(a).all() else _median_with_inf(a)
    alpha = (1 - level) / 2
    ranks = np.arange(1, n // 2 + 1)
    ok = special.bdtr(ranks - 1, n, 0.5) <= alpha  # P(Bin(n, ½) ≤ j − 1)
    if not ok.any():
        return med, math.nan, math.nan
    j = int(ranks[ok].max())
    return med, float(a[j - 1]), float(a[n - j])


def _median_with_inf(a: np.ndarray) -> float:
    n = a.size
    lo, hi = a[(n - 1) // 2], a[n // 2]
    if lo == hi:
        return float(lo)
    if np.isinf(lo) or np.isinf(hi):
        return float(hi if np.isinf(hi) else lo)
    return float((lo + hi) / 2)


@dataclass(frozen=True)
class Estimate:
    """A measured number with its 95 % confidence interval and the replications behind it.

    ``value`` is NaN when the quantity was not measured (e.g. no categorical column, no risk);
    ``low``/``high`` are NaN when no interval can be given.
    """

    value: float
    low: float = math.nan
    high: float = math.nan
    n: int = 0

    @property
    def measured(self) -> bool:
        """Whether there is a number at all (not NaN)."""
        return not math.isnan(self.value)

    def to_dict(self) -> dict:
        def f(x):
            return None if math.isnan(x) else float(x)

        return {"value": f(self.value), "ci": [f(self.low), f(self.high)], "n": int(self.n)}

    @classmethod
    def missing(cls) -> Estimate:
        return cls(math.nan)


def share(flags, n: int | None = None) -> Estimate:
    """A proportion with its Wilson interval (``flags``: booleans, one per replication)."""
    f = np.asarray(flags, dtype=bool).ravel()
    n = f.size if n is None else int(n)
    if n == 0:
        return Estimate.missing()
    k = int(f.sum())
    lo, hi = wilson_interval(k, n)
    return Estimate(k / n, float(lo), float(hi), n)


def median_estimate(x) -> Estimate:
    """The median of ``x`` (NaNs dropped) with :func:`median_interval`."""
    a = np.asarray(x, dtype=float).ravel()
    n = int(np.sum(~np.isnan(a)))
    if n == 0:
        return Estimate.missing()
    m, lo, hi = median_interval(a)
    return Estimate(m, lo, hi, n)


def quantiles(a) -> dict[str, np.ndarray]:
    """Quantiles along axis 0, NaN-aware, with ±inf kept (no inf − inf interpolation), and
    the NaN-aware mean."""
    a = np.asarray(a, dtype=float)
    if a.shape[0] == 0:
        empty = np.full(a.shape[1:], np.nan)
        return {**{name: empty for name, _ in QUANTILES}, "mean": empty}
    b = np.clip(np.where(np.isposinf(a), _BIG, np.where(np.isneginf(a), -_BIG, a)), -_BIG, _BIG)
    fin = np.where(np.isfinite(a), a, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        top = np.nanmax(fin, axis=0)
        bottom = np.nanmin(fin, axis=0)
        probs = [q for _, q in QUANTILES]
        has_nan = np.isnan(b).any()  # np.quantile is many times faster than np.nanquantile
        qs = np.nanquantile(b, probs, axis=0) if has_nan else np.quantile(b, probs, axis=0)
        mean = np.nanmean(a, axis=0) if has_nan or not np.isfinite(a).all() else a.mean(axis=0)
    top = np.where(np.isnan(top), -_BIG, top)
    bottom = np.where(np.isnan(bottom), _BIG, bottom)
    out = {}
    for (name, _), v in zip(QUANTILES, qs):
        # a quantile beyond every finite value interpolates towards ±inf: it is ±inf
        out[name] = np.where(v > top, np.inf, np.where(v < bottom, -np.inf, v))
    out["mean"] = mean
    return out


# ---------------------------------------------------------------------------------------------
# formats shared by the summary, the verdict and the HTML page
# ---------------------------------------------------------------------------------------------
def fmt_p(x) -> str:
    """A probability: 3 decimals below 0.1, 2 above, scientific below 0.001."""
    if x is None or not np.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    if x < 0.001:
        return f"{x:.1e}"
    return f"{x:.3f}" if x < 0.1 else f"{x:.2f}"


def pct(x) -> str:
    """A share as a percentage: 2 significant digits below 10 %, whole percents above."""
    if x is None or not np.isfinite(x):
        return "n/a"
    if x == 0:
        return "0%"
    if x < 0.1:
        return f"{100 * x:.2g}%"
    return f"{100 * x:.0f}%"


def fmt_num(x) -> str:
    """A measured number with three significant digits (∞ for infinities)."""
    if x is None:
        return "n/a"
    x = float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-4:
        return f"{x:.2e}"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.1f}" if abs(x) < 1000 else f"{x:,.0f}"


def ci_text(e: Estimate, fmt=fmt_num, *, label: str = "95% CI ") -> str:
    """``"32% (95% CI 26–39%)"``, ``"0.12 (95% CI 0.07–0.19)"``, ``"+0.1 (95% CI −0.2 to 0.4)"``;
    ``"n/a"`` when not measured.

    Examples
    --------
    >>> ci_text(Estimate(0.32, 0.26, 0.39, 200), pct)
    '32% (95% CI 26–39%)'
    >>> ci_text(Estimate(0.5, -0.25, 1.5, 200))
    '0.5 (95% CI −0.25 to 1.5)'
    """
    if not e.measured:
        return "n/a"
    if math.isnan(e.low) or math.isnan(e.high):
        return f"{fmt(e.value)} (too few values for a 95% CI)"
    lo, hi = fmt(e.low), fmt(e.high)
    if fmt is pct and lo.endswith("%") and hi.endswith("%"):
        lo = lo[:-1]
    if e.low < 0 or e.high < 0:
        lo, hi = lo.replace("-", "−"), hi.replace("-", "−")
        return f"{fmt(e.value).replace('-', '−')} ({label}{lo} to {hi})"
    return f"{fmt(e.value)} ({label}{lo}–{hi})"
