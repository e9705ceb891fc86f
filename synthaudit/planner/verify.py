"""Verification by simulation: do the planned schedules do what the laws promise?

Each schedule runs through :func:`synthaudit.run_audit` on the fast exact path with a known
Gaussian truth (every replication draws its own ``n0`` real rows from it) and the target's
quantity is measured across replications, beside the law's prediction. The parameters are read
through the result's :class:`~synthaudit.params.ParamLayout` (``mean_index``, ``cov_index``),
never by position or by name.

Seeding: ``seed=0`` by default, like the rest of the package; ``seed=None`` asks for fresh entropy,
which is recorded in ``provenance["seed_entropy"]`` (pass it back as ``seed`` to repeat the run).

Examples
--------
>>> from synthaudit.planner import Target
>>> v = verify("const:400", n0=100, n_generations=5, target=Target("extra_variance", 1.0),
...            n_replications=2000)
>>> v.table[["schedule_spec", "predicted"]].to_numpy().tolist()
[['const:400', 1.25]]
>>> v.provenance["seed"], v.provenance["seed_entropy"]
(0, 0)
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _random
from ..exceptions import ValidationError, collect
from ..schedules import Schedule
from ..schedules import parse as parse_schedule
from ._checks import ESTIMATORS, is_int, version
from .laws import SIMULATED_WORKFLOWS, law_for, resolve_workflow
from .search import PlanResult, Target

__all__ = ["AGREE_SE", "VERIFY_CHUNK", "Verification", "verify"]

#: replications simulated per engine call in :func:`verify` (a multiple of the fast-path block,
#: fixed so that a replication's numbers do not depend on ``n_replications``)
VERIFY_CHUNK = 8192
#: |measured − predicted| ≤ AGREE_SE · s.e. counts as agreement
AGREE_SE = 4.0


def _gaussian_kl_to_standard(mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``KL(N(0, I_p) ‖ N(μ, Σ))`` per lane: ``½[tr Σ⁻¹ + μᵀΣ⁻¹μ − p + log det Σ]``.

    ``mu`` is (B, p), ``cov`` (B, p, p); a Σ that is not positive definite gives ``inf``.
    """
    p = mu.shape[1]
    if p == 1:
        var = cov[:, 0, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return 0.5 * ((1.0 + mu[:, 0] ** 2) / var - 1.0 + np.log(var))
    sign, logdet = np.linalg.slogdet(cov)
    inv = np.linalg.inv(cov)
    trace = np.trace(inv, axis1=1, axis2=2)
    quad = np.einsum("bi,bij,bj->b", mu, inv, mu)
    out = 0.5 * (trace + quad - p + logdet)
    return np.where(sign > 0, out, np.inf)


def _gaussian_dimension(d: int) -> int | None:
    """p such that d = p + p(p+1)/2 (a p-variate Gaussian has d free parameters), else None."""
    for p in range(1, 64):
        if p + p * (p + 1) // 2 == d:
            return p
    return None


def _truth_table(n0: int, p: int, columns):
    """The known truth: N(0, I_p) with ``columns`` (the simulated table only carries its names)."""
    from ..datasets import simulate_gaussian, simulate_multivariate_gaussian

    if columns is None:
        columns = ("x",) if p == 1 else tuple(f"x{k}" for k in range(p))
    if len(columns) != p:
        raise ValidationError(f"`columns` must name {p} column(s); got {list(columns)!r}.")
    if p == 1:
        return simulate_gaussian(n0, 0.0, 1.0, column=columns[0], rng=0), tuple(columns)
    table = simulate_multivariate_gaussian(
        n0, np.zeros(p), np.eye(p), columns=list(columns), rng=0
    )
    return table, tuple(columns)


def _gaussian_blocks(result, columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(μ̂ (R, G, p), Σ̂ (R, G, p, p)) read through the result's layout; θ positions mapped to
    the result's quantity columns by identity of the parameter, never by position."""
    from ..metrics import layout_of

    lay = layout_of(result)
    if tuple(lay.gaussian_columns) != tuple(columns):
        raise ValidationError(  # pragma: no cover - a contract breach of the gaussian adapter
            f"the simulated Gaussian has columns {list(columns)} but its layout reads "
            f"{list(lay.gaussian_columns)}."
        )
    pos = np.array([result.quantities.index(name) for name in lay.names], dtype=np.int64)
    theta = result.values[..., pos]
    return theta[..., lay.mean_index], theta[..., lay.cov_index]


def _measure(target: Target, n0, schedule, T, d, estimator, n_replications, root, workflow,
             columns=None):
    """One score per replication for one schedule (fast path): an indicator or a square."""
    from ..engine import run_audit

    p = _gaussian_dimension(d) if target.kind == "improvement" and d != 1 else 1
    table, columns = _truth_table(n0, p, columns)
    scores = []  # one per replication: an indicator or n0·(μ_T − μ_0)²
    for c, start in enumerate(range(0, n_replications, VERIFY_CHUNK)):
        reps = min(VERIFY_CHUNK, n_replications - start)
        res = run_audit(
            table,
            adapter="gaussian",
            adapter_settings={"estimator": estimator},
            schedule=schedule,
            n_generations=T,
            n_replications=reps,
            workflow=workflow,
            n0=n0,
            holdout=0.0,
            seed=_chunk_seed(root, c),
            path="fast",
            metrics=(),  # the parameters are all we need
        )
        mu, cov = _gaussian_blocks(res, columns)
        if target.kind == "collapse":
            scores.append(cov[:, T, 0, 0] <= target.eps)  # σ² = 1
        elif target.kind == "extra_variance":
            scores.append(n0 * (mu[:, T, 0] - mu[:, 0, 0]) ** 2)
        elif d == 1:
            scores.append(np.abs(mu[:, T, 0]) < np.abs(mu[:, 0, 0]))  # μ = 0
        else:
            kl0 = _gaussian_kl_to_standard(mu[:, 0], cov[:, 0])
            klT = _gaussian_kl_to_standard(mu[:, T], cov[:, T])
            scores.append(klT < kl0)
    return np.concatenate(scores).astype(float)


@dataclass(frozen=True, eq=False, repr=False)
class Verification:
    """What :func:`verify` measured, beside what the planner promised.

    Attributes
    ----------
    table : DataFrame
        One row per schedule: ``label``, ``role`` (``"chosen"``, ``"cheaper neighbour"``,
        ``"never collapses"`` or ``"given"``), ``schedule_spec``, ``total_rows``, ``target``,
        ``predicted`` (NaN where the workflow has no law yet), ``measured``, ``mc_se``, ``z``
        (``(measured − predicted)/mc_se``), ``agrees`` (``|z| ≤ 4``; NA without a prediction),
        ``predicted_meets``, ``meets_target`` (the measured value meets the target),
        ``margin_se`` (distance from the target in s.e., positive on the meeting side) and
        ``verdict`` (``"meets"`` / ``"misses"`` when ``|margin_se| > 4``, else
        ``"at the target (within 4 s.e.)"``).
    target : Target
    provenance : dict
        Inputs (workflow, seed and its entropy included), how each target kind is measured, and
        the library version.
    """

    table: pd.DataFrame
    target: Target
    provenance: dict = field(default_factory=dict)

    @property
    def all_agree(self) -> bool:
        """Whether every prediction agrees with its measurement within 4 s.e. (False when
        nothing was predicted)."""
        agrees = self.table["agrees"].dropna()
        return bool(len(agrees) and agrees.all())

    def __repr__(self) -> str:
        return (
            f"Verification({self.target}, {len(self.table)} schedule(s), "
            f"all_agree={self.all_agree})"
        )

    def __str__(self) -> str:
        p = self.provenance
        head = (
            f"Verification of {self.target} at T = {p.get('n_generations')} (n0 = {p.get('n0')}"
            + (f", d = {p['d']}" if p.get("d") is not None else "")
            + f"; workflow {p.get('workflow')}; {p.get('n_replications')} replications, "
            f"seed {p.get('seed')}, entropy {p.get('seed_entropy')})"
        )
        cols = ["label", "role", "schedule_spec", "predicted", "measured", "mc_se", "agrees",
                "verdict"]
        return "\n".join([head, f"measured: {p.get('measured_as')}",
                          self.table[cols].to_string(index=False)])

    def _repr_html_(self) -> str:
        return (f"<p>{html.escape(str(self).splitlines()[0])}</p>"
                f"<p><i>measured: {html.escape(str(self.provenance.get('measured_as')))}</i></p>"
                + self.table.to_html(index=False))


_MEASURED_AS = {
    "collapse": "share of replications with σ̂²_T/σ² ≤ eps; truth N(0, 1), n0 fresh rows per "
    "replication; s.e. √(p(1−p)/R) at the larger-variance of the predicted and measured p",
    "extra_variance": "mean of n0·(μ̂_T − μ̂_0)²/σ² over replications (under replace its "
    "expectation is n0·S_T with the unbiased estimator); truth N(0, 1); s.e. sample s.d./√R",
    "improvement_1": "share of replications with |μ̂_T − μ| < |μ̂_0 − μ| (the Gaussian mean, "
    "d = 1); truth N(0, 1)",
    "improvement": "share of replications with KL(truth ‖ generation T) < KL(truth ‖ "
    "generation 0); truth N(0, I_p) with d = p + p(p+1)/2 free parameters",
}


def _schedules_to_verify(obj, include_neighbours):
    """[(label, role, schedule)] from a PlanResult, a schedule, a list or a dict."""
    if isinstance(obj, PlanResult):
        out = []
        for row in obj.table.itertuples():
            sched = obj.schedules.get(row.family)
            if sched is None:
                continue
            out.append((row.family, "chosen", sched))
            nb = obj.neighbours.get(row.family)
            if include_neighbours and nb is not None:
                out.append((row.family, "cheaper neighbour", nb))
        for row in obj.long_run.itertuples():
            sched = obj.never_collapse_schedules.get(row.family)
            if sched is not None and sched != obj.schedules.get(row.family):
                out.append((row.family, "never collapses", sched))
        return out
    if isinstance(obj, (Schedule, str)):
        s = parse_schedule(obj)
        return [(s.spec, "given", s)]
    if isinstance(obj, dict):
        return [(str(k), "given", parse_schedule(v)) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        scheds = [parse_schedule(v) for v in obj]
        return [(s.spec, "given", s) for s in scheds]
    raise ValidationError(
        "`plan_result_or_schedule` must be a PlanResult, a Schedule or spec string, or a list or "
        f"dict of them; got {type(obj).__name__}."
    )


def _from_plan(pr: PlanResult, given: dict) -> dict:
    """The plan's settings, with the ones given explicitly checked against them."""
    prov = pr.provenance
    plan_values = {"n0": prov.get("n0"), "n_generations": prov.get("n_generations"),
                   "target": pr.target, "d": prov.get("d"), "estimator": prov.get("estimator"),
                   "workflow": prov.get("workflow", "replace")}
    clash = []
    for key, value in given.items():
        ours = plan_values[key]
        if value is None:
            continue
        same = value == ours
        if key == "workflow":
            wf = resolve_workflow(value, [])
            same = wf is not None and wf.spec == ours
        if not same:
            clash.append(f"`{key}` = {value!r} differs from the plan's {ours!r}; leave it out to "
                         "use the plan's.")
    if clash:
        raise ValidationError(clash)
    return {k: (plan_values[k] if v is None else v) for k, v in given.items()}


def verify(
    plan_result_or_schedule,
    *,
    n0: int | None = None,
    n_generations: int | None = None,
    target: Target | None = None,
    d: int | None = None,
    n_replications: int = 4000,
    seed: int | np.random.SeedSequence | None = 0,
    estimator: str | None = None,
    include_neighbours: bool = False,
    workflow=None,
) -> Verification:
    """Check by simulation that schedules achieve what the laws (and the planner) promise.

    Each schedule is run through :func:`synthaudit.run_audit` on the fast exact path with a
    known truth (a Gaussian table; every replication draws its own ``n0`` real rows from it) and
    the target's quantity is measured across replications:

    =================  ========================================================================
    target             measured (predicted by :func:`~synthaudit.planner.evaluate_target`)
    =================  ========================================================================
    collapse           share of replications with ``σ̂²_T/σ² ≤ eps``, univariate N(0, 1)
                       (exact law: agrees for every n)
    extra_variance     mean of ``n0·(μ̂_T − μ̂_0)²/σ²``, whose expectation is ``n0·S_T`` exactly
                       under replace and the unbiased estimator (under the MLE it is smaller by
                       the factors ``Π(1 − 1/n_s)``: expect disagreement for small n). Heavy-
                       tailed when n_t is tiny (σ̂² is a product of χ² factors): keep
                       n_t ≳ 20 or use many more replications
    improvement, d=1   share with ``|μ̂_T − μ| < |μ̂_0 − μ|`` (the Gaussian mean), N(0, 1)
    improvement, d≥2   share with ``KL(truth ‖ gen T) < KL(truth ‖ gen 0)`` for a p-variate
                       N(0, I_p), ``d = p + p(p+1)/2``: d ∈ {2, 5, 9, 14, 20, …}
    =================  ========================================================================

    The improvement formula is *asymptotic* (normal estimators, Fisher metric, a variance that
    does not wander): measured and predicted agree when ``n0`` and every ``n_t`` are large (a
    few hundred or more; more for large d or long horizons with small ``n_t``). Other values of
    d are rejected: there is no simple model with that many free parameters to simulate.

    Agreement is ``|measured − predicted| ≤ 4·s.e.`` (Monte-Carlo standard error over
    ``n_replications``). For a proportion the s.e. is ``√(p(1−p)/R)`` at whichever of the
    predicted and measured p gives the larger value (so a measured 0 does not claim s.e. 0).

    Parameters
    ----------
    plan_result_or_schedule : PlanResult, Schedule, str, list or dict
        A :func:`~synthaudit.planner.plan` result (its chosen schedules, one per feasible family,
        and those in its ``long_run`` table that differ; n0, T, the target, d, the estimator and
        the workflow default to the plan's) or schedules given directly (a dict gives them
        labels).
    n0, n_generations : int, optional
        Required unless a PlanResult is given.
    target : Target, optional
        Required unless a PlanResult is given.
    d : int, optional
        Free parameters, for an improvement target.
    n_replications : int
        Replications per schedule (the fast path makes 10⁴–10⁵ cheap).
    seed : int, SeedSequence or None
        Root seed (default 0): the same seed gives the same measurements. ``None`` draws fresh
        entropy, recorded in ``provenance["seed_entropy"]``. Every schedule is simulated from
        the same seed (common random numbers), so *differences* between schedules are measured
        more precisely than each value, and their errors are correlated.
    estimator : {"unbiased", "mle"}, optional
        Variance estimator of the simulated Gaussian (default: the plan's, else unbiased).
    include_neighbours : bool
        With a PlanResult, also verify each family's cheaper neighbour (which misses the target
        by theory; by simulation only when the gap exceeds the Monte-Carlo error).
    workflow : {"replace", "accumulate"} or Workflow, optional
        How each generation's training set is built (default: the plan's, else ``replace``).
        Under a workflow without a law for the target the value is measured only
        (``predicted`` NaN). ``mix`` is refused until the engine draws mix's fresh real rows
        from a known truth.

    Returns
    -------
    Verification

    Examples
    --------
    >>> from synthaudit.planner import plan
    >>> r = plan(100, 20, extra_variance=2.0, families=("constant",))
    >>> v = verify(r, n_replications=20_000, seed=1)
    >>> v.table[["schedule_spec", "predicted"]].round(6).to_numpy().tolist()
    [['const:1000', 2.0]]
    >>> bool(v.table["agrees"].iloc[0])
    True
    """
    given = {"n0": n0, "n_generations": n_generations, "target": target, "d": d,
             "estimator": estimator, "workflow": workflow}
    if isinstance(plan_result_or_schedule, PlanResult):
        given = _from_plan(plan_result_or_schedule, given)
    n0, n_generations, target, d = (given[k] for k in ("n0", "n_generations", "target", "d"))
    estimator = "unbiased" if given["estimator"] is None else given["estimator"]
    problems: list[str] = []
    wf = resolve_workflow("replace" if given["workflow"] is None else given["workflow"], problems)
    if wf is not None and wf.name not in SIMULATED_WORKFLOWS:
        problems.append(
            f"`workflow` = {wf.spec!r} cannot be verified yet: with a known truth the engine "
            "draws mix's fresh real rows from one fixed simulated table rather than from the "
            "truth, so the measurement would describe that table (issue 10). Verify under "
            f"{' or '.join(repr(w) for w in SIMULATED_WORKFLOWS)}."
        )
    if not isinstance(target, Target):
        problems.append(f"`target` must be a Target; got {target!r}.")
    if not is_int(n0) or n0 < 2:
        problems.append(f"`n0` must be an integer ≥ 2 (real rows of generation 0); got {n0!r}.")
    if not is_int(n_generations) or n_generations < 1:
        problems.append(f"`n_generations` must be a positive integer; got {n_generations!r}.")
    if not is_int(n_replications) or n_replications < 2:
        problems.append(f"`n_replications` must be an integer ≥ 2; got {n_replications!r}.")
    root = None
    try:
        root = _random.as_root(seed)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if estimator not in ESTIMATORS:
        problems.append(f"`estimator` must be 'unbiased' or 'mle'; got {estimator!r}.")
    if isinstance(target, Target) and target.kind == "improvement":
        if not is_int(d) or d < 1:
            problems.append(f"`d` must be a positive integer for an improvement target; got {d!r}.")
        elif d != 1 and _gaussian_dimension(int(d)) is None:
            problems.append(
                f"`d` = {d} cannot be simulated: verify supports d = 1 (a Gaussian mean) and "
                "d = p + p(p+1)/2 (a p-variate Gaussian): 2, 5, 9, 14, 20, 27, …"
            )
    collect(problems)
    items = _schedules_to_verify(plan_result_or_schedule, include_neighbours)
    n0, T, R = int(n0), int(n_generations), int(n_replications)
    d = int(d) if d is not None else None
    law = law_for(wf, target.kind)

    rows = []
    for label, role, sched in items:
        predicted = (
            float(law(n0, sched, T, d=d, eps=target.eps, estimator=estimator, workflow=wf))
            if law is not None else math.nan
        )
        x = _measure(target, n0, sched, T, d, estimator, R, root, wf)
        measured = float(x.mean())
        rows.append(_row(label, role, sched, T, target, predicted, measured, x, R))
    columns = ["label", "role", "schedule_spec", "total_rows", "target", "predicted", "measured",
               "mc_se", "z", "agrees", "predicted_meets", "meets_target", "margin_se", "verdict"]
    table = pd.DataFrame(rows, columns=columns)
    table["total_rows"] = table["total_rows"].astype("int64")
    for col in ("agrees", "predicted_meets"):
        table[col] = table[col].astype("boolean")
    key = "improvement_1" if target.kind == "improvement" and d == 1 else target.kind
    provenance = {
        "synthaudit_version": version(),
        "n0": n0,
        "n_generations": T,
        "target": str(target),
        "d": d,
        "estimator": estimator,
        "workflow": wf.spec,
        "predicted_by": "exact law (synthaudit.theory)" if law is not None else "none (no law "
        f"for this target under {wf.spec!r} yet: measured only)",
        "n_replications": R,
        "seed": seed if seed is None or is_int(seed) else repr(seed),
        "seed_entropy": _random.root_entropy(root),
        "seed_spawn_key": list(root.spawn_key),
        "agree_within_se": AGREE_SE,
        "measured_as": _MEASURED_AS[key],
        "path": "fast",
    }
    return Verification(table=table, target=target, provenance=provenance)


def _row(label, role, sched, T, target, predicted, measured, x, R) -> dict:
    """One row of the verification table."""
    has_prediction = not math.isnan(predicted)
    if target.kind == "extra_variance":
        se = float(x.std(ddof=1) / math.sqrt(R))
    else:  # a proportion: its s.e. at the larger-variance of the predicted and measured p
        pq = measured * (1 - measured)
        if has_prediction:
            pq = max(pq, predicted * (1 - predicted))
        else:  # no prediction to lean on: at least one event's worth, so 0 s.e. is never claimed
            pq = max(pq, (1 / R) * (1 - 1 / R))
        se = math.sqrt(pq / R)
    if has_prediction:
        diff = measured - predicted
        z = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        agrees = bool(abs(diff) <= AGREE_SE * se)
        predicted_meets = target.met(predicted)
    else:
        z, agrees, predicted_meets = math.nan, pd.NA, pd.NA
    side = 1.0 if target.kind == "improvement" else -1.0
    gap = side * (measured - target.value)
    margin = gap / se if se > 0 else (math.copysign(math.inf, gap) if gap else 0.0)
    if margin > AGREE_SE:
        verdict = "meets"
    elif margin < -AGREE_SE:
        verdict = "misses"
    else:
        verdict = f"at the target (within {AGREE_SE:g} s.e.)"
    return {
        "label": label,
        "role": role,
        "schedule_spec": sched.spec,
        "total_rows": sched.total_rows(T),
        "target": str(target),
        "predicted": predicted,
        "measured": measured,
        "mc_se": se,
        "z": z,
        "agrees": agrees,
        "predicted_meets": predicted_meets,
        "meets_target": target.met(measured),
        "margin_se": margin,
        "verdict": verdict,
    }


def _chunk_seed(root: np.random.SeedSequence, c: int) -> int:
    """The integer seed of verification chunk ``c`` (a child of the recorded root)."""
    child = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (c,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
