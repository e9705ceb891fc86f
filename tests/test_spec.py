"""AuditSpec: one schema, one set of defaults, every problem at once (docs/design.md §4.4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthaudit as sa
from synthaudit import config, schedules, workflows
from synthaudit.exceptions import ValidationError
from synthaudit.spec import AuditSpec, resolve, settings_problems


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(2.0, 3.0, size=60),
                         "c": pd.Categorical(rng.choice(["a", "b"], size=60))})


def test_one_set_of_defaults_for_the_api_and_the_command_line():
    spec = AuditSpec()
    assert (spec.adapter, spec.n_generations, spec.n_replications, spec.holdout, spec.seed,
            spec.schedule, spec.workflow, spec.path) == (
        "mixed", 50, 100, 0.2, 0, None, workflows.Replace(), "auto")
    assert config.resolve({}).audit == spec  # no flag, no file: the same spec
    # run_audit's signature carries no default of its own: only the spec's
    import inspect

    params = inspect.signature(sa.run_audit).parameters
    assert [p for p in params if params[p].default is not inspect.Parameter.empty] == [
        "spec", "truth", "metrics"]


def test_spec_is_frozen_and_forbids_unknown_fields():
    spec = AuditSpec()
    with pytest.raises(Exception, match="frozen"):
        spec.seed = 3
    with pytest.raises(Exception, match="Extra inputs"):
        AuditSpec(generations=5)


def test_values_are_parsed_once_and_serialised_as_specs():
    spec = AuditSpec(schedule="poly:100:1.5", workflow="mix:10", n_generations=np.int64(7),
                     holdout=np.float32(0.25), run_dir="runs/a")
    assert spec.schedule == schedules.polynomial(100, 1.5)
    assert spec.workflow == workflows.Mix(10)
    assert spec.n_generations == 7 and type(spec.n_generations) is int
    js = spec.to_json()
    assert js["schedule"] == "poly:100:1.5" and js["workflow"] == "mix:10"
    assert js["run_dir"] == "runs/a"
    assert AuditSpec.model_validate(js) == spec


@pytest.mark.parametrize("fields, needle", [
    ({"n_generations": 0}, "`n_generations` must be an integer ≥ 1; got 0."),
    ({"n_generations": 2.0}, "`n_generations` must be an integer ≥ 1; got 2.0."),
    ({"n_generations": "5"}, "`n_generations` must be an integer ≥ 1; got '5'."),
    ({"n_replications": True}, "`n_replications` must be an integer ≥ 1; got True."),
    ({"holdout": 1.0}, "`holdout` must be a fraction in [0, 1); got 1.0."),
    ({"holdout": float("nan")}, "`holdout` must be a fraction in [0, 1); got nan."),
    ({"seed": -1}, "`seed` must be an integer ≥ 0"),
    ({"seed": 1.5}, "`seed` must be an integer ≥ 0"),
    ({"path": "quick"}, "`path` must be one of 'auto', 'fast', 'rows'; got 'quick'."),
    ({"n_jobs": 0}, "`n_jobs` must be a non-zero integer"),
    ({"keep_tables": "False"}, "`keep_tables` must be True or False; got 'False'."),
    ({"schedule": "poly:abc"}, "`schedule`: invalid schedule spec 'poly:abc'"),
    ({"workflow": "remix"}, "`workflow`: unknown workflow 'remix'"),
    ({"adapter": 3}, "`adapter` must be a registered adapter name"),
    ({"adapter_settings": "estimator=mle"}, "`adapter_settings` must be a dict"),
    ({"adapter_settings": {"seed": 3}}, "['seed'] is a setting of the audit itself"),
    ({"memory_budget": 0}, "`memory_budget` must be a positive integer (bytes); got 0."),
    ({"scheduler": "tcp://h:1"}, "`scheduler` needs backend='dask'"),
    ({"keep_tables": True, "run_dir": "r"}, "cannot be combined with `run_dir`"),
    ({"generations": 5}, "unknown setting `generations`"),
])
def test_each_problem_names_the_field_what_it_expects_and_what_it_got(fields, needle):
    _, problems, invalid = resolve(None, fields)
    assert len(problems) == 1 and needle in problems[0], problems
    assert invalid


def test_every_problem_at_once_and_the_valid_fields_kept():
    spec, problems, invalid = resolve(AuditSpec(n_replications=7), {
        "n_generations": 0, "holdout": 2, "path": "quick", "seed": 4, "scheduler": "tcp://x:1"})
    assert len(problems) == 4
    assert invalid == {"n_generations", "holdout", "path", "scheduler", "backend"}
    # the partial spec: valid fields kept, defaults in place of the invalid ones
    assert (spec.n_replications, spec.seed, spec.n_generations, spec.holdout) == (7, 4, 50, 0.2)


def test_run_audit_lists_settings_and_table_problems_together(table):
    with pytest.raises(ValidationError) as info:
        sa.run_audit(table, adapter="gaussian", n_generations=0, backend="spark",
                     adapter_settings={"columns": ["x", "nope"]})
    text = "\n".join(info.value.problems)
    assert len(info.value.problems) == 3, text
    assert "`n_generations`" in text and "`backend`" in text and "['nope'] not in the table" in text
    with pytest.raises(ValidationError) as info:  # what only the fitted model tells, too
        sa.run_audit(table, adapter="gaussian", adapter_settings={"columns": ["x"]},
                     seed=1.5, n0=1000, truth={"mean[x]": 0.0})
    text = "\n".join(info.value.problems)
    assert "`seed`" in text and "`n0` (1000)" not in text  # with a truth, n0 is not bounded
    with pytest.raises(ValidationError) as info:
        sa.run_audit(table, adapter="gaussian", adapter_settings={"columns": ["x"]}, n0=1000,
                     path="rows", schedule="const:1000000000", n_jobs=0)
    text = "\n".join(info.value.problems)
    assert len(info.value.problems) == 3 and "`n0` (1000) exceeds the 48 rows" in text
    assert "memory budget" in text


def test_adapter_settings_go_in_a_dict_and_unknown_keywords_say_so(table):
    with pytest.raises(ValidationError, match=r"adapter_settings=\{'estimator': 'mle'\}"):
        sa.run_audit(table, adapter="gaussian", estimator="mle")
    with pytest.raises(ValidationError, match="unknown setting `bogus`.*adapter_settings"):
        sa.run_audit(table, bogus=1)
    a = sa.run_audit(table, adapter="gaussian", adapter_settings={"estimator": "mle",
                                                                  "columns": ["x", "y"]},
                     n_generations=2, n_replications=3)
    assert a.config["adapter_settings"] == {"estimator": "mle", "columns": ["x", "y"]}
    assert a.config["adapter_params"]["estimator"] == "mle"


@pytest.mark.parametrize("adapter, settings, needle", [
    # the adapter's own settings check speaks first (it knows its domain); the spec's annotation
    # check covers adapters that have none
    ("categorical", {"joint": "False"}, "`joint` must be True or False; got 'False'."),
    ("mixed", {"joint": 1}, "`joint` must be True or False; got 1."),
    ("gaussian", {"columns": "x"}, "`adapter_settings.columns` must be a list or None; got 'x'."),
    ("mixed", {"numeric": "x"}, "`numeric` must be a list of column names; got 'x'."),
    ("gaussian", {"estimator": 1}, "`estimator` must be one of ['unbiased', 'mle']; got 1."),
    ("gaussian", {"estimatr": "mle"}, "unexpected keyword argument 'estimatr'"),
])
def test_adapter_settings_are_typed(table, adapter, settings, needle):
    with pytest.raises(ValidationError) as info:
        sa.run_audit(table, adapter=adapter, adapter_settings=settings, n_generations=2)
    assert len(info.value.problems) == 1 and needle in info.value.problems[0]


def test_settings_checker_reads_annotations_defaults_and_a_hook():
    class Toy:
        def __init__(self, columns: list[str] | None = None, mode: str = "a", k: int = 1,
                     flag=False, free=None):
            pass

        @classmethod
        def validate_settings(cls, settings):
            return ["mode must be 'a' or 'b'"] if settings.get("mode") not in (None, "a", "b") else []

    ok = {"columns": ["u", "v"], "mode": "b", "k": np.int64(3), "flag": True, "free": object()}
    assert settings_problems(Toy, ok) == []
    bad = settings_problems(Toy, {"columns": ["u", 2], "mode": "c", "k": 2.5, "flag": "yes",
                                  "forwarded": 1})
    assert bad == [
        "`adapter_settings.columns` must be a list of strings or None; got ['u', 2].",
        "`adapter_settings.k` must be an integer; got 2.5.",
        "`adapter_settings.flag` must be True or False; got 'yes'.",
        "mode must be 'a' or 'b'",
    ]


def test_adapter_object_takes_no_settings(table):
    ad = sa.make_adapter("gaussian", estimator="mle")
    with pytest.raises(ValidationError, match="only be given with an adapter name"):
        sa.run_audit(table[["x"]], adapter=ad, adapter_settings={"estimator": "unbiased"})
    res = sa.run_audit(table[["x"]], adapter=ad, n_generations=2, n_replications=2)
    assert res.config["adapter"] == "gaussian" and res.config["adapter_params"]["estimator"] == "mle"


def test_spec_and_fields_combine_and_the_config_rebuilds_the_run(table):
    spec = AuditSpec(adapter="mixed", schedule="const:30", n_generations=3, n_replications=5,
                     seed=9)
    a = sa.run_audit(table, spec, n_replications=6)  # a field overrides the spec
    assert a.n_replications == 6
    again = AuditSpec.model_validate({k: a.config[k] for k in AuditSpec.RESULT_FIELDS})
    b = sa.run_audit(table, again)
    assert b.values.tobytes() == a.values.tobytes() and b.config == a.config
    # execution settings never enter the config (nor change the numbers)
    c = sa.run_audit(table, again, n_jobs=2, backend="serial", progress=False)
    assert c.config == a.config and c.values.tobytes() == a.values.tobytes()


def test_seed_none_draws_fresh_entropy_and_records_it(table):
    a = sa.run_audit(table, seed=None, n_generations=2, n_replications=3)
    b = sa.run_audit(table, seed=None, n_generations=2, n_replications=3)
    assert a.config["seed"] == a.config["seed_entropy"] == a.provenance["seed_entropy"]
    assert a.config["seed"] != b.config["seed"]
    again = sa.run_audit(table, seed=a.config["seed"], n_generations=2, n_replications=3)
    assert again.values.tobytes() == a.values.tobytes()
