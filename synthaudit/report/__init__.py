"""The audit report room: numbers from the trace, one verdict, figures, a one-screen summary
and an auditor's HTML page (``docs/report.md``).

Modules, imported one way only (``numbers`` → ``verdict``/``summary``/``html``/``figures`` →
``_stats``): :mod:`~synthaudit.report.numbers` (:class:`AuditReport`: tidy tables computed from the
trace), :mod:`~synthaudit.report.verdict` (the decision table), :mod:`~synthaudit.report.summary`
(the one-screen text), :mod:`~synthaudit.report.html` (page and scoped CSS),
:mod:`~synthaudit.report.figures` (draws frames), :mod:`~synthaudit.report.compare`
(:func:`compare_schedules`), :mod:`~synthaudit.report.quantities` (the metric names it reads),
:mod:`~synthaudit.report.facts` (what was audited).

The report reads only an audit's result: ``import synthaudit.report`` loads neither the engine
nor the adapters (nor sdv or torch).

Examples
--------
>>> import synthaudit as sa
>>> sim = sa.datasets.simulate_gaussian(200, rng=0)
>>> res = sa.run_audit(sim, adapter="gaussian", schedule="const:100", n_generations=20,
...                    n_replications=200, n0=100, seed=0)
>>> rep = AuditReport.from_result(res)
>>> rep.verdict().label in LABELS
True
>>> print(rep.summary_text().splitlines()[0][:32])
Verdict: the loop degrades — the
"""

from ._stats import Estimate, wilson_interval
from .compare import compare_schedules
from .numbers import AuditReport
from .verdict import LABELS, KeyNumbers, Verdict

# the function ``verdict`` stays in its module (``synthaudit.report.verdict.verdict``): binding
# it here would hide the module of the same name
__all__ = ["LABELS", "AuditReport", "Estimate", "KeyNumbers", "Verdict", "compare_schedules",
           "wilson_interval"]
