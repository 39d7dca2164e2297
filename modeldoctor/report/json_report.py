"""The JSON report: a public contract read by other tools and CI pipelines.

`{"version", "script", "runs": [...], "findings": [...]}` with 1-based lines
and columns. Add keys freely; rename or remove only on purpose, with a new
`version`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from modeldoctor import __version__
from modeldoctor.report import view
from modeldoctor.ftypes import Finding, Measure, Prescription, Report, Trial
from modeldoctor.positions import to_output
from modeldoctor.record import RunRecord

REPORT_VERSION = 1


def _clean(value: Any) -> Any:
    """JSON has no NaN/Infinity: write them as strings a reader can still see."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "family": finding.family.value,
        "severity": finding.severity.value,
        "confidence": round(finding.confidence, 3),
        "message": finding.message,
        "evidence": _clean(finding.evidence),
        "location": to_output(finding.location),
        "layer": finding.layer,
        "epoch": finding.epoch,
        "fit": finding.fit,
        "primary": finding.primary,
        "caused_by": list(finding.caused_by),
    }


def run_json(record: RunRecord) -> dict[str, Any]:
    return {
        "seed": record.seed,
        "status": record.exit.status,
        "wall_time": round(record.wall_time, 3),
        "keras_version": record.keras_version,
        "backend": record.backend,
        "fits": [
            {
                "index": fit.index,
                "location": to_output(fit.location),
                "epochs": len(fit.epochs),
                "final": _clean(fit.epochs[-1]) if fit.epochs else {},
                "stopped_on_nan": fit.stopped_on_nan,
                "missing": [{"signal": m.signal, "reason": m.reason} for m in fit.missing],
                # the live diagnosis stopped this fit: on which finding, why, after how much training
                "decided": None if fit.decided is None else {
                    "finding": fit.decided.finding, "why": fit.decided.why, "epoch": fit.decided.epoch,
                    "step": fit.decided.step},
            }
            for fit in record.fits
        ],
    }


def prescription_json(p: Prescription) -> dict[str, Any]:
    return {
        "code": p.rule.code,
        "finding": p.finding.name,
        "transform": p.cure.transform,
        "applicability": p.cure.applicability.value,
        "params": _clean(p.params),
        "applied": p.applied,
        "declined": p.declined,
        "edits": list(p.edits),
    }


def measure_json(m: Measure | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"name": m.name, "higher_is_better": m.higher_is_better, "values": _clean(list(m.values)),
            "mean": _clean(m.mean), "spread": _clean(m.spread), "curves": _clean([list(c) for c in m.curves])}


def trial_json(t: Trial) -> dict[str, Any]:
    return {
        "round": t.round,
        "code": t.code,
        "finding": t.finding,
        "transform": t.transform,
        "params": _clean(t.params),
        "verdict": t.verdict,
        "reason": t.reason,
        "before": measure_json(t.before),
        "after": measure_json(t.after),
        "finding_measure_before": measure_json(t.measure_before),
        "finding_measure_after": measure_json(t.measure_after),
        "evidence_before": _clean(t.evidence_before),
        "evidence_after": _clean(t.evidence_after),
        "seeds": list(t.seeds),
        "wall_time": round(t.wall_time, 3),
        "edits": list(t.edits),
    }


def render_json(report: Report) -> str:
    document = {
        "version": REPORT_VERSION,
        "modeldoctor": __version__,
        "script": report.script,
        "runs": [run_json(r) for r in report.runs],
        "findings": [finding_json(f) for f in report.findings],
        "prescriptions": [prescription_json(p) for p in report.prescriptions],
        "notes": list(report.notes),
        "diff": report.diff,
        "trials": [trial_json(t) for t in report.trials],
        "advice": {f.code: [{"rationale": a.rationale, "example": a.example} for a in advice]
                   for f in report.findings if (advice := view.advice_for(report, f))},
        "scope": report.scope.value,
        "partial": list(report.partial),
        "healthy": view.healthy(report),
    }
    return json.dumps(document, indent=2, allow_nan=False)
