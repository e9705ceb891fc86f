"""The only place random generators are built (docs/design.md §7).

One :class:`numpy.random.SeedSequence` root per run. Every stream is addressed by an explicit
spawn key, so replication ``r`` (or fast-path block ``b``) draws the same numbers whatever
``n_replications``, ``n_jobs`` or backend, and a resumed run recomputes exactly what is missing.

Streams::

    root ── ("split",)            the pool/holdout split of the real table
         ├─ ("row", r, g)          per-row path: replication r, generation g
         └─ ("fast", b)            fast path: block b of FAST_BLOCK replications (its
                                   generations draw from it one after the other)
"""

from __future__ import annotations

import numpy as np

from .exceptions import ValidationError

__all__ = ["FAST_BLOCK", "as_root", "generator", "root_entropy"]

#: Replications simulated together on the fast path. Fixed, so a replication's numbers never
#: depend on how many replications were asked for (a partial last block is padded, then cut).
FAST_BLOCK = 512

_STREAMS = {"split": 0, "row": 1, "fast": 2, "user": 3}


def as_root(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """Return the run's root SeedSequence from an int, a SeedSequence or None (fresh entropy).

    Examples
    --------
    >>> as_root(42).entropy
    42
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"`seed` must be a non-negative integer or None; got {seed!r}.")
    return np.random.SeedSequence(int(seed))


def root_entropy(root: np.random.SeedSequence) -> int:
    """The root entropy as a plain int (recorded in provenance so a run can be repeated)."""
    return int(root.entropy)


def generator(root: np.random.SeedSequence, stream: str, *key: int) -> np.random.Generator:
    """A PCG64 generator for one addressed stream under ``root``.

    Examples
    --------
    >>> root = as_root(1)
    >>> a = generator(root, "row", 3, 0).standard_normal()
    >>> b = generator(root, "row", 3, 0).standard_normal()
    >>> a == b
    True
    """
    seq = np.random.SeedSequence(
        root.entropy,
        spawn_key=tuple(root.spawn_key) + (_STREAMS[stream],) + tuple(int(k) for k in key),
    )
    return np.random.Generator(np.random.PCG64(seq))


def int_seed(rng: np.random.Generator) -> int:
    """A 31-bit integer seed drawn from ``rng``, for libraries that only take integer seeds."""
    return int(rng.integers(0, 2**31 - 1))
