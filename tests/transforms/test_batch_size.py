"""batch_size: an absolute batch size in `fit`; datasets and generators are declined."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["batch_size"]
# `batch_size` defaults to 64; a test may pass another.
apply = functools.partial(harness.apply, SPEC, batch_size=64)
declined = functools.partial(harness.declined, SPEC, batch_size=64)
target = harness.target_at


def test_batch_size_is_added_to_fit_on_arrays():
    before = "import keras\n\nmodel.fit(x_train, y_train, epochs=10)\n"
    after = "import keras\n\nmodel.fit(x_train, y_train, epochs=10, batch_size=64)\n"
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 3: fit: added batch_size=64",)


def test_existing_batch_size_is_changed_one_argument_per_line():
    before = dedent('''\
        from tensorflow import keras

        history = model.fit(
            x_train,
            y_train,
            batch_size=32,  # small
            epochs=10,
        )
    ''')
    after = before.replace("batch_size=32,", "batch_size=64,")
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 3: fit: batch_size=32 -> 64",)


def test_batch_size_is_added_before_the_closing_parenthesis_on_its_own_line():
    before = dedent('''\
        import tensorflow as tf

        model.fit(
            x_train,
            y_train
        )
    ''')
    after = dedent('''\
        import tensorflow as tf

        model.fit(
            x_train,
            y_train,
            batch_size=64
        )
    ''')
    assert apply(before).source == after


def test_positional_batch_size_is_changed_in_place():
    before = "import keras\nmodel.fit(x, y, 32, 10)\n"
    assert apply(before).source == "import keras\nmodel.fit(x, y, 64, 10)\n"


def test_batch_size_variable_is_changed_where_it_is_assigned():
    before = dedent('''\
        import keras

        batch_size = 128  # per step
        model.fit(x_train, y_train, batch_size=batch_size, epochs=3)
        model.evaluate(x_test, y_test, batch_size=batch_size)
    ''')
    after = before.replace("batch_size = 128", "batch_size = 64")
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 3: batch_size = 128 -> 64 (the batch_size of fit, line 4)",)


def test_with_fit_target_only_that_fit_changes():
    before = "import keras\npretrain.fit(x, y, epochs=1)\nmodel.fit(x, y, epochs=5)\n"
    after = "import keras\npretrain.fit(x, y, epochs=1)\nmodel.fit(x, y, epochs=5, batch_size=64)\n"
    assert apply(before, (target(before, "fit", "model.fit"),)).source == after


def test_other_libraries_fit_calls_are_left_alone():
    before = dedent('''\
        import keras
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler()
        scaler.fit(x_train, y_train)
        model.fit(x_train, y_train)
    ''')
    after = before.replace("model.fit(x_train, y_train)", "model.fit(x_train, y_train, batch_size=64)")
    assert apply(before).source == after


def test_declines_a_tf_data_dataset():
    before = dedent('''\
        import tensorflow as tf

        train = tf.data.Dataset.from_tensor_slices((x, y))
        train = train.shuffle(1000).batch(32)
        model.fit(train, epochs=3)
    ''')
    reason = declined(before)
    assert "tf.data.Dataset.from_tensor_slices" in reason and "dataset" in reason


def test_declines_a_dataset_from_a_directory_unpacked_in_a_tuple():
    before = dedent('''\
        import keras

        train_images, val_images = keras.utils.image_dataset_from_directory("pets", subset="both", validation_split=0.2)
        model.fit(train_images, epochs=3, validation_data=val_images)
    ''')
    assert "image_dataset_from_directory" in declined(before)


def test_declines_a_generator_passed_without_targets():
    before = "import keras\ndef train(model, train_gen):\n    model.fit(train_gen, epochs=3)\n"
    assert "dataset or generator" in declined(before)


def test_declines_an_unknown_x_without_y():
    assert "no y" in declined("import keras\nmodel.fit(make_data(), epochs=3)\n")


def test_declines_a_computed_batch_size():
    assert "bs * 2" in declined("import keras\nmodel.fit(x, y, batch_size=bs * 2)\n")


def test_declines_a_batch_size_variable_assigned_twice():
    before = "import keras\nbs = 32\nif big:\n    bs = 256\nmodel.fit(x, y, batch_size=bs)\n"
    assert "assigned 2 times" in declined(before)


def test_declines_kwargs_unpacked_into_fit():
    assert "**kwargs" in declined("import keras\nmodel.fit(x, y, **fit_args)\n")


def test_declines_without_a_batch_size():
    assert "absolute batch_size" in declined("import keras\nmodel.fit(x, y)\n", batch_size=None)


def test_numpy_arrays_built_with_repeat_are_not_mistaken_for_datasets():
    before = "import numpy as np\nimport keras\nx = np.repeat(x, 3, axis=0)\nmodel.fit(x, y)\n"
    assert apply(before).source == before.replace("model.fit(x, y)", "model.fit(x, y, batch_size=64)")
