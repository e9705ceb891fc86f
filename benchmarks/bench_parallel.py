"""Benchmark: parallel speed-up and engine overhead on an SDV GaussianCopula audit (DESIGN §8).

Measured side by side in one run, on the penguins table (333 rows, 5 numeric + 3 categorical):

1. a hand-written SDV loop: for each replication, fit ``GaussianCopulaSynthesizer`` on the real
   table, then G times sample n rows and refit on them (metadata detected once, as the adapter
   does), recording column means and level shares per generation;
2. ``run_audit(adapter="sdv:gaussian_copula")`` with 1 worker (same G × R fits and samples);
3. the same with 2 joblib workers, and (``--dask``) on a local 2-worker Dask cluster.

Targets: engine overhead ≤ 10 % over the hand loop; 2 workers ≥ 1.7× faster than 1. Worker start
and the SDV import in the workers are paid once in a warm-up call before timing (reported).
Without SDV the script measures the joblib speed-up on the per-row Gaussian path instead.

Run:  python3 benchmarks/bench_parallel.py [--generations 10] [--replications 8] [--dask]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
import warnings

import numpy as np
import pandas as pd

import synthaudit as sa


def hand_loop(df: pd.DataFrame, G: int, R: int, seed: int = 0) -> float:
    """The same work written directly against SDV; returns seconds.

    The metadata is built once, outside the loop, the way the adapter builds it (detected,
    sdtypes from the table's dtypes, range keys stripped so later generations may leave the
    real range), and the synthesizer gets the adapter's settings (``default_distribution=
    "norm"``, uniform marginals for the categorical columns, no clipping, no rounding), so both
    sides fit the same models."""
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    from synthaudit.adapters.sdv import sdv_metadata

    md = Metadata.load_from_dict(sdv_metadata(df))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = len(df)
        cats = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
        records = []
        for r in range(R):
            table = df.astype({c: object for c in cats})
            for g in range(G + 1):
                synth = GaussianCopulaSynthesizer(md, enforce_min_max_values=False,
                                                  enforce_rounding=False,
                                                  default_distribution="norm",
                                                  numerical_distributions={
                                                      c: "uniform" for c in cats})
                synth.fit({"table": table})
                records.append((r, g, table.mean(numeric_only=True).to_numpy(),
                                [table[c].value_counts(normalize=True).to_numpy() for c in cats]))
                if g == G:
                    break
                synth.reset_sampling()
                synth._set_random_state(seed + 1000 * r + g)
                out = synth.sample(n)
                table = out["table"] if isinstance(out, dict) else out
    return time.perf_counter() - t0


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generations", type=int, default=10)
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2,
                    help="time each variant this many times, interleaved; keep the fastest")
    ap.add_argument("--dask", action="store_true", help="also time a local 2-worker Dask cluster")
    args = ap.parse_args(argv)
    G, R = args.generations, args.replications
    df = sa.datasets.load("penguins")
    has_sdv = importlib.util.find_spec("sdv") is not None
    rows = []
    warnings.simplefilter("ignore")
    print(f"# bench_parallel: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"numpy {np.__version__}, synthaudit {sa.__version__}; best of {args.repeat}")
    if has_sdv:
        import sdv

        print(f"# SDV {sdv.__version__}: GaussianCopula, penguins ({len(df)} rows), "
              f"G = {G} generations × R = {R} replications = {R * (G + 1)} fits, "
              f"{R * G} samples")
        kw = {"adapter": "sdv:gaussian_copula", "n_generations": G, "n_replications": R,
              "seed": 0, "holdout": 0.0}  # the whole table, like the hand-written loop
        # warm-up: SDV import here and in 2 workers (loky reuses them), not timed
        warm_main = timed(lambda: sa.run_audit(df, **{**kw, "n_generations": 1,
                                                      "n_replications": 1}))
        warm_workers = timed(lambda: sa.run_audit(df, n_jobs=2, **{**kw, "n_generations": 1,
                                                                  "n_replications": 2}))
        t_hand = t1 = t2 = float("inf")
        for _ in range(args.repeat):  # interleaved, so a busy machine hurts all variants alike
            t_hand = min(t_hand, hand_loop(df, G, R))
            t1 = min(t1, timed(lambda: sa.run_audit(df, n_jobs=1, **kw)))
            t2 = min(t2, timed(lambda: sa.run_audit(df, n_jobs=2, **kw)))
        rows += [("hand-written SDV loop", 1, t_hand, "1.00× (baseline for overhead)"),
                 ("run_audit, joblib", 1, t1, f"overhead {t1 / t_hand - 1:+.1%} vs hand loop"),
                 ("run_audit, joblib", 2, t2, f"speed-up {t1 / t2:.2f}× vs 1 worker")]
        if args.dask:
            from distributed import Client, LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=None, host="127.0.0.1") as cluster, \
                    Client(cluster):
                addr = cluster.scheduler_address
                sa.run_audit(df, backend="dask", scheduler=addr,
                             **{**kw, "n_generations": 1, "n_replications": 2})
                td = min(timed(lambda: sa.run_audit(df, backend="dask", scheduler=addr, **kw))
                         for _ in range(args.repeat))
            rows.append(("run_audit, dask local cluster", 2, td,
                         f"speed-up {t1 / td:.2f}× vs 1 worker"))
        per_fit = R * (G + 1)
        print(f"# warm-up (not timed below): SDV import + first fit {warm_main:.2f} s; "
              f"2 joblib workers started with SDV imported {warm_workers:.2f} s")
    else:
        print("# SDV is not installed: per-row Gaussian path instead (no SDV overhead figure)")
        sim = sa.datasets.simulate_gaussian(200, rng=0)
        kw = {"adapter": "gaussian", "path": "rows", "n_generations": 200,
              "n_replications": 40, "seed": 0, "holdout": 0.0}
        sa.run_audit(sim, n_jobs=2, **{**kw, "n_replications": 2})
        t1 = t2 = float("inf")
        for _ in range(args.repeat):
            t1 = min(t1, timed(lambda: sa.run_audit(sim, n_jobs=1, **kw)))
            t2 = min(t2, timed(lambda: sa.run_audit(sim, n_jobs=2, **kw)))
        rows += [("run_audit per-row gaussian", 1, t1, ""),
                 ("run_audit per-row gaussian", 2, t2, f"speed-up {t1 / t2:.2f}× vs 1 worker")]
        per_fit = kw["n_replications"] * (kw["n_generations"] + 1)
    print(f"# load average at the end: {os.getloadavg()[0]:.1f} (timings on a busy machine are "
          "pessimistic for the parallel runs)")
    print()
    print("| run | workers | seconds | ms per fit | comparison |")
    print("|---|---:|---:|---:|---|")
    for name, w, t, note in rows:
        print(f"| {name} | {w} | {t:.2f} | {1000 * t / per_fit:.1f} | {note} |")


if __name__ == "__main__":
    main()
