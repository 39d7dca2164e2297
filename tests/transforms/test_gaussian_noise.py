"""gaussian_noise: GaussianNoise(stddev) right after the model's input, in every model style and spelling."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.ftypes import Target
from modeldoctor.transforms import available

import harness

SPEC = available()["gaussian_noise"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined_by_run, SPEC)


def target_at(source: str, needle: str, kind: str = "model", occurrence: int = 0) -> Target:
    return harness.target_at(source, kind, needle, occurrence)


def test_adds_noise_after_the_input_of_a_sequential_list():
    before = dedent('''\
        import keras

        model = keras.Sequential(
            [
                keras.Input(shape=(64,)),  # pixels
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.fit(x, y)
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential(
            [
                keras.Input(shape=(64,)),  # pixels
                keras.layers.GaussianNoise(0.1),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.fit(x, y)
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 3: inserted GaussianNoise(0.1) after the model's input",)


def test_adds_noise_after_the_input_add_line():
    before = dedent('''\
        from tensorflow import keras

        model = keras.Sequential()
        model.add(keras.Input(shape=(30,)))
        model.add(keras.layers.Dense(16, activation="relu"))
        model.add(keras.layers.Dense(1, activation="sigmoid"))
    ''')
    after = dedent('''\
        from tensorflow import keras

        model = keras.Sequential()
        model.add(keras.Input(shape=(30,)))
        model.add(keras.layers.GaussianNoise(0.05))
        model.add(keras.layers.Dense(16, activation="relu"))
        model.add(keras.layers.Dense(1, activation="sigmoid"))
    ''')
    assert apply(before, stddev=0.05).source == after


def test_rewires_the_first_consumer_of_a_functional_input():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(13,))
        hidden = layers.Dense(32, activation="relu")(inputs)
        outputs = layers.Dense(3, activation="softmax")(hidden)
        model = keras.Model(inputs, outputs)
    ''')
    after = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(13,))
        noisy_inputs = layers.GaussianNoise(0.1)(inputs)
        hidden = layers.Dense(32, activation="relu")(noisy_inputs)
        outputs = layers.Dense(3, activation="softmax")(hidden)
        model = keras.Model(inputs, outputs)
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 7: inserted GaussianNoise(0.1) after the model's input",)


def test_goes_after_a_leading_rescaling_layer():
    before = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(28, 28, 1))
        x = tf.keras.layers.Rescaling(1.0 / 255)(inputs)
        x = tf.keras.layers.Conv2D(32, 3, activation="relu")(x)
        x = tf.keras.layers.Flatten()(x)
        outputs = tf.keras.layers.Dense(10, activation="softmax")(x)
        model = tf.keras.Model(inputs=inputs, outputs=outputs)
    ''')
    after = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(28, 28, 1))
        x = tf.keras.layers.Rescaling(1.0 / 255)(inputs)
        noisy_inputs = tf.keras.layers.GaussianNoise(0.1)(x)
        x = tf.keras.layers.Conv2D(32, 3, activation="relu")(noisy_inputs)
        x = tf.keras.layers.Flatten()(x)
        outputs = tf.keras.layers.Dense(10, activation="softmax")(x)
        model = tf.keras.Model(inputs=inputs, outputs=outputs)
    ''')
    assert apply(before).source == after


def test_moves_input_shape_onto_the_new_first_layer_and_imports_by_name():
    before = dedent('''\
        from keras.models import Sequential
        from keras.layers import Dense

        model = Sequential([
            Dense(64, activation="relu", input_shape=(8,)),
            Dense(1),
        ])
    ''')
    after = dedent('''\
        from keras.models import Sequential
        from keras.layers import GaussianNoise, Dense

        model = Sequential([
            GaussianNoise(0.1, input_shape=(8,)),
            Dense(64, activation="relu"),
            Dense(1),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 4: inserted GaussianNoise(0.1) after the model's input (moved input_shape=(8,) onto it)",)


def test_appends_to_an_input_only_list_keeping_its_comment_on_its_line():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(4,))  # features
        ])
        model.add(keras.layers.Dense(1))
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(4,)),  # features
            keras.layers.GaussianNoise(0.1)
        ])
        model.add(keras.layers.Dense(1))
    ''')
    assert apply(before).source == after


def test_adds_noise_only_to_the_model_the_run_located():
    before = dedent('''\
        import keras

        augment = keras.Sequential([keras.layers.RandomFlip("horizontal")])
        first = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1)])
        second = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1)])
    ''')
    after = dedent('''\
        import keras

        augment = keras.Sequential([keras.layers.RandomFlip("horizontal")])
        first = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1)])
        second = keras.Sequential([keras.layers.GaussianNoise(0.1), keras.layers.Dense(8), keras.layers.Dense(1)])
    ''')
    targets = (target_at(before, "keras.Sequential", occurrence=2), target_at(before, "second", kind="fit"))
    assert apply(before, targets).source == after
    assert apply(before).source.count("GaussianNoise") == 2  # static: both trained models, not the augmenter


def test_declines_a_model_with_several_inputs():
    source = dedent('''\
        import keras

        a = keras.Input(shape=(3,))
        b = keras.Input(shape=(3,))
        x = keras.layers.Concatenate()([a, b])
        out = keras.layers.Dense(1)(x)
        model = keras.Model([a, b], out)
    ''')
    assert declined(source) == "the model at line 7 has several inputs (`[a, b]`): add the GaussianNoise by hand"


def test_declines_when_the_input_feeds_several_layers():
    source = dedent('''\
        import keras

        inputs = keras.Input(shape=(3,))
        h = keras.layers.Dense(8)(inputs)
        skip = keras.layers.Dense(8)(inputs)
        out = keras.layers.Dense(1)(keras.layers.Add()([h, skip]))
        model = keras.Model(inputs=inputs, outputs=out)
    ''')
    assert declined(source) == (
        "the model at line 7: `inputs` is used in several places (lines 4, 5), add the GaussianNoise by hand"
    )


def test_rewires_an_input_copied_before_a_loop_but_declines_one_used_inside_it():
    copied = dedent('''\
        import keras

        inputs = keras.Input(shape=(4,))
        x = inputs
        for units in (8, 4):
            x = keras.layers.Dense(units)(x)
        model = keras.Model(inputs, x)
    ''')
    patched = apply(copied).source
    assert "noisy_inputs = keras.layers.GaussianNoise(0.1)(inputs)\nx = noisy_inputs\n" in patched
    looped = dedent('''\
        import keras

        inputs = keras.Input(shape=(4,))
        for units in (8, 4):
            x = keras.layers.Dense(units)(inputs)
        model = keras.Model(inputs, x)
    ''')
    assert declined(looped) == (
        "the model at line 6: `inputs` is used inside a loop (line 5), add the GaussianNoise by hand"
    )


def test_declines_when_the_first_layer_is_added_in_a_loop():
    source = dedent('''\
        import keras

        model = keras.Sequential()
        for units in (64, 32):
            model.add(keras.layers.Dense(units))
    ''')
    assert "its first layer is added inside a loop" in declined(source)


def test_declines_a_subclassed_model():
    source = dedent('''\
        import keras


        class Net(keras.Model):
            def call(self, inputs):
                return inputs


        model = Net()
        model.fit(x, y)
    ''')
    reason = declined(source, (target_at(source, "Net()"),))
    assert reason.startswith("the model is a subclassed keras.Model (Net)")
    assert declined(source).startswith("the model is a subclassed keras.Model (Net)")


def test_declines_when_noise_is_already_there():
    source = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.GaussianNoise(0.2), keras.layers.Dense(1)])
    ''')
    assert declined(source) == "the model at line 3 already starts with GaussianNoise"


def test_declines_a_non_positive_stddev():
    source = "import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
    assert declined(source, stddev=0.0) == "parameter 'stddev' must be above 0, got 0.0"
