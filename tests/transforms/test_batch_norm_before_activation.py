"""batch_norm_before_activation: Dense(64, activation="relu") -> Dense(64), BatchNormalization(), Activation("relu")."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["batch_norm_before_activation"]
apply = functools.partial(harness.apply, SPEC)


def test_moves_the_activation_after_a_new_batch_normalization_in_a_functional_model():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(64,))
        h = layers.Dense(64, activation="relu")(inputs)  # dying
        outputs = layers.Dense(10, activation="softmax")(h)
        model = keras.Model(inputs, outputs)
    ''')
    after = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(64,))
        h = layers.Dense(64)(inputs)  # dying
        h = layers.BatchNormalization()(h)
        h = layers.Activation("relu")(h)
        outputs = layers.Dense(10, activation="softmax")(h)
        model = keras.Model(inputs, outputs)
    ''')
    outcome = apply(before, (harness.layer_at(before, "layers.Dense(64"),))
    assert outcome.source == after
    assert outcome.edits == ('line 5: moved the activation "relu" of Dense(64) into an Activation layer after a new '
                             'BatchNormalization()',)


def test_leaves_a_layer_whose_activation_is_not_in_its_call():
    before = dedent('''\
        import keras

        hidden = dict(activation="relu")
        model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(16, **hidden), keras.layers.Dense(1)])
    ''')
    reason = harness.declined(SPEC, before)
    assert reason.endswith("has no activation written in its call to put BatchNormalization before")
