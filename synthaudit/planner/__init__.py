"""Plan expansion schedules: the cheapest schedule of each family that meets a target.

- :mod:`~synthaudit.planner.search` — targets (:class:`Target`, :func:`evaluate_target`) and
  :func:`plan`, the cheapest member of each schedule family at the horizon T and the cheapest
  that never collapses (:class:`PlanResult`);
- :mod:`~synthaudit.planner.frontier` — the cost–utility frontier (:func:`frontier`) and its plot
  (:func:`plot_frontier`);
- :mod:`~synthaudit.planner.verify` — :func:`verify`, which checks a plan by simulation on the
  engine's fast exact path (:class:`Verification`);
- :mod:`~synthaudit.planner.laws` — which law is used for each workflow and target
  (:data:`~synthaudit.planner.laws.LAWS`): the one place to plug in new laws.

Examples
--------
>>> from synthaudit.planner import plan
>>> result = plan(100, 50, d=2, improvement=0.2)
>>> import textwrap
>>> for line in result.headline():
...     print(textwrap.fill(line, 96, subsequent_indent="    "))
cheapest at T = 50: constant(2223) [const:2223], 111,150 rows — collapses as T grows, so it
    meets the target at T = 50 only (P_T → 0 as T → ∞)
cheapest that never collapses (and keeps the target at every T): polynomial(100, 1.61346)
    [poly:100:1.61346], 1,082,027 rows — P_T → 0.2 as T → ∞
"""

from .frontier import frontier, plot_frontier
from .search import FAMILIES, PlanResult, Target, evaluate_target, plan
from .verify import Verification, verify

__all__ = [
    "FAMILIES",
    "PlanResult",
    "Target",
    "Verification",
    "evaluate_target",
    "frontier",
    "plan",
    "plot_frontier",
    "verify",
]
