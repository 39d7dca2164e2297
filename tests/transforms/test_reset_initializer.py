"""reset_initializer: a negative constant bias back to zeros, a constant or zero kernel back to He/Glorot."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["reset_initializer"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined, SPEC)


def test_resets_the_negative_constant_bias_of_the_dying_layers_the_run_located():
    before = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(64,))
        h = layers.Dense(64, activation="relu", bias_initializer=keras.initializers.Constant(-3.0))(inputs)
        h = layers.Dense(64, activation="relu", bias_initializer=keras.initializers.Constant(value=-3))(h)
        outputs = layers.Dense(10, activation="softmax", bias_initializer=keras.initializers.Constant(0.1))(h)
    ''')
    targets = (harness.layer_at(before, "layers.Dense(64"), harness.layer_at(before, "layers.Dense(64", 1))
    outcome = apply(before, targets)
    assert outcome.source == before.replace('keras.initializers.Constant(-3.0)', '"zeros"').replace(
        'keras.initializers.Constant(value=-3)', '"zeros"')
    assert outcome.edits == ("line 5: reset bias_initializer='zeros' on Dense(64)",
                             "line 6: reset bias_initializer='zeros' on Dense(64)")


def test_resets_a_kernel_that_gives_every_unit_the_same_weights_by_the_layers_activation():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(32, activation="relu", kernel_initializer="zeros"),
            keras.layers.Dense(32, activation="tanh", kernel_initializer=keras.initializers.Constant(0.5)),
            keras.layers.Dense(1),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == before.replace('"zeros"', '"he_normal"').replace(
        'keras.initializers.Constant(0.5)', '"glorot_uniform"')


def test_declines_when_no_layer_starts_broken():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(32, activation="relu", bias_initializer="zeros"),
                                  keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(2.0))])
    ''')
    assert declined(before) == ("no layer sets a harmful initializer (a negative constant bias, "
                                "a constant or zero kernel)")
