"""Judgement: the measures a cure is judged on, and the verdict on one trial.

A practitioner keeps a cure when it fixes what was wrong and costs little
where it matters. So a trial is judged in this order (the README states the
same rule with its numbers):

1. the finding's own evidence: gone, or clearly weaker (CLEARLY);
2. the measure the finding is about (`finding_measure`): the kept model's
   validation loss for overfitting and a generalization gap, a finite training
   loss and finite gradient norms for NaN, the spread across seeds for
   run-to-run variance, the training loss for underfitting: it must not be
   worse beyond the seed noise. Exploding gradients: finite, and the gradients
   *before clipping* calmer (UNCLIPPED): the detector reads the clipped norms,
   so clipping alone would make the finding vanish whatever the loss does;
3. the task metric (`target_measure`): it must not be worse by more than a
   practical margin *plus* the seed noise. The noise alone is not enough: three
   seeds that agree within 0.002 would turn a move of a tenth of a point into
   "worse".

Pure functions over run records and findings; the loop (loop.py) runs the
trials and asks these whether a cure is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from modeldoctor.diagnose.detectors.gradients import unclipped_grad_to_weight
from modeldoctor.diagnose.registry import infos
from modeldoctor.diagnose.series import ACCURACY_KEYS, accuracy_key, curve, kept_value
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Finding, Measure, Prescription, Trial
from modeldoctor.record import FitRecord, RunRecord
from modeldoctor.verify.units import in_untreated_units

CLEARLY = 2.0  # "clearly weaker": at least halfway less bad
# How much worse the task metric may get once the finding is cured, on top of the seed noise:
METRIC_MARGIN = 0.01  # a validation accuracy: one point (0.917 → 0.909 is within it)
LOSS_MARGIN = 0.02  # a loss (or any other target): 2% of its value before the cure


@dataclass(frozen=True)
class Verification:
    source: str
    trials: tuple[Trial, ...]
    accepted: tuple[Prescription, ...]
    records: tuple[RunRecord, ...]
    findings: tuple[Finding, ...]


class Judged(NamedTuple):
    verdict: str  # accepted | rejected
    reason: str
    after: Measure  # the task metric after the cure
    evidence: dict[str, Any] | None  # the finding's evidence after the cure; None: it is gone
    measure_after: Measure | None = None  # the finding's measure after the cure


class Need(str, Enum):
    """What the finding's measure must do for a cure to be kept."""

    NOT_WORSE = "not worse"  # not worse beyond the seed noise
    FINITE = "finite"  # finite in every seed: the run no longer diverges
    # finite, and the gradients before clipping at most half what they were, or under the detector's threshold
    CALMER = "calmer"


UNCLIPPED = "grad_to_weight_median before clipping"


# finding name -> the measure it is about, and what that measure must do
FINDING_MEASURES: dict[str, tuple[str, Need]] = {
    "overfitting": ("val_loss", Need.NOT_WORSE),
    "generalization-gap": ("val_loss", Need.NOT_WORSE),
    "nan-loss": ("loss", Need.FINITE),
    "exploding-gradients": (UNCLIPPED, Need.CALMER),
    "high-variance": ("spread", Need.NOT_WORSE),
    "underfitting": ("loss", Need.NOT_WORSE),
}


def _last_fits(records: Sequence[RunRecord]) -> list[FitRecord | None]:
    return [r.fits[-1] if r.fits else None for r in records]


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def target_measure(records: Sequence[RunRecord]) -> Measure:
    """Validation metric if there is one, else validation loss, else training loss; the kept model's value."""
    fits = _last_fits(records)
    sample = next((f for f in fits if f is not None and f.epochs), None)
    key = accuracy_key(sample) if sample else None
    name, higher = (f"val_{key}", True) if key else ("val_loss", False)
    if sample is not None and name not in sample.epochs[-1]:
        name = "loss"
    return _measure(fits, name, higher)


def _measure(fits: Sequence[FitRecord | None], name: str, higher: bool) -> Measure:
    values = [kept_value(fit, name, higher) if fit is not None else None for fit in fits]
    curves = tuple(tuple(_nan(v) for v in curve(fit, name)) if fit is not None else () for fit in fits)
    return Measure(name=name, higher_is_better=higher, values=tuple(_nan(v) for v in values), curves=curves)


def _finite_gradients(fit: FitRecord | None) -> bool:
    norms = [layer.grad_norm for sample in (fit.samples if fit else ()) for layer in sample.layers]
    return all(n is None or math.isfinite(n) for n in norms)


def finding_measure(name: str, records: Sequence[RunRecord]) -> Measure | None:
    """The measure finding `name` is about, over the seeds (None: it has none, or the run did not record it).

    NaN: the training loss, NaN in a seed whose gradient norms were not all finite. Exploding gradients: the
    worst layer's median gradient-to-weight ratio before clipping, NaN in a seed whose training loss or
    gradient norms were not all finite. Variance: one value, the spread of the task metric across the seeds."""
    known = FINDING_MEASURES.get(name)
    fits = _last_fits(records)
    if known is None or not any(f is not None and f.epochs for f in fits):
        return None
    key, need = known
    if key == "spread":
        target = target_measure(records)
        return Measure(name=f"{target.name} spread", higher_is_better=False, values=(target.spread,))
    if need is Need.CALMER:
        return _calmness(fits)
    if not any(f is not None and key in f.epochs[-1] for f in fits if f is not None and f.epochs):
        return None
    measure = _measure(fits, key, False)
    if need is Need.FINITE:
        values = tuple(v if _finite_gradients(fit) else math.nan for v, fit in zip(measure.values, fits))
        measure = Measure(measure.name, False, values, measure.curves)
    return measure


def _calmness(fits: Sequence[FitRecord | None]) -> Measure | None:
    """Per seed, the gradient-to-weight ratio before clipping; NaN where the loss or a gradient norm was not finite."""
    ratios = [unclipped_grad_to_weight(fit) if fit is not None else None for fit in fits]
    if all(r is None for r in ratios):
        return None  # gradients not observed: the finding's evidence and the task metric judge alone
    losses = _measure(fits, "loss", False).values
    values = tuple(r if r is not None and math.isfinite(loss) and _finite_gradients(fit) else math.nan
                   for r, loss, fit in zip(ratios, losses, fits))
    return Measure(name=UNCLIPPED, higher_is_better=False, values=values)


def margin(before: Measure) -> float:
    """How much worse the task metric may get, beyond the seed noise, and still count as "not worse"."""
    accuracy = before.higher_is_better and before.name.removeprefix("val_") in ACCURACY_KEYS
    if accuracy:
        return METRIC_MARGIN
    return LOSS_MARGIN * abs(before.mean) if math.isfinite(before.mean) else 0.0


def noise(before: Measure, after: Measure) -> float:
    return max(before.spread, after.spread, 1e-9)


def not_worse(before: Measure, after: Measure, allowance: float = 0.0) -> bool:
    """Not worse beyond the seed noise plus `allowance`."""
    tolerance = noise(before, after) + allowance
    if before.higher_is_better:
        return after.mean >= before.mean - tolerance
    return after.mean <= before.mean + tolerance


def weaker(name: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether the evidence its detector declares as `weaker` shows the finding at least CLEARLY less bad."""
    info = infos().get(name)
    key, higher_is_worse = (info.weaker if info is not None else None) or (None, True)
    if key is None or not isinstance(before.get(key), (int, float)) or not isinstance(after.get(key), (int, float)):
        return False
    b, a = abs(before[key]), abs(after[key])
    if a == b:
        return False  # unchanged is not weaker, not even at 0 (a loss that improved 0% both times)
    return a * CLEARLY <= b if higher_is_worse else a >= b * CLEARLY


def _shown(m: Measure) -> str:
    return f"{m.mean:.4g} ± {m.spread:.2g}"


def _measure_fails(name: str, before: Measure, after: Measure | None) -> str | None:
    """Why the finding's measure says no, or None."""
    if after is None:
        return None
    need = FINDING_MEASURES[name][1]
    if need in (Need.FINITE, Need.CALMER):
        bad = [str(i) for i, v in enumerate(after.values) if not math.isfinite(v)]
        what = "loss" if need is Need.FINITE else "the training loss"
        if bad:
            return (f"{what} or the gradient norms are still not finite in seed(s) {', '.join(bad)} "
                    f"(the {name}'s measure)")
        if need is Need.CALMER:
            return _not_calmer(name, before, after)
        return None
    if not not_worse(before, after):
        return f"{after.name} got worse: {_shown(before)} → {_shown(after)} (the {name}'s measure)"
    return None


def _not_calmer(name: str, before: Measure, after: Measure) -> str | None:
    """Why the gradients before clipping are still exploding, or None: they came down to half of what they were,
    or under the detector's threshold."""
    threshold = Thresholds().explode_grad_to_weight
    limit = max(before.mean / CLEARLY, threshold)
    if after.mean <= limit:
        return None
    return (f"the gradients before clipping did not calm down: {after.name} {_shown(before)} → {_shown(after)}, "
            f"above {limit:.3g} (half of before, or the threshold {threshold:g}); clipping bounds the steps, "
            f"not the gradients (the {name}'s measure)")


def judge(finding: Finding, before: Measure, after_records: Sequence[RunRecord], after_findings: Sequence[Finding],
          measure_before: Measure | None = None, before_records: Sequence[RunRecord] = ()) -> Judged:
    """The verdict on one trial: the finding's evidence, then its measure, then the task metric (module doc).

    A cure that rescaled the targets has its task metric compared in the untreated targets' units
    (`verify.units`), or not at all when its loss has no known power of their scale."""
    raw = target_measure(after_records)
    scaled, units = in_untreated_units(raw, before_records, after_records)
    comparable = scaled is not None
    after = scaled if scaled is not None else raw
    measure_after = finding_measure(finding.name, after_records) if measure_before is not None else None
    same = next((f for f in after_findings if f.name == finding.name), None)
    evidence = same.evidence if same else None
    if same is not None and not weaker(finding.name, finding.evidence, same.evidence):
        return Judged("rejected", f"{finding.name} is still there and not clearly weaker", after, evidence,
                      measure_after)
    if measure_before is not None and (why := _measure_fails(finding.name, measure_before, measure_after)):
        return Judged("rejected", why, after, evidence, measure_after)
    allowance = margin(before)
    tolerance = f"the margin {allowance:.2g} + the seed noise {noise(before, after):.2g}"
    said = f" ({units})" if units else ""
    if comparable and not not_worse(before, after, allowance):
        return Judged("rejected", f"{after.name} got worse: {_shown(before)} → {_shown(after)}, beyond "
                      f"{tolerance}{said}", after, evidence, measure_after)
    gone = "gone" if same is None else "clearly weaker"
    moved = []
    if measure_before is not None and measure_after is not None and measure_after.name != after.name:
        moved.append(f"{measure_after.name} {measure_before.mean:.4g} → {measure_after.mean:.4g}")
    if comparable:
        moved.append(f"{after.name} {before.mean:.4g} → {after.mean:.4g}")
    within = f" (within {tolerance})" if comparable and not not_worse(before, after) else ""
    return Judged("accepted", f"{finding.name} {gone}; {'; '.join(moved)}{within}{said}", after, evidence,
                  measure_after)


def treatable(findings: Sequence[Finding], untreatable: set[str]) -> list[Finding]:
    """Findings worth a cure now: not caused by another finding still kept (a cure of the cause comes first).

    A finding whose cause was left out (--select, --ignore, a suppression) is treated on its own.
    """
    names = {f.name for f in findings}
    return [f for f in findings if f.name not in untreatable and not any(c in names for c in f.caused_by)]
