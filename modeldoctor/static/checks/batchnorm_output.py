"""batchnorm-before-softmax-output (MD406): BatchNormalization feeding the softmax output directly."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.facts import Script, output_of
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds


@static_check("batchnorm-before-softmax-output")
def batchnorm_before_softmax_output(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    for model in script.models:
        output = output_of(model)
        if output is None or output.activation != "softmax":
            continue
        if output.normalized_logits is not None:
            norm = output.normalized_logits
            where = "between the output Dense and its softmax: the logits are normalized"
        elif output.before is not None and output.before.kind == "BatchNormalization" and output.before.call:
            norm = output.before.call
            where = "directly before the softmax output layer"
        else:
            continue
        yield Hit(
            f"BatchNormalization {where}. Its batch statistics in training and moving averages at inference "
            "reach the predictions with no layer in between to absorb the difference, so the class "
            "probabilities differ between fit and predict",
            norm,
            {"normalization_line": norm.line, "output_line": output.layer.line, "output_activation": "softmax"},
            confidence=0.6,
            layer=norm.name,
        )


VALID = [
    'import keras\nm = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.BatchNormalization(),'
    ' keras.layers.Dropout(0.3), keras.layers.Dense(10, activation="softmax")])\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(64), keras.layers.BatchNormalization(),'
    ' keras.layers.Activation("relu"), keras.layers.Dense(10, activation="softmax")])\n',
    'import keras\nm = keras.Sequential([keras.layers.BatchNormalization(), keras.layers.Dense(1)])\n',
]
INVALID = [
    'import keras\nm = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.BatchNormalization(),'
    ' keras.layers.Dense(10, activation="softmax")])\n',
    'from keras import layers\nimport keras\ni = keras.Input((8,))\nx = layers.Dense(10)(i)\n'
    'x = layers.BatchNormalization()(x)\no = layers.Softmax()(x)\nm = keras.Model(i, o)\n',
]
