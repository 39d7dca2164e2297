"""Treat and confirm: try each cure on a copy under several seeds, keep only the ones that work.

The method this project follows is iterative: diagnose, treat one thing,
check, repeat. A cure is accepted when its finding is gone (or clearly
weaker) and the target metric is not worse beyond the seed-to-seed noise;
otherwise the rule's next cure is tried.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modeldoctor.diagnose import diagnose_runs
from modeldoctor.diagnose.series import accuracy_key, curve, kept_value
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding, Measure, Prescription, Trial
from modeldoctor.prescribe import allowed, prescribe
from modeldoctor.record import RunRecord
from modeldoctor.rules import Catalog
from modeldoctor.runner import RunOptions
from modeldoctor.treatment import TreatmentError, treat
from modeldoctor.triage import failure
from modeldoctor.trials import TrialJob, TrialRunner

TRIAL_PREFIX = ".modeldoctor-trial-"  # the copy beside the script that a trial runs

# The evidence number that says how bad a finding is, and whether higher is worse.
SEVERITY_KEY: dict[str, tuple[str, bool]] = {
    "exploding-gradients": ("grad_to_weight_median", True),
    "vanishing-gradients": ("norm_ratio_median", False),
    "learning-rate-too-high": ("update_ratio_median", True),
    "learning-rate-too-low": ("update_ratio_median", False),
    "unscaled-inputs": ("max_feature_rms", True),
    "non-finite-data": ("worst_share", True),
    "stalled-loss": ("improvement", False),
    "slow-convergence": ("progress", False),
    "oscillating-loss": ("rise_share", True),
    "overfitting": ("val_rise", True),
    "generalization-gap": ("final_gap", True),
    "high-variance": ("spread", True),
}
CLEARLY = 2.0  # "clearly weaker": at least halfway less bad


@dataclass(frozen=True)
class Verification:
    source: str
    trials: tuple[Trial, ...]
    accepted: tuple[Prescription, ...]
    records: tuple[RunRecord, ...]
    findings: tuple[Finding, ...]


def target_measure(records: Sequence[RunRecord]) -> Measure:
    """Validation metric if there is one, else validation loss, else training loss; the kept model's value."""
    fits = [r.fits[-1] if r.fits else None for r in records]
    sample = next((f for f in fits if f is not None and f.epochs), None)
    key = accuracy_key(sample) if sample else None
    name, higher = (f"val_{key}", True) if key else ("val_loss", False)
    if sample is not None and name not in sample.epochs[-1]:
        name = "loss"
    values = [kept_value(fit, name, higher) if fit is not None else None for fit in fits]
    curves = tuple(tuple(math.nan if v is None else v for v in curve(fit, name)) if fit is not None else ()
                   for fit in fits)
    return Measure(name=name, higher_is_better=higher,
                   values=tuple(math.nan if v is None else v for v in values), curves=curves)


def not_worse(before: Measure, after: Measure) -> bool:
    noise = max(before.spread, after.spread, 1e-9)
    if before.higher_is_better:
        return after.mean >= before.mean - noise
    return after.mean <= before.mean + noise


def weaker(name: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    key, higher_is_worse = SEVERITY_KEY.get(name, (None, True))
    if key is None or not isinstance(before.get(key), (int, float)) or not isinstance(after.get(key), (int, float)):
        return False
    b, a = abs(before[key]), abs(after[key])
    return a * CLEARLY <= b if higher_is_worse else a >= b * CLEARLY


def judge(finding: Finding, before: Measure, after_records: Sequence[RunRecord], after_findings: Sequence[Finding],
          ) -> tuple[str, str, Measure, dict[str, Any] | None]:
    after = target_measure(after_records)
    same = next((f for f in after_findings if f.name == finding.name), None)
    evidence = same.evidence if same else None
    if same is not None and not weaker(finding.name, finding.evidence, same.evidence):
        return "rejected", f"{finding.name} is still there and not clearly weaker", after, evidence
    if not not_worse(before, after):
        return ("rejected", f"{after.name} got worse: {before.mean:.4g} ± {before.spread:.2g} → "
                f"{after.mean:.4g} ± {after.spread:.2g}", after, evidence)
    gone = "gone" if same is None else "clearly weaker"
    return "accepted", f"{finding.name} {gone}; {after.name} {before.mean:.4g} → {after.mean:.4g}", after, evidence


def treatable(findings: Sequence[Finding], untreatable: set[str]) -> list[Finding]:
    """Findings worth a cure now: not caused by another finding still kept (a cure of the cause comes first).

    A finding whose cause was left out (--select, --ignore, a suppression) is treated on its own.
    """
    names = {f.name for f in findings}
    return [f for f in findings if f.name not in untreatable and not any(c in names for c in f.caused_by)]


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
