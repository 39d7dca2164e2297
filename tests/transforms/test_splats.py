"""Layer edits that reach real code: a splatted `**kwargs` followed to its dict literal, layers built in a loop
or a helper edited at their one construction site (the run's recorded location)."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

TRANSFORMS = available()
leaky = functools.partial(harness.apply, TRANSFORMS["swap_activation"], activation="leaky_relu",
                          initializer="he_normal")
regularize = functools.partial(harness.apply, TRANSFORMS["kernel_regularizer"])
auto_init = functools.partial(harness.apply, TRANSFORMS["initializer"], initializer="auto")
layer_at = harness.layer_at

# The dying-ReLU script: every hidden layer takes its arguments from one dict.
SHARED = dedent('''\
    import keras
    from keras import initializers, layers

    hidden = dict(activation="relu", bias_initializer=initializers.Constant(-4.0))
    model = keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Dense(64, **hidden),
        layers.Dense(64, **hidden),
        layers.Dense(1, activation="sigmoid"),
    ])
''')


def test_an_activation_swap_follows_the_splat_into_its_dict_call():
    outcome = leaky(SHARED)
    assert outcome.source == SHARED.replace(
        'hidden = dict(activation="relu", bias_initializer=initializers.Constant(-4.0))',
        'hidden = dict(activation="leaky_relu", bias_initializer=initializers.Constant(-4.0), '
        'kernel_initializer="he_normal")')
    assert outcome.edits == (
        "line 7: set activation='leaky_relu', kernel_initializer='he_normal' on Dense(64) "
        "(through **hidden, the dict at line 4)",
        "line 8: set activation='leaky_relu', kernel_initializer='he_normal' on Dense(64) "
        "(through **hidden, the dict at line 4)")


def test_the_run_targets_every_layer_that_splats_the_dict():
    targets = (layer_at(SHARED, "layers.Dense(64"), layer_at(SHARED, "layers.Dense(64", 1))
    assert leaky(SHARED, targets).source == leaky(SHARED).source


def test_a_dict_display_is_edited_in_its_own_layout():
    before = dedent('''\
        import keras

        hidden = {
            "activation": "relu",
            "use_bias": True,
        }
        model = keras.Sequential([
            keras.layers.Dense(32, **hidden),
            keras.layers.Dense(10, activation="softmax"),
        ])
    ''')
    after = dedent('''\
        import keras

        hidden = {
            "activation": "leaky_relu",
            "use_bias": True,
            "kernel_initializer": "he_normal",
        }
        model = keras.Sequential([
            keras.layers.Dense(32, **hidden),
            keras.layers.Dense(10, activation="softmax"),
        ])
    ''')
    assert leaky(before).source == after


def test_an_added_argument_goes_into_the_dict_and_the_calls_own_keywords_stay_in_the_call():
    before = dedent('''\
        import keras

        conv = dict(padding="same", activation="relu")


        def build():
            return keras.Sequential([
                keras.layers.Conv2D(filters=16, kernel_size=3, **conv),
                keras.layers.Conv2D(filters=32, kernel_size=3, **conv),
                keras.layers.Flatten(),
            ])
    ''')
    outcome = regularize(before)
    assert outcome.source == before.replace(
        'conv = dict(padding="same", activation="relu")',
        'conv = dict(padding="same", activation="relu", kernel_regularizer=keras.regularizers.L2(0.0001))')


def test_a_layers_own_keyword_is_edited_in_the_call_and_the_shared_one_in_the_dict():
    before = dedent('''\
        import keras

        init = {"kernel_initializer": "glorot_uniform"}
        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu", **init),
            keras.layers.Dense(64, activation="relu", **init),
        ])
    ''')
    assert auto_init(before).source == before.replace('"glorot_uniform"', '"he_normal"')


def test_declines_when_the_dict_is_also_used_by_something_the_edit_does_not_target():
    used = SHARED + "print(hidden)\n"
    why = harness.declined(TRANSFORMS["swap_activation"], used, activation="leaky_relu", initializer="he_normal")
    assert why == ("line 7: Dense(64) left unchanged: it takes **hidden, which is also used at line 11 by something "
                   "this edit does not target: edit `hidden` by hand, or write the arguments in each call")
    # the run says only the first layer is dying: changing the dict would change the second one too
    why = harness.declined(TRANSFORMS["swap_activation"], SHARED, (layer_at(SHARED, "layers.Dense(64"),),
                           activation="leaky_relu", initializer="he_normal")
    assert "it takes **hidden, which is also used at line 8" in why


def test_declines_when_the_splat_cannot_be_read():
    twice = SHARED.replace("model = ", 'hidden = dict(activation="relu")\nmodel = ')
    targets = (layer_at(twice, "layers.Dense(64"), layer_at(twice, "layers.Dense(64", 1))
    why = harness.declined(TRANSFORMS["swap_activation"], twice, targets, activation="leaky_relu",
                           initializer="he_normal")
    assert why.endswith("it takes **hidden, and `hidden` is bound 2 times in this file: the arguments it passes "
                        "cannot be read")
    built = SHARED.replace('hidden = dict(activation="relu", bias_initializer=initializers.Constant(-4.0))',
                           'hidden = make_args()')
    targets = (layer_at(built, "layers.Dense(64"), layer_at(built, "layers.Dense(64", 1))
    why = harness.declined(TRANSFORMS["kernel_regularizer"], built, targets)
    assert "`hidden` is not a dict(...) or {...} literal" in why
    param = dedent('''\
        import keras


        def block(units, **extra):
            return keras.layers.Dense(units, **extra)
    ''')
    why = harness.declined(TRANSFORMS["kernel_regularizer"], param)
    assert why == ("line 5: Dense(units) left unchanged: it takes **extra, and `extra` is not bound to a dict "
                   "literal in this file: the arguments it passes cannot be read")


def test_declines_when_the_layers_sharing_a_dict_would_need_different_changes():
    before = dedent('''\
        import keras

        init = dict(kernel_initializer="glorot_uniform")
        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu", **init),
            keras.layers.Dense(64, activation="tanh", **init),
        ])
    ''')
    why = harness.declined(TRANSFORMS["initializer"], before, initializer="auto")
    assert why == ("line 5: Dense(64) left unchanged: the layers sharing its **kwargs would need different "
                   "changes to them")


LOOP_AND_HELPER = dedent('''\
    import keras
    from keras import layers


    def block(units):
        return layers.Dense(units, activation="relu")


    model = keras.Sequential([keras.Input(shape=(20,))])
    for _ in range(3):
        model.add(layers.Dense(64, activation="relu"))
    model.add(block(32))
    model.add(layers.Dense(1, activation="sigmoid"))
''')


def test_layers_built_in_a_loop_or_a_helper_are_edited_at_their_one_construction_site():
    """The probe records one location for the three layers of the loop, and one for every block(): edited once."""
    targets = (layer_at(LOOP_AND_HELPER, "layers.Dense(64"), layer_at(LOOP_AND_HELPER, "layers.Dense(units"))
    outcome = leaky(LOOP_AND_HELPER, targets)
    assert outcome.source == LOOP_AND_HELPER.replace(
        'activation="relu")', 'activation="leaky_relu", kernel_initializer="he_normal")')
    assert outcome.edits == ("line 6: set activation='leaky_relu', kernel_initializer='he_normal' on Dense(units)",
                             "line 11: set activation='leaky_relu', kernel_initializer='he_normal' on Dense(64)")
