"""kernel_constraint: a max-norm bound on each unit's weights."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["kernel_constraint"]
apply = functools.partial(harness.apply, SPEC)
layer_at = harness.layer_at


def test_adds_max_norm_to_dense_layers_of_a_sequential_list():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(128, activation="relu", kernel_constraint=keras.constraints.MaxNorm(3.0)),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax", kernel_constraint=keras.constraints.MaxNorm(3.0)),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits[0] == "line 4: added kernel_constraint=keras.constraints.MaxNorm(3.0) to Dense(128)"


def test_imports_max_norm_by_name_for_model_add_with_names_imported():
    before = dedent('''\
        from tensorflow.keras.layers import Dense
        from tensorflow.keras.models import Sequential

        model = Sequential()
        model.add(Dense(16, activation="relu"))
        model.add(Dense(1))
    ''')
    after = dedent('''\
        from tensorflow.keras.layers import Dense
        from tensorflow.keras.models import Sequential
        from tensorflow.keras.constraints import MaxNorm

        model = Sequential()
        model.add(Dense(16, activation="relu", kernel_constraint=MaxNorm(2.0)))
        model.add(Dense(1, kernel_constraint=MaxNorm(2.0)))
    ''')
    assert apply(before, max_value=2.0).source == after


def test_targets_one_functional_layer_with_tf_keras():
    before = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(5,))
        x = tf.keras.layers.Dense(32, activation="relu")(inputs)
        x = tf.keras.layers.Dense(32, activation="relu")(x)
        model = tf.keras.Model(inputs, tf.keras.layers.Dense(1)(x))
    ''')
    target = layer_at(before, "tf.keras.layers.Dense(32", occurrence=1)
    outcome = apply(before, (target,))
    assert outcome.source == before.replace(
        'Dense(32, activation="relu")(x)',
        'Dense(32, activation="relu", kernel_constraint=tf.keras.constraints.MaxNorm(3.0))(x)',
    )
    assert outcome.edits == ("line 5: added kernel_constraint=tf.keras.constraints.MaxNorm(3.0) to Dense(32)",)


def test_edits_a_subclassed_model_and_a_layer_built_in_a_loop():
    before = dedent('''\
        from tensorflow import keras


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.stack = [keras.layers.Dense(16, activation="relu") for _ in range(3)]

            def call(self, x):
                for layer in self.stack:
                    x = layer(x)
                return x
    ''')
    after = before.replace(
        'Dense(16, activation="relu")', 'Dense(16, activation="relu", kernel_constraint=keras.constraints.MaxNorm(3.0))'
    )
    assert apply(before).source == after


def test_declines_a_layer_that_already_has_a_constraint():
    before = dedent('''\
        from keras import layers, constraints

        layer = layers.Dense(8, kernel_constraint=constraints.NonNeg())
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "line 3: Dense(8) left unchanged: it already sets kernel_constraint"


def test_bounds_each_kernel_of_a_separable_convolution_but_not_an_embedding():
    before = dedent('''\
        from keras import layers

        embed = layers.Embedding(1000, 16)
        conv = layers.SeparableConv1D(32, 5, activation="relu")
    ''')
    after = before.replace(
        'activation="relu")',
        'activation="relu", depthwise_constraint=keras.constraints.MaxNorm(3.0), '
        "pointwise_constraint=keras.constraints.MaxNorm(3.0))",
    ).replace("from keras import layers\n", "from keras import layers\nimport keras\n")
    targets = (layer_at(before, "layers.Embedding("), layer_at(before, "layers.SeparableConv1D("))
    outcome = apply(before, targets)
    assert outcome.source == after
    assert len(outcome.edits) == 1
    alone = apply(before, targets[:1])
    assert alone.source == before
    assert alone.declined == "line 3: Embedding(1000) left unchanged: adding a kernel_constraint does not apply to Embedding"
