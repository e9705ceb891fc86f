"""Closed forms and exact finite-n laws for recursive training on synthetic data (DESIGN §5).

Notation: generation 0 is fitted on ``n0`` real rows; generation t ≥ 1 on the training set of
step t, built from ``n_t`` rows drawn from generation t − 1 by a *workflow*: ``replace`` (the n_t
synthetic rows only), ``accumulate`` (every row so far, ``N_t = n0 + Σ_{s≤t} n_s``) or ``mix:M``
(the n_t synthetic rows plus ``m_t`` fresh real rows). ``S_T = Σ_{t=1..T} 1/n_t`` and
``r_T² = n0 · S_T``.

Every function takes the schedule either as a :class:`~synthaudit.schedules.Schedule` (or its
string spec) plus ``n_generations``, or as an explicit array of sizes ``[n_1, …, n_T]``. The
module is pure: numpy and scipy only.

Submodules:

- :mod:`~synthaudit.theory.replace` — the fully synthetic loop: collapse criterion, the exact law
  of the Gaussian variance, the asymptotic improvement probability, the bias rule;
- :mod:`~synthaudit.theory.flows` — ``accumulate`` and ``mix``: exact variance and mean laws, the
  collapse criterion of every workflow;
- :mod:`~synthaudit.theory.finite` — exact finite-n laws: the mean improvement probability with
  σ² re-estimated, Wright–Fisher level loss, Galton–Watson extinction, exact improvement
  probabilities of one binary or count column (ties counted);
- :mod:`~synthaudit.theory.bartlett` — the multivariate generalized variance and the regression
  noise variance (products of independent χ² variables);
- :mod:`~synthaudit.theory.predictions` — :class:`Prediction` (a value with its kind, regime and
  error) and the rule deciding when an asymptotic prediction may be shown.

Examples
--------
>>> from synthaudit import theory
>>> from synthaudit.schedules import constant, polynomial
>>> theory.collapse_criterion(constant(100), 500).collapses
True
>>> round(theory.improvement_probability(100, polynomial(100, 1.5), 500, d=2), 4)
0.1891
"""

from __future__ import annotations

from .bartlett import (
    expected_generalized_variance_ratio,
    generalized_variance_law,
    noise_variance_law,
)
from .finite import (
    binary_improvement_probability,
    extinction_probability,
    level_loss_probability,
    mean_improvement_probability_exact,
    poisson_improvement_probability,
)
from .flows import (
    AccumulateVarianceLaw,
    WorkflowCriterion,
    WorkflowMoments,
    accumulate_variance_law,
    improvement_probability_workflow,
    mean_improvement_known_variance,
    workflow_criterion,
    workflow_moments,
)
from .predictions import (
    KINDS,
    Prediction,
    Validity,
    expected_variance_prediction,
    extinction_prediction,
    generalized_variance_prediction,
    improvement_prediction,
    improvement_validity,
    level_loss_prediction,
    mean_improvement_prediction,
    noise_variance_prediction,
    variance_collapse_prediction,
)
from .replace import (
    CollapseCriterion,
    VarianceLaw,
    _centered_cgf,
    accumulated_variance,
    bias_collapses,
    bias_drift,
    collapse_criterion,
    collapse_curve,
    collapse_probability,
    expected_variance_ratio,
    improvement_probability,
    improvement_probability_r,
    mean_improvement_probability,
    required_growth_power,
    variance_law,
)

__all__ = [
    "AccumulateVarianceLaw",
    "CollapseCriterion",
    "KINDS",
    "Prediction",
    "Validity",
    "VarianceLaw",
    "WorkflowCriterion",
    "WorkflowMoments",
    "accumulate_variance_law",
    "accumulated_variance",
    "bias_collapses",
    "bias_drift",
    "binary_improvement_probability",
    "collapse_criterion",
    "collapse_curve",
    "collapse_probability",
    "expected_generalized_variance_ratio",
    "expected_variance_prediction",
    "expected_variance_ratio",
    "extinction_prediction",
    "extinction_probability",
    "generalized_variance_law",
    "generalized_variance_prediction",
    "improvement_prediction",
    "improvement_probability",
    "improvement_probability_r",
    "improvement_probability_workflow",
    "improvement_validity",
    "level_loss_prediction",
    "level_loss_probability",
    "mean_improvement_known_variance",
    "mean_improvement_prediction",
    "mean_improvement_probability",
    "mean_improvement_probability_exact",
    "noise_variance_law",
    "noise_variance_prediction",
    "poisson_improvement_probability",
    "required_growth_power",
    "variance_collapse_prediction",
    "variance_law",
    "workflow_criterion",
    "workflow_moments",
]

_PRIVATE_FOR_TESTS = (_centered_cgf,)
