"""synthaudit: audit tabular synthetic data for model collapse.

Fit a model to a real table, regenerate the table recursively under an expansion schedule and
measure how the model drifts, beside what theory predicts (see DESIGN.md).

Examples
--------
>>> import synthaudit as sa
>>> df = sa.datasets.load("penguins")                                  # doctest: +SKIP
>>> result = sa.run_audit(df, adapter="mixed", schedule="const:300",
...                       n_generations=20, n_replications=100, seed=0)  # doctest: +SKIP
"""

from . import adapters, datasets, schedules, workflows
from .adapters import available_adapters, make_adapter, register_adapter
from .engine import AuditResult, Metric, run_audit
from .exceptions import (
    AdapterError,
    DegenerateDataWarning,
    MissingDependencyError,
    NotFittedError,
    RunDirectoryError,
    SynthauditError,
    SynthauditWarning,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "AdapterError",
    "AuditResult",
    "DegenerateDataWarning",
    "Metric",
    "MissingDependencyError",
    "NotFittedError",
    "RunDirectoryError",
    "SynthauditError",
    "SynthauditWarning",
    "ValidationError",
    "__version__",
    "adapters",
    "available_adapters",
    "datasets",
    "make_adapter",
    "register_adapter",
    "run_audit",
    "schedules",
    "workflows",
]
