"""swap_activation: sigmoid/tanh on hidden layers become ReLU-family with a He initializer."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.ftypes import Target
from modeldoctor.transforms import available

import harness

SPEC = available()["swap_activation"]
apply = functools.partial(harness.apply, SPEC)
layer_at = harness.layer_at


def test_swaps_hidden_sigmoids_in_sequential_list_but_not_the_output():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, activation="sigmoid"),
            keras.layers.Dense(64, activation="tanh"),  # second block
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy")
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
            keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal"),  # second block
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy")
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 4: set activation='relu', kernel_initializer='he_normal' on Dense(64)",
        "line 5: set activation='relu', kernel_initializer='he_normal' on Dense(64)",
    )


def test_swaps_layers_added_with_model_add_and_imported_by_name():
    before = dedent('''\
        from keras.layers import Dense
        from keras.models import Sequential

        model = Sequential()
        model.add(Dense(32, activation="tanh", input_shape=(8,)))
        model.add(Dense(32, activation="tanh"))
        model.add(Dense(3, activation="softmax"))
    ''')
    after = dedent('''\
        from keras.layers import Dense
        from keras.models import Sequential

        model = Sequential()
        model.add(Dense(32, activation="relu", input_shape=(8,), kernel_initializer="he_normal"))
        model.add(Dense(32, activation="relu", kernel_initializer="he_normal"))
        model.add(Dense(3, activation="softmax"))
    ''')
    assert apply(before).source == after


def test_swaps_functional_layers_with_tf_keras_but_not_the_model_output():
    before = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(10,))
        x = tf.keras.layers.Dense(16, activation=tf.keras.activations.sigmoid)(inputs)
        x = tf.keras.layers.Dense(16, activation=tf.nn.tanh)(x)
        outputs = tf.keras.layers.Dense(1, activation="tanh")(x)
        model = tf.keras.Model(inputs, outputs)
    ''')
    after = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(10,))
        x = tf.keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal")(inputs)
        x = tf.keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal")(x)
        outputs = tf.keras.layers.Dense(1, activation="tanh")(x)
        model = tf.keras.Model(inputs, outputs)
    ''')
    assert apply(before).source == after


def test_swaps_a_layer_built_in_a_helper_called_in_a_loop():
    before = dedent('''\
        from tensorflow import keras


        def block(x, units):
            x = keras.layers.Dense(units, activation="sigmoid")(x)
            return keras.layers.Dropout(0.2)(x)


        def build():
            inputs = keras.Input(shape=(4,))
            x = inputs
            for units in (64, 32, 16):
                x = block(x, units)
            outputs = keras.layers.Dense(1, activation="sigmoid")(x)
            return keras.Model(inputs, outputs)
    ''')
    after = before.replace(
        'Dense(units, activation="sigmoid")', 'Dense(units, activation="relu", kernel_initializer="he_normal")'
    )
    assert apply(before).source == after


def test_swaps_subclassed_model_layers_and_keeps_the_layer_call_returns():
    before = dedent('''\
        import keras
        from keras import layers


        class Classifier(keras.Model):
            def __init__(self):
                super().__init__()
                self.head = layers.Dense(1, activation="sigmoid")
                self.hidden = layers.Dense(32, activation="sigmoid")

            def call(self, inputs):
                return self.head(self.hidden(inputs))
    ''')
    after = before.replace(
        'Dense(32, activation="sigmoid")', 'Dense(32, activation="relu", kernel_initializer="he_normal")'
    )
    assert apply(before).source == after


def test_leaky_relu_replaces_an_existing_initializer_and_keeps_a_multiline_layout():
    before = dedent('''\
        import keras
        from keras import layers

        model = keras.Sequential(
            [
                layers.Conv2D(
                    16,
                    3,
                    activation="tanh",  # saturates
                    kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
                ),
                layers.Flatten(),
                layers.Dense(10, activation="softmax"),
            ]
        )
    ''')
    after = dedent('''\
        import keras
        from keras import layers

        model = keras.Sequential(
            [
                layers.Conv2D(
                    16,
                    3,
                    activation="leaky_relu",  # saturates
                    kernel_initializer="he_normal",
                ),
                layers.Flatten(),
                layers.Dense(10, activation="softmax"),
            ]
        )
    ''')
    assert apply(before, activation="leaky_relu").source == after


def test_adds_the_initializer_on_its_own_line_after_a_commented_last_argument():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(
                64,
                activation="sigmoid"  # hidden
            ),
            keras.layers.Dense(1),
        ])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(
                64,
                activation="relu",  # hidden
                kernel_initializer="he_normal"
            ),
            keras.layers.Dense(1),
        ])
    ''')
    assert apply(before).source == after


def test_keeps_single_quotes_and_a_positional_activation():
    before = dedent('''\
        from keras import layers, models

        model = models.Sequential([layers.Dense(8, 'tanh'), layers.Dense(1)])
    ''')
    after = dedent('''\
        from keras import layers, models

        model = models.Sequential([layers.Dense(8, 'relu', kernel_initializer='he_normal'), layers.Dense(1)])
    ''')
    assert apply(before).source == after


def test_swaps_a_hidden_activation_layer_without_an_initializer():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64),
            keras.layers.Activation("sigmoid"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == before.replace('Activation("sigmoid")', 'Activation("relu")')
    assert outcome.edits == ("line 5: set activation='relu' on Activation(\"sigmoid\")",)


def test_with_a_target_edits_only_that_layer_even_without_an_activation():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(4,))
        x = layers.Dense(8, activation="sigmoid")(inputs)
        x = layers.Dense(8)(x)
        outputs = layers.Dense(1)(x)
        model = keras.Model(inputs, outputs)
    ''')
    target = layer_at(before, "layers.Dense(8)")
    outcome = apply(before, (target,))
    assert outcome.source == before.replace(
        "layers.Dense(8)(x)", 'layers.Dense(8, activation="relu", kernel_initializer="he_normal")(x)'
    )
    assert outcome.edits == ("line 6: set activation='relu', kernel_initializer='he_normal' on Dense(8)",)


def test_declines_a_target_that_is_the_model_output():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    ''')
    outcome = apply(before, (layer_at(before, "keras.layers.Dense(1"),))
    assert outcome.source == before
    assert "output layer" in (outcome.declined or "")


def test_declines_an_activation_passed_in_a_variable():
    before = dedent('''\
        import keras


        def block(x, act):
            return keras.layers.Dense(16, activation=act)(x)


        inputs = keras.Input(shape=(3,))
        model = keras.Model(inputs, keras.layers.Dense(1)(block(inputs, "tanh")))
    ''')
    outcome = apply(before, (layer_at(before, "keras.layers.Dense"),))
    assert outcome.source == before
    assert "`act`" in (outcome.declined or "")


def test_follows_a_layers_unpacked_keyword_arguments_to_their_dict():
    """The activation written in the call is changed there, the initializer in the dict it unpacks (test_splats.py)."""
    before = dedent('''\
        import keras

        common = {"kernel_initializer": "glorot_normal"}
        model = keras.Sequential([keras.layers.Dense(8, activation="tanh", **common), keras.layers.Dense(1)])
    ''')
    outcome = apply(before)
    assert outcome.source == before.replace('"glorot_normal"', '"he_normal"').replace('"tanh"', '"relu"')


def test_declines_when_no_hidden_layer_saturates():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "no hidden layer uses sigmoid or tanh"  # relu is what was asked for


def test_leaky_relu_also_replaces_hidden_relus_without_targets():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(16,))
        x = layers.Dense(64, activation="relu")(inputs)
        x = layers.Dense(64, activation="leaky_relu")(x)
        outputs = layers.Dense(1, activation="relu")(x)
        model = keras.Model(inputs, outputs)
    ''')
    outcome = apply(before, activation="leaky_relu")
    assert outcome.source == before.replace(
        'Dense(64, activation="relu")', 'Dense(64, activation="leaky_relu", kernel_initializer="he_normal")'
    )
    assert outcome.edits == ("line 5: set activation='leaky_relu', kernel_initializer='he_normal' on Dense(64)",)
    assert apply(outcome.source, activation="leaky_relu").declined == "no hidden layer uses sigmoid, tanh or relu"


def test_declines_a_target_that_is_not_a_keras_layer():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    ''')
    outcome = apply(before, (Target(kind="layer", line=3, column=0),))
    assert outcome.source == before
    assert outcome.declined == "no Keras layer constructor at line 3, column 0"


def test_declines_a_target_whose_recorded_class_differs_from_the_source():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    ''')
    moved = Target(kind="layer", line=3, column=26, class_name="Conv2D")
    outcome = apply(before, (moved,))
    assert outcome.source == before
    assert outcome.declined == "line 3: the run saw a Conv2D here, the source has Dense: was the file edited since?"
    assert apply(before, (Target(kind="layer", line=3, column=26, class_name="Dense"),)).changed


def test_declines_a_file_without_keras():
    outcome = apply("import torch\n\nlayer = torch.nn.Linear(3, 4)\n")
    assert not outcome.changed
    assert "no Keras layer" in (outcome.declined or "")
