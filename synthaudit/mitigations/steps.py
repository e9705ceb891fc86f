"""Mitigation steps: frozen value objects that change how a generation is built or fitted.

Four kinds of step, at most one of each in a :class:`Mitigation` (compose with ``+`` in a spec):

================  =====================================  ========================================
kind              specs                                  what it changes
================  =====================================  ========================================
``source``        ``fresh:0.2``, ``fresh:0.5*t^-1``      generation t's n_t rows: ⌊α_t n_t + ½⌋
                                                         fresh real rows, the rest synthetic
``filter``        ``filter:likelihood:q=0.05``,          which synthetic rows are kept (drawn
                  ``filter:classifier:q=0.05``,          until n_t pass; **rows only**)
                  ``filter:pca:q=0.05,k=2``
``accumulation``  ``weighted:uniform``,                  how generations' batches pool:
                  ``weighted:decay=0.5``,                every row once (ERM), ρ^(t−s), (s+1)^β,
                  ``weighted:power=2``,                  or de-contaminated location
                  ``weighted:decontaminated``
``estimator``     ``shrink:0.1``, ``ridge:auto``,        θ_t = (1−c)θ̂_t + cθ_0; ridge with λ_t
                  ``ridge:0.5``                          chosen on held-out real rows
================  =====================================  ========================================

Fast path (parametric adapters, vectorised over lanes; docs/mitigations.md §"How the engine
calls a mitigation")::

    syn_rows, real_rows = mitigation.rows(sizes)                  # per generation
    state = mitigation.start_fast(adapter, stats0, theta0)
    train = mitigation.next_stats(adapter, train, syn, real, t=t, theta_prev=theta,
                                  theta0=theta0, state=state, workflow=workflow)
    theta = mitigation.next_theta(adapter, adapter.params_from_stats(train), t=t,
                                  theta0=theta0, state=state)

Per-row path: :meth:`Mitigation.start_rows` then :meth:`Mitigation.rows_generation` (or the
pieces: :meth:`~Mitigation.synthetic_rows`, :meth:`~Mitigation.next_table`,
:meth:`~Mitigation.refit`).

Examples
--------
>>> m = parse("fresh:0.2+shrink:0.1")
>>> m.spec, m.paths
('fresh:0.2+shrink:0.1', ('fast', 'rows'))
>>> syn, real = m.rows([10, 10, 10])
>>> syn.tolist(), real.tolist()
([8, 8, 8], [2, 2, 2])
>>> parse("filter:likelihood:q=0.05").paths
('rows',)
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..exceptions import ValidationError, collect
from . import filters as _filters
from .theory import fresh_rows

__all__ = [
    "Filter",
    "FreshShare",
    "Mitigation",
    "Ridge",
    "RowsState",
    "Shrink",
    "Step",
    "Weighted",
    "parse",
    "parse_step",
    "ridge_choose",
    "ridge_solve",
]

KINDS = ("source", "filter", "accumulation", "estimator")


def _num(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) \
        and math.isfinite(float(x))


def _fmt(x: float) -> str:
    return f"{float(x):g}"


@dataclass(frozen=True)
class Step:
    """Base class of mitigation steps (see the module docstring)."""

    kind: ClassVar[str] = ""
    #: paths the step runs on: "fast" (sufficient statistics) and/or "rows"
    paths: ClassVar[tuple[str, ...]] = ("fast", "rows")

    @property
    def spec(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:
        return self.spec


# ---------------------------------------------------------------------------------------------
# statistics helpers (families: Gaussian {n, mean, scatter}, categorical {n, counts},
# Poisson {n, sum}, and dicts of those, e.g. the mixed adapter {"g": …, "c": …})
# ---------------------------------------------------------------------------------------------
def _scale_stats(stats, w):
    """Statistics of the same rows each counted with weight ``w`` (scalar or per lane)."""
    if isinstance(stats, dict):
        return {k: (v if k == "mean" else _scale_stats(v, w)) for k, v in stats.items()}
    arr = np.asarray(stats, dtype=float)
    w = np.asarray(w, dtype=float)
    if w.ndim:
        w = w.reshape((-1,) + (1,) * (arr.ndim - 1))
    return arr * w


def _combine(adapter, a, b):
    if a is None:
        return b
    if b is None:
        return a
    return adapter.combine(a, b)


def _count(stats) -> np.ndarray:
    """Rows behind a statistics tree, per lane."""
    if isinstance(stats, dict):
        if "n" in stats:
            return np.asarray(stats["n"], dtype=float)
        return _count(next(iter(stats.values())))
    raise ValidationError("statistics must be a dict with an 'n' entry.")  # pragma: no cover


def table_stats(adapter, table: pd.DataFrame | None):
    """Sufficient statistics (lane axis of 1) of a table, for a parametric adapter."""
    if table is None or len(table) == 0:
        return None
    return adapter.stats_from_encoded(adapter.encode(table)[None, ...])


def _location_index(layout) -> np.ndarray:
    parts = [np.asarray(layout.mean_index, dtype=np.int64), np.asarray(layout.rate_index, dtype=np.int64)]
    parts += [np.asarray(b.index, dtype=np.int64) for b in layout.categorical]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# source: fresh real data in every generation
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FreshShare(Step):
    """A share α_t of generation t's rows is fresh real data: ``α_t = min(1, share·t^(−decay))``.

    Generation t keeps its size n_t: ``k_t = ⌊α_t n_t + ½⌋`` real rows (drawn from the real pool,
    or the truth) and ``n_t − k_t`` synthetic rows from generation t − 1.

    Examples
    --------
    >>> FreshShare(0.5, decay=1.0).shares(4).tolist()
    [0.5, 0.25, 0.16666666666666666, 0.125]
    >>> FreshShare(0.5, decay=1.0).spec
    'fresh:0.5*t^-1'
    """

    share: float = 0.0
    decay: float = 0.0
    kind: ClassVar[str] = "source"

    def __post_init__(self):
        problems = []
        if not _num(self.share) or not 0.0 <= float(self.share) <= 1.0:
            problems.append(f"`fresh` share α must be a number in [0, 1]; got {self.share!r} "
                            "(e.g. 'fresh:0.2' for 20 % fresh real rows per generation).")
        if not _num(self.decay) or float(self.decay) < 0:
            problems.append(f"`fresh` decay β must be a number ≥ 0 (α_t = α·t^−β); got "
                            f"{self.decay!r}.")
        collect(problems)
        object.__setattr__(self, "share", float(self.share))
        object.__setattr__(self, "decay", float(self.decay))

    def shares(self, n_generations: int) -> np.ndarray:
        """α_1, …, α_T."""
        t = np.arange(1, int(n_generations) + 1, dtype=float)
        return np.minimum(1.0, self.share * t ** (-self.decay))

    def split(self, sizes) -> tuple[np.ndarray, np.ndarray]:
        """(synthetic rows m_t, real rows k_t) for generations 1..T of sizes n_t."""
        sizes = np.asarray(sizes, dtype=np.int64)
        real = fresh_rows(self.shares(len(sizes)), sizes)
        return sizes - real, real

    @property
    def spec(self) -> str:
        if self.decay == 0:
            return f"fresh:{_fmt(self.share)}"
        return f"fresh:{_fmt(self.share)}*t^-{_fmt(self.decay)}"


# ---------------------------------------------------------------------------------------------
# accumulation with per-generation weights
# ---------------------------------------------------------------------------------------------
_SCHEMES = ("uniform", "decay", "power", "decontaminated")


@dataclass(frozen=True)
class Weighted(Step):
    """Accumulate every generation's batch with per-generation weights.

    ``uniform`` (ERM: every row once — the ``accumulate`` workflow), ``decay`` (generation s
    counts ``ρ^(t−s)``), ``power`` (generation s counts ``(s+1)^β``: older generations
    down-weighted polynomially), ``decontaminated`` (ERM for the spread; the location — means,
    level shares, rates — is Amin et al.'s de-contaminated estimate
    ``Z_s = (x̄_s − a_s·θ_{s−1})/(1 − a_s)``, ``a_s`` the batch's synthetic share, averaged with
    inverse-variance weights ``n_s(1 − a_s)²``; level shares are clipped at 0 and renormalised).
    Weighted statistics count a row of weight w as w rows (so the Gaussian variance divisor is
    the effective count minus one).

    Examples
    --------
    >>> Weighted("decay", 0.5).spec, Weighted("power", 2).weights(3)
    ('weighted:decay=0.5', (1.0, 16.0))
    """

    scheme: str = "uniform"
    value: float | None = None
    kind: ClassVar[str] = "accumulation"

    def __post_init__(self):
        problems = []
        if self.scheme not in _SCHEMES:
            problems.append(f"`weighted` scheme must be one of {list(_SCHEMES)}; got {self.scheme!r}.")
        elif self.scheme == "decay":
            if not _num(self.value) or not 0 < float(self.value) <= 1:
                problems.append(f"`weighted:decay=ρ` needs 0 < ρ ≤ 1; got {self.value!r}.")
        elif self.scheme == "power":
            if not _num(self.value) or float(self.value) < 0:
                problems.append(f"`weighted:power=β` needs β ≥ 0; got {self.value!r}.")
        elif self.value is not None:
            problems.append(f"`weighted:{self.scheme}` takes no value; got {self.value!r}.")
        collect(problems)
        if self.value is not None:
            object.__setattr__(self, "value", float(self.value))

    def weights(self, t: int) -> tuple[float, float]:
        """(ρ_t, g_t): accumulated statistics become ``ρ_t·previous + g_t·batch_t``."""
        if self.scheme == "decay":
            return float(self.value), 1.0
        if self.scheme == "power":
            return 1.0, float(t + 1) ** float(self.value)
        return 1.0, 1.0

    @property
    def spec(self) -> str:
        if self.value is None:
            return f"weighted:{self.scheme}"
        return f"weighted:{self.scheme}={_fmt(self.value)}"


# ---------------------------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shrink(Step):
    """Contraction toward generation 0: ``θ_t = (1 − c)·θ̂_t + c·θ_0`` (every parameter).

    A convex combination keeps covariances positive semi-definite and level shares on the
    simplex; no level is ever lost (each keeps at least ``c·p_0``). Parametric adapters only.

    Examples
    --------
    >>> Shrink(0.1).spec
    'shrink:0.1'
    """

    c: float = 0.1
    kind: ClassVar[str] = "estimator"

    def __post_init__(self):
        if not _num(self.c) or not 0 < float(self.c) <= 1:
            raise ValidationError(f"`shrink` c (the pull toward generation 0) must be in (0, 1]; "
                                  f"got {self.c!r} (e.g. 'shrink:0.1').")
        object.__setattr__(self, "c", float(self.c))

    def blend(self, adapter, theta_hat, theta0):
        v = (1.0 - self.c) * adapter.theta_vector(theta_hat) + self.c * adapter.theta_vector(theta0)
        return adapter.theta_from_vector(v)

    @property
    def spec(self) -> str:
        return f"shrink:{_fmt(self.c)}"


DEFAULT_RIDGE_GRID = (0.0,) + tuple(float(x) for x in np.logspace(-4, 2, 25))


def ridge_solve(X, y, lam, *, penalty=None) -> np.ndarray:
    """Ridge coefficients per lane: ``argmin ‖y − Xβ‖² + λ·n·Σ_j s_j² β_j²``.

    ``X`` (L, n, f) with an intercept in column 0 (not penalised), ``y`` (L, n), ``lam`` scalar
    or (L,). ``s_j`` is column j's standard deviation in X (so λ is free of units), unless a
    ``penalty`` vector (f,) or (L, f) is given.

    Examples
    --------
    >>> X = np.c_[np.ones(4), [0.0, 1.0, 2.0, 3.0]][None]
    >>> np.round(ridge_solve(X, np.array([[1.0, 3.0, 5.0, 7.0]]), 0.0), 6).tolist()
    [[1.0, 2.0]]
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim == 2:
        X, y = X[None], y[None]
    L, n, f = X.shape
    if penalty is None:
        penalty = n * X.var(axis=1)
        penalty[:, 0] = 0.0
    penalty = np.broadcast_to(np.asarray(penalty, dtype=float), (L, f))
    lam = np.broadcast_to(np.asarray(lam, dtype=float), (L,))
    G = np.swapaxes(X, 1, 2) @ X
    G = G + (lam[:, None] * penalty)[:, :, None] * np.eye(f)
    b = np.einsum("lnf,ln->lf", X, y)
    try:
        return np.linalg.solve(G, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.lstsq(G[i], b[i], rcond=None)[0] for i in range(L)])


def ridge_choose(X, y, X_hold, y_hold, grid=DEFAULT_RIDGE_GRID) -> tuple[np.ndarray, np.ndarray]:
    """Per lane, the λ of ``grid`` with the smallest squared error on held-out real rows.

    Returns ``(lambdas (L,), betas (L, f))``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.c_[np.ones(30), rng.standard_normal((30, 8))][None]
    >>> y = rng.standard_normal((1, 30))                         # pure noise: shrink everything
    >>> Xh = np.c_[np.ones(200), rng.standard_normal((200, 8))][None]
    >>> lam, beta = ridge_choose(X, y, Xh, rng.standard_normal((1, 200)))
    >>> bool(lam[0] > 0.1)
    True
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 2:
        X, y, X_hold, y_hold = X[None], np.asarray(y)[None], np.asarray(X_hold)[None], \
            np.asarray(y_hold)[None]
    L = X.shape[0]
    best = np.full(L, np.inf)
    lam_best = np.zeros(L)
    beta_best = np.zeros((L, X.shape[2]))
    for lam in grid:
        beta = ridge_solve(X, y, lam)
        err = np.mean((y_hold - np.einsum("lnf,lf->ln", X_hold, beta)) ** 2, axis=1)
        better = err < best
        best = np.where(better, err, best)
        lam_best = np.where(better, lam, lam_best)
        beta_best[better] = beta[better]
    return lam_best, beta_best


@dataclass(frozen=True)
class Ridge(Step):
    """Ridge regression for the linear adapter, λ chosen each generation on held-out real rows.

    ``ridge:auto`` picks λ from :data:`DEFAULT_RIDGE_GRID` (λ is relative: the penalty is
    ``λ·n·Σ s_j²β_j²``, s_j the feature's spread) by squared error on the holdout; ``ridge:0.5``
    fixes λ. Rows only (the linear adapter has no fast path); the noise variance keeps the OLS
    residual formula.

    Examples
    --------
    >>> Ridge().spec, Ridge(0.5).spec
    ('ridge:auto', 'ridge:0.5')
    """

    lam: float | None = None
    grid: tuple = DEFAULT_RIDGE_GRID
    kind: ClassVar[str] = "estimator"
    paths: ClassVar[tuple[str, ...]] = ("rows",)

    def __post_init__(self):
        problems = []
        if self.lam is not None and (not _num(self.lam) or float(self.lam) < 0):
            problems.append(f"`ridge` λ must be a number ≥ 0 or 'auto'; got {self.lam!r}.")
        g = np.asarray(self.grid, dtype=float)
        if g.ndim != 1 or g.size == 0 or np.any(g < 0) or not np.all(np.isfinite(g)):
            problems.append(f"`ridge` grid must be non-negative numbers; got {self.grid!r}.")
        collect(problems)
        object.__setattr__(self, "grid", tuple(float(x) for x in g))

    @property
    def spec(self) -> str:
        return "ridge:auto" if self.lam is None else f"ridge:{_fmt(self.lam)}"

    def refit(self, model, table: pd.DataFrame, holdout: pd.DataFrame | None):
        """Refit a fitted linear adapter by ridge; returns ``(model, λ)``."""
        if not hasattr(model, "_design") or not hasattr(model, "noise_var_"):
            raise ValidationError(
                f"`{self.spec}` needs the linear regression adapter (adapter 'linear'); got "
                f"{type(model).__name__}."
            )
        X = model._design(table)
        y = table[model.target].to_numpy(dtype=float)
        if self.lam is None:
            if holdout is None or len(holdout) == 0:
                raise ValidationError("`ridge:auto` chooses λ on held-out real rows: give a holdout "
                                      "(holdout > 0) or a fixed λ ('ridge:0.5').")
            Xh = model._design(holdout)
            yh = holdout[model.target].to_numpy(dtype=float)
            lam, beta = ridge_choose(X[None], y[None], Xh[None], yh[None], self.grid)
            lam, beta = float(lam[0]), beta[0]
        else:
            lam = float(self.lam)
            beta = ridge_solve(X[None], y[None], lam)[0]
        new = copy.copy(model)
        resid = y - X @ beta
        new.beta_ = beta
        new.noise_var_ = float(resid @ resid / max(len(y) - X.shape[1], 1))
        return new, lam


# ---------------------------------------------------------------------------------------------
# filters (rows only)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filter(Step):
    """Drop synthetic rows scored unrealistic, drawing until n_t rows pass (rows only).

    ``method``: ``likelihood`` (generation 0's Gaussian likelihood on the numeric columns),
    ``classifier`` (a real-vs-synthetic logistic classifier on standardised numeric columns and
    their squares), ``pca`` (distance to the nearest real row in a PCA embedding of generation
    0's real rows; ``components`` k, default: enough for 80 % of the variance). ``q``: the share
    of *real* rows the filter would reject (its threshold's calibration). The reference is
    generation 0's training table (real rows). Keep rate, threshold and candidates drawn are
    recorded every generation. Categorical columns are not scored.

    Examples
    --------
    >>> Filter("pca", q=0.05, components=2).spec
    'filter:pca:q=0.05,k=2'
    """

    method: str = "likelihood"
    q: float = 0.05
    components: int | None = None
    max_rounds: int = 50
    kind: ClassVar[str] = "filter"
    paths: ClassVar[tuple[str, ...]] = ("rows",)

    def __post_init__(self):
        problems = []
        if self.method not in _filters.METHODS:
            problems.append(f"filter method must be one of {list(_filters.METHODS)}; got "
                            f"{self.method!r} (e.g. 'filter:likelihood:q=0.05').")
        if not _num(self.q) or not 0 < float(self.q) < 1:
            problems.append(f"filter `q` (share of real rows it would reject) must be in (0, 1); "
                            f"got {self.q!r}.")
        if self.components is not None and (
            isinstance(self.components, bool) or not isinstance(self.components, (int, np.integer))
            or self.components < 1 or self.method != "pca"
        ):
            problems.append(f"filter `k` (PCA components) must be a positive integer and only "
                            f"for 'pca'; got {self.components!r}.")
        if isinstance(self.max_rounds, bool) or not isinstance(self.max_rounds, (int, np.integer)) \
                or self.max_rounds < 1:
            problems.append(f"filter `max_rounds` must be a positive integer; got {self.max_rounds!r}.")
        collect(problems)
        object.__setattr__(self, "q", float(self.q))

    @property
    def spec(self) -> str:
        out = f"filter:{self.method}:q={_fmt(self.q)}"
        return out + (f",k={self.components}" if self.components is not None else "")

    def fit_reference(self, real) -> _filters.FilterReference:
        """Reference from real rows: an array (L, n, p) / (n, p) or a table (numeric columns)."""
        if isinstance(real, pd.DataFrame):
            real = _numeric(real)
        return _filters.fit_reference(self.method, real, q=self.q, components=self.components)

    def draw_table(self, ref, model, n: int, *, rng) -> tuple[pd.DataFrame, dict]:
        """``n`` rows of ``model.sample`` that pass the filter (one lane), and the record."""
        kept, examined, rate, first = [], 0, 1.0, True
        have = 0
        for _ in range(self.max_rounds):
            need = n - have
            if need <= 0:
                break
            B = int(min(max(math.ceil(1.25 * need / max(rate, 1e-3)) + 8, 16), 50 * n + 64))
            cand = model.sample(B, rng=rng)
            X = _numeric(cand)[None]
            if first or self.method != "classifier":
                s = _filters.score(ref, X, calibrate=first)[0]
            else:
                s = _filters._classifier_score(ref, X)[0]
            first = False
            ok = np.flatnonzero(s <= ref.threshold[0])
            take = ok[:need]
            kept.append(cand.iloc[take])
            examined += int(take[-1]) + 1 if len(take) == need and need else B
            have += len(take)
            rate = max(len(ok) / B, 1e-3)
        forced = 0
        if have < n:  # max_rounds ran out: the least unrealistic remaining candidates
            taken = set(take.tolist())
            rest = [i for i in np.argsort(s) if i not in taken][: n - have]
            kept.append(cand.iloc[rest])
            forced = n - have
        rows = pd.concat(kept, ignore_index=True)
        record = {"filter_keep_rate": n / max(examined, 1), "filter_threshold": float(ref.threshold[0]),
                  "filter_candidates": float(examined), "filter_forced": float(forced)}
        return rows, record


def _numeric(table: pd.DataFrame) -> np.ndarray:
    cols = [c for c in table.columns
            if pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])]
    if not cols:
        raise ValidationError("a filter scores numeric columns; the table has none "
                              f"(columns: {list(table.columns)}).")
    return table[cols].to_numpy(dtype=float)


# ---------------------------------------------------------------------------------------------
# the composed mitigation
# ---------------------------------------------------------------------------------------------
@dataclass
class RowsState:
    """What the per-row path carries between generations."""

    model0: Any
    theta0: Any = None
    holdout: pd.DataFrame | None = None
    filter_ref: Any = None
    train_stats: Any = None
    fast: dict = field(default_factory=dict)
    train_table: pd.DataFrame | None = None


@dataclass(frozen=True)
class Mitigation:
    """At most one step of each kind; the object the engine calls (see the module docstring).

    Examples
    --------
    >>> m = Mitigation.of(Shrink(0.2), FreshShare(0.1))
    >>> m.spec, m.record_names
    ('fresh:0.1+shrink:0.2', ('fresh_real_rows', 'fresh_synthetic_rows'))
    """

    source: FreshShare | None = None
    filter: Filter | None = None
    accumulation: Weighted | None = None
    estimator: Shrink | Ridge | None = None

    @classmethod
    def of(cls, *steps: Step) -> Mitigation:
        """Compose steps (any order); every problem is reported at once."""
        slots: dict[str, Step] = {}
        problems = []
        for s in steps:
            if isinstance(s, Mitigation):
                for inner in s.steps:
                    steps_kind = inner.kind
                    if steps_kind in slots:
                        problems.append(f"two {steps_kind} steps: {slots[steps_kind].spec!r} and "
                                        f"{inner.spec!r}; keep one.")
                    slots[steps_kind] = inner
                continue
            if not isinstance(s, Step):
                problems.append(f"a mitigation step must be a Step or a spec string; got {s!r}.")
                continue
            if s.kind in slots:
                problems.append(f"two {s.kind} steps: {slots[s.kind].spec!r} and {s.spec!r}; "
                                "keep one.")
            slots[s.kind] = s
        if isinstance(slots.get("accumulation"), Weighted) and slots["accumulation"].scheme == \
                "decontaminated" and "source" not in slots:
            problems.append("`weighted:decontaminated` removes the synthetic part of each "
                            "generation's fresh real rows: combine it with a source, e.g. "
                            "'fresh:0.3+weighted:decontaminated'.")
        collect(problems)
        return cls(slots.get("source"), slots.get("filter"), slots.get("accumulation"),
                   slots.get("estimator"))

    # -- description ------------------------------------------------------------------------
    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(s for s in (self.source, self.filter, self.accumulation, self.estimator)
                     if s is not None)

    @property
    def spec(self) -> str:
        return "+".join(s.spec for s in self.steps) or "none"

    @property
    def paths(self) -> tuple[str, ...]:
        out = ("fast", "rows")
        for s in self.steps:
            out = tuple(p for p in out if p in s.paths)
        return out

    @property
    def record_names(self) -> tuple[str, ...]:
        """Per-generation quantities the mitigation records (beside parameters and metrics)."""
        names = []
        if self.source is not None:
            names += ["fresh_real_rows", "fresh_synthetic_rows"]
        if self.filter is not None:
            names += ["filter_keep_rate", "filter_threshold", "filter_candidates", "filter_forced"]
        if isinstance(self.estimator, Ridge):
            names += ["ridge_lambda"]
        return tuple(names)

    def __str__(self) -> str:
        return self.spec

    def check(self, adapter=None, path: str = "fast", *, holdout: bool = True) -> list[str]:
        """Problems (empty when fine) running this mitigation with ``adapter`` on ``path``."""
        problems = []
        for s in self.steps:
            if path not in s.paths:
                problems.append(f"mitigation step {s.spec!r} runs on the per-row path only "
                                f"(path='rows'); got path={path!r}.")
        parametric = bool(getattr(adapter, "supports_fast_path", False))
        if adapter is not None and not parametric:
            for s in (self.accumulation, self.estimator):
                if s is not None and not isinstance(s, Ridge):
                    problems.append(f"mitigation step {s.spec!r} works on a parametric model's "
                                    f"statistics; adapter {type(adapter).__name__} has none.")
        if isinstance(self.estimator, Ridge):
            if adapter is not None and getattr(adapter, "name", "") != "linear":
                problems.append(f"`{self.estimator.spec}` needs the linear regression adapter; "
                                f"got {type(adapter).__name__}.")
            if self.estimator.lam is None and not holdout:
                problems.append("`ridge:auto` chooses λ on held-out real rows: set holdout > 0.")
        return problems

    # -- sizes ------------------------------------------------------------------------------
    def rows(self, sizes, workflow=None) -> tuple[np.ndarray, np.ndarray]:
        """(synthetic rows, real rows) of generations 1..T for a schedule of sizes n_t.

        With a source, n_t is the whole generation; without one, ``workflow.real_rows`` adds
        the workflow's real rows (``mix``) to the n_t synthetic rows.
        """
        sizes = np.asarray(sizes, dtype=np.int64)
        if self.source is not None:
            return self.source.split(sizes)
        real = workflow.real_rows(len(sizes)) if workflow is not None else np.zeros_like(sizes)
        return sizes, np.asarray(real, dtype=np.int64)

    # -- fast path --------------------------------------------------------------------------
    def start_fast(self, adapter, stats0, theta0) -> dict:
        """Mutable per-unit state of the fast path (created after generation 0)."""
        state: dict = {}
        if self.accumulation is not None and self.accumulation.scheme == "decontaminated":
            idx = _location_index(adapter.layout_)
            n0 = _count(stats0)
            state["loc_index"] = idx
            state["zsum"] = adapter.theta_vector(theta0)[:, idx] * n0[:, None]
            state["wsum"] = n0.copy()
        return state

    def next_stats(self, adapter, previous, synthetic, real, *, t: int, theta_prev=None,
                   theta0=None, state=None, workflow=None):
        """Training statistics of generation t (``synthetic``/``real`` may be None)."""
        if self.source is None and self.accumulation is None:
            if workflow is None:
                return synthetic if real is None else _combine(adapter, synthetic, real)
            return workflow.next_stats(adapter, previous, synthetic, real)
        batch = _combine(adapter, synthetic, real)
        if self.accumulation is None:
            return batch
        acc = self.accumulation
        if acc.scheme == "decontaminated":
            self._decontaminate(adapter, synthetic, real, theta_prev, state)
        rho, g = acc.weights(t)
        return adapter.combine(_scale_stats(previous, rho), _scale_stats(batch, g))

    def _decontaminate(self, adapter, synthetic, real, theta_prev, state):
        if real is None:  # no fresh rows: nothing new about the location
            return
        idx = state["loc_index"]
        k = _count(real)
        m = _count(synthetic) if synthetic is not None else np.zeros_like(k)
        n = k + m
        batch = _combine(adapter, synthetic, real)
        loc = adapter.theta_vector(adapter.params_from_stats(batch))[:, idx]
        prev = adapter.theta_vector(theta_prev)[:, idx]
        a = (m / n)[:, None]
        z = (loc - a * prev) / (1.0 - a)
        w = n * (k / n) ** 2
        state["zsum"] = state["zsum"] + w[:, None] * z
        state["wsum"] = state["wsum"] + w

    def next_theta(self, adapter, theta_hat, *, t: int, theta0=None, state=None):
        """Generation t's parameters from the estimator's θ̂ (identity without an estimator)."""
        theta = theta_hat
        if self.accumulation is not None and self.accumulation.scheme == "decontaminated":
            vec = adapter.theta_vector(theta)
            idx = state["loc_index"]
            vec[:, idx] = state["zsum"] / state["wsum"][:, None]
            for block in adapter.layout_.categorical:
                b = np.asarray(block.index)
                pb = np.clip(vec[:, b], 0.0, None)
                vec[:, b] = pb / np.maximum(pb.sum(axis=1, keepdims=True), 1e-300)
            theta = adapter.theta_from_vector(vec)
        if isinstance(self.estimator, Shrink):
            theta = self.estimator.blend(adapter, theta, theta0)
        return theta

    # -- per-row path -----------------------------------------------------------------------
    def start_rows(self, model0, train0: pd.DataFrame, *, holdout: pd.DataFrame | None = None) -> RowsState:
        """State of the per-row path after generation 0 (``model0`` fitted on ``train0``)."""
        st = RowsState(model0=model0, holdout=holdout, train_table=train0)
        if getattr(model0, "supports_fast_path", False):
            st.theta0 = model0.theta_
        if self.filter is not None:
            st.filter_ref = self.filter.fit_reference(train0)
        if self.accumulation is not None:
            st.train_stats = table_stats(model0, train0)
            st.fast = self.start_fast(model0, st.train_stats, model0.theta_)
        return st

    def synthetic_rows(self, model, n: int, *, state: RowsState, rng) -> tuple[pd.DataFrame | None, dict]:
        """``n`` synthetic rows from ``model`` (through the filter when there is one)."""
        if n <= 0:
            return None, ({"filter_keep_rate": np.nan, "filter_threshold": np.nan,
                           "filter_candidates": 0.0, "filter_forced": 0.0} if self.filter else {})
        if self.filter is None:
            return model.sample(int(n), rng=rng), {}
        return self.filter.draw_table(state.filter_ref, model, int(n), rng=rng)

    def next_table(self, previous, synthetic, real, *, t: int, workflow=None) -> pd.DataFrame:
        """Training table of generation t (without an accumulation step)."""
        if self.source is None and workflow is not None:
            return workflow.next_table(previous, synthetic, real)
        parts = [x for x in (synthetic, real) if x is not None and len(x)]
        if not parts:
            raise ValidationError(f"generation {t} has no rows (no synthetic and no real rows).")
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)

    def refit(self, model, table, *, state: RowsState, t: int) -> tuple[Any, dict]:
        """Apply the estimator step to a model fitted on ``table``."""
        if isinstance(self.estimator, Shrink):
            new = copy.copy(model)
            new.theta_ = self.estimator.blend(model, model.theta_, state.theta0)
            return new, {}
        if isinstance(self.estimator, Ridge):
            new, lam = self.estimator.refit(model, table, state.holdout)
            return new, {"ridge_lambda": lam}
        return model, {}

    def rows_generation(self, state: RowsState, model, t: int, *, n_synthetic: int, real, fit, rng,
                        workflow=None) -> tuple[Any, pd.DataFrame, dict]:
        """One generation on the per-row path: returns (model, training table, record).

        ``real``: the generation's fresh real rows (a table, or None); ``fit(table)``: fits
        the adapter (the engine's ``_fit``).
        """
        syn, record = self.synthetic_rows(model, n_synthetic, state=state, rng=rng)
        if self.source is not None:
            record["fresh_real_rows"] = float(0 if real is None else len(real))
            record["fresh_synthetic_rows"] = float(0 if syn is None else len(syn))
        if self.accumulation is not None:
            st = state
            stats = self.next_stats(model, st.train_stats, table_stats(model, syn),
                                    table_stats(model, real), t=t, theta_prev=model.theta_,
                                    theta0=st.theta0, state=st.fast)
            st.train_stats = stats
            theta = self.next_theta(model, model.params_from_stats(stats), t=t, theta0=st.theta0,
                                    state=st.fast)
            new = copy.copy(model)
            new.theta_ = theta
            parts = [x for x in (st.train_table, syn, real) if x is not None and len(x)]
            st.train_table = pd.concat(parts, ignore_index=True)
            return new, st.train_table, record
        table = self.next_table(state.train_table, syn, real, t=t, workflow=workflow)
        new = fit(table)
        new, extra = self.refit(new, table, state=state, t=t)
        record.update(extra)
        state.train_table = table
        return new, table, record


# ---------------------------------------------------------------------------------------------
# specs
# ---------------------------------------------------------------------------------------------
def _float(text, what, problems):
    try:
        return float(text)
    except (TypeError, ValueError):
        problems.append(f"{what}: expected a number; got {text!r}.")
        return None


def parse_step(spec) -> Step:
    """One step from its spec (``fresh:0.2``, ``weighted:decay=0.5``, ``shrink:0.1``, …).

    Examples
    --------
    >>> parse_step("fresh:0.5*t^-1")
    FreshShare(share=0.5, decay=1.0)
    >>> parse_step("filter:pca:q=0.1,k=2").components
    2
    """
    if isinstance(spec, Step):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ValidationError(f"a mitigation spec must be a non-empty string; got {spec!r}.")
    text = spec.strip().lower()
    key, _, rest = text.partition(":")
    problems: list[str] = []
    if key == "fresh":
        if not rest:
            raise ValidationError(f"{spec!r}: give the fresh share, e.g. 'fresh:0.2' or "
                                  "'fresh:0.5*t^-1'.")
        a, star, b = rest.partition("*t^")
        share = _float(a, f"{spec!r} share", problems)
        power = _float(b, f"{spec!r} power of t", problems) if star else 0.0
        collect(problems)
        return FreshShare(share, -power if power else 0.0)
    if key == "weighted":
        scheme, _, value = rest.partition("=")
        if not scheme:
            problems.append(f"{spec!r}: give a scheme, e.g. 'weighted:uniform' or "
                            "'weighted:decay=0.5'.")
        collect(problems)
        return Weighted(scheme, _float(value, f"{spec!r}", problems) if value else None)
    if key == "shrink":
        if not rest:
            raise ValidationError(f"{spec!r}: give the pull toward generation 0, e.g. 'shrink:0.1'.")
        value = _float(rest, f"{spec!r}", problems)
        collect(problems)
        return Shrink(value)
    if key == "ridge":
        if rest in ("", "auto"):
            return Ridge()
        value = _float(rest, f"{spec!r}", problems)
        collect(problems)
        return Ridge(value)
    if key == "filter":
        method, _, opts = rest.partition(":")
        kw: dict = {}
        for item in filter(None, opts.split(",")):
            name, _, value = item.partition("=")
            if name == "q":
                kw["q"] = _float(value, f"{spec!r} q", problems)
            elif name == "k":
                v = _float(value, f"{spec!r} k", problems)
                kw["components"] = int(v) if v is not None and v == int(v) else v
            else:
                problems.append(f"{spec!r}: unknown filter option {name!r}; use q= and (pca) k=.")
        collect(problems)
        return Filter(method, **kw)
    raise ValidationError(
        f"unknown mitigation {spec!r}; use fresh:α, fresh:c*t^-β, weighted:uniform|decay=ρ|"
        "power=β|decontaminated, shrink:c, filter:likelihood|classifier|pca:q=…, ridge:auto|λ."
    )


def parse(spec) -> Mitigation:
    """A :class:`Mitigation` from a spec (steps joined by ``+``), a step, or a list of them.

    Every problem in every step is reported at once.

    Examples
    --------
    >>> parse("fresh:0.3+weighted:decontaminated").spec
    'fresh:0.3+weighted:decontaminated'
    >>> parse(None).spec
    'none'
    """
    if spec is None:
        return Mitigation()
    if isinstance(spec, Mitigation):
        return spec
    if isinstance(spec, Step):
        return Mitigation.of(spec)
    parts = spec.split("+") if isinstance(spec, str) else list(spec)
    steps, problems = [], []
    for part in parts:
        try:
            steps.append(parse_step(part))
        except ValidationError as err:
            problems.extend(err.problems)
    collect(problems)
    return Mitigation.of(*steps)
