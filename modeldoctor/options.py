"""The command line's shared options, and how `[tool.modeldoctor]` fills them.

`check` and `fix` take the same run and report options with the same meaning;
the commands themselves (cli.py) only wire them to the application layer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

EXIT_CODES = """\b
Exit codes:
  0  healthy: every fit was observed and nothing was found
     (with --static or --history: nothing was found), or every
     finding reported is below --fail-on (default: warning)
  1  findings reported at or above --fail-on
  2  could not diagnose (missing file, syntax error, crash before or in
     the first epoch, no fit call, not a Keras script, a timeout or
     Ctrl-C before any epoch, a partial run with too little to judge)
     or usage error
"""

FIX_EXIT_CODES = """\b
Exit codes (as ruff's):
  0  nothing to fix, or the fixes were written (--apply, --to)
  1  fixes available, not applied (the diff is on stdout)
  2  could not diagnose, a cure could not be proven safe, the file
     changed since it was diagnosed, or usage error
"""
FORMATS = ("text", "json", "markdown", "html", "sarif", "github")
BACKENDS = ("tensorflow", "jax", "torch")
SEVERITIES = ("info", "warning", "error")  # Severity's values, lowest first


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
            merged[key] = typed(ctx, key, value, path)
    merged["config_path"] = path
    try:
        merged["runtime_thresholds"], merged["static_thresholds"] = split_thresholds(merged.get("thresholds"))
    except ConfigError as error:
        fail(str(error))
    contradictions(merged)
    return merged


def typed(ctx: click.Context, key: str, value: Any, path: Path | None) -> Any:
    """A [tool.modeldoctor] value as the command line would take it: converted and range-checked by the option's
    own type (`seeds = 0` or `format = "xml"` is the same usage error as `--seeds 0`, not a traceback later)."""
    param = next((p for p in ctx.command.params if p.name == key), None)
    if param is None or isinstance(param.type, (click.types.StringParamType, click.Path)):
        return value  # text, paths and code lists: the config parser already checked them
    try:
        return param.type_cast_value(ctx, value)
    except click.BadParameter as error:
        fail(f"{path}: [tool.modeldoctor] {key.replace('_', '-')} = {value!r}: {error.message}")


def contradictions(opts: dict[str, Any]) -> None:
    """Options that cannot hold together are a usage error before anything runs, not found out after training."""
    if opts.get("verify") and opts.get("static"):
        fail("--verify trains the script under several seeds to prove each cure; --static never trains: use one")
    target = opts.get("patched_copy")
    if target is not None and not Path(target).resolve().parent.is_dir():
        fail(f"--to {target}: the directory {Path(target).resolve().parent} does not exist")


def catalog_for(opts: dict[str, Any], cures: bool = False) -> Any:
    """The rule base; `cures=True` also proves every cure names a transform and its parameters."""
    from modeldoctor.rules import RuleError, load_catalog

    check = None
    if cures:
        from modeldoctor.transforms import validate_cure

        check = validate_cure
    from modeldoctor.diagnose.registry import all_detectors, check_detectors
    from modeldoctor.plugins import PluginError, plugin_modules
    from modeldoctor.static.registry import all_checks, check_rules

    folders = [Path(p) for p in opts.get("plugins") or ()]
    try:
        plugin_modules(folders)  # a plugin folder's detectors join the walk, its rule files the catalog
        catalog = load_catalog([*(Path(p) for p in opts.get("rules") or ()), *folders], check_cure=check)
        # before any training: a detector or check the rules do not match is a usage error, not a late crash
        check_detectors(all_detectors(), catalog)
        check_rules(all_checks(), catalog)
        return catalog
    except (RuleError, PluginError) as error:
        fail(str(error))


def emit(report: Any, opts: dict[str, Any], stdout: bool = True) -> None:
    """Print the report in --format on stdout; write each --output file in the format its name implies."""
    from modeldoctor.report import render, write_report

    fmt = opts.get("format") or "text"
    if stdout:
        color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        click.echo(render(report, fmt, color=color))
    for output in opts.get("output") or ():
        say(f"wrote {write_report(report, Path(output), fmt)} report to {output}")


def selection(opts: dict[str, Any], rules: Iterable[Any]) -> Any:
    """What the user selected among these rules (the catalog's, or a report's): their default set unless
    --select says otherwise."""
    from modeldoctor.checkup import Selection

    return Selection.of(opts.get("select"), opts.get("ignore"), rules, opts.get("extend_select"))


def run_request(script: Path, script_args: tuple[str, ...], opts: dict[str, Any], catalog: Any) -> Any:
    from modeldoctor.checkup import RunRequest
    from modeldoctor.run.runner import RunOptions

    backend = opts.get("backend")
    options = RunOptions(python=opts["python"], timeout=opts["timeout"], max_epochs=opts.get("epochs"),
                         max_steps=opts.get("max_steps"), seed=opts.get("seed"), quiet=opts["quiet"],
                         verbose=opts.get("verbose", False), backend=backend)
    stop_early = bool(opts.get("stop_early", True)) and not opts.get("full")
    return RunRequest(script, script_args, options, opts["runs"], opts.get("save_record"), opts.get("from_record"),
                      stop_early=stop_early, static_thresholds=opts.get("static_thresholds") or {},
                      watch=selection(opts, catalog.rules).watched(catalog.rules))


def fail_on_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`check --fail-on`, as linters have it: which findings make the exit code 1 (all are reported)."""
    return click.option("--fail-on", "fail_on", type=click.Choice(SEVERITIES), default="warning", show_default=True,
                        help="Exit 1 only when a reported finding is at least this severe; findings below it are "
                             "still reported (exit 0).")(fn)


def fail_on(opts: dict[str, Any]) -> Any:
    """The severity that fails the check (a value from [tool.modeldoctor] was checked by `typed`)."""
    from modeldoctor.ftypes import Severity

    return Severity(opts.get("fail_on") or "warning")


def verdict(report: Any, opts: dict[str, Any]) -> int:
    """`check`'s exit code for this report under --fail-on."""
    from modeldoctor.checkup import exit_code

    return exit_code(report, fail_on(opts))


def report_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--format", "format", type=click.Choice(FORMATS), default="text", show_default=True,
                      help="How to print the report on stdout.")(fn)
    fn = click.option("-o", "--output", "output", multiple=True, type=click.Path(dir_okay=False),
                      help="Also write the report to this file, in the format its suffix names "
                           "(.html, .md, .json, .sarif); repeat for several.")(fn)
    fn = click.option("--select", help="Only these codes or prefixes (comma-separated), e.g. MD1,MD201 "
                                       "[default: the default set, see `modeldoctor rules`].")(fn)
    fn = click.option("--extend-select", "extend_select",
                      help="These codes or prefixes on top of the selection, e.g. MD403 (an opt-in rule).")(fn)
    fn = click.option("--ignore", help="Never these codes or prefixes (comma-separated).")(fn)
    return rule_options(fn)


def rule_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Where rules and checks come from besides the built-in ones: every command takes these."""
    fn = click.option("--rules", "rules", multiple=True, type=click.Path(file_okay=False, exists=True),
                      help="An extra folder of rule files (repeatable).")(fn)
    fn = click.option("--plugins", "plugins", multiple=True, type=click.Path(file_okay=False, exists=True),
                      help="A folder of your own detector modules and rule files (repeatable).")(fn)
    return fn


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """What a diagnosis run needs: `check` and `fix` take the same, with the same meaning."""
    fn = click.option("--python", "python", default=sys.executable, show_default="this interpreter",
                      help="Interpreter of the environment the script needs (with Keras installed).")(fn)
    fn = click.option("--backend", type=click.Choice(BACKENDS),
                      help="Run Keras on this backend (sets KERAS_BACKEND for the script; a script that sets "
                           "KERAS_BACKEND itself keeps its own, and the report names the one that ran) "
                           "[default: KERAS_BACKEND, else Keras' own: tensorflow].")(fn)
    fn = click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600.0, show_default=True,
                      help="Stop the script and all its children after this many seconds; "
                           "the epochs recorded until then are diagnosed.")(fn)
    fn = click.option("--epochs", "epochs", type=click.IntRange(min=1),
                      help="Cap every fit at N epochs for a quick probe.")(fn)
    fn = click.option("--max-steps", "max_steps", type=click.IntRange(min=1),
                      help="Cap every epoch at N steps for a quick probe.")(fn)
    fn = click.option("--full", is_flag=True,
                      help="Run training to its end even when a finding is decisive earlier (the same as "
                           "--no-stop-early).")(fn)
    fn = click.option("--stop-early/--no-stop-early", "stop_early", default=True, show_default=True,
                      help="Stop training as soon as a finding is decisive (the rest of the run could not change "
                           "it: every ReLU unit of a layer dead, NaN data, ...); the report says where it stopped. "
                           "Never with --runs N, whose spread needs whole runs.")(fn)
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


def trial_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fix --verify`, and where and how it runs its trials (`runner`, `address`... in [tool.modeldoctor] too)."""
    fn = click.option("--trial-memory", "trial_memory", type=click.FloatRange(min=0), metavar="GB",
                      help="Memory each trial asks Ray for, in GB.")(fn)
    fn = click.option("--trial-gpus", "trial_gpus", type=click.FloatRange(min=0), default=0.0, show_default=True,
                      help="GPUs each trial asks Ray for.")(fn)
    fn = click.option("--trial-cpus", "trial_cpus", type=click.FloatRange(min=0), default=1.0, show_default=True,
                      help="CPUs each trial asks Ray for.")(fn)
    fn = click.option("--schedule", type=click.Choice(("batched", "sequential")), default="batched",
                      show_default=True, help="Send every candidate cure of a finding at once (cancelling the rest "
                                              "once one is accepted), or one cure after another.")(fn)
    fn = click.option("--address", metavar="HOST:PORT",
                      help="With --runner ray: join this Ray cluster instead of starting a local one.")(fn)
    fn = click.option("--warm-trials/--cold-trials", "warm_trials", default=True, show_default=True,
                      help="On this machine, fork each trial from an interpreter per seed that has already "
                           "imported TensorFlow (the same run, without its import each time), or start every "
                           "trial afresh. Scripts that set environment variables themselves start afresh.")(fn)
    fn = click.option("--runner", type=click.Choice(("local", "ray")), default="local", show_default=True,
                      help="Run the trials in a pool on this machine, or as Ray tasks (pip install "
                           "'modeldoctor[ray]').")(fn)
    fn = click.option("--budget", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
                      help="Stop trying cures after this many seconds (--verify).")(fn)
    fn = click.option("--jobs", type=click.IntRange(min=1), help="Trials in parallel with --verify [default: what "
                      "the machine holds].")(fn)
    fn = click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
                      help="Seeds per trial with --verify.")(fn)
    fn = click.option("--verify", "verify", is_flag=True,
                      help="Try each cure on a copy under several seeds; keep only those that remove the finding "
                           "without making the validation result worse. Repeats until nothing is left to treat.")(fn)
    return fn


def trial_settings(opts: dict[str, Any]) -> Any:
    """The trial options as one value (values from [tool.modeldoctor] were checked by `typed`)."""
    from modeldoctor.verify.runners import RunnerKind, TrialSettings
    from modeldoctor.verify.schedule import Schedule

    try:
        resources = (float(opts.get("trial_cpus", 1.0)), float(opts.get("trial_gpus", 0.0)),
                     float(opts["trial_memory"]) if opts.get("trial_memory") else None)
    except (TypeError, ValueError) as error:
        fail(f"trial-cpus, trial-gpus and trial-memory are numbers: {error}")
    return TrialSettings(RunnerKind(opts.get("runner") or "local"), opts.get("address") or None, opts.get("jobs"),
                         Schedule(opts.get("schedule") or "batched"), *resources,
                         warm=bool(opts.get("warm_trials", True)))
