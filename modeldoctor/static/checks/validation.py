"""no-validation-data (MD403): `fit` with nothing held out, so generalization cannot be judged."""

from __future__ import annotations

from collections.abc import Iterator

from modeldoctor.static.facts import Script
from modeldoctor.static.registry import Hit, static_check
from modeldoctor.static.thresholds import StaticThresholds
from modeldoctor.static.values import MISSING, is_number


@static_check("no-validation-data")
def no_validation_data(script: Script, limits: StaticThresholds) -> Iterator[Hit]:
    evaluates = any(callee.endswith(".evaluate") for callee in script.callees())
    for fit in script.fits:
        split = fit.arg("validation_split", 6)
        data = fit.arg("validation_data", 7)
        no_split = split is MISSING or split is None or (is_number(split) and split == 0)
        if not no_split or not (data is MISSING or data is None):
            continue  # held-out data, or a value computed at run time (assumed to be some)
        later = " (the script evaluates afterwards, but cannot see when overfitting starts)" if evaluates else ""
        yield Hit(
            "fit has neither validation_data nor validation_split: nothing measures how the model does on "
            f"data it has not seen, so overfitting goes unnoticed{later}",
            fit,
            {"validation_data": None, "validation_split": None if split is MISSING else split},
            confidence=0.5 if evaluates else 0.9,
        )


VALID = [
    "import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss='mse')\n"
    "m.fit(x, y, epochs=5, validation_split=0.2)\n",
    "import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss='mse')\n"
    "m.fit(x, y, validation_data=(xv, yv))\n",
    "import keras\nfrom sklearn.preprocessing import StandardScaler\ns = StandardScaler()\ns.fit(x)\n",
    "import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss='mse')\nm.fit(x, y, **options)\n",
]
INVALID = [
    "import keras\nm = keras.Sequential([keras.layers.Dense(1)])\nm.compile(loss='mse')\nm.fit(x, y, epochs=5)\n",
    "import keras\ndef build():\n    m = keras.Sequential([keras.layers.Dense(1)])\n    return m\n"
    "model = build()\nmodel.compile(optimizer='adam', loss='mse')\nhistory = model.fit(x, y, validation_split=0.0)\n",
]
