"""activity_regularizer: an L2 penalty on the outputs of hidden layers."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["activity_regularizer"]
apply = functools.partial(harness.apply, SPEC)
layer_at = harness.layer_at


def test_adds_l2_to_hidden_layers_of_a_sequential_list_but_not_the_output():
    before = dedent('''\
        import keras
        from keras import layers

        model = keras.Sequential([
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(1),
        ])
    ''')
    after = dedent('''\
        import keras
        from keras import layers

        model = keras.Sequential([
            layers.Dense(64, activation="relu", activity_regularizer=keras.regularizers.L2(0.0001)),
            layers.Dense(64, activation="relu", activity_regularizer=keras.regularizers.L2(0.0001)),
            layers.Dense(1),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits[1] == "line 6: added activity_regularizer=keras.regularizers.L2(0.0001) to Dense(64)"


def test_skips_the_last_layer_added_with_model_add_and_imports_l2_by_name():
    before = dedent('''\
        from keras.layers import Dense
        from keras.models import Sequential

        model = Sequential()
        for _ in range(2):
            model.add(Dense(32, activation="relu"))
        model.add(Dense(1, activation="sigmoid"))
    ''')
    after = dedent('''\
        from keras.layers import Dense
        from keras.models import Sequential
        from keras.regularizers import L2

        model = Sequential()
        for _ in range(2):
            model.add(Dense(32, activation="relu", activity_regularizer=L2(1e-05)))
        model.add(Dense(1, activation="sigmoid"))
    ''')
    assert apply(before, l2=1e-5).source == after


def test_skips_the_functional_output_with_tf_keras():
    before = dedent('''\
        import tensorflow as tf

        def build():
            inputs = tf.keras.Input(shape=(5,))
            x = tf.keras.layers.Conv1D(4, 3)(inputs)
            x = tf.keras.layers.Flatten()(x)
            x = tf.keras.layers.Dense(1)(x)
            return tf.keras.Model(inputs, x)
    ''')
    after = before.replace("Conv1D(4, 3)", "Conv1D(4, 3, activity_regularizer=tf.keras.regularizers.L2(0.0001))")
    assert apply(before).source == after


def test_target_chooses_a_subclassed_models_layer():
    before = dedent('''\
        from tensorflow import keras


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.a = keras.layers.Dense(8, activation="relu")
                self.b = keras.layers.Dense(8, activation="relu")
                self.out = keras.layers.Dense(1)

            def call(self, x):
                return self.out(self.b(self.a(x)))
    ''')
    outcome = apply(before, (layer_at(before, "keras.layers.Dense(8", occurrence=1),))
    assert outcome.source == before.replace(
        'self.b = keras.layers.Dense(8, activation="relu")',
        'self.b = keras.layers.Dense(8, activation="relu", activity_regularizer=keras.regularizers.L2(0.0001))',
    )


def test_declines_a_model_with_only_an_output_layer():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "no hidden Dense or Conv layer found"


def test_declines_a_layer_that_already_has_an_activity_regularizer():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, activity_regularizer="l1"), keras.layers.Dense(1)])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "line 3: Dense(8) left unchanged: it already sets activity_regularizer"
