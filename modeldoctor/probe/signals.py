"""Sampled training signals: per-layer gradients, weights, updates and activations.

Computed on a small fixed batch with `training=False`, so BatchNormalization
statistics and Dropout masks are not disturbed and samples stay comparable.
Backend-neutral: activations come from a plain forward call, values through
Keras' own conversion, and only `gradients.gradients` knows the backend. A
signal that fails is reported by name with its reason, never dropped silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modeldoctor.probe.describe import activation_name, weight_values
from modeldoctor.probe.gradients import gradients, tensors
from modeldoctor.record import LayerSample, Signal
from modeldoctor.vocabulary import DYING

# A unit counts as saturated where its gradient is under ~4% of its maximum:
# sigmoid outside [0.01, 0.99] (|x| > 4.6), tanh with |y| > 0.99 (|x| > 2.65).
SATURATION = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99)}
DEAD_ACTIVATIONS = DYING  # units with a zero gradient for every negative input


def weight_arrays(layers: list[Any]) -> dict[str, list[np.ndarray]]:
    return {layer.name: [np.array(weight_values(v)) for v in layer.trainable_weights] for layer in layers}


def update_ratios(before: dict[str, list[np.ndarray]], layers: list[Any]) -> dict[str, float]:
    """‖Δw‖/‖w‖ over one optimizer step, per layer."""
    ratios = {}
    for layer in layers:
        old = before.get(layer.name)
        if not old:
            continue
        new = [weight_values(v) for v in layer.trainable_weights]
        delta = np.sqrt(sum(float(np.sum((n - o) ** 2)) for n, o in zip(new, old)))
        norm = np.sqrt(sum(float(np.sum(o**2)) for o in old))
        if norm > 0:
            ratios[layer.name] = delta / norm
    return ratios


def _unit_axis_reduce(values: np.ndarray) -> np.ndarray:
    """Collapse everything but the last (unit/channel) axis."""
    return values.reshape(-1, values.shape[-1]) if values.ndim > 1 else values[:, None]


def activation_share(kind: str, output: np.ndarray) -> tuple[float | None, float | None]:
    """(dead fraction, saturated fraction) of one layer's output on the sampled batch."""
    if output.size == 0:
        return None, None
    units = _unit_axis_reduce(output)
    if kind in DEAD_ACTIVATIONS:
        dead = np.all(units <= 0, axis=0)
        return float(dead.mean()), None
    if kind in SATURATION:
        low, high = SATURATION[kind]
        return None, float(np.mean((units < low) | (units > high)))
    return None, None


class Capture:
    """Temporarily wraps `call` of the watched layers to keep their outputs."""

    def __init__(self, layers: list[Any]) -> None:
        self.layers = [l for l in layers if activation_name(l) in DEAD_ACTIVATIONS | set(SATURATION)]
        self.outputs: dict[str, Any] = {}

    def __enter__(self) -> Capture:
        for layer in self.layers:
            original = layer.call

            def wrapper(*args: Any, _original: Any = original, _name: str = layer.name, **kwargs: Any) -> Any:
                out = _original(*args, **kwargs)
                self.outputs[_name] = out
                return out

            object.__setattr__(layer, "call", wrapper)
        return self

    def __exit__(self, *exc: object) -> None:
        for layer in self.layers:
            if "call" in vars(layer):
                object.__delattr__(layer, "call")


def sample_layers(model: Any, layers: list[Any], x: Any, y: Any) -> tuple[list[LayerSample], dict[Signal, str]]:
    """Per-layer samples on (x, y), and the signals that could not be taken, each with its reason."""
    import keras

    failed: dict[Signal, str] = {}
    outputs: dict[str, np.ndarray] = {}
    try:
        with Capture(layers) as capture:
            model(tensors(x), training=False)
        outputs = {name: np.asarray(keras.ops.convert_to_numpy(out)) for name, out in capture.outputs.items()}
    except Exception as exc:  # noqa: BLE001 - a failed sample must not stop training
        failed[Signal.ACTIVATIONS] = _failure("the forward pass on the sample batch", exc)
    by_id: dict[int, np.ndarray | None] = {}
    try:
        by_id = {id(v): g for v, g in zip(model.trainable_variables, gradients(model, x, y))}
    except Exception as exc:  # noqa: BLE001
        failed[Signal.GRADIENTS] = _failure(f"{keras.backend.backend()} gradients on the sample batch", exc)
    samples = []
    for layer in layers:
        weights = layer.trainable_weights
        sample = LayerSample(layer=layer.name)
        if weights:
            gs = [g for v in weights if (g := by_id.get(id(v))) is not None]  # none for a weight the loss misses
            if gs:
                sample.grad_norm = float(np.sqrt(sum(float(np.sum(g**2)) for g in gs)))
                count = sum(g.size for g in gs)
                sample.mean_abs_grad = float(sum(float(np.sum(np.abs(g))) for g in gs) / max(count, 1))
            sample.weight_norm = float(np.sqrt(sum(float(np.sum(weight_values(v) ** 2)) for v in weights)))
        if layer.name in outputs:
            kind = activation_name(layer) or ""
            sample.dead_fraction, sample.saturated_fraction = activation_share(kind, outputs[layer.name])
        if any(v is not None for v in (sample.grad_norm, sample.dead_fraction, sample.saturated_fraction)):
            samples.append(sample)
    return samples, failed


def _failure(what: str, exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{what} failed: {type(exc).__name__}{': ' + text if text else ''}"[:300]
