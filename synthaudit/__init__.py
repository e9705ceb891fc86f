"""synthaudit: audit tabular synthetic data for model collapse.

Fit a model to a real table, regenerate the table recursively under an expansion schedule and
measure how the model drifts, beside what theory predicts (docs/design.md describes the rooms,
the contracts and the maths).

The public names below are imported on first use (an explicit name → module table, PEP 562),
so ``import synthaudit`` costs milliseconds and never imports pandas, sdv or torch until they
are needed.

Examples
--------
>>> import synthaudit as sa
>>> sim = sa.datasets.simulate_gaussian(100, rng=0)
>>> res = sa.run_audit(sim, adapter="gaussian", schedule="const:100",
...                    n_generations=10, n_replications=50, seed=0)
>>> res.values.shape                       # replications × generations × quantities
(50, 11, 5)
>>> res.quantities
('mean[x]', 'var[x]', 'risk[kl]', 'risk[param_sq_error]', 'risk[holdout_nll]')
>>> spec = sa.AuditSpec(adapter="gaussian", schedule="const:100", n_generations=10,
...                     n_replications=50)  # the same settings, as one object
>>> bool((sa.run_audit(sim, spec).values == res.values).all())
True
"""

from __future__ import annotations

import importlib

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

#: public name -> module that defines it ("" for a submodule of the package itself)
_LAZY = {
    "AuditResult": "synthaudit.result",
    "AuditSpec": "synthaudit.spec",
    "Metric": "synthaudit.metrics",
    "run_audit": "synthaudit.engine",
    "available_adapters": "synthaudit.adapters",
    "make_adapter": "synthaudit.adapters",
    "register_adapter": "synthaudit.adapters",
    "AuditReport": "synthaudit.report",
    "compare_schedules": "synthaudit.report",
    "load_run": "synthaudit.store",
    "plan": "synthaudit.planner",
    "adapters": "",
    "datasets": "",
    "engine": "",
    "figures": "",
    "metrics": "",
    "planner": "",
    "report": "",
    "schedules": "",
    "spec": "",
    "store": "",
    "theory": "",
    "workflows": "",
}

__all__ = [
    "AdapterError",
    "AuditReport",
    "AuditResult",
    "AuditSpec",
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
    "compare_schedules",
    "datasets",
    "engine",
    "figures",
    "load_run",
    "make_adapter",
    "metrics",
    "plan",
    "planner",
    "register_adapter",
    "report",
    "run_audit",
    "schedules",
    "spec",
    "store",
    "theory",
    "workflows",
]


def __getattr__(name: str):
    if name == "__version__":  # read once from the package metadata (synthaudit._util.version)
        from ._util import version

        globals()[name] = value = version()
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synthaudit' has no attribute {name!r}")
    if module == "":
        value = importlib.import_module(f"synthaudit.{name}")
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
