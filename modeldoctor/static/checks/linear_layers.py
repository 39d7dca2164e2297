"""linear-hidden-layers (MD116): hidden Dense/Conv layers with no activation and no non-linear layer between
them, so the whole network is one linear map. The run-time detector says the same from the run's layers."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.facts import ACTIVATION_LAYERS, KCall, Model, Script
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds

LINEAR_KINDS = frozenset({"Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D"})
# Affine at inference, or only moving values around: they keep a chain of linear layers linear. Max pooling,
# recurrent cells, merges and anything unknown may not, and the check stays quiet.
AFFINE = frozenset({"Input", "InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "AlphaDropout",
                    "GaussianDropout", "GaussianNoise", "ActivityRegularization", "Flatten", "Reshape", "Permute",
                    "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
                    "BatchNormalization", "LayerNormalization", "Normalization", "Rescaling"})


def _linear_hidden(model: Model) -> tuple[list[KCall], object] | None:
    """The hidden weight layers and the output's activation, when every hidden layer is linear."""
    weighted: list[KCall] = []
    output_activation: object = None
    for use in model.layers:
        if use.call is None or use.repeat != 1:
            return None  # built in a loop or from a variable: not read whole
        kind, activation = use.kind, use.call.activation
        if kind in LINEAR_KINDS:
            weighted.append(use.call)
            output_activation = activation
        elif kind in ACTIVATION_LAYERS:
            if activation != "linear":
                output_activation = activation
                weighted.append(use.call)  # a non-linearity: only harmless after the output layer
        elif kind not in AFFINE:
            return None
    dense = [c for c in weighted if c.kind in LINEAR_KINDS]
    if len(dense) < 2 or weighted.index(dense[-1]) != len(dense) - 1:
        return None  # an activation layer sits between two weight layers
    hidden = dense[:-1]
    if any(layer.activation != "linear" for layer in hidden):
        return None
    return hidden, output_activation


@static_check("linear-hidden-layers")
def linear_hidden_layers(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    for model in script.models:
        found = _linear_hidden(model)
        if found is None:
            continue
        hidden, output_activation = found
        first = hidden[0]
        yield Hit(
            f"{len(hidden)} hidden layer(s) have no activation (first at line {first.line}): a stack of linear "
            "layers is one linear map, so the network can fit no more than a linear model would",
            first,
            {"hidden_layers": len(hidden), "first_line": first.line, "last_line": hidden[-1].line,
             "output_activation": output_activation if isinstance(output_activation, str) else None},
            confidence=0.8,
            layer=first.name,
        )


VALID = [
    'import keras\nm = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), '
    'keras.layers.Dense(1)])\n',
    'from keras import layers\nimport keras\nm = keras.Sequential([layers.Dense(8), layers.Activation("relu"), '
    'layers.Dense(1)])\n',
    'from keras import layers\nimport keras\nm = keras.Sequential([layers.Dense(8), layers.ReLU(), layers.Dense(1)])\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(1)])\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(8), keras.layers.LSTM(4), keras.layers.Dense(1)])\n',
    'import keras\nm = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.MaxPooling2D(), '
    'keras.layers.Flatten(), keras.layers.Dense(1)])\n',
]
INVALID = [
    'import keras\nm = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(8), '
    'keras.layers.Dense(1)])\n',
    'from keras import layers\nimport keras\ni = keras.Input((4,))\nh = layers.Dense(16)(i)\nh = layers.Dropout(0.2)(h)\n'
    'o = layers.Dense(3, activation="softmax")(h)\nm = keras.Model(i, o)\n',
    'from tensorflow import keras\nm = keras.Sequential()\nm.add(keras.layers.Dense(8, activation=None))\n'
    'm.add(keras.layers.Dense(10))\nm.add(keras.layers.Activation("softmax"))\n',
]
