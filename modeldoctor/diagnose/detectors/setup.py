"""Findings about how training was set up: inputs, loss/output pairing, initialization."""

from __future__ import annotations

import math

from modeldoctor.diagnose.registry import SETTLED, Band, detector, found
from modeldoctor.diagnose.series import output_layer, r
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import FitRecord, LabelStats, LayerInfo, Signal
from modeldoctor.vocabulary import (LOGITS, OUTPUT_RANGE, PROBABILITIES, RELU_LIKE, UNIT_INTERVAL, canonical_activation,
                                   expected_activation, loss_kind)

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
          reads=(Signal.INPUTS,), decisive=SETTLED)
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


def output_activation(fit: FitRecord, out: LayerInfo) -> tuple[str, LayerInfo | None]:
    """The activation the model's output goes through, and the separate layer that applies it (or None):
    `Dense(k)` then `Activation("softmax")` (or `Softmax()`, `ReLU()`) is a softmax output, as people write it."""
    own = canonical_activation(out.activation) if out.activation else LOGITS
    if own != LOGITS:
        return own, None
    index = next((i for i, layer in enumerate(fit.model.layers) if layer is out), len(fit.model.layers))
    after = [layer for layer in fit.model.layers[index + 1:]
             if layer.activation and layer.units is None and layer.filters is None]
    if not after or canonical_activation(after[-1].activation or LOGITS) == LOGITS:
        return LOGITS, None
    return canonical_activation(after[-1].activation or LOGITS), after[-1]


def _out_of_range(activation: str, labels: LabelStats | None, t: Thresholds) -> str | None:
    """Targets the output activation cannot produce: a ReLU output for targets that go negative."""
    if labels is None or labels.one_hot or activation not in OUTPUT_RANGE:
        return None
    if not (math.isfinite(labels.min) and math.isfinite(labels.max)) or labels.max <= labels.min:
        return None
    low, high = OUTPUT_RANGE[activation]
    margin = t.target_range_margin * (labels.max - labels.min)  # a target a hair outside is not a defect
    if labels.min < low - margin:
        return (f"a {activation} output is never below {low:g}, but the targets go down to {labels.min:.4g}: "
                "the model cannot produce them")
    if labels.max > high + margin:
        return (f"a {activation} output is never above {high:g}, but the targets go up to {labels.max:.4g}: "
                "the model cannot produce them")
    return None


def _mismatch(activation: str, units: int | None, loss: str, from_logits: bool | None,
              labels: LabelStats | None, t: Thresholds) -> str | None:
    kind = loss_kind(loss)
    expected = expected_activation(kind, from_logits) if kind else None  # what a cross-entropy wants to see
    n_classes = labels.n_classes if labels else None
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
    if expected in PROBABILITIES and activation not in UNIT_INTERVAL:
        return (f"{activation} outputs are not probabilities, but {loss} expects probabilities: the log of an "
                "output at 0 is infinite (NaN loss) and outputs above 1 are meaningless")
    if kind == "regression" and labels is not None and labels.one_hot:
        return (f"{loss} on one-hot class labels ({n_classes} classes): a regression loss gives tiny gradients "
                "to a confident wrong class; use categorical_crossentropy with a softmax output")
    if activation in PROBABILITIES and kind == "regression" and labels is not None and labels.integer_valued \
            and (n_classes or 0) <= 50:
        return f"{activation} outputs for {n_classes} classes trained with {loss}: use a cross-entropy loss"
    if kind == "regression":
        return _out_of_range(activation, labels, t)
    return None


@detector("loss-activation-mismatch", Family.LEARNING, rank=(Band.SETUP, 4), decisive=SETTLED)
def loss_activation_mismatch(fit: FitRecord, t: Thresholds) -> Finding | None:
    """The output activation (read through a separate Activation layer), the loss and the targets the probe
    saw do not belong together."""
    loss = fit.model.loss
    out = output_layer(fit)
    if loss is None or out is None or loss.name == "multiple":
        return None
    labels = fit.labels
    activation, separate = output_activation(fit, out)
    reason = _mismatch(activation, out.units, loss.name, loss.from_logits, labels, t)
    if reason is None:
        return None
    evidence = {"output_layer": out.name, "activation": activation, "units": out.units,
                "loss": loss.name, "from_logits": loss.from_logits,
                "classes": labels.n_classes if labels else None,
                "activation_layer": separate.name if separate else None,
                "one_hot": labels.one_hot if labels else None,
                "target_min": r(labels.min) if labels else None, "target_max": r(labels.max) if labels else None}
    shown = separate or out  # the layer whose activation a cure would change
    return found(loss_activation_mismatch, reason, evidence, 0.95, shown.location, shown.name, 0, fit.index)


@detector("poor-initialization", Family.LEARNING, rank=(Band.SETUP, 6), decisive=SETTLED)
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
