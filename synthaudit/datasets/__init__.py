"""Real tables shipped in the package, user tables read and checked, simulated known truth.

Three kinds of input feed an audit (docs/design.md §3), one module each:

- **shipped real tables** (:mod:`.shipped`: :func:`list_datasets`, :func:`load`,
  :func:`describe`, :data:`DATASETS`): small, real, openly licensed CSV files inside the package
  (``synthaudit/datasets/data/``), found with :mod:`importlib.resources`; sources and licences
  in the repository's ``datasets/README.md``;
- **a user's table** (:mod:`.io`: :func:`read_table`, :func:`check_table`): a CSV, TSV or
  Parquet file, or a DataFrame, validated once, with every problem reported together;
- **simulated tables with known truth** (:mod:`.simulate`: ``simulate_*``): the truth is a
  :class:`pandas.Series` indexed exactly like the adapters' ``params_`` (``"mean[x]"``,
  ``"cov[a,b]"``, ``"p[c=a]"``), so population risk and drift can be measured against it.

Categorical columns are pandas ``category`` columns with a fixed level order, numeric columns are
``float64`` (``int64`` for counts and the penguins' ``year``).

Examples
--------
>>> from synthaudit import datasets
>>> datasets.load("wine").shape
(178, 14)
>>> datasets.simulate_gaussian(10, rng=0).truth.index.tolist()
['mean[x]', 'var[x]']
"""

from __future__ import annotations

from .io import check_table, read_table
from .shipped import DATASETS, DatasetInfo, data_dir, describe, list_datasets, load
from .simulate import (
    SimulatedTable,
    simulate_categorical,
    simulate_gaussian,
    simulate_linear,
    simulate_logistic,
    simulate_mixed,
    simulate_multivariate_gaussian,
    simulate_poisson,
)

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "SimulatedTable",
    "check_table",
    "data_dir",
    "describe",
    "list_datasets",
    "load",
    "read_table",
    "simulate_categorical",
    "simulate_gaussian",
    "simulate_linear",
    "simulate_logistic",
    "simulate_mixed",
    "simulate_multivariate_gaussian",
    "simulate_poisson",
]
