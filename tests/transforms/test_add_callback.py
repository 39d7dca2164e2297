"""add_callback: TerminateOnNaN or ReduceLROnPlateau added to fit's callbacks, never twice."""

from __future__ import annotations

import functools
from textwrap import dedent

import pytest

from modeldoctor.transforms import available

import harness

SPEC = available()["add_callback"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined, SPEC)
target = harness.target_at


@pytest.mark.parametrize(
    ("imports", "name"),
    [
        ("import keras", "keras.callbacks.TerminateOnNaN"),
        ("from tensorflow import keras", "keras.callbacks.TerminateOnNaN"),
        ("import tensorflow as tf", "tf.keras.callbacks.TerminateOnNaN"),
        ("from keras import callbacks", "callbacks.TerminateOnNaN"),
    ],
)
def test_callbacks_list_is_created_in_each_import_spelling(imports: str, name: str):
    before = f"{imports}\n\nmodel.fit(x, y, epochs=3)\n"
    after = f"{imports}\n\nmodel.fit(x, y, epochs=3, callbacks=[{name}()])\n"
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (f"line 3: fit: added callbacks=[{name}()]",)


def test_callback_classes_imported_by_name_import_the_new_one():
    before = "from keras.callbacks import ModelCheckpoint\n\nmodel.fit(x, y, callbacks=[ModelCheckpoint('m.keras')])\n"
    after = (
        "from keras.callbacks import TerminateOnNaN, ModelCheckpoint\n\n"
        "model.fit(x, y, callbacks=[ModelCheckpoint('m.keras'), TerminateOnNaN()])\n"
    )
    assert apply(before).source == after


def test_appended_to_a_literal_list_one_callback_per_line():
    before = dedent('''\
        import keras

        model.fit(
            x,
            y,
            callbacks=[
                keras.callbacks.ModelCheckpoint("best.keras"),  # keep the best
            ],
        )
    ''')
    after = dedent('''\
        import keras

        model.fit(
            x,
            y,
            callbacks=[
                keras.callbacks.ModelCheckpoint("best.keras"),  # keep the best
                keras.callbacks.TerminateOnNaN(),
            ],
        )
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 3: fit: appended keras.callbacks.TerminateOnNaN() to callbacks",)


def test_a_callbacks_variable_is_combined_with_the_new_callback():
    before = dedent('''\
        import keras

        callbacks = [keras.callbacks.ModelCheckpoint("best.keras")]
        model.fit(x, y, callbacks=callbacks)
    ''')
    after = before.replace("callbacks=callbacks)", "callbacks=[*callbacks, keras.callbacks.TerminateOnNaN()])")
    assert apply(before).source == after


def test_callbacks_none_becomes_a_list():
    before = "import keras\nmodel.fit(x, y, callbacks=None)\n"
    assert apply(before).source == "import keras\nmodel.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])\n"


def test_a_callbacks_expression_is_parenthesized_when_combined():
    before = "import keras\nmodel.fit(x, y, callbacks=base + extra)\n"
    after = "import keras\nmodel.fit(x, y, callbacks=[*(base + extra), keras.callbacks.TerminateOnNaN()])\n"
    assert apply(before).source == after


def test_a_callbacks_tuple_gets_the_new_callback():
    before = "import keras\nmodel.fit(x, y, callbacks=(checkpoint,))\n"
    after = "import keras\nmodel.fit(x, y, callbacks=(checkpoint, keras.callbacks.TerminateOnNaN(),))\n"
    assert apply(before).source == after


def test_reduce_lr_on_plateau_monitors_val_loss_when_fit_validates():
    before = "import keras\nmodel.fit(x, y, validation_split=0.1)\n"
    after = (
        "import keras\nmodel.fit(x, y, validation_split=0.1, callbacks=[keras.callbacks.ReduceLROnPlateau("
        'monitor="val_loss", factor=0.5, patience=3)])\n'
    )
    assert apply(before, callback="ReduceLROnPlateau").source == after


def test_reduce_lr_on_plateau_monitors_loss_without_validation_and_takes_kwargs():
    before = "import keras\nmodel.fit(x, y)\n"
    after = (
        "import keras\nmodel.fit(x, y, callbacks=[keras.callbacks.ReduceLROnPlateau("
        'monitor="loss", factor=0.2, patience=3, min_lr=1e-06)])\n'
    )
    assert apply(before, callback="ReduceLROnPlateau", kwargs={"factor": 0.2, "min_lr": 1e-6}).source == after


def test_with_fit_target_only_that_fit_changes():
    before = "import keras\nwarmup.fit(x, y)\nmodel.fit(x, y)\n"
    after = "import keras\nwarmup.fit(x, y)\nmodel.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])\n"
    assert apply(before, (target(before, "fit", "model.fit"),)).source == after


def test_declines_when_the_callback_is_already_in_the_list():
    before = "import keras\nmodel.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])\n"
    assert "already has a TerminateOnNaN" in declined(before)


def test_declines_when_the_callback_is_already_in_the_variable_list():
    before = dedent('''\
        import keras

        stop = keras.callbacks.ReduceLROnPlateau(patience=20)
        callbacks = [keras.callbacks.ModelCheckpoint("m.keras"), stop]
        model.fit(x, y, callbacks=callbacks)
    ''')
    assert "already has a ReduceLROnPlateau" in declined(before, callback="ReduceLROnPlateau")


def test_declines_an_unknown_callback():
    assert "unknown callback" in declined("import keras\nmodel.fit(x, y)\n", callback="CSVLogger")


def test_declines_kwargs_unpacked_into_fit():
    assert "**kwargs" in declined("import keras\nmodel.fit(x, y, **options)\n")
