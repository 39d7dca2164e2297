"""The command line: wires the arrows of DESIGN.md together, no logic of its own.

Exit codes: 0 healthy, 1 findings, 2 could not diagnose or usage error. Shared
options live in options.py; what the commands do, in checkup.py and fixing.py.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from modeldoctor import __version__
from modeldoctor.options import (
    EXIT_CODES,
    FIX_EXIT_CODES,
    catalog_for,
    deprecated,
    emit,
    fail,
    fail_on_option,
    legacy_options,
    report_options,
    rule_options,
    run_options,
    run_request,
    say,
    selection,
    settings,
    trial_options,
    trial_settings,
    verdict,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modeldoctor")
def main() -> None:
    """A doctor for Keras training scripts.

    \b
      modeldoctor check train.py          run it, diagnose, report
      modeldoctor fix train.py            show the cures as a diff
      modeldoctor fix train.py --unsafe-fixes --apply   write them into the file
      modeldoctor explain MD201           what a finding means
      modeldoctor rules                   every rule, one line each

    Defaults for every option can live in [tool.modeldoctor] of the
    nearest pyproject.toml; the command line wins.
    """


@main.command(epilog=EXIT_CODES)
@click.argument("script", type=click.Path(path_type=Path), required=False)
@click.argument("script_args", nargs=-1, type=click.UNPROCESSED)
@run_options
@click.option("--record", "old_record", type=click.Path(path_type=Path, dir_okay=False), hidden=True)
@click.option("--history", "history", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Diagnose a saved history (CSVLogger CSV or History.history JSON) instead of running.")
@click.option("--static", "static", is_flag=True,
              help="Only read the source (no training, no TensorFlow); SCRIPT_ARGS are more files or folders.")
@click.option("--each", "each", is_flag=True,
              help="SCRIPT_ARGS are more scripts: run each one that uses Keras and calls fit (as pre-commit passes "
                   "files); the exit code is the worst.")
@fail_on_option
@report_options
@click.pass_context
def check(ctx: click.Context, script: Path | None, script_args: tuple[str, ...], **_: Any) -> None:
    """Run SCRIPT (a .py file or a .ipynb notebook) under the probe and diagnose its training.

    The script runs in a child process from the current directory, as
    `python SCRIPT SCRIPT_ARGS...` would run it; pass its own arguments
    after `--`:

    \b
        modeldoctor check train.py -- --data data/
        modeldoctor check train.py --epochs 3 --format json
        modeldoctor check train.py --runs 3          # variance across seeds
        modeldoctor check train.py --backend jax     # Keras on JAX (or torch)
        modeldoctor check analysis.ipynb             # a notebook's code cells, in order
        modeldoctor check --history training.csv     # no rerun
        modeldoctor check --static src/              # source only, fast
    """
    start = script or (Path(ctx.params["history"]) if ctx.params.get("history") else None)
    opts = settings(ctx, start)
    if opts.get("old_record"):
        deprecated("check --record FILE", "check --save-record FILE")
        opts["save_record"] = opts["save_record"] or opts["old_record"]
    catalog = catalog_for(opts)
    if opts.get("static"):
        sys.exit(check_static([script, *script_args] if script else list(script_args), opts, catalog))
    if opts.get("history"):
        from modeldoctor.checkup import diagnose_history

        sys.exit(finish(guarded(diagnose_history, opts["history"], opts["runtime_thresholds"], catalog), opts))
    if script is None:
        raise click.UsageError("give a SCRIPT to run (or --history FILE, or --static FILES)")
    from modeldoctor.checkup import check_script, trains, trains_with_keras

    if opts.get("each"):
        scripts = [p for p in (script, *map(Path, script_args)) if trains_with_keras(p)]
        sys.exit(max((finish(diagnosis(p, (), opts, catalog), opts) for p in scripts), default=0))
    guarded(check_script, script)  # it exists and parses
    if not opts.get("from_record") and not trains(script):
        say(f"{script} has no `.fit(` call to run: source checks only, no training was run")
        code = check_static([script], opts, catalog)
        if code == 0:
            fail(f"{script}: no training to diagnose (no fit call) and the source checks found nothing to fail on\n"
                 "  hint: point modeldoctor at the script that trains (calls model.fit)")
        sys.exit(code)
    code = finish(diagnosis(script, script_args, opts, catalog), opts)
    if code == 2:
        fail("no finding in the epochs recorded, but training stopped early: too little to call it healthy\n"
             "  hint: run it to the end (a longer --timeout) to judge the whole training")
    sys.exit(code)


def guarded(step: Callable[..., Any], *args: Any) -> Any:
    """Run an application step; what it cannot do becomes one clear message and exit code 2."""
    from modeldoctor.diagnose.history import HistoryError
    from modeldoctor.run.triage import CannotDiagnose
    from modeldoctor.static import SourceError

    treatment = sys.modules.get("modeldoctor.treatment")  # loaded with the cures; `check` never imports LibCST
    trials = sys.modules.get("modeldoctor.verify.trials")  # loaded by fix --verify only
    expected = (CannotDiagnose, HistoryError, SourceError, *((treatment.TreatmentError,) if treatment else ()),
                *((trials.RunnerError,) if trials else ()))
    try:
        return step(*args)
    except expected as error:
        fail(str(error))


def diagnosis(script: Path, script_args: tuple[str, ...], opts: dict[str, Any], catalog: Any) -> Any:
    from modeldoctor.checkup import diagnose
    from modeldoctor.report.progress import Progress

    with Progress(enabled=opts["quiet"] and sys.stderr.isatty()) as progress:
        return guarded(diagnose, run_request(script, script_args, opts, catalog), opts["runtime_thresholds"],
                       catalog, progress, say)


def finish(report: Any, opts: dict[str, Any]) -> int:
    """Select and suppress, print; the exit code (--fail-on)."""
    report = dataclasses.replace(report, findings=tuple(selection(opts, report.rules.values()).keep(report.findings)))
    emit(report, opts)
    return verdict(report, opts)


def check_static(paths: list[Any], opts: dict[str, Any], catalog: Any) -> int:
    from modeldoctor.checkup import check_sources

    if not paths:
        raise click.UsageError("give the files or folders to check")
    report, errors = check_sources(paths, catalog, opts["static_thresholds"])
    for error in errors:
        click.echo(f"modeldoctor: error: {error}", err=True)
    code = finish(report, opts)
    return 2 if errors else code


@main.command()
@click.argument("code")
@rule_options
@click.pass_context
def explain(ctx: click.Context, code: str, **_: Any) -> None:
    """Explain a finding: what it is, why it matters, its cures (CODE or name, e.g. MD201 or overfitting)."""
    from modeldoctor.explain import explain_rule

    rule = catalog_for(settings(ctx, None)).lookup(code)
    if rule is None:
        fail(f"no rule {code!r}; `modeldoctor rules` lists them")
    click.echo(explain_rule(rule))


@main.command(name="rules")
@rule_options
@click.pass_context
def list_rules(ctx: click.Context, **_: Any) -> None:
    """List every rule: code, name, family, fix or advice, default set or opt-in (reported when selected)."""
    from modeldoctor.explain import rule_line

    for rule in catalog_for(settings(ctx, None), cures=True).rules:
        click.echo(rule_line(rule))


@main.command(epilog=FIX_EXIT_CODES)
@click.argument("script", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("script_args", nargs=-1, type=click.UNPROCESSED)
@run_options
@click.option("--record", "old_record", type=click.Path(path_type=Path, dir_okay=False, exists=True), hidden=True)
@click.option("--static", "static", is_flag=True, help="Diagnose from the source only (no training).")
@click.option("--apply", "apply", is_flag=True, help="Write the cures into SCRIPT (atomically).")
@click.option("--to", "patched_copy", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the cured script to this path instead of SCRIPT.")
@click.option("--unsafe-fixes", "unsafe_fixes", is_flag=True,
              help="Also apply cures that change training (most do); safe ones never change the trained model.")
@trial_options
@report_options
@click.pass_context
def fix(ctx: click.Context, script: Path, script_args: tuple[str, ...], **_: Any) -> None:
    """Diagnose SCRIPT and write the prescribed cures into its source.

    By default prints a unified diff on stdout and a summary on stderr;
    nothing is written without --apply or --to. It runs SCRIPT as `check`
    does and takes the same run options.

    \b
        modeldoctor fix train.py                      # show the diff
        modeldoctor fix train.py --unsafe-fixes --apply
        modeldoctor check train.py --save-record run.json; modeldoctor fix train.py --from-record run.json
        modeldoctor fix --static train.py             # source-only findings, no training
    """
    from modeldoctor.checkup import exit_code
    from modeldoctor.fixing import prescribed, read_source, verify_on_board, write_cured
    from modeldoctor.report.summary import fix_summary
    from modeldoctor.run.triage import check_script

    opts = settings(ctx, script)
    legacy_options(opts)
    catalog = catalog_for(opts, cures=True)
    guarded(check_script, script)
    source = read_source(script)  # the file's own newlines kept; a notebook's cells as one script
    request, unsafe = run_request(script, script_args, opts, catalog), bool(opts.get("unsafe_fixes"))
    if opts.get("verify"):
        result = guarded(verify_on_board, request, source, catalog, opts["runtime_thresholds"],
                         selection(opts, catalog.rules), unsafe, opts["seeds"], trial_settings(opts),
                         opts.get("budget"), say)
    else:
        result = guarded(prescribed, request, source, catalog, opts["runtime_thresholds"], opts["static_thresholds"],
                         selection(opts, catalog.rules), unsafe, bool(opts.get("static")), None, say)
    for line in fix_summary(result.report):
        click.echo(line, err=True)
    if not result.report.findings and exit_code(result.report) == 2:
        fail("no finding in the epochs recorded, but training stopped early: too little to judge, nothing to fix")
    target = opts.get("patched_copy") or (script if opts.get("apply") else None)
    if target is not None and result.changed(source):
        guarded(write_cured, Path(target), result, script)
        say(f"wrote the cured script to {target}")
    if (opts.get("format") or "text") == "text":
        if result.report.diff and target is None:
            click.echo(result.report.diff, nl=False)
        emit(result.report, opts, stdout=False)
    else:
        emit(result.report, opts)
    sys.exit(0 if target is not None or not (result.changed(source) or result.unsafe_pending) else 1)
