"""Findings visible in the loss curve alone (they also work on a saved history)."""

from __future__ import annotations

import dataclasses
import math

from modeldoctor.diagnose.projection import SETTLED_SHARE, holds_to_the_end
from modeldoctor.diagnose.registry import Band, Decisive, detector, found, seen_for
from modeldoctor.diagnose.series import curve, finite, r
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import FitRecord


@detector("nan-loss", Family.LEARNING, needs="curves", rank=(Band.NAN, 1),
          causes=("exploding-gradients", Band.SETUP))
def nan_loss(fit: FitRecord, t: Thresholds) -> Finding | None:
    losses = curve(fit, "loss")
    bad_epoch = next((i for i, v in enumerate(losses) if v is not None and not math.isfinite(v)), None)
    if not fit.stopped_on_nan and bad_epoch is None:
        return None
    last_finite = finite(b.loss for b in fit.batch_losses)
    epoch = fit.nan_epoch if fit.nan_epoch is not None else bad_epoch
    evidence = {
        "step": fit.nan_step,
        "epoch": epoch,
        "last_finite_loss": r(last_finite[-1]) if last_finite else None,
    }
    if fit.inputs is not None and fit.inputs.nonfinite:
        evidence["nonfinite_inputs"] = fit.inputs.nonfinite
    where = f"at step {fit.nan_step}" if fit.nan_step is not None else f"in epoch {epoch}"
    # NaN/Inf in the data itself is its own finding (non-finite-data), ranked as this one's cause.
    message = f"the training loss became NaN/Inf {where}; training was stopped"
    return found(nan_loss, message, evidence, 1.0, fit.location, epoch=epoch, fit=fit.index)


def _start_loss(fit: FitRecord) -> float | None:
    """The loss before learning: the first batch's, or epoch 0's mean when that is higher.

    Epoch 0's mean already includes progress made within the epoch, and a
    single first batch can be unrepresentatively easy.
    """
    candidates = finite([b.loss for b in fit.batch_losses[:1]] + curve(fit, "loss")[:1])
    return max(candidates) if candidates else None


def _clean_losses(fit: FitRecord) -> list[float] | None:
    losses = curve(fit, "loss")
    if not losses or any(v is None or not math.isfinite(v) for v in losses):
        return None
    return [float(v) for v in losses]  # type: ignore[arg-type]


def _stalled(fit: FitRecord, t: Thresholds) -> Finding | None:
    """The detector, for its confirmation (it is defined below it)."""
    return stalled_loss(fit, t)


# Callbacks that can neither unfreeze a layer nor raise a rate from 0: with only these, a model without trainable
# weights, or a constant learning rate of exactly 0, keeps every weight where it started, whatever the run does.
INERT_CALLBACKS = frozenset({"History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint", "CSVLogger",
                             "TensorBoard", "TerminateOnNaN", "ReduceLROnPlateau", "BackupAndRestore"})


def cannot_learn(fit: FitRecord) -> str | None:
    """Why the code keeps every weight where it started (a fact fixed before training), or None.

    A rate given as a schedule is not a constant (a warmup may start at 0), and a callback that is not known
    to be inert may unfreeze layers or set the rate part-way, so neither counts."""
    if any(name not in INERT_CALLBACKS for name in fit.fit_args.callbacks):
        return None
    layers = fit.model.layers
    # Weights, none of them trainable (a model described before it was built has no weights at all: not this).
    if sum(layer.params for layer in layers) > 0 and sum(layer.trainable_params for layer in layers) == 0:
        return "the model has no trainable weights"
    optimizer = fit.model.optimizer
    if optimizer is not None and optimizer.learning_rate == 0 \
            and not isinstance(optimizer.config.get("learning_rate"), dict):
        return "its learning rate is 0"
    return None


_PROJECTED = holds_to_the_end(_stalled, lambda t: dataclasses.replace(t, stall_improvement=t.stall_improvement * 0.8),
                              share=0.0, min_epochs=4)


def _stalled_for_good(finding: Finding, fit: FitRecord, t: Thresholds) -> bool:
    """A fact of the code at once; otherwise stalled at the epoch end before too, and for good by its pace."""
    if cannot_learn(fit):
        return True
    before = dataclasses.replace(fit, epochs=fit.epochs[:-1])
    return _stalled(before, t) is not None and _PROJECTED(finding, fit, t)


# Decisive in the first epoch when the code cannot let the weights move (no trainable weights, a constant rate
# of 0). Otherwise after four epochs, stalled at two epoch ends in a row, and only when the loss, going on
# straight at its recent pace to the fit's last epoch, would still have improved by less than 0.8% (the
# threshold, 20% stricter): a long run crawling down at 0.2% an epoch has moved under 1% after four epochs, and
# is slow, not stalled (`diagnose.projection`).
STALLED_FOR_GOOD = Decisive(
    "the weights cannot move (no trainable weights, or a learning rate of 0), or the loss has not moved from "
    "its start at two epoch ends in a row (after at least three epochs) and at its recent pace would not move "
    "by the last epoch either", when=_stalled_for_good)


@detector("stalled-loss", Family.LEARNING, needs="curves", rank=(Band.CURVE, 1),
          causes=(Band.GRADIENTS, Band.SETUP, "nan-loss"), weaker=("improvement", False),
          decisive=STALLED_FOR_GOOD)
def stalled_loss(fit: FitRecord, t: Thresholds) -> Finding | None:
    losses = _clean_losses(fit)
    fact = cannot_learn(fit)
    # When the weights cannot move, the first epoch's mean is the start: a first batch harder than the epoch's
    # average is not progress. Otherwise three epochs are needed to call it.
    start = losses[0] if fact and losses else _start_loss(fit)
    if losses is None or len(losses) < (1 if fact else 3) or not start or start <= 0:
        return None
    best = min(losses)
    improvement = (start - best) / abs(start)
    if improvement >= t.stall_improvement:
        return None
    evidence = {"start_loss": r(start), "best_loss": r(best), "final_loss": r(losses[-1]),
                "improvement": r(improvement), "threshold": t.stall_improvement, "epochs": len(losses),
                "trainable_params": sum(layer.trainable_params for layer in fit.model.layers)}
    message = (f"the training loss did not go down: {start:.4g} at the start, best {best:.4g} "
               f"after {len(losses)} epoch{'s' if len(losses) > 1 else ''} ({improvement:+.1%})")
    if fact:
        message += f"; {fact}"
    return found(stalled_loss, message, evidence, 0.9, fit.location, epoch=0, fit=fit.index)


def _slow(fit: FitRecord, t: Thresholds) -> Finding | None:
    """The detector, for its confirmation (it is defined below it)."""
    return slow_convergence(fit, t)


# Confirmed part-way when the loss, projected to the fit's last epoch at its recent pace and slowing as it
# slows, still ends above 55% of its start with 22% of its drop in the last third (both 10% stricter than the
# verdict), from a tenth of the fit on and at two epoch ends in a row (`diagnose.projection`). The slowing
# projection already assumes the pace keeps decaying geometrically; SGD's curves decay slower than that.
SLOW_FOR_GOOD = Decisive(
    "at its recent pace, and slowing as it has been slowing, the loss would still be above half of its start "
    "at the last epoch and still falling: the rest of the run cannot bring it down", held=2,
    when=holds_to_the_end(_slow,
                          lambda t: dataclasses.replace(t, slow_remaining=t.slow_remaining * 1.1,
                                                        slow_late_share=t.slow_late_share * 1.1),
                          share=SETTLED_SHARE, min_epochs=10))


@detector("slow-convergence", Family.LEARNING, needs="curves", whole_curve=True, rank=(Band.CURVE, 3),
          causes=(Band.GRADIENTS, Band.SETUP), weaker=("progress", False), decisive=SLOW_FOR_GOOD)
def slow_convergence(fit: FitRecord, t: Thresholds) -> Finding | None:
    losses = _clean_losses(fit)
    start = _start_loss(fit)
    if losses is None or len(losses) < 5 or not start or start <= 0:
        return None
    total = start - losses[-1]
    if total / start < t.stall_improvement or losses[-1] / start < t.slow_remaining:
        return None
    third = losses[(2 * len(losses)) // 3]
    epoch_drop = losses[0] - losses[-1]
    late = (third - losses[-1]) / epoch_drop if epoch_drop > 0 else 0.0
    if late < t.slow_late_share:
        return None
    evidence = {"start_loss": r(start), "final_loss": r(losses[-1]), "remaining": r(losses[-1] / start),
                "progress": r(1 - losses[-1] / start),
                "late_share_of_drop": r(late), "epochs": len(losses)}
    message = (f"the training loss is falling too slowly: after {len(losses)} epochs it is still "
               f"{losses[-1] / start:.0%} of its start, and still falling steadily")
    return found(slow_convergence, message, evidence, 0.75, fit.location, epoch=0, fit=fit.index)


@detector("oscillating-loss", Family.LEARNING, needs="curves", rank=(Band.CURVE, 2),
          causes=("learning-rate-too-high", "exploding-gradients", "unscaled-inputs", "nan-loss", "non-finite-data"),
          weaker=("rise_share", True),
          decisive=Decisive("the loss kept rising in many epochs and not settling, at three epoch ends in a row "
                            "(after at least eight epochs)", held=3, when=seen_for(epochs=8)))
def oscillating_loss(fit: FitRecord, t: Thresholds) -> Finding | None:
    losses = _clean_losses(fit)
    if losses is None or len(losses) < 6:
        return None
    rises = [i for i in range(1, len(losses)) if losses[i] > losses[i - 1] * (1 + t.oscillation_rise_size)]
    share = len(rises) / (len(losses) - 1)
    third = max(1, len(losses) // 3)
    early, late = min(losses[:third]), min(losses[-third:])
    if share < t.oscillation_rises or late < early * 0.9:
        return None
    evidence = {"rises": len(rises), "epochs": len(losses), "rise_share": r(share),
                "best_early": r(early), "best_late": r(late)}
    message = (f"the training loss went up in {len(rises)} of {len(losses) - 1} epochs and is not settling "
               f"(best {early:.4g} early, {late:.4g} late)")
    return found(oscillating_loss, message, evidence, 0.8, fit.location, epoch=rises[0], fit=fit.index)


def bounce(fit: FitRecord, t: Thresholds) -> dict[str, float | int | None] | None:
    """The curve of a step that is too large, or None: an early low, then a loss that bounces back up.

    The training loss reaches its low in the first half, rises in a good share
    of the epochs after it, ends well above that low, and the validation loss
    (when there is one) ends far above its best. Quiet on health: a loss that
    is still at or near its low at the end, or validation that ends near its
    best, is not a bounce, however noisy the epochs in between.
    """
    losses = _clean_losses(fit)
    if losses is None or len(losses) < 6:
        return None
    low = min(range(len(losses) // 2), key=losses.__getitem__)
    later = losses[low:]
    rises = sum(1 for a, b in zip(later, later[1:]) if b > a * (1 + t.oscillation_rise_size))
    share = rises / (len(later) - 1)
    if share < t.bounce_rises or losses[-1] < losses[low] * t.bounce_above or min(later[1:]) < losses[low]:
        return None
    evidence: dict[str, float | int | None] = {
        "early_low_epoch": low + 1, "early_low_loss": r(losses[low]), "final_loss": r(losses[-1]),
        "rises_after_low": rises, "epochs_after_low": len(later) - 1, "rise_share": r(share)}
    val = finite(curve(fit, "val_loss"))
    if val:
        if len(val) != len(losses) or val[-1] < min(val) * (1 + t.bounce_val_rise):
            return None
        evidence.update({"best_val_loss": r(min(val)), "final_val_loss": r(val[-1])})
    return evidence
