"""Scoring synthetic rows against real ones, batched over replication lanes (pure numpy/scipy).

Three scores, each calibrated on *real* rows so that a filter with share ``q`` would reject a
share ``q`` of real rows (the threshold is recorded with the keep rate):

``likelihood``   squared Mahalanobis distance to generation 0's Gaussian fit; threshold
                 ``χ²_p(1 − q)`` (exact for Gaussian rows: a share q of generation 0's own rows
                 lie beyond it)
``classifier``   P(synthetic | x) from a logistic real-vs-synthetic classifier on standardised
                 features and their squares (so it sees a shrunken or inflated spread, not only
                 a shifted mean); threshold: the (1 − q) quantile of the real rows' scores
``pca``          distance to the nearest real row in the first ``k`` principal components of
                 the standardised real rows; threshold: the (1 − q) quantile of the real rows'
                 leave-one-out nearest-neighbour distances

Arrays: real rows ``(L, n, p)``, candidates ``(L, m, p)``, scores ``(L, m)``; larger score =
less realistic. :func:`draw_filtered` draws candidates in rounds until every lane has ``n``
kept rows (rejection sampling), and records keep rate, threshold and candidates drawn.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> real = rng.standard_normal((1, 5000, 2))
>>> ref = fit_reference("likelihood", real, q=0.05)
>>> round(float(ref.threshold[0]), 3)                        # √χ²_2(0.95)
2.448
>>> keep = score(ref, rng.standard_normal((1, 20_000, 2)), rng=rng) <= ref.threshold[:, None]
>>> round(float(keep.mean()), 2)
0.95
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..exceptions import ValidationError

__all__ = ["METHODS", "FilterReference", "Filtered", "draw_filtered", "fit_reference", "score"]

METHODS = ("likelihood", "classifier", "pca")


@dataclass
class FilterReference:
    """What a filter learned from generation 0's real rows (per lane)."""

    method: str
    q: float
    real: np.ndarray  # (L, n, p)
    center: np.ndarray  # (L, p)
    scale: np.ndarray  # (L, p)
    threshold: np.ndarray  # (L,) — for the classifier: set per generation by :func:`score`
    extra: dict = field(default_factory=dict)


@dataclass
class Filtered:
    """Rows kept by a filter, with what it cost."""

    rows: np.ndarray  # (L, n, p)
    keep_rate: np.ndarray  # (L,) kept / candidates examined
    threshold: np.ndarray  # (L,)
    candidates: np.ndarray  # (L,) candidates examined
    forced: np.ndarray  # (L,) rows taken beyond the threshold when max_rounds ran out


def _sqrt_psd(cov):
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        return v * np.sqrt(np.clip(w, 0.0, None))[..., None, :]


def _pinv_psd(cov):
    w, v = np.linalg.eigh(cov)
    tol = w.max(axis=-1, keepdims=True) * 1e-12
    inv = np.where(w > tol, 1.0 / np.where(w > tol, w, 1.0), 0.0)
    return (v * inv[..., None, :]) @ np.swapaxes(v, -1, -2)


def fit_reference(method: str, real, *, q: float = 0.05, components: int | None = None) -> FilterReference:
    """Learn a filter's reference from real rows ``(L, n, p)`` (or ``(n, p)``).

    Examples
    --------
    >>> z = np.random.default_rng(1).standard_normal((300, 1))
    >>> rows = np.hstack([z, z + 0.1 * np.random.default_rng(2).standard_normal((300, 2))])
    >>> ref = fit_reference("pca", rows, q=0.1)     # three correlated columns: one component
    >>> ref.extra["components"], ref.threshold.shape
    (1, (1,))
    """
    problems = []
    if method not in METHODS:
        problems.append(f"filter method must be one of {list(METHODS)}; got {method!r}.")
    if not isinstance(q, (int, float, np.floating)) or isinstance(q, bool) or not 0 < q < 1:
        problems.append(f"`q` (share of real rows the filter would reject) must be in (0, 1); got {q!r}.")
    real = np.asarray(real, dtype=float)
    if real.ndim == 2:
        real = real[None]
    if real.ndim != 3 or real.shape[1] < 3 or real.shape[2] < 1:
        problems.append(f"real rows must have shape (lanes, n ≥ 3, p ≥ 1); got {real.shape}.")
    if problems:
        raise ValidationError(problems)
    L, n, p = real.shape
    center = real.mean(axis=1)
    scale = real.std(axis=1, ddof=1)
    scale = np.where(scale > 0, scale, 1.0)
    ref = FilterReference(method, float(q), real, center, scale, np.full(L, np.nan))
    if method == "likelihood":
        D = real - center[:, None, :]
        cov = np.einsum("lni,lnj->lij", D, D) / (n - 1)
        ref.extra["precision"] = _pinv_psd(cov)
        ref.threshold = np.full(L, np.sqrt(stats.chi2.ppf(1.0 - q, p)))
    elif method == "pca":
        Zs = (real - center[:, None, :]) / scale[:, None, :]
        _, sv, vt = np.linalg.svd(Zs, full_matrices=False)
        if components is None:
            share = np.cumsum(sv**2, axis=1) / np.sum(sv**2, axis=1, keepdims=True)
            k = int(max(1, min(p, np.max(np.argmax(share >= 0.8, axis=1)) + 1)))
        else:
            k = int(components)
            if not 1 <= k <= p:
                raise ValidationError(f"`components` must be in [1, {p}] (numeric columns); got {k}.")
        basis = np.swapaxes(vt[:, :k, :], -1, -2)  # (L, p, k)
        emb = Zs @ basis  # (L, n, k)
        d = _pairwise(emb, emb)
        idx = np.arange(n)
        d[:, idx, idx] = np.inf
        loo = np.sqrt(d.min(axis=2))
        ref.extra.update(components=k, basis=basis, embedded=emb)
        ref.threshold = np.quantile(loo, 1.0 - q, axis=1)
    return ref


def _pairwise(a, b):
    """Squared Euclidean distances (L, m, n) between rows of a (L, m, k) and b (L, n, k)."""
    d = (np.einsum("lmk,lmk->lm", a, a)[:, :, None] + np.einsum("lnk,lnk->ln", b, b)[:, None, :]
         - 2.0 * a @ np.swapaxes(b, -1, -2))
    return np.clip(d, 0.0, None)


def _quad_features(X, center, scale):
    Z = (X - center[:, None, :]) / scale[:, None, :]
    ones = np.ones(Z.shape[:2] + (1,))
    return np.concatenate([ones, Z, Z**2], axis=2)


def fit_logistic_lanes(F, y, *, ridge: float = 1e-3, max_iter: int = 25) -> np.ndarray:
    """Logistic regression per lane by Newton–Raphson: F (L, m, f), y (L, m) → β (L, f).

    A small ridge (``ridge·m`` on every coefficient but the intercept) keeps separable lanes
    finite — a collapsed generation is often perfectly separable from real rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((1, 4000))
    >>> y = (rng.random((1, 4000)) < 1 / (1 + np.exp(-(0.5 + x)))).astype(float)
    >>> F = np.stack([np.ones_like(x), x], axis=2)
    >>> np.round(fit_logistic_lanes(F, y, ridge=0.0), 1).tolist()
    [[0.5, 1.0]]
    """
    L, m, f = F.shape
    beta = np.zeros((L, f))
    pen = np.full(f, ridge * m)
    pen[0] = 0.0
    Ft = np.swapaxes(F, 1, 2)
    for _ in range(max_iter):
        eta = (F @ beta[..., None])[..., 0]
        mu = 0.5 * (1.0 + np.tanh(0.5 * eta))
        w = np.clip(mu * (1 - mu), 1e-10, None)
        grad = (Ft @ (y - mu)[..., None])[..., 0] - pen * beta
        H = (Ft * w[:, None, :]) @ F + np.diag(pen)
        step = np.linalg.solve(H, grad[..., None])[..., 0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-7:
            break
    return beta


def score(ref: FilterReference, candidates, *, rng=None, calibrate: bool = True) -> np.ndarray:
    """Unrealism scores (L, m) of candidate rows (larger = less realistic).

    For the classifier this fits the classifier (real rows vs these candidates) and, with
    ``calibrate``, sets ``ref.threshold`` from the real rows' scores.
    """
    X = np.asarray(candidates, dtype=float)
    if X.ndim == 2:
        X = X[None]
    if ref.method == "likelihood":
        D = X - ref.center[:, None, :]
        return np.sqrt(np.clip(np.einsum("lmi,lij,lmj->lm", D, ref.extra["precision"], D), 0, None))
    if ref.method == "pca":
        Z = (X - ref.center[:, None, :]) / ref.scale[:, None, :]
        emb = Z @ ref.extra["basis"]
        return np.sqrt(_pairwise(emb, ref.extra["embedded"]).min(axis=2))
    # classifier: real rows (label 0) vs candidates (label 1), at most as many candidates as real
    real = ref.real
    n = real.shape[1]
    fit_c = X[:, : max(n, 1), :]
    F = np.concatenate([_quad_features(real, ref.center, ref.scale),
                        _quad_features(fit_c, ref.center, ref.scale)], axis=1)
    y = np.concatenate([np.zeros(real.shape[:2]), np.ones(fit_c.shape[:2])], axis=1)
    beta = fit_logistic_lanes(F, y)
    ref.extra["beta"] = beta
    if calibrate:
        real_eta = np.einsum("lmf,lf->lm", _quad_features(real, ref.center, ref.scale), beta)
        ref.threshold = np.quantile(real_eta, 1.0 - ref.q, axis=1)
    return np.einsum("lmf,lf->lm", _quad_features(X, ref.center, ref.scale), beta)


def draw_filtered(ref: FilterReference, sampler, n: int, *, rng=None, max_rounds: int = 50) -> Filtered:
    """Draw candidates with ``sampler(k) -> (L, k, p)`` until each lane keeps ``n`` rows.

    Sequential semantics: a lane's keep rate is ``n / (index of its n-th kept candidate + 1)``.
    A classifier is fitted on the first round's candidates and then kept. If a lane has not
    filled after ``max_rounds`` rounds, its least unrealistic remaining candidates of the last
    round fill it (counted in ``forced``).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> ref = fit_reference("likelihood", rng.standard_normal((4, 200, 1)), q=0.2)
    >>> out = draw_filtered(ref, lambda k: rng.standard_normal((4, k, 1)), 100, rng=rng)
    >>> out.rows.shape, bool(np.all(np.abs(out.keep_rate - 0.8) < 0.1))
    ((4, 100, 1), True)
    """
    L = ref.real.shape[0]
    p = ref.real.shape[2]
    kept = np.empty((L, n, p))
    have = np.zeros(L, dtype=np.int64)
    examined = np.zeros(L, dtype=np.int64)
    forced = np.zeros(L, dtype=np.int64)
    rate = 1.0
    first = True
    for r in range(max_rounds):
        need = n - have
        if not need.any():
            break
        B = int(min(max(np.ceil(1.25 * need.max() / max(rate, 1e-3)) + 8, 16), 50 * n + 64))
        cand = np.asarray(sampler(B), dtype=float)
        s = score(ref, cand, rng=rng, calibrate=first) if (first or ref.method != "classifier") \
            else _classifier_score(ref, cand)
        first = False
        ok = s <= ref.threshold[:, None]
        rank = np.cumsum(ok, axis=1)
        take = ok & (rank <= need[:, None])
        lane, pos = np.nonzero(take)
        slot = have[lane] + rank[lane, pos] - 1
        kept[lane, slot] = cand[lane, pos]
        got = take.sum(axis=1)
        done = (have + got) >= n
        # examined: up to the n-th kept candidate for lanes that filled, the whole round otherwise
        last = np.where(take.any(axis=1), B - 1 - np.argmax(take[:, ::-1], axis=1), -1)
        examined += np.where(done & (need > 0), last + 1, np.where(need > 0, B, 0))
        have += got
        rate = max(float(ok.mean()), 1e-3)
        if r == max_rounds - 1 and (have < n).any():
            for lane_i in np.flatnonzero(have < n):
                order = np.argsort(np.where(take[lane_i], np.inf, s[lane_i]))
                fill = n - have[lane_i]
                kept[lane_i, have[lane_i]:] = cand[lane_i, order[:fill]]
                forced[lane_i] = fill
                have[lane_i] = n
    return Filtered(kept, n / np.maximum(examined, 1), ref.threshold.copy(), examined, forced)


def _classifier_score(ref, X):
    return np.einsum("lmf,lf->lm", _quad_features(X, ref.center, ref.scale), ref.extra["beta"])
