"""A toy "vendor" synthesizer for the ExternalAdapter tests: fit and sample in one call.

Fits a multivariate Gaussian to the numeric columns and independent multinomials to the other
columns of the input table, and writes ``--rows`` rows drawn with ``--seed``::

    python gauss_vendor.py --in train.csv --out synth.csv --rows 100 --seed 1

Misbehaviours for the error tests: ``--crash`` (message on stderr, exit status 3), ``--sleep S``
(sleep S seconds first), ``--wrong-schema {missing,extra,rows,category}``, ``--no-output``.
numpy and pandas are imported only when needed, so the crash and sleep paths start fast.
"""

from __future__ import annotations

import argparse
import sys
import time


def _read(path: str):
    import pandas as pd

    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)


def _write(df, path: str) -> None:
    if path.endswith(".parquet"):
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False)


def fit_sample(df, n: int, rng):
    import numpy as np
    import pandas as pd

    num = [c for c in df.columns
           if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    out = {}
    if num:
        x = df[num].to_numpy(dtype=float)
        mean = x.mean(axis=0)
        cov = np.atleast_2d(np.cov(x, rowvar=False))
        draws = rng.multivariate_normal(mean, cov, size=n, method="eigh")
        for i, c in enumerate(num):
            out[c] = draws[:, i]
    for c in df.columns:
        if c in num:
            continue
        freq = df[c].value_counts(normalize=True, sort=False)
        out[c] = rng.choice(freq.index.to_numpy(dtype=object), size=n, p=freq.to_numpy())
    return pd.DataFrame(out)[list(df.columns)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--in", dest="inp", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--crash", action="store_true")
    p.add_argument("--sleep", type=float, default=0.0)
    p.add_argument("--wrong-schema", choices=["missing", "extra", "rows", "category"])
    p.add_argument("--no-output", action="store_true")
    args = p.parse_args(argv)
    if args.sleep:
        time.sleep(args.sleep)
    if args.crash:
        print("gauss_vendor: licence server unreachable (simulated crash)", file=sys.stderr)
        return 3
    import numpy as np

    df = _read(args.inp)
    out = fit_sample(df, args.rows, np.random.default_rng(args.seed))
    if args.wrong_schema == "missing":
        out = out.drop(columns=out.columns[0])
    elif args.wrong_schema == "extra":
        out["vendor_row_id"] = np.arange(len(out))
    elif args.wrong_schema == "rows":
        out = out.iloc[:-1]
    elif args.wrong_schema == "category":
        cat = [c for c in out.columns if out[c].dtype == object]
        out[cat[0]] = "never-seen-level"
    if not args.no_output:
        _write(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
