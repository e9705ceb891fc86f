"""Closed forms and exact recursions for the mitigations of model collapse (docs/mitigations.md).

Pure numpy/scipy. Every public function says in its docstring whether it is **exact** (for the
stated sampling, at every finite n and t) or **asymptotic** (and in which limit). The table
:data:`CATALOGUE` lists them with their kind and regime.

Notation (as in docs/design.md §5): generation 0 is fitted on ``n0`` real rows; generation
t ≥ 1 on ``n_t`` rows, of which ``k_t`` are *fresh real* rows and ``m_t = n_t − k_t`` are
synthetic rows drawn from generation t − 1. ``sizes`` is ``[n_1, …, n_T]`` and ``real_rows``
``[k_1, …, k_T]``; :func:`fresh_rows` turns a fresh share α_t into ``k_t = ⌊α_t·n_t + ½⌋``.

Contents
--------
fresh real data (Bakshi & Chakraborty)
    :func:`fresh_rows`, :func:`categorical_fresh_risk`, :func:`categorical_fresh_stationary`,
    :func:`level_loss_probability`, :func:`gaussian_fresh_moments`
weighted accumulation (Amin et al.)
    :func:`erm_contaminated_variance`, :func:`erm_variance_asymptotic`,
    :func:`weighted_mean_variance`, :func:`decontaminated_variance`
contraction toward generation 0
    :func:`shrinkage_drift`, :func:`shrinkage_stationary_variance`,
    :func:`shrinkage_improvement_probability`, :func:`categorical_shrinkage_drift`,
    :func:`categorical_shrinkage_risk`
filtering synthetic rows
    :func:`likelihood_filter_z`, :func:`truncated_normal_moments`, :func:`likelihood_filter_step`,
    :func:`likelihood_filter_path`, :func:`gaussian_tail_coverage`
regression (Dohmatob et al.; Gerstgrasser et al.)
    :func:`ols_replace_error`, :func:`ols_accumulate_error`, :func:`ridge_fixed_design_risk`,
    :func:`ridge_oracle_path`

Examples
--------
>>> r = categorical_fresh_risk([0.5, 0.3, 0.2], 50, [50] * 200, [10] * 200)
>>> bool(r[0] < r[-1] < 0.62)        # bounded above R0: no collapse, no improvement
True
>>> round(float(r[-1] / r[0]), 3), round(float(categorical_fresh_stationary(50, 10, n0=50)), 3)
(2.66, 2.66)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from ..exceptions import ValidationError, collect

__all__ = [
    "CATALOGUE",
    "categorical_fresh_risk",
    "categorical_fresh_stationary",
    "categorical_shrinkage_drift",
    "categorical_shrinkage_risk",
    "decontaminated_variance",
    "erm_contaminated_variance",
    "erm_variance_asymptotic",
    "fresh_rows",
    "gaussian_fresh_moments",
    "gaussian_tail_coverage",
    "level_loss_probability",
    "likelihood_filter_path",
    "likelihood_filter_step",
    "likelihood_filter_z",
    "ols_accumulate_error",
    "ols_replace_error",
    "ridge_fixed_design_risk",
    "ridge_oracle_path",
    "shrinkage_drift",
    "shrinkage_improvement_probability",
    "shrinkage_stationary_variance",
    "truncated_normal_moments",
    "weighted_mean_variance",
]

#: name -> (kind, regime); kind is "exact" or "asymptotic"
CATALOGUE: dict[str, tuple[str, str]] = {
    "categorical_fresh_risk": (
        "exact", "multinomial rows; k_t fresh rows i.i.d. from p* (or without replacement from a "
        "pool of N rows), m_t rows from p̂_{t−1}; any n_t, k_t; replace or weighted pooling"),
    "categorical_fresh_stationary": ("exact", "limit t → ∞ of the above with constant n, k"),
    "level_loss_probability": (
        "exact", "one level's count is a Markov chain: Bin(k, p*) (or hypergeometric) + "
        "Bin(m, X_{t−1}/n_{t−1})"),
    "gaussian_fresh_moments": (
        "exact", "univariate Gaussian truth N(μ, σ²); k_t fresh rows from the truth, m_t rows "
        "from N(μ̂_{t−1}, σ̂²_{t−1}); moments up to order 2 in (Δ², σ̂²)"),
    "erm_contaminated_variance": (
        "exact", "Amin et al.: X_s = αY_{s−1} + (1−α)μ + U_s, Var U_s = v, Y_t uniform average"),
    "erm_variance_asymptotic": ("asymptotic", "t → ∞: 1/((1−2α)t), log t/t, or C·t^(2α−2)"),
    "weighted_mean_variance": (
        "exact", "any per-generation weights (uniform, decay, power) of batch means; synthetic "
        "rows with known variance"),
    "decontaminated_variance": ("exact", "Z_s = (X_s − αY_{s−1})/(1−α), inverse-variance average"),
    "shrinkage_drift": (
        "exact", "Gaussian mean, θ_t = (1−c)θ̂_t + cθ_0 (variance shrunk too, or not); "
        "conditional on generation 0"),
    "shrinkage_stationary_variance": ("exact", "t → ∞ limit, constant n: (1−c)²/(c(2−c))·σ²/n"),
    "shrinkage_improvement_probability": (
        "exact", "known variance (Gaussian drift); asymptotic (large n) when σ̂² is estimated"),
    "categorical_shrinkage_drift": ("exact", "multinomial, p_t = (1−c)p̂_t + c p_0"),
    "categorical_shrinkage_risk": ("exact", "the same, risk against p* (i.i.d. or pool rows)"),
    "truncated_normal_moments": ("exact", "normal law truncated to [lo, hi]"),
    "likelihood_filter_step": (
        "exact", "E[μ̂_t, σ̂²_t | generation t−1] when rows are kept inside generation 0's window "
        "(unbiased variance, rejection sampling to n_t kept rows)"),
    "likelihood_filter_path": ("asymptotic", "population limit n → ∞ of the filtered loop"),
    "gaussian_tail_coverage": (
        "exact", "share of the true mass beyond the real 1%/99% quantiles that N(μ_t, σ_t²) "
        "covers, each side capped at its true mass"),
    "ols_replace_error": (
        "exact", "Dohmatob et al.: Gaussian features N(0, Σ), label noise σ0² for the generators "
        "(T0 rows each), σ² for the final model (T rows); T, T0 ≥ d + 2"),
    "ols_accumulate_error": (
        "exact", "Gerstgrasser et al.: one fixed design X (T × d, Gaussian rows), labels redrawn "
        "each generation, OLS on all labels so far"),
    "ridge_fixed_design_risk": (
        "exact", "conditional on a fixed design X; ridge with any per-generation λ_t (λ = 0: OLS)"),
    "ridge_oracle_path": ("exact", "greedy λ_t minimising the exact conditional risk"),
}


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------
def _int_array(name, values, minimum, problems) -> np.ndarray | None:
    try:
        arr = np.atleast_1d(np.asarray(values))
    except Exception:  # pragma: no cover - exotic input
        problems.append(f"`{name}` must be a sequence of integers; got {values!r}.")
        return None
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.number):
        problems.append(f"`{name}` must be a non-empty 1-d sequence of integers; got {values!r}.")
        return None
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(arr < minimum):
        problems.append(f"`{name}` must hold integers ≥ {minimum}; got {arr.tolist()[:8]}.")
        return None
    return arr.astype(np.int64)


def _positive(name, value, problems, *, strict=True) -> float | None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = math.isfinite(value) and (value > 0 if strict else value >= 0)
    if not ok:
        problems.append(f"`{name}` must be a {'positive' if strict else 'non-negative'} number; "
                        f"got {value!r}.")
        return None
    return value


def _share(name, value, problems) -> float | None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not (0.0 <= float(value) <= 1.0):
        problems.append(f"`{name}` must be a number in [0, 1]; got {value!r}.")
        return None
    return float(value)


def _sizes_real(sizes, real_rows, problems, *, n0=None, population=None):
    n = _int_array("sizes", sizes, 1, problems)
    k = _int_array("real_rows", real_rows, 0, problems)
    if n is not None and k is not None:
        if n.shape != k.shape:
            problems.append(f"`sizes` and `real_rows` must have the same length; got {len(n)} and "
                            f"{len(k)}.")
        elif np.any(k > n):
            problems.append("every `real_rows` k_t must be ≤ `sizes` n_t (k_t real rows out of n_t); "
                            f"got k = {k.tolist()[:8]}, n = {n.tolist()[:8]}.")
        if population is not None and k.size and np.max(k) > population:
            problems.append(f"`real_rows` cannot exceed the pool of {population} rows; got "
                            f"{int(np.max(k))}.")
    return n, k


def _population(population, problems, n0=None):
    if population is None:
        return None
    if isinstance(population, bool) or not isinstance(population, (int, np.integer)) or population < 2:
        problems.append(f"`population` must be an integer ≥ 2 (rows in the real pool) or None; "
                        f"got {population!r}.")
        return None
    if n0 is not None and isinstance(n0, (int, np.integer)) and n0 > population:
        problems.append(f"`n0` ({n0}) cannot exceed `population` ({population}).")
    return int(population)


def _n0(n0, problems, minimum=1):
    if isinstance(n0, bool) or not isinstance(n0, (int, np.integer)) or n0 < minimum:
        problems.append(f"`n0` must be an integer ≥ {minimum}; got {n0!r}.")
        return None
    return int(n0)


def _rounds(n_rounds, problems):
    if isinstance(n_rounds, bool) or not isinstance(n_rounds, (int, np.integer)) or n_rounds < 1:
        problems.append(f"`n_rounds` must be a positive integer; got {n_rounds!r}.")
        return None
    return int(n_rounds)


def _probabilities(p, problems) -> np.ndarray | None:
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1 or arr.size < 2 or np.any(arr < 0) or not np.isclose(arr.sum(), 1.0):
        problems.append(f"`p` must be a probability vector (≥ 2 levels, non-negative, summing to 1); "
                        f"got {np.asarray(p).tolist()[:8]}.")
        return None
    return arr


# --------------------------------------------------------------------------------------------
# 1. fresh real data in every generation (Bakshi & Chakraborty)
# --------------------------------------------------------------------------------------------
def fresh_rows(shares, sizes) -> np.ndarray:
    """Fresh real rows ``k_t = ⌊α_t·n_t + ½⌋`` (round half up) of a generation of ``n_t`` rows.

    The one rounding rule of the package: the steps, the simulator and the theory all use it.

    Examples
    --------
    >>> fresh_rows(0.25, [10, 11, 12]).tolist()
    [3, 3, 3]
    >>> fresh_rows([0.5, 0.05], [10, 10]).tolist()
    [5, 1]
    """
    problems: list[str] = []
    n = _int_array("sizes", sizes, 1, problems)
    a = np.asarray(shares, dtype=float)
    if a.ndim > 1 or np.any(~np.isfinite(a)) or np.any((a < 0) | (a > 1)):
        problems.append(f"`shares` must be numbers in [0, 1]; got {np.asarray(shares).tolist()}.")
    collect(problems)
    a = np.broadcast_to(a, n.shape)
    return np.minimum(np.floor(a * n + 0.5).astype(np.int64), n)


def _fpc(k, population):
    """Finite-population factor (N − k)/(N − 1) of a without-replacement draw (1 for i.i.d.)."""
    k = np.asarray(k, dtype=float)
    if population is None:
        return np.ones_like(k)
    return (population - k) / (population - 1.0)


def categorical_fresh_risk(p, n0, sizes, real_rows, *, population=None, weights=None) -> np.ndarray:
    """Exact risk ``R_t = E‖p̂_t − p*‖²`` of the categorical MLE with fresh real rows, t = 0..T.

    **Exact** for our sampling: generation 0 is the MLE on ``n0`` real rows; generation t on
    ``n_t`` rows, ``k_t`` fresh real rows from the truth ``p*`` and ``m_t = n_t − k_t`` rows from
    ``p̂_{t−1}`` (multinomial). With ``v = 1 − ‖p*‖²``::

        R_0 = f(n0)·v/n0,
        R_t = (k_t f(k_t) + m_t)·v/n_t²  +  m_t(m_t − 1)/n_t² · R_{t−1},

    where ``f(k) = 1`` for rows drawn i.i.d. from ``p*`` and ``f(k) = (N − k)/(N − 1)`` for rows
    drawn without replacement from a real pool of ``N = population`` rows (``p*`` then being the
    pool's shares). Derivation: ``p̂_t − p* = (C_r − k p*)/n + (C_s − m p̂_{t−1})/n +
    (m/n)(p̂_{t−1} − p*)``; the three terms are uncorrelated, ``E‖C_s − m p̂‖² = m(1 − E‖p̂‖²)``
    and ``E‖p̂_{t−1}‖² = ‖p*‖² + R_{t−1}`` because ``E p̂_t = p*`` at every t. With i.i.d. rows
    ``v/n_t = (n0/n_t)·R_0``: the recursion is ``R_t = (n0/n_t)R_0 + m_t(m_t−1)/n_t²·R_{t−1}``
    (the coefficient is ``(1−α_t)²`` up to a ``1/n`` term: ``(1 − α_t)(1 − α_t − 1/n_t)``).

    For several independent categorical columns the risks add: call once per column.

    With ``weights`` (``"uniform"`` — every row so far counts once, the accumulate workflow —,
    ``"decay=ρ"`` or ``"power=β"``; see :func:`weighted_mean_variance`) generation t pools its
    batch with the earlier ones: ``A_t = ρ_t A_{t−1} + g_t·counts_t``, ``W_t = ρ_t W_{t−1} + g_t n_t``,
    ``p̂_t = A_t/W_t``, and the same argument gives the **exact**::

        R_t = [(ρ_t W_{t−1} + g_t m_t)² − g_t² m_t]·R_{t−1}/W_t²  +  g_t²(k_t f(k_t) + m_t)·v/W_t².

    Parameters
    ----------
    p : array of float
        True level probabilities (or the pool's shares when ``population`` is given).
    n0 : int
        Real rows of generation 0.
    sizes, real_rows : sequences of int
        ``n_1..n_T`` and ``k_1..k_T``.
    population : int, optional
        Rows in the real pool when real rows are drawn from it without replacement.
    weights : str, optional
        Pool the generations (``"uniform"``, ``"decay=ρ"``, ``"power=β"``); default: replace.

    Returns
    -------
    ndarray of shape (T + 1,)
        ``R_0, …, R_T``.

    Examples
    --------
    >>> r = categorical_fresh_risk([0.5, 0.5], 10, [10, 10], [0, 0])   # α = 0: Wright–Fisher
    >>> np.round(r, 4).tolist()
    [0.05, 0.095, 0.1355]
    """
    problems: list[str] = []
    pv = _probabilities(p, problems)
    n0 = _n0(n0, problems)
    population = _population(population, problems, n0)
    n, k = _sizes_real(sizes, real_rows, problems, population=population)
    collect(problems)
    v = 1.0 - float(pv @ pv)
    if weights is None:
        return v * _fresh_risk_factor(n0, n, k, population)
    scheme, value = _parse_weights(weights)
    wf = _weights(scheme, value)
    out = np.empty(len(n) + 1)
    out[0] = float(_fpc(n0, population)) / n0
    W = float(n0)
    for t in range(len(n)):
        rho, g = wf(t + 1)
        kt, mt = float(k[t]), float(n[t] - k[t])
        W_new = rho * W + g * n[t]
        out[t + 1] = (((rho * W + g * mt) ** 2 - g * g * mt) * out[t]
                      + g * g * (kt * float(_fpc(kt, population)) + mt)) / W_new**2
        W = W_new
    return v * out


def _fresh_risk_factor(n0, n, k, population=None) -> np.ndarray:
    """R_t / v (free of p*): the recursion of :func:`categorical_fresh_risk`, vectorised over
    leading axes of ``n`` and ``k`` (shape (..., T))."""
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    m = n - k
    fk = _fpc(k, population)
    base = (k * fk + m) / n**2
    coef = m * (m - 1.0) / n**2
    out = np.empty(n.shape[:-1] + (n.shape[-1] + 1,))
    out[..., 0] = float(_fpc(n0, population)) / n0
    for t in range(n.shape[-1]):
        out[..., t + 1] = base[..., t] + coef[..., t] * out[..., t]
    return out


def categorical_fresh_stationary(n, k, *, n0=None, population=None) -> float:
    """Limit of ``R_t/v`` (or of ``R_t/R_0`` when ``n0`` is given) for constant ``n``, ``k``.

    **Exact** limit t → ∞ of :func:`categorical_fresh_risk` with constant ``n_t = n``,
    ``k_t = k ≥ 1``: ``R_∞/v = (k f(k) + m)/(n² − m(m − 1))``. With ``k = 0`` the limit is ``v``
    itself (every level but one lost: ``R_∞/v = 1``).

    Examples
    --------
    >>> round(categorical_fresh_stationary(100, 20, n0=100), 4)     # > 1: bounded above R0
    2.7174
    >>> categorical_fresh_stationary(100, 0)
    1.0
    """
    problems: list[str] = []
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        problems.append(f"`n` must be a positive integer (rows per generation); got {n!r}.")
        n = None
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0 or (n and k > n):
        problems.append(f"`k` must be an integer in [0, n]; got {k!r}.")
    if n0 is not None:
        n0 = _n0(n0, problems)
    population = _population(population, problems)
    collect(problems)
    m = n - k
    if k == 0:
        limit = 1.0
    else:
        limit = (k * float(_fpc(k, population)) + m) / (n * n - m * (m - 1.0))
    if n0 is None:
        return float(limit)
    return float(limit / (float(_fpc(n0, population)) / n0))


def level_loss_probability(p_level, n0, sizes, real_rows, *, population=None) -> np.ndarray:
    """Exact probability that a level has zero count at generation t = 0..T (lost, for now).

    **Exact**: a level's count ``X_t`` is a Markov chain by itself:
    ``X_t = B_t + S_t`` with ``B_t ~ Bin(k_t, p*)`` fresh real rows (hypergeometric from the pool
    when ``population`` is given: the level then holds ``round(p*·N)`` pool rows) and
    ``S_t | X_{t−1} ~ Bin(m_t, X_{t−1}/n_{t−1})``; ``X_0 ~ Bin(n0, p*)``. The law is propagated
    exactly (an ``(n_{t−1} + 1) × (n_t + 1)`` transition per generation). With ``k_t = 0`` the
    zero state is absorbing (a lost level never returns: ``α = 0`` loses rare levels); any
    ``k_t ≥ 1`` can bring it back.

    Examples
    --------
    >>> lost = level_loss_probability(0.05, 40, [40] * 100, [0] * 100)
    >>> round(float(lost[0]), 4), bool(lost[-1] > 0.85)     # P(lost) → 1 with α = 0
    (0.1285, True)
    >>> kept = level_loss_probability(0.05, 40, [40] * 100, [8] * 100)
    >>> round(float(kept[-1]), 3)              # α = 0.2: absent 30 % of the time, never for good
    0.296
    """
    problems: list[str] = []
    n0 = _n0(n0, problems)
    population = _population(population, problems, n0)
    n, k = _sizes_real(sizes, real_rows, problems, population=population)
    ok = isinstance(p_level, (int, float, np.floating)) and 0.0 <= float(p_level) <= 1.0
    if not ok:
        problems.append(f"`p_level` must be a probability in [0, 1]; got {p_level!r}.")
    collect(problems)
    p = float(p_level)

    def real_pmf(rows):
        x = np.arange(rows + 1)
        if population is None:
            return stats.binom.pmf(x, rows, p)
        level_rows = int(round(p * population))
        return stats.hypergeom.pmf(x, population, level_rows, rows)

    law = real_pmf(n0)
    out = np.empty(len(n) + 1)
    out[0] = law[0]
    prev_n = n0
    for t in range(len(n)):
        kt, mt = int(k[t]), int(n[t] - k[t])
        share = np.arange(prev_n + 1) / prev_n
        # synthetic part: Bin(m, x/n_prev) for each previous count x
        trans = stats.binom.pmf(np.arange(mt + 1)[None, :], mt, share[:, None])
        syn = law @ trans
        law = np.convolve(syn, real_pmf(kt)) if kt else syn
        law = np.clip(law, 0.0, None)
        law /= law.sum()
        out[t + 1] = law[0]
        prev_n = int(n[t])
    return out


class _Poly:
    """Polynomials in (x, s) = (Δ², σ̂²) of total degree ≤ 2 (the Gaussian moment recursion)."""

    __slots__ = ("c",)

    def __init__(self, c=None):
        self.c = dict(c or {})

    def __add__(self, o):
        o = o if isinstance(o, _Poly) else _Poly({(0, 0): o})
        out = dict(self.c)
        for key, v in o.c.items():
            out[key] = out.get(key, 0.0) + v
        return _Poly(out)

    __radd__ = __add__

    def __mul__(self, o):
        if not isinstance(o, _Poly):
            return _Poly({key: v * o for key, v in self.c.items()})
        out: dict = {}
        for (i1, j1), v1 in self.c.items():
            for (i2, j2), v2 in o.c.items():
                key = (i1 + i2, j1 + j2)
                out[key] = out.get(key, 0.0) + v1 * v2
        return _Poly(out)

    __rmul__ = __mul__

    def expect(self, moments: dict) -> float:
        return float(sum(v * moments[key] for key, v in self.c.items()))


_X = _Poly({(1, 0): 1.0})
_S = _Poly({(0, 1): 1.0})


def _gaussian_step(moments, k, m, sigma2, divisor_offset):
    """One generation of the exact moment recursion (see :func:`gaussian_fresh_moments`)."""
    n = k + m
    q = k * m / n
    vA = (k * sigma2 + m * _S) * (1.0 / n**2)
    muA2 = _X * ((m / n) ** 2)
    eA2 = muA2 + vA
    eA4 = muA2 * muA2 + 6.0 * muA2 * vA + 3.0 * vA * vA
    base = max(k - 1, 0) * sigma2 + max(m - 1, 0) * _S  # E[S_r + S_s]
    # q · Var(ȳ_r − ȳ_s) = (mσ² + ks)/n when both parts exist; nothing to compare otherwise
    qvB = (m * sigma2 + k * _S) * (1.0 / n) if k and m else _Poly()
    eQ = q * _X + qvB
    eS = base + eQ
    diff = sigma2 + (-1.0) * _S  # σ² − s
    q_a2b2 = (q * muA2 * _X + muA2 * qvB + q * _X * vA
              + (-4.0 * q * (m / n) / n) * _X * diff + vA * qvB + (2.0 * q / n**2) * diff * diff)
    eA2S = eA2 * base + q_a2b2
    e_sum2 = (max(k - 1, 0) * (k + 1) * sigma2**2 + max(m - 1, 0) * (m + 1) * _S * _S
              + 2.0 * max(k - 1, 0) * max(m - 1, 0) * sigma2 * _S)
    eQ2 = q * q * _X * _X + 6.0 * q * _X * qvB + 3.0 * qvB * qvB
    eS2 = e_sum2 + 2.0 * base * eQ + eQ2
    d = n - divisor_offset
    return {
        (0, 0): 1.0,
        (1, 0): eA2.expect(moments),
        (0, 1): eS.expect(moments) / d,
        (2, 0): eA4.expect(moments),
        (1, 1): eA2S.expect(moments) / d,
        (0, 2): eS2.expect(moments) / d**2,
    }


def gaussian_fresh_moments(n0, sizes, real_rows, *, sigma2=1.0, estimator="unbiased") -> dict:
    """Exact moments of the univariate Gaussian fit when each generation mixes in fresh real rows.

    **Exact** for a univariate Gaussian truth ``N(μ, σ²)``: generation 0 is fitted on ``n0``
    rows from the truth; generation t on ``k_t`` fresh rows from the truth and ``m_t`` rows from
    ``N(μ̂_{t−1}, σ̂²_{t−1})``; the variance divisor is ``n − 1`` (``unbiased``) or ``n``
    (``mle``). (It also holds for each coordinate of a multivariate Gaussian: a coordinate's
    mean and variance follow the same recursion.)

    Conditionally on the past ``(Δ, s) = (μ̂_{t−1} − μ, σ̂²_{t−1})`` the new mean error is
    ``A = (k·e_r + m(Δ + e_s))/n`` and the scatter ``S = S_r + S_s + (km/n)(e_r − Δ − e_s)²``, with
    ``e_r ~ N(0, σ²/k)``, ``e_s ~ N(0, s/m)``, ``S_r ~ σ²χ²_{k−1}``, ``S_s ~ s·χ²_{m−1}``
    independent. Every moment of (A², S) of degree ≤ 2 is a polynomial of degree ≤ 2 in (Δ², s),
    so the vector ``(EΔ², Es, EΔ⁴, EΔ²s, Es²)`` follows an exact (linear) recursion; odd moments
    of Δ vanish by symmetry.

    Returns
    -------
    dict of ndarray, each of shape (T + 1,)
        ``mse_mean`` = E(μ̂_t − μ)², ``mean_var`` = E σ̂²_t, ``mse_var`` = E(σ̂²_t − σ²)²,
        ``var_var`` = Var σ̂²_t.

    Examples
    --------
    >>> m = gaussian_fresh_moments(20, [20] * 3, [0] * 3)     # α = 0: the replace loop
    >>> np.round(m["mse_mean"], 4).tolist()                  # σ²/n0 + Σ σ²/n_t
    [0.05, 0.1, 0.15, 0.2]
    >>> np.round(m["mean_var"], 4).tolist()                  # unbiased: E σ̂² stays σ²
    [1.0, 1.0, 1.0, 1.0]
    """
    problems: list[str] = []
    n0 = _n0(n0, problems, minimum=2)
    n, k = _sizes_real(sizes, real_rows, problems)
    sigma2 = _positive("sigma2", sigma2, problems)
    if estimator not in ("unbiased", "mle"):
        problems.append(f"`estimator` must be 'unbiased' or 'mle'; got {estimator!r}.")
    if n is not None and np.any(n < 2):
        problems.append("every generation needs at least 2 rows to fit a variance; got sizes "
                        f"{n.tolist()[:8]}.")
    collect(problems)
    off = 1 if estimator == "unbiased" else 0
    start = {(0, 0): 1.0, (1, 0): 0.0, (0, 1): 0.0, (2, 0): 0.0, (1, 1): 0.0, (0, 2): 0.0}
    mom = _gaussian_step(start, n0, 0, sigma2, off)
    rows = [mom]
    for t in range(len(n)):
        mom = _gaussian_step(mom, int(k[t]), int(n[t] - k[t]), sigma2, off)
        rows.append(mom)
    ex = np.array([r[(1, 0)] for r in rows])
    es = np.array([r[(0, 1)] for r in rows])
    es2 = np.array([r[(0, 2)] for r in rows])
    return {
        "mse_mean": ex,
        "mean_var": es,
        "mse_var": es2 - 2.0 * sigma2 * es + sigma2**2,
        "var_var": es2 - es**2,
        "mean_fourth": np.array([r[(2, 0)] for r in rows]),
    }


def _gaussian_first_moments(n0, n, k, sigma2=1.0, offset=1):
    """(E(μ̂_t − μ)², E σ̂²_t) of :func:`gaussian_fresh_moments`, vectorised over leading axes of
    ``n``, ``k`` (shape (..., T)): the first-order part of the recursion closes on itself."""
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    m = n - k
    ex = np.empty(n.shape[:-1] + (n.shape[-1] + 1,))
    es = np.empty_like(ex)
    ex[..., 0] = sigma2 / n0
    es[..., 0] = sigma2 * (n0 - 1) / (n0 - offset)
    both = (k > 0) & (m > 0)
    for t in range(n.shape[-1]):
        nt, kt, mt = n[..., t], k[..., t], m[..., t]
        x, s_ = ex[..., t], es[..., t]
        ex[..., t + 1] = (mt / nt) ** 2 * x + (kt * sigma2 + mt * s_) / nt**2
        cross = np.where(both[..., t], (mt * sigma2 + kt * s_) / nt, 0.0)
        es[..., t + 1] = (np.maximum(kt - 1, 0) * sigma2 + np.maximum(mt - 1, 0) * s_
                          + kt * mt / nt * x + cross) / (nt - offset)
    return ex, es


# --------------------------------------------------------------------------------------------
# 2. weighted accumulation (Amin et al.)
# --------------------------------------------------------------------------------------------
def erm_contaminated_variance(alpha, n_rounds, *, noise_var=1.0) -> np.ndarray:
    """Exact variance of the uniform (ERM) mean under Amin et al.'s contamination model.

    **Exact** for the model of Amin et al. ("Learning from Synthetic Data: Limitations of ERM"):
    round s = 1, 2, … observes ``X_s = αY_{s−1} + (1 − α)μ + U_s`` (a share α of the round's
    rows are synthetic, drawn around the previous estimate), with independent zero-mean ``U_s``
    of variance ``v`` and ``Y_0 = μ`` (round 1 is all real — our generation 0); ERM pools every
    round uniformly: ``Y_t = (1/t)Σ_{s≤t} X_s``. Then ``e_t = Y_t − μ`` obeys
    ``e_t = ((t − 1 + α)/t)·e_{t−1} + U_t/t`` and::

        Var(Y_t) = v · [Γ(t + α)/Γ(t + 1)]² · Σ_{s=1..t} [Γ(s)/Γ(s + α)]².

    The phase change at α = ½ (see :func:`erm_variance_asymptotic`): ``1/((1 − 2α)t)`` below,
    ``log t / t`` at ½, ``t^(2α − 2)`` above — slower than the ``1/t`` of real data.

    In our loop: generation s − 1 has ``n`` rows, ``k = (1 − α)n`` fresh real and ``αn`` synthetic
    from the previous fit with the real variance (``v = σ²/n``), and ``weighted:uniform``.

    Returns
    -------
    ndarray of shape (n_rounds,)
        ``Var(Y_1), …, Var(Y_T)``.

    Examples
    --------
    >>> np.round(erm_contaminated_variance(0.0, 4), 4).tolist()        # no contamination: v/t
    [1.0, 0.5, 0.3333, 0.25]
    >>> v = erm_contaminated_variance(0.3, 10**6)
    >>> round(float(v[-1] * 10**6 * (1 - 2 * 0.3)), 3)     # → 1/((1 − 2α)t), error O(t^(2α−1))
    0.998
    """
    problems: list[str] = []
    a = _share("alpha", alpha, problems)
    if a is not None and a >= 1.0:
        problems.append("`alpha` must be < 1 (some real data in every round); got 1.")
    T = _rounds(n_rounds, problems)
    v = _positive("noise_var", noise_var, problems)
    collect(problems)
    s = np.arange(1, T + 1, dtype=float)
    log_term = 2.0 * (special.gammaln(s) - special.gammaln(s + a))
    # cumulative sum of exp(log_term) in a stable way
    cum = np.exp(np.logaddexp.accumulate(log_term))
    pref = 2.0 * (special.gammaln(s + a) - special.gammaln(s + 1.0))
    return v * np.exp(pref) * cum


def erm_variance_asymptotic(alpha, t, *, noise_var=1.0) -> np.ndarray:
    """Leading term of :func:`erm_contaminated_variance` as t → ∞ (**asymptotic**).

    ``α < ½``: ``v/((1 − 2α)t)``; ``α = ½``: ``v·log(t)/t``; ``α > ½``:
    ``v·C_α·t^(2α − 2)`` with ``C_α = Σ_{s≥1}[Γ(s)/Γ(s + α)]²`` (convergent).

    Examples
    --------
    >>> float(erm_variance_asymptotic(0.25, 100))
    0.02
    >>> bool(erm_variance_asymptotic(0.75, 10_000) > erm_variance_asymptotic(0.25, 10_000))
    True
    """
    problems: list[str] = []
    a = _share("alpha", alpha, problems)
    if a is not None and a >= 1.0:
        problems.append("`alpha` must be < 1; got 1.")
    v = _positive("noise_var", noise_var, problems)
    collect(problems)
    t = np.asarray(t, dtype=float)
    if a < 0.5:
        return v / ((1.0 - 2.0 * a) * t)
    if a == 0.5:
        return v * np.log(t) / t
    # C_α by summing exactly up to S and the tail by the integral of s^(−2α)(1 + α(1−α)/s …)
    S = 200_000
    s = np.arange(1, S + 1, dtype=float)
    head = np.exp(2.0 * (special.gammaln(s) - special.gammaln(s + a))).sum()
    tail = S ** (1.0 - 2.0 * a) / (2.0 * a - 1.0)
    return v * (head + tail) * t ** (2.0 * a - 2.0)


def _weights(scheme, value):
    """(ρ_t, g_t) of a weighting scheme: accumulated weights A_t = ρ·A_{t−1} + g_t·batch_t."""
    if scheme == "uniform":
        return lambda t: (1.0, 1.0)
    if scheme == "decay":
        return lambda t: (float(value), 1.0)
    if scheme == "power":
        return lambda t: (1.0, float(t + 1) ** float(value))
    raise ValidationError(
        f"`weights` must be 'uniform', ('decay', ρ) or ('power', β); got {scheme!r}."
    )


def _parse_weights(weights):
    if isinstance(weights, str):
        key, _, rest = weights.partition("=")
        if not rest:
            return key, None
        try:
            return key, float(rest)
        except ValueError:
            raise ValidationError(f"weights {weights!r}: the value after '=' must be a number.") from None
    if isinstance(weights, tuple) and len(weights) == 2:
        return weights
    raise ValidationError(f"`weights` must be 'uniform', 'decay=ρ' or 'power=β'; got {weights!r}.")


def weighted_mean_variance(sizes, real_rows, weights="uniform", *, sigma2=1.0) -> np.ndarray:
    """Exact variance of the weighted-accumulation mean, generations 0..T.

    **Exact** for batch means with known-variance synthetic rows (Amin et al.'s model with our
    batches): generation 0's batch is ``n_0`` real rows; generation s ≥ 1's batch has ``k_s``
    fresh real rows and ``m_s`` rows from ``N(Y_{s−1}, σ²)``. The estimate pools the batches with
    per-generation weights ``w_{t,s} ∝ g_s·n_s·ρ^{…}`` given by ``weights``:

    - ``"uniform"`` — every row counts once (ERM; the ``accumulate`` workflow);
    - ``"decay=ρ"`` — generation s counts ``ρ^(t−s)`` (older generations down-weighted
      geometrically; the effective sample stays bounded: the variance does not go to 0);
    - ``"power=β"`` — generation s counts ``(s + 1)^β`` (older generations down-weighted
      polynomially: for β large enough the ``1/t`` rate of real data comes back at any α < 1).

    With the batch error ``α_s e_{s−1} + U_s`` (``α_s = m_s/n_s``, ``Var U_s = σ²/n_s``) the
    estimate's error is a linear combination of the U's; its coefficients follow
    ``A_t = ρ_t A_{t−1} + g_t n_t (α_t C_{t−1} + δ_t)``, ``C_t = A_t / G_t`` and the variance is
    ``Σ_j C_{t,j}² σ²/n_j`` (O(T²)).

    ``sizes`` and ``real_rows`` here include generation 0: ``[n_0, n_1, …, n_T]`` and
    ``[n_0, k_1, …, k_T]``.

    Examples
    --------
    >>> T = 50
    >>> w = weighted_mean_variance([10] * (T + 1), [10] + [3] * T)        # α = 0.7, uniform
    >>> e = erm_contaminated_variance(0.7, T + 1, noise_var=0.1)
    >>> bool(np.allclose(w, e))
    True
    >>> p = weighted_mean_variance([10] * (T + 1), [10] + [3] * T, "power=2")
    >>> bool(p[-1] < w[-1])
    True
    """
    problems: list[str] = []
    n = _int_array("sizes", sizes, 1, problems)
    k = _int_array("real_rows", real_rows, 0, problems)
    sigma2 = _positive("sigma2", sigma2, problems)
    if n is not None and k is not None:
        if n.shape != k.shape:
            problems.append("`sizes` and `real_rows` must have the same length (generations 0..T).")
        elif np.any(k > n) or k[0] != n[0]:
            problems.append("`real_rows` must satisfy k_t ≤ n_t, with k_0 = n_0 (generation 0 is "
                            "all real).")
    collect(problems)
    scheme, value = _parse_weights(weights)
    wf = _weights(scheme, value)
    T1 = len(n)
    alpha = (n - k) / n
    noise = sigma2 / n
    C = np.zeros((T1, T1))
    A = np.zeros(T1)
    G = 0.0
    for t in range(T1):
        rho, g = wf(t)
        contrib = np.zeros(T1)
        if t > 0:
            contrib += alpha[t] * C[t - 1]
        contrib[t] += 1.0
        A = rho * A + g * n[t] * contrib
        G = rho * G + g * n[t]
        C[t] = A / G
    return (C**2) @ noise


def decontaminated_variance(alpha, n_rounds, *, noise_var=1.0) -> np.ndarray:
    """Exact variance of the de-contaminated mean (known α), rounds 1..T.

    **Exact** in Amin et al.'s model (see :func:`erm_contaminated_variance`): each contaminated
    round gives ``Z_s = (X_s − αY_{s−1})/(1 − α) = μ + U_s/(1 − α)``, an unbiased view of μ free
    of the earlier estimates; round 1 (all real) gives ``Z_1 = X_1``. Averaging the Z's with
    inverse-variance weights: ``Var(Y_t) = v / (1 + (t − 1)(1 − α)²)`` — the ``1/t`` rate at every
    α < 1 (the price of contamination is only the constant ``1/(1 − α)²``).

    Examples
    --------
    >>> np.round(decontaminated_variance(0.5, 3), 4).tolist()
    [1.0, 0.8, 0.6667]
    """
    problems: list[str] = []
    a = _share("alpha", alpha, problems)
    if a is not None and a >= 1.0:
        problems.append("`alpha` must be < 1; got 1.")
    T = _rounds(n_rounds, problems)
    v = _positive("noise_var", noise_var, problems)
    collect(problems)
    t = np.arange(1, T + 1, dtype=float)
    return v / (1.0 + (t - 1.0) * (1.0 - a) ** 2)


# --------------------------------------------------------------------------------------------
# 3. contraction toward generation 0
# --------------------------------------------------------------------------------------------
def _check_c(c, problems):
    ok = isinstance(c, (int, float, np.floating)) and not isinstance(c, bool) and 0 < float(c) <= 1
    if not ok:
        problems.append(f"`c` (the pull toward generation 0) must be in (0, 1]; got {c!r}.")
        return None
    return float(c)


def shrinkage_drift(c, n0, sizes, *, estimator="unbiased", shrink_variance=True) -> dict:
    """Exact drift of the Gaussian mean under ``θ_t = (1 − c)·θ̂_t + c·θ_0``, generations 0..T.

    **Exact**, conditionally on generation 0 and in units of its variance ``σ̂²_0``: with
    ``D_t = E[(μ_t − μ_0)²]`` and ``V_t = E[σ²_t]/σ̂²_0``::

        D_t = (1 − c)²·(D_{t−1} + V_{t−1}/n_t),     D_0 = 0,
        V_t = (1 − c)·f_t·V_{t−1} + c   (variance shrunk too; V_t = f_t V_{t−1} otherwise),

    ``f_t = 1`` (unbiased) or ``(n_t − 1)/n_t`` (MLE). With the unbiased estimator (or a known
    variance) ``V_t = 1`` and ``D_t = (1−c)²(1 − (1−c)^(2t))/(c(2−c)) · σ²/n`` for constant n.

    Returns
    -------
    dict of ndarray, shape (T + 1,)
        ``drift_var`` (``D_t``, in units of σ̂²_0), ``variance_ratio`` (``V_t``), and
        ``mse`` = ``1/n0 + D_t``: generation t's squared error against the truth in units of σ²
        (unconditionally, unbiased estimator) — never below generation 0's ``1/n0``: the cost of
        the pull toward generation 0 (its own error is kept forever).

    Examples
    --------
    >>> d = shrinkage_drift(0.1, 100, [100] * 400)
    >>> round(float(d["drift_var"][-1] * 100), 4), round(shrinkage_stationary_variance(0.1, 100) * 100, 4)
    (4.2632, 4.2632)
    """
    problems: list[str] = []
    c = _check_c(c, problems)
    n0 = _n0(n0, problems)
    n = _int_array("sizes", sizes, 2, problems)
    if estimator not in ("unbiased", "mle"):
        problems.append(f"`estimator` must be 'unbiased' or 'mle'; got {estimator!r}.")
    collect(problems)
    f = np.ones(len(n)) if estimator == "unbiased" else (n - 1.0) / n
    D = np.zeros(len(n) + 1)
    V = np.ones(len(n) + 1)
    for t in range(len(n)):
        D[t + 1] = (1 - c) ** 2 * (D[t] + V[t] / n[t])
        V[t + 1] = (1 - c) * f[t] * V[t] + c if shrink_variance else f[t] * V[t]
    return {"drift_var": D, "variance_ratio": V, "mse": 1.0 / n0 + D}


def shrinkage_stationary_variance(c, n, *, sigma2=1.0) -> float:
    """``Var(θ_∞ − θ_0) = (1 − c)²/(c(2 − c)) · σ²/n`` for the Gaussian mean (**exact** limit).

    Constant ``n``, unbiased variance estimator or known variance, t → ∞ (see
    :func:`shrinkage_drift` for every finite t).

    Examples
    --------
    >>> round(shrinkage_stationary_variance(0.5, 10), 5)
    0.03333
    """
    problems: list[str] = []
    c = _check_c(c, problems)
    n = _n0(n, problems)
    sigma2 = _positive("sigma2", sigma2, problems)
    collect(problems)
    return (1 - c) ** 2 / (c * (2 - c)) * sigma2 / n


def shrinkage_improvement_probability(c, n0, sizes) -> np.ndarray:
    """``P(|μ_t − μ| < |μ_0 − μ|)`` under shrinkage toward generation 0, t = 0..T.

    With ``a = σ²/n0`` (generation 0's error) and ``b = σ²·D_t`` (the drift of
    :func:`shrinkage_drift`), independent Gaussians: ``P = ½ − arcsin(√(b/(4a + b)))/π``.
    **Exact** when the variance is known (the drift is then exactly Gaussian); **asymptotic**
    (large n) when σ̂² is estimated. Stays positive as t → ∞ (the drift is bounded) but always
    below ½: the loop can never beat generation 0 on average.

    Examples
    --------
    >>> p = shrinkage_improvement_probability(0.2, 100, [100] * 200)
    >>> round(float(p[-1]), 4)
    0.3128
    """
    d = shrinkage_drift(c, n0, sizes)["drift_var"]
    a = 1.0 / n0
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 0.5 - np.arcsin(np.sqrt(d / (4 * a + d))) / np.pi
    return p


def categorical_shrinkage_drift(c, p0, sizes) -> np.ndarray:
    """Exact ``E‖p_t − p_0‖²`` under ``p_t = (1 − c)·p̂_t + c·p_0``, t = 0..T.

    **Exact** (multinomial rows from ``p_{t−1}``; conditionally on generation 0):
    ``D_t = (1 − c)²·[(1 − 1/n_t)·D_{t−1} + v_0/n_t]``, ``v_0 = 1 − ‖p_0‖²``. Every level keeps
    probability ≥ ``c·p_0`` > 0: no level is ever lost.

    Examples
    --------
    >>> d = categorical_shrinkage_drift(0.1, [0.5, 0.5], [20] * 500)
    >>> round(float(d[-1]), 5)
    0.08785
    """
    problems: list[str] = []
    c = _check_c(c, problems)
    pv = _probabilities(p0, problems)
    n = _int_array("sizes", sizes, 1, problems)
    collect(problems)
    v0 = 1.0 - float(pv @ pv)
    D = np.zeros(len(n) + 1)
    for t in range(len(n)):
        D[t + 1] = (1 - c) ** 2 * ((1 - 1 / n[t]) * D[t] + v0 / n[t])
    return D


def categorical_shrinkage_risk(c, p, n0, sizes, *, population=None) -> np.ndarray:
    """Exact risk ``R_t = E‖p_t − p*‖²`` under shrinkage toward generation 0, t = 0..T.

    **Exact**: ``p_t − p* = (p_0 − p*) + (p_t − p_0)`` with ``E[p_t − p_0 | p_0] = 0``, so
    ``R_t = R_0 + E[D_t]``; :func:`categorical_shrinkage_drift` is linear in ``v_0 = 1 − ‖p_0‖²``
    and ``E v_0 = v − R_0``. Generation 0: ``n0`` rows i.i.d. from ``p*`` (or without replacement
    from a pool of ``population`` rows). Always ≥ R_0: the pull toward generation 0 keeps its
    error.

    Examples
    --------
    >>> r = categorical_shrinkage_risk(0.1, [0.5, 0.5], 20, [20] * 300)
    >>> round(float(r[-1] / r[0]), 3)
    4.338
    """
    problems: list[str] = []
    pv = _probabilities(p, problems)
    n0 = _n0(n0, problems)
    population = _population(population, problems, n0)
    collect(problems)
    v = 1.0 - float(pv @ pv)
    r0 = v * float(_fpc(n0, population)) / n0
    unit = categorical_shrinkage_drift(c, [0.5, 0.5], sizes) / 0.5
    return r0 + unit * (v - r0)


# --------------------------------------------------------------------------------------------
# 4. filtering synthetic rows
# --------------------------------------------------------------------------------------------
def likelihood_filter_z(q, dim=1) -> float:
    """Threshold of the likelihood filter that rejects a share ``q`` of generation 0's own rows.

    A row is kept when its squared Mahalanobis distance to generation 0's Gaussian is at most
    ``χ²_dim(1 − q)``; in one dimension ``|x − μ̂_0| ≤ z·σ̂_0`` with ``z = Φ⁻¹(1 − q/2)``. Returns
    the distance threshold ``√χ²_dim(1 − q)`` (**exact**).

    Examples
    --------
    >>> round(likelihood_filter_z(0.05), 4)
    1.96
    """
    problems: list[str] = []
    if not isinstance(q, (int, float, np.floating)) or isinstance(q, bool) or not 0 < q < 1:
        problems.append(f"`q` (share of real rows the filter would reject) must be in (0, 1); "
                        f"got {q!r}.")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        problems.append(f"`dim` must be a positive integer; got {dim!r}.")
    collect(problems)
    return float(np.sqrt(stats.chi2.ppf(1.0 - q, dim)))


def truncated_normal_moments(mu, sigma, lo, hi) -> dict:
    """Mass, mean and variance of ``N(μ, σ²)`` restricted to ``[lo, hi]`` (**exact**).

    Vectorised over broadcastable arrays.

    Examples
    --------
    >>> m = truncated_normal_moments(0.0, 1.0, -1.96, 1.96)
    >>> round(float(m["mass"]), 3), round(float(m["var"]), 4)
    (0.95, 0.7589)
    """
    mu, sigma, lo, hi = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (mu, sigma, lo, hi)))
    a = (lo - mu) / sigma
    b = (hi - mu) / sigma
    mass = special.ndtr(b) - special.ndtr(a)
    pa, pb = stats.norm.pdf(a), stats.norm.pdf(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio1 = (pa - pb) / mass
        ratio2 = (np.where(np.isfinite(a), a * pa, 0.0) - np.where(np.isfinite(b), b * pb, 0.0)) / mass
    # far from the window the ratios lose precision: use scipy's truncnorm there
    mean_z = ratio1
    var_z = 1.0 + ratio2 - ratio1**2
    bad = ~np.isfinite(var_z) | (mass < 1e-8)
    if np.any(bad):
        m_, v_ = stats.truncnorm.stats(a[bad], b[bad], moments="mv")
        mean_z = np.array(mean_z, dtype=float)
        var_z = np.array(var_z, dtype=float)
        mean_z[bad], var_z[bad] = m_, v_
    return {"mass": mass, "mean": mu + sigma * mean_z, "var": sigma**2 * var_z}


def likelihood_filter_step(mu_prev, var_prev, center, scale, z) -> dict:
    """Expected next generation under the likelihood filter, given the previous one (**exact**).

    Generation t − 1 is ``N(μ_{t−1}, σ²_{t−1})``; its rows are kept when
    ``|x − μ̂_0| ≤ z·σ̂_0`` (``center`` = μ̂_0, ``scale`` = σ̂_0) and drawn until ``n_t`` are kept,
    so the kept rows are i.i.d. from the truncated normal: ``E[μ̂_t | past]`` is its mean and
    ``E[σ̂²_t | past]`` its variance (unbiased estimator) — whatever ``n_t``. The variance shrinks
    by the factor ``var/σ²_{t−1} < 1`` every generation: with a centred window and
    ``r = z σ̂_0/σ_{t−1}``, the factor is ``1 − 2rφ(r)/(2Φ(r) − 1)``. ``keep_rate`` is the share
    of candidate rows kept.

    Examples
    --------
    >>> s = likelihood_filter_step(0.0, 1.0, 0.0, 1.0, 1.96)
    >>> round(float(s["var_factor"]), 4), round(float(s["keep_rate"]), 3)
    (0.7589, 0.95)
    """
    sd = np.sqrt(np.asarray(var_prev, dtype=float))
    center = np.asarray(center, dtype=float)
    half = z * np.asarray(scale, dtype=float)
    m = truncated_normal_moments(mu_prev, sd, center - half, center + half)
    return {"mean": m["mean"], "var": m["var"], "var_factor": m["var"] / sd**2,
            "keep_rate": m["mass"]}


def likelihood_filter_path(z, n_generations, *, center=0.0, scale=1.0, mu0=None, sigma0=None) -> dict:
    """Population-limit path of the likelihood-filtered loop (**asymptotic**, n → ∞).

    With infinitely many rows per generation the estimates equal the truncated moments, so the
    loop is the deterministic map of :func:`likelihood_filter_step` from generation 0's
    ``N(mu0, sigma0²)`` (default: the window's own ``center``, ``scale``). Without the filter the
    population-limit loop stays put; with it σ_t shrinks every generation (fastest at first, while
    the window cuts into the bulk). Finite-n collapse multiplies on top of this.

    Returns
    -------
    dict of ndarray, shape (T + 1,)
        ``mean``, ``sd``, ``keep_rate`` (generation t's candidate keep rate; NaN at t = 0).

    Examples
    --------
    >>> p = likelihood_filter_path(1.96, 3)
    >>> np.round(p["sd"], 4).tolist()
    [1.0, 0.8711, 0.8048, 0.7628]
    """
    T = n_generations
    mu = float(center if mu0 is None else mu0)
    var = float(scale if sigma0 is None else sigma0) ** 2
    means, sds, keeps = [mu], [math.sqrt(var)], [np.nan]
    for _ in range(T):
        s = likelihood_filter_step(mu, var, center, scale, z)
        mu, var = float(s["mean"]), float(s["var"])
        means.append(mu)
        sds.append(math.sqrt(var))
        keeps.append(float(s["keep_rate"]))
    return {"mean": np.array(means), "sd": np.array(sds), "keep_rate": np.array(keeps)}


def gaussian_tail_coverage(mu, sd, lo, hi, mass_lo=0.01, mass_hi=0.01) -> np.ndarray:
    """Share of the true tail mass that the model ``N(μ, sd²)`` still covers (**exact**).

    ``lo``/``hi`` are the real 1 %/99 % quantiles and ``mass_lo``/``mass_hi`` the true mass
    below/above them. Each side counts at most its true mass (a drifting mean that piles mass
    into one tail does not make up for the other)::

        coverage = (min(Φ((lo − μ)/sd), mass_lo) + min(Φ((μ − hi)/sd), mass_hi)) / (mass_lo + mass_hi)

    1: both tails intact; 0: both gone. Vectorised over ``mu``, ``sd``.

    Examples
    --------
    >>> z = 2.3263478740408408
    >>> round(float(gaussian_tail_coverage(0.0, 1.0, -z, z)), 6)
    1.0
    >>> round(float(gaussian_tail_coverage(0.0, 0.8, -z, z)), 4)
    0.1819
    >>> round(float(gaussian_tail_coverage(3.0, 1.0, -z, z)), 4)       # one tail only
    0.5
    """
    mu, sd = np.asarray(mu, dtype=float), np.asarray(sd, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = special.ndtr((lo - mu) / sd)
        above = special.ndtr((mu - hi) / sd)
    below = np.where(sd > 0, below, (mu < lo).astype(float))
    above = np.where(sd > 0, above, (mu > hi).astype(float))
    return (np.minimum(below, mass_lo) + np.minimum(above, mass_hi)) / (mass_lo + mass_hi)


# --------------------------------------------------------------------------------------------
# 5. regression (Dohmatob et al.; Gerstgrasser et al.)
# --------------------------------------------------------------------------------------------
def _check_dims(d, T, name, problems):
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < d + 2:
        problems.append(f"`{name}` must be an integer ≥ d + 2 = {d + 2} (OLS risk is finite only "
                        f"then); got {T!r}.")


def ols_replace_error(generations, d, T, T0=None, *, sigma2=1.0, sigma02=None) -> np.ndarray:
    """Dohmatob et al.'s test error of OLS after ``n`` generations of fake data (**exact**).

    Their setting, precisely: features ``x ~ N(0, Σ)`` in dimension ``d`` (any Σ); the truth
    ``y = xᵀw_0 + N(0, σ²)``. Fake-data generator 0 is ``w_0`` itself; generator k ≥ 1 is OLS
    fitted on ``T0`` fresh rows labelled by generator k − 1 with label noise ``σ0²`` (a fixed,
    known noise level — not re-estimated). The model under test is OLS fitted on ``T`` rows
    labelled by generator n with noise ``σ²``. Its test error ``E‖ŵ − w_0‖²_Σ`` (excess risk) is::

        E_n = σ²·d/(T − d − 1) + n·σ0²·d/(T0 − d − 1),

    exact for ``T, T0 ≥ d + 2`` (``E tr(Σ (XᵀX)⁻¹) = d/(T − d − 1)`` for Gaussian rows; the
    generations' noises are independent and add). It holds whether each generator draws fresh
    features or reuses one design. Linear in n: collapse.

    In synthaudit's loop with ``T = T0 = n_t`` and one noise level: generation t (fitted on the
    labels of generation t − 1, generation 0 on real labels) has error ``(t + 1)σ²d/(n − d − 1)``:
    ``ols_replace_error(t, d, n)``.

    Examples
    --------
    >>> ols_replace_error([0, 1, 2], d=10, T=111).tolist()
    [0.1, 0.2, 0.30000000000000004]
    """
    problems: list[str] = []
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        problems.append(f"`d` must be a positive integer; got {d!r}.")
        d = 1
    T0 = T if T0 is None else T0
    _check_dims(d, T, "T", problems)
    _check_dims(d, T0, "T0", problems)
    sigma2 = _positive("sigma2", sigma2, problems)
    sigma02 = sigma2 if sigma02 is None else _positive("sigma02", sigma02, problems)
    g = np.asarray(generations, dtype=float)
    if np.any(g < 0) or np.any(g != np.round(g)):
        problems.append(f"`generations` must be non-negative integers; got {generations!r}.")
    collect(problems)
    return sigma2 * d / (T - d - 1) + g * sigma02 * d / (T0 - d - 1)


def ols_accumulate_error(generations, d, T, *, sigma2=1.0) -> np.ndarray:
    """Gerstgrasser et al.'s test error of OLS when real and synthetic labels accumulate (**exact**).

    Their setting: one fixed design ``X`` (``T × d``, rows ``N(0, Σ)``) for every generation;
    generation 1 fits OLS on real labels ``y_1 = Xw* + ε_1``; generation i fits OLS on *all*
    labels so far, ``[y_1; …; y_i]`` with ``y_j = Xŵ_{j−1} + ε_j``, noise σ². The stacked OLS is
    OLS on the average label, so ``ŵ_i − w* = ŵ_{i−1} − w* + (XᵀX)⁻¹Xᵀε_i / i`` and::

        E‖ŵ_n − w*‖²_Σ = σ²·d/(T − d − 1) · Σ_{i=1..n} 1/i²   →   (π²/6)·E_1.

    Bounded: accumulation stops collapse. Our generation t is their ``n = t + 1``.

    Examples
    --------
    >>> e = ols_accumulate_error([1, 2, 10_000], d=5, T=56)
    >>> round(float(e[-1] / e[0]), 4), round(math.pi ** 2 / 6, 4)
    (1.6448, 1.6449)
    """
    problems: list[str] = []
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        problems.append(f"`d` must be a positive integer; got {d!r}.")
        d = 1
    _check_dims(d, T, "T", problems)
    sigma2 = _positive("sigma2", sigma2, problems)
    g = np.atleast_1d(np.asarray(generations))
    if g.size == 0 or np.any(g < 1) or np.any(g != np.round(g)):
        problems.append(f"`generations` must be integers ≥ 1; got {generations!r}.")
    collect(problems)
    g = g.astype(np.int64)
    harmonic2 = np.cumsum(1.0 / np.arange(1, g.max() + 1) ** 2)
    return sigma2 * d / (T - d - 1) * harmonic2[g - 1]


def ridge_fixed_design_risk(X, w_star, lambdas, *, sigma2=1.0, cov=None) -> np.ndarray:
    """Exact risk of recursively refitted ridge regression, conditional on a fixed design.

    **Exact**, conditionally on the design ``X`` (``T × d``) used by every generation:
    generation 0 is ridge(λ_0) on ``y = Xw* + ε``; generation t is ridge(λ_t) on labels
    ``Xŵ_{t−1} + ε_t``, noise σ². With ``A = (XᵀX + λI)⁻¹XᵀX`` and ``R = (XᵀX + λI)⁻¹Xᵀ``::

        E ŵ_t = A_t E ŵ_{t−1},   Cov ŵ_t = A_t Cov ŵ_{t−1} A_tᵀ + σ² R_t R_tᵀ,

    and the risk is ``‖E ŵ_t − w*‖²_Σ + tr(Σ Cov ŵ_t)`` (``Σ = cov``, default the identity;
    ``‖·‖_Σ`` is the excess test error for features with covariance Σ). ``λ = 0`` is OLS: the
    risk then grows linearly, ``(t + 1)σ² tr(Σ(XᵀX)⁻¹)``. A positive λ shrinks toward 0: its
    bias is bounded by ``‖w*‖²_Σ`` so a well-chosen λ_t keeps the risk bounded.

    Parameters
    ----------
    X : array (T, d)
    w_star : array (d,)
    lambdas : sequence of float
        λ_0, …, λ_G (one per generation; 0 means OLS).

    Returns
    -------
    ndarray of shape (G + 1,)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 3))
    >>> r = ridge_fixed_design_risk(X, np.ones(3), [0.0] * 4)
    >>> bool(np.allclose(np.diff(r), r[0]))          # OLS: linear growth
    True
    """
    X = np.asarray(X, dtype=float)
    w = np.asarray(w_star, dtype=float)
    lam = np.atleast_1d(np.asarray(lambdas, dtype=float))
    problems: list[str] = []
    if X.ndim != 2 or X.shape[0] < X.shape[1]:
        problems.append(f"`X` must be a (T, d) design with T ≥ d; got shape {X.shape}.")
    elif w.shape != (X.shape[1],):
        problems.append(f"`w_star` must have shape ({X.shape[1]},); got {w.shape}.")
    if np.any(lam < 0) or not np.all(np.isfinite(lam)):
        problems.append(f"`lambdas` must be non-negative numbers; got {lam.tolist()[:8]}.")
    sigma2 = _positive("sigma2", sigma2, problems)
    collect(problems)
    d = X.shape[1]
    S = np.eye(d) if cov is None else np.asarray(cov, dtype=float)
    G = X.T @ X
    mean = w.copy()
    C = np.zeros((d, d))
    out = np.empty(len(lam))
    for t, lt in enumerate(lam):
        inv = np.linalg.inv(G + lt * np.eye(d))
        A = inv @ G
        R = inv @ X.T
        mean = A @ mean
        C = A @ C @ A.T + sigma2 * (R @ R.T)
        bias = mean - w
        out[t] = bias @ S @ bias + np.trace(S @ C)
    return out


def ridge_oracle_path(X, w_star, n_generations, *, sigma2=1.0, grid=None, cov=None) -> dict:
    """Expectation-greedy oracle ridge: each λ_t minimises the exact expected risk of generation t.

    **Exact** (given the fixed design ``X``; see :func:`ridge_fixed_design_risk`) but an
    *oracle*: it knows ``w*``. It is myopic and optimises the expectation over the labels' noise,
    so it settles near ``‖w*‖²_Σ`` (the risk of predicting 0); tuning λ on held-out real rows
    reacts to each replication's own ŵ_{t−1} and can do better — the simulation shows by how
    much.

    Returns
    -------
    dict with ``lambdas`` (shape (G + 1,)) and ``risk`` (shape (G + 1,)).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.standard_normal((30, 5))
    >>> o = ridge_oracle_path(X, np.full(5, 0.3), 20)
    >>> ols = ridge_fixed_design_risk(X, np.full(5, 0.3), [0.0] * 21)
    >>> bool(o["risk"][-1] < ols[-1] and o["risk"][-1] < 5 * 0.09 + 0.05)
    True
    """
    X = np.asarray(X, dtype=float)
    w = np.asarray(w_star, dtype=float)
    d = X.shape[1]
    S = np.eye(d) if cov is None else np.asarray(cov, dtype=float)
    if grid is None:
        scale = np.trace(X.T @ X) / d
        grid = np.concatenate([[0.0], scale * np.logspace(-4, 3, 57)])
    grid = np.asarray(grid, dtype=float)
    G = X.T @ X
    invs = [np.linalg.inv(G + lt * np.eye(d)) for lt in grid]
    As = [inv @ G for inv in invs]
    RRs = [inv @ X.T @ X @ inv for inv in invs]
    mean, C = w.copy(), np.zeros((d, d))
    lams, risks = [], []
    for _ in range(n_generations + 1):
        best = None
        for j in range(len(grid)):
            m = As[j] @ mean
            Cj = As[j] @ C @ As[j].T + sigma2 * RRs[j]
            b = m - w
            r = b @ S @ b + np.trace(S @ Cj)
            if best is None or r < best[0]:
                best = (r, j, m, Cj)
        r, j, mean, C = best
        lams.append(grid[j])
        risks.append(r)
    return {"lambdas": np.array(lams), "risk": np.array(risks)}
