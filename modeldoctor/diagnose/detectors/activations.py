"""Findings from sampled activations: dead ReLU units and saturated sigmoid/tanh units."""

from __future__ import annotations

from collections.abc import Iterable

from modeldoctor.diagnose.registry import Band, Decisive, detector, found, seen_for
from modeldoctor.diagnose.series import layer_series, median, output_layer, r, schedule
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding
from modeldoctor.record import FitRecord, LayerInfo, Signal
from modeldoctor.vocabulary import DYING, SATURATING


def _hidden(fit: FitRecord, kinds: set[str]) -> list[LayerInfo]:
    """Hidden layers of these activations; the output layer's saturation is a confident prediction."""
    out = output_layer(fit)
    return [layer for layer in fit.model.layers if layer.activation in kinds and layer is not out]


def _affected(fit: FitRecord, kinds: set[str], attr: str, threshold: float) -> list[tuple[LayerInfo, float]]:
    hits = []
    for layer in _hidden(fit, kinds):
        share = median(layer_series(fit, layer.name, attr, late_only=True))
        if share is not None and share >= threshold:
            hits.append((layer, share))
    return hits


def dead_for_good(fit: FitRecord, names: Iterable[str]) -> bool:
    """One of these layers had every unit dead on the last two samples, with no gradient left on its weights.

    The gradient must have been read and be zero: a weightless `Activation("relu")` has none to read, and
    after a BatchNormalization its units look dead in inference mode while its moving statistics still
    lag, though in training mode they are alive (a cure trial of batch_norm_before_activation)."""
    for name in names:
        last = [s for sample in schedule(fit)[-2:] for s in sample.layers if s.layer == name]
        if len(last) == 2 and all((s.dead_fraction or 0.0) >= 1.0 and s.grad_norm == 0.0 for s in last):
            return True
    return False


def _all_dead(finding: Finding, fit: FitRecord, t: Thresholds) -> bool:
    return dead_for_good(fit, finding.evidence.get("layers", []))


# Decisive: a unit with no gradient never moves again, so a layer dead through and through stays dead.
ALL_DEAD = Decisive("every unit of a ReLU layer outputs zero on every sampled input and no gradient reaches it: "
                    "training cannot revive them", held=0, when=_all_dead)


# A row holding a NaN makes every unit of the first layer output 0 where ReLU is a max that drops NaN.
@detector("dying-relu", Family.LEARNING, rank=(Band.GRADIENTS, 3),
          causes=("learning-rate-too-high", "poor-initialization", "unscaled-inputs", "non-finite-data"),
          reads=(Signal.ACTIVATIONS,), decisive=ALL_DEAD)
def dying_relu(fit: FitRecord, t: Thresholds) -> Finding | None:
    hits = _affected(fit, set(DYING), "dead_fraction", t.dead_share)
    if not hits:
        return None
    layer, share = max(hits, key=lambda h: h[1])
    evidence = {"layers": [h[0].name for h in hits], "dead_share": {h[0].name: r(h[1]) for h in hits},
                "threshold": t.dead_share}
    message = (f"{share:.0%} of the units of ReLU layer '{layer.name}' output zero on every sampled input"
               + (f" ({len(hits)} layers affected)" if len(hits) > 1 else ""))
    return found(dying_relu, message, evidence, 0.9, layer.location, layer.name, 0, fit.index)


@detector("saturated-activations", Family.LEARNING, rank=(Band.GRADIENTS, 4),
          causes=("unscaled-inputs", "poor-initialization", "learning-rate-too-high"), reads=(Signal.ACTIVATIONS,),
          decisive=Decisive("the units sat in their flat tails at three epoch ends in a row: saturated units barely "
                            "learn, so they do not leave the tails", held=3, when=seen_for(samples=3)))
def saturated_activations(fit: FitRecord, t: Thresholds) -> Finding | None:
    hits = _affected(fit, set(SATURATING), "saturated_fraction", t.saturated_share)  # as far as the probe measures
    if not hits:
        return None
    layer, share = max(hits, key=lambda h: h[1])
    evidence = {"layers": [h[0].name for h in hits], "saturated_share": {h[0].name: r(h[1]) for h in hits},
                "threshold": t.saturated_share}
    message = (f"{share:.0%} of the activations of {layer.activation} layer '{layer.name}' sit in the flat tails"
               + (f" ({len(hits)} layers affected)" if len(hits) > 1 else ""))
    return found(saturated_activations, message, evidence, 0.85, layer.location, layer.name, 0, fit.index)


def acquired(fit: FitRecord, t: Thresholds) -> dict[str, tuple[float, float]]:
    """Hidden layers that training drove into their tails or killed: {layer: (share at first sample, late share)}.

    Units that were alive at the first sample and saturated or dead later got
    there through the updates, not through the initialization or the inputs:
    under a rate high for its optimizer, they are the rate's doing.
    """
    driven: dict[str, tuple[float, float]] = {}
    for kinds, attr, threshold in ((set(SATURATING), "saturated_fraction", t.saturated_share),
                                   (set(DYING), "dead_fraction", t.dead_share)):
        for layer in _hidden(fit, kinds):
            series = layer_series(fit, layer.name, attr)
            late = median(layer_series(fit, layer.name, attr, late_only=True))
            if series and late is not None and series[0] < threshold / 2 and late >= threshold:
                driven[layer.name] = (r(series[0]) or 0.0, r(late) or 0.0)
    return driven
