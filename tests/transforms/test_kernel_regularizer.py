"""kernel_regularizer: L2 weight penalty on Dense/Conv layers, in the file's own Keras spelling."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["kernel_regularizer"]
apply = functools.partial(harness.apply, SPEC)
layer_at = harness.layer_at


def test_adds_l2_to_every_dense_layer_of_a_sequential_list():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(64, activation="relu"),  # wide
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.L2(0.0001)),  # wide
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=keras.regularizers.L2(0.0001)),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 5: added kernel_regularizer=keras.regularizers.L2(0.0001) to Dense(64)",
        "line 7: added kernel_regularizer=keras.regularizers.L2(0.0001) to Dense(1)",
    )


def test_imports_l2_by_name_when_layers_are_imported_by_name():
    before = dedent('''\
        from keras.layers import Conv2D, Dense, Flatten
        from keras.models import Sequential

        model = Sequential()
        model.add(Conv2D(8, 3, activation="relu"))
        model.add(Flatten())
        model.add(Dense(10, activation="softmax"))
    ''')
    after = dedent('''\
        from keras.layers import Conv2D, Dense, Flatten
        from keras.models import Sequential
        from keras.regularizers import L2

        model = Sequential()
        model.add(Conv2D(8, 3, activation="relu", kernel_regularizer=L2(0.001)))
        model.add(Flatten())
        model.add(Dense(10, activation="softmax", kernel_regularizer=L2(0.001)))
    ''')
    assert apply(before, l2=0.001).source == after


def test_uses_tf_keras_in_a_functional_model():
    before = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(5,))
        x = tf.keras.layers.Dense(32, activation="relu")(inputs)
        outputs = tf.keras.layers.Dense(1)(x)
        model = tf.keras.Model(inputs=inputs, outputs=outputs)
    ''')
    after = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(5,))
        x = tf.keras.layers.Dense(32, activation="relu", kernel_regularizer=tf.keras.regularizers.L2(1e-05))(inputs)
        outputs = tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.L2(1e-05))(x)
        model = tf.keras.Model(inputs=inputs, outputs=outputs)
    ''')
    assert apply(before, l2=1e-5).source == after


def test_edits_a_layer_built_in_a_helper_called_in_a_loop_with_from_tensorflow_import_keras():
    before = dedent('''\
        from tensorflow import keras
        from tensorflow.keras import layers


        def block(x, units):
            return layers.Dense(
                units,
                activation="relu",
            )(x)


        inputs = keras.Input(shape=(8,))
        x = inputs
        for units in (64, 32):
            x = block(x, units)
        model = keras.Model(inputs, layers.Dense(1)(x))
    ''')
    target = layer_at(before, "layers.Dense(")
    after = before.replace(
        '        activation="relu",\n',
        '        activation="relu",\n        kernel_regularizer=keras.regularizers.L2(0.0001),\n',
    )
    outcome = apply(before, (target,))
    assert outcome.source != before
    assert outcome.source == after
    assert outcome.edits == ("line 6: added kernel_regularizer=keras.regularizers.L2(0.0001) to Dense(units)",)


def test_edits_subclassed_model_layers_assigned_in_init_with_from_keras_import_layers():
    before = dedent('''\
        import keras
        from keras import layers


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.hidden = layers.Conv1D(filters=8, kernel_size=3)
                self.out = layers.Dense(1)

            def call(self, x):
                return self.out(self.hidden(x))
    ''')
    after = before.replace(
        "Conv1D(filters=8, kernel_size=3)", "Conv1D(filters=8, kernel_size=3, kernel_regularizer=keras.regularizers.L2(0.0001))"
    ).replace("Dense(1)", "Dense(1, kernel_regularizer=keras.regularizers.L2(0.0001))")
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits[0] == "line 8: added kernel_regularizer=keras.regularizers.L2(0.0001) to Conv1D(8)"


def test_regularizes_each_kernel_of_separable_and_depthwise_convolutions_under_its_own_name():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            keras.layers.SeparableConv2D(16, 3, activation="relu"),
            keras.layers.DepthwiseConv2D(3),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            keras.layers.SeparableConv2D(16, 3, activation="relu", depthwise_regularizer=keras.regularizers.L2(0.0001), pointwise_regularizer=keras.regularizers.L2(0.0001)),
            keras.layers.DepthwiseConv2D(3, depthwise_regularizer=keras.regularizers.L2(0.0001)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax", kernel_regularizer=keras.regularizers.L2(0.0001)),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits[0] == (
        "line 5: added depthwise_regularizer=keras.regularizers.L2(0.0001), "
        "pointwise_regularizer=keras.regularizers.L2(0.0001) to SeparableConv2D(16)"
    )
    assert outcome.edits[1] == "line 6: added depthwise_regularizer=keras.regularizers.L2(0.0001) to DepthwiseConv2D(3)"


def test_leaves_a_separable_convolution_whole_when_one_of_its_kernels_is_regularized():
    before = dedent('''\
        from keras import layers, regularizers

        conv = layers.SeparableConv1D(8, 3, pointwise_regularizer=regularizers.L1(0.01))
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "line 3: SeparableConv1D(8) left unchanged: it already sets pointwise_regularizer"


def test_regularizes_the_embeddings_of_an_embedding_layer_the_run_names():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Embedding(10000, 64),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
    ''')
    outcome = apply(before, (layer_at(before, "keras.layers.Embedding(", class_name="Embedding"),))
    assert outcome.source == before.replace(
        "Embedding(10000, 64)", "Embedding(10000, 64, embeddings_regularizer=keras.regularizers.L2(0.0001))"
    )


def test_skips_with_a_warning_a_layer_that_already_has_a_regularizer():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, kernel_regularizer=keras.regularizers.L1(0.01)),
            keras.layers.Dense(1),
        ])
    ''')
    outcome = apply(before)
    assert outcome.source == before.replace(
        "keras.layers.Dense(1)", "keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.0001))"
    )
    assert len(outcome.edits) == 1


def test_declines_when_every_layer_already_has_one():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(1, kernel_regularizer="l2")])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "line 3: Dense(1) left unchanged: it already sets kernel_regularizer"


def test_declines_a_layer_that_passes_too_many_positional_arguments():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, "relu", True, "he_normal", "zeros", None)])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined and "positional" in outcome.declined


def test_declines_a_file_without_dense_or_conv_layers():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dropout(0.2)])
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "no Dense or Conv layer found"


def test_joins_arguments_written_on_one_continuation_line_before_their_comment():
    before = dedent('''\
        import keras

        inputs = keras.Input(shape=(8,))
        outputs = keras.layers.Dense(
            10, activation="softmax", name="head"  # 10 classes
        )(inputs)
        model = keras.Model(inputs, outputs)
    ''')
    after = dedent('''\
        import keras

        inputs = keras.Input(shape=(8,))
        outputs = keras.layers.Dense(
            10, activation="softmax", name="head", kernel_regularizer=keras.regularizers.L2(0.0001)  # 10 classes
        )(inputs)
        model = keras.Model(inputs, outputs)
    ''')
    assert apply(before).source == after
