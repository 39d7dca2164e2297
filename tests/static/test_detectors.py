"""Each check on the situations it is about: model styles, import spellings, locations and evidence."""

from __future__ import annotations

import textwrap

import pytest

from modeldoctor.record import Location
from modeldoctor.rules import load_catalog
from modeldoctor.static import check_source

CATALOG = load_catalog()


def findings(source: str, name: str | None = None) -> list:
    found = check_source(textwrap.dedent(source), "train.py", CATALOG)
    return [f for f in found if name is None or f.name == name]


SPELLINGS = {
    "import keras": ("keras.layers.Dense", "keras.Sequential", "keras.layers.Dropout"),
    "from tensorflow import keras": ("keras.layers.Dense", "keras.Sequential", "keras.layers.Dropout"),
    "import tensorflow as tf": ("tf.keras.layers.Dense", "tf.keras.Sequential", "tf.keras.layers.Dropout"),
    "import keras\nfrom keras import layers": ("layers.Dense", "keras.Sequential", "layers.Dropout"),
    "from keras.layers import Dense, Dropout\nfrom keras.models import Sequential": ("Dense", "Sequential", "Dropout"),
    "from tensorflow.keras.layers import Dense as D, Dropout\nfrom tensorflow.keras import Sequential": (
        "D", "Sequential", "Dropout"),
}


@pytest.mark.parametrize("imports", list(SPELLINGS))
def test_softmax_with_binary_crossentropy_is_found_in_every_import_spelling(imports: str) -> None:
    dense, sequential, dropout = SPELLINGS[imports]
    source = (
        f"{imports}\n"
        f"model = {sequential}([{dense}(32, activation='relu'), {dropout}(0.9), {dense}(10, activation='softmax')])\n"
        "model.compile(optimizer='adam', loss='binary_crossentropy')\n"
    )
    names = {f.name for f in findings(source)}
    assert names == {"loss-activation-mismatch", "high-dropout-rate"}


def test_mismatch_is_located_at_the_loss_and_names_the_output_layer() -> None:
    source = """\
    import keras
    model = keras.Sequential([
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    """
    (finding,) = findings(source, "loss-activation-mismatch")
    assert finding.code == "MD112"
    assert finding.location == Location("train.py", 5, 37)
    assert finding.evidence == {
        "loss": "binary_crossentropy", "from_logits": False, "output_activation": "softmax",
        "output_units": 10, "output_line": 3,
    }


def test_add_chain_model_is_followed_to_its_last_layer() -> None:
    source = """\
    from tensorflow import keras
    model = keras.Sequential()
    model.add(keras.layers.Dense(64, activation="relu"))
    model.add(keras.layers.Dense(10))
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy())
    """
    (finding,) = findings(source, "loss-activation-mismatch")
    assert "no activation" in finding.message and finding.evidence["output_line"] == 4


def test_functional_graph_with_reassigned_names_and_a_helper_function() -> None:
    source = """\
    import keras
    from keras import layers

    def build(n_classes):
        inputs = keras.Input(shape=(8,))
        x = layers.Dense(16, activation="relu")(inputs)
        x = layers.Dense(n_classes, activation="sigmoid")(x)
        return keras.Model(inputs=inputs, outputs=x)

    model = build(5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    """
    (finding,) = findings(source, "loss-activation-mismatch")
    assert finding.evidence["output_activation"] == "sigmoid"
    assert finding.evidence["output_units"] is None  # n_classes is not a literal: sigmoid is wrong either way


def test_subclassed_model_output_is_read_from_call() -> None:
    source = """\
    import keras

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(32, activation="relu")
            self.out = keras.layers.Dense(10)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = Net()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, epochs=3)
    """
    names = sorted(f.name for f in findings(source))
    assert names == ["loss-activation-mismatch", "no-validation-data"]


@pytest.mark.parametrize(
    ("output", "loss"),
    [
        ('Dense(1, activation="sigmoid")', '"binary_crossentropy"'),
        ("Dense(1)", "keras.losses.BinaryCrossentropy(from_logits=True)"),
        ('Dense(10, activation="softmax")', '"categorical_crossentropy"'),
        ("Dense(10)", 'keras.losses.CategoricalCrossentropy(from_logits=True)'),
        ('Dense(5, activation="sigmoid")', "keras.losses.binary_crossentropy"),
        ("Dense(1)", '"mse"'),
        ('Dense(1, activation="sigmoid")', '"mse"'),  # an autoencoder-style regression to [0, 1]
        ('Dense(10, activation="softmax")', "my_loss"),
        ('Dense(units, activation="softmax")', '"sparse_categorical_crossentropy"'),
    ],
)
def test_healthy_output_and_loss_pairs_are_not_reported(output: str, loss: str) -> None:
    source = f"import keras\nm = keras.Sequential([keras.layers.{output}])\nm.compile(loss={loss})\n"
    assert findings(source, "loss-activation-mismatch") == []


def test_sigmoid_with_mse_is_reported_when_metrics_say_classes() -> None:
    source = ('import keras\nm = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])\n'
              'm.compile(loss="mse", metrics=["accuracy"])\n')
    assert findings(source, "loss-activation-mismatch")


def test_learning_rate_is_located_at_the_value_and_spelled_in_evidence() -> None:
    source = "import keras\nopt = keras.optimizers.SGD(learning_rate=20.0, momentum=0.9)\n"
    (finding,) = findings(source)
    assert finding.location == Location("train.py", 2, 41)
    assert finding.evidence == {"optimizer": "SGD", "learning_rate": 20.0, "usual_range": [1e-5, 1.0],
                                "keras_default": 0.01}


def test_deep_stack_counts_layers_built_in_a_loop_and_skips_the_output() -> None:
    source = """\
    import keras
    model = keras.Sequential([keras.Input((8,))])
    for _ in range(3):
        model.add(keras.layers.Dense(16, activation="tanh"))
    model.add(keras.layers.Dense(1, activation="tanh"))
    """
    assert findings(source) == []  # 3 hidden + the output
    deeper = source.replace("range(3)", "range(4)")
    (finding,) = findings(deeper)
    assert finding.name == "deep-saturating-stack" and finding.evidence["layers"] == 4
    assert finding.location == Location("train.py", 4, 14)


def test_no_validation_and_no_early_stopping_on_one_long_fit() -> None:
    source = """\
    import keras
    model = keras.models.load_model("m.keras")
    es = keras.callbacks.ModelCheckpoint("best.keras")
    history = model.fit(x, y, 32, 200, 0, [es])
    """
    found = {f.name: f for f in findings(source)}
    assert set(found) == {"no-validation-data", "no-early-stopping"}
    assert found["no-validation-data"].location == Location("train.py", 4, 10)
    assert found["no-early-stopping"].evidence == {"epochs": 200, "callbacks": ["ModelCheckpoint"]}


def test_early_stopping_in_a_callback_list_variable_is_seen() -> None:
    source = """\
    import keras
    model = keras.Sequential([keras.layers.Dense(1)])
    callbacks = [keras.callbacks.EarlyStopping(patience=3)]
    model.fit(x, y, epochs=500, validation_split=0.1, callbacks=callbacks)
    """
    assert findings(source) == []


def test_a_custom_callback_that_stops_training_counts_as_early_stopping() -> None:
    source = """\
    import keras
    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = logs["loss"] < 0.01
    model = keras.Sequential([keras.layers.Dense(1)])
    model.fit(x, y, epochs=500, validation_split=0.1, callbacks=[Stop()])
    """
    assert findings(source) == []


def test_sklearn_fit_is_not_a_keras_fit() -> None:
    source = """\
    import keras
    from sklearn.linear_model import LogisticRegression
    clf = LogisticRegression()
    clf.fit(x, y)
    """
    assert findings(source) == []


def test_batchnorm_before_softmax_and_dropout_before_batchnorm_in_one_model() -> None:
    source = """\
    from keras import layers, Sequential
    model = Sequential([
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.3),
        layers.BatchNormalization(),
        layers.Dense(10, activation="softmax"),
    ])
    """
    found = {f.name: f.location.line for f in findings(source)}
    assert found == {"dropout-before-batchnorm": 4, "batchnorm-before-softmax-output": 5}


def test_non_ascii_lines_give_character_columns() -> None:
    source = 'import keras\nd = {"é": keras.layers.Dropout(0.9)}\n'
    (finding,) = findings(source)
    assert finding.location.column == len('d = {"é": keras.layers.Dropout(')


def test_module_constants_are_read() -> None:
    source = "import keras\nRATE = 0.75\nd = keras.layers.Dropout(RATE)\n"
    assert findings(source, "high-dropout-rate")
    reassigned = source + "RATE = 0.1\n"
    assert not findings(reassigned, "high-dropout-rate")


def test_a_file_without_keras_gives_nothing() -> None:
    assert findings("import torch\nmodel.fit(x, y, epochs=500)\nnn.Dropout(0.9)\n") == []
