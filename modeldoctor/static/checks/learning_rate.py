"""learning-rate-out-of-range (MD402): a literal learning rate far outside its optimizer's usual range."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.facts import Script
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds
from modeldoctor.static.values import is_number
from modeldoctor.vocabulary import DEFAULT_LEARNING_RATE, LEARNING_RATE, LEARNING_RATE_POSITION, LEGACY_LEARNING_RATE

# optimizer -> (far below, far above). The bounds are one to two orders of
# magnitude outside what tuning guides and the Keras docs use.
RANGES: dict[str, tuple[float, float]] = {
    "Adam": (1e-6, 0.1),
    "AdamW": (1e-6, 0.1),
    "Adamax": (1e-6, 0.1),
    "Nadam": (1e-6, 0.1),
    "RMSprop": (1e-6, 0.1),
    "Lion": (1e-7, 0.01),
    "Adagrad": (1e-5, 1.0),
    "Adafactor": (1e-6, 1.0),
    "Ftrl": (1e-5, 1.0),
    "SGD": (1e-5, 1.0),
    "Adadelta": (1e-5, 10.0),
}


@static_check("learning-rate-out-of-range",
              seen_at_run=("learning-rate-too-high", "learning-rate-too-low"))
def learning_rate_out_of_range(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    for call in script.calls:
        if not call.qualname.startswith("keras.optimizers.") or call.kind not in RANGES:
            continue
        node = call.arg_node(LEARNING_RATE, LEARNING_RATE_POSITION) or call.arg_node(LEGACY_LEARNING_RATE)
        rate = script.value(node)
        if node is None or not is_number(rate):
            continue
        (low, high), default = RANGES[call.kind], DEFAULT_LEARNING_RATE[call.kind]
        if low <= rate <= high:
            continue
        side = "above" if rate > high else "below"
        effect = (
            "each step overshoots: the loss oscillates, diverges or becomes NaN"
            if rate > high
            else "the weights hardly move: training stalls"
        )
        yield Hit(
            f"{call.kind}(learning_rate={rate:g}) is far {side} the usual range for {call.kind} "
            f"({low:g} to {high:g}; Keras's default is {default:g}): {effect}",
            node,
            {"optimizer": call.kind, "learning_rate": rate, "usual_range": [low, high], "keras_default": default},
            confidence=0.8,
        )


VALID = [
    "import keras\nopt = keras.optimizers.Adam(learning_rate=3e-4)\n",
    "import keras\nopt = keras.optimizers.SGD(0.1, momentum=0.9)\n",
    "import keras\nopt = keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9))\n",
]
INVALID = [
    "import keras\nopt = keras.optimizers.Adam(learning_rate=0.5)\n",
    "from tensorflow.keras.optimizers import SGD\nopt = SGD(learning_rate=5.0)\n",
    "import tensorflow as tf\nLR = 1e-8\nopt = tf.keras.optimizers.RMSprop(LR)\n",
]
