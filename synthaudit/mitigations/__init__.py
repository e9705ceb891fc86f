"""Mitigations of model collapse: composable steps, their theory, a simulator, a planner.

=====================  ========================================================================
``steps``              the steps as frozen value objects and the composed :class:`Mitigation`
                       the engine calls (specs: ``fresh:0.2``, ``weighted:decay=0.5``,
                       ``shrink:0.1``, ``filter:likelihood:q=0.05``, ``ridge:auto``, joined
                       with ``+``)
``theory``             exact recursions and closed forms, each marked exact or asymptotic
``filters``            batched scoring of synthetic rows (likelihood, classifier, PCA)
``simulate``           a vectorised simulator of mitigated loops on a real table
``planning``           :func:`cheapest_fresh_share`: the cheapest (α, n) meeting a risk target
=====================  ========================================================================

See docs/mitigations.md.

Examples
--------
>>> from synthaudit import mitigations
>>> mitigations.parse("fresh:0.2+shrink:0.1").spec
'fresh:0.2+shrink:0.1'
"""

from . import theory
from .planning import FreshSharePlan, cheapest_fresh_share
from .simulate import MitigationRun, RegressionRun, simulate, simulate_regression
from .steps import Filter, FreshShare, Mitigation, Ridge, Shrink, Step, Weighted, parse, parse_step

__all__ = [
    "Filter",
    "FreshShare",
    "FreshSharePlan",
    "Mitigation",
    "MitigationRun",
    "RegressionRun",
    "Ridge",
    "Shrink",
    "Step",
    "Weighted",
    "cheapest_fresh_share",
    "parse",
    "parse_step",
    "simulate",
    "simulate_regression",
    "theory",
]
