"""Findings from sampled gradients and weight updates."""

from __future__ import annotations

import math
from typing import Any

from modeldoctor.diagnose.detectors.activations import acquired, dead_for_good
from modeldoctor.diagnose.detectors.curves import bounce
from modeldoctor.diagnose.registry import Band, Decisive, detector, found, seen_for
from modeldoctor.diagnose.series import (finite, layer_named, layer_series, median, r, regular, schedule,
                                         trainable_layers)
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import FitRecord, Sample, Signal


def _clip(fit: FitRecord) -> float | None:
    """The largest gradient norm one layer can pass to the optimizer once clipping is applied.

    `clipnorm` bounds each variable (a layer has a kernel and a bias, hence the
    sqrt(2)); `global_clipnorm` bounds all of them together.
    """
    config = fit.model.optimizer.config if fit.model.optimizer else {}
    bounds = []
    if isinstance(config.get("clipnorm"), (int, float)):
        bounds.append(config["clipnorm"] * 2**0.5)
    if isinstance(config.get("global_clipnorm"), (int, float)):
        bounds.append(config["global_clipnorm"])
    return min(bounds) if bounds else None


def _training_well(fit: FitRecord, t: Thresholds) -> bool:
    """The loss fell in every epoch to a small share of where it started: nothing is hurting training."""
    losses = finite(e.get("loss") for e in fit.epochs)
    if len(losses) < 3 or len(losses) != len(fit.epochs) or losses[0] <= 0:
        return False
    falling = all(b < a for a, b in zip(losses, losses[1:]))
    return falling and losses[-1] <= t.explode_quiet_progress * losses[0]


# Quiet on health: a gradient that grew 1000x from a tiny first sample (a BatchNormalization layer's
# input weights early on) while the loss fell every epoch is not exploding; the ratio to the weights still
# speaks, whatever the loss does.
@detector("exploding-gradients", Family.LEARNING, rank=(Band.GRADIENTS, 1),
          causes=("learning-rate-too-high", "unscaled-inputs", "poor-initialization"),
          weaker=("grad_to_weight_median", True), reads=(Signal.GRADIENTS,),
          decisive=Decisive("gradients orders of magnitude above the weights over three samples and an epoch: "
                            "the steps they drive only grow", held=1, when=seen_for(samples=3)))
def exploding_gradients(fit: FitRecord, t: Thresholds) -> Finding | None:
    worst = None
    clip = _clip(fit)
    growth_counts = not _training_well(fit, t)
    for layer in trainable_layers(fit):
        grads = layer_series(fit, layer.name, "grad_norm")
        if clip is not None:
            grads = [min(g, clip) for g in grads]
        weights = layer_series(fit, layer.name, "weight_norm")
        if len(grads) < 2 or not weights:
            continue
        ratios = finite(g / w for g, w in zip(grads, weights) if w > 0)
        relative = median(ratios) or 0.0
        growth = max(grads[1:]) / grads[0] if grads[0] > 0 else 0.0
        score = max(relative / t.explode_grad_to_weight, growth / t.explode_growth if growth_counts else 0.0)
        if score >= 1 and (worst is None or score > worst[0]):
            worst = (score, layer, relative, growth, grads)
    if worst is None:
        return None
    _, layer, relative, growth, grads = worst
    evidence = {"layer": layer.name, "grad_to_weight_median": r(relative), "growth": r(growth),
                "grad_norm_first": r(grads[0]), "grad_norm_max": r(max(grads)),
                "threshold_grad_to_weight": t.explode_grad_to_weight, "threshold_growth": t.explode_growth,
                "clipped_at": r(clip)}
    message = (f"gradients of layer '{layer.name}' are huge: median norm {relative:.3g}x its weights' norm, "
               f"{growth:.3g}x growth over training")
    return found(exploding_gradients, message, evidence, 0.85, layer.location, layer.name, 0, fit.index)


def unclipped_grad_to_weight(fit: FitRecord) -> float | None:
    """The worst layer's median gradient-to-weight norm ratio, read on the gradients *before* clipping.

    The detector caps each sampled norm at the optimizer's clipping bound, so clipping alone makes its finding
    vanish; a cure is judged on this instead (verify/judgement.py), which clipping cannot fake: it comes down
    only when training itself calms the gradients (scaled targets, a rate the weights can follow)."""
    medians = []
    for layer in trainable_layers(fit):
        grads = layer_series(fit, layer.name, "grad_norm")
        weights = layer_series(fit, layer.name, "weight_norm")
        ratio = median(finite(g / w for g, w in zip(grads, weights) if w > 0))
        if ratio is not None:
            medians.append(ratio)
    return max(medians) if medians else None


@detector("vanishing-gradients", Family.LEARNING, rank=(Band.GRADIENTS, 2),
          causes=("saturated-activations", "poor-initialization", "dying-relu"),
          weaker=("norm_ratio_median", False), reads=(Signal.GRADIENTS,),
          decisive=Decisive("the first layer's gradient orders of magnitude below the last layer's at two epoch "
                            "ends in a row: what its weights do not get, they cannot learn", held=2,
                            when=seen_for(samples=3)))
def vanishing_gradients(fit: FitRecord, t: Thresholds) -> Finding | None:
    layers = trainable_layers(fit)
    if len(layers) < t.vanish_min_layers:
        return None
    first, last = layers[0], layers[-1]
    first_norms = layer_series(fit, first.name, "grad_norm")
    last_norms = layer_series(fit, last.name, "grad_norm")
    first_abs = median(layer_series(fit, first.name, "mean_abs_grad"))
    ratios = finite(a / b for a, b in zip(first_norms, last_norms) if b > 0)
    ratio = median(ratios)
    if ratio is None or first_abs is None or ratio >= t.vanish_ratio or first_abs >= t.vanish_abs:
        return None
    evidence = {"first_layer": first.name, "last_layer": last.name, "norm_ratio_median": r(ratio),
                "first_mean_abs_grad": r(first_abs), "threshold_ratio": t.vanish_ratio,
                "threshold_abs": t.vanish_abs, "depth": len(layers)}
    message = (f"gradients vanish: the first layer '{first.name}' gets {ratio:.2g}x the gradient of the "
               f"last layer '{last.name}' (mean |grad| {first_abs:.2g})")
    return found(vanishing_gradients, message, evidence, 0.85, first.location, first.name, 0, fit.index)


def _update_ratio(fit: FitRecord, early: bool = False) -> float | None:
    """Median over samples of the fastest-moving layer's update ratio.

    The fastest layer, because vanishing gradients make early layers slow for
    another reason; `early`, because a rate that is too high shows at once
    (and later kills the units that would show it).
    """
    read = schedule(fit)
    samples = read[: max(1, len(read) // 2)] if early else read
    return median(_fastest(samples))


def _fastest(samples: list[Sample]) -> list[float]:
    values = []
    for sample in samples:
        ratios = finite(s.update_ratio for s in sample.layers if s.update_ratio and s.update_ratio > 0)
        if ratios:
            values.append(max(ratios))
    return values


def _planned_samples(fit: FitRecord) -> int | None:
    """How many samples the whole fit will have taken (None when the probe did not know its length)."""
    if not fit.sample_every or not fit.steps_per_epoch or not fit.fit_args.epochs:
        return None
    return math.ceil(fit.steps_per_epoch * fit.fit_args.epochs / fit.sample_every)


def _rate_settled(finding: Finding, fit: FitRecord, t: Thresholds) -> bool:
    """The update-ratio median the whole fit will judge can no longer come back: more than half of the
    samples it will take the median of are already past the threshold (too high: the first half of the
    fit's samples; too low: all of them). A rate too high seen in what it did to the units is settled
    once a ReLU layer it drove dead has no gradient left: those units never move again."""
    if finding.evidence.get("seen_in") == "activations":
        return dead_for_good(fit, finding.evidence.get("driven_into_tails", {}))
    planned = _planned_samples(fit)
    if planned is None:
        return False
    high = finding.name == "learning-rate-too-high"
    window = max(1, planned // 2) if high else planned
    values = _fastest(regular(fit)[:window])  # the extra samples of a long fit's first epoch are not in it
    past = sum(1 for v in values if (v > t.update_ratio_high if high else v < t.update_ratio_low))
    return past > window / 2


def _optimizer_location(fit: FitRecord):  # noqa: ANN202 - Location | None
    optimizer = fit.model.optimizer
    if optimizer is not None and optimizer.location is not None:
        return optimizer.location
    return fit.model.compile_location or fit.location


ADAPTIVE = {"Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Lion", "Lamb"}
CURE_TARGET_RATIO = 1e-3  # rules/MD109's target_update_ratio: the cure scales the rate by it / the measured ratio


def rate_is_high(fit: FitRecord, t: Thresholds) -> tuple[float, float] | None:
    """(the optimizer's step, the limit for that optimizer) when its rate is high for it, else None.

    Adaptive optimizers take steps of about their rate: 10x their default of
    1e-3 is high. SGD with momentum takes lr / (1 - momentum). An optimizer
    not listed here, or a rate the probe did not read, is never called high.
    """
    optimizer = fit.model.optimizer
    if optimizer is None or optimizer.learning_rate is None:
        return None
    lr = optimizer.learning_rate
    if optimizer.class_name in ADAPTIVE:
        return (lr, t.lr_high_adaptive) if lr >= t.lr_high_adaptive else None
    if optimizer.class_name == "SGD":
        momentum = optimizer.config.get("momentum") or 0.0
        step = lr / (1 - momentum) if isinstance(momentum, (int, float)) and momentum < 1 else lr
        return (step, t.lr_high_sgd) if step >= t.lr_high_sgd else None
    return None


# ||dw||/||w|| is large when ||w|| is tiny: tiny initial weights look like a high rate.
# Without an update ratio above the threshold, a rate is too high only when the optimizer's rate is high
# for it and the run shows what such a rate does: the loss bounces back up after an early low
# (`curves.bounce`), or units alive at the start were driven into saturation or death by the updates
# (`activations.acquired`). A high-looking rate on a run that settles is someone's choice, not a finding.
@detector("learning-rate-too-high", Family.LEARNING, rank=(Band.SETUP, 2),
          causes=("poor-initialization",), weaker=("update_ratio_median", True), reads=(Signal.UPDATES,),
          decisive=Decisive("each step moved the weights by more than a tenth of their norm on more than half "
                            "of the samples the verdict is taken over (the rest cannot bring the median back), "
                            "or the rate drove a ReLU layer dead with no gradient left (it never moves again)",
                            when=_rate_settled))
def learning_rate_too_high(fit: FitRecord, t: Thresholds) -> Finding | None:
    ratio = _update_ratio(fit, early=True)
    lr = fit.model.optimizer.learning_rate if fit.model.optimizer else None
    if ratio is not None and ratio > t.update_ratio_high:
        evidence = {"update_ratio_median": r(ratio), "threshold": t.update_ratio_high, "learning_rate": r(lr)}
        message = f"each step changes the weights by {ratio:.2g} of their norm (healthy: ~1e-3)"
        message += f"; learning rate {lr:g}" if lr is not None else ""
        return found(learning_rate_too_high, message, evidence, 0.85, _optimizer_location(fit), epoch=0,
                     fit=fit.index)
    high = rate_is_high(fit, t)
    bounced = bounce(fit, t) if high else None
    driven = acquired(fit, t) if high and bounced is None else {}
    if high is None or (bounced is None and not driven) or lr is None or fit.model.optimizer is None:
        return None
    step, limit = high
    name = fit.model.optimizer.class_name
    facts: dict[str, Any] = {"seen_in": "curve" if bounced else "activations", "learning_rate": r(lr),
                             "optimizer": name, "step": r(step), "threshold_step": limit, **(bounced or {})}
    if driven:
        facts["driven_into_tails"] = {layer: list(shares) for layer, shares in driven.items()}
    # The cure scales the rate by target / update_ratio_median: only a ratio that would lower it is given.
    key = "update_ratio_median" if ratio is not None and ratio >= 10 * CURE_TARGET_RATIO else "update_ratio"
    facts[key] = r(ratio)
    message = f"the learning rate {lr:g} is high for {name} (step {step:.3g}, limit {limit:g}) and "
    if bounced:
        message += (f"the loss bounced back up: its low {bounced['early_low_loss']:.4g} in epoch "
                    f"{bounced['early_low_epoch']}, then it rose in {bounced['rises_after_low']} of the "
                    f"{bounced['epochs_after_low']} later epochs and ended at {bounced['final_loss']:.4g}")
    else:
        layer, (first, late) = max(driven.items(), key=lambda kv: kv[1][1])
        message += (f"the updates drove the units of layer '{layer}' into their flat tails or dead zone "
                    f"({first:.0%} at the start, {late:.0%} late in training)")
    return found(learning_rate_too_high, message, facts, 0.8, _optimizer_location(fit), epoch=0, fit=fit.index)


@detector("learning-rate-too-low", Family.LEARNING, rank=(Band.SETUP, 3), weaker=("update_ratio_median", False),
          reads=(Signal.UPDATES,),
          decisive=Decisive("each step moved the weights by less than 1e-5 of their norm on more than half of "
                            "the fit's samples: the rest cannot bring the median back", when=_rate_settled))
def learning_rate_too_low(fit: FitRecord, t: Thresholds) -> Finding | None:
    ratio = _update_ratio(fit)
    if ratio is None or ratio >= t.update_ratio_low:
        return None
    lr = fit.model.optimizer.learning_rate if fit.model.optimizer else None
    evidence = {"update_ratio_median": r(ratio), "threshold": t.update_ratio_low, "learning_rate": r(lr)}
    message = f"each step changes the weights by only {ratio:.2g} of their norm (healthy: ~1e-3)"
    if lr is not None:
        message += f"; learning rate {lr:g}"
    return found(learning_rate_too_low, message, evidence, 0.85, _optimizer_location(fit), epoch=0, fit=fit.index)


__all__ = ["exploding_gradients", "unclipped_grad_to_weight", "vanishing_gradients", "learning_rate_too_high",
           "learning_rate_too_low", "layer_named"]
