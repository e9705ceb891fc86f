"""Cases whose traces are pinned bit for bit (tests/data/pinned_traces.json).

Run ``python3 tests/pin_traces.py --write`` only when a change is *meant* to alter the numbers;
say why in the commit. ``test_pinned_traces.py`` recomputes each case and compares the digest of
its ``values`` array (float64 bytes, C order) and its quantity names.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

PINS = Path(__file__).with_name("data") / "pinned_traces.json"


def cases():
    import synthaudit as sa
    from synthaudit import datasets

    peng = datasets.load("penguins", dropna=True)
    sim = datasets.simulate_gaussian(100, mean=0.0, var=1.0, rng=0)
    cat = datasets.simulate_categorical(60, [0.7, 0.25, 0.05], rng=1)
    pois = datasets.simulate_poisson(50, 3.0, rng=2)
    mv = datasets.simulate_multivariate_gaussian(80, [0.0, 1.0], [[1.0, 0.3], [0.3, 2.0]], rng=3)
    base = dict(n_generations=6, seed=7, holdout=0.0)
    return {
        "gauss_truth_fast": lambda: sa.run_audit(sim, adapter="gaussian", schedule="const:100",
                                                 n_replications=600, metrics=None, **base),
        "gauss_truth_rows": lambda: sa.run_audit(sim, adapter="gaussian", schedule="const:50",
                                                 n_replications=4, path="rows", **base),
        "mv_accumulate": lambda: sa.run_audit(mv, adapter="gaussian", schedule="poly:40:1.5",
                                              workflow="accumulate", n_replications=50, **base),
        "cat_mix": lambda: sa.run_audit(cat, adapter="categorical", schedule="const:60",
                                        workflow="mix:10", n_replications=40, **base),
        "poisson": lambda: sa.run_audit(pois, adapter="poisson", n_replications=30, **base),
        "penguins_mixed_holdout_fast": lambda: sa.run_audit(
            peng, adapter="mixed", n_generations=5, n_replications=20, seed=0, holdout=0.2,
            n0=100),
        "penguins_mixed_holdout_rows": lambda: sa.run_audit(
            peng, adapter="mixed", n_generations=3, n_replications=2, seed=0, holdout=0.2,
            path="rows"),
    }


def digest(res) -> dict:
    v = np.ascontiguousarray(res.values, dtype=np.float64)
    return {
        "shape": list(v.shape),
        "sha256": hashlib.sha256(v.tobytes()).hexdigest(),
        "quantities": list(map(str, res.quantities)),
    }


if __name__ == "__main__":
    out = {name: digest(make()) for name, make in cases().items()}
    if "--write" in sys.argv:
        PINS.parent.mkdir(exist_ok=True)
        PINS.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))
