"""The real tables shipped inside the package (``synthaudit/datasets/data/*.csv``).

Small, real, openly licensed tables for trying synthaudit on real data: :func:`list_datasets`,
:func:`load`, :func:`describe` and the registry :data:`DATASETS`. The CSV files are package data,
found with :mod:`importlib.resources` from this package itself (:func:`data_dir`), so they work
from a wheel as from a checkout, and a folder named ``datasets/`` anywhere else (the repository
root, another package in site-packages) is never read. Their sources and licences are in the
repository's ``datasets/README.md``; ``datasets/make_datasets.py`` rebuilds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import ValidationError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["DATASETS", "DatasetInfo", "data_dir", "describe", "list_datasets", "load"]

#: the package whose ``data/`` folder holds the CSV files
DATA_PACKAGE = __package__


def data_dir() -> Traversable:
    """The folder of the shipped CSV files, inside the installed package.

    Examples
    --------
    >>> sorted(p.name for p in data_dir().iterdir() if p.name.endswith(".csv"))
    ['breast_cancer.csv', 'penguins.csv', 'wine.csv']
    """
    return resources.files(DATA_PACKAGE) / "data"


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata of one shipped table (an entry of :data:`DATASETS`).

    ``rows`` counts the rows :func:`load` returns by default (rows with NA cells dropped);
    ``rows_raw`` the rows of the CSV file itself. ``categorical`` maps each categorical column to
    its levels, in their fixed order; every other column is numeric, ``int64`` when listed in
    ``integer``, else ``float64``.
    """

    name: str
    file: str
    title: str
    description: str
    source: str
    citation: str
    licence: str
    licence_url: str
    rows: int
    rows_raw: int
    columns: tuple[str, ...]
    categorical: Mapping[str, tuple[str, ...]]
    integer: tuple[str, ...]
    target: str | None
    good_for: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "categorical", MappingProxyType(dict(self.categorical)))

    @property
    def numeric(self) -> tuple[str, ...]:
        """The numeric columns, in table order."""
        return tuple(c for c in self.columns if c not in self.categorical)

    @property
    def path(self) -> Traversable:
        """The CSV file inside the installed package (``str()`` gives its path)."""
        return data_dir() / self.file


_BC_BASE = (
    "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
    "concave_points", "symmetry", "fractal_dimension",
)  # fmt: skip
_BC_FEATURES = (
    tuple(f"mean_{f}" for f in _BC_BASE)
    + tuple(f"{f}_error" for f in _BC_BASE)
    + tuple(f"worst_{f}" for f in _BC_BASE)
)
_WINE_FEATURES = (
    "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
    "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
    "od280_od315_of_diluted_wines", "proline",
)  # fmt: skip

_INFOS = (
    DatasetInfo(
        name="breast_cancer",
        file="breast_cancer.csv",
        title="Wisconsin Diagnostic Breast Cancer (WDBC)",
        description="569 breast masses: 30 numeric nucleus features, diagnosis malignant/benign.",
        source="UCI Machine Learning Repository, via scikit-learn's load_breast_cancer().",
        citation=(
            "Wolberg, W., Mangasarian, O., Street, N. & Street, W. (1993). Breast Cancer "
            "Wisconsin (Diagnostic). UCI Machine Learning Repository. "
            "https://doi.org/10.24432/C5DW2B"
        ),
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        rows=569,
        rows_raw=569,
        columns=(*_BC_FEATURES, "target"),
        categorical={"target": ("malignant", "benign")},
        integer=(),
        target="target",
        good_for=(
            "a 30-dimensional multivariate Gaussian with strong correlations (near-singular "
            "covariance), and downstream risk of a binary classifier (train on synthetic, "
            "test on real)."
        ),
    ),
    DatasetInfo(
        name="penguins",
        file="penguins.csv",
        title="Palmer penguins",
        description=(
            "Adelie, Chinstrap and Gentoo penguins of the Palmer Archipelago, 2007-2009: "
            "bill, flipper and body-mass measurements, species, island, sex, year."
        ),
        source="Palmer Station LTER, via the palmerpenguins package (PyPI 0.1.6).",
        citation=(
            "Horst, A. M., Hill, A. P. & Gorman, K. B. (2020). palmerpenguins: Palmer "
            "Archipelago (Antarctica) penguin data. R package version 0.1.0. "
            "https://doi.org/10.5281/zenodo.3960218; data from Gorman, K. B., Williams, T. D. & "
            "Fraser, W. R. (2014), PLoS ONE 9(3): e90081."
        ),
        licence="CC0 1.0",
        licence_url="https://creativecommons.org/publicdomain/zero/1.0/",
        rows=333,
        rows_raw=344,
        columns=(
            "species",
            "island",
            "bill_length_mm",
            "bill_depth_mm",
            "flipper_length_mm",
            "body_mass_g",
            "sex",
            "year",
        ),
        categorical={
            "species": ("Adelie", "Chinstrap", "Gentoo"),
            "island": ("Biscoe", "Dream", "Torgersen"),
            "sex": ("female", "male"),
        },
        integer=("year",),
        target="species",
        good_for=(
            "mixed numeric and categorical columns; categorical collapse (level loss) on "
            "species/island/sex; a small multivariate Gaussian; linear regression of body mass "
            "on flipper length; the NaN handling of dropna (11 raw rows have NA cells)."
        ),
    ),
    DatasetInfo(
        name="wine",
        file="wine.csv",
        title="Wine recognition",
        description="178 Italian wines from 3 cultivars: 13 chemical measurements, cultivar class.",
        source="UCI Machine Learning Repository, via scikit-learn's load_wine().",
        citation=(
            "Aeberhard, S. & Forina, M. (1992). Wine. UCI Machine Learning Repository. "
            "https://doi.org/10.24432/C5PC7J"
        ),
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        rows=178,
        rows_raw=178,
        columns=(*_WINE_FEATURES, "target"),
        categorical={"target": ("class_0", "class_1", "class_2")},
        integer=(),
        target="target",
        good_for=(
            "a small table (n = 178) where collapse shows quickly; a 3-level categorical "
            "target; a 13-dimensional Gaussian with very different scales (proline ~ 10^3, "
            "hue ~ 1)."
        ),
    ),
)

#: Registry of the shipped tables: name -> :class:`DatasetInfo` (read-only, sorted by name).
DATASETS: Mapping[str, DatasetInfo] = MappingProxyType({i.name: i for i in _INFOS})


def _info(name: object) -> DatasetInfo:
    if not isinstance(name, str) or name not in DATASETS:
        raise ValidationError(
            f"`name` must be one of the shipped datasets ({', '.join(DATASETS)}); got {name!r}."
        )
    return DATASETS[name]


def list_datasets() -> pd.DataFrame:
    """The shipped real tables, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, rows, columns, numeric, categorical, target, licence, description``;
        ``rows`` is the row count :func:`load` returns by default (NA rows dropped),
        ``numeric`` and ``categorical`` count columns of each kind.

    Examples
    --------
    >>> list_datasets()[["name", "rows", "columns", "target"]]
                name  rows  columns   target
    0  breast_cancer   569       31   target
    1       penguins   333        8  species
    2           wine   178       14   target
    """
    return pd.DataFrame(
        [
            {
                "name": i.name,
                "rows": i.rows,
                "columns": len(i.columns),
                "numeric": len(i.numeric),
                "categorical": len(i.categorical),
                "target": i.target,
                "licence": i.licence,
                "description": i.description,
            }
            for i in DATASETS.values()
        ]
    )


def describe(name: str) -> dict[str, Any]:
    """Metadata of one shipped table: source, citation, licence, size, columns, target.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`'s names.

    Returns
    -------
    dict
        Keys ``name, title, description, source, citation, licence, licence_url, rows,
        rows_raw, columns, numeric, categorical, target, good_for, path``; ``categorical``
        maps each categorical column to its list of levels.

    Examples
    --------
    >>> meta = describe("penguins")
    >>> meta["licence"], meta["rows"], meta["rows_raw"], meta["target"]
    ('CC0 1.0', 333, 344, 'species')
    >>> meta["categorical"]["sex"]
    ['female', 'male']
    """
    i = _info(name)
    return {
        "name": i.name,
        "title": i.title,
        "description": i.description,
        "source": i.source,
        "citation": i.citation,
        "licence": i.licence,
        "licence_url": i.licence_url,
        "rows": i.rows,
        "rows_raw": i.rows_raw,
        "columns": list(i.columns),
        "numeric": list(i.numeric),
        "categorical": {c: list(levels) for c, levels in i.categorical.items()},
        "target": i.target,
        "good_for": i.good_for,
        "path": str(i.path),
    }


def load(name: str, *, dropna: bool = True) -> pd.DataFrame:
    """Load a shipped real table with its documented dtypes.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`'s names.
    dropna : bool, default True
        Drop the rows that have an NA cell (only ``penguins`` has any: 11 of 344 rows) and
        renumber the index from 0. ``False`` returns the raw rows, NaN cells included.

    Returns
    -------
    pandas.DataFrame
        Categorical columns as ``category`` with the fixed level order of
        ``describe(name)["categorical"]``; numeric columns as ``float64``, ``int64`` for the
        integer columns (the penguins' ``year``).

    Raises
    ------
    ValidationError
        Unknown ``name`` (the message lists the available names), or the package's data folder
        or a file in it is missing or altered.

    Examples
    --------
    >>> penguins = load("penguins")
    >>> penguins.shape
    (333, 8)
    >>> penguins["species"].cat.categories.tolist()
    ['Adelie', 'Chinstrap', 'Gentoo']
    >>> str(penguins["year"].dtype), str(penguins["body_mass_g"].dtype)
    ('int64', 'float64')
    >>> load("penguins", dropna=False).shape
    (344, 8)
    """
    info = _info(name)
    folder = data_dir()
    if not folder.is_dir():
        raise ValidationError(
            f"the shipped datasets are missing from the installed synthaudit package: expected "
            f"the folder {folder}. Reinstall synthaudit (pip install --force-reinstall "
            "synthaudit); a wheel built without its package data lacks them."
        )
    if not info.path.is_file():
        raise ValidationError(
            f"the shipped table {name!r} is missing: expected {info.path}. Reinstall synthaudit."
        )
    with resources.as_file(info.path) as path:
        raw = pd.read_csv(path, dtype={c: "string" for c in info.categorical})
    if tuple(raw.columns) != info.columns:
        raise ValidationError(
            f"the shipped table {info.path} has been altered: expected columns "
            f"{list(info.columns)}; got {list(raw.columns)}."
        )
    frame = pd.DataFrame(index=raw.index)
    for col in info.columns:
        if col in info.categorical:
            values = raw[col].astype(object).where(raw[col].notna(), np.nan)
            frame[col] = pd.Categorical(values, categories=list(info.categorical[col]))
            unknown = frame[col].isna() & raw[col].notna()
            if unknown.any():
                raise ValidationError(
                    f"the shipped table {info.path} has been altered: column {col!r} has "
                    f"values outside its levels {list(info.categorical[col])}: "
                    f"{sorted(set(raw.loc[unknown, col]))}."
                )
        else:
            frame[col] = pd.to_numeric(raw[col]).astype("float64")
    if dropna:
        frame = frame.dropna().reset_index(drop=True)
    for col in info.integer:
        if not frame[col].isna().any():
            frame[col] = frame[col].astype("int64")
    return frame
