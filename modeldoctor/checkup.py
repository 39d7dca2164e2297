"""A check-up: run the script (once or with several seeds), triage, diagnose, and assemble the report.

Kept out of the CLI so that `check`, `fix` and `fix --verify` share it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from modeldoctor.diagnose import detectors_for, diagnose_run, diagnose_runs
from modeldoctor.diagnose.history import history_record
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Report
from modeldoctor.report.build import report_for
from modeldoctor.record import RunRecord
from modeldoctor.rules import Catalog
from modeldoctor.runner import RunOptions, run_probe
from modeldoctor.triage import check_script, usable_record


def run_records(
    script: Path,
    args: Sequence[str],
    options: RunOptions,
    runs: int = 1,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    keep: Callable[[int, RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Run the script `runs` times (seeds 0..runs-1 when several); raise CannotDiagnose on failure."""
    check_script(script)
    records = []
    for index in range(runs):
        seed = options.seed if runs == 1 else (options.seed or 0) + index
        outcome = run_probe(script, args, dataclasses.replace(options, seed=seed), on_progress)
        if outcome.record is not None and keep is not None:
            keep(index, outcome.record)
        records.append(usable_record(outcome, script, options.timeout))
    return records


def diagnose_records(script: str, records: Sequence[RunRecord], thresholds: Thresholds, catalog: Catalog) -> Report:
    notes = []
    if any(record.exit.status != "ok" for record in records):
        notes.append("the script failed after training started; the diagnosis covers what was recorded")
    return report_for(script, records, diagnose_runs(records, thresholds, catalog), catalog, notes)


def diagnose_history(path: Path, thresholds: Thresholds, catalog: Catalog) -> Report:
    record = history_record(path)
    findings = diagnose_run(record, thresholds, catalog, needs=("curves",))
    unjudged = sorted(d.detector_info.name for d in detectors_for(("run", "runs")))
    note = "not judged from a history alone (they need a run): " + ", ".join(unjudged)
    return report_for(str(path), [record], findings, catalog, [note])
