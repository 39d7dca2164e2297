"""fix_loss_activation: the loss, the output activation and the labels must tell the same story."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.ftypes import Target
from modeldoctor.transforms import available

import harness

SPEC = available()["fix_loss_activation"]
apply = functools.partial(harness.apply, SPEC)


def at(source: str, needle: str, kind: str, occurrence: int = 0) -> Target:
    return harness.target_at(source, kind, needle, occurrence)


# (a) logits: no output activation, a cross-entropy that expects probabilities


def test_logits_output_gets_a_from_logits_loss_object_in_a_sequential_model():
    before = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),  # logits
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ''')
    after = dedent('''\
        import keras

        model = keras.Sequential([
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),  # logits
        ])
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 7: changed loss `\"sparse_categorical_crossentropy\"` to "
        "`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`: the output has no activation: it produces logits",
    )


def test_logits_output_keeps_the_loss_objects_other_arguments_with_tf_keras():
    before = dedent('''\
        import tensorflow as tf

        inputs = tf.keras.Input(shape=(4,))
        outputs = tf.keras.layers.Dense(3, activation="linear")(inputs)
        model = tf.keras.Model(inputs, outputs)
        model.compile(
            optimizer="adam",
            loss=tf.keras.losses.CategoricalCrossentropy(label_smoothing=0.1, from_logits=False),
        )
    ''')
    after = before.replace("from_logits=False", "from_logits=True")
    assert apply(before).source == after


def test_logits_output_imports_the_loss_class_when_layers_are_imported_by_name():
    before = dedent('''\
        from keras.layers import Dense
        from keras.models import Sequential

        model = Sequential()
        model.add(Dense(16, activation="relu"))
        model.add(Dense(1))
        model.compile("adam", "binary_crossentropy")
    ''')
    after = dedent('''\
        from keras.layers import Dense
        from keras.models import Sequential
        from keras.losses import BinaryCrossentropy

        model = Sequential()
        model.add(Dense(16, activation="relu"))
        model.add(Dense(1))
        model.compile("adam", BinaryCrossentropy(from_logits=True))
    ''')
    assert apply(before).source == after


def test_logits_output_with_labels_one_hot_switches_to_the_categorical_loss():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(5)])
        model.compile(loss="sparse_categorical_crossentropy")
    ''')
    after = before.replace(
        'loss="sparse_categorical_crossentropy"', "loss=keras.losses.CategoricalCrossentropy(from_logits=True)"
    )
    assert apply(before, labels="one_hot").source == after


# (b) softmax with binary cross-entropy


def test_softmax_with_binary_crossentropy_becomes_sparse_categorical_with_model_add():
    before = dedent('''\
        from tensorflow.keras.layers import Dense
        from tensorflow.keras.models import Sequential

        model = Sequential()
        model.add(Dense(64, activation="relu"))
        model.add(Dense(10, activation="softmax"))
        model.compile(optimizer="adam", loss='binary_crossentropy')
    ''')
    after = before.replace("loss='binary_crossentropy'", "loss='sparse_categorical_crossentropy'")
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 7: changed loss `'binary_crossentropy'` to `'sparse_categorical_crossentropy'`: "
        "a softmax over several classes needs a categorical loss",
    )


def test_softmax_with_binary_crossentropy_and_one_hot_labels_becomes_categorical():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(4, activation="softmax")])
        model.compile(loss="binary_crossentropy")
    ''')
    assert apply(before, labels="one_hot").source == before.replace("binary_crossentropy", "categorical_crossentropy")


def test_keras_loss_aliases_are_read_like_the_names_they_stand_for():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
        model.compile(loss="bce")
    ''')
    assert apply(before).source == before.replace('"bce"', '"sparse_categorical_crossentropy"')


def test_softmax_over_two_units_with_binary_labels_becomes_sparse_categorical():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(2, activation="softmax")])
        model.compile(loss="binary_crossentropy")
    ''')
    outcome = apply(before, labels="binary")
    assert outcome.source == before.replace("binary_crossentropy", "sparse_categorical_crossentropy")


def test_logits_over_one_unit_with_a_categorical_loss_become_binary_from_logits():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(loss="sparse_categorical_crossentropy")
    ''')
    after = before.replace(
        'loss="sparse_categorical_crossentropy"', "loss=keras.losses.BinaryCrossentropy(from_logits=True)"
    )
    assert apply(before).source == after


def test_logits_with_binary_crossentropy_and_sparse_labels_over_many_classes_become_sparse_categorical():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(10)])
        model.compile(loss="binary_crossentropy")
    ''')
    after = before.replace(
        'loss="binary_crossentropy"', "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)"
    )
    assert apply(before, labels="sparse").source == after
    multi_label = apply(before)  # labels unknown: several independent logits is a valid reading
    assert multi_label.source == before.replace(
        'loss="binary_crossentropy"', "loss=keras.losses.BinaryCrossentropy(from_logits=True)"
    )


def test_softmax_over_one_unit_becomes_a_sigmoid():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="softmax")])
        model.compile(loss="binary_crossentropy")
    ''')
    after = before.replace('Dense(1, activation="softmax")', 'Dense(1, activation="sigmoid")')
    assert apply(before).source == after


# (c) sigmoid with mean squared error for classes


def test_sigmoid_with_mse_becomes_binary_crossentropy_in_a_subclassed_model():
    before = dedent('''\
        import keras
        from keras import layers


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.hidden = layers.Dense(8, activation="relu")
                self.out = layers.Dense(1, activation="sigmoid")

            def call(self, x):
                x = self.hidden(x)
                return self.out(x)


        model = Net()
        model.compile(optimizer="adam", loss="mean_squared_error")
    ''')
    after = before.replace('loss="mean_squared_error"', 'loss="binary_crossentropy"')
    assert apply(before).source == after


def test_sigmoid_with_mse_on_many_units_needs_labels_binary():
    before = dedent('''\
        import keras

        inputs = keras.Input(shape=(784,))
        x = keras.layers.Dense(32, activation="relu")(inputs)
        outputs = keras.layers.Dense(784, activation="sigmoid")(x)
        autoencoder = keras.Model(inputs, outputs)
        autoencoder.compile(optimizer="adam", loss="mse")
    ''')
    declined = apply(before)
    assert declined.source == before
    assert declined.declined == (
        "line 7: a sigmoid output with mse on 784 units may be a regression onto [0, 1]: "
        "pass labels='binary' to use binary_crossentropy"
    )
    assert apply(before, labels="binary").source == before.replace('loss="mse"', 'loss="binary_crossentropy"')


# (d) sigmoid with a categorical loss


def test_sigmoid_with_sparse_categorical_becomes_softmax_in_a_builder_function():
    before = dedent('''\
        from tensorflow import keras
        from tensorflow.keras import layers


        def build(num_classes=3):
            inputs = keras.Input(shape=(4,))
            x = layers.Dense(16, activation="relu")(inputs)
            outputs = layers.Dense(num_classes, activation="sigmoid")(x)
            return keras.Model(inputs, outputs)


        model = build()
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy())
    ''')
    after = before.replace('Dense(num_classes, activation="sigmoid")', 'Dense(num_classes, activation="softmax")')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 8: set activation='softmax' on Dense(num_classes): "
        "a categorical loss expects a probability distribution over the classes",
    )


def test_sigmoid_over_one_unit_with_sparse_categorical_becomes_binary_crossentropy():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
        model.compile(loss="sparse_categorical_crossentropy")
    ''')
    assert apply(before).source == before.replace("sparse_categorical_crossentropy", "binary_crossentropy")


# probabilities given to a loss that expects logits


def test_softmax_output_with_from_logits_true_sets_it_false():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(3, activation=keras.activations.softmax)])
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ''')
    assert apply(before).source == before.replace("from_logits=True", "from_logits=False")


# targets


def test_targets_name_the_output_layer_and_the_compile_call():
    before = dedent('''\
        import keras

        encoder = keras.Sequential([keras.layers.Dense(8, activation="relu")])
        head = keras.layers.Dense(10)
        model = keras.Sequential([encoder, head])
        model.compile(loss="categorical_crossentropy")
    ''')
    targets = (at(before, "keras.layers.Dense(10)", "layer"), at(before, "model.compile", "compile"))
    after = before.replace(
        'loss="categorical_crossentropy"', "loss=keras.losses.CategoricalCrossentropy(from_logits=True)"
    )
    assert apply(before, targets).source == after


def test_a_layer_target_picks_the_compile_of_its_own_model():
    before = dedent('''\
        import keras

        a = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
        a.compile(loss="mse")
        b = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
        b.compile(loss="mse")
    ''')
    outcome = apply(before, (at(before, "keras.layers.Dense", "layer", occurrence=1),))
    assert outcome.source == before.replace('b.compile(loss="mse")', 'b.compile(loss="binary_crossentropy")')


def test_pairs_each_compiled_model_with_its_own_output():
    before = dedent('''\
        import keras


        class Classifier(keras.Model):
            def __init__(self, **kwargs):
                inputs = keras.Input(shape=(8,))
                x = keras.layers.Dense(16, activation="relu")(inputs)
                outputs = keras.layers.Dense(
                    10, activation=None, name="head"  # 10 classes
                )(x)
                super().__init__(inputs=inputs, outputs=outputs, **kwargs)


        model = Classifier()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

        output = keras.layers.Dense(1, activation="sigmoid")(model.get_layer("head").input)
        binary = keras.Model(model.input, output)
        binary.compile(optimizer="adam", loss="binary_crossentropy")
    ''')
    after = before.replace(
        'loss="sparse_categorical_crossentropy"', "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)"
    )
    outcome = apply(before)
    assert outcome.source == after
    assert len(outcome.edits) == 1


# declines


def test_declines_a_consistent_pairing():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
        model.compile(loss="sparse_categorical_crossentropy")
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == (
        "line 4: Dense(10) with activation 'softmax' and loss `\"sparse_categorical_crossentropy\"` already fit together"
    )


def test_declines_a_regression():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(loss="mse")
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined and "regression" in outcome.declined


def test_declines_a_loss_in_a_variable():
    before = dedent('''\
        import keras

        loss_fn = keras.losses.SparseCategoricalCrossentropy()
        model = keras.Sequential([keras.layers.Dense(10)])
        model.compile(loss=loss_fn)
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "line 5: the loss `loss_fn` is a variable or a custom loss: it cannot be read"


def test_declines_a_custom_loss_function():
    for loss in ("my_loss", "lambda y, p: (y - p) ** 2"):
        before = dedent(f'''\
            import keras

            model = keras.Sequential([keras.layers.Dense(10)])
            model.compile(loss={loss})
        ''')
        outcome = apply(before)
        assert outcome.source == before
        assert outcome.declined and "cannot be read" in outcome.declined


def test_declines_a_loss_per_output():
    before = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(10)])
        model.compile(loss={"a": "mse"})
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "line 4: the loss `{\"a\": \"mse\"}` gives one loss per output: pair each output by hand"


def test_declines_an_output_activation_in_a_variable():
    before = dedent('''\
        import keras

        act = "sigmoid"
        model = keras.Sequential([keras.layers.Dense(10, activation=act)])
        model.compile(loss="sparse_categorical_crossentropy")
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "line 5: the output activation `act` of Dense(10) cannot be read"


def test_declines_when_the_compiled_model_cannot_be_told():
    before = dedent('''\
        import keras

        a = keras.Sequential([keras.layers.Dense(10)])
        b = keras.Sequential([keras.layers.Dense(1)])


        def train(model):
            model.compile(loss="sparse_categorical_crossentropy")
    ''')
    outcome = apply(before)
    assert outcome.source == before
    assert outcome.declined == "line 8: cannot tell which layer is the output of the compiled model"


def test_declines_without_a_compile_call_and_on_unknown_labels():
    before = "import keras\n\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
    assert apply(before).declined == "no compile call with a loss found"
    outcome = apply(before + 'model.compile(loss="mse")\n', labels="ordinal")
    assert outcome.declined == "labels is 'ordinal'; expected one of auto, sparse, one_hot, binary"


def test_a_relu_output_under_a_cross_entropy_becomes_softmax():
    """A ReLU output is no probability: categorical cross-entropy takes the log of its zeros (NaN loss)."""
    from modeldoctor.transforms.engine.base import run

    before = (
        "import keras\n\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(16, activation=\"relu\"),\n"
        "                          keras.layers.Dense(3, activation=\"relu\")])\n"
        "model.compile(optimizer=\"adam\", loss=\"categorical_crossentropy\")\n"
    )
    spec = available()["fix_loss_activation"]
    once = run(spec, before, {"labels": "one_hot"})
    assert once.source == before.replace('Dense(3, activation="relu")', 'Dense(3, activation="softmax")')
    assert run(spec, once.source, {"labels": "one_hot"}).source == once.source
