"""loss-activation-mismatch (MD112): the output layer and the compiled loss contradict each other."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from modeldoctor.static.facts import Script, output_of
from modeldoctor.static.names import dotted
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds
from modeldoctor.static.values import UNKNOWN, is_number
from modeldoctor.vocabulary import CROSSENTROPY, LOGITS, NOT_PROBABILITIES, PROBABILITIES, loss_kind

ACCURACY = re.compile(r"acc(uracy)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Loss:
    name: str  # canonical snake_case, e.g. "binary_crossentropy"
    kind: str  # binary | categorical | sparse | regression
    from_logits: Any  # True, False, or UNKNOWN
    node: ast.expr


def read_loss(script: Script, node: ast.expr | None) -> Loss | None:
    """A loss given as a string, a `keras.losses` function, or a `keras.losses` class instance."""
    if node is None:
        return None
    value = script.value(node)
    from_logits: Any = False
    if isinstance(value, str):
        name = value
    elif isinstance(node, ast.Call):
        qualname = script.spelling.qualified(node.func) or ""
        if not qualname.startswith("keras.losses."):
            return None
        name = qualname.rsplit(".", 1)[-1]
        given = next((k.value for k in node.keywords if k.arg == "from_logits"), node.args[0] if node.args else None)
        from_logits = script.value(given) if given is not None else False
        if any(k.arg is None for k in node.keywords):
            from_logits = UNKNOWN
    else:
        qualname = script.spelling.qualified(node) or ""
        if not qualname.startswith("keras.losses.") and not (dotted(node) or "").startswith("tf.losses."):
            return None
        name = qualname.rsplit(".", 1)[-1] or (dotted(node) or "").rsplit(".", 1)[-1]
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    kind = loss_kind(name)
    if kind is None:
        return None
    if from_logits not in (True, False):
        from_logits = UNKNOWN
    return Loss(name, kind, from_logits, node)


def _classification_metrics(script: Script, node: ast.expr | None) -> bool:
    if node is None:
        return False
    value = script.value(node)
    names = value if isinstance(value, tuple) else (value,)
    if any(isinstance(n, str) and ACCURACY.search(n) for n in names):
        return True
    return any("Accuracy" in (script.spelling.qualified(n.func if isinstance(n, ast.Call) else n) or "")
               for n in ast.walk(node) if isinstance(n, ast.Call | ast.Attribute | ast.Name))


def mismatch(activation: Any, units: Any, loss: Loss, classes: bool) -> str | None:
    """Why this output and this loss do not fit together, or None."""
    count = f"{units} units" if is_number(units) else "its units"
    if activation == "softmax" and units == 1:
        return "softmax over a single unit always outputs 1.0: the model cannot learn anything"
    if CROSSENTROPY.get(loss.kind) == "softmax" and units == 1:
        return f"{loss.name} needs one output unit per class, but the output layer has 1 unit"
    if loss.kind in CROSSENTROPY:
        if loss.from_logits is True and activation in PROBABILITIES:
            return (f"the output applies {activation} but the loss has from_logits=True: "
                    f"{activation} is applied twice and the gradients are squashed")
        if loss.from_logits is not False:
            return None
        expected = CROSSENTROPY[loss.kind]  # the activation whose probabilities the loss expects
        if activation == "softmax" and expected == "sigmoid" and is_number(units) and units > 2:
            # (2 units with one-hot labels is the same as categorical cross-entropy: not reported)
            return (f"softmax over {count} with {loss.name}: the units compete for one probability "
                    "mass, but the loss scores each as an independent yes/no (and 'accuracy' becomes "
                    "binary accuracy per unit, which looks far better than it is)")
        if activation == "sigmoid" and expected == "softmax":
            return (f"sigmoid over {count} with {loss.name}: the outputs are independent probabilities "
                    "that do not sum to 1, but the loss expects one distribution over the classes")
        if activation == LOGITS:
            return (f"the output layer has no activation (it produces logits), but {loss.name} expects "
                    "probabilities unless from_logits=True")
        if activation in NOT_PROBABILITIES:
            return f"{activation} outputs are not probabilities, but {loss.name} expects probabilities"
        return None
    if loss.kind == "regression" and activation in PROBABILITIES and (activation == "softmax" or classes):
        return (f"{activation} outputs class probabilities but {loss.name} is a regression loss: "
                "cross-entropy gives far larger gradients when a confident prediction is wrong")
    return None


@static_check("loss-activation-mismatch")
def loss_activation_mismatch(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    for compile_call in script.compiles:
        model = script.model_of(compile_call)
        output = output_of(model) if model is not None else None
        loss = read_loss(script, compile_call.arg_node("loss", 1))
        if output is None or loss is None or output.activation is UNKNOWN:
            continue
        classes = _classification_metrics(script, compile_call.arg_node("metrics"))
        why = mismatch(output.activation, output.units, loss, classes)
        if why is None:
            continue
        where = output.activation_layer or output.layer
        yield Hit(
            f"{why} (output layer at line {where.line})",
            loss.node,
            {
                "loss": loss.name,
                "from_logits": loss.from_logits,
                "output_activation": output.activation,
                "output_units": output.units if is_number(output.units) else None,
                "output_line": output.layer.line,
            },
            confidence=0.9,
            layer=output.layer.name,
        )


VALID = [
    'import keras\nm = keras.Sequential([keras.layers.Dense(10, activation="softmax")])\n'
    'm.compile(optimizer="adam", loss="sparse_categorical_crossentropy")\n',
    'from tensorflow import keras\nm = keras.Sequential()\nm.add(keras.layers.Dense(1, activation="sigmoid"))\n'
    'm.compile(loss="binary_crossentropy")\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(10)])\n'
    'm.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss="mse", metrics=["mae"])\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(4, activation="sigmoid")])\n'
    'm.compile(loss="binary_crossentropy")\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(2, activation="softmax")])\n'
    'm.compile(loss="binary_crossentropy")\n',
]
INVALID = [
    'import keras\nm = keras.Sequential([keras.layers.Dense(10, activation="softmax")])\n'
    'm.compile(loss="binary_crossentropy")\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(10)])\nm.compile(loss="sparse_categorical_crossentropy")\n',
    'from keras import layers\nimport keras\ni = keras.Input((4,))\no = layers.Dense(3, activation="sigmoid")(i)\n'
    'm = keras.Model(i, o)\nm.compile(loss=keras.losses.SparseCategoricalCrossentropy())\n',
    'import tensorflow as tf\nm = tf.keras.Sequential([tf.keras.layers.Dense(10, activation="softmax")])\n'
    'm.compile(loss="mse")\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(10), keras.layers.Activation("softmax")])\n'
    'm.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(1, activation="softmax")])\nm.compile(loss="mse")\n',
]
