"""Treat and confirm: try each cure on a copy under several seeds, keep only the ones that work.

The method this project follows is iterative: diagnose, treat one thing,
check, repeat. A cure is accepted when its finding is gone (or clearly
weaker), the finding's own measure is not worse and the task metric is not
worse beyond a practical margin plus the seed noise (judgement.py);
otherwise the rule's next cure is tried.

Scheduling (`Schedule`): by default every candidate cure of a finding is
sent with all its seeds in one batch (and, while the untreated seeds still
run, the cures of what the first of them shows), judged in the rule's order
as they come back, and what is no longer needed is cancelled once one is
accepted. `sequential` sends one cure at a time, as before. Either way the
same cures are judged on the same seeds in the same order: the verdicts do
not depend on the schedule, the runner or the order runs finish in.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modeldoctor.diagnose import diagnose_runs
from modeldoctor.diagnose.live import LiveSettings, settings_for
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding, Prescription, Trial
from modeldoctor.prescribe import allowed, prescribe
from modeldoctor.record import RunRecord
from modeldoctor.rules import Catalog
from modeldoctor.run.runner import RunOptions, RunOutcome
from modeldoctor.run.triage import failure
from modeldoctor.treatment import TreatmentError, treat
from modeldoctor.verify.copies import said_of_script
from modeldoctor.verify.judgement import Verification, finding_measure, judge, target_measure, treatable
from modeldoctor.verify.schedule import Board, Schedule, Trials
from modeldoctor.verify.trials import LostRun, TrialRunner

UNTREATED = "untreated"


@dataclass(frozen=True)
class Candidate:
    """One cure of a finding, prepared: its treated source to run, or why it declined."""

    label: str
    trial: Callable[..., Trial]  # the Trial fields every verdict of this cure shares
    source: str | None = None
    applied: Prescription | None = None
    declined: str | None = None


def decided_on(finding: str, outcome: RunOutcome) -> bool:
    """A treated run the live diagnosis stopped because the finding it treats came back decisive."""
    record = outcome.record
    return record is not None and any(f.decided is not None and f.decided.finding == finding for f in record.fits)


def came_back(finding: str, seed: int, outcome: RunOutcome) -> str:
    """The reason of a trial rejected early: where the finding came back, and why that settles it."""
    assert outcome.record is not None
    fit = next(f for f in outcome.record.fits if f.decided is not None)
    assert fit.decided is not None
    return (f"{finding} came back and was decisive under seed {seed} at epoch {fit.decided.epoch} "
            f"({fit.decided.why}); the trial stopped there")


def split(outcomes: Sequence[RunOutcome]) -> tuple[list[RunRecord], list[str]]:
    """The records of whole runs, and why each other seed's run cannot be compared."""
    records, failures = [], []
    for seed, outcome in enumerate(outcomes):
        reason = outcome.reason if isinstance(outcome, LostRun) else failure(outcome)
        if reason is not None or outcome.record is None:
            failures.append(f"seed {seed}: {reason}")
        else:
            records.append(outcome.record)
    return records, failures


def not_run(failures: Sequence[str], seeds: int) -> str:
    """Why the untreated script cannot be verified: the reason once when all `seeds` failed alike."""
    reasons = {failure.split(": ", 1)[-1] for failure in failures}
    if len(failures) == seeds > 1 and len(reasons) == 1:
        return f"the untreated script could not be run under any of the {seeds} seeds: {reasons.pop()}"
    return "the untreated script could not be run under every seed: " + "; ".join(failures)


@dataclass
class Verifier:
    script: Path
    args: tuple[str, ...]
    options: RunOptions
    seeds: int
    catalog: Catalog
    thresholds: Thresholds
    transforms: Mapping[str, Any]
    runner: TrialRunner
    unsafe: bool
    budget: float | None = None
    on_event: Callable[[str], None] = lambda message: None
    # --select/--ignore and suppression comments, given the findings and the source they came from
    keep: Callable[[Sequence[Finding], str], list[Finding]] = lambda findings, source: list(findings)
    schedule: Schedule = Schedule.BATCHED
    python: str | None = None  # the trials' interpreter; None: the one of whichever process runs them
    on_board: Callable[[Board], None] = lambda board: None
    stop_early: bool = True  # a treated run stops once the finding it treats is decisive again (--full: never)

    def live(self, finding: str) -> LiveSettings | None:
        """How a treated run of this finding's cures is watched: stopped on that finding alone."""
        return settings_for(self.thresholds, self.catalog, stop=True, stop_on=(finding,)) if self.stop_early else None

    def trials(self) -> Trials:
        """The job template: the script's place relative to the working directory, so it travels."""
        cwd = Path.cwd()
        script = self.script.resolve()
        if script.is_relative_to(cwd.resolve()):
            script = script.relative_to(cwd.resolve())
        return Trials(self.runner, script, cwd, self.args, self.options, self.seeds, self.python, self.on_board)

    def over_budget(self, started: float) -> bool:
        return self.budget is not None and time.perf_counter() - started > self.budget

    def diagnosis(self, records: Sequence[RunRecord], source: str) -> list[Finding]:
        return self.keep(diagnose_runs(records, self.thresholds, self.catalog), source)

    def verify(self, source: str) -> Verification:
        trials = self.trials()
        try:
            return self._verify(source, trials)
        finally:
            trials.close()

    def _verify(self, source: str, trials: Trials) -> Verification:
        started = time.perf_counter()
        trials.send([(UNTREATED, source)])
        if self.schedule is Schedule.BATCHED:
            self.look_ahead(source, trials)
        records, failures = split(trials.collect(source))
        if failures or not records:
            raise TreatmentError(not_run([said_of_script(failure, self.script) for failure in failures], self.seeds) +
                                 f"\n  hint: `modeldoctor check {self.script}` shows why, with the script's own "
                                 "traceback; fix --verify needs a script that trains under every seed")
        trials.label(source, "diagnosed")
        findings = self.diagnosis(records, source)
        done: list[Trial] = []
        accepted: list[Prescription] = []
        untreatable: set[str] = set()
        round_ = 0
        while not self.over_budget(started):
            round_ += 1
            candidates = treatable(findings, untreatable)
            if not candidates:
                break
            finding = candidates[0]
            result = self.treat_one(source, finding, records, round_, started, trials)
            done.extend(result[0])
            if result[1] is None:
                untreatable.add(finding.name)
                continue
            prescription, source, records = result[1], result[2], result[3]
            accepted.append(prescription)
            findings = self.diagnosis(records, source)
        return Verification(source, tuple(done), tuple(accepted), tuple(records), tuple(findings))

    def look_ahead(self, source: str, trials: Trials) -> None:
        """While untreated seeds still run, send the cures of what the ones back so far show.

        Runs the whole diagnosis does not want (another finding, other parameters) are cancelled then;
        the ones that match are reused as they are: only when they run changes, not what is judged."""
        ahead: list[str] = []
        while not trials.complete(source):
            records, failures = split(trials.more(source))
            if failures or trials.complete(source):
                return
            findings = treatable(self.diagnosis(records, source), set())
            plan = self.candidates(source, findings[0], records, 1) if findings else []
            wanted = [(c.label, c.source) for c in plan if c.source is not None]
            if [s for _, s in wanted] != ahead:
                trials.keep_only([source, *(s for _, s in wanted)], ahead=True)
                trials.send(wanted, self.live(findings[0].name))
                ahead = [s for _, s in wanted]

    def candidates(self, source: str, finding: Finding, records: list[RunRecord], round_: int) -> list[Candidate]:
        """The finding's cures in the rule's order, each treated (pure and quick: nothing runs here)."""
        rule = self.catalog.by_code(finding.code)
        before = target_measure(records)
        plan = []
        for index, cure in enumerate(rule.cures if rule else ()):
            if not allowed(cure, self.unsafe):
                continue
            (prescription,) = prescribe([finding], self.catalog, records, self.transforms, self.unsafe,
                                        {finding.name: index})
            trial = functools.partial(Trial, code=finding.code, finding=finding.name, transform=cure.transform or "",
                                      params=prescription.params, before=before, evidence_before=finding.evidence,
                                      measure_before=finding_measure(finding.name, records),
                                      seeds=tuple(range(self.seeds)), round=round_)
            label = f"{finding.code} {finding.name} → {cure.transform}"
            try:
                treated = treat(source, [prescription], self.transforms)
            except TreatmentError as error:
                plan.append(Candidate(label, trial, declined=str(error)))
                continue
            applied = treated.prescriptions[0]
            if not applied.applied:
                plan.append(Candidate(label, trial, declined=applied.declined or "nothing to change"))
            else:
                plan.append(Candidate(label, trial, treated.source, applied))
        return plan

    def treat_one(self, source: str, finding: Finding, records: list[RunRecord], round_: int, started: float,
                  trials: Trials) -> tuple[list[Trial], Prescription | None, str, list[RunRecord]]:
        """Judge the finding's cures in the rule's order; the first that works is kept, the rest cancelled."""
        plan = self.candidates(source, finding, records, round_)
        runnable = [(c.label, c.source) for c in plan if c.source is not None]
        live = self.live(finding.name)
        if self.schedule is Schedule.BATCHED:
            trials.keep_only((s for _, s in runnable), ahead=True)  # what the look-ahead sent and is not wanted
            trials.send(runnable, live)
            self.on_event(f"trying {len(runnable)} cure(s) for {finding.name} at once ({self.seeds} seeds each)")
        before, measure = target_measure(records), finding_measure(finding.name, records)
        done: list[Trial] = []
        try:
            for candidate in plan:
                if self.over_budget(started):
                    break
                if candidate.source is None or candidate.applied is None:
                    done.append(candidate.trial(verdict="declined", reason=candidate.declined))
                    continue
                if self.schedule is Schedule.SEQUENTIAL:
                    trials.send([(candidate.label, candidate.source)], live)
                    self.on_event(f"trying {candidate.label.split(' → ')[-1]} for {finding.name} ({self.seeds} seeds)")
                outcomes = trials.collect(candidate.source, functools.partial(decided_on, finding.name))
                wall = max((o.wall_time for o in outcomes), default=0.0)
                back = next((o for o in outcomes if decided_on(finding.name, o)), None)
                if back is not None:
                    trials.decided(back.wall_time)
                    reason = came_back(finding.name, outcomes.index(back), back)
                    done.append(candidate.trial(verdict="rejected", reason=reason, wall_time=wall,
                                                edits=candidate.applied.edits))
                    trials.label(candidate.source, "rejected")
                    self.on_event(f"rejected: {reason}")
                    continue
                after_records, failures = split(outcomes)
                if failures:
                    reason = said_of_script("; ".join(failures), self.script)
                    done.append(candidate.trial(verdict="failed", reason=reason, wall_time=wall,
                                                edits=candidate.applied.edits))
                    trials.label(candidate.source, "failed")
                    continue
                after_findings = diagnose_runs(after_records, self.thresholds, self.catalog)
                verdict, reason, after, evidence, measure_after = judge(finding, before, after_records,
                                                                        after_findings, measure, records)
                done.append(candidate.trial(verdict=verdict, reason=reason, after=after, evidence_after=evidence,
                                            measure_after=measure_after, wall_time=wall, edits=candidate.applied.edits))
                trials.label(candidate.source, verdict)
                self.on_event(f"{verdict}: {reason}")
                if verdict == "accepted":
                    return done, candidate.applied, candidate.source, after_records
            return done, None, source, records
        finally:
            trials.keep_only(())  # a cure accepted, or the budget spent: nothing else of this finding is needed
