"""dropout-before-batchnorm (MD407): Dropout directly followed by BatchNormalization (variance shift)."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.facts import DROPOUT_LAYERS, Script
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds


@static_check("dropout-before-batchnorm")
def dropout_before_batchnorm(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    for model in script.models:
        for before, after in zip(model.layers, model.layers[1:]):
            if before.call is None or before.kind not in DROPOUT_LAYERS or after.kind != "BatchNormalization":
                continue
            rate = before.call.arg("rate", 0)
            yield Hit(
                f"{before.kind} directly before BatchNormalization: in training BatchNormalization learns the "
                "variance of dropped-out activations, at inference Dropout is off and the variance shifts, "
                "so the normalized values are off and held-out accuracy drops",
                before.call,
                {"dropout_line": before.call.line, "batchnorm_line": after.call.line if after.call else None,
                 "rate": rate if isinstance(rate, int | float) else None},
                confidence=0.7,
                layer=before.call.name,
            )


VALID = [
    "import keras\nm = keras.Sequential([keras.layers.Dense(8), keras.layers.BatchNormalization(),"
    " keras.layers.Dropout(0.3), keras.layers.Dense(1)])\n",
]
INVALID = [
    "import keras\nm = keras.Sequential([keras.layers.Dense(8), keras.layers.Dropout(0.3),"
    " keras.layers.BatchNormalization(), keras.layers.Dense(1)])\n",
    "from keras.layers import Dense, Dropout, BatchNormalization\nfrom keras.models import Sequential\n"
    "m = Sequential()\nm.add(Dense(8))\nm.add(Dropout(0.3))\nm.add(BatchNormalization())\nm.add(Dense(1))\n",
]
