"""The ``synthaudit`` command line: ``run``, ``report``, ``plan``, ``datasets``.

Exit codes: 0 success; 2 bad input (every problem on its own ``error: …`` line on stderr, no
traceback); 1 an unexpected internal error (rerun with ``--debug`` for the traceback); 130
interrupted. Each subcommand imports only what it needs (the report and the planner are not
imported by ``datasets``, nor the engine by ``report``). The settings of ``run`` are an
:class:`~synthaudit.spec.AuditSpec` built by :mod:`synthaudit.config`, the same schema and
defaults as :func:`synthaudit.run_audit`.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Annotated

import typer

from .exceptions import (
    AdapterError,
    MissingDependencyError,
    RunDirectoryError,
    SynthauditError,
    ValidationError,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="synthaudit",
    help=(
        "Audit tabular synthetic data for model collapse: fit a model to a real table, "
        "regenerate it recursively under an expansion schedule and measure the drift.\n\n"
        "Examples:\n\n\b\n"
        "  synthaudit run --dataset penguins --schedule poly:300:1.5 --generations 50\n"
        "  synthaudit run --data my.csv --adapter gaussian --run-dir runs/a --report a.html\n"
        "  synthaudit report runs/a -o a.html\n"
        "  synthaudit plan --n0 100 --generations 50 --d 2 --improvement 0.2\n"
        "  synthaudit datasets list\n\n"
        "Exit codes: 0 ok, 2 bad input, 1 internal error (add --debug for the traceback)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
datasets_app = typer.Typer(
    help="The real tables shipped with synthaudit.\n\nExamples:\n\n\b\n  synthaudit datasets list\n\n"
    "  synthaudit datasets show penguins",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(datasets_app, name="datasets")


def _version_callback(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"synthaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_version_callback, is_eager=True,
        help="Print the version and exit.")] = None,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the full traceback of an internal error (any position).")] = False,
) -> None:
    """synthaudit command line."""


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------
@app.command(
    "run",
    help=(
        "Run an audit: regenerate a real table generation after generation, replication after "
        "replication, and print what drifted.\n\n"
        "Data come from a shipped table (--dataset, default penguins) or a CSV/Parquet file "
        "(--data). Settings can also come from a YAML/TOML file (--config) with the same names; "
        "flags override it. With --run-dir every finished unit is saved, and rerunning the same "
        "command resumes an interrupted run with an identical trace.\n\n"
        "Examples:\n\n\b\n"
        "  synthaudit run\n"
        "  synthaudit run --dataset wine --adapter gaussian --schedule poly:178:1.5 \\\n"
        "      --generations 100 --replications 1000 --seed 1\n"
        "  synthaudit run --data table.csv --dropna --adapter-option estimator=mle \\\n"
        "      --run-dir runs/t --output trace.parquet --report t.html\n"
        "  synthaudit run --config audit.yaml --jobs 4\n"
        "  synthaudit run --backend dask --scheduler tcp://10.0.0.5:8786 --run-dir runs/big"
    ),
)
def run_cmd(
    dataset: Annotated[str | None, typer.Option(
        "--dataset", help="Shipped table (see `synthaudit datasets list`); default penguins.")] = None,
    data: Annotated[Path | None, typer.Option(
        "--data", help="Your table: a .csv, .tsv or .parquet file.")] = None,
    adapter: Annotated[str | None, typer.Option(
        "--adapter", help="Model family: mixed (default), gaussian, categorical, poisson, "
        "sdv:gaussian_copula, …")] = None,
    adapter_option: Annotated[list[str] | None, typer.Option(
        "--adapter-option", metavar="KEY=VALUE",
        help="Adapter setting (VALUE parsed as JSON when it can be); repeatable.")] = None,
    schedule: Annotated[str | None, typer.Option(
        "--schedule", help="Synthetic rows per generation: const:N, linear:N:SLOPE, "
        "poly:N:POWER, exp:N:GROWTH, explicit:N1,N2,…  [default: const:N0]")] = None,
    generations: Annotated[int | None, typer.Option(
        "--generations", "-T", help="Generations T.  [default: 50]")] = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-R", help="Independent replications.  [default: 100]")] = None,
    workflow: Annotated[str | None, typer.Option(
        "--workflow", help="replace (default), accumulate or mix:M.")] = None,
    n0: Annotated[int | None, typer.Option(
        "--n0", help="Real rows of generation 0.  [default: all rows of the pool]")] = None,
    holdout: Annotated[float | None, typer.Option(
        "--holdout", help="Fraction of the real table held out to measure risk (and so the "
        "probability of beating the real-only model).  [default: 0.2]")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Root seed; same seed, same trace.  [default: 0]")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", help="Parallel workers (-1: all cores).  [default: 1]")] = None,
    backend: Annotated[str | None, typer.Option(
        "--backend", help="joblib (default), serial or dask (see synthaudit.engine.EXECUTORS).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (with --backend dask); without it a local "
        "cluster of --jobs workers is started.")] = None,
    path: Annotated[str | None, typer.Option(
        "--path", help="auto (default), fast (exact sufficient statistics) or rows.")] = None,
    dropna: Annotated[bool | None, typer.Option(
        "--dropna", help="Drop rows with missing cells instead of refusing the table.")] = None,
    run_dir: Annotated[Path | None, typer.Option(
        "--run-dir", help="Save every finished unit here; rerun to resume.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="YAML or TOML file with the same settings (flags override it).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Save the trace (.parquet or .csv).")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write the HTML report here.")] = None,
    quiet: Annotated[bool | None, typer.Option(
        "--quiet", "-q", help="No progress bar and no summary.")] = None,
) -> None:
    from . import config as _config

    file_values, file_name = {}, None
    if config is not None:
        file_values, file_name = _config.load_file(config), str(config)
    cli_values = {
        "dataset": dataset, "data": data, "adapter": adapter, "schedule": schedule,
        "generations": generations, "replications": replications, "workflow": workflow,
        "n0": n0, "holdout": holdout, "seed": seed, "jobs": jobs, "backend": backend,
        "scheduler": scheduler, "path": path, "dropna": dropna, "run_dir": run_dir,
        "output": output, "report": report, "quiet": quiet,
        "adapter_options": _config.parse_options(adapter_option) if adapter_option else None,
    }
    cfg, problems, invalid = _config.collect(cli_values, file_values=file_values,
                                             file_name=file_name)
    table = None
    if not {"dataset", "data", "dropna"} & invalid:
        try:
            table = _load_table(cfg)
        except ValidationError as exc:
            problems += exc.problems
    if problems:  # add what the table tells, so every problem is listed at once
        if table is not None:
            from .engine.plan import build_plan

            build_plan(table, cfg.audit, problems=problems, invalid=invalid)  # raises
        raise ValidationError(problems)
    from . import engine
    from .report import AuditReport

    spec = cfg.audit
    if "progress" not in spec.model_fields_set:  # a bar only for a person watching
        spec = spec.model_copy(update={"progress": not cfg.quiet and sys.stderr.isatty()})
    result = engine.run_audit(table, spec)
    if cfg.output is not None:
        _write_trace(result, cfg.output)
    rep = AuditReport.from_result(result)
    if cfg.report is not None:
        rep.to_html(cfg.report)
    if not cfg.quiet:
        _print_summary(result, rep)
        for label, where in (("trace", cfg.output), ("report", cfg.report),
                             ("run directory", spec.run_dir)):
            if where is not None:
                typer.echo(f"{label}: {where}")


def _load_table(cfg):
    """The real table of a run: a shipped dataset (default penguins) or a file."""
    from . import datasets

    if cfg.data is not None:
        return datasets.read_table(cfg.data, dropna=cfg.dropna)
    return datasets.load(cfg.dataset or "penguins")


def _print_summary(result, rep) -> None:
    """The one place the summary of a run is printed (``run`` and ``report``)."""
    verdict = rep.verdict()
    if verdict:
        typer.echo(str(verdict))
        typer.echo("")
    typer.echo(str(result))


def _write_trace(result, path: Path) -> None:
    """Trace → Parquet or CSV by suffix, atomically (temporary file, then rename)."""
    import tempfile

    path = Path(path).expanduser()
    if not path.parent.is_dir():
        raise ValidationError(f"`--output`: folder '{path.parent}' does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            result.trace.to_parquet(tmp, index=False)
        else:
            result.trace.to_csv(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
@app.command(
    "report",
    help=(
        "Write the HTML report of a finished run directory.\n\n"
        "Example:\n\n\b\n"
        "  synthaudit report runs/penguins -o penguins.html"
    ),
)
def report_cmd(
    run_dir: Annotated[Path, typer.Argument(
        help="Run directory written by `synthaudit run --run-dir`.")],
    out: Annotated[Path, typer.Option(
        "--output", "-o", help="HTML file to write.")] = Path("report.html"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    from .report import AuditReport
    from .store import load_run

    if out.suffix.lower() not in (".html", ".htm"):
        raise ValidationError(f"`--output` must end in .html; got '{out}'.")
    result = load_run(run_dir)
    rep = AuditReport.from_result(result)
    rep.to_html(out)
    if not quiet:
        _print_summary(result, rep)
        typer.echo(f"report: {out}")


# ---------------------------------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------------------------------
@app.command(
    "plan",
    help=(
        "Find the cheapest expansion schedule of each family meeting a target at horizon T "
        "(one of --improvement, --collapse with --eps, --extra-variance).\n\n"
        "Examples:\n\n\b\n"
        "  synthaudit plan --n0 100 --generations 50 --d 2 --improvement 0.2\n"
        "  synthaudit plan --n0 100 --generations 200 --collapse 0.05 --eps 0.5\n"
        "  synthaudit plan --n0 300 --generations 50 --extra-variance 1 --alpha 0.5"
    ),
)
def plan_cmd(
    n0: Annotated[int, typer.Option("--n0", help="Real rows behind generation 0.")],
    generations: Annotated[int, typer.Option("--generations", "-T", help="Horizon T.")],
    d: Annotated[int | None, typer.Option(
        "--d", help="Free parameters of the model (improvement target).")] = None,
    improvement: Annotated[float | None, typer.Option(
        "--improvement", help="Target: P(generation T beats generation 0) ≥ P.")] = None,
    collapse: Annotated[float | None, typer.Option(
        "--collapse", help="Target: P(variance ratio ≤ eps) ≤ Q (with --eps).")] = None,
    eps: Annotated[float | None, typer.Option(
        "--eps", help="Variance-ratio threshold of --collapse.")] = None,
    extra_variance: Annotated[float | None, typer.Option(
        "--extra-variance", help="Target: n0·S_T ≤ X (added variance in baseline units).")] = None,
    alpha: Annotated[float | None, typer.Option(
        "--alpha", help="Bias exponent: bias of order n^(-alpha).")] = None,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Check the chosen schedules by simulation.")] = False,
) -> None:
    from . import planner

    result = planner.plan(
        n0, generations, improvement=improvement, collapse=collapse,
        extra_variance=extra_variance, d=d, eps=eps, alpha=alpha,
    )
    typer.echo(str(result))
    if verify:
        typer.echo("\nverify (simulated on the fast exact path):")
        typer.echo(str(planner.verify(result)))


# ---------------------------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------------------------
@datasets_app.command("list", help="List the shipped tables.")
def datasets_list() -> None:
    import pandas as pd

    from .datasets import list_datasets

    table = list_datasets()
    cols = [c for c in ("name", "rows", "columns", "numeric", "categorical", "target", "licence")
            if c in table.columns]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        typer.echo(table[cols].to_string(index=False))


@datasets_app.command(
    "show", help="Describe one shipped table.\n\nExample:\n\n\b\n  synthaudit datasets show penguins"
)
def datasets_show(
    name: Annotated[str, typer.Argument(help="Name from `synthaudit datasets list`.")],
) -> None:
    from .datasets import describe

    meta = describe(name)
    for key, value in meta.items():
        if isinstance(value, dict):
            typer.echo(f"{key}:")
            for k, v in value.items():
                typer.echo(f"  {k}: {', '.join(map(str, v)) if isinstance(v, list) else v}")
        elif isinstance(value, list):
            typer.echo(f"{key}: {', '.join(map(str, value))}")
        else:
            typer.echo(f"{key}: {value}")


# ---------------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------------
def _err(line: str) -> None:
    for part in str(line).splitlines() or [""]:
        if part.strip():
            print(f"error: {part.strip()}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)


def _click_types(name: str) -> tuple:
    """``name`` from click and from the copy of click that typer may carry (typer._click)."""
    import importlib

    found = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (the ``synthaudit`` entry point)."""
    usage_errors = _click_types("UsageError")
    exits = (typer.Exit, *_click_types("Exit"))
    aborts = (typer.Abort, KeyboardInterrupt, *_click_types("Abort"))
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    command = typer.main.get_command(app)
    old_show = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        rv = command.main(args, prog_name="synthaudit", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except exits as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except usage_errors as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
            typer.echo(exc.ctx.get_help())
            return 0
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        _err(exc.format_message().replace("\n", " ") + hint)
        return 2
    except aborts:
        _err("interrupted; with --run-dir, rerun the same command to resume.")
        return 130
    except ValidationError as exc:
        for p in exc.problems:
            _err(" ".join(p.split()))
        return 2
    except (RunDirectoryError, MissingDependencyError) as exc:
        _err(" ".join(str(exc).split()))
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if debug:
            traceback.print_exc()
        kind = "synthesizer error" if isinstance(exc, AdapterError) else (
            "error" if isinstance(exc, SynthauditError) else f"internal error ({type(exc).__name__})")
        msg = " ".join(str(exc).split())[:300]
        _err(f"{kind}: {msg}" + ("" if debug else "; rerun with --debug for the traceback."))
        return 1
    finally:
        warnings.showwarning = old_show


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
