"""high-dropout-rate (MD405): a Dropout layer that drops most of its inputs."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.facts import DROPOUT_LAYERS, Script
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds
from modeldoctor.static.values import is_number


@static_check("high-dropout-rate")
def high_dropout_rate(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    for call in script.layers(*DROPOUT_LAYERS):
        rate = call.arg("rate", 0)
        if not is_number(rate) or rate <= limits.dropout_rate_max:
            continue
        if rate >= 1:
            why = "a rate of 1 or more drops every unit (Keras rejects it)"
        else:
            why = (f"it drops {rate:.0%} of the units at every step, so the next layer sees only "
                   f"{1 - rate:.0%} of its inputs and the model struggles to fit even the training data. "
                   "`rate` is the fraction dropped, not kept (TensorFlow 1's keep_prob was the opposite)")
        yield Hit(
            f"{call.kind}(rate={rate:g}): {why}",
            call.arg_node("rate", 0) or call.node,
            {"layer": call.kind, "rate": rate, "max_rate": limits.dropout_rate_max},
            confidence=0.8,
            layer=call.name,
        )


VALID = [
    "import keras\nd = keras.layers.Dropout(0.5)\n",
    "from keras import layers\nd = layers.Dropout(rate=0.2)\n",
    "import keras\nd = keras.layers.Dropout(rate)\n",
]
INVALID = [
    "import keras\nd = keras.layers.Dropout(0.8)\n",
    "from tensorflow.keras.layers import Dropout\nd = Dropout(rate=0.9)\n",
    "import tensorflow as tf\nd = tf.keras.layers.SpatialDropout2D(0.6)\n",
]
