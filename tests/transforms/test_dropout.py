"""dropout: insert Dropout(rate) after hidden layers, in every model style and Keras spelling."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available
from modeldoctor.transforms.engine.base import run
from modeldoctor.transforms.engine.base import remap_targets

import harness

SPEC = available()["dropout"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined_by_run, SPEC)
layer_at = harness.layer_at


def test_adds_dropout_after_hidden_layers_of_a_sequential_list():
    before = dedent('''\
        import keras

        model = keras.Sequential(
            [
                keras.Input(shape=(64,)),
                keras.layers.Dense(64, activation="relu"),  # wide
                # narrower
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential(
            [
                keras.Input(shape=(64,)),
                keras.layers.Dense(64, activation="relu"),  # wide
                keras.layers.Dropout(0.3),
                # narrower
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dropout(0.3),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 6: inserted Dropout(0.3) after Dense(64)",
        "line 8: inserted Dropout(0.3) after Dense(32)",
    )


def test_imports_dropout_by_name_and_keeps_a_list_without_trailing_comma():
    before = dedent('''\
        from keras.models import Sequential
        from keras.layers import Dense

        model = Sequential([
            Dense(64, activation="relu", input_shape=(8,)),
            Dense(1)
        ])
    ''')
    after = dedent('''\
        from keras.models import Sequential
        from keras.layers import Dropout, Dense

        model = Sequential([
            Dense(64, activation="relu", input_shape=(8,)),
            Dropout(0.3),
            Dense(1)
        ])
    ''')
    assert apply(before).source == after


def test_adds_dropout_to_a_one_line_list_with_tf_keras():
    before = dedent('''\
        import tensorflow as tf

        model = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu"), tf.keras.layers.Dense(1)])
    ''')
    after = dedent('''\
        import tensorflow as tf

        model = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu"), tf.keras.layers.Dropout(0.3), tf.keras.layers.Dense(1)])
    ''')
    assert apply(before).source == after


def test_adds_dropout_after_model_add_lines():
    before = dedent('''\
        from tensorflow import keras

        model = keras.Sequential()
        model.add(keras.Input(shape=(30,)))
        model.add(keras.layers.Dense(16, activation="relu"))  # hidden
        model.add(keras.layers.Dense(1, activation="sigmoid"))
    ''')
    after = dedent('''\
        from tensorflow import keras

        model = keras.Sequential()
        model.add(keras.Input(shape=(30,)))
        model.add(keras.layers.Dense(16, activation="relu"))  # hidden
        model.add(keras.layers.Dropout(0.3))
        model.add(keras.layers.Dense(1, activation="sigmoid"))
    ''')
    outcome = apply(before)
    assert outcome.source == after


def test_adds_dropout_to_functional_model():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(13,))
        x = layers.Dense(32, activation="relu")(inputs)
        hidden = layers.Dense(16, activation="relu")(x)
        outputs = layers.Dense(3, activation="softmax")(hidden)
        model = keras.Model(inputs=inputs, outputs=outputs)
    ''')
    after = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(13,))
        x = layers.Dense(32, activation="relu")(inputs)
        x = layers.Dropout(0.25)(x)
        hidden = layers.Dense(16, activation="relu")(x)
        hidden = layers.Dropout(0.25)(hidden)
        outputs = layers.Dense(3, activation="softmax")(hidden)
        model = keras.Model(inputs=inputs, outputs=outputs)
    ''')
    outcome = apply(before, rate=0.25)
    assert outcome.source == after
    assert outcome.edits[0] == "line 5: inserted Dropout(0.25) after Dense(32)"


def test_puts_dropout_after_the_layers_own_batch_normalization_and_activation():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(64),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dense(1),
        ])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(64),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 5: inserted Dropout(0.3) after Dense(64) and its BatchNormalization, Activation",)


def test_adds_dropout_inside_the_loop_that_adds_the_layers():
    before = dedent('''\
        import keras

        model = keras.Sequential()
        for units in (64, 32):
            model.add(keras.layers.Dense(units, activation="relu"))
        model.add(keras.layers.Dense(1))
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential()
        for units in (64, 32):
            model.add(keras.layers.Dense(units, activation="relu"))
            model.add(keras.layers.Dropout(0.3))
        model.add(keras.layers.Dense(1))
    ''')
    assert apply(before).source == after


def test_targets_only_the_layer_the_run_located():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1),
        ])
    ''')
    target = layer_at(before, "keras.layers.Dense(64", occurrence=1, class_name="Dense")
    outcome = apply(before, (target,))
    assert outcome.source == after
    assert outcome.edits == ("line 6: inserted Dropout(0.3) after Dense(64)",)


def test_targets_a_functional_layer_inside_a_helper_function():
    before = dedent('''\
        import keras
        from keras import layers


        def block(x, units):
            x = layers.Dense(units, activation="relu")(x)
            return x


        inputs = keras.Input(shape=(8,))
        outputs = layers.Dense(1)(block(inputs, 32))
        model = keras.Model(inputs, outputs)
    ''')
    after = dedent('''\
        import keras
        from keras import layers


        def block(x, units):
            x = layers.Dense(units, activation="relu")(x)
            x = layers.Dropout(0.3)(x)
            return x


        inputs = keras.Input(shape=(8,))
        outputs = layers.Dense(1)(block(inputs, 32))
        model = keras.Model(inputs, outputs)
    ''')
    assert apply(before, (layer_at(before, "layers.Dense(units"),)).source == after


def test_declines_a_target_that_is_the_output_layer():
    source = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1)])
    ''')
    reason = declined(source, (layer_at(source, "keras.layers.Dense(1)"),))
    assert reason == "Dense(1) at line 3 is the model's output layer: no Dropout goes after it"


def test_declines_a_target_that_no_longer_matches_the_run():
    source = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1)])
    ''')
    reason = declined(source, (layer_at(source, "keras.layers.Dense(8)", class_name="LSTM"),))
    assert "the run located a LSTM there" in reason


def test_declines_a_subclassed_model():
    source = dedent('''\
        import keras


        class Regressor(keras.Model):
            def __init__(self):
                super().__init__()
                self.hidden = keras.layers.Dense(32, activation="relu")
                self.out = keras.layers.Dense(1)

            def call(self, inputs):
                return self.out(self.hidden(inputs))


        model = Regressor()
    ''')
    assert "subclassed keras.Model (Regressor)" in declined(source)
    reason = declined(source, (layer_at(source, "keras.layers.Dense(32"),))
    assert reason.startswith("Dense(32) at line 7 is created inside class Regressor")


def test_declines_layers_from_a_helper_or_a_comprehension():
    source = dedent('''\
        import keras


        def dense(units):
            return keras.layers.Dense(units, activation="relu")


        model = keras.Sequential([dense(64)] + [keras.layers.Dense(u) for u in (32, 16)] + [keras.layers.Dense(1)])
    ''')
    helper = declined(source, (layer_at(source, "keras.layers.Dense(units"),))
    assert helper.startswith("Dense(units) at line 5 is returned by a helper function")
    comprehension = declined(source, (layer_at(source, "keras.layers.Dense(u)"),))
    assert "is created in a comprehension" in comprehension
    assert declined(source) == "no hidden Dense or Conv layer found (the output layer gets none)"


def test_declines_a_layer_applied_inside_another_call():
    source = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8,))
        outputs = layers.Dense(1)(layers.Dense(16)(inputs))
        model = keras.Model(inputs, outputs)
    ''')
    assert "is applied inside another call" in declined(source, (layer_at(source, "layers.Dense(16)"),))


def test_declines_when_dropout_already_follows():
    source = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1),
        ])
    ''')
    assert declined(source) == "Dense(64) at line 4 is already followed by Dropout"


def test_declines_a_file_without_a_keras_model():
    assert declined("import numpy as np\nx = np.zeros(3)\n") == "no Sequential or functional Keras model is built in this file"


def test_declines_a_rate_outside_zero_and_one():
    source = "import keras\nmodel = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1)])\n"
    assert declined(source, rate=1.5) == "parameter 'rate' must be between 0 and 1, got 1.5"


def test_applying_twice_with_the_same_targets_changes_nothing_more():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8,))
        x = layers.Dense(64, activation="relu")(inputs)
        x = layers.Dense(32, activation="relu")(x)
        outputs = layers.Dense(1)(x)
        model = keras.Model(inputs, outputs)
    ''')
    targets = (layer_at(before, "layers.Dense(64"), layer_at(before, "layers.Dense(32"))
    once = apply(before, targets)
    assert once.source.count("layers.Dropout(0.3)(x)") == 2
    assert run(SPEC, once.source, {}, targets).declined


def test_remapped_targets_find_their_layers_after_an_insertion():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8,))
        x = layers.Dense(64)(inputs)
        x = layers.Dense(48)(x)
        x = layers.Dense(32)(x)
        outputs = layers.Dense(1)(x)
        model = keras.Model(inputs, outputs)
    ''')
    targets = (layer_at(before, "layers.Dense(64)"), layer_at(before, "layers.Dense(32)"))
    once = run(SPEC, before, {}, targets)  # stale targets would now point at Dense(48): remap them
    moved = remap_targets(targets, before, once.source)
    assert [t.line for t in moved] == [5, 8]
    assert run(SPEC, once.source, {}, moved).source == once.source
    one_line = "import keras\nm = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(4), keras.layers.Dense(1)])\n"
    patched = apply(one_line, (layer_at(one_line, "keras.layers.Dense(8)"),)).source
    (moved_four,) = remap_targets((layer_at(one_line, "keras.layers.Dense(4)"),), one_line, patched)
    assert (moved_four.line, moved_four.column) == (2, patched.splitlines()[1].index("keras.layers.Dense(4)"))
