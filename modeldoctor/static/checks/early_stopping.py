"""no-early-stopping (MD404): a long `fit` with no EarlyStopping callback."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.facts import Script
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds
from modeldoctor.static.values import is_number


def _stops_itself(script: Script) -> bool:
    """A custom callback that sets `model.stop_training` does early stopping of its own."""
    return "stop_training" in script.source


@static_check("no-early-stopping", seen_at_run=("overfitting",))
def no_early_stopping(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    if _stops_itself(script):
        return
    for fit in script.fits:
        epochs = fit.arg("epochs", 3)
        if not is_number(epochs) or epochs < limits.no_early_stopping_epochs:
            continue
        if fit.callbacks is None or None in fit.callbacks or "EarlyStopping" in fit.callbacks:
            continue  # unknown callbacks may stop training; say nothing rather than guess
        yield Hit(
            f"fit runs {epochs} epochs with no EarlyStopping callback: training goes on after the validation "
            "loss stops improving, and the final weights are those of the last epoch, not the best one",
            fit.arg_node("epochs", 3) or fit.node,
            {"epochs": epochs, "callbacks": list(fit.callbacks)},
            confidence=0.7,
        )


VALID = [
    "import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss='mse')\nm.fit(x, y, epochs=20)\n",
    "import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss='mse')\n"
    "es = keras.callbacks.EarlyStopping(patience=5)\nm.fit(x, y, epochs=500, callbacks=[es])\n",
    "import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss='mse')\n"
    "m.fit(x, y, epochs=500, callbacks=make_callbacks())\n",
]
INVALID = [
    "import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss='mse')\n"
    "m.fit(x, y, epochs=200, validation_split=0.2)\n",
    "from tensorflow.keras.callbacks import ModelCheckpoint\nimport tensorflow as tf\n"
    "m = tf.keras.Sequential([tf.keras.layers.Dense(1)])\nm.compile(loss='mse')\n"
    "m.fit(x, y, epochs=100, callbacks=[ModelCheckpoint('m.keras')])\n",
]
