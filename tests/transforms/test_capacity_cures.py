"""Underfitting's cures: train_longer (with EarlyStopping), weaken_regularization, widen_layers, add_hidden_layer."""

from __future__ import annotations

from textwrap import dedent

import pytest
from records import fit

from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.transforms import available

import harness

TRANSFORMS = available()
SCRIPT = dedent('''\
    import keras

    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.fit(x, y, epochs=30, validation_split=0.2)
''')


def _underfitting(late: float) -> Finding:
    return Finding(code="MD203", name="underfitting", family=Family.GENERALIZATION, severity=Severity.WARNING,
                   confidence=0.7, message="m", evidence={"late_share_of_drop": late})


def test_train_longer_scales_the_epochs_and_stops_early():
    outcome = harness.apply(TRANSFORMS["train_longer"], SCRIPT, epochs=90, patience=5)
    assert outcome.source == SCRIPT.replace(
        "epochs=30, validation_split=0.2)",
        'epochs=90, validation_split=0.2, callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, '
        'restore_best_weights=True)])')
    no_validation = SCRIPT.replace(", validation_split=0.2", "")
    assert 'EarlyStopping(monitor="loss"' in harness.apply(TRANSFORMS["train_longer"], no_validation, epochs=90).source


def test_train_longer_only_when_the_loss_was_still_falling():
    spec, record = TRANSFORMS["train_longer"], fit([1.0, 0.9])
    record.fit_args.epochs = 30
    assert spec.absolute({"factor": 3.0}, record, _underfitting(0.12)) == {"epochs": 90}
    with pytest.raises(LookupError, match="the loss had stopped falling"):
        spec.absolute({"factor": 3.0}, record, _underfitting(0.01))


def test_widen_layers_widens_the_hidden_layers_to_an_absolute_width():
    outcome = harness.apply(TRANSFORMS["widen_layers"], SCRIPT, min_units=32)
    assert outcome.source == SCRIPT.replace("Dense(4,", "Dense(32,")
    assert outcome.edits == ("line 5: widened Dense(4) to 32",)
    assert "no hidden Dense or Conv layer" in harness.declined(TRANSFORMS["widen_layers"],
                                                               SCRIPT.replace("Dense(4,", "Dense(n,"), min_units=32)


def test_widen_layers_resolves_its_width_from_the_run():
    record = fit([1.0, 0.9])  # a hidden Dense(16) recorded, then the 10-unit output
    assert TRANSFORMS["widen_layers"].absolute({"factor": 4.0, "at_least": 32}, record, None) == {"min_units": 64}
    record.model.layers[0].units = 2  # a bottleneck: at least 32
    assert TRANSFORMS["widen_layers"].absolute({"factor": 4.0, "at_least": 32}, record, None) == {"min_units": 32}


def test_add_hidden_layer_copies_the_last_hidden_layer():
    outcome = harness.apply(TRANSFORMS["add_hidden_layer"], SCRIPT)
    assert outcome.source == SCRIPT.replace('    keras.layers.Dense(4, activation="relu"),\n',
                                            '    keras.layers.Dense(4, activation="relu"),\n' * 2)
    named = SCRIPT.replace('Dense(4, activation="relu")', 'Dense(4, activation="relu", name="hidden")')
    assert "sets name=, which a copy cannot share" in harness.declined(TRANSFORMS["add_hidden_layer"], named)


HEAVY = dedent('''\
    import keras

    rate = 0.5
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.L2(l2=0.01)),
        keras.layers.Dropout(0.5),  # heavy
        keras.layers.Dense(64, activation="relu", bias_regularizer=keras.regularizers.l1(1e-4)),
        keras.layers.Dropout(rate),
        keras.layers.Dense(10, activation="softmax", activity_regularizer=keras.regularizers.l1_l2(0.1, 0.02)),
    ])
''')


def test_weaken_regularization_caps_heavy_rates_and_factors_and_leaves_the_rest():
    outcome = harness.apply(TRANSFORMS["weaken_regularization"], HEAVY)
    assert outcome.source == (HEAVY.replace("L2(l2=0.01)", "L2(l2=0.005)")
                              .replace("Dropout(0.5),  # heavy", "Dropout(0.25),  # heavy")
                              .replace("l1_l2(0.1, 0.02)", "l1_l2(0.005, 0.005)"))
    assert outcome.edits == ("line 6: Dense(64): kernel_regularizer l2 0.01 -> 0.005",
                             "line 7: Dropout(0.5): rate 0.5 -> 0.25",
                             "line 10: Dense(10): activity_regularizer l1 0.1 -> 0.005; activity_regularizer l2 0.02 "
                             "-> 0.005")
    assert harness.apply(TRANSFORMS["weaken_regularization"], outcome.source).source == outcome.source


def test_weaken_regularization_declines_when_nothing_is_heavy():
    light = SCRIPT.replace('activation="relu")', 'activation="relu"),\n    keras.layers.Dropout(0.2)')
    assert "regularization is not what holds the loss up" in harness.declined(TRANSFORMS["weaken_regularization"],
                                                                              light)
