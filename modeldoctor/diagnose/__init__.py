"""Diagnosis: run records in, ranked findings out. Pure functions; no Keras import."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from modeldoctor.diagnose.ranking import rank
from modeldoctor.diagnose.registry import Detector, all_detectors, check_detectors
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding
from modeldoctor.record import FitRecord, RunRecord, Signal
from modeldoctor.rules import Catalog


def _stamp(finding: Finding, catalog: Catalog) -> Finding:
    rule = catalog.require(finding.name, f"finding '{finding.name}'")
    return dataclasses.replace(finding, code=rule.code, severity=rule.severity)


def detectors_for(needs: Sequence[str]) -> list[Detector]:
    return [d for d in all_detectors() if d.detector_info.needs in needs]


def unjudged_on_partial() -> list[str]:
    """Findings that judge how a fit ended, so a fit stopped part-way says nothing about them."""
    return sorted(d.detector_info.name for d in all_detectors() if d.detector_info.whole_curve)


def unjudged_for_missing(records: Sequence[RunRecord], findings: Sequence[Finding] = ()) -> list[str]:
    """Notes for the report: the findings a run could not judge because a signal they read was not observed.

    One note per reason, naming the signals and the findings (a finding that
    was reported anyway, from the samples that did work, is not named).
    """
    readers: dict[str, list[str]] = {}
    for detect in all_detectors():
        for signal in detect.detector_info.reads:
            readers.setdefault(signal.value, []).append(detect.detector_info.name)
    reported = {f.name for f in findings}
    notes: dict[str, tuple[list[str], list[str]]] = {}
    for record in records:
        for fit in record.fits:
            for missing in fit.missing:
                names = [n for n in readers.get(missing.signal, []) if n not in reported]
                if not names:
                    continue
                signals, unjudged = notes.setdefault(missing.reason, ([], []))
                signals += [missing.signal] if missing.signal not in signals else []
                unjudged += [n for n in names if n not in unjudged]
    return [f"not judged ({_and(signals)} not observed: {reason}): {', '.join(unjudged)}"
            for reason, (signals, unjudged) in notes.items()]


# What the optimizer's steps show: a handful of them is no evidence (a short probe, --max-steps 5).
STEP_SIGNALS = {Signal.GRADIENTS, Signal.UPDATES}


def steps_taken(fit: FitRecord) -> int:
    """Training steps the fit took, as far as the record shows."""
    seen = [b.step for b in fit.batch_losses] + [s.step for s in fit.samples]
    by_epochs = len(fit.epochs) * (fit.steps_per_epoch or 0)
    return max([by_epochs, *(s + 1 for s in seen)])


def too_few_steps(fit: FitRecord, thresholds: Thresholds) -> bool:
    """A fit too short to judge its gradients and updates by (one the live diagnosis stopped was judged)."""
    return fit.decided is None and fit.stopped_on_nan is False and steps_taken(fit) < thresholds.judge_min_steps


def unjudged_for_few_steps(records: Sequence[RunRecord], thresholds: Thresholds) -> list[str]:
    """`5 steps: too few to judge exploding-gradients, ...`: what a short probe said nothing about, and why."""
    names = sorted(d.detector_info.name for d in detectors_for(("curves", "run"))
                   if set(d.detector_info.reads) & STEP_SIGNALS)
    notes = []
    for record in records:
        for fit in record.fits:
            if too_few_steps(fit, thresholds):
                steps = steps_taken(fit)
                note = (f"{steps} step{'s' if steps != 1 else ''}: too few to judge {', '.join(names)} "
                        f"(they need {thresholds.judge_min_steps:g})")
                notes += [note] if note not in notes else []
    return notes


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def diagnose_run(record: RunRecord, thresholds: Thresholds, catalog: Catalog,
                 needs: Sequence[str] = ("curves", "run")) -> list[Finding]:
    """Findings of one run, over every fit it made, ranked root cause first.

    Raises RuleError when a detector and the catalog disagree (see `check_detectors`).
    """
    check_detectors(all_detectors(), catalog)
    findings = []
    for fit in record.fits:
        whole = fit.completed or fit.stopped_on_nan
        few = too_few_steps(fit, thresholds)
        for detect in detectors_for(needs):
            decided = fit.decided is not None and fit.decided.finding == detect.detector_info.name
            if detect.detector_info.whole_curve and not whole and not decided:
                continue
            if few and set(detect.detector_info.reads) & STEP_SIGNALS:
                continue
            finding = detect(fit, thresholds)
            if finding is not None:
                findings.append(_stamp(finding, catalog))
    return rank(findings)


def diagnose_runs(records: Sequence[RunRecord], thresholds: Thresholds, catalog: Catalog) -> list[Finding]:
    """Several seeded runs: findings seen in at least half of them, plus the spread across runs."""
    if len(records) == 1:
        return diagnose_run(records[0], thresholds, catalog)
    per_run = [diagnose_run(record, thresholds, catalog) for record in records]
    counts = Counter(name for findings in per_run for name in {f.name for f in findings})
    merged: dict[str, Finding] = {}
    for findings in per_run:
        for finding in findings:
            if counts[finding.name] * 2 >= len(records) and finding.name not in merged:
                evidence = {**finding.evidence, "runs_with_finding": f"{counts[finding.name]}/{len(records)}"}
                merged[finding.name] = dataclasses.replace(finding, evidence=evidence)
    for detect in detectors_for(("runs",)):
        spread = detect(records, thresholds)
        if spread is not None:
            merged[spread.name] = _stamp(spread, catalog)
    return rank(list(merged.values()))
