"""early_stopping: EarlyStopping(restore_best_weights=True) in fit, with a validation split when needed."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["early_stopping"]
STOP = 'EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)'
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined, SPEC)
target = harness.target_at


def test_adds_a_validation_split_and_the_callback_one_argument_per_line():
    before = dedent('''\
        import keras

        history = model.fit(
            x_train,
            y_train,
            epochs=200,
        )
    ''')
    after = dedent(f'''\
        import keras

        history = model.fit(
            x_train,
            y_train,
            epochs=200,
            validation_split=0.2,
            callbacks=[keras.callbacks.{STOP}],
        )
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (f"line 3: fit: added validation_split=0.2; added callbacks=[keras.callbacks.{STOP}]",)


def test_fit_with_validation_data_gets_only_the_callback():
    before = "from tensorflow import keras\nmodel.fit(x, y, validation_data=(xv, yv))\n"
    after = f"from tensorflow import keras\nmodel.fit(x, y, validation_data=(xv, yv), callbacks=[keras.callbacks.{STOP}])\n"
    assert apply(before).source == after


def test_a_dataset_with_validation_data_gets_the_callback():
    before = dedent('''\
        import tensorflow as tf

        train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
        model.fit(train_ds, validation_data=val_ds, callbacks=[checkpoint])
    ''')
    after = before.replace("callbacks=[checkpoint]", f"callbacks=[checkpoint, tf.keras.callbacks.{STOP}]")
    assert apply(before).source == after


def test_a_callbacks_variable_is_combined_with_the_callback():
    before = "from keras import callbacks\ncbs = [callbacks.CSVLogger('log.csv')]\nmodel.fit(x, y, validation_split=0.1, callbacks=cbs)\n"
    after = before.replace("callbacks=cbs)", f"callbacks=[*cbs, callbacks.{STOP}])")
    assert apply(before).source == after


def test_callback_imported_by_name():
    before = "from keras.callbacks import ModelCheckpoint\n\nmodel.fit(x, y, validation_split=0.1)\n"
    after = f"from keras.callbacks import EarlyStopping, ModelCheckpoint\n\nmodel.fit(x, y, validation_split=0.1, callbacks=[{STOP}])\n"
    assert apply(before).source == after


def test_monitoring_the_training_loss_needs_no_validation_split():
    before = "import keras\nmodel.fit(x, y)\n"
    after = (
        "import keras\nmodel.fit(x, y, callbacks=[keras.callbacks.EarlyStopping("
        'monitor="loss", patience=3, restore_best_weights=True)])\n'
    )
    assert apply(before, monitor="loss", patience=3).source == after


def test_with_fit_target_only_that_fit_changes():
    before = "import keras\nwarmup.fit(x, y, validation_split=0.1)\nmodel.fit(x, y, validation_split=0.1)\n"
    after = (
        "import keras\nwarmup.fit(x, y, validation_split=0.1)\n"
        f"model.fit(x, y, validation_split=0.1, callbacks=[keras.callbacks.{STOP}])\n"
    )
    assert apply(before, (target(before, "fit", "model.fit"),)).source == after


def test_declines_a_dataset_without_validation_data():
    before = "import keras\ntrain = keras.utils.image_dataset_from_directory('pets')\nmodel.fit(train, epochs=50)\n"
    reason = declined(before)
    assert "no validation data" in reason and "image_dataset_from_directory" in reason


def test_declines_when_early_stopping_is_already_there():
    before = dedent('''\
        import keras

        stop = keras.callbacks.EarlyStopping(patience=10)
        model.fit(x, y, validation_split=0.2, callbacks=[stop])
    ''')
    assert "already has an EarlyStopping" in declined(before)


def test_declines_a_zero_validation_split_when_validation_is_monitored():
    assert "validation_split is 0" in declined("import keras\nmodel.fit(x, y)\n", validation_split=0.0)


def test_declines_kwargs_unpacked_into_fit():
    assert "**kwargs" in declined("import keras\nmodel.fit(x, y, **options)\n")
