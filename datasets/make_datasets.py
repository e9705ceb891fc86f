"""Rebuild the CSV tables shipped inside the package (see ``datasets/README.md``).

They are written to ``synthaudit/datasets/data/``, the package data a wheel carries. Run from
the repository root::

    pip install palmerpenguins      # only to copy its CSV; not a synthaudit dependency
    python3 datasets/make_datasets.py

The script is deterministic: running it again reproduces the shipped files byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_wine

HERE = Path(__file__).resolve().parent
#: where the package's tables live (synthaudit/datasets/data, package data of the wheel)
OUT = HERE.parent / "synthaudit" / "datasets" / "data"


def _snake(name: str) -> str:
    """'mean concave points' -> 'mean_concave_points'; 'od280/od315_x' -> 'od280_od315_x'."""
    return name.strip().lower().replace(" ", "_").replace("/", "_")


def _from_sklearn(bunch, out: Path) -> pd.DataFrame:
    frame = pd.DataFrame(bunch.data, columns=[_snake(c) for c in bunch.feature_names])
    frame["target"] = np.asarray(bunch.target_names)[bunch.target]
    frame.to_csv(out, index=False, lineterminator="\n")
    back = pd.read_csv(out)
    # Floats are written as their shortest round-trip repr: the values are exactly sklearn's.
    np.testing.assert_array_equal(back.drop(columns="target").to_numpy(), bunch.data)
    return frame


def main() -> None:
    import palmerpenguins

    src = Path(palmerpenguins.__file__).resolve().parent / "data" / "penguins.csv"
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, OUT / "penguins.csv")  # raw rows, NA cells kept as "NA"
    _from_sklearn(load_breast_cancer(), OUT / "breast_cancer.csv")
    _from_sklearn(load_wine(), OUT / "wine.csv")


if __name__ == "__main__":
    main()
