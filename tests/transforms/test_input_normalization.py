"""input_normalization: an adapted Normalization (or a Rescaling) layer as the model's first layer."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.ftypes import Target
from modeldoctor.transforms import available

import harness

SPEC = available()["input_normalization"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined_by_run, SPEC)


def target_at(source: str, needle: str, kind: str, occurrence: int = 0) -> Target:
    return harness.target_at(source, kind, needle, occurrence)


def test_adapts_a_normalization_layer_for_a_sequential_list():
    before = dedent('''\
        import keras
        from sklearn.datasets import load_breast_cancer

        x, y = load_breast_cancer(return_X_y=True)

        # the classifier
        model = keras.Sequential([
            keras.Input(shape=(30,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        model.fit(x, y, epochs=20)
    ''')
    after = dedent('''\
        import keras
        from sklearn.datasets import load_breast_cancer

        x, y = load_breast_cancer(return_X_y=True)

        normalizer = keras.layers.Normalization()
        normalizer.adapt(x)
        # the classifier
        model = keras.Sequential([
            keras.Input(shape=(30,)),
            normalizer,
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        model.fit(x, y, epochs=20)
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ("line 7: inserted a Normalization layer adapted on `x` as the model's first layer",)


def test_adapts_a_normalization_layer_for_add_lines():
    before = dedent('''\
        from tensorflow import keras

        x_train, y_train = load()
        model = keras.Sequential()
        model.add(keras.Input(shape=(30,)))
        model.add(keras.layers.Dense(1, activation="sigmoid"))
        model.fit(x=x_train, y=y_train)
    ''')
    after = dedent('''\
        from tensorflow import keras

        x_train, y_train = load()
        normalizer = keras.layers.Normalization()
        normalizer.adapt(x_train)
        model = keras.Sequential()
        model.add(keras.Input(shape=(30,)))
        model.add(normalizer)
        model.add(keras.layers.Dense(1, activation="sigmoid"))
        model.fit(x=x_train, y=y_train)
    ''')
    assert apply(before).source == after


def test_adapts_a_normalization_layer_for_a_functional_model():
    before = dedent('''\
        import keras
        from keras import layers

        x_train, y_train = load()
        inputs = keras.Input(shape=(13,))
        hidden = layers.Dense(32, activation="relu")(inputs)
        outputs = layers.Dense(3, activation="softmax")(hidden)
        model = keras.Model(inputs, outputs)
        model.fit(x_train, y_train, epochs=3)
    ''')
    after = dedent('''\
        import keras
        from keras import layers

        x_train, y_train = load()
        normalizer = layers.Normalization()
        normalizer.adapt(x_train)
        inputs = keras.Input(shape=(13,))
        normalized_inputs = normalizer(inputs)
        hidden = layers.Dense(32, activation="relu")(normalized_inputs)
        outputs = layers.Dense(3, activation="softmax")(hidden)
        model = keras.Model(inputs, outputs)
        model.fit(x_train, y_train, epochs=3)
    ''')
    assert apply(before).source == after


def test_imports_normalization_by_name_and_takes_over_input_shape():
    before = dedent('''\
        from keras.models import Sequential
        from keras.layers import Dense

        features, labels = load()
        model = Sequential([Dense(16, activation="relu", input_dim=8), Dense(1)])
        model.fit(features, labels)
    ''')
    after = dedent('''\
        from keras.models import Sequential
        from keras.layers import Normalization, Dense

        features, labels = load()
        normalizer = Normalization(input_dim=8)
        normalizer.adapt(features)
        model = Sequential([normalizer, Dense(16, activation="relu"), Dense(1)])
        model.fit(features, labels)
    ''')
    assert apply(before).source == after


def test_rescales_pixels_with_a_rescaling_layer():
    before = dedent('''\
        import tensorflow as tf

        model = tf.keras.Sequential([
            tf.keras.Input(shape=(28, 28)),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(10, activation="softmax"),
        ])
    ''')
    after = dedent('''\
        import tensorflow as tf

        model = tf.keras.Sequential([
            tf.keras.Input(shape=(28, 28)),
            tf.keras.layers.Rescaling(1 / 255),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(10, activation="softmax"),
        ])
    ''')
    outcome = apply(before, mode="rescaling", scale=1 / 255)
    assert outcome.source == after
    assert outcome.edits == ("line 3: inserted Rescaling(1 / 255) as the model's first layer",)


def test_uses_the_model_and_fit_the_run_located():
    before = dedent('''\
        import keras

        x_small, y_small = load_small()
        x_big, y_big = load_big()
        small = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
        big = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
        small.fit(x_small, y_small)
        big.fit(x_big, y_big)
    ''')
    after = dedent('''\
        import keras

        x_small, y_small = load_small()
        x_big, y_big = load_big()
        small = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
        normalizer = keras.layers.Normalization()
        normalizer.adapt(x_big)
        big = keras.Sequential([keras.Input(shape=(4,)), normalizer, keras.layers.Dense(1)])
        small.fit(x_small, y_small)
        big.fit(x_big, y_big)
    ''')
    targets = (target_at(before, "keras.Sequential", "model", occurrence=1), target_at(before, "big.fit", "fit"))
    outcome = apply(before, targets)
    assert outcome.source == after
    assert outcome.edits == ("line 6: inserted a Normalization layer adapted on `x_big` as the model's first layer",)


def test_picks_a_free_name_for_the_normalizer():
    before = dedent('''\
        import keras

        normalizer = "text"
        x, y = load()
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
        model.fit(x, y)
    ''')
    outcome = apply(before)
    assert "normalizer_2 = keras.layers.Normalization()\nnormalizer_2.adapt(x)\n" in outcome.source
    assert "[keras.Input(shape=(4,)), normalizer_2, keras.layers.Dense(1)]" in outcome.source


def test_declines_when_fit_data_is_not_a_plain_name():
    source = dedent('''\
        import keras

        x, y = load()
        model = keras.Sequential([keras.layers.Dense(1)])
        model.fit(x[:100], y[:100])
    ''')
    assert declined(source) == (
        "the model at line 4: fit's input (line 5) is `x[:100]`, not a plain name, adapt the Normalization by hand"
    )


def test_declines_a_dataset_without_separate_targets():
    source = dedent('''\
        import keras

        train_ds = make_dataset()
        model = keras.Sequential([keras.layers.Dense(1)])
        model.fit(train_ds, epochs=3)
    ''')
    assert "gets no separate targets (a dataset or generator?)" in declined(source)


def test_declines_data_bound_after_the_model_or_changed_before_fit():
    late = dedent('''\
        import keras

        model = keras.Sequential([keras.layers.Dense(1)])
        x, y = load()
        model.fit(x, y)
    ''')
    assert declined(late) == (
        "the model at line 3: `x` is not bound before the model is built (line 3), adapt the Normalization by hand"
    )
    changed = dedent('''\
        import keras

        x, y = load()
        model = keras.Sequential([keras.layers.Dense(1)])
        x = x / 255.0
        model.fit(x, y)
    ''')
    assert "`x` is reassigned between the model (line 4) and fit (line 6)" in declined(changed)


def test_declines_a_model_built_in_a_helper_function():
    source = dedent('''\
        import keras


        def build():
            return keras.Sequential([keras.layers.Dense(1)])


        x, y = load()
        model = build()
        model.fit(x, y)
    ''')
    assert "no fit call of this model found in the same function" in declined(source)
    fit = target_at(source, "model.fit", "fit")
    assert "is not in the same function as the model" in declined(source, (target_at(source, "keras.Sequential", "model"), fit))


def test_declines_inputs_already_normalized_or_rescaled():
    source = dedent('''\
        import keras
        from keras import layers

        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.Rescaling(1.0 / 255)(inputs)
        outputs = layers.Dense(10)(layers.Flatten()(x))
        model = keras.Model(inputs, outputs)
    ''')
    assert declined(source, mode="rescaling", scale=0.5) == "the model at line 7 already starts with Rescaling"
    assert declined(source) == "the model at line 7 already starts with Rescaling"


def test_declines_bad_parameters_and_subclassed_models():
    source = "import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
    assert declined(source, mode="rescaling") == "mode 'rescaling' needs a non-zero 'scale' (e.g. 1 / 255 for pixels)"
    assert declined(source, mode="standardize").startswith("parameter 'mode' must be one of normalization, rescaling")
    subclassed = "import keras\n\nclass Net(keras.Model):\n    pass\n\nmodel = Net()\n"
    assert declined(subclassed).startswith("the model is a subclassed keras.Model (Net)")
