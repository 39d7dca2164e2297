"""A check-up: run the script (once or with several seeds), triage, diagnose, and assemble the report.

The application layer of `check` (and the diagnosis `fix` starts from): plain
requests in, a `Report` out, `CannotDiagnose` when nothing can be judged. The
CLI only turns options into a request and the report into output.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeldoctor import record as rec
from modeldoctor.diagnose import (detectors_for, diagnose_run, diagnose_runs, unjudged_for_few_steps,
                                  unjudged_for_missing, unjudged_on_partial)
from modeldoctor.diagnose.history import history_record
from modeldoctor.diagnose.live import settings_for
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding, Report, Rule, Scope, Severity
from modeldoctor.record import RunRecord
from modeldoctor.report.build import report_for
from modeldoctor.rules import Catalog
from modeldoctor.run.runner import RunOptions, run_probe
from modeldoctor.run.triage import CannotDiagnose, check_script, judgeable, partial, stop_notice, usable_record

Notice = Callable[[str], None]
FAILS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}  # --fail-on: how severe, lowest first


@dataclass(frozen=True)
class Selection:
    """Which findings the user wants: --select/--extend-select/--ignore (without --select, the default set:
    no `opt_in` code), then the suppression comments in the source."""

    select: str | tuple[str, ...] | None = None
    ignore: str | tuple[str, ...] | None = None
    opt_in: frozenset[str] = frozenset()  # codes of the rules outside the default set (`default = false`)
    extend: str | tuple[str, ...] | None = None  # --extend-select: more codes on top of the default set

    @classmethod
    def of(cls, select: str | tuple[str, ...] | None, ignore: str | tuple[str, ...] | None,
           rules: Iterable[Rule], extend: str | tuple[str, ...] | None = None) -> Selection:
        """The selection over these rules: their default set is what a bare run reports."""
        return cls(select, ignore, frozenset(r.code for r in rules if not r.default), extend)

    def watched(self, rules: Iterable[Rule]) -> tuple[str, ...] | None:
        """The names of the findings this selection reports, of these rules (None: every one, no option given).

        A run stops early only on one of them: otherwise it could stop on a finding the report leaves out,
        before the one asked for had a chance to show."""
        if not (self.select or self.ignore or self.extend):
            return None
        from modeldoctor.suppress import selects

        return tuple(sorted(r.name for r in rules if selects(r.code, self.select, self.ignore, self.opt_in,
                                                                 self.extend)))

    def keep(self, findings: Iterable[Finding], source: str | None = None) -> list[Finding]:
        """`source` stands in for a trial copy's file, whose comments are the script's own."""
        from modeldoctor.suppress import kept, read_text

        if source is None:
            return kept(findings, self.select, self.ignore, read_text, self.opt_in, self.extend)
        from modeldoctor.verify.trials import TRIAL_PREFIX

        def read(path: str) -> str:
            return source if Path(path).name.startswith(TRIAL_PREFIX) else read_text(path)

        return kept(findings, self.select, self.ignore, read, self.opt_in, self.extend)


@dataclass(frozen=True)
class RunRequest:
    """A diagnosis run as `check` and `fix` both take it."""

    script: Path
    args: tuple[str, ...] = ()
    options: RunOptions = field(default_factory=RunOptions)
    runs: int = 1
    save_record: Path | None = None  # keep the record (run k of --runs at NAME.k.json)
    from_record: Path | None = None  # diagnose a kept record instead of running
    # Stop training once a finding is decisive (--full: no). Never with several seeds: the spread needs whole runs.
    stop_early: bool = True
    static_thresholds: dict[str, Any] = field(default_factory=dict)  # the source checks' (the run's include them)
    watch: tuple[str, ...] | None = None  # the findings the user selected, by name (None: all): only they stop a run


def diagnose(request: RunRequest, thresholds: Thresholds, catalog: Catalog,
             on_progress: Callable[[dict[str, Any]], None] | None = None, notice: Notice | None = None) -> Report:
    """The report of a fresh run (or of a kept record); CannotDiagnose when nothing can be judged."""
    if request.from_record is not None:
        records = [_kept_record(request.from_record, request.script)]
    else:
        target = request.save_record

        def keep(index: int, record: RunRecord) -> None:
            if target is not None:
                rec.save(record, target if index == 0 else target.with_name(f"{target.stem}.{index}{target.suffix}"))

        live = settings_for(thresholds, catalog, stop=request.stop_early and request.runs == 1, watch=request.watch)
        options = dataclasses.replace(request.options, live=live) if request.options.live is None else request.options
        try:
            records = run_records(request.script, request.args, options, request.runs, on_progress, keep, notice)
        except CannotDiagnose as error:
            raise with_migration_hint(error, request.script, catalog) from None
    return diagnose_records(str(request.script), records, thresholds, catalog,
                            source_findings(request.script, catalog, request.static_thresholds))


def source_findings(script: Path, catalog: Catalog, static_thresholds: dict[str, Any] | None = None) -> list[Finding]:
    """What `check --static` finds in the script: a run's report includes it (nothing when it cannot be read)."""
    from modeldoctor.source import script_text
    from modeldoctor.static import SourceError, check_source

    try:
        return check_source(script_text(script), str(script), catalog, static_thresholds)
    except (OSError, UnicodeDecodeError, ValueError, SourceError, RecursionError):
        return []


def with_source(found: Sequence[Finding], source: Sequence[Finding]) -> list[Finding]:
    """A run knows at least what the source says: the source's findings join the run's, ranked with them,
    except where the run reports the same mistake (the same name, or a run-time twin the check declares:
    `seen_at_run`): there the run's evidence wins and the source adds nothing twice."""
    from modeldoctor.diagnose.ranking import rank
    from modeldoctor.static.registry import run_twins

    twins, names = run_twins(), {f.name for f in found}
    extra = [f for f in source if not (twins.get(f.name, frozenset({f.name})) & names)]
    return rank([*found, *extra]) if extra else list(found)


def with_migration_hint(error: CannotDiagnose, script: Path, catalog: Catalog) -> CannotDiagnose:
    """A crash of a script written for Keras 2: the hint names the migration rules that explain it and the fix."""
    if "crashed" not in error.what:
        return error
    from modeldoctor.ftypes import Family
    from modeldoctor.static import SourceError, check_source

    try:
        found = [f for f in check_source(script.read_text(encoding="utf-8"), str(script), catalog)
                 if f.family is Family.LEGACY]
    except (OSError, UnicodeDecodeError, SourceError, RecursionError):
        return error
    if not found:
        return error
    shown = ", ".join(dict.fromkeys(f"{f.code} {f.name}" for f in found))
    lines = sorted({f.location.line for f in found if f.location})
    where = f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:8]))}{'...' if len(lines) > 8 else ''})"
    hint = (f"this script uses Keras 2 spellings that Keras 3 removed or changed: {shown}{where}; "
            f"migrate it with `modeldoctor fix {script} --select MD5 --apply` (add --unsafe-fixes for the cures "
            f"that change what is trained), then run modeldoctor again")
    return dataclasses.replace(error, hint=hint)


def selects_source_rules_only(selection: Selection, catalog: Catalog) -> bool:
    """`--select MD5`: every rule the selection keeps is found in the source, so nothing needs to run
    (a script written for Keras 2 does not run on Keras 3 until it is migrated)."""
    from modeldoctor.static.registry import all_checks
    from modeldoctor.suppress import parse_codes

    wanted, unwanted = parse_codes(selection.select), parse_codes(selection.ignore)
    if not wanted:
        return False
    wanted |= parse_codes(selection.extend)
    chosen = [r for r in catalog.rules if any(r.code.startswith(w) for w in wanted)
              and not any(r.code.startswith(u) for u in unwanted)]
    source = {check.rule_name for check in all_checks()} | {r.name for r in catalog.rules if r.legacy}  # type: ignore[attr-defined]
    return bool(chosen) and all(rule.name in source for rule in chosen)


def _kept_record(path: Path, script: Path) -> RunRecord:
    import hashlib

    try:
        record = rec.load(path)
    except rec.RecordError as error:
        raise CannotDiagnose(str(error), "pass a record written by --save-record") from None
    if record.script_sha256 != hashlib.sha256(script.read_bytes()).hexdigest():
        raise CannotDiagnose(f"{script} changed since it was diagnosed (the record's hash differs)",
                             "run check again")
    return judgeable(record, script)


def trains(script: Path) -> bool:
    """Uses Keras and calls fit (or imports a sibling that could); otherwise only its source can be checked."""
    from modeldoctor.source import has_fit_call
    from modeldoctor.static import uses_keras

    from modeldoctor.source import script_text

    try:
        return not uses_keras(script_text(script)) or has_fit_call(script)
    except (OSError, UnicodeDecodeError, ValueError):
        return True  # the run reports the real problem


def trains_with_keras(script: Path) -> bool:
    """What `check --each` runs (pre-commit passes every staged file): Keras scripts that call fit."""
    from modeldoctor.source import has_fit_call
    from modeldoctor.static import uses_keras

    from modeldoctor.source import script_text

    try:
        return script.is_file() and uses_keras(script_text(script)) and has_fit_call(script)
    except (OSError, UnicodeDecodeError, ValueError):
        return False


def check_sources(paths: Sequence[Any], catalog: Catalog, static_thresholds: dict[str, Any]) -> tuple[Report, list[str]]:
    """`check --static`: the report of the source checks, and the files that could not be read."""
    from modeldoctor.static import check_paths

    findings, errors = check_paths(paths, catalog, static_thresholds)
    target = str(paths[0]) if len(paths) == 1 else f"{len(paths)} paths"
    return report_for(target, [], findings, catalog), [str(e) for e in errors]


def run_records(
    script: Path,
    args: Sequence[str],
    options: RunOptions,
    runs: int = 1,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    keep: Callable[[int, RunRecord], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> list[RunRecord]:
    """Run the script `runs` times (seeds 0..runs-1 when several); raise CannotDiagnose when nothing was seen.

    A run stopped early (timeout, Ctrl-C, a crash inside fit) is kept when it recorded an epoch: `notice`
    hears where and why it stopped, and no further seeds are started after a Ctrl-C.
    """
    check_script(script)
    records = []
    for index in range(runs):
        seed = options.seed if runs == 1 else (options.seed or 0) + index
        outcome = run_probe(script, args, dataclasses.replace(options, seed=seed), on_progress)
        if outcome.record is not None and keep is not None:
            keep(index, outcome.record)
        record = usable_record(outcome, script, options.timeout)
        records.append(record)
        if notice is not None and index == 0 and options.backend and record.backend not in (None, options.backend):
            notice(f"{script}: the script chose the {record.backend} backend itself (KERAS_BACKEND set in the "
                   f"script); --backend {options.backend} was not used")
        text = stop_notice(record)
        if text is not None and notice is not None:
            notice(f"{script}: " + (f"run {index + 1}: " if runs > 1 else "") + text)
        if outcome.interrupted:
            break
    return records


def diagnose_records(script: str, records: Sequence[RunRecord], thresholds: Thresholds, catalog: Catalog,
                     source: Sequence[Finding] = ()) -> Report:
    """The report of these runs (and of the script's `source` findings, see `with_source`); a run that
    stopped early makes it partial (it says where and why)."""
    stopped = [text for record in records if (text := partial(record))]
    if len(records) > 1:
        stopped = [f"run {i + 1}: {text}" for i, record in enumerate(records) if (text := partial(record))]
    findings = with_source(diagnose_runs(records, thresholds, catalog), source)
    unjudged = [name for name in unjudged_on_partial() if name not in {f.name for f in findings}]
    notes = [f"not judged on a fit stopped part-way: {', '.join(unjudged)}"] if stopped and unjudged else []
    notes += unjudged_for_missing(records, findings) + unjudged_for_few_steps(records, thresholds)
    return report_for(script, records, findings, catalog, notes, partial=stopped)


def exit_code(report: Report, fail_on: Severity = Severity.INFO) -> int:
    """1 when a finding at least as severe as `fail_on` was reported (`--fail-on`, as linters have it);
    else 0 when training was observed whole (or the source or a history read), 2 when too little was seen."""
    if any(FAILS[f.severity] >= FAILS[fail_on] for f in report.findings):
        return 1
    return 0 if report.scope in (Scope.RUN, Scope.HISTORY, Scope.SOURCE) else 2


def diagnose_history(path: Path, thresholds: Thresholds, catalog: Catalog) -> Report:
    record = history_record(path)
    findings = diagnose_run(record, thresholds, catalog, needs=("curves",))
    unjudged = sorted(d.detector_info.name for d in detectors_for(("run", "runs")))
    note = "not judged from a history alone (they need a run): " + ", ".join(unjudged)
    return report_for(str(path), [record], findings, catalog, [note], scope=Scope.HISTORY)
