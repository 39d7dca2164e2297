"""`fix` without the command line: a diagnosis in, a report with prescriptions and the cured source out.

The application layer of `fix`: the diagnosis comes from a run (as `check`),
a kept record, or the source alone; `fix --verify` (verify/) ends in the
same `FixResult`, so the CLI only decides where the text goes.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modeldoctor.checkup import RunRequest, Selection, diagnose, selects_source_rules_only
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Applicability, Finding, Prescription, Report
from modeldoctor.notebook import NotebookError, is_notebook, virtual_script
from modeldoctor.prescribe import allowed, prescribe
from modeldoctor.record import RunRecord
from modeldoctor.report.build import report_for
from modeldoctor.rules import Catalog
from modeldoctor.treatment import Treatment, TreatmentError, sha256, treat, write_atomically

if TYPE_CHECKING:
    from modeldoctor.verify import Verifier
    from modeldoctor.verify.runners import TrialSettings
    from modeldoctor.verify.schedule import Board


@dataclass(frozen=True)
class FixResult:
    report: Report
    source: str  # the cured source (the original when nothing applied)
    expected_sha256: str  # what the file must still hash to before it is overwritten
    unsafe_pending: bool = False  # cures exist that need --unsafe-fixes

    def changed(self, original: str) -> bool:
        return self.source != original


def unified_diff(original: str, cured: str, name: str) -> str:
    return "".join(difflib.unified_diff(original.splitlines(keepends=True), cured.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))


def prescribe_and_treat(script: Path, source: str, base: Report, findings: Sequence[Finding], catalog: Catalog,
                        records: Sequence[RunRecord], unsafe: bool, expected_sha256: str) -> FixResult:
    """One cure per primary finding, applied in order to the source; the report says what each did."""
    from modeldoctor.transforms import available

    transforms = available()
    treatment = treat_first_that_applies(source, prescribe(findings, catalog, records, transforms, unsafe), catalog,
                                         records, transforms, unsafe)
    report = dataclasses.replace(base, findings=tuple(findings), prescriptions=treatment.prescriptions,
                                 diff=treatment.diff(script.name))
    pending = any(not p.applied and p.cure.transform is not None and p.cure.applicability is Applicability.UNSAFE
                  and not allowed(p.cure, unsafe) for p in treatment.prescriptions)
    return FixResult(report, treatment.source, expected_sha256, pending)


def treat_first_that_applies(source: str, prescriptions: list[Prescription], catalog: Catalog,
                             records: Sequence[RunRecord], transforms: Any, unsafe: bool) -> Treatment:
    """Each finding's first cure whose transform finds something to change: when one declines (no harmful
    initializer to reset, or its hook read in the run that it does not apply: a loss that had stopped falling
    needs no longer training), the rule's next cure this run allows is tried, as `fix --verify` would."""
    treatment = treat(source, prescriptions, transforms)
    for i, tried in enumerate(prescriptions):
        withheld = tried.cure.applicability is Applicability.DISPLAY_ONLY or not allowed(tried.cure, unsafe)
        if treatment.prescriptions[i].applied or (tried.declined is not None and withheld):
            continue  # applied, or not to be applied (advice only, an unsafe cure without --unsafe-fixes)
        rule, finding = tried.rule, tried.finding
        for index in range(rule.cures.index(tried.cure) + 1, len(rule.cures)):
            if not allowed(rule.cures[index], unsafe):
                continue
            (other,) = prescribe([finding], catalog, records, transforms, unsafe, {finding.name: index})
            if other.declined is not None:
                continue
            attempt = treat(source, [*prescriptions[:i], other, *prescriptions[i + 1:]], transforms)
            if attempt.prescriptions[i].applied:
                prescriptions, treatment = [*prescriptions[:i], other, *prescriptions[i + 1:]], attempt
                break
    return treatment


def verified(script: Path, source: str, verifier: Verifier, catalog: Catalog, expected_sha256: str) -> FixResult:
    """fix --verify: every cure tried on a copy under several seeds; only the ones that work are kept."""
    from modeldoctor.verify.copies import located_in_script

    result = verifier.verify(source)
    records, findings = located_in_script(result.records, result.findings, script)
    report = report_for(str(script), records, findings, catalog)
    report = dataclasses.replace(report, prescriptions=result.accepted, trials=result.trials,
                                 diff=unified_diff(source, result.source, script.name))
    return FixResult(report, result.source, expected_sha256)


def prescribed(request: RunRequest, source: str, catalog: Catalog, thresholds: Thresholds,
               static_thresholds: dict[str, Any], selection: Selection, unsafe: bool, static: bool = False,
               on_progress: Callable[[dict[str, Any]], None] | None = None,
               notice: Callable[[str], None] | None = None) -> FixResult:
    """The findings of a run, a kept record or (`static`, or a selection of source rules only) the source,
    and the cures they call for."""
    if static or (request.from_record is None and selects_source_rules_only(selection, catalog)):
        from modeldoctor.static import check_source

        found = check_source(source, str(request.script), catalog, static_thresholds)
        base, records, expected = report_for(str(request.script), [], found, catalog), [], sha256(source)
    else:
        base = diagnose(request, thresholds, catalog, on_progress, notice)
        records, found = list(base.runs), list(base.findings)
        expected = records[0].script_sha256 if records else sha256(source)
    if static and is_notebook(request.script):
        expected = virtual_script(request.script).sha256  # the file's bytes, not its virtual script's
    return in_notebook(request.script, source, prescribe_and_treat(
        request.script, source, base, selection.keep(found, source), catalog, records, unsafe, expected))


def verify_on_board(request: RunRequest, source: str, catalog: Catalog, thresholds: Thresholds,
                    selection: Selection, unsafe: bool, seeds: int, settings: TrialSettings, budget: float | None,
                    on_event: Callable[[str], None]) -> FixResult:
    """fix --verify with the live trial table on stderr (the verdict lines only, when stderr is a log)."""
    from modeldoctor.report.trial_board import TrialBoard

    with TrialBoard() as board:
        return verify(request, source, catalog, thresholds, selection, unsafe, seeds, settings, budget,
                      board.say(on_event), board)


def verify(request: RunRequest, source: str, catalog: Catalog, thresholds: Thresholds, selection: Selection,
           unsafe: bool, seeds: int, settings: TrialSettings, budget: float | None, on_event: Callable[[str], None],
           on_board: Callable[[Board], None] = lambda board: None) -> FixResult:
    """fix --verify on the runner the settings name (this machine's pool, or Ray)."""
    import sys

    from modeldoctor.run.runner import RunOptions
    from modeldoctor.transforms import available
    from modeldoctor.verify import Verifier
    from modeldoctor.verify.runners import open_runner

    options = dataclasses.replace(request.options, seed=None, quiet=True) if request.options else RunOptions()
    # The doctor's own interpreter means "the one the trial's process runs": on a cluster, the node's own.
    python = None if options.python == sys.executable else options.python
    runner = open_runner(settings)
    try:
        verifier = Verifier(script=request.script, args=request.args, options=options, seeds=seeds, catalog=catalog,
                            thresholds=thresholds, transforms=available(), runner=runner, unsafe=unsafe,
                            budget=budget, on_event=on_event, keep=selection.keep, schedule=settings.schedule,
                            python=python, on_board=on_board, stop_early=request.stop_early)
        expected = virtual_script(request.script).sha256 if is_notebook(request.script) else sha256(source)
        return in_notebook(request.script, source, verified(request.script, source, verifier, catalog, expected))
    finally:
        runner.close()


def read_source(script: Path) -> str:
    """What `fix` cures: the file's own text (its newlines kept), or a notebook's code cells as one script."""
    if is_notebook(script):
        return virtual_script(script).source
    return script.read_bytes().decode("utf-8")


def in_notebook(script: Path, source: str, result: FixResult) -> FixResult:
    """A notebook's cures shown per cell (`a/analysis.ipynb:cell 4`); a script's result as it is."""
    if not is_notebook(script):
        return result
    from modeldoctor.notebook.edit import cell_diff
    from modeldoctor.notebook.locations import in_cells

    report = in_cells(result.report)  # the summary on stderr says `cell 6:1` too, not the virtual line
    if result.changed(source):
        before = virtual_script(script)
        try:
            changed = before.cure(result.source)
        except NotebookError as error:
            raise TreatmentError(str(error)) from None
        report = dataclasses.replace(report, diff=cell_diff({n: before.cell_source(n) or "" for n in changed},
                                                             changed, script.name))
    return dataclasses.replace(result, report=report)


def write_cured(target: Path, result: FixResult, script: Path) -> None:
    """Write the cured script atomically; a notebook gets only its changed cells' sources rewritten."""
    expected = result.expected_sha256 if target == script else None
    if not is_notebook(script):
        write_atomically(target, result.source, expected, script)
        return
    from modeldoctor.notebook.edit import with_sources

    try:
        text = with_sources(script.read_bytes().decode("utf-8"), virtual_script(script).cure(result.source),
                            str(script))
    except (NotebookError, OSError, UnicodeDecodeError) as error:
        raise TreatmentError(str(error)) from None
    write_atomically(target, text, expected, script)
