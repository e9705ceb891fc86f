"""What the report knows about the *metric* quantities of a trace.

Parameters are read through their layout (:mod:`synthaudit.params`), never by name. Metric
quantities follow the parameters in ``result.quantities``; this module is the one place the
report reads their names — the names the engine's metrics record (``docs/report.md``):

==============================  =========  ==================================================
trace name                      family     what
==============================  =========  ==================================================
``risk[kl]``                    risk       KL divergence from the truth to generation t
``risk[param_sq_error]``        risk       squared parameter error ‖θ_t − θ*‖²
``risk[holdout_nll]``           risk       mean negative log-likelihood of the holdout rows
``risk[downstream:TARGET]``     risk       downstream model's loss on the holdout
``risk[kl_to_reference]``       risk       (computed by the report) KL to the whole-table fit
``dist[KEY]``                   distance   distance of generation t's table to the real pool
``dist_gen0[KEY]``              distance   distance to generation 0's table
==============================  =========  ==================================================

Examples
--------
>>> metric_info("risk[holdout_nll]").label
'held-out negative log-likelihood (nats per row)'
>>> metric_info("risk[downstream:species]").label
'downstream loss predicting species'
>>> metric_info("dist[ks:x]").family, metric_info("whatever").family
('distance', 'other')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IMPROVEMENT_RISKS", "MetricInfo", "metric_info", "metric_quantities"]

#: risks that may define "better than the real-only model", in order of preference
IMPROVEMENT_RISKS = ("risk[kl]", "risk[holdout_nll]", "risk[kl_to_reference]")

_RISKS = {
    "kl": ("KL divergence to the truth (nats)", "KL to truth"),
    "param_sq_error": ("squared parameter error", "param. sq. error"),
    "holdout_nll": ("held-out negative log-likelihood (nats per row)", "held-out NLL"),
    "kl_to_reference": ("KL divergence to the whole-table fit (nats)", "KL to whole table"),
}
_DISTANCES = {"ks": "Kolmogorov–Smirnov distance", "tv": "total-variation distance",
              "corr": "correlation-matrix distance"}


@dataclass(frozen=True)
class MetricInfo:
    """A metric quantity as the report reads it.

    ``family``: ``"risk"``, ``"distance"`` or ``"other"``; ``key``: the text inside the
    brackets; ``label``: words for people; ``short``: a figure title.
    """

    name: str
    family: str
    key: str
    label: str
    short: str


def _inside(name: str, prefix: str) -> str | None:
    if name.startswith(prefix) and name.endswith("]"):
        return name[len(prefix):-1]
    return None


def metric_info(name: str) -> MetricInfo:
    """How the report reads one metric quantity name (see the module's table)."""
    name = str(name)
    key = _inside(name, "risk[")
    if key is not None:
        if key in _RISKS:
            label, short = _RISKS[key]
        elif key.startswith("downstream:"):
            target = key[len("downstream:"):]
            label, short = f"downstream loss predicting {target}", f"downstream: {target}"
        else:
            label = short = f"risk {key}"
        return MetricInfo(name, "risk", key, label, short)
    for prefix, against in (("dist_gen0[", "generation 0's table"), ("dist[", "the real table")):
        key = _inside(name, prefix)
        if key is not None:
            kind, _, col = key.partition(":")
            what = _DISTANCES.get(kind, kind)
            label = f"{what} of {col} to {against}" if col else f"{what} to {against}"
            return MetricInfo(name, "distance", key, label, label)
    return MetricInfo(name, "other", name, name, name)


def metric_quantities(quantities, parameters) -> tuple[str, ...]:
    """The metric names of a trace: its quantities that are not parameters, in trace order."""
    params = set(parameters)
    return tuple(q for q in quantities if q not in params)
