"""Findings about how training was set up: inputs, loss/output pairing, initialization."""

from __future__ import annotations

import math

from modeldoctor.diagnose.registry import Band, detector, found
from modeldoctor.diagnose.series import output_layer, r
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import FitRecord, LayerInfo, Signal
from modeldoctor.vocabulary import LOGITS, PROBABILITIES, RELU_LIKE, expected_activation, loss_kind

SCALING_LAYERS = {"Normalization", "Rescaling", "BatchNormalization", "LayerNormalization", "Discretization"}
# Inputs that are indices or categories, not measurements: their scale means nothing to the first layer.
INDEX_LAYERS = {"Embedding", "IntegerLookup", "StringLookup", "CategoryEncoding", "Hashing", "TextVectorization"}


def scaled_in_model(layers: list[LayerInfo]) -> bool:
    """A scaling (or index) layer before the first layer that weighs its inputs: the model scales its own
    inputs, wherever it sits (after the Input, after a data-augmentation block nested in the model)."""
    for layer in layers:
        if layer.class_name in SCALING_LAYERS or layer.class_name in INDEX_LAYERS:
            return True
        if layer.fan_in or layer.units or layer.filters:
            return False
    return False


@detector("unscaled-inputs", Family.LEARNING, rank=(Band.SETUP, 5), weaker=("max_feature_rms", True),
          reads=(Signal.INPUTS,))
def unscaled_inputs(fit: FitRecord, t: Thresholds) -> Finding | None:
    stats = fit.inputs
    if stats is None or not stats.feature_std:
        return None
    if scaled_in_model(fit.model.layers):
        return None  # the model scales its own inputs
    rms = [math.sqrt(m * m + s * s) for m, s in zip(stats.feature_mean, stats.feature_std)
           if math.isfinite(m) and math.isfinite(s)]
    varying = [v for v, s in zip(rms, stats.feature_std) if s > 0]
    if not varying:
        return None
    largest, smallest = max(varying), min(varying)
    spread = largest / smallest if smallest > 0 else math.inf
    if largest <= t.input_scale and spread <= t.input_scale_spread:
        return None
    worst = rms.index(largest)
    evidence = {"max_feature_rms": r(largest), "min_feature_rms": r(smallest), "spread": r(spread),
                "worst_feature": worst, "min": r(stats.min), "max": r(stats.max),
                "threshold_scale": t.input_scale, "threshold_spread": t.input_scale_spread}
    message = (f"training inputs are not scaled: values from {stats.min:.4g} to {stats.max:.4g}, "
               f"{stats.feature_axis[:-1]} {worst} has RMS {largest:.4g}, spreads differ {spread:.3g}x")
    return found(unscaled_inputs, message, evidence, 0.9, fit.location, epoch=0, fit=fit.index)


def _mismatch(activation: str | None, units: int | None, loss: str, from_logits: bool | None,
              n_classes: int | None, integer_labels: bool) -> str | None:
    kind = loss_kind(loss)
    expected = expected_activation(kind, from_logits) if kind else None  # what a cross-entropy wants to see
    activation = activation or LOGITS
    if expected not in (None, LOGITS) and activation == LOGITS:
        return f"the output layer has no activation (logits) but {loss} expects probabilities (from_logits is not set)"
    if expected == LOGITS and activation in PROBABILITIES:
        return f"the output applies {activation} but {loss} has from_logits=True: {activation} is applied twice"
    if activation == "softmax" and units == 1:
        return "a softmax over a single unit always outputs 1"
    if activation == "softmax" and expected == "sigmoid" and (units or 0) > 2:
        return f"softmax over {units} classes with binary cross-entropy: use a categorical cross-entropy"
    if activation == "sigmoid" and expected == "softmax" and (units or 0) > 1:
        return f"sigmoid outputs do not form a distribution over classes, as {loss} expects"
    if activation in PROBABILITIES and kind == "regression" and integer_labels and (n_classes or 0) <= 50:
        return f"{activation} outputs for {n_classes} classes trained with {loss}: use a cross-entropy loss"
    return None


@detector("loss-activation-mismatch", Family.LEARNING, rank=(Band.SETUP, 4))
def loss_activation_mismatch(fit: FitRecord, t: Thresholds) -> Finding | None:
    loss = fit.model.loss
    out = output_layer(fit)
    if loss is None or out is None or loss.name == "multiple":
        return None
    labels = fit.labels
    reason = _mismatch(out.activation, out.units, loss.name, loss.from_logits,
                       labels.n_classes if labels else None, bool(labels and labels.integer_valued))
    if reason is None:
        return None
    evidence = {"output_layer": out.name, "activation": out.activation or "linear", "units": out.units,
                "loss": loss.name, "from_logits": loss.from_logits,
                "classes": labels.n_classes if labels else None}
    return found(loss_activation_mismatch, reason, evidence, 0.95, out.location, out.name, 0, fit.index)


@detector("poor-initialization", Family.LEARNING, rank=(Band.SETUP, 6))
def poor_initialization(fit: FitRecord, t: Thresholds) -> Finding | None:
    bad = []
    for layer in fit.model.layers:
        if not layer.fan_in or layer.initial_kernel_std is None or layer.initial_kernel_std <= 0:
            continue
        scale = 1 / math.sqrt(layer.fan_in)
        ratio = layer.initial_kernel_std / scale
        if ratio >= t.init_ratio or ratio <= 1 / t.init_ratio:
            bad.append((layer, ratio))
    if not bad:
        return None
    layer, ratio = max(bad, key=lambda b: abs(math.log(b[1])))
    assert layer.fan_in is not None  # only layers with a fan-in were judged
    direction = "too small" if ratio < 1 else "too large"
    evidence = {"layers": [b[0].name for b in bad], "std_to_expected": {b[0].name: r(b[1]) for b in bad},
                "initial_std": r(layer.initial_kernel_std), "expected_std": r(1 / math.sqrt(layer.fan_in)),
                "initializer": layer.kernel_initializer, "threshold": t.init_ratio}
    message = (f"initial weights of layer '{layer.name}' are {direction}: std {layer.initial_kernel_std:.3g}, "
               f"{ratio:.3g}x the 1/sqrt(fan_in) scale ({layer.kernel_initializer})")
    return found(poor_initialization, message, evidence, 0.85, layer.location, layer.name, 0, fit.index)


def relu_like(activation: str | None) -> bool:
    return activation in RELU_LIKE
