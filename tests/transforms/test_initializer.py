"""initializer: He for ReLU-family layers, Glorot for the others, or the initializer asked for."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["initializer"]
apply = functools.partial(harness.apply, SPEC)
layer_at = harness.layer_at


def test_auto_replaces_explicit_initializers_by_activation_in_a_sequential_list():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu", kernel_initializer=keras.initializers.RandomNormal(stddev=1e-4)),
            keras.layers.Dense(64, activation="tanh", kernel_initializer="zeros"),  # tiny
            keras.layers.Dense(64, activation="selu", kernel_initializer="ones"),
            keras.layers.Dense(1),
        ])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
            keras.layers.Dense(64, activation="tanh", kernel_initializer="glorot_uniform"),  # tiny
            keras.layers.Dense(64, activation="selu", kernel_initializer="lecun_normal"),
            keras.layers.Dense(1),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits[0] == "line 4: set kernel_initializer='he_normal' on Dense(64)"
    assert len(outcome.edits) == 3


def test_sets_the_given_initializer_on_layers_added_with_model_add():
    before = dedent('''\
        from keras.layers import Conv2D, Dense, Flatten
        from keras.models import Sequential

        model = Sequential()
        model.add(Conv2D(8, 3, activation="relu", kernel_initializer="random_normal"))
        model.add(Flatten())
        model.add(Dense(10, activation="softmax", kernel_initializer="random_normal"))
    ''')
    after = before.replace('"random_normal"', '"glorot_normal"')
    assert apply(before, initializer="glorot_normal").source == after


def test_targets_a_functional_tf_keras_layer_without_an_initializer():
    before = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(5,))
        x = tf.keras.layers.Dense(32, activation=tf.keras.activations.relu)(inputs)
        outputs = tf.keras.layers.Dense(1)(x)
        model = tf.keras.Model(inputs, outputs)
    ''')
    after = before.replace(
        "activation=tf.keras.activations.relu)(inputs)",
        'activation=tf.keras.activations.relu, kernel_initializer="he_normal")(inputs)',
    )
    outcome = apply(before, (layer_at(before, "tf.keras.layers.Dense(32"),))
    assert outcome.source == after
    assert outcome.edits == ("line 4: set kernel_initializer='he_normal' on Dense(32)",)


def test_sets_initializers_in_a_subclassed_model_built_with_from_tensorflow_import_keras():
    before = dedent('''\
        from tensorflow import keras


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.blocks = [keras.layers.Dense(16, activation="elu", kernel_initializer="zeros") for _ in range(3)]
                self.out = keras.layers.Dense(1, kernel_initializer="zeros")

            def call(self, x):
                for block in self.blocks:
                    x = block(x)
                return self.out(x)
    ''')
    after = before.replace(
        'activation="elu", kernel_initializer="zeros"', 'activation="elu", kernel_initializer="he_normal"'
    ).replace('Dense(1, kernel_initializer="zeros")', 'Dense(1, kernel_initializer="glorot_uniform")')
    assert apply(before).source == after


def test_keeps_the_files_single_quotes_when_adding_the_keyword():
    before = dedent('''\
        from keras import layers
        import keras

        x = keras.Input((3,), name='features')
        y = layers.Dense(4, activation='relu')(x)
    ''')
    after = before.replace("activation='relu')", "activation='relu', kernel_initializer='he_normal')")
    assert apply(before, (layer_at(before, "layers.Dense"),)).source == after


def test_declines_when_no_layer_sets_an_initializer():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined and "no layer sets kernel_initializer" in outcome.declined


def test_declines_auto_when_the_activation_is_a_variable():
    before = dedent('''\
        import keras

        act = "relu"
        model = keras.Sequential([keras.layers.Dense(8, activation=act, kernel_initializer="zeros")])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined and "`act` cannot be read" in outcome.declined


def test_declines_when_the_initializer_is_already_right():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, activation="relu", kernel_initializer="he_normal")])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined


def test_declines_a_target_layer_without_a_kernel():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8), keras.layers.Dropout(0.5)])
    ''')
    outcome = apply(before, (layer_at(before, "keras.layers.Dropout"),))
    assert outcome.source == before
    assert outcome.declined == "line 3: Dropout(0.5) left unchanged: setting the kernel_initializer does not apply to Dropout"


def test_sets_each_kernel_initializer_of_a_separable_convolution():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.SeparableConv2D(16, 3, activation="relu", depthwise_initializer="zeros"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1),
        ])
    ''')
    after = before.replace(
        'depthwise_initializer="zeros"', 'depthwise_initializer="he_normal", pointwise_initializer="he_normal"'
    )
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 4: set depthwise_initializer='he_normal', pointwise_initializer='he_normal' on SeparableConv2D(16)",
    )
