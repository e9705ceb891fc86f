"""Predictions with their kind, regime and error, and the rule for showing asymptotic ones.

Every predicted number the report shows is a :class:`Prediction`: its ``value``, its ``kind``

- ``"exact"`` — a closed form, or an exactly computable law evaluated by a documented numerical
  method; ``error`` bounds the numerical error;
- ``"asymptotic"`` — a large-sample law, shown only inside the regime where simulation found it
  within its stated ``error`` of the truth: ``|P_asym − P| ≤ 0.25·max(P, 0.02)``;
- ``"none"`` — no prediction (``value`` is NaN); ``note`` says why,

the ``regime`` it holds in, and a ``note`` (the method). The entry points below pick the exact
law when one exists, else the asymptotic law inside its regime, else no prediction.

**The validity rule of the asymptotic improvement probability** (DESIGN §5, measured by
``docs/make_theory_table.py``: 504 configurations, none shown outside its stated error). With d
free parameters, ``n_min = min(n0, n_1, …, n_T)`` and ``e_T`` the Fisher-metric variance added by
the loop (``S_T`` under replace, ``Σ n_t/N_t²`` under accumulate, the AR(1) recursion under mix):

- Gaussian columns: ``n_min ≥ 2d`` and ``d·e_T ≤ 1``;
- categorical columns and counts: the exact probability that some level is lost (or some rate
  dies out) by T is at most 5 %, and the smallest expected count is large enough — when the model
  has a single free parameter (one binary column, one count column) ``n_min·p(1 − p) ≥ 20``
  (``n_min·λ ≥ 20``), otherwise ``n_min·min p ≥ 5`` (``n_min·min λ ≥ 5``); below that, lattice
  ties (``risk_T = risk_0``, never an improvement) and lost levels pull the truth under the
  asymptotic value;
- a model mixing blocks must meet every block's condition (with d its total);
- models with no closed form (SDV, external synthesizers, regression) get no prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import ValidationError
from ._inputs import _check_n0
from .bartlett import expected_generalized_variance_ratio, generalized_variance_law, noise_variance_law
from .finite import (
    binary_improvement_probability,
    extinction_probability,
    level_loss_probability,
    mean_improvement_probability_exact,
    poisson_improvement_probability,
)
from .flows import (
    _ar_coefficients,
    _resolve,
    accumulate_variance_law,
    improvement_probability_workflow,
    mean_improvement_known_variance,
    workflow_moments,
)
from .replace import variance_law

__all__ = [
    "KINDS",
    "Prediction",
    "Validity",
    "expected_variance_prediction",
    "extinction_prediction",
    "generalized_variance_prediction",
    "improvement_prediction",
    "improvement_validity",
    "level_loss_prediction",
    "mean_improvement_prediction",
    "noise_variance_prediction",
    "variance_collapse_prediction",
]

KINDS = ("exact", "asymptotic", "none")
#: stated error of an asymptotic improvement probability: |P_asym − P| ≤ REL·max(P, FLOOR)
ASYMPTOTIC_REL_ERROR = 0.25
ASYMPTOTIC_FLOOR = 0.02
#: thresholds of the validity rule (see the module docstring and DESIGN §5)
MIN_ROWS_PER_PARAM = 2
MAX_DRIFT = 1.0
MAX_LOSS = 0.05
MIN_COUNT_VARIANCE_SINGLE = 20.0
MIN_EXPECTED_COUNT = 5.0

NO_CLOSED_FORM = ("sdv", "external", "other", "object", "regression", "logistic", "linear")


@dataclass(frozen=True)
class Prediction:
    """A predicted number with its kind, regime and error.

    Attributes
    ----------
    value : float
        NaN when ``kind == "none"``.
    kind : {"exact", "asymptotic", "none"}
    regime : str
        Where the law holds.
    note : str
        The method, or why there is no prediction.
    error : float
        Exact: a bound on the numerical error. Asymptotic: the stated error
        ``0.25·max(value, 0.02)``. None: NaN.
    quantity : str
        What is predicted.

    Examples
    --------
    >>> p = Prediction(0.25, "exact", "replace workflow", "closed form", 0.0, "P(x)")
    >>> p.shown, str(p)
    (True, 'P(x) = 0.25 (exact; replace workflow)')
    """

    value: float
    kind: str
    regime: str
    note: str
    error: float
    quantity: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValidationError(f"`kind` must be one of {KINDS}; got {self.kind!r}.")

    @property
    def shown(self) -> bool:
        """Whether the report may show the value (exact, or asymptotic inside its regime)."""
        return self.kind != "none"

    def __str__(self) -> str:
        if not self.shown:
            return f"{self.quantity}: no prediction ({self.note})"
        return f"{self.quantity} = {self.value:.4g} ({self.kind}; {self.regime})"


def _none(quantity, regime, note):
    return Prediction(float("nan"), "none", regime, note, float("nan"), quantity)


def _asym_error(value):
    return ASYMPTOTIC_REL_ERROR * max(float(value), ASYMPTOTIC_FLOOR)


def _family(family) -> str:
    fam = str(family).lower()
    ok = ("gaussian", "categorical", "poisson", "mixed") + NO_CLOSED_FORM
    if fam not in ok:
        raise ValidationError(f"`family` must be one of {ok}; got {family!r}.")
    return fam


# --------------------------------------------------------------------------------------------
# the validity rule
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validity:
    """Whether the asymptotic improvement probability may be shown, and why.

    Attributes
    ----------
    ok : bool
    d : int
        Number of free parameters.
    reasons : tuple of str
        The conditions that fail (empty when ``ok``).
    regime : str
        The conditions, with their values.
    """

    ok: bool
    d: int
    reasons: tuple
    regime: str


def _levels(probabilities):
    cols = []
    for col in list(probabilities) if probabilities is not None else []:
        p = np.asarray(col, dtype=float)
        if p.ndim != 1 or p.size < 2 or np.any(p <= 0) or abs(p.sum() - 1) > 1e-9:
            raise ValidationError(
                "`probabilities` must hold, per categorical column, level probabilities > 0 "
                f"summing to 1; got {col!r}."
            )
        cols.append(p)
    return cols


def _rates(rates):
    r = np.asarray(list(rates) if rates is not None else [], dtype=float).ravel()
    if np.any(~np.isfinite(r)) or np.any(r <= 0):
        raise ValidationError(f"`rates` must be finite numbers > 0; got {rates!r}.")
    return r


def improvement_validity(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    workflow="replace",
    gaussian_dim: int = 0,
    probabilities=(),
    rates=(),
) -> Validity:
    """Decide whether the asymptotic improvement probability is inside its regime (the rule of
    the module docstring).

    Parameters
    ----------
    n0 : int
    schedule_or_sizes, n_generations
        The schedule (see :func:`~synthaudit.theory.variance_law`).
    workflow : str or Workflow
    gaussian_dim : int
        Number of Gaussian columns p (their d is ``p + p(p+1)/2``).
    probabilities : sequence of sequences
        Level probabilities of each categorical column (the truth, or the fit on the real table).
    rates : sequence of float
        Rates of each Poisson column.

    Examples
    --------
    >>> improvement_validity(10, "const:10", 100, gaussian_dim=1).ok        # d·S_T = 20
    False
    >>> improvement_validity(100, "const:100", 50, gaussian_dim=1).ok       # d·S_T = 1
    True
    >>> v = improvement_validity(50, "const:50", 1, probabilities=[[0.02, 0.98]])
    >>> v.ok, v.reasons
    (False, ('n_min·p(1 − p) = 0.98 < 20 (ties)',))
    """
    n0 = _check_n0(n0)
    cols = _levels(probabilities)
    lam = _rates(rates)
    p = int(gaussian_dim)
    d = p + p * (p + 1) // 2 + sum(c.size - 1 for c in cols) + lam.size
    if d == 0:
        raise ValidationError("the model has no parameter: give gaussian_dim, probabilities or rates.")
    sizes, name, m = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    n_min = int(min([n0, *sizes.tolist()]))
    _, e = _ar_coefficients(n0, sizes, name, m)
    reasons, parts = [], [f"d = {d}", f"n_min = {n_min}", f"d·e_T = {d * e:.3g}"]
    if p:
        if n_min < MIN_ROWS_PER_PARAM * d:
            reasons.append(f"n_min = {n_min} < {MIN_ROWS_PER_PARAM}·d = {MIN_ROWS_PER_PARAM * d}")
        if d * e > MAX_DRIFT * (1 + 1e-9):
            reasons.append(
                f"d·e_T = {d * e:.3g} > {MAX_DRIFT:g}: the variance drifts too far for the "
                "large-sample law (it collapses faster than the law assumes)"
            )
    if cols or lam.size:
        single = d == 1
        for c in cols:
            if single:
                v = n_min * float(c.min() * (1 - c.min()))
                if v < MIN_COUNT_VARIANCE_SINGLE:
                    reasons.append(f"n_min·p(1 − p) = {v:.3g} < {MIN_COUNT_VARIANCE_SINGLE:g} (ties)")
            elif n_min * float(c.min()) < MIN_EXPECTED_COUNT:
                reasons.append(
                    f"smallest expected count n_min·p = {n_min * float(c.min()):.3g} < "
                    f"{MIN_EXPECTED_COUNT:g}"
                )
        if lam.size:
            v = n_min * float(lam.min())
            need = MIN_COUNT_VARIANCE_SINGLE if single else MIN_EXPECTED_COUNT
            if v < need:
                reasons.append(f"n_min·λ = {v:.3g} < {need:g}")
        if not reasons:
            T = int(sizes.size)
            # under replace, Chebyshev on the martingale p̂_t bounds P(p̂_T = 0) by
            # (1 − p)/p · (1 − Π(1 − 1/n_t)); when these bounds already sum to at most 5 % the
            # exact law (seconds at n ~ 10⁴) is not needed: the rule holds a fortiori
            shrink = 1 - float(np.prod(1 - 1 / np.concatenate([[n0], sizes]).astype(float)))
            levels = [float(q) for c in cols for q in c]
            cheb = sum((1 - q) / q * shrink for q in levels)
            if not T:
                loss = 0.0
            elif name == "replace" and cheb <= MAX_LOSS:
                loss = cheb
            else:
                loss = sum(float(level_loss_probability(q, n0, sizes, workflow=workflow)) for q in levels)
            loss += sum(
                float(extinction_probability(float(r), n0, sizes, workflow=workflow)) for r in lam
            ) if T else 0.0
            parts.append(f"P(a level or rate lost by T) ≤ {loss:.3g}")
            if loss > MAX_LOSS:
                reasons.append(
                    f"a level or a rate is lost by T with probability up to {loss:.3g} > "
                    f"{MAX_LOSS:g} (a lost level makes the KL infinite)"
                )
    return Validity(ok=not reasons, d=d, reasons=tuple(reasons), regime=", ".join(parts))


# --------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------


def improvement_prediction(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    family: str,
    workflow="replace",
    gaussian_dim: int = 0,
    probabilities=(),
    rates=(),
    risk: str = "kl",
) -> Prediction:
    """``P(risk_T < risk_0)`` (strictly smaller risk) for a model family: exact where a finite-n
    law exists (one binary column, one count column), else asymptotic inside its regime
    (:func:`improvement_validity`), else none.

    Parameters
    ----------
    family : {"gaussian", "categorical", "poisson", "mixed", "sdv", "external", "regression", …}
        No closed form describes SDV synthesizers, external synthesizers or regressions: for them
        the prediction is ``"none"``.
    gaussian_dim, probabilities, rates
        The model's blocks (see :func:`improvement_validity`).
    risk : {"kl", "sq_error"}
        The exact laws cover both; the asymptotic law is for the KL (Fisher metric).

    Examples
    --------
    >>> improvement_prediction(100, "const:100", 10, family="gaussian", gaussian_dim=1).kind
    'asymptotic'
    >>> improvement_prediction(10, "const:10", 100, family="gaussian", gaussian_dim=1).kind
    'none'
    >>> p = improvement_prediction(50, "const:50", 1, family="categorical", probabilities=[[0.02, 0.98]])
    >>> p.kind, round(p.value, 4)       # the asymptotic law would say 0.3524
    ('exact', 0.0801)
    >>> improvement_prediction(100, "const:100", 5, family="sdv").note
    'no closed form describes this model (sdv)'
    """
    fam = _family(family)
    q = "P(risk_T < risk_0)"
    if fam in NO_CLOSED_FORM:
        return _none(q, "—", f"no closed form describes this model ({fam})")
    cols = _levels(probabilities)
    lam = _rates(rates)
    sizes, name, _ = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    if int(gaussian_dim) == 0 and len(cols) == 1 and cols[0].size == 2 and lam.size == 0:
        try:
            v, tie = binary_improvement_probability(
                float(cols[0][0]), n0, sizes, risk=risk, workflow=workflow, return_tie=True
            )
            return Prediction(
                float(v), "exact", f"{name} workflow, one binary column, any n",
                f"dynamic programming over the counts; ties (probability {tie:.3g}) are not "
                "improvements", 1e-12, q,
            )
        except ValidationError:
            pass  # too large for the exact programme: the asymptotic law, if in regime
    if int(gaussian_dim) == 0 and not cols and lam.size == 1:
        try:
            v, tie = poisson_improvement_probability(
                float(lam[0]), n0, sizes, risk=risk, workflow=workflow, return_tie=True
            )
            return Prediction(
                float(v), "exact", f"{name} workflow, one count column, any n",
                f"dynamic programming over the sums; ties (probability {tie:.3g}) are not "
                "improvements", 1e-12, q,
            )
        except ValidationError:
            pass
    if risk != "kl":
        return _none(q, "—", "the asymptotic law is for the KL risk (Fisher metric) only")
    val = improvement_validity(
        n0, sizes, workflow=workflow, gaussian_dim=gaussian_dim, probabilities=cols, rates=lam
    )
    if not val.ok:
        return _none(q, val.regime, "outside the asymptotic regime: " + "; ".join(val.reasons))
    v = improvement_probability_workflow(n0, sizes, d=val.d, workflow=workflow)
    return Prediction(
        float(v), "asymptotic", f"{name} workflow; " + val.regime,
        "E[Φ(−(r/2)·χ_d)] (Fisher metric, asymptotically normal estimators)", _asym_error(v), q,
    )


def mean_improvement_prediction(
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    workflow="replace",
    estimator: str = "unbiased",
    variance: str = "estimated",
) -> Prediction:
    """``P(|μ̂_T − μ| < |μ̂_0 − μ|)`` for a Gaussian mean.

    ``variance="estimated"`` (the Gaussian adapter re-estimates σ² every generation): exact under
    replace (:func:`~synthaudit.theory.mean_improvement_probability_exact`); under accumulate and
    mix the known-σ law, asymptotic — inside its regime everywhere simulation looked (n0 = n_t ≥ 5,
    ±25 %), since the variance no longer collapses there. ``variance="known"``: the exact
    bivariate-normal law of every workflow.

    Examples
    --------
    >>> p = mean_improvement_prediction(10, "const:10", 100)
    >>> p.kind, round(p.value, 4)
    ('exact', 0.1658)
    >>> mean_improvement_prediction(10, "const:10", 100, workflow="accumulate").kind
    'asymptotic'
    """
    if variance not in ("estimated", "known"):
        raise ValidationError(f"`variance` must be 'estimated' or 'known'; got {variance!r}.")
    q = "P(|μ_T − μ| < |μ_0 − μ|)"
    sizes, name, _ = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    if variance == "known":
        v = mean_improvement_known_variance(n0, sizes, workflow=workflow)
        return Prediction(v, "exact", f"{name} workflow, σ known", "bivariate normal law", 1e-14, q)
    if name == "replace":
        v, err = mean_improvement_probability_exact(n0, sizes, estimator=estimator, return_error=True)
        return Prediction(
            float(v), "exact", "replace workflow, σ² re-estimated, any n",
            "E[arctan(2σ/√(n0·V))/π] by a value-function recursion", max(err, 1e-12), q,
        )
    n_min = int(min([n0, *sizes.tolist()]))
    if n_min < 5:
        return _none(q, f"{name} workflow, n_min = {n_min}", "outside the simulated regime (n ≥ 5)")
    v = mean_improvement_known_variance(n0, sizes, workflow=workflow)
    return Prediction(
        v, "asymptotic", f"{name} workflow, σ² re-estimated, n_min = {n_min} ≥ 5",
        "the known-σ law (the variance does not collapse under this workflow)", _asym_error(v), q,
    )


def variance_collapse_prediction(
    eps,
    n0,
    schedule_or_sizes,
    n_generations=None,
    *,
    workflow="replace",
    estimator: str = "unbiased",
    include_baseline: bool = True,
) -> Prediction:
    """``P(σ̂²_T/σ² ≤ eps)`` for a univariate Gaussian: exact under replace (Gil-Pelaez) and
    accumulate (propagated law); none under mix (only the moments are exact there).

    Examples
    --------
    >>> round(variance_collapse_prediction(0.5, 100, "const:100", 300).value, 3)
    0.829
    >>> variance_collapse_prediction(0.5, 100, "const:100", 300, workflow="mix:10").kind
    'none'
    """
    q = f"P(σ̂²_T/σ² ≤ {eps:g})"
    sizes, name, _ = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    if name == "replace":
        v = variance_law(n0, sizes, estimator=estimator, include_baseline=include_baseline).cdf(eps)
        return Prediction(float(v), "exact", "replace workflow, any n",
                          "product of independent χ² (Gil-Pelaez inversion)", 1e-12, q)
    if name == "accumulate":
        law = accumulate_variance_law(n0, sizes, estimator=estimator, include_baseline=include_baseline)
        return Prediction(float(law.cdf(eps)), "exact", "accumulate workflow, any n",
                          "product of independent factors (Gauss rules + spline propagation)",
                          max(law.error_bound(), 1e-12), q)
    return _none(q, "mix workflow",
                 "only the moments are exact under mix (expected_variance_prediction)")


def expected_variance_prediction(
    n0, schedule_or_sizes, n_generations=None, *, workflow="replace", estimator: str = "unbiased"
) -> Prediction:
    """``E[σ̂²_T]/σ²``, exact under every workflow (:func:`~synthaudit.theory.workflow_moments`).

    Examples
    --------
    >>> round(expected_variance_prediction(10, [10, 10], workflow="accumulate").value, 6)
    0.962492
    """
    sizes, name, _ = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    mom = workflow_moments(n0, sizes, workflow=workflow, estimator=estimator)
    return Prediction(float(mom.variance_ratio[-1]), "exact", f"{name} workflow, any n",
                      "exact moment recursion", 1e-14, "E[σ̂²_T]/σ²")


def level_loss_prediction(
    p, n0, schedule_or_sizes, n_generations=None, *, workflow="replace", include_baseline=True
) -> Prediction:
    """``P(p̂_T = 0)`` for a level of probability p, exact (Wright–Fisher).

    Examples
    --------
    >>> round(level_loss_prediction(0.02, 50, "const:50", 1).value, 4)
    0.5266
    """
    v = level_loss_probability(p, n0, schedule_or_sizes, n_generations, workflow=workflow,
                               include_baseline=include_baseline)
    _, name, _ = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    return Prediction(float(v), "exact", f"{name} workflow, any n",
                      "dynamic programming over the binomial count chain", 1e-16, "P(level lost)")


def extinction_prediction(
    rate, n0, schedule_or_sizes, n_generations=None, *, workflow="replace", include_baseline=True
) -> Prediction:
    """``P(λ̂_T = 0)`` for a Poisson rate, exact (Galton–Watson).

    Examples
    --------
    >>> round(extinction_prediction(0.05, 20, "const:20", 100).value, 4)
    0.9808
    """
    v = extinction_probability(rate, n0, schedule_or_sizes, n_generations, workflow=workflow,
                               include_baseline=include_baseline)
    _, name, _ = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    return Prediction(float(v), "exact", f"{name} workflow, any n",
                      "Galton–Watson pgf composition", 1e-15, "P(rate = 0)")


def generalized_variance_prediction(
    n0, schedule_or_sizes, n_generations=None, *, dim: int, eps=None, workflow="replace",
    estimator: str = "unbiased", include_baseline: bool = True,
) -> Prediction:
    """``E|Σ̂_T|/|Σ|`` (``eps`` None) or ``P(|Σ̂_T|/|Σ| ≤ eps)``: exact under replace (Bartlett);
    none under accumulate and mix.

    Examples
    --------
    >>> round(generalized_variance_prediction(10, "const:10", 9, dim=2).value, 6)
    0.307946
    """
    sizes, name, _ = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    q = "E|Σ̂_T|/|Σ|" if eps is None else f"P(|Σ̂_T|/|Σ| ≤ {eps:g})"
    if name != "replace":
        return _none(q, f"{name} workflow", "Bartlett's law is derived for the replace workflow")
    if eps is None:
        v = expected_generalized_variance_ratio(n0, sizes, dim=dim, estimator=estimator,
                                                include_baseline=include_baseline)
        return Prediction(v, "exact", "replace workflow, any n", "Bartlett decomposition", 1e-14, q)
    try:
        law = generalized_variance_law(n0, sizes, dim=dim, estimator=estimator,
                                       include_baseline=include_baseline)
    except ValidationError:
        return Prediction(1.0, "exact", "replace workflow, n_t ≤ dim", "Σ̂ is singular", 0.0, q)
    return Prediction(float(law.cdf(eps)), "exact", "replace workflow, any n",
                      "independent log-χ² terms (Gil-Pelaez inversion)", 1e-12, q)


def noise_variance_prediction(
    n0, schedule_or_sizes, n_generations=None, *, n_coef: int, eps=None, workflow="replace",
    include_baseline: bool = True,
) -> Prediction:
    """Regression noise variance: ``E[σ̂²_T]/σ² = 1`` (``eps`` None) or ``P(σ̂²_T/σ² ≤ eps)``,
    exact under replace for a full-rank design (χ² with ``n_t − q`` dof); none otherwise.

    Examples
    --------
    >>> round(noise_variance_prediction(50, "const:50", 20, n_coef=3, eps=0.5).value, 4)
    0.3968
    """
    sizes, name, _ = _resolve(n0, schedule_or_sizes, n_generations, workflow)
    q = "E[σ̂²_T]/σ²" if eps is None else f"P(σ̂²_T/σ² ≤ {eps:g})"
    if name != "replace":
        return _none(q, f"{name} workflow", "the χ² product is derived for the replace workflow")
    law = noise_variance_law(n0, sizes, n_coef=n_coef, include_baseline=include_baseline)
    v = law.mean() if eps is None else float(law.cdf(eps))
    return Prediction(v, "exact", "replace workflow, full-rank design",
                      "product of independent χ²_{n−q}/(n−q)", 1e-12, q)

