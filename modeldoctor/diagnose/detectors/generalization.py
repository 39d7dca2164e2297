"""Findings that compare training with validation: overfitting, a gap, underfitting."""

from __future__ import annotations

import dataclasses
import math

from modeldoctor.diagnose.projection import SETTLED_SHARE, holds_to_the_end
from modeldoctor.diagnose.registry import Band, Decisive, detector, found
from modeldoctor.diagnose.series import accuracy_key, curve, finite, keeps_best_weights, r
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import FitRecord
from modeldoctor.vocabulary import CROSSENTROPY, LOSSES, loss_name


def _pairs(fit: FitRecord, key: str) -> tuple[list[float], list[float]] | None:
    train, val = curve(fit, key), curve(fit, f"val_{key}")
    if not val or any(v is None or not math.isfinite(v) for v in train + val):
        return None
    return [float(v) for v in train], [float(v) for v in val]  # type: ignore[arg-type]


def _far_past_best(finding: Finding, fit: FitRecord, t: Thresholds) -> bool:
    """Twice the rise that makes it a finding: a validation loss just past the threshold can still settle."""
    return float(finding.evidence.get("val_rise") or 0.0) >= 2 * t.overfit_rise


# The epoch that went NaN is validated with destroyed weights: its validation metrics are the NaN's doing.
# Quiet on health: a rise that is small against the first epoch's validation loss is the noise of a loss
# near its floor (0.002 -> 0.003 is +50% and means nothing), however large it is relative to the best.
@detector("overfitting", Family.GENERALIZATION, needs="curves", rank=(Band.GENERALIZATION, 1),
          causes=("nan-loss",), weaker=("val_rise", True),
          decisive=Decisive("validation loss above its best for the patience after its turning point and at "
                            "least twice the rise that makes it a finding, at two epoch ends in a row, while the "
                            "training loss kept falling: further epochs only fit the training set closer", held=2,
                            when=_far_past_best))
def overfitting(fit: FitRecord, t: Thresholds) -> Finding | None:
    pairs = _pairs(fit, "loss")
    if pairs is None or keeps_best_weights(fit):
        return None
    train, val = pairs
    best = min(range(len(val)), key=val.__getitem__)
    after = len(val) - 1 - best
    rise = (val[-1] - val[best]) / abs(val[best]) if val[best] else 0.0
    if after < t.overfit_patience or rise < t.overfit_rise or train[-1] >= train[best]:
        return None
    if val[-1] - val[best] < t.overfit_floor * val[0]:
        return None
    above = sum(1 for v in val[best + 1 :] if v > val[best])
    if above < t.overfit_patience:
        return None
    evidence = {"best_epoch": best + 1, "best_val_loss": r(val[best]), "final_val_loss": r(val[-1]),
                "val_rise": r(rise), "train_loss_at_best": r(train[best]), "final_train_loss": r(train[-1]),
                "epochs_after_best": after, "patience": int(t.overfit_patience)}
    message = (f"validation loss turned up after epoch {best + 1} ({val[best]:.4g} → {val[-1]:.4g}, "
               f"{rise:+.0%}) while training loss kept falling ({train[best]:.4g} → {train[-1]:.4g})")
    return found(overfitting, message, evidence, 0.9, fit.location, epoch=best + 1, fit=fit.index)


def _loss_gap_is_noise(train: list[float], val: list[float], t: Thresholds) -> bool:
    """A loss ratio that is no evidence of a gap: two losses near zero, or validation still improving.

    0.0076 / 0.0024 is a ratio of 3 between two numbers at the noise floor; and a
    validation loss at its best in the last epoch, still falling, is a model
    still learning what generalizes, not one failing to.
    """
    if val[-1] - train[-1] < t.gap_loss_floor * val[0]:
        return True
    third = val[(2 * len(val)) // 3]
    return val[-1] <= min(val) * (1 + t.gap_still_improving) and val[-1] < third


# Quiet on health: with no accuracy-like metric the gap is a loss ratio, judged only when it is evidence
# (`_loss_gap_is_noise`).
@detector("generalization-gap", Family.GENERALIZATION, needs="curves", rank=(Band.GENERALIZATION, 2),
          causes=("overfitting", "nan-loss"), weaker=("final_gap", True))
def generalization_gap(fit: FitRecord, t: Thresholds) -> Finding | None:
    key = accuracy_key(fit)
    third = max(1, len(fit.epochs) // 3)
    if key is not None:
        pairs = _pairs(fit, key)
        if pairs is None:
            return None
        gaps = [a - b for a, b in zip(*pairs)]
        limit, kind = t.gap_metric, key
    else:
        pairs = _pairs(fit, "loss")
        if pairs is None:
            return None
        gaps = [v / a if a > 0 else 0.0 for a, v in zip(*pairs)]
        limit, kind = t.gap_loss_ratio, "val_loss/loss"
        if _loss_gap_is_noise(*pairs, t):
            return None
    if len(gaps) < 3 or gaps[-1] < limit or gaps[-1] - gaps[third - 1] < t.gap_growth:
        return None
    start = next(i for i, g in enumerate(gaps) if g >= limit)
    evidence = {"measure": kind, "final_gap": r(gaps[-1]), "gap_at_first_third": r(gaps[third - 1]),
                "threshold": limit, "final_train": r(pairs[0][-1]), "final_val": r(pairs[1][-1])}
    message = (f"{kind}: training {pairs[0][-1]:.4g} vs validation {pairs[1][-1]:.4g}; "
               f"the gap grew from {gaps[third - 1]:.3g} to {gaps[-1]:.3g}")
    return found(generalization_gap, message, evidence, 0.8, fit.location, epoch=start, fit=fit.index)


def _baseline_loss(fit: FitRecord) -> float | None:
    """Loss of a constant prediction: what a model that learned nothing scores."""
    labels, loss = fit.labels, fit.model.loss
    if labels is None or loss is None:
        return None
    name = loss_name(loss.name)
    if name is not None and LOSSES[name] in CROSSENTROPY and labels.n_classes and labels.n_classes >= 2:
        return math.log(labels.n_classes)
    if name == "mean_squared_error" and labels.std > 0:
        return labels.std**2
    return None


def _underfits(fit: FitRecord, t: Thresholds) -> Finding | None:
    """The detector, for its confirmation (it is defined below it)."""
    return underfitting(fit, t)


# Confirmed part-way when the loss, projected to the fit's last epoch even at its recent pace, still ends
# above 55% of a constant prediction's loss with under 15% of its drop in the last third (10% and 25% stricter
# than the verdict), from a tenth of the fit on and at two epoch ends in a row (`diagnose.projection`).
PLATEAU_FOR_GOOD = Decisive(
    "the loss has plateaued: even falling on at its recent pace to the last epoch, it would stay above half of "
    "what a constant prediction scores", held=2,
    when=holds_to_the_end(_underfits,
                          lambda t: dataclasses.replace(t, underfit_loss_share=t.underfit_loss_share * 1.1,
                                                        slow_late_share=t.slow_late_share * 0.75),
                          share=SETTLED_SHARE, min_epochs=10))


# Zeroed or NaN rows are wrong examples: a poor fit of them is the data's fault, not the model's capacity.
@detector("underfitting", Family.GENERALIZATION, whole_curve=True, rank=(Band.GENERALIZATION, 3),
          causes=("non-finite-data",), decisive=PLATEAU_FOR_GOOD)
def underfitting(fit: FitRecord, t: Thresholds) -> Finding | None:
    losses = finite(curve(fit, "loss"))
    val = finite(curve(fit, "val_loss"))
    baseline = _baseline_loss(fit)
    if baseline is None or len(losses) < 3 or len(losses) != len(fit.epochs):
        return None
    third = losses[(2 * len(losses)) // 3]
    drop = losses[0] - losses[-1]
    late = (third - losses[-1]) / drop if drop > 0 else 0.0
    final_val = val[-1] if val else losses[-1]
    share = losses[-1] / baseline
    if share < t.underfit_loss_share or final_val / baseline < t.underfit_loss_share or late >= t.slow_late_share:
        return None
    plateau = late
    evidence = {"final_loss": r(losses[-1]), "final_val_loss": r(final_val), "constant_prediction_loss": r(baseline),
                "share_of_constant": r(share), "late_share_of_drop": r(plateau)}
    key = accuracy_key(fit)
    if key:
        evidence["final_" + key] = r(fit.epochs[-1][key])
    message = (f"the model underfits: training loss plateaued at {losses[-1]:.4g}, {share:.0%} of what a constant "
               f"prediction scores ({baseline:.4g}), and validation is as poor")
    return found(underfitting, message, evidence, 0.7, fit.location, epoch=len(losses) - 1, fit=fit.index)
