"""batch_normalization: insert BatchNormalization() right after hidden layers, in every model style and spelling."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["batch_normalization"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined_by_run, SPEC)
layer_at = harness.layer_at


def test_adds_batch_normalization_after_hidden_layers_of_a_sequential_list():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(64, activation="tanh"),
            keras.layers.Dense(64, activation="tanh"),  # second
            keras.layers.Dense(1, activation="sigmoid"),
        ])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(64, activation="tanh"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(64, activation="tanh"),  # second
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 5: inserted BatchNormalization() after Dense(64)",
        "line 6: inserted BatchNormalization() after Dense(64)",
    )


def test_adds_batch_normalization_after_model_add_lines():
    before = dedent('''\
        from tensorflow import keras

        model = keras.Sequential()
        model.add(keras.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)))
        model.add(keras.layers.MaxPooling2D())
        model.add(keras.layers.Flatten())
        model.add(keras.layers.Dense(1, activation="sigmoid"))
    ''')
    after = dedent('''\
        from tensorflow import keras

        model = keras.Sequential()
        model.add(keras.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)))
        model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.MaxPooling2D())
        model.add(keras.layers.Flatten())
        model.add(keras.layers.Dense(1, activation="sigmoid"))
    ''')
    assert apply(before).source == after


def test_adds_batch_normalization_to_functional_model():
    before = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(8,))
        h = tf.keras.layers.Dense(16, activation="tanh")(inputs)
        outputs = tf.keras.layers.Dense(1)(h)
        model = tf.keras.Model(inputs, outputs)
    ''')
    after = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(8,))
        h = tf.keras.layers.Dense(16, activation="tanh")(inputs)
        h = tf.keras.layers.BatchNormalization()(h)
        outputs = tf.keras.layers.Dense(1)(h)
        model = tf.keras.Model(inputs, outputs)
    ''')
    assert apply(before).source == after


def test_imports_batch_normalization_by_name():
    before = dedent('''\
        from keras import Sequential
        from keras.layers import Dense

        model = Sequential([Dense(16, activation="tanh"), Dense(1)])
    ''')
    after = dedent('''\
        from keras import Sequential
        from keras.layers import BatchNormalization, Dense

        model = Sequential([Dense(16, activation="tanh"), BatchNormalization(), Dense(1)])
    ''')
    assert apply(before).source == after


def test_goes_between_the_layer_and_its_dropout():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8,))
        x = layers.Dense(16, activation="tanh")(inputs)
        x = layers.Dropout(0.2)(x)
        outputs = layers.Dense(1)(x)
        model = keras.Model(inputs, outputs)
    ''')
    after = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8,))
        x = layers.Dense(16, activation="tanh")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Dropout(0.2)(x)
        outputs = layers.Dense(1)(x)
        model = keras.Model(inputs, outputs)
    ''')
    assert apply(before).source == after


def test_targets_only_the_saturated_layer():
    before = dedent('''\
        import keras

        model = keras.Sequential()
        model.add(keras.layers.Dense(64, activation="relu"))
        model.add(keras.layers.Dense(64, activation="tanh"))
        model.add(keras.layers.Dense(1))
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential()
        model.add(keras.layers.Dense(64, activation="relu"))
        model.add(keras.layers.Dense(64, activation="tanh"))
        model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.Dense(1))
    ''')
    outcome = apply(before, (layer_at(before, 'keras.layers.Dense(64, activation="tanh")'),))
    assert outcome.source == after
    assert outcome.edits == ("line 5: inserted BatchNormalization() after Dense(64)",)


def test_splits_off_the_activation_of_the_layer_feeding_a_softmax_output():
    before = dedent('''\
        from keras import layers, models

        model = models.Sequential([
            layers.Input(shape=(64,)),
            layers.Dense(64, activation="tanh", kernel_initializer="he_normal"),
            layers.Dense(10, activation="softmax"),
        ])
    ''')
    after = dedent('''\
        from keras import layers, models

        model = models.Sequential([
            layers.Input(shape=(64,)),
            layers.Dense(64, kernel_initializer="he_normal"),
            layers.BatchNormalization(),
            layers.Activation("tanh"),
            layers.Dense(10, activation="softmax"),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        'line 5: moved the activation "tanh" of Dense(64) into an Activation layer and inserted '
        "BatchNormalization() between them (Dense(64) feeds the softmax output)",
    )


def test_imports_activation_by_name_when_splitting_it_off():
    before = dedent('''\
        import keras
        from keras.layers import Dense

        inputs = keras.Input(shape=(8,))
        x = Dense(16, activation="tanh")(inputs)
        outputs = Dense(3, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
    ''')
    after = dedent('''\
        import keras
        from keras.layers import Dense

        inputs = keras.Input(shape=(8,))
        x = Dense(16)(inputs)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("tanh")(x)
        outputs = Dense(3, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
    ''')
    assert apply(before).source == after


def test_declines_a_linear_layer_feeding_a_softmax_output():
    source = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(64,)),
            keras.layers.Dense(64),
            keras.layers.Dense(10, activation="softmax"),
        ])
    ''')
    assert declined(source) == (
        "Dense(64) at line 5 feeds the softmax output Dense(10) directly: no BatchNormalization goes there"
    )


def test_declines_when_a_normalization_already_follows():
    source = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, activation="tanh"),
            keras.layers.LayerNormalization(),
            keras.layers.Dense(1),
        ])
    ''')
    assert declined(source) == "Dense(64) at line 4 is already followed by LayerNormalization"


def test_declines_a_subclassed_model():
    source = dedent('''\
        import keras


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.hidden = keras.layers.Dense(32, activation="tanh")

            def call(self, inputs):
                return self.hidden(inputs)
    ''')
    assert "subclassed keras.Model (Net)" in declined(source)
    assert "is created inside class Net" in declined(source, (layer_at(source, "keras.layers.Dense"),))


def test_declines_a_layer_sharing_its_line():
    source = dedent('''\
        import keras

        model = keras.Sequential()
        model.add(keras.layers.Dense(8)); model.add(keras.layers.Dense(1))
    ''')
    assert "shares its line with other code" in declined(source, (layer_at(source, "keras.layers.Dense(8)"),))
