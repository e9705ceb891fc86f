"""What an audit measured: :class:`AuditResult`, and the provenance recorded with it.

The result is the only thing the report, the store and the notebooks read (docs/design.md §4.5):
the values of every quantity per replication and generation, the parameter layout that says what
each parameter is, the settings and the versions.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .exceptions import ValidationError
from .params import ParamLayout

__all__ = ["AuditResult", "provenance"]


@dataclass(frozen=True)
class AuditResult:
    """What an audit measured. ``values[r, g, q]`` holds quantity q of replication r at
    generation g; :attr:`trace` is the same as a tidy long table.

    Attributes
    ----------
    values : ndarray, shape (n_replications, n_generations + 1, n_quantities)
    quantities : tuple of str
        Parameter names first (``parameters``), then metric names.
    layout : ParamLayout
        What each parameter is (:mod:`synthaudit.params`); ``layout.names == parameters``.
    n_rows : ndarray, shape (n_generations + 1,)
        Training-set size of each generation (generation 0: the n0 real rows).
    reference : Series
        The reference parameters: the truth, or the fit on the whole real table.
    config : dict
        The validated settings (JSON-friendly); ``provenance`` adds versions and seed entropy.
    tables : list or None
        With ``keep_tables=True``: per replication, the training table of generation 0 and the
        synthetic table of each later generation.
    """

    values: np.ndarray
    quantities: tuple[str, ...]
    parameters: tuple[str, ...]
    layout: ParamLayout
    n_rows: np.ndarray
    reference: pd.Series
    reference_kind: str
    config: dict
    provenance: dict
    n_free_params: int | None = None
    tables: list | None = field(default=None, repr=False, compare=False)

    @property
    def n_replications(self) -> int:
        return self.values.shape[0]

    @property
    def n_generations(self) -> int:
        return self.values.shape[1] - 1

    @cached_property
    def trace(self) -> pd.DataFrame:
        """Tidy long table: ``replication, generation, n_rows, parameter, value``."""
        R, G1, Q = self.values.shape
        return pd.DataFrame(
            {
                "replication": np.repeat(np.arange(R, dtype=np.int32), G1 * Q),
                "generation": np.tile(np.repeat(np.arange(G1, dtype=np.int32), Q), R),
                "n_rows": np.tile(np.repeat(self.n_rows.astype(np.int64), Q), R),
                "parameter": pd.Categorical.from_codes(
                    np.tile(np.arange(Q, dtype=np.int32), R * G1), categories=list(self.quantities)
                ),
                "value": self.values.reshape(-1),
            }
        )

    def quantity(self, name: str) -> pd.DataFrame:
        """One quantity as a wide frame: rows = replications, columns = generations."""
        try:
            q = self.quantities.index(name)
        except ValueError:
            raise ValidationError(
                f"unknown quantity {name!r}; available: {list(self.quantities)}."
            ) from None
        return pd.DataFrame(self.values[:, :, q], columns=pd.RangeIndex(self.n_generations + 1,
                            name="generation"))

    def summary(self, generations: Sequence[int] | None = None) -> pd.DataFrame:
        """Per parameter: reference, and median / 5 % / 95 % across replications at a few
        generations (default: 0, the middle one and the last)."""
        G = self.n_generations
        gens = sorted(set(generations if generations is not None else (0, G // 2, G)))
        rows = []
        for name in self.parameters:
            q = self.quantities.index(name)
            for g in gens:
                v = self.values[:, g, q]
                rows.append(
                    {
                        "parameter": name,
                        "reference": float(self.reference.get(name, np.nan)),
                        "generation": g,
                        "median": float(np.nanmedian(v)),
                        "q05": float(np.nanquantile(v, 0.05)),
                        "q95": float(np.nanquantile(v, 0.95)),
                    }
                )
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        c = self.config
        head = (
            f"synthaudit audit: adapter={c['adapter']} schedule={c['schedule']} "
            f"workflow={c['workflow']} n0={c['n0']} generations={c['n_generations']} "
            f"replications={c['n_replications']} path={c['path']} seed={c['seed_entropy']}"
        )
        lines = [head, f"reference: {self.reference_kind}"]
        G = self.n_generations
        lay = self.layout
        var_like = [lay.names[i] for i, p in enumerate(lay.params) if p.kind in ("var", "rate")]
        for name in var_like:
            q = self.quantities.index(name)
            ref = float(self.reference.get(name, np.nan))
            ratio = self.values[:, G, q] / ref
            lines.append(
                f"  {name}: median ratio to reference at generation {G} = "
                f"{np.nanmedian(ratio):.3g}; {np.mean(ratio <= 0.05):.1%} of replications kept "
                "≤ 5% of it"
            )
        lost = [lay.names[i] for i, p in enumerate(lay.params) if p.kind == "p"]
        if lost:
            idx = [self.quantities.index(p) for p in lost]
            ref = self.reference.reindex(lost).to_numpy()
            gone = (self.values[:, G, idx] == 0) & (ref > 0)
            lines.append(
                f"  levels lost by generation {G}: mean {gone.sum(axis=1).mean():.2f} of "
                f"{int((ref > 0).sum())} per replication; {np.mean(gone.any(axis=1)):.1%} of "
                "replications lost at least one"
            )
        s = self.summary(generations=(0, G))
        first = s[s["generation"] == 0].set_index("parameter")
        last = s[s["generation"] == G].set_index("parameter")
        table = pd.DataFrame(
            {
                "reference": first["reference"],
                "generation 0": first["median"],
                f"median at {G}": last["median"],
                "5%": last["q05"],
                "95%": last["q95"],
            }
        ).reindex(list(self.parameters))
        table.index.name = None
        text = table.to_string(float_format=lambda v: f"{v:.4g}")
        return "\n".join(lines + ["", f"parameters (generation {G}: median and 90% band "
                                       "across replications)", text])

    def to_frame(self) -> pd.DataFrame:
        """Alias of :attr:`trace`."""
        return self.trace


def provenance(extra_packages: Sequence[str] = ()) -> dict:
    """Versions of synthaudit, Python and the numerical libraries (and of ``extra_packages``
    that are already imported, e.g. ``("sdv", "torch", "rdt")`` for an SDV audit)."""
    import scipy
    import sklearn

    from . import __version__

    out = {
        "synthaudit": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }
    for name in extra_packages:
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = str(getattr(mod, "__version__", "unknown"))
    return out
