"""A check-up: run the script (once or with several seeds), triage, diagnose, and assemble the report.

Kept out of the CLI so that `check`, `fix` and `fix --verify` share it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from modeldoctor.diagnose import detectors_for, diagnose_run, diagnose_runs, unjudged_on_partial
from modeldoctor.diagnose.history import history_record
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Report, Scope
from modeldoctor.report.build import report_for
from modeldoctor.record import RunRecord
from modeldoctor.rules import Catalog
from modeldoctor.runner import RunOptions, run_probe
from modeldoctor.triage import check_script, partial, stop_notice, usable_record


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
        text = stop_notice(record)
        if text is not None and notice is not None:
            notice(f"{script}: " + (f"run {index + 1}: " if runs > 1 else "") + text)
        if outcome.interrupted:
            break
    return records


def diagnose_records(script: str, records: Sequence[RunRecord], thresholds: Thresholds, catalog: Catalog) -> Report:
    """The report of these runs; a run that stopped early makes it partial (it says where and why)."""
    stopped = [text for record in records if (text := partial(record))]
    if len(records) > 1:
        stopped = [f"run {i + 1}: {text}" for i, record in enumerate(records) if (text := partial(record))]
    notes = [f"not judged on a fit stopped part-way: {', '.join(unjudged_on_partial())}"] if stopped else []
    return report_for(script, records, diagnose_runs(records, thresholds, catalog), catalog, notes, partial=stopped)


def exit_code(report: Report) -> int:
    """0 only when training was observed whole and nothing was found; 2 when too little was seen to judge."""
    if report.findings:
        return 1
    return 0 if report.scope in (Scope.RUN, Scope.HISTORY, Scope.SOURCE) else 2


def diagnose_history(path: Path, thresholds: Thresholds, catalog: Catalog) -> Report:
    record = history_record(path)
    findings = diagnose_run(record, thresholds, catalog, needs=("curves",))
    unjudged = sorted(d.detector_info.name for d in detectors_for(("run", "runs")))
    note = "not judged from a history alone (they need a run): " + ", ".join(unjudged)
    return report_for(str(path), [record], findings, catalog, [note], scope=Scope.HISTORY)
