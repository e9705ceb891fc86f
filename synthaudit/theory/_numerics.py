"""Numerical building blocks of the exactly computable laws (Gauss rules, smooth propagation).

The laws in :mod:`~synthaudit.theory.flows` and :mod:`~synthaudit.theory.finite` are expectations
of smooth functions over a chain of *independent* random factors. They are computed by one
method, documented here once:

1. **Gauss rules.** Each factor's law is replaced by a Q-point Gauss rule: for a Gamma(a) law the
   Jacobi matrix of the generalized Laguerre polynomials (Golub–Welsch, valid for any a > 0,
   including a ~ 10⁶); for a function of several independent Gamma variables, the tensor rule is
   reduced to a Q-point rule for the function's own law by the Lanczos algorithm with full
   reorthogonalization (Gautschi's discretized Stieltjes procedure). A Q-point rule integrates
   polynomials of degree 2Q − 1 exactly; for the smooth integrands here its error decays
   geometrically in Q.
2. **Propagation.** A smooth function g on a uniform grid (in a log coordinate) is averaged over
   one factor, ``g_new(x) = Σ_q w_q g(φ(x, node_q))``, with ``g`` read between grid points by a
   not-a-knot cubic spline (error ``O(h⁴)``).

Each public law built on this reports an a-posteriori error estimate: the same computation with
half the grid step and twice the nodes, whose difference bounds the error of the coarse one (both
error terms decay fast, so the refined value is far more accurate than the difference).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = ["gamma_rule", "lanczos_rule", "spline"]


def gamma_rule(a: float, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss rule for the Gamma(a, 1) law: nodes and weights (summing to 1).

    Examples
    --------
    >>> x, w = gamma_rule(2.5, 8)
    >>> round(float(w @ x), 12), round(float(w @ x**2), 12)   # E X = a, E X² = a(a + 1)
    (2.5, 8.75)
    """
    j = np.arange(q, dtype=float)
    diag = 2 * j + a
    off = np.sqrt(j[1:] * (j[1:] + a - 1))
    x, vec = linalg.eigh_tridiagonal(diag, off)
    w = vec[0] ** 2
    return np.maximum(x, 0.0), w / w.sum()


def lanczos_rule(nodes: np.ndarray, weights: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce a discrete measure (many nodes) to a ``q``-point Gauss rule with the same first
    ``2q`` moments (Lanczos with full reorthogonalization; Gautschi 2004, §2.2.3).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.normal(size=500), np.full(500, 1 / 500)
    >>> xq, wq = lanczos_rule(x, w, 6)
    >>> bool(np.allclose([wq @ xq**k for k in range(12)], [w @ x**k for k in range(12)]))
    True
    """
    nodes = np.asarray(nodes, dtype=float).ravel()
    weights = np.asarray(weights, dtype=float).ravel()
    keep = weights > 0
    nodes, weights = nodes[keep], weights[keep] / weights[keep].sum()
    q = min(q, nodes.size)
    shift = float(weights @ nodes)
    scale = float(np.sqrt(weights @ (nodes - shift) ** 2)) or 1.0
    x = (nodes - shift) / scale
    basis = np.zeros((q, x.size))
    alpha, beta = np.zeros(q), np.zeros(q)
    v = np.sqrt(weights)
    basis[0] = v
    for j in range(q):
        u = x * basis[j]
        alpha[j] = basis[j] @ u
        u -= alpha[j] * basis[j]
        if j:
            u -= beta[j] * basis[j - 1]
        for _ in range(2):  # full reorthogonalization, twice ("twice is enough")
            u -= basis[: j + 1].T @ (basis[: j + 1] @ u)
        if j + 1 < q:
            beta[j + 1] = np.linalg.norm(u)
            if beta[j + 1] < 1e-13:  # the measure has only j + 1 points
                q = j + 1
                break
            basis[j + 1] = u / beta[j + 1]
    xq, vec = linalg.eigh_tridiagonal(alpha[:q], beta[1:q]) if q > 1 else (alpha[:1], np.ones((1, 1)))
    wq = vec[0] ** 2
    return shift + scale * xq, wq / wq.sum()


def spline(x: np.ndarray, y: np.ndarray):
    """A not-a-knot cubic spline through ``(x, y)`` (uniform grid), as a callable."""
    from scipy.interpolate import CubicSpline

    return CubicSpline(x, y, bc_type="not-a-knot", extrapolate=True)
