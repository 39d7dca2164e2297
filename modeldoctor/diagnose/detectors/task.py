"""Findings about what the model can compute and how it is measured, against the task the targets show.

The probe records the targets `fit` was given (`fit.labels`: range, integer or
continuous, one-hot) and the model's layers: together they say whether a
network can be more than one linear map, and whether its metric fits the task.
"""

from __future__ import annotations

import math
import re

from modeldoctor.diagnose.registry import SETTLED, Band, detector, found
from modeldoctor.diagnose.series import r
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import FitRecord, LayerInfo
from modeldoctor.vocabulary import LOGITS, canonical_activation, loss_kind

ACCURACY = re.compile(r"(^|_)acc(uracy)?$", re.IGNORECASE)
# Layers that compute an affine map of their input (at inference) or only reshape it: a stack of them
# with linear Dense/Conv layers is still one linear map. Anything else (pooling by max, recurrent cells,
# attention, a custom layer) may be non-linear, and the detector stays quiet.
LINEAR_LAYERS = {"Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Dropout", "GaussianNoise",
                 "GaussianDropout", "AlphaDropout", "BatchNormalization", "LayerNormalization", "Normalization",
                 "Rescaling", "Flatten", "Reshape", "Permute", "RepeatVector", "Activation", "Identity",
                 "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D"}


def _linear(layer: LayerInfo) -> bool:
    return canonical_activation(layer.activation or LOGITS) == LOGITS


@detector("linear-hidden-layers", Family.LEARNING, rank=(Band.SETUP, 4.5), decisive=SETTLED)
def linear_hidden_layers(fit: FitRecord, t: Thresholds) -> Finding | None:
    """Hidden layers with no activation at all: the whole network collapses to one linear map (the output's
    activation aside), so depth adds nothing and no curve can be fitted."""
    layers = fit.model.layers
    if not layers or any(layer.class_name not in LINEAR_LAYERS for layer in layers):
        return None
    weighted = [i for i, layer in enumerate(layers) if layer.units is not None or layer.filters is not None]
    if len(weighted) < 2:
        return None
    hidden, output = [layers[i] for i in weighted[:-1]], layers[weighted[-1]]
    if not all(_linear(layer) for layer in hidden):
        return None
    activations = [(i, layer) for i, layer in enumerate(layers)
                   if layer.class_name == "Activation" and not _linear(layer)]
    if any(i < weighted[-1] for i, _ in activations):
        return None  # an Activation layer between the hidden layers makes them non-linear
    shown = activations[-1][1].activation if activations else output.activation
    evidence = {"layers": [layer.name for layer in hidden], "hidden_layers": len(hidden),
                "output_activation": canonical_activation(shown or LOGITS),
                "loss": fit.model.loss.name if fit.model.loss else None}
    names = ", ".join(f"'{layer.name}'" for layer in hidden[:4]) + ("..." if len(hidden) > 4 else "")
    message = (f"{len(hidden)} hidden layer(s) ({names}) have no activation: a stack of linear layers is one "
               "linear map, so the network can fit no more than a linear model would")
    first = hidden[0]
    return found(linear_hidden_layers, message, evidence, 0.9, first.location, first.name, 0, fit.index)


# Ranked after what training shows (it is about the report, not the model), never a cause of anything.
@detector("metric-task-mismatch", Family.LEARNING, rank=(Band.GENERALIZATION, 9.5))
def metric_task_mismatch(fit: FitRecord, t: Thresholds) -> Finding | None:
    """An accuracy metric on continuous targets under a regression loss: it counts exact (or thresholded)
    hits that a regression never makes, so the number reported each epoch says nothing."""
    labels, loss = fit.labels, fit.model.loss
    if labels is None or loss is None or loss_kind(loss.name) != "regression" or labels.integer_valued:
        return None
    metrics = [m for m in fit.model.metrics if ACCURACY.search(m)]
    if not metrics:
        return None
    last = fit.epochs[-1] if fit.epochs else {}
    logged = {k: r(v) for k, v in last.items() if ACCURACY.search(k) and isinstance(v, float) and math.isfinite(v)}
    evidence = {"metrics": metrics, "loss": loss.name, "target_min": r(labels.min), "target_max": r(labels.max),
                "integer_targets": labels.integer_valued, "final": logged}
    message = (f"{', '.join(repr(m) for m in metrics)} on a regression ({loss.name}, continuous targets from "
               f"{labels.min:.4g} to {labels.max:.4g}): accuracy counts class predictions a regression never makes, "
               "so it says nothing about the fit; use mean absolute error or RootMeanSquaredError")
    where = fit.model.compile_location or fit.location
    return found(metric_task_mismatch, message, evidence, 0.9, where, None, 0, fit.index)
