"""The command line, run as a user would: exit codes, one-line errors, nothing lost on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit.cli import main
from synthaudit.store import load_run

WINE2 = ["--dataset", "wine", "--adapter", "gaussian",
         "--adapter-option", 'columns=["alcohol","ash"]']


def cli(capsys, *args):
    """In-process run: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def sub(*args, cwd=None, timeout=120):
    """A real process: ``python -m synthaudit ARGS``."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    p = subprocess.run([sys.executable, "-m", "synthaudit", *map(str, args)], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=timeout, check=False)
    return p.returncode, p.stdout, p.stderr


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def assert_one_error(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    others = [line for line in err.splitlines()
              if line.strip() and not line.startswith(("error: ", "warning: "))]
    assert len(errors) == 1 and not others, err
    for needle in needles:
        assert needle in errors[0], errors[0]


# ---------------------------------------------------------------------------------------------
# files for the bad-input cases
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=40), "y": rng.normal(size=40)}).to_csv(d / "ok.csv",
                                                                              index=False)
    (d / "ragged.csv").write_text('x,y\n1,2\n3\n5,5,6,7\n"unterminated\n')
    (d / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (d / "corrupt.parquet").write_bytes(b"PAR1" + bytes(range(200)) + b"not really")
    (d / "empty.csv").write_bytes(b"")
    (d / "header.csv").write_text("x,y\n")
    (d / "one.csv").write_text("x,y\n1.0,2.0\n")
    (d / "nan.csv").write_text("x,y,c\n1,2,a\n,4,b\n5,,a\n6,7,\n8,9,a\n2,3,b\n4,4,a\n")
    (d / "text.csv").write_text("x,c\n1,a\n2,b\n3,a\n4,b\n")
    (d / "const.csv").write_text("x,k\n1,5\n2,5\n3,5\n4,5\n")
    (d / "folder.csv").mkdir()
    (d / "bad_field.yaml").write_text("generations: 3\nreplicationz: 4\n")
    (d / "bad_syntax.yaml").write_text("generations: [3\n")
    (d / "bad_value.toml").write_text('generations = 0\nbackend = "spark"\n')
    foreign = d / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("do not touch")
    return d


@pytest.fixture(scope="module")
def existing_run(tmp_path_factory):
    """A finished run directory that no failed command may change."""
    d = tmp_path_factory.mktemp("runs") / "done"
    code = main(["run", *WINE2, "-T", "3", "-R", "4", "--path", "rows", "--run-dir", str(d), "-q"])
    assert code == 0
    return d


BAD = {
    "missing file": (["--data", "{d}/nothere.csv"], ["file not found"]),
    "directory as file": (["--data", "{d}/folder.csv"], ["must be a file"]),
    "unreadable bytes": (["--data", "{d}/binary.csv"], ["could not be read as CSV"]),
    "corrupt csv": (["--data", "{d}/ragged.csv"], ["could not be read as CSV"]),
    "corrupt parquet": (["--data", "{d}/corrupt.parquet"], ["could not be read as Parquet"]),
    "empty file": (["--data", "{d}/empty.csv"], ["empty"]),
    "empty table": (["--data", "{d}/header.csv"], ["no rows"]),
    "single row": (["--data", "{d}/one.csv"], ["1 row"]),
    "nan cells": (["--data", "{d}/nan.csv"], ["NaN", "x (1)", "y (1)", "c (1)", "--dropna"]),
    "text column": (["--data", "{d}/text.csv", "--adapter", "gaussian"], ["not numeric", "'c'"]),
    "constant column": (["--data", "{d}/const.csv", "--adapter", "gaussian"], ["constant", "k"]),
    "unknown adapter": (["--adapter", "nope"], ["unknown adapter 'nope'", "gaussian"]),
    "unknown dataset": (["--dataset", "nope"], ["nope", "penguins"]),
    "invalid schedule": (["--schedule", "poly:abc"], ["invalid schedule spec"]),
    "schedule too small": (["--schedule", "const:1"], ["at least 2 rows"]),
    "memory budget": ([*WINE2, "--path", "rows", "--schedule", "poly:100:3", "-T", "400"],
                      ["memory budget", "GiB"]),
    "bad adapter option": (["--adapter-option", "novalue"], ["KEY=VALUE"]),
    "adapter option clash": (["--adapter-option", "seed=3"], ["seed"]),
    "data and dataset": (["--data", "{d}/ok.csv", "--dataset", "wine"], ["not both"]),
    "output suffix": (["--output", "trace.xlsx"], ["output", ".parquet"]),
    "unknown option": (["--bogus"], ["No such option", "--help"]),
    "bad integer": (["--generations", "many"], ["--generations"]),
    "negative replications": (["-R", "0"], ["replications"]),
    "config unknown field": (["--config", "{d}/bad_field.yaml"], ["replicationz", "bad_field"]),
    "config syntax": (["--config", "{d}/bad_syntax.yaml"], ["could not be parsed"]),
    "config missing": (["--config", "{d}/nothere.yaml"], ["config file not found"]),
    "foreign run dir": (["--run-dir", "{d}/foreign"], ["not a synthaudit run directory"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gives_one_line_and_exit_2(capsys, files, existing_run, case):
    args, needles = BAD[case]
    args = [a.format(d=files) for a in args]
    if "--run-dir" not in args:
        args += ["--run-dir", str(existing_run)]
    before, foreign = snapshot(existing_run), snapshot(files / "foreign")
    code, _out, err = cli(capsys, "run", "-T", "3", "-R", "4", *args)
    assert_one_error(code, err, *needles)
    assert snapshot(existing_run) == before
    assert snapshot(files / "foreign") == foreign


def test_config_file_lists_every_problem(capsys, files):
    code, _out, err = cli(capsys, "run", "--config", files / "bad_value.toml")
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert "`generations`" in err and "`backend`" in err and "bad_value.toml" in err


def test_settings_and_table_problems_are_listed_together(capsys, files):
    code, _out, err = cli(capsys, "run", "-R", "0", "--data", files / "text.csv", "--adapter",
                          "gaussian", "--adapter-option", "estimator=3")
    assert code == 2 and "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, err
    assert "`replications` must be an integer ≥ 1; got 0" in errors[0]
    assert "estimator" in errors[1] and "got 3" in errors[1], errors[1]
    code, _out, err = cli(capsys, "run", "-R", "0", "--data", files / "text.csv", "--adapter",
                          "gaussian")
    assert code == 2 and "`replications`" in err and "not numeric" in err, err


@pytest.mark.parametrize("option, needle", [
    ("joint=False", "`joint` must be True or False; got 'False'"),
    ("numeric=x", "`numeric` must be a list of column names; got 'x'"),
])
def test_adapter_options_are_typed(capsys, option, needle):
    code, _out, err = cli(capsys, "run", "-T", 2, "-R", 2, "--adapter-option", option)
    assert_one_error(code, err, needle)


def test_config_file_names_and_aliases(capsys, tmp_path):
    (tmp_path / "both.yaml").write_text("generations: 3\nn_generations: 4\n")
    code, _out, err = cli(capsys, "run", "--config", tmp_path / "both.yaml")
    assert_one_error(code, err, "`n_generations` and `generations` both set n_generations",
                     "both.yaml")
    (tmp_path / "x.toml").write_text('n-replications = 3\nn_generations = 2\nquiet = true\n'
                                      '[adapter-settings]\nestimator = "mle"\n'
                                      'columns = ["bill_length_mm"]\n')
    code, out, err = cli(capsys, "run", "--config", tmp_path / "x.toml", "--adapter", "gaussian",
                         "--run-dir", tmp_path / "r")
    assert code == 0 and out == "", err
    res = load_run(tmp_path / "r")
    assert res.n_replications == 3 and res.config["adapter_settings"] == {
        "estimator": "mle", "columns": ["bill_length_mm"]}


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_unreadable_file(capsys, files, tmp_path):
    p = tmp_path / "secret.csv"
    p.write_text("x\n1\n2\n")
    p.chmod(0)
    code, _out, err = cli(capsys, "run", "--data", p)
    assert_one_error(code, err, "secret.csv")


def test_dropna_drops_the_rows(capsys, files):
    code, out, err = cli(capsys, "run", "--data", files / "nan.csv", "--dropna", "--adapter",
                         "gaussian", "--adapter-option", 'columns=["x","y"]', "-T", "2", "-R", "3")
    assert code == 0, err
    assert "generations=2" in out and "replications=3" in out


def test_run_directory_problems_leave_it_untouched(capsys, existing_run, tmp_path):
    before = snapshot(existing_run)
    code, _out, err = cli(capsys, "run", *WINE2, "-T", "3", "-R", "5", "--path", "rows",
                         "--run-dir", existing_run)
    assert_one_error(code, err, "holds a different audit", "n_replications (stored 4, now 5)")
    assert snapshot(existing_run) == before
    broken = tmp_path / "broken"
    broken.mkdir()
    for name, content in before.items():
        (broken / name).parent.mkdir(parents=True, exist_ok=True)
        (broken / name).write_bytes(content)
    (broken / "manifest.json").write_text('{"format": 1, "config": {')
    before = snapshot(broken)
    code, _out, err = cli(capsys, "run", *WINE2, "-T", "3", "-R", "4", "--path", "rows",
                         "--run-dir", broken)
    assert_one_error(code, err, "manifest", "is corrupt")
    code, _out, err = cli(capsys, "report", broken, "-o", tmp_path / "r.html")
    assert_one_error(code, err, "is corrupt")
    assert snapshot(broken) == before


def test_subprocess_bad_inputs(files, existing_run):
    before = snapshot(existing_run)
    for args, needle in [
        (["--data", files / "nothere.csv"], "file not found"),
        (["--data", files / "corrupt.parquet"], "could not be read as Parquet"),
        (["--data", files / "nan.csv"], "NaN"),
        ([*WINE2, "--path", "rows", "--schedule", "poly:100:3", "-T", "400"], "memory budget"),
        (["--run-dir", files / "foreign"], "not a synthaudit run directory"),
    ]:
        code, out, err = sub("run", "-T", "3", "-R", "4", *args)
        assert_one_error(code, err, needle)
        assert out == ""
    assert snapshot(existing_run) == before


# ---------------------------------------------------------------------------------------------
# what works
# ---------------------------------------------------------------------------------------------
def test_run_writes_trace_identical_to_the_library(capsys, tmp_path):
    from synthaudit import datasets, run_audit

    ref = run_audit(datasets.load("penguins"), n_generations=4, n_replications=30)  # defaults
    for name in ("t.parquet", "t.csv"):
        code, out, err = cli(capsys, "run", "-T", 4, "-R", 30, "--output", tmp_path / name)
        assert code == 0, err
        assert f"trace: {tmp_path / name}" in out
    got = pd.read_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(got, ref.trace)
    csv = pd.read_csv(tmp_path / "t.csv", float_precision="round_trip")
    assert np.array_equal(csv["value"].to_numpy(), ref.trace["value"].to_numpy())
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


WORKTREE = Path(__file__).resolve().parent.parent


def test_the_same_settings_give_the_same_trace_and_verdict_from_python_and_the_cli(tmp_path):
    """`synthaudit run` (the console script, in a fresh process) and run_audit with the same
    settings and no others: identical values, trace, config and verdict (one AuditSpec)."""
    import shutil

    from synthaudit import datasets, run_audit
    from synthaudit.report import AuditReport

    env = {**os.environ, "PYTHONWARNINGS": "ignore",
           "PYTHONPATH": os.pathsep.join([str(WORKTREE), os.environ.get("PYTHONPATH", "")])}
    script = shutil.which("synthaudit")
    command = [script] if script else [sys.executable, "-m", "synthaudit"]
    args = ["run", "--dataset", "penguins", "-T", "5", "-R", "20", "-o", str(tmp_path / "t.parquet"),
            "--run-dir", str(tmp_path / "run")]
    p = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=120,
                       cwd=tmp_path, check=False)
    assert p.returncode == 0, p.stderr
    api = run_audit(datasets.load("penguins"), n_generations=5, n_replications=20)
    cli_result = load_run(tmp_path / "run")
    assert cli_result.values.tobytes() == api.values.tobytes()
    assert cli_result.config == api.config
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), api.trace)
    verdict = str(AuditReport.from_result(api).verdict())
    assert verdict and str(AuditReport.from_result(cli_result).verdict()) == verdict
    assert verdict in p.stdout  # the verdict the command printed
    # the same settings from a config file, in the names of the spec
    (tmp_path / "audit.yaml").write_text("dataset: penguins\nn_generations: 5\n"
                                         "n_replications: 20\nholdout: 0.2\nseed: 0\n")
    code = main(["run", "--config", str(tmp_path / "audit.yaml"), "--run-dir",
                 str(tmp_path / "run2"), "-q"])
    assert code == 0
    assert load_run(tmp_path / "run2").values.tobytes() == api.values.tobytes()


def test_config_file_and_flag_override(capsys, tmp_path):
    (tmp_path / "data.csv").write_text(
        "x,y\n" + "\n".join(f"{i % 7},{(i * 3) % 11}" for i in range(30)) + "\n")
    (tmp_path / "a.yaml").write_text(
        "data: data.csv\nadapter: gaussian\ngenerations: 9\nreplications: 5\nseed: 4\n"
        "run-dir: run\nadapter-options:\n  estimator: mle\n")
    (tmp_path / "a.toml").write_text(
        'data = "data.csv"\nadapter = "gaussian"\ngenerations = 9\nreplications = 5\n')
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    os.chdir(elsewhere)  # relative paths in the file are relative to the file
    try:
        code, out, err = cli(capsys, "run", "--config", tmp_path / "a.yaml", "-T", 3)
        assert code == 0, err
        assert "generations=3" in out and "seed=4" in out
        res = load_run(tmp_path / "run")
        assert res.config["adapter_params"]["estimator"] == "mle" and res.n_generations == 3
        code, out, err = cli(capsys, "run", "--config", tmp_path / "a.toml", "--seed", 2, "-q")
        assert code == 0 and out == "", err
    finally:
        os.chdir(tmp_path)


def test_datasets_commands(capsys):
    code, out, err = cli(capsys, "datasets", "list")
    assert code == 0 and "penguins" in out and "wine" in out
    code, out, err = cli(capsys, "datasets", "show", "penguins")
    assert code == 0 and "licence: CC0 1.0" in out and "species: Adelie" in out
    code, out, err = cli(capsys, "datasets", "show", "nope")
    assert_one_error(code, err, "nope")


def test_version_and_help(capsys):
    from synthaudit import __version__

    code, out, _err = cli(capsys, "--version")
    assert code == 0 and out.strip() == f"synthaudit {__version__}"
    for cmd in ([], ["run"], ["report"], ["plan"], ["datasets"]):
        code, out, _err = cli(capsys, *cmd, "--help")
        assert code == 0 and "Example" in out, cmd
    code, out, _err = cli(capsys)
    assert code == 0 and "Usage" in out


def test_help_shows_the_specs_defaults(capsys):
    """The flags have no defaults of their own (None = not given); their help text quotes the
    AuditSpec's, and must keep quoting them right."""
    import re

    from synthaudit.spec import AuditSpec

    code, out, _err = cli(capsys, "run", "--help")
    assert code == 0
    text = " ".join(out.split())
    spec = AuditSpec()
    for flag, field in [("--generations", "n_generations"), ("--replications", "n_replications"),
                        ("--holdout", "holdout"), ("--seed", "seed"), ("--jobs", "n_jobs")]:
        shown = re.search(re.escape(flag) + r" <\w+> .*?\[default: ([^\]]+)\]", text).group(1)
        assert shown == str(getattr(spec, field)), (flag, shown)
    for flag, word in [("--adapter", spec.adapter), ("--workflow", spec.workflow.spec),
                       ("--backend", spec.backend), ("--path", spec.path)]:
        assert re.search(re.escape(flag) + r" <\w+> [^-]*?" + word + r" \(default\)", text), flag


def test_internal_error_exit_1_and_debug(capsys, monkeypatch):
    from synthaudit import engine

    def broken(*a, **k):
        raise RuntimeError("the flux capacitor")

    monkeypatch.setattr(engine, "run_audit", broken)
    code, _out, err = cli(capsys, "run", "-T", 2, "-R", 2)
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and "flux capacitor" in err and "--debug" in err
    code, _out, err = cli(capsys, "run", "-T", 2, "-R", 2, "--debug")
    assert code == 1 and "Traceback" in err and "flux capacitor" in err


def test_python_m_and_resume(tmp_path):
    args = ["run", *WINE2, "--path", "rows", "-T", 3, "-R", 6, "--run-dir", tmp_path / "r"]
    code, out, err = sub(*args)
    assert code == 0, err
    assert "replications=6" in out and err == ""  # no progress bar when stderr is not a tty
    first = snapshot(tmp_path / "r")
    (tmp_path / "r" / "units" / "row-000002-000001.parquet").unlink()
    code, out2, err = sub(*args, "--quiet")
    assert code == 0 and out2 == "", err
    assert snapshot(tmp_path / "r") == first  # the missing unit came back, byte for byte


def test_report_command(capsys, existing_run, tmp_path):
    pytest.importorskip("synthaudit.report")
    try:
        from synthaudit import report

        report.AuditReport.from_result(load_run(existing_run))
    except Exception as exc:
        pytest.skip(f"report module not usable yet: {exc}")
    out_file = tmp_path / "r.html"
    code, _out, err = cli(capsys, "report", existing_run, "-o", out_file)
    assert code == 0, err
    assert out_file.is_file() and "<html" in out_file.read_text().lower()
    code, _out, err = cli(capsys, "report", existing_run, "-o", tmp_path / "r.pdf")
    assert_one_error(code, err, ".html")


def test_report_of_incomplete_run(capsys, existing_run, tmp_path):
    partial = tmp_path / "partial"
    for name, content in snapshot(existing_run).items():
        (partial / name).parent.mkdir(parents=True, exist_ok=True)
        (partial / name).write_bytes(content)
    (partial / "units" / "row-000001-000001.parquet").unlink()
    code, _out, err = cli(capsys, "report", partial, "-o", tmp_path / "x.html")
    assert_one_error(code, err, "incomplete", "1 of 4 replications")
    code, _out, err = cli(capsys, "report", tmp_path / "nowhere")
    assert_one_error(code, err, "does not exist")


def test_plan_command(capsys):
    pytest.importorskip("synthaudit.planner")
    code, out, err = cli(capsys, "plan", "--n0", 100, "--generations", 50, "--d", 2,
                         "--improvement", 0.2, "--verify")
    assert code == 0, err
    assert "cheapest at T = 50:" in out and "const:" in out and "verify" in out
    code, out, err = cli(capsys, "plan", "--n0", 100, "--generations", 50, "--improvement", 0.2)
    assert_one_error(code, err, "`d`")
    code, out, err = cli(capsys, "plan", "--n0", 100, "--generations", 50)
    assert_one_error(code, err, "exactly one target")


def test_manifest_records_the_cli_settings(existing_run):
    m = json.loads((existing_run / "manifest.json").read_text())
    assert m["config"]["adapter"] == "gaussian"
    assert m["config"]["adapter_params"]["columns"] == ["alcohol", "ash"]
    assert m["config"]["seed_entropy"] == 0 and m["config"]["path"] == "rows"
