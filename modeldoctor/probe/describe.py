"""Describe the model, its optimizer, loss and the training data as plain record values."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from modeldoctor.record import (
    ArrayStats,
    LabelStats,
    LayerInfo,
    Location,
    LossInfo,
    ModelInfo,
    OptimizerInfo,
)
from modeldoctor.vocabulary import ACTIVATION_LAYERS

MAX_ROWS = 10_000  # scale statistics need a sample only
MAX_FEATURES = 4_096
CHUNK_VALUES = 1 << 22  # NaN/Inf counting pass: a mask of ~4M values at a time, whatever the data's size


def leaf_layers(model: Any) -> list[Any]:
    """Layers that own weights or compute activations, whatever the model style."""
    layers = [
        layer
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if type(layer).__name__ != "InputLayer"
    ]
    return [layer for layer in layers if not list(layer._flatten_layers(include_self=False))]


def weight_values(variable: Any) -> np.ndarray:
    """A Keras variable's value as NumPy, on every backend (torch parameters need detaching first).

    On JAX, read it only after touching the callback's `self.model`: the trainer
    keeps the live values outside the variables during an epoch, and that
    access syncs them back.
    """
    import keras

    return np.asarray(keras.ops.convert_to_numpy(variable.value if hasattr(variable, "value") else variable))


def activation_name(layer: Any) -> str | None:
    name = type(layer).__name__
    if name in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[name]
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    if isinstance(fn, str):
        return fn
    return getattr(fn, "__name__", type(fn).__name__)


def _describe_object(obj: Any) -> str | None:
    if obj is None:
        return None
    config = {}
    if hasattr(obj, "get_config"):
        try:
            config = {k: v for k, v in obj.get_config().items() if isinstance(v, (int, float, str))}
        except Exception:  # noqa: BLE001 - user objects may fail to serialize
            config = {}
    args = ", ".join(f"{k}={v!r}" for k, v in sorted(config.items()) if k != "seed")
    return f"{type(obj).__name__}({args})"


def describe_layer(layer: Any, location: Location | None) -> LayerInfo:
    kernel = getattr(layer, "kernel", None)
    kernel_std = fan_in = None
    if kernel is not None:
        try:
            values = weight_values(kernel)
            kernel_std = float(values.std())
            fan_in = int(np.prod(values.shape[:-1])) if values.ndim >= 2 else None
        except Exception:  # noqa: BLE001 - unbuilt or exotic kernels
            pass
    return LayerInfo(
        name=layer.name,
        class_name=type(layer).__name__,
        activation=activation_name(layer),
        units=getattr(layer, "units", None) if isinstance(getattr(layer, "units", None), int) else None,
        filters=getattr(layer, "filters", None) if isinstance(getattr(layer, "filters", None), int) else None,
        rate=float(layer.rate) if isinstance(getattr(layer, "rate", None), (int, float)) else None,
        kernel_initializer=_describe_object(getattr(layer, "kernel_initializer", None)),
        kernel_regularizer=_describe_object(getattr(layer, "kernel_regularizer", None)),
        params=int(layer.count_params()) if layer.built else 0,
        trainable_params=int(sum(np.prod(v.shape) for v in layer.trainable_weights)),
        fan_in=fan_in,
        initial_kernel_std=kernel_std,
        location=location,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    try:
        return float(value)
    except (TypeError, ValueError):
        return repr(value)


def describe_optimizer(optimizer: Any, from_string: bool, location: Location | None) -> OptimizerInfo:
    learning_rate = None
    try:
        learning_rate = float(np.asarray(optimizer.learning_rate))
    except Exception:  # noqa: BLE001 - schedules and custom optimizers
        pass
    try:
        config = _jsonable(optimizer.get_config())
    except Exception:  # noqa: BLE001
        config = {}
    return OptimizerInfo(
        class_name=type(optimizer).__name__,
        learning_rate=learning_rate,
        config=config,
        from_string=from_string,
        location=location,
    )


def describe_loss(loss: Any) -> LossInfo | None:
    if loss is None:
        return None
    if isinstance(loss, str):
        return LossInfo(name=loss)
    if isinstance(loss, (list, tuple, dict)):
        return LossInfo(name="multiple", config={"losses": _jsonable(loss)})
    config: dict[str, Any] = {}
    if hasattr(loss, "get_config"):
        try:
            config = _jsonable(loss.get_config())
        except Exception:  # noqa: BLE001
            config = {}
    name = type(loss).__name__ if hasattr(loss, "get_config") else getattr(loss, "__name__", repr(loss))
    return LossInfo(name=name, from_logits=config.get("from_logits"), config=config)


def describe_model(model: Any, layers: list[LayerInfo], compile_args: dict[str, Any]) -> ModelInfo:
    metrics = compile_args.get("metrics") or []
    if isinstance(metrics, dict):
        metrics = list(metrics.values())
    names = [m if isinstance(m, str) else getattr(m, "name", type(m).__name__) for m in metrics]
    return ModelInfo(
        class_name=type(model).__name__,
        name=model.name,
        layers=layers,
        loss=describe_loss(compile_args.get("loss")),
        metrics=[str(n) for n in names],
        total_params=int(model.count_params()) if model.built else sum(layer.params for layer in layers),
    )


def as_array(data: Any) -> np.ndarray | None:
    """A NumPy view of array-like training data, whatever made it (NumPy, TensorFlow, JAX, torch, pandas);
    None for datasets, generators, dicts and symbolic tensors."""
    if data is None or isinstance(data, (dict, list, tuple, str, bytes)):
        return None
    if isinstance(data, np.ndarray):
        return data
    if not hasattr(data, "shape"):
        return None
    try:
        if hasattr(data, "detach"):  # torch: off the autograd graph and the device first
            return np.asarray(data.detach().cpu().numpy())
        if hasattr(data, "numpy"):  # TensorFlow eager tensors and Keras variables
            return np.asarray(data.numpy())
        if hasattr(data, "__array__"):  # JAX arrays, pandas frames
            return np.asarray(data)
    except Exception:  # noqa: BLE001 - symbolic tensors
        return None
    return None


def count_nonfinite(x: np.ndarray) -> tuple[int, int]:
    """NaN/Inf values in `x`, and the rows (first axis) holding at least one, over every row.

    Every row, not a sample: one corrupted measurement in row 20,000 is as
    much a defect as one in row 3. The pass is chunked so that the mask never
    costs more than a few megabytes; integer arrays cannot hold NaN and are
    not scanned.
    """
    if x.size == 0 or not np.issubdtype(x.dtype, np.inexact):
        return 0, 0
    x = x.reshape(1) if x.ndim == 0 else x
    step = max(1, CHUNK_VALUES // max(1, x.size // x.shape[0]))
    values = rows = 0
    for start in range(0, x.shape[0], step):
        chunk = x[start : start + step]
        bad = ~np.isfinite(chunk.reshape(chunk.shape[0], -1))
        values += int(bad.sum())
        rows += int(bad.any(axis=1).sum())
    return values, rows


def array_stats(x: np.ndarray) -> ArrayStats | None:
    with warnings.catch_warnings():  # all-NaN features are data, not a reason to warn
        warnings.simplefilter("ignore", RuntimeWarning)
        return _array_stats(x)


def _array_stats(x: np.ndarray) -> ArrayStats | None:
    if x.size == 0 or not np.issubdtype(x.dtype, np.number):
        return None
    x = x.reshape(1) if x.ndim == 0 else x
    rows = x[:MAX_ROWS].astype(np.float64)
    if rows.ndim == 1:
        flat, axis = rows[:, None], "features"
    elif rows.ndim == 2:
        flat, axis = rows, "features"
    else:
        flat, axis = rows.reshape(-1, rows.shape[-1]), "channels"
    flat = flat[:, :MAX_FEATURES]
    flat = np.where(np.isfinite(flat), flat, np.nan)
    finite = np.isfinite(rows)
    values = rows[finite] if not finite.all() else rows
    nonfinite, nonfinite_rows = count_nonfinite(x)
    return ArrayStats(
        shape=[int(s) for s in x.shape],
        dtype=str(x.dtype),
        min=float(values.min()) if values.size else math.nan,
        max=float(values.max()) if values.size else math.nan,
        mean=float(values.mean()) if values.size else math.nan,
        std=float(values.std()) if values.size else math.nan,
        feature_axis=axis,
        feature_mean=[float(v) for v in np.nanmean(flat, axis=0)],
        feature_std=[float(v) for v in np.nanstd(flat, axis=0)],
        feature_min=[float(v) for v in np.nanmin(flat, axis=0)],
        feature_max=[float(v) for v in np.nanmax(flat, axis=0)],
        sampled_rows=int(rows.shape[0]),
        nonfinite=nonfinite,
        nonfinite_rows=nonfinite_rows,
        checked_rows=int(x.shape[0]),
    )


def label_stats(y: np.ndarray) -> LabelStats | None:
    with warnings.catch_warnings():  # an all-NaN label column is data, not a reason to warn
        warnings.simplefilter("ignore", RuntimeWarning)
        return _label_stats(y)


def _label_stats(y: np.ndarray) -> LabelStats | None:
    """Label encoding and range from the finite labels; the NaN/Inf ones are counted, not averaged in.

    A label column with a few missing entries still holds class ids: judging
    `integer_valued` on the finite values keeps the loss/activation checks
    right, and `nonfinite` says what is missing.
    """
    if y.size == 0 or not np.issubdtype(y.dtype, np.number):
        return None
    y = y.reshape(1) if y.ndim == 0 else y
    rows = y[:MAX_ROWS].astype(np.float64)
    finite = np.isfinite(rows)
    values = rows[finite]
    clean = rows[finite.reshape(rows.shape[0], -1).all(axis=1)]  # rows whose every label is finite
    integer_valued = bool(values.size and np.all(values == np.round(values)))
    one_hot = bool(
        rows.ndim == 2
        and rows.shape[1] > 1
        and integer_valued
        and clean.size
        and clean.min() >= 0
        and clean.max() <= 1
        and np.all(clean.sum(axis=1) == 1)
    )
    n_classes = None
    if one_hot:
        n_classes = int(rows.shape[1])
    elif integer_valued:
        unique = np.unique(values)
        n_classes = int(unique.size) if unique.size <= 1000 else None
    nonfinite, nonfinite_rows = count_nonfinite(y)
    return LabelStats(
        shape=[int(s) for s in y.shape],
        dtype=str(y.dtype),
        min=float(values.min()) if values.size else math.nan,
        max=float(values.max()) if values.size else math.nan,
        integer_valued=integer_valued,
        one_hot=one_hot,
        n_classes=n_classes,
        mean=float(values.mean()) if values.size else math.nan,
        std=float(values.std()) if values.size else math.nan,
        sampled_rows=int(rows.shape[0]),
        nonfinite=nonfinite,
        nonfinite_rows=nonfinite_rows,
        checked_rows=int(y.shape[0]),
    )
