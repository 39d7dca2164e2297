"""Judgement: the target a cure is measured on, and the verdict on one trial.

Pure functions over run records and findings; the loop (loop.py) runs the
trials and asks these whether a cure is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modeldoctor.diagnose.registry import infos
from modeldoctor.diagnose.series import accuracy_key, curve, kept_value
from modeldoctor.ftypes import Finding, Measure, Prescription, Trial
from modeldoctor.record import RunRecord

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
    """Whether the evidence its detector declares as `weaker` shows the finding at least CLEARLY less bad."""
    info = infos().get(name)
    key, higher_is_worse = (info.weaker if info is not None else None) or (None, True)
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
