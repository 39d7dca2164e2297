"""The command line: wires the arrows of DESIGN.md together, no logic of its own.

Exit codes: 0 healthy, 1 findings, 2 could not diagnose or usage error.
"""

from __future__ import annotations

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
  0  healthy: every fit was observed and nothing was found
     (with --static or --history: nothing was found)
  1  findings reported
  2  could not diagnose (missing file, syntax error, crash before or in
     the first epoch, no fit call, not a Keras script, a timeout or
     Ctrl-C before any epoch, a partial run with too little to judge)
     or usage error
"""
FORMATS = ("text", "json", "markdown", "html", "sarif", "github")


def fail(message: str) -> NoReturn:
    click.echo(f"modeldoctor: error: {message}", err=True)
    sys.exit(2)


def say(message: str) -> None:
    click.echo(f"modeldoctor: {message}", err=True)


def deprecated(old: str, new: str) -> None:
    say(f"warning: `{old}` is deprecated and will be removed; use `{new}`")


def settings(ctx: click.Context, start: Path | None) -> dict[str, Any]:
    """The command's options, with `[tool.modeldoctor]` filling those not given on the command line."""
    from modeldoctor.config import ConfigError, load_config, split_thresholds

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
    try:
        merged["runtime_thresholds"], merged["static_thresholds"] = split_thresholds(merged.get("thresholds"))
    except ConfigError as error:
        fail(str(error))
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


def kept(findings: Any, opts: dict[str, Any], source: str | None = None) -> list[Any]:
    """--select/--ignore, then suppression comments; a trial copy's findings read their comments in `source`."""
    from modeldoctor.suppress import kept as kept_findings
    from modeldoctor.suppress import read_text

    if source is None:
        return kept_findings(findings, opts.get("select"), opts.get("ignore"), read_text)
    from modeldoctor.verify import TRIAL_PREFIX

    def read(path: str) -> str:
        return source if Path(path).name.startswith(TRIAL_PREFIX) else read_text(path)

    return kept_findings(findings, opts.get("select"), opts.get("ignore"), read)


def emit(report: Any, opts: dict[str, Any], stdout: bool = True) -> None:
    """Print the report in --format on stdout; write each --output file in the format its name implies."""
    from modeldoctor.report import format_for_path, render

    fmt = opts.get("format") or "text"
    if stdout:
        color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        click.echo(render(report, fmt, color=color))
    for output in opts.get("output") or ():
        path = Path(output)
        out_fmt = format_for_path(path) or fmt
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(report, out_fmt) + "\n", encoding="utf-8")
        say(f"wrote {out_fmt} report to {path}")


def report_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--format", "format", type=click.Choice(FORMATS), default="text", show_default=True,
                      help="How to print the report on stdout.")(fn)
    fn = click.option("-o", "--output", "output", multiple=True, type=click.Path(dir_okay=False),
                      help="Also write the report to this file, in the format its suffix names "
                           "(.html, .md, .json, .sarif); repeat for several.")(fn)
    fn = click.option("--select", help="Only these codes or prefixes (comma-separated), e.g. MD1,MD201.")(fn)
    fn = click.option("--ignore", help="Never these codes or prefixes (comma-separated).")(fn)
    fn = click.option("--rules", "rules", multiple=True, type=click.Path(file_okay=False, exists=True),
                      help="An extra folder of rule files (repeatable).")(fn)
    return fn


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """What a diagnosis run needs: `check` and `fix` take the same, with the same meaning."""
    fn = click.option("--python", "python", default=sys.executable, show_default="this interpreter",
                      help="Interpreter of the environment the script needs (with Keras installed).")(fn)
    fn = click.option("--timeout", type=float, default=600.0, show_default=True,
                      help="Stop the script and all its children after this many seconds; "
                           "the epochs recorded until then are diagnosed.")(fn)
    fn = click.option("--epochs", "epochs", type=click.IntRange(min=1),
                      help="Cap every fit at N epochs for a quick probe.")(fn)
    fn = click.option("--max-steps", "max_steps", type=click.IntRange(min=1),
                      help="Cap every epoch at N steps for a quick probe.")(fn)
    fn = click.option("--runs", type=click.IntRange(min=1), default=1, show_default=True,
                      help="Run N times with different seeds, and diagnose the spread (prediction problems).")(fn)
    fn = click.option("--seed", type=int, help="Seed the run (and offset the script's own seeds by it).")(fn)
    fn = click.option("--save-record", "save_record", type=click.Path(path_type=Path, dir_okay=False),
                      help="Keep the run record (JSON) at this path (run 2 of --runs goes to NAME.1.json, ...).")(fn)
    fn = click.option("--from-record", "from_record", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                      help="Diagnose the record of an earlier --save-record instead of running again.")(fn)
    fn = click.option("-q", "--quiet", is_flag=True, help="Capture the script's own output instead of showing it.")(fn)
    fn = click.option("-v", "--verbose", is_flag=True,
                      help="Show everything the child prints, TensorFlow's start-up logs included.")(fn)
    return fn


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
    if opts.get("old_record"):
        deprecated("check --record FILE", "check --save-record FILE")
        opts["save_record"] = opts["save_record"] or opts["old_record"]
    catalog = catalog_for(opts)
    if opts.get("static"):
        sys.exit(check_static([script, *script_args] if script else list(script_args), opts, catalog))
    if opts.get("history"):
        from modeldoctor.checkup import diagnose_history
        from modeldoctor.diagnose.history import HistoryError

        try:
            report = diagnose_history(opts["history"], opts["runtime_thresholds"], catalog)
        except HistoryError as error:
            fail(str(error))
        sys.exit(finish(report, opts))
    if script is None:
        raise click.UsageError("give a SCRIPT to run (or --history FILE, or --static FILES)")
    if opts.get("each"):
        sys.exit(check_each([script, *map(Path, script_args)], opts, catalog))
    if not script.is_file():
        fail(f"{script}: no such file\n  hint: pass the path of a Python training script")
    if not opts.get("from_record") and not trains(script):
        say(f"{script} has no `.fit(` call to run: source checks only, no training was run")
        code = check_static([script], opts, catalog)
        if code == 0:
            fail(f"{script}: no training to diagnose (no fit call) and the source checks found nothing\n"
                 "  hint: point modeldoctor at the script that trains (calls model.fit)")
        sys.exit(code)
    report = diagnose(script, script_args, opts, catalog)
    code = finish(report, opts)
    if code == 2:
        fail("no finding in the epochs recorded, but training stopped early: too little to call it healthy\n"
             "  hint: run it to the end (a longer --timeout) to judge the whole training")
    sys.exit(code)


def trains(script: Path) -> bool:
    """Uses Keras and calls fit (or imports a sibling that could); otherwise only its source can be checked."""
    from modeldoctor.source import has_fit_call
    from modeldoctor.static import uses_keras

    try:
        return not uses_keras(script.read_text(encoding="utf-8")) or has_fit_call(script)
    except (OSError, UnicodeDecodeError):
        return True  # the run reports the real problem


def check_each(scripts: list[Path], opts: dict[str, Any], catalog: Any) -> int:
    """Run every script that trains with Keras; skip the rest (pre-commit passes all staged files)."""
    from modeldoctor.source import has_fit_call
    from modeldoctor.static import uses_keras

    worst = 0
    for path in scripts:
        try:
            if path.is_file() and uses_keras(path.read_text(encoding="utf-8")) and has_fit_call(path):
                worst = max(worst, finish(diagnose(path, (), opts, catalog), opts))
        except (OSError, UnicodeDecodeError):
            continue
    return worst


def diagnose(script: Path, script_args: tuple[str, ...], opts: dict[str, Any], catalog: Any) -> Any:
    """The report of a fresh run (or of --from-record); exits 2 with the reason when nothing can be judged."""
    from modeldoctor.checkup import diagnose_records, run_records
    from modeldoctor.report.progress import Progress
    from modeldoctor.runner import RunOptions
    from modeldoctor.treatment import sha256
    from modeldoctor.triage import CannotDiagnose, check_script, judgeable

    if opts.get("from_record"):
        try:
            record = rec.load(opts["from_record"])
        except rec.RecordError as error:
            fail(str(error))
        if record.script_sha256 != sha256(script.read_bytes().decode("utf-8", "replace")):
            fail(f"{script} changed since it was diagnosed (the record's hash differs); run check again")
        try:
            records = [judgeable(record, script)]
        except CannotDiagnose as error:
            fail(str(error))
    else:
        options = RunOptions(python=opts["python"], timeout=opts["timeout"], max_epochs=opts.get("epochs"),
                             max_steps=opts.get("max_steps"), seed=opts.get("seed"), quiet=opts["quiet"],
                             verbose=opts.get("verbose", False))
        target = opts.get("save_record")

        def keep(index: int, record: rec.RunRecord) -> None:
            if target is not None:
                rec.save(record, target if index == 0 else target.with_name(f"{target.stem}.{index}{target.suffix}"))

        try:
            check_script(script)
            with Progress(enabled=opts["quiet"] and sys.stderr.isatty()) as progress:
                records = run_records(script, script_args, options, opts["runs"], progress, keep, say)
        except CannotDiagnose as error:
            fail(str(error))
    return diagnose_records(str(script), records, opts["runtime_thresholds"], catalog)


def finish(report: Any, opts: dict[str, Any]) -> int:
    """Filter, suppress, print; the exit code."""
    import dataclasses

    from modeldoctor.checkup import exit_code

    report = dataclasses.replace(report, findings=tuple(kept(report.findings, opts)))
    emit(report, opts)
    return exit_code(report)


def check_static(paths: list[Any], opts: dict[str, Any], catalog: Any) -> int:
    from modeldoctor.report.build import report_for
    from modeldoctor.static import check_paths

    if not paths:
        raise click.UsageError("give the files or folders to check")
    findings, errors = check_paths(paths, catalog, opts["static_thresholds"])
    for error in errors:
        click.echo(f"modeldoctor: error: {error}", err=True)
    target = str(paths[0]) if len(paths) == 1 else f"{len(paths)} paths"
    code = finish(report_for(target, [], findings, catalog), opts)
    return 2 if errors else code


@main.command()
@click.argument("code")
@click.option("--rules", "rules", multiple=True, type=click.Path(file_okay=False, exists=True),
              help="An extra folder of rule files.")
@click.pass_context
def explain(ctx: click.Context, code: str, **_: Any) -> None:
    """Explain a finding: what it is, why it matters, its cures (CODE or name, e.g. MD201 or overfitting)."""
    from modeldoctor.explain import explain_rule

    rule = catalog_for(settings(ctx, None)).lookup(code)
    if rule is None:
        fail(f"no rule {code!r}; `modeldoctor rules` lists them")
    click.echo(explain_rule(rule))


@main.command(name="rules")
@click.option("--rules", "rules", multiple=True, type=click.Path(file_okay=False, exists=True),
              help="An extra folder of rule files.")
@click.pass_context
def list_rules(ctx: click.Context, **_: Any) -> None:
    """List every rule: code, name, family, whether it has an automatic fix."""
    for rule in catalog_for(settings(ctx, None), cures=True).rules:
        fixable = "fix" if any(c.transform for c in rule.cures) else "advice"
        click.echo(f"{rule.code}  {rule.name:34} {rule.family.value:15} {fixable:7} {rule.summary}")


FIX_EXIT_CODES = """\b
Exit codes (as ruff's):
  0  nothing to fix, or the fixes were written (--apply, --to)
  1  fixes available, not applied (the diff is on stdout)
  2  could not diagnose, a cure could not be proven safe, the file
     changed since it was diagnosed, or usage error
"""


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
@click.option("--verify", "verify", is_flag=True,
              help="Try each cure on a copy under several seeds; keep only those that remove the finding "
                   "without making the validation result worse. Repeats until nothing is left to treat.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Seeds per trial with --verify.")
@click.option("--jobs", type=click.IntRange(min=1), help="Trials in parallel with --verify [default: what the "
              "machine holds].")
@click.option("--budget", type=float, help="Stop trying cures after this many seconds (--verify).")
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
    from modeldoctor.report.summary import fix_summary
    from modeldoctor.treatment import TreatmentError, write_atomically
    from modeldoctor.triage import CannotDiagnose, check_script

    opts = settings(ctx, script)
    legacy_options(opts)
    catalog = catalog_for(opts, cures=True)
    try:
        check_script(script)
    except CannotDiagnose as error:
        fail(str(error))
    source = script.read_bytes().decode("utf-8")  # keep the file's own newlines
    try:
        result = verify(script, script_args, source, opts, catalog) if opts.get("verify") else \
            prescribed(script, script_args, source, opts, catalog)
    except TreatmentError as error:
        fail(str(error))
    for line in fix_summary(result.report):
        click.echo(line, err=True)
    if not result.report.findings and exit_code(result.report) == 2:
        fail("no finding in the epochs recorded, but training stopped early: too little to judge, nothing to fix")
    target = opts.get("patched_copy") or (script if opts.get("apply") else None)
    if target is not None and result.changed(source):
        try:
            write_atomically(Path(target), result.source, result.expected_sha256 if target == script else None,
                             mode_from=script)
        except TreatmentError as error:
            fail(str(error))
        say(f"wrote the cured script to {target}")
    if (opts.get("format") or "text") == "text":
        if result.report.diff and target is None:
            click.echo(result.report.diff, nl=False)
        emit(result.report, opts, stdout=False)
    else:
        emit(result.report, opts)
    sys.exit(0 if target is not None or not (result.changed(source) or result.unsafe_pending) else 1)


def legacy_options(opts: dict[str, Any]) -> None:
    """`fix --record FILE` (read) and `fix -o CURED.py` (the script) from before check and fix agreed."""
    from modeldoctor.report import format_for_path

    if opts.get("old_record"):
        deprecated("fix --record FILE", "fix --from-record FILE")
        opts["from_record"] = opts["from_record"] or opts["old_record"]
    outputs = list(opts.get("output") or ())
    scripts = [o for o in outputs if format_for_path(o) is None and Path(o).suffix == ".py"]
    if scripts:
        deprecated("fix -o CURED.py", "fix --to CURED.py")
        if len(scripts) > 1 or opts.get("patched_copy"):
            raise click.UsageError("give one cured-script path (--to PATH)")
        opts["patched_copy"] = Path(scripts[0])
        opts["output"] = tuple(o for o in outputs if o not in scripts)


def prescribed(script: Path, script_args: tuple[str, ...], source: str, opts: dict[str, Any], catalog: Any) -> Any:
    """The findings of a run, a record or the source, and the cures they call for."""
    from modeldoctor.fixing import prescribe_and_treat
    from modeldoctor.report.build import report_for
    from modeldoctor.treatment import sha256

    if opts.get("static"):
        from modeldoctor.static import SourceError, check_source

        try:
            found = check_source(source, str(script), catalog, opts["static_thresholds"])
        except SourceError as error:
            fail(str(error))
        base, records, expected = report_for(str(script), [], found, catalog), [], sha256(source)
    else:
        base = diagnose(script, script_args, opts, catalog)
        records, found = list(base.runs), list(base.findings)
        expected = records[0].script_sha256 if records else sha256(source)
    return prescribe_and_treat(script, source, base, kept(found, opts, source), catalog, records,
                               bool(opts.get("unsafe_fixes")), expected)


def verify(script: Path, script_args: tuple[str, ...], source: str, opts: dict[str, Any], catalog: Any) -> Any:
    from modeldoctor.fixing import verified
    from modeldoctor.runner import RunOptions
    from modeldoctor.transforms import available
    from modeldoctor.treatment import sha256
    from modeldoctor.trials import LocalPool, default_jobs
    from modeldoctor.verify import Verifier

    options = RunOptions(python=opts["python"], timeout=opts["timeout"], max_epochs=opts.get("epochs"),
                         max_steps=opts.get("max_steps"), quiet=True)
    verifier = Verifier(script=script, args=script_args, options=options, seeds=opts["seeds"], catalog=catalog,
                        thresholds=opts["runtime_thresholds"], transforms=available(),
                        runner=LocalPool(opts["jobs"] or default_jobs()), unsafe=bool(opts.get("unsafe_fixes")),
                        budget=opts.get("budget"), on_event=say, keep=lambda found, text: kept(found, opts, text))
    return verified(script, source, verifier, catalog, sha256(source))
