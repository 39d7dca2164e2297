"""Small, pure helpers over the numbers a run recorded."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

from modeldoctor.record import FitRecord, LayerInfo, LayerSample, Sample

ACCURACY_KEYS = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy")


def finite(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def curve(fit: FitRecord, key: str) -> list[float | None]:
    return [epoch.get(key) for epoch in fit.epochs]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def accuracy_key(fit: FitRecord) -> str | None:
    keys = set(fit.epochs[-1]) if fit.epochs else set()
    return next((k for k in ACCURACY_KEYS if k in keys and f"val_{k}" in keys), None)


def trainable_layers(fit: FitRecord) -> list[LayerInfo]:
    return [layer for layer in fit.model.layers if layer.trainable_params]


def output_layer(fit: FitRecord) -> LayerInfo | None:
    with_units = [layer for layer in fit.model.layers if layer.units is not None or layer.filters is not None]
    return with_units[-1] if with_units else None


def layer_named(fit: FitRecord, name: str) -> LayerInfo | None:
    return next((layer for layer in fit.model.layers if layer.name == name), None)


def regular(fit: FitRecord) -> list[Sample]:
    """The samples of the regular schedule (every `sample_every` steps): what the thresholds were set on."""
    return [s for s in fit.samples if not s.extra]


def schedule(fit: FitRecord) -> list[Sample]:
    """The samples the detectors read: the regular schedule, then the extra samples taken since its last one.

    A long fit samples its first epoch densely (`Sample.extra`) because its regular schedule samples
    once in several epochs. The extra samples are the evidence until the next regular sample is taken;
    from then on they drop out, so a fit that got past its first regular interval is read exactly as
    it was calibrated: on the regular schedule alone.
    """
    samples = regular(fit)
    last = samples[-1].step if samples else -1
    return samples + [s for s in fit.samples if s.extra and s.step > last]


def layer_series(fit: FitRecord, layer: str, attr: str, late_only: bool = False) -> list[float]:
    """One layer's sampled values over time (`late_only`: the second half of training)."""
    read = schedule(fit)
    samples = read[len(read) // 2 :] if late_only else read
    values: list[float | None] = []
    for sample in samples:
        entry: LayerSample | None = next((s for s in sample.layers if s.layer == layer), None)
        values.append(getattr(entry, attr) if entry else None)
    return finite(values)


def r(value: float | None, digits: int = 4) -> float | None:
    """Round for evidence: numbers people read, not float noise."""
    if value is None or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def keeps_best_weights(fit: FitRecord) -> bool:
    """EarlyStopping with restore_best_weights on val_loss: the model kept is the best epoch's."""
    early = fit.fit_args.early_stopping or {}
    return bool(early.get("restore_best_weights")) and early.get("monitor") == "val_loss"


def kept_value(fit: FitRecord, key: str, higher_is_better: bool) -> float | None:
    """The metric of the model the fit leaves behind: measured after training when the probe
    could (EMA and restored weights included); otherwise the last epoch's, or the best one's
    when EarlyStopping restores the best weights."""
    if key in fit.final:
        return fit.final[key]
    series = [e.get(key) for e in fit.epochs if e.get(key) is not None]
    if not series:
        return None
    if keeps_best_weights(fit) and key.startswith("val_"):
        clean = finite(series)
        if clean:
            return max(clean) if higher_is_better else min(clean)
    return series[-1]
