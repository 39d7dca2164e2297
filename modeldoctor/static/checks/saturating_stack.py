"""deep-saturating-stack (MD401): many sigmoid/tanh hidden layers in a row."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.facts import ACTIVATION_LAYERS, PASS_THROUGH, WEIGHT_LAYERS, KCall, Model, Script
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds
from modeldoctor.vocabulary import SATURATING


def _units(model: Model) -> list[tuple[KCall, object, int] | None]:
    """Weight layers with the activation they end up with; None where the chain breaks."""
    units: list[tuple[KCall, object, int] | None] = []
    for use in model.layers:
        kind = use.kind
        if use.call is not None and kind in WEIGHT_LAYERS:
            units.append((use.call, use.call.activation, use.repeat or 1))
        elif use.call is not None and kind in ACTIVATION_LAYERS and units and units[-1] is not None:
            layer, activation, repeat = units[-1]
            if activation == "linear":
                units[-1] = (layer, use.call.activation, repeat)
        elif kind in PASS_THROUGH:
            continue
        else:  # normalization, an unknown element, anything else: the gradient path changes
            units.append(None)
    return units


def _runs(model: Model) -> Iterator[list[tuple[KCall, object, int]]]:
    units = _units(model)
    if units and units[-1] is not None:
        units = units[:-1]  # the output layer: its activation is the task's, not a hidden choice
    run: list[tuple[KCall, object, int]] = []
    for unit in [*units, None]:
        if unit is not None and unit[1] in SATURATING:
            run.append(unit)
            continue
        if run:
            yield run
        run = []


@static_check("deep-saturating-stack", seen_at_run=("saturated-activations", "vanishing-gradients"))
def deep_saturating_stack(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    for model in script.models:
        for run in _runs(model):
            depth = sum(repeat for _, _, repeat in run)
            if depth < limits.saturating_stack_min:
                continue
            first = run[0][0]
            activations = sorted({str(a) for _, a, _ in run})
            yield Hit(
                f"{depth} consecutive {'/'.join(activations)} hidden layers: their derivatives (at most 0.25 "
                "for sigmoid, 1 for tanh) multiply through the stack, so the first layers get vanishing gradients",
                first,
                {"layers": depth, "activations": activations, "first_line": first.line, "last_line": run[-1][0].line},
                confidence=0.7,
                layer=first.name,
            )


VALID = [
    'import keras\nm = keras.Sequential([keras.layers.Dense(8, activation="tanh") for _ in range(3)]'
    ' + [keras.layers.Dense(1, activation="sigmoid")])\n',
    'import keras\nm = keras.Sequential()\nfor _ in range(6):\n    m.add(keras.layers.Dense(8, activation="tanh"))\n'
    '    m.add(keras.layers.BatchNormalization())\nm.add(keras.layers.Dense(1))\n',
    'import keras\nm = keras.Sequential([keras.layers.Dense(8, activation="relu") for _ in range(8)])\n',
]
INVALID = [
    'import keras\nm = keras.Sequential([keras.layers.Dense(64, activation="sigmoid") for _ in range(10)]'
    ' + [keras.layers.Dense(1)])\n',
    'from keras.layers import Dense\nfrom keras.models import Sequential\nm = Sequential()\n'
    'for _ in range(4):\n    m.add(Dense(8, activation="tanh"))\nm.add(Dense(1, activation="sigmoid"))\n',
    'from keras import layers\nimport keras\nx = inp = keras.Input((4,))\nfor _ in range(5):\n'
    '    x = layers.Dense(16)(x)\n    x = layers.Activation("sigmoid")(x)\nm = keras.Model(inp, layers.Dense(1)(x))\n',
]
