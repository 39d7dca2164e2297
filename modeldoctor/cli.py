"""The command line: wires the arrows of DESIGN.md together, no logic of its own.

Exit codes: 0 healthy, 1 findings, 2 could not diagnose or usage error.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from modeldoctor import __version__
from modeldoctor import record as rec

EXIT_CODES = """\b
Exit codes:
  0  healthy: no finding
  1  findings reported
  2  could not diagnose (missing file, syntax error, crash before fit,
     no fit call, not a Keras script, timeout) or usage error
"""
FORMATS = ("text", "json", "markdown", "html", "sarif", "github")


def fail(message: str) -> NoReturn:
    click.echo(f"modeldoctor: error: {message}", err=True)
    sys.exit(2)


def settings(ctx: click.Context, start: Path | None) -> dict[str, Any]:
    """The command's options, with `[tool.modeldoctor]` filling those not given on the command line."""
    from modeldoctor.config import ConfigError, load_config

    root = ctx.find_root().command
    commands = getattr(root, "commands", {}).values()
    known = {p.name for cmd in commands for p in cmd.params if p.name} | {"thresholds"}
    try:
        path, values = load_config(start, known)
    except ConfigError as error:
        fail(str(error))
    merged = dict(ctx.params)
    for key, value in values.items():
        source = ctx.get_parameter_source(key) if key in ctx.params else None
        if key not in ctx.params or source in (click.core.ParameterSource.DEFAULT, None):
            merged[key] = value
    merged["config_path"] = path
    return merged


def catalog_for(opts: dict[str, Any], cures: bool = False) -> Any:
    """The rule base; `cures=True` also proves every cure names a transform and its parameters."""
    from modeldoctor.rules import RuleError, load_catalog

    check = None
    if cures:
        from modeldoctor.transforms import validate_cure

        check = validate_cure
    try:
        return load_catalog([Path(p) for p in opts.get("rules") or ()], check_cure=check)
    except RuleError as error:
        fail(str(error))


def split_thresholds(opts: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """`thresholds` from the config: runtime ones for the diagnosis, the rest for static checks."""
    from modeldoctor.diagnose.thresholds import Thresholds
    from modeldoctor.static.thresholds import StaticThresholds

    given = dict(opts.get("thresholds") or {})
    runtime_keys = set(Thresholds.reasons())
    static_keys = {f for f in StaticThresholds.__dataclass_fields__}
    unknown = sorted(set(given) - runtime_keys - static_keys)
    if unknown:
        fail(f"unknown threshold(s) in [tool.modeldoctor.thresholds]: {', '.join(unknown)}")
    runtime = Thresholds().with_overrides({k: v for k, v in given.items() if k in runtime_keys})
    return runtime, {k: v for k, v in given.items() if k in static_keys}


def codes(value: Any) -> set[str]:
    if not value:
        return set()
    items = value.split(",") if isinstance(value, str) else [c for v in value for c in str(v).split(",")]
    return {c.strip().upper() for c in items if c.strip()}


def filter_findings(findings: list[Any], opts: dict[str, Any]) -> list[Any]:
    select, ignore = codes(opts.get("select")), codes(opts.get("ignore"))

    def keep(code: str) -> bool:
        chosen = not select or any(code.startswith(s) for s in select)
        return chosen and not any(code.startswith(i) for i in ignore)

    return [f for f in findings if keep(f.code)]


def emit(report: Any, opts: dict[str, Any]) -> None:
    """Print the report in --format on stdout; write each --output file in the format its name implies."""
    from modeldoctor.report import format_for_path, render

    fmt = opts.get("format") or "text"
    color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    click.echo(render(report, fmt, color=color))
    for output in opts.get("output") or ():
        path = Path(output)
        out_fmt = format_for_path(path) or fmt
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(report, out_fmt) + "\n", encoding="utf-8")
        click.echo(f"wrote {out_fmt} report to {path}", err=True)


def report_options(fn: Callable[..., Any], short: bool = True) -> Callable[..., Any]:
    fn = click.option("--format", "format", type=click.Choice(FORMATS), default="text", show_default=True,
                      help="How to print the report on stdout.")(fn)
    names = ("-o", "--output") if short else ("--output",)
    fn = click.option(*names, "output", multiple=True, type=click.Path(dir_okay=False),
                      help="Also write the report to this file, in the format its suffix names "
                           "(.html, .md, .json, .sarif); repeat for several.")(fn)
    fn = click.option("--select", help="Only these codes or prefixes (comma-separated), e.g. MD1,MD201.")(fn)
    fn = click.option("--ignore", help="Never these codes or prefixes (comma-separated).")(fn)
    fn = click.option("--rules", "rules", multiple=True, type=click.Path(file_okay=False, exists=True),
                      help="An extra folder of rule files (repeatable).")(fn)
    return fn


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--python", "python", default=sys.executable, show_default="this interpreter",
                      help="Interpreter of the environment the script needs (with Keras installed).")(fn)
    fn = click.option("--timeout", type=float, default=600.0, show_default=True,
                      help="Stop the script and all its children after this many seconds.")(fn)
    fn = click.option("--epochs", "epochs", type=click.IntRange(min=1),
                      help="Cap every fit at N epochs for a quick probe.")(fn)
    fn = click.option("--max-steps", "max_steps", type=click.IntRange(min=1),
                      help="Cap every epoch at N steps for a quick probe.")(fn)
    fn = click.option("-q", "--quiet", is_flag=True, help="Capture the script's own output instead of showing it.")(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modeldoctor")
def main() -> None:
    """A doctor for Keras training scripts.

    \b
      modeldoctor check train.py          run it, diagnose, report
      modeldoctor fix train.py            show the cures as a diff
      modeldoctor fix train.py --apply    write them into the file
      modeldoctor explain MD201           what a finding means
      modeldoctor rules                   every rule, one line each

    Defaults for every option can live in [tool.modeldoctor] of the
    nearest pyproject.toml; the command line wins.
    """


@main.command(epilog=EXIT_CODES)
@click.argument("script", type=click.Path(path_type=Path), required=False)
@click.argument("script_args", nargs=-1, type=click.UNPROCESSED)
@run_options
@click.option("--runs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Run N times with different seeds, and diagnose the spread (prediction problems).")
@click.option("--seed", type=int, help="Seed the run (and offset the script's own seeds by it).")
@click.option("--record", "record_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Keep the run record (JSON) at this path.")
@click.option("--history", "history", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Diagnose a saved history (CSVLogger CSV or History.history JSON) instead of running.")
@click.option("--static", "static", is_flag=True,
              help="Only read the source (no training, no TensorFlow); SCRIPT_ARGS are more files or folders.")
@click.option("--each", "each", is_flag=True,
              help="SCRIPT_ARGS are more scripts: run each one that uses Keras and calls fit (as pre-commit passes "
                   "files); the exit code is the worst.")
@report_options
@click.pass_context
def check(ctx: click.Context, script: Path | None, script_args: tuple[str, ...], **_: Any) -> None:
    """Run SCRIPT under the probe and diagnose its training.

    The script runs in a child process from the current directory, as
    `python SCRIPT SCRIPT_ARGS...` would run it; pass its own arguments
    after `--`:

    \b
        modeldoctor check train.py -- --data data/
        modeldoctor check train.py --epochs 3 --format json
        modeldoctor check train.py --runs 3          # variance across seeds
        modeldoctor check --history training.csv     # no rerun
        modeldoctor check --static src/              # source only, fast
    """
    start = script or (Path(ctx.params["history"]) if ctx.params.get("history") else None)
    opts = settings(ctx, start)
    catalog = catalog_for(opts)
    thresholds, static_thresholds = split_thresholds(opts)
    if opts.get("static"):
        sys.exit(check_static([script, *script_args] if script else list(script_args), opts, catalog,
                              static_thresholds))
    if opts.get("history"):
        from modeldoctor.checkup import diagnose_history
        from modeldoctor.diagnose.history import HistoryError

        try:
            report = diagnose_history(opts["history"], thresholds, catalog)
        except HistoryError as error:
            fail(str(error))
        sys.exit(finish(report, opts))
    if script is None:
        raise click.UsageError("give a SCRIPT to run (or --history FILE, or --static FILES)")
    if opts.get("each"):
        sys.exit(check_each([script, *map(Path, script_args)], opts, catalog, thresholds))
    if not script.is_file():
        fail(f"{script}: no such file\n  hint: pass the path of a Python training script")
    from modeldoctor.source import has_fit_call
    from modeldoctor.static import uses_keras

    if uses_keras(script.read_text(encoding="utf-8", errors="replace")) and not has_fit_call(script):
        click.echo(f"modeldoctor: {script} has no `.fit(` call to run; checking its source only (--static)",
                   err=True)
        sys.exit(check_static([script], opts, catalog, static_thresholds))
    report = run_checkup(script, script_args, opts, catalog, thresholds)
    sys.exit(finish(report, opts))


def check_each(scripts: list[Path], opts: dict[str, Any], catalog: Any, thresholds: Any) -> int:
    """Run every script that trains with Keras; skip the rest (pre-commit passes all staged files)."""
    from modeldoctor.source import has_fit_call
    from modeldoctor.static import uses_keras

    worst = 0
    for path in scripts:
        try:
            trains = path.is_file() and uses_keras(path.read_text(encoding="utf-8")) and has_fit_call(path)
        except (OSError, UnicodeDecodeError):
            trains = False
        if not trains:
            continue
        worst = max(worst, finish(run_checkup(path, (), opts, catalog, thresholds), opts))
    return worst


def run_checkup(script: Path, script_args: tuple[str, ...], opts: dict[str, Any], catalog: Any,
                thresholds: Any) -> Any:
    from modeldoctor.checkup import diagnose_records, run_records
    from modeldoctor.report.progress import Progress
    from modeldoctor.runner import RunOptions
    from modeldoctor.triage import CannotDiagnose

    options = RunOptions(python=opts["python"], timeout=opts["timeout"], max_epochs=opts.get("epochs"),
                         max_steps=opts.get("max_steps"), seed=opts.get("seed"), quiet=opts["quiet"])
    record_path = opts.get("record_path")

    def keep(index: int, record: rec.RunRecord) -> None:
        if record_path is not None:
            target = record_path if index == 0 else record_path.with_name(f"{record_path.stem}.{index}{record_path.suffix}")
            rec.save(record, target)

    try:
        with Progress(enabled=opts["quiet"] and sys.stderr.isatty()) as progress:
            records = run_records(script, script_args, options, opts["runs"], progress, keep)
    except CannotDiagnose as error:
        fail(str(error))
    return diagnose_records(str(script), records, thresholds, catalog)


def finish(report: Any, opts: dict[str, Any]) -> int:
    """Filter, suppress, print; the exit code."""
    import dataclasses

    from modeldoctor.suppress import apply_suppressions, read_text

    kept, _ = apply_suppressions(filter_findings(list(report.findings), opts), read_text)
    report = dataclasses.replace(report, findings=tuple(kept))
    emit(report, opts)
    return 1 if report.findings else 0


def check_static(paths: list[Any], opts: dict[str, Any], catalog: Any, static_thresholds: dict[str, Any]) -> int:
    from modeldoctor.report.build import report_for
    from modeldoctor.static import check_paths
    from modeldoctor.suppress import apply_suppressions, read_text

    if not paths:
        raise click.UsageError("give the files or folders to check")
    findings, errors = check_paths(paths, catalog, static_thresholds)
    kept, _ = apply_suppressions(filter_findings(findings, opts), read_text)
    for error in errors:
        click.echo(f"modeldoctor: error: {error}", err=True)
    target = str(paths[0]) if len(paths) == 1 else f"{len(paths)} paths"
    emit(report_for(target, [], kept, catalog), opts)
    if errors:
        return 2
    return 1 if kept else 0


@main.command()
@click.argument("code")
@click.option("--rules", "rules", multiple=True, type=click.Path(file_okay=False, exists=True),
              help="An extra folder of rule files.")
@click.pass_context
def explain(ctx: click.Context, code: str, **_: Any) -> None:
    """Explain a finding: what it is, why it matters, its cures (CODE or name, e.g. MD201 or overfitting)."""
    from modeldoctor.explain import explain_rule

    opts = settings(ctx, None)
    rule = catalog_for(opts).lookup(code)
    if rule is None:
        fail(f"no rule {code!r}; `modeldoctor rules` lists them")
    click.echo(explain_rule(rule))


@main.command(name="rules")
@click.option("--rules", "rules", multiple=True, type=click.Path(file_okay=False, exists=True),
              help="An extra folder of rule files.")
@click.pass_context
def list_rules(ctx: click.Context, **_: Any) -> None:
    """List every rule: code, name, family, whether it has an automatic fix."""
    opts = settings(ctx, None)
    for rule in catalog_for(opts, cures=True).rules:
        fixable = "fix" if any(c.transform for c in rule.cures) else "advice"
        click.echo(f"{rule.code}  {rule.name:34} {rule.family.value:15} {fixable:7} {rule.summary}")


FIX_EXIT_CODES = """\b
Exit codes (as ruff's):
  0  nothing to fix, or the fixes were written (--apply, -o)
  1  fixes available, not applied (the diff is on stdout)
  2  could not diagnose, a cure could not be proven safe, the file
     changed since it was diagnosed, or usage error
"""


@main.command(epilog=FIX_EXIT_CODES)
@click.argument("script", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("script_args", nargs=-1, type=click.UNPROCESSED)
@run_options
@click.option("--record", "record_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Use the run record of an earlier `check --record FILE` instead of running again.")
@click.option("--static", "static", is_flag=True, help="Diagnose from the source only (no training).")
@click.option("--apply", "apply", is_flag=True, help="Write the cures into SCRIPT (atomically).")
@click.option("-o", "--to", "patched_copy", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the cured script to this path instead of SCRIPT.")
@click.option("--unsafe-fixes", "unsafe_fixes", is_flag=True,
              help="Also apply cures that change training (most do); safe ones never change the trained model.")
@click.option("--verify", "verify", is_flag=True,
              help="Try each cure on a copy under several seeds; keep only those that remove the finding "
                   "without making the validation result worse. Repeats until nothing is left to treat.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Seeds per trial with --verify.")
@click.option("--jobs", type=click.IntRange(min=1), help="Trials in parallel with --verify [default: what the "
              "machine holds].")
@click.option("--budget", type=float, help="Stop trying cures after this many seconds (--verify).")
@functools.partial(report_options, short=False)
@click.pass_context
def fix(ctx: click.Context, script: Path, script_args: tuple[str, ...], **_: Any) -> None:
    """Diagnose SCRIPT and write the prescribed cures into its source.

    By default prints a unified diff on stdout and a summary on stderr;
    nothing is written without --apply or -o.

    \b
        modeldoctor fix train.py                      # show the diff
        modeldoctor fix train.py --unsafe-fixes --apply
        modeldoctor check train.py --record run.json && modeldoctor fix train.py --record run.json
        modeldoctor fix --static train.py             # source-only findings, no training
    """
    from modeldoctor.treatment import TreatmentError, sha256, write_atomically
    from modeldoctor.triage import CannotDiagnose, check_script

    opts = settings(ctx, script)
    catalog = catalog_for(opts, cures=True)
    thresholds, static_thresholds = split_thresholds(opts)
    try:
        check_script(script)
    except CannotDiagnose as error:
        fail(str(error))
    source = script.read_bytes().decode("utf-8")  # keep the file's own newlines
    try:
        if opts.get("verify"):
            report, cured = verify_cures(script, script_args, source, opts, catalog, thresholds)
            expected = sha256(source)
        else:
            records, findings = diagnose_for_fix(script, script_args, source, opts, catalog, thresholds,
                                                 static_thresholds)
            expected = records[0].script_sha256 if records else sha256(source)
            report, treatment = prescribe_and_treat(script, source, records, findings, catalog, opts)
            cured = treatment.source
    except TreatmentError as error:
        fail(str(error))
    summarize(report)
    changed = cured != source
    target = opts.get("patched_copy") or (script if opts.get("apply") else None)
    if target is not None and changed:
        try:
            write_atomically(Path(target), cured, expected if target == script else None, mode_from=script)
        except TreatmentError as error:
            fail(str(error))
        click.echo(f"wrote the cured script to {target}", err=True)
    fmt = opts.get("format") or "text"
    if fmt == "text":
        if report.diff and target is None:
            click.echo(report.diff, nl=False)
        for output in opts.get("output") or ():
            write_report(report, Path(output), fmt)
    else:
        emit(report, opts)
    pending = any(p.declined and "unsafe" in p.declined for p in report.prescriptions)
    sys.exit(0 if target is not None or not (changed or pending) else 1)


def verify_cures(script: Path, script_args: tuple[str, ...], source: str, opts: dict[str, Any], catalog: Any,
                 thresholds: Any) -> tuple[Any, str]:
    """fix --verify: every cure tried on a copy under several seeds; only the ones that work are kept."""
    import dataclasses
    import difflib

    from modeldoctor.report.build import report_for
    from modeldoctor.runner import RunOptions
    from modeldoctor.transforms import available
    from modeldoctor.trials import LocalPool, default_jobs
    from modeldoctor.verify import Verifier

    options = RunOptions(python=opts["python"], timeout=opts["timeout"], max_epochs=opts.get("epochs"),
                         max_steps=opts.get("max_steps"), quiet=True)
    verifier = Verifier(script=script, args=script_args, options=options, seeds=opts["seeds"], catalog=catalog,
                        thresholds=thresholds, transforms=available(), runner=LocalPool(opts["jobs"] or default_jobs()),
                        unsafe=bool(opts.get("unsafe_fixes")), budget=opts.get("budget"),
                        on_event=lambda message: click.echo(f"modeldoctor: {message}", err=True),
                        keep=lambda found, text: kept_findings(found, text, opts))
    result = verifier.verify(source)
    diff = "".join(difflib.unified_diff(source.splitlines(keepends=True), result.source.splitlines(keepends=True),
                                        fromfile=f"a/{script.name}", tofile=f"b/{script.name}"))
    report = report_for(str(script), result.records, list(result.findings), catalog)
    report = dataclasses.replace(report, prescriptions=result.accepted, diff=diff, trials=result.trials)
    return report, result.source


def write_report(report: Any, path: Path, fmt: str) -> None:
    from modeldoctor.report import format_for_path, render

    out_fmt = format_for_path(path) or fmt
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, out_fmt) + "\n", encoding="utf-8")
    click.echo(f"wrote {out_fmt} report to {path}", err=True)


def diagnose_for_fix(script: Path, script_args: tuple[str, ...], source: str, opts: dict[str, Any], catalog: Any,
                     thresholds: Any, static_thresholds: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    from modeldoctor.diagnose import diagnose_runs
    from modeldoctor.treatment import sha256

    if opts.get("static"):
        from modeldoctor.static import SourceError, check_source

        try:
            found = check_source(source, str(script), catalog, static_thresholds)
        except SourceError as error:
            fail(str(error))
        records: list[Any] = []
    elif opts.get("record_path"):
        try:
            record = rec.load(opts["record_path"])
        except rec.RecordError as error:
            fail(str(error))
        if record.script_sha256 != sha256(source):
            fail(f"{script} changed since it was diagnosed (the record's hash differs); run check again")
        records = [record]
        found = diagnose_runs(records, thresholds, catalog)
    else:
        records = list(run_checkup(script, script_args, opts, catalog, thresholds).runs)
        found = diagnose_runs(records, thresholds, catalog)
    return records, kept_findings(found, source, opts)


def kept_findings(found: Any, source: str, opts: dict[str, Any]) -> list[Any]:
    """--select/--ignore, then suppression comments; a finding in a trial copy reads its comments in `source`."""
    from modeldoctor.suppress import apply_suppressions, read_text
    from modeldoctor.verify import TRIAL_PREFIX

    def read(path: str) -> str:
        return source if Path(path).name.startswith(TRIAL_PREFIX) else read_text(path)

    kept, _ = apply_suppressions(filter_findings(list(found), opts), read)
    return kept


def prescribe_and_treat(script: Path, source: str, records: list[Any], findings: list[Any], catalog: Any,
                        opts: dict[str, Any]) -> tuple[Any, Any]:
    import dataclasses

    from modeldoctor.report.build import report_for
    from modeldoctor.prescribe import prescribe
    from modeldoctor.transforms import available
    from modeldoctor.treatment import treat

    transforms = available()
    prescriptions = prescribe(findings, catalog, records, transforms, bool(opts.get("unsafe_fixes")))
    treatment = treat(source, prescriptions, transforms)
    report = report_for(str(script), records, findings, catalog)
    report = dataclasses.replace(report, prescriptions=treatment.prescriptions, diff=treatment.diff(script.name))
    return report, treatment


def summarize(report: Any) -> None:
    """One line per prescription (or trial) on stderr, then counts (as black and ruff end)."""
    from modeldoctor.report.view import trial_line, trial_views

    for trial in trial_views(report):
        click.echo(trial_line(trial), err=True)
    if report.trials:
        accepted = sum(t.verdict == "accepted" for t in report.trials)
        click.echo(f"{accepted} of {len(report.trials)} cure(s) tried were confirmed; "
                   f"{len(report.findings)} finding(s) left", err=True)
        return
    applied = [p for p in report.prescriptions if p.applied]
    for p in report.prescriptions:
        head = f"{p.rule.code} {p.finding.name} → {p.cure.transform or 'advice'}"
        if p.applied:
            click.echo(f"{head}: {'; '.join(p.edits)}", err=True)
        else:
            click.echo(f"{head}: not applied ({p.declined})", err=True)
    untreated = [f for f in report.findings if not f.primary]
    if untreated:
        click.echo(f"{len(untreated)} supporting finding(s) are treated through their cause", err=True)
    click.echo(f"{len(applied)} cure(s) prescribed for {len(report.findings)} finding(s) in {report.script}",
               err=True)
