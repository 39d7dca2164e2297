"""Treat and confirm: try each cure on a copy under several seeds, keep only the ones that work.

The method this project follows is iterative: diagnose, treat one thing,
check, repeat. A cure is accepted when its finding is gone (or clearly
weaker) and the target metric is not worse beyond the seed-to-seed noise;
otherwise the rule's next cure is tried.
"""

from __future__ import annotations

import dataclasses
import functools
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modeldoctor.diagnose import diagnose_runs
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding, Prescription, Trial
from modeldoctor.prescribe import allowed, prescribe
from modeldoctor.record import RunRecord
from modeldoctor.rules import Catalog
from modeldoctor.run.runner import RunOptions
from modeldoctor.run.triage import failure
from modeldoctor.treatment import TreatmentError, treat
from modeldoctor.verify.judgement import Verification, judge, target_measure, treatable
from modeldoctor.verify.trials import TRIAL_PREFIX, TrialJob, TrialRunner


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

    def runs(self, source: str) -> tuple[list[RunRecord], list[str], float]:
        """Run `source` as a copy beside the script (so relative paths work) under each seed."""
        started = time.perf_counter()
        with tempfile.NamedTemporaryFile("w", suffix=".py", prefix=f"{TRIAL_PREFIX}{self.script.stem}-",
                                         dir=self.script.parent, delete=False, encoding="utf-8") as copy:
            copy.write(source)
        try:
            jobs = [TrialJob(Path(copy.name), self.args, dataclasses.replace(self.options, seed=seed))
                    for seed in range(self.seeds)]
            outcomes = self.runner.run(jobs)
        finally:
            Path(copy.name).unlink(missing_ok=True)
        records, failures = [], []
        for seed, outcome in enumerate(outcomes):
            reason = failure(outcome)
            if reason is not None or outcome.record is None:
                failures.append(f"seed {seed}: {reason}")
            else:
                records.append(outcome.record)
        return records, failures, time.perf_counter() - started

    def over_budget(self, started: float) -> bool:
        return self.budget is not None and time.perf_counter() - started > self.budget

    def verify(self, source: str) -> Verification:
        started = time.perf_counter()
        records, failures, _ = self.runs(source)
        if failures or not records:
            raise TreatmentError("the untreated script could not be run under every seed: " + "; ".join(failures))
        findings = self.keep(diagnose_runs(records, self.thresholds, self.catalog), source)
        trials: list[Trial] = []
        accepted: list[Prescription] = []
        untreatable: set[str] = set()
        round_ = 0
        while not self.over_budget(started):
            round_ += 1
            candidates = treatable(findings, untreatable)
            if not candidates:
                break
            finding = candidates[0]
            result = self.treat_one(source, finding, records, round_, started)
            trials.extend(result[0])
            if result[1] is None:
                untreatable.add(finding.name)
                continue
            prescription, source, records = result[1], result[2], result[3]
            accepted.append(prescription)
            findings = self.keep(diagnose_runs(records, self.thresholds, self.catalog), source)
        return Verification(source, tuple(trials), tuple(accepted), tuple(records), tuple(findings))

    def treat_one(self, source: str, finding: Finding, records: list[RunRecord], round_: int, started: float,
                  ) -> tuple[list[Trial], Prescription | None, str, list[RunRecord]]:
        """Try the finding's cures in the rule's order; the first that works is kept."""
        rule = self.catalog.by_code(finding.code)
        before = target_measure(records)
        trials: list[Trial] = []
        for index, cure in enumerate(rule.cures if rule else ()):
            if not allowed(cure, self.unsafe) or self.over_budget(started):
                continue
            (prescription,) = prescribe([finding], self.catalog, records, self.transforms, self.unsafe,
                                        {finding.name: index})
            # What every trial of this cure records, whatever its verdict; a partial keeps the fields typed.
            trial = functools.partial(Trial, code=finding.code, finding=finding.name, transform=cure.transform or "",
                                      params=prescription.params, before=before, evidence_before=finding.evidence,
                                      seeds=tuple(range(self.seeds)), round=round_)
            try:
                treated = treat(source, [prescription], self.transforms)
            except TreatmentError as error:
                trials.append(trial(verdict="declined", reason=str(error)))
                continue
            applied = treated.prescriptions[0]
            if not applied.applied:
                trials.append(trial(verdict="declined", reason=applied.declined or "nothing to change"))
                continue
            self.on_event(f"trying {cure.transform} for {finding.name} ({self.seeds} seeds)")
            after_records, failures, wall = self.runs(treated.source)
            if failures:
                trials.append(trial(verdict="failed", reason="; ".join(failures), wall_time=wall, edits=applied.edits))
                continue
            after_findings = diagnose_runs(after_records, self.thresholds, self.catalog)
            verdict, reason, after, evidence = judge(finding, before, after_records, after_findings)
            trials.append(trial(verdict=verdict, reason=reason, after=after, evidence_after=evidence,
                                wall_time=wall, edits=applied.edits))
            self.on_event(f"{verdict}: {reason}")
            if verdict == "accepted":
                return trials, applied, treated.source, after_records
        return trials, None, source, records
