"""A small vectorised simulator of mitigated loops, on the engine's fast path pattern.

Until the engine calls :class:`~synthaudit.mitigations.steps.Mitigation` itself, this is how the
docs script and notebook 05 audit a mitigation on a real table. It runs the *same* step objects
the engine will run (``rows`` → ``start_fast`` → ``next_stats`` → ``next_theta``) on the
Gaussian and categorical adapters' sufficient statistics, vectorised over replication lanes.
Filter steps need rows: for a Gaussian model the synthetic candidates are drawn as rows (lanes ×
rows, still vectorised) and scored by :mod:`~synthaudit.mitigations.filters`.

Real rows come from the table itself (``truth=False``, the default: generation 0 and every
generation's fresh rows are drawn without replacement from the table, as the engine draws from
its pool; the reference parameters are the whole table's fit) or from the table's fitted model
(``truth=True``: the model is then the known truth, which is what the exact theory assumes).

:func:`simulate_regression` does the same for recursive linear regression (OLS, accumulation,
ridge with λ tuned on held-out real rows) on a fixed design drawn from the table.

Examples
--------
>>> import synthaudit as sa
>>> df = sa.datasets.load("penguins", dropna=True)
>>> run = simulate("fresh:0.2", df, columns=["bill_length_mm"], n0=40, n_generations=30,
...                n_replications=200, seed=0)
>>> run.theta.shape, run.real_rows[:3].tolist()
((200, 31, 2), [8, 8, 8])
>>> bool(run.variance_ratio()[:, -1].mean() > 0.8)             # no collapse with α = 0.2
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _random
from ..exceptions import ValidationError, collect
from . import filters as _filters
from .steps import Mitigation, parse, ridge_choose, ridge_solve

__all__ = ["MitigationRun", "RegressionRun", "simulate", "simulate_regression"]

FAMILIES = ("gaussian", "categorical")


@dataclass(frozen=True)
class MitigationRun:
    """Parameters of every lane and generation of a simulated mitigated loop.

    Attributes
    ----------
    theta : ndarray (R, T + 1, P)
        θ vectors in ``names`` order (the adapter's layout).
    truth : ndarray (P,)
        Reference parameters (the table's fit, or the known truth).
    records : dict of ndarray (R, T)
        Per-generation records of the steps (``filter_keep_rate``, …).
    tails : dict or None
        Gaussian: the 1 %/99 % quantiles per column (``lo``, ``hi``), the reference mass beyond
        each (``mass_lo``, ``mass_hi``) and where they come from (``kind``: "model" or "table").
    """

    spec: str
    family: str
    names: tuple[str, ...]
    layout: object
    theta: np.ndarray
    truth: np.ndarray
    n0: int
    sizes: np.ndarray
    synthetic_rows: np.ndarray
    real_rows: np.ndarray
    records: dict = field(default_factory=dict)
    tails: dict | None = None

    @property
    def n_generations(self) -> int:
        return self.theta.shape[1] - 1

    # -- read-outs ---------------------------------------------------------------------------
    def _gauss(self):
        lay = self.layout
        mi = np.asarray(lay.mean_index)
        vi = np.asarray(lay.cov_index)[np.arange(len(mi)), np.arange(len(mi))]
        return mi, vi

    def standardized_error(self) -> np.ndarray:
        """Squared parameter error per lane and generation (R, T + 1), unit-free.

        Gaussian: ``Σ_c ((μ_c − μ*_c)/σ*_c)² + (σ²_c/σ*²_c − 1)²``; categorical:
        ``‖p − p*‖²`` summed over blocks.
        """
        if self.family == "gaussian":
            mi, vi = self._gauss()
            sd = np.sqrt(self.truth[vi])
            dm = (self.theta[..., mi] - self.truth[mi]) / sd
            dv = self.theta[..., vi] / self.truth[vi] - 1.0
            return (dm**2).sum(-1) + (dv**2).sum(-1)
        return ((self.theta - self.truth) ** 2).sum(-1)

    def variance_ratio(self) -> np.ndarray:
        """Gaussian: σ²_t/σ*² averaged over columns, (R, T + 1) — collapse drives it to 0."""
        if self.family != "gaussian":
            raise ValidationError("variance_ratio is for the Gaussian family.")
        _, vi = self._gauss()
        return (self.theta[..., vi] / self.truth[vi]).mean(-1)

    def tail_coverage(self) -> np.ndarray:
        """Gaussian: share of the reference tail mass beyond the 1 %/99 % quantiles that the
        model still covers, each side capped at its reference mass (R, T + 1), averaged over
        columns (1: intact; 0: gone) — :func:`~synthaudit.mitigations.theory.gaussian_tail_coverage`."""
        if self.family != "gaussian" or self.tails is None:
            raise ValidationError("tail_coverage is for the Gaussian family.")
        from .theory import gaussian_tail_coverage

        mi, vi = self._gauss()
        mu = self.theta[..., mi]
        sd = np.sqrt(np.clip(self.theta[..., vi], 0.0, None))
        tl = self.tails
        return gaussian_tail_coverage(mu, sd, tl["lo"], tl["hi"], tl["mass_lo"], tl["mass_hi"]).mean(-1)

    def levels_lost(self, rare: float | None = None) -> np.ndarray:
        """Categorical: number of levels with zero probability (R, T + 1); with ``rare``, only
        levels whose reference share is below it."""
        if self.family != "categorical":
            raise ValidationError("levels_lost is for the categorical family.")
        mask = self.truth > 0 if rare is None else (self.truth > 0) & (self.truth < rare)
        return (self.theta[..., mask] <= 0).sum(-1)

    def summary(self, generations=None) -> pd.DataFrame:
        """Per-generation means across lanes: risk ratio, improvement, collapse read-outs, records."""
        T = self.n_generations
        gens = np.arange(T + 1) if generations is None else np.asarray(generations)
        err = self.standardized_error()
        out = {
            "generation": gens,
            "risk": err.mean(0)[gens],
            "risk_ratio": (err.mean(0) / err[:, 0].mean())[gens],
            "improvement": (err < err[:, :1]).mean(0)[gens],
        }
        if self.family == "gaussian":
            vr = self.variance_ratio()
            out["variance_ratio_median"] = np.median(vr, axis=0)[gens]
            out["variance_bias"] = (vr.mean(0) - 1.0)[gens]
            out["tail_coverage_median"] = np.median(self.tail_coverage(), axis=0)[gens]
        else:
            out["levels_lost"] = self.levels_lost().mean(0)[gens]
        rows = np.concatenate([[self.n0], self.real_rows])
        out["real_rows_cumulative"] = np.cumsum(rows)[gens]
        out["synthetic_rows_cumulative"] = np.cumsum(np.concatenate([[0], self.synthetic_rows]))[gens]
        for name, val in self.records.items():
            full = np.concatenate([np.full((val.shape[0], 1), np.nan), val], axis=1)
            ok = np.isfinite(full)
            mean = np.where(ok.any(0), np.where(ok, full, 0.0).sum(0) / np.maximum(ok.sum(0), 1), np.nan)
            out[name] = mean[gens]
        return pd.DataFrame(out)


def _subsets(rng, L: int, N: int, m: int) -> np.ndarray:
    keys = rng.random((L, N))
    if m < N:
        return np.argpartition(keys, m - 1, axis=1)[:, :m]
    return np.argsort(keys, axis=1)


def _sqrt_psd(cov):
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        return v * np.sqrt(np.clip(w, 0.0, None))[..., None, :]


def _gauss_rows(theta, k, rng):
    mean, cov = theta["mean"], theta["cov"]
    F = _sqrt_psd(cov)
    Z = rng.standard_normal((mean.shape[0], k, mean.shape[1]))
    return mean[:, None, :] + Z @ np.swapaxes(F, -1, -2)


def _sizes(sizes, n_generations, n0, problems):
    if sizes is None:
        sizes = n0
    if isinstance(sizes, str):
        from .. import schedules

        try:
            return schedules.parse(sizes).sizes(n_generations)
        except ValidationError as err:
            problems.extend(err.problems)
            return None
    arr = np.atleast_1d(np.asarray(sizes))
    if arr.size == 1:
        arr = np.full(n_generations, int(arr[0]))
    if arr.shape != (n_generations,) or np.any(arr < 2) or np.any(arr != np.round(arr)):
        problems.append(f"`sizes` must be an int ≥ 2, a schedule spec, or {n_generations} ints ≥ 2; "
                        f"got {sizes!r}.")
        return None
    return arr.astype(np.int64)


def simulate(mitigation, data: pd.DataFrame, *, family: str = "gaussian", columns=None, n0: int = 50,
             sizes=None, n_generations: int = 50, n_replications: int = 500, truth: bool = False,
             estimator: str = "unbiased", tails: str = "model", seed: int = 0) -> MitigationRun:
    """Simulate a mitigated loop on a real table (see the module docstring).

    Parameters
    ----------
    mitigation : str, Step or Mitigation
        e.g. ``"fresh:0.2"``, ``"shrink:0.1"``, ``"filter:likelihood:q=0.05"``, or ``None``
        (the plain replace loop).
    data : DataFrame
        The real table.
    family : {"gaussian", "categorical"}
        Model of ``columns``: a (multivariate) Gaussian or independent multinomials.
    n0 : int
        Real rows of generation 0.
    sizes : int, schedule spec or sequence, optional
        n_t (the whole generation: with ``fresh``, real + synthetic); default n0 every generation.
    truth : bool
        Draw real rows from the table's fitted model (known truth) instead of the table.
    tails : {"model", "table"}
        Where the 1 %/99 % tail quantiles of :meth:`MitigationRun.tail_coverage` come from: the
        reference fit (generation 0 then covers ≈ 1 of it; the default) or the raw table (a
        Gaussian fit of a non-Gaussian table over- or under-covers from generation 0 on).

    Returns
    -------
    MitigationRun
    """
    from ..adapters import CategoricalAdapter, GaussianAdapter

    problems: list[str] = []
    try:
        mit: Mitigation = parse(mitigation)
    except ValidationError as err:
        problems.extend(err.problems)
        mit = Mitigation()
    if family not in FAMILIES:
        problems.append(f"`family` must be one of {list(FAMILIES)}; got {family!r}.")
    for name, v, lo in (("n0", n0, 2), ("n_generations", n_generations, 1),
                        ("n_replications", n_replications, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            problems.append(f"`{name}` must be an integer ≥ {lo}; got {v!r}.")
    if not isinstance(data, pd.DataFrame):
        problems.append(f"`data` must be a pandas DataFrame; got {type(data).__name__}.")
    if mit.estimator is not None and "fast" not in mit.estimator.paths:
        problems.append(f"{mit.estimator.spec!r} is for regression: use simulate_regression.")
    if tails not in ("model", "table"):
        problems.append(f"`tails` must be 'model' or 'table'; got {tails!r}.")
    if mit.filter is not None and family != "gaussian":
        problems.append("filters score numeric rows: use family='gaussian'.")
    collect(problems)
    n_sizes = _sizes(sizes, n_generations, n0, problems)
    if not truth and n0 > len(data):
        problems.append(f"`n0` ({n0}) exceeds the table's {len(data)} rows.")
    collect(problems)
    cols = list(columns) if columns is not None else None
    if family == "gaussian":
        if cols is None:
            cols = [c for c in data.columns if pd.api.types.is_float_dtype(data[c])]
        ad = GaussianAdapter(columns=cols, estimator=estimator).fit(data)
    else:
        if cols is None:
            cols = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
        ad = CategoricalAdapter(columns=cols).fit(data)
    syn_rows, real_rows = mit.rows(n_sizes)
    if not truth and real_rows.max(initial=0) > len(data):
        collect([f"a generation asks for {int(real_rows.max())} fresh real rows; the table has "
                 f"{len(data)}."])
    rng = _random.generator(_random.as_root(seed), "user", 14)
    L, T = int(n_replications), int(n_generations)
    enc = ad.encode(data)
    N = len(enc)
    truth_theta = {k: np.repeat(v, L, axis=0) for k, v in ad.theta_.items()}
    ref_vec = ad.theta_vector(ad.theta_)[0]

    def real_rows_of(k):
        if truth:
            if family == "gaussian":
                return _gauss_rows(truth_theta, k, rng)
            return None
        return enc[_subsets(rng, L, N, k)]

    def real_stats(k):
        if k == 0:
            return None
        if truth and family == "categorical":
            return ad.simulate_sufficient(truth_theta, k, rng=rng)
        return ad.stats_from_encoded(real_rows_of(k))

    # generation 0
    X0 = None
    if mit.filter is not None or not (truth and family == "categorical"):
        X0 = real_rows_of(n0)
        stats = ad.stats_from_encoded(X0)
    else:
        stats = ad.simulate_sufficient(truth_theta, n0, rng=rng)
    theta = ad.params_from_stats(stats)
    theta0 = theta
    out = np.empty((L, T + 1, len(ref_vec)))
    out[:, 0] = ad.theta_vector(theta)
    state = mit.start_fast(ad, stats, theta0)
    ref = mit.filter.fit_reference(X0) if mit.filter is not None else None
    rec_names = [r for r in mit.record_names if r.startswith("filter_")]
    records = {r: np.full((L, T), np.nan) for r in rec_names}
    train = stats
    for t in range(1, T + 1):
        m, k = int(syn_rows[t - 1]), int(real_rows[t - 1])
        syn = None
        if m:
            if ref is not None:
                got = _filters.draw_filtered(ref, lambda B, th=theta: _gauss_rows(th, B, rng), m,
                                             rng=rng, max_rounds=mit.filter.max_rounds)
                syn = ad.stats_from_encoded(got.rows)
                records["filter_keep_rate"][:, t - 1] = got.keep_rate
                records["filter_threshold"][:, t - 1] = got.threshold
                records["filter_candidates"][:, t - 1] = got.candidates
                records["filter_forced"][:, t - 1] = got.forced
            else:
                syn = ad.simulate_sufficient(theta, m, rng=rng)
        real = real_stats(k)
        train = mit.next_stats(ad, train, syn, real, t=t, theta_prev=theta, theta0=theta0, state=state)
        theta = mit.next_theta(ad, ad.params_from_stats(train), t=t, theta0=theta0, state=state)
        out[:, t] = ad.theta_vector(theta)
    tail_info = None
    if family == "gaussian":
        from scipy import stats

        mu, sd = ad.theta_["mean"][0], np.sqrt(np.diagonal(ad.theta_["cov"][0]))
        if tails == "model":
            z = stats.norm.ppf(0.99)
            lo, hi = mu - z * sd, mu + z * sd
            mass_lo = mass_hi = np.full(len(mu), 0.01)
        else:
            vals = data[cols].to_numpy(dtype=float)
            lo, hi = np.quantile(vals, 0.01, axis=0), np.quantile(vals, 0.99, axis=0)
            mass_lo, mass_hi = (vals < lo).mean(axis=0), (vals > hi).mean(axis=0)
        tail_info = {"lo": lo, "hi": hi, "mass_lo": mass_lo, "mass_hi": mass_hi, "kind": tails}
    return MitigationRun(mit.spec, family, tuple(ad.layout_.names), ad.layout_, out, ref_vec, int(n0),
                         n_sizes, syn_rows, real_rows, records, tail_info)


# ---------------------------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegressionRun:
    """Test error of recursive linear regression per lane and generation.

    ``test_mse`` (R, T + 1): mean squared error on held-out real rows never used for fitting or
    tuning; ``lambdas`` (R, T + 1): the λ used (0 for OLS); ``beta`` (R, T + 1, f).
    """

    label: str
    test_mse: np.ndarray
    lambdas: np.ndarray
    beta: np.ndarray
    noise_var: np.ndarray

    def excess(self) -> np.ndarray:
        """Test error minus generation 0's, per lane (R, T + 1)."""
        return self.test_mse - self.test_mse[:, :1]


def simulate_regression(X, y, *, n0: int, n_generations: int, n_replications: int,
                        workflow: str = "replace", ridge=None, holdout: float = 0.3,
                        seed: int = 0) -> RegressionRun:
    """Recursive linear regression on a fixed design drawn from a real table.

    Rows are split once (seeded) into a pool and a holdout; the holdout is split in halves, one
    to tune λ (``ridge="auto"``) and one to measure the test error. Each lane draws ``n0`` pool
    rows as its design ``X`` (kept by every generation: Dohmatob et al.'s and Gerstgrasser et
    al.'s fixed design). Generation 0 fits on the real labels; generation t on labels
    ``Xβ_{t−1} + N(0, σ̂²_0)`` (noise fixed at generation 0's residual variance, as their fixed
    σ0). ``workflow="accumulate"`` fits on every label vector so far (= the mean label on the
    same design). ``ridge``: None (OLS), a λ, or ``"auto"`` (λ per generation on the tuning rows;
    λ is relative, see :func:`~synthaudit.mitigations.steps.ridge_solve`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((600, 5)); y = X @ np.ones(5) + rng.standard_normal(600)
    >>> ols = simulate_regression(X, y, n0=20, n_generations=10, n_replications=200)
    >>> rid = simulate_regression(X, y, n0=20, n_generations=10, n_replications=200, ridge="auto")
    >>> bool(rid.test_mse[:, -1].mean() < ols.test_mse[:, -1].mean())
    True
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    problems = []
    if X.ndim != 2 or y.shape != (X.shape[0],):
        problems.append(f"`X` must be (N, d) and `y` (N,); got {X.shape} and {y.shape}.")
    if workflow not in ("replace", "accumulate"):
        problems.append(f"`workflow` must be 'replace' or 'accumulate'; got {workflow!r}.")
    if not (ridge is None or ridge == "auto" or (isinstance(ridge, (int, float)) and ridge >= 0)):
        problems.append(f"`ridge` must be None, 'auto' or a number ≥ 0; got {ridge!r}.")
    if not 0 < holdout < 1:
        problems.append(f"`holdout` must be in (0, 1); got {holdout!r}.")
    collect(problems)
    rng = _random.generator(_random.as_root(seed), "user", 15)
    N, d = X.shape
    perm = rng.permutation(N)
    n_hold = max(4, int(round(holdout * N)))
    hold, pool = perm[:n_hold], perm[n_hold:]
    tune, test = hold[: n_hold // 2], hold[n_hold // 2:]
    if n0 > len(pool) or n0 < d + 3:
        collect([f"`n0` must be in [d + 3, pool rows] = [{d + 3}, {len(pool)}]; got {n0}."])
    design = lambda A: np.concatenate([np.ones(A.shape[:-1] + (1,)), A], axis=-1)  # noqa: E731
    L, T = int(n_replications), int(n_generations)
    idx = pool[_subsets(rng, L, len(pool), n0)]
    Xd = design(X[idx])  # (L, n0, f)
    y0 = y[idx]
    Xt, yt = design(X[tune])[None].repeat(L, 0), np.broadcast_to(y[tune], (L, len(tune)))
    Xs, ys = design(X[test]), y[test]

    def fit(labels):
        if ridge is None:
            return np.zeros(L), ridge_solve(Xd, labels, 0.0)
        if ridge == "auto":
            return ridge_choose(Xd, labels, Xt, yt)
        return np.full(L, float(ridge)), ridge_solve(Xd, labels, float(ridge))

    lam, beta = fit(y0)
    ols0 = ridge_solve(Xd, y0, 0.0)
    resid = y0 - np.einsum("lnf,lf->ln", Xd, ols0)
    noise = (resid**2).sum(1) / (n0 - Xd.shape[2])
    lams = np.empty((L, T + 1))
    betas = np.empty((L, T + 1, Xd.shape[2]))
    lams[:, 0], betas[:, 0] = lam, beta
    label_sum = y0.copy()
    for t in range(1, T + 1):
        labels = np.einsum("lnf,lf->ln", Xd, beta) + np.sqrt(noise)[:, None] * rng.standard_normal((L, n0))
        if workflow == "accumulate":
            label_sum = label_sum + labels
            labels = label_sum / (t + 1)
        lam, beta = fit(labels)
        lams[:, t], betas[:, t] = lam, beta
    pred = np.einsum("nf,ltf->ltn", Xs, betas)
    mse = ((pred - ys) ** 2).mean(-1)
    label = workflow + ("" if ridge is None else f"+ridge:{ridge}")
    return RegressionRun(label, mse, lams, betas, noise)
