"""Diagnosis: run records in, ranked findings out. Pure functions; no Keras import."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from modeldoctor.diagnose.ranking import rank
from modeldoctor.diagnose.registry import Detector, all_detectors, check_detectors
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding
from modeldoctor.record import RunRecord
from modeldoctor.rules import Catalog


def _stamp(finding: Finding, catalog: Catalog) -> Finding:
    rule = catalog.require(finding.name, f"finding '{finding.name}'")
    return dataclasses.replace(finding, code=rule.code, severity=rule.severity)


def detectors_for(needs: Sequence[str]) -> list[Detector]:
    return [d for d in all_detectors() if d.detector_info.needs in needs]


def unjudged_on_partial() -> list[str]:
    """Findings that judge how a fit ended, so a fit stopped part-way says nothing about them."""
    return sorted(d.detector_info.name for d in all_detectors() if d.detector_info.whole_curve)


def diagnose_run(record: RunRecord, thresholds: Thresholds, catalog: Catalog,
                 needs: Sequence[str] = ("curves", "run")) -> list[Finding]:
    """Findings of one run, over every fit it made, ranked root cause first.

    Raises RuleError when a detector and the catalog disagree (see `check_detectors`).
    """
    check_detectors(all_detectors(), catalog)
    findings = []
    for fit in record.fits:
        whole = fit.completed or fit.stopped_on_nan
        for detect in detectors_for(needs):
            if detect.detector_info.whole_curve and not whole:
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
