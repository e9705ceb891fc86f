"""The fast exact path (docs/design.md §6): sufficient statistics drawn directly, vectorised
over replication lanes, for parametric adapters.

A fast unit is a run of whole blocks of ``FAST_BLOCK`` replications; each block draws from its
own generator (``_random.generator(root, "fast", block)``). :class:`LaneRNG` hands the adapter
one generator-like object for the whole unit and splits every draw by block, so a replication's
numbers never depend on how many replications were asked for nor on how the work was split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import _random

if TYPE_CHECKING:
    from .plan import AuditPlan

__all__ = ["LaneRNG", "compute_fast"]


class LaneRNG:
    """Looks like a Generator to an adapter; splits every draw's leading (lane) axis by block.

    Each block's generator sees exactly the calls it would see if its block ran alone, so a
    unit of several blocks draws the same numbers as the blocks one by one.

    Examples
    --------
    >>> from synthaudit import _random
    >>> root = _random.as_root(0)
    >>> two = LaneRNG([_random.generator(root, "fast", b) for b in (0, 1)], 3)
    >>> one = LaneRNG([_random.generator(root, "fast", 1)], 3)
    >>> bool((two.standard_normal((6, 2))[3:] == one.standard_normal((3, 2))).all())
    True
    """

    def __init__(self, gens: list[np.random.Generator], block: int):
        self.gens, self.block = gens, block

    def _split(self, *arrays):
        for i, g in enumerate(self.gens):
            sl = slice(i * self.block, (i + 1) * self.block)
            yield g, [a[sl] if isinstance(a, np.ndarray) and a.ndim else a for a in arrays]

    def _cat(self, fn, *arrays):
        return np.concatenate([fn(g, *parts) for g, parts in self._split(*arrays)], axis=0)

    def standard_normal(self, size):
        size = (size,) if np.isscalar(size) else tuple(size)
        return self._cat(lambda g: g.standard_normal((self.block,) + size[1:]))

    def chisquare(self, df):
        df = np.asarray(df)
        if df.ndim and df.shape[0] == self.block * len(self.gens) and (df == df.flat[0]).all():
            # one degree of freedom for every lane (the usual case: sizes do not vary by lane);
            # the scalar form draws the same numbers twice as fast
            shape = (self.block,) + df.shape[1:]
            return self._cat(lambda g: g.chisquare(df.flat[0], shape))
        return self._cat(lambda g, d: g.chisquare(d), df)

    def multinomial(self, n, pvals):
        return self._cat(lambda g, nn, p: g.multinomial(nn, p), np.asarray(n), np.asarray(pvals))

    def poisson(self, lam):
        return self._cat(lambda g, lm: g.poisson(lm), np.asarray(lam))

    def random(self, size):
        size = (size,) if np.isscalar(size) else tuple(size)
        return self._cat(lambda g: g.random((self.block,) + size[1:]))


def _subsets(rng, n_lanes: int, population: int, m: int) -> np.ndarray:
    """m distinct row indices out of ``population`` per lane, shape (n_lanes, m)."""
    out = np.empty((n_lanes, m), dtype=np.int64)
    chunk = max(1, int(4_000_000 // max(population, 1)))
    for start in range(0, n_lanes, chunk):
        stop = min(n_lanes, start + chunk)
        keys = rng.random((stop - start, population))
        if m < population:
            idx = np.argpartition(keys, m - 1, axis=1)[:, :m]
        else:
            idx = np.argsort(keys, axis=1)
        out[start:stop] = idx
    return out


def _lane_subsets(rng: LaneRNG, population: int, m: int) -> np.ndarray:
    return np.concatenate([_subsets(g, rng.block, population, m) for g in rng.gens], axis=0)


def tile(tree, L: int):
    """Broadcast a lane-1 statistics/θ tree to L lanes."""
    if isinstance(tree, dict):
        return {k: tile(v, L) for k, v in tree.items()}
    return np.repeat(tree, L, axis=0) if tree.shape[0] == 1 else tree


def metric_values(plan: AuditPlan, theta_vec: np.ndarray) -> np.ndarray:
    """The plan's metrics on θ lanes (B, P) → (B, n_metric_quantities)."""
    if not plan.metrics:
        return np.empty((theta_vec.shape[0], 0))
    return np.concatenate([m.from_params(plan.context, theta_vec) for m in plan.metrics], axis=1)


def compute_fast(plan: AuditPlan, first: int, n_blocks: int) -> np.ndarray:
    """Values of blocks ``first .. first+n_blocks-1``: shape (lanes, T + 1, quantities)."""
    ad = plan.reference_model
    B = plan.fast_block
    L = B * n_blocks
    rng = LaneRNG([_random.generator(plan.root, "fast", b) for b in range(first, first + n_blocks)],
                  B)
    out = np.empty((L, plan.n_generations + 1, plan.n_quantities))
    P = len(plan.parameters)
    N = len(plan.pool)
    # generation 0: the real-only baseline
    if plan.truth_theta is not None:
        stats = ad.simulate_sufficient(tile(plan.truth_theta, L), plan.n0, rng=rng)
    elif plan.n0 == N:
        stats = tile(ad.stats_from_encoded(plan.pool_encoded[None]), L)
    else:
        idx = _lane_subsets(rng, N, plan.n0)
        stats = ad.stats_from_encoded(plan.pool_encoded[idx])
    theta = ad.params_from_stats(stats)
    vec = ad.theta_vector(theta)
    out[:, 0, :P] = vec
    out[:, 0, P:] = metric_values(plan, vec)
    train = stats
    for t in range(1, plan.n_generations + 1):
        syn = ad.simulate_sufficient(theta, plan.sizes[t - 1], rng=rng)
        real = None
        m = int(plan.real_rows[t - 1])
        if m and plan.truth_theta is not None:  # fresh real rows: drawn from the truth
            real = ad.simulate_sufficient(tile(plan.truth_theta, L), m, rng=rng)
        elif m:
            idx = _lane_subsets(rng, N, m)
            real = ad.stats_from_encoded(plan.pool_encoded[idx])
        train = plan.workflow.next_stats(ad, train, syn, real)
        theta = ad.params_from_stats(train)
        vec = ad.theta_vector(theta)
        out[:, t, :P] = vec
        out[:, t, P:] = metric_values(plan, vec)
    return out
