"""Benchmark: the paper's Gaussian study on the fast exact path vs the per-row path.

n0 = n_t = 100, T = 500, 10⁴ replications (DESIGN §8). The per-row path is timed on a subset
of replications in the same run and scaled linearly (its cost is exactly linear in the number
of replications: each one is an independent loop); memory is the peak traced by tracemalloc.

Run:  python3 benchmarks/bench_fast_path.py [--replications 10000] [--row-replications 40]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import synthaudit as sa
from synthaudit import datasets, schedules


def timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, dt, peak


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=10_000)
    ap.add_argument("--row-replications", type=int, default=40)
    ap.add_argument("--generations", type=int, default=500)
    args = ap.parse_args(argv)
    R, G, Rr = args.replications, args.generations, args.row_replications
    sim = datasets.simulate_gaussian(100, rng=0)
    kw = dict(adapter="gaussian", n0=100, n_generations=G, seed=0, holdout=0.0, progress=False)
    # warm-up (imports, first-call costs) so neither path pays them
    sa.run_audit(sim, schedule="const:100", n_replications=10, **{**kw, "n_generations": 5})

    def untraced(fn):
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    rows = []
    fast_t = min(untraced(lambda: sa.run_audit(sim, schedule=schedules.constant(100),
                                               n_replications=R, path="fast", **kw))
                 for _ in range(3))
    _, _, fast_mem = timed(lambda: sa.run_audit(sim, schedule=schedules.constant(100),
                                                n_replications=R, path="fast", **kw))
    row_t = untraced(lambda: sa.run_audit(sim, schedule=schedules.constant(100),
                                          n_replications=Rr, path="rows", **kw))
    _, _, row_mem = timed(lambda: sa.run_audit(sim, schedule=schedules.constant(100),
                                               n_replications=max(2, Rr // 10), path="rows",
                                               **{**kw, "n_generations": 50}))
    row_full = row_t * R / Rr
    rows.append(("constant(100), fast path", R, fast_t, fast_mem))
    rows.append((f"constant(100), per-row path ({Rr} replications, scaled ×{R / Rr:g})", R,
                 row_full, row_mem))
    poly_t = min(untraced(lambda: sa.run_audit(sim, schedule=schedules.polynomial(100, 1.5),
                                               n_replications=R, path="fast", **kw))
                 for _ in range(3))
    _, _, poly_mem = timed(lambda: sa.run_audit(sim, schedule=schedules.polynomial(100, 1.5),
                                                n_replications=R, path="fast", **kw))
    total = schedules.polynomial(100, 1.5).total_rows(G)
    rows.append((f"polynomial(100, 1.5), fast path (Σ n_t = {total:.2e} rows per replication)",
                 R, poly_t, poly_mem))

    print(f"Gaussian study, n0 = 100, T = {G}, numpy {np.__version__}\n")
    print("| case | replications | time (s) | peak traced memory (MiB) |")
    print("|---|---:|---:|---:|")
    for name, r, t, m in rows:
        print(f"| {name} | {r:,} | {t:.3f} | {m / 2**20:.2f} |")
    print(f"\nfast path speed-up over the per-row path: {row_full / fast_t:,.0f}×")


if __name__ == "__main__":
    main()
