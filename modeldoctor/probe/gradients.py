"""Gradients of the loss on the sample batch: the one place that knows which backend Keras runs on.

Every function here has one signature, `(model, x, y) -> list aligned with
model.trainable_variables` (None for a variable the loss does not reach),
and returns NumPy arrays. Everything else the probe samples (activations,
weights, updates) goes through Keras' own backend-neutral calls, so a new
backend is one more small function in `BACKENDS`.

The loss is computed with `training=False`: BatchNormalization statistics and
Dropout masks are left alone, and samples taken at different steps compare.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np


def _loss(model: Any, x: Any, y: Any, y_pred: Any) -> Any:
    try:
        return model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    except TypeError:  # an override written before `training=` existed
        return model.compute_loss(x=x, y=y, y_pred=y_pred)


def _tensorflow(model: Any, x: Any, y: Any) -> list[Any]:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = _loss(model, x, y, model(x, training=False))
    return list(tape.gradient(loss, model.trainable_variables))


def _jax(model: Any, x: Any, y: Any) -> list[Any]:
    """`jax.grad` over the model's stateless loss (JAX has no tape, and its trainer keeps no state on the
    model), compiled once per model: traced op by op, the first sample of a fit would cost seconds."""
    compiled = id(getattr(model, "_compile_loss", None))  # a new compile() may change the loss: trace again
    cached = _JAX_GRADS.get(model)
    grad = cached[1] if cached is not None and cached[0] == compiled else None
    if grad is None:
        import jax

        def loss_of(trainable: list[Any], non_trainable: list[Any], metrics: list[Any], x: Any, y: Any) -> Any:
            loss, _ = model.compute_loss_and_updates(trainable, non_trainable, metrics, x, y, None, training=False)
            return loss

        grad = jax.jit(jax.grad(loss_of))
        _JAX_GRADS[model] = (compiled, grad)
    values = [[v.value for v in variables] for variables in
              (model.trainable_variables, model.non_trainable_variables, model.metrics_variables)]
    return list(grad(*values, x, y))


# The compiled gradient of each model a fit samples (with the compile it was traced for); it goes with the model.
_JAX_GRADS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _torch(model: Any, x: Any, y: Any) -> list[Any]:
    import torch

    values = [v.value for v in model.trainable_variables]
    with torch.enable_grad():  # a callback may run where Keras turned autograd off
        loss = _loss(model, x, y, model(x, training=False))
        return list(torch.autograd.grad(loss, values, allow_unused=True))


BACKENDS: dict[str, Callable[[Any, Any, Any], list[Any]]] = {
    "tensorflow": _tensorflow,
    "jax": _jax,
    "torch": _torch,
}


class NoGradients(RuntimeError):
    """The backend has no gradient function here (say, Keras on OpenVINO, which only runs inference)."""


def gradients(model: Any, x: Any, y: Any) -> list[np.ndarray | None]:
    """d loss / d w for every trainable variable of `model` on (x, y), as NumPy arrays."""
    import keras

    backend = keras.backend.backend()
    compute = BACKENDS.get(backend)
    if compute is None:
        raise NoGradients(f"no gradient function for the {backend} backend")
    x, y = tensors(x), tensors(y)
    return [None if g is None else np.asarray(keras.ops.convert_to_numpy(g)) for g in compute(model, x, y)]


def tensors(data: Any) -> Any:
    """NumPy sample data as the backend's tensors (a dict or list of inputs stays one)."""
    import keras

    if data is None:
        return None
    return keras.tree.map_structure(keras.ops.convert_to_tensor, data)
