"""The numbers the reports draw: curves per epoch, gradient norms per layer, who ran them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from modeldoctor.ftypes import Report
from modeldoctor.record import FitRecord
from modeldoctor.report.view import plural

METRIC_SKIP = ("loss", "learning_rate", "lr")


def curve(fit: FitRecord, key: str) -> list[float | None]:
    return [_float(epoch.get(key)) for epoch in fit.epochs]


def _float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):  # a NaN written as text by a JSON round trip
        try:
            return float(value)
        except ValueError:
            return None
    return None


def finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def metric_key(fit: FitRecord) -> str | None:
    """The first metric besides the loss (e.g. `accuracy`), preferring one with a validation twin."""
    keys: list[str] = []
    for epoch in fit.epochs:
        keys.extend(k for k in epoch if k not in keys)
    plain = [k for k in keys if not k.startswith("val_") and k not in METRIC_SKIP]
    paired = [k for k in plain if f"val_{k}" in keys]
    return next(iter(paired or plain), None)


def use_log(values: Sequence[float | None], ratio: float = 100.0) -> bool:
    """Log scale when the values are positive and span more than `ratio` (a loss that blew up)."""
    ok = finite(values)
    return bool(ok) and min(ok) > 0 and max(ok) / min(ok) > ratio


def layer_names(fit: FitRecord) -> list[str]:
    """Layers with sampled gradient norms, in model order."""
    names: list[str] = []
    for sample in fit.samples:
        names.extend(s.layer for s in sample.layers if s.grad_norm is not None and s.layer not in names)
    return names


def grad_series(fit: FitRecord, layer: str) -> list[tuple[int, float | None]]:
    series = []
    for sample in fit.samples:
        entry = next((s for s in sample.layers if s.layer == layer), None)
        series.append((sample.step, entry.grad_norm if entry is not None else None))
    return series


def seed_label(report: Report, index: int) -> str:
    seed = report.runs[index].seed
    return f"seed {seed}" if seed is not None else f"run {index + 1}"


def runs_label(report: Report) -> str:
    """`3 runs (seeds 0, 1, 2)`, `1 run (seed 4)` or `1 run`."""
    seeds = [str(r.seed) for r in report.runs if r.seed is not None]
    label = plural(len(report.runs), "run")
    if seeds:
        label += f" ({'seed' if len(seeds) == 1 else 'seeds'} {', '.join(seeds)})"
    return label


def fit_status(fit: FitRecord) -> str:
    """How a fit ended, when not normally: `stopped on NaN/Inf at step 90 (epoch 3)`."""
    if fit.stopped_on_nan:
        epoch = f" (epoch {fit.nan_epoch + 1})" if fit.nan_epoch is not None else ""
        return f"stopped on NaN/Inf loss at step {fit.nan_step}{epoch}"
    return ""
