"""set_learning_rate: an absolute learning rate written on the optimizer, whatever form it takes."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.ftypes import Target
from modeldoctor.transforms import available

import harness

SPEC = available()["set_learning_rate"]
# `learning_rate` defaults to 0.01; a test may pass another.
apply = functools.partial(harness.apply, SPEC, learning_rate=0.01)
declined = functools.partial(harness.declined, SPEC, learning_rate=0.01)
target = harness.target_at


def test_string_optimizer_becomes_an_adam_object_with_import_keras():
    before = dedent('''\
        import keras

        model.compile(optimizer="adam", loss="mse")
    ''')
    outcome = apply(before)
    assert outcome.source == dedent('''\
        import keras

        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    ''')
    assert outcome.edits == ('line 3: optimizer "adam" -> keras.optimizers.Adam(learning_rate=0.01)',)


def test_positional_string_optimizer_with_tensorflow_as_tf():
    before = 'import tensorflow as tf\n\nmodel.compile("sgd", "mse")\n'
    after = 'import tensorflow as tf\n\nmodel.compile(tf.keras.optimizers.SGD(learning_rate=0.01), "mse")\n'
    assert apply(before).source == after


def test_string_optimizer_with_from_tensorflow_import_keras():
    before = "from tensorflow import keras\n\nmodel.compile(optimizer='RMSprop', loss='mse')\n"
    after = "from tensorflow import keras\n\nmodel.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss='mse')\n"
    assert apply(before).source == after


def test_string_optimizer_with_from_keras_import_optimizers():
    before = 'from keras import layers, optimizers\n\nmodel.compile(loss="mse", optimizer="adagrad")\n'
    after = 'from keras import layers, optimizers\n\nmodel.compile(loss="mse", optimizer=optimizers.Adagrad(learning_rate=0.01))\n'
    assert apply(before).source == after


def test_string_optimizer_with_classes_imported_by_name_imports_the_new_class():
    before = 'from keras.optimizers import Adam\n\nmodel.compile(optimizer="nadam", loss="mse")\n'
    after = 'from keras.optimizers import Nadam, Adam\n\nmodel.compile(optimizer=Nadam(learning_rate=0.01), loss="mse")\n'
    assert apply(before).source == after


def test_existing_learning_rate_keyword_is_changed():
    before = dedent('''\
        import keras

        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5, momentum=0.9), loss="mse")  # fast
    ''')
    after = dedent('''\
        import keras

        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")  # fast
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 3: optimizer keras.optimizers.SGD(learning_rate=0.5, momentum=0.9)"
        " -> keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)",
    )


def test_positional_learning_rate_is_changed_in_place():
    before = "import tensorflow as tf\nmodel.compile(tf.keras.optimizers.SGD(0.1, 0.9), 'mse')\n"
    after = "import tensorflow as tf\nmodel.compile(tf.keras.optimizers.SGD(0.01, 0.9), 'mse')\n"
    assert apply(before).source == after


def test_legacy_lr_keyword_is_renamed():
    before = "from keras.optimizers import Adam\nmodel.compile(Adam(lr=0.1, clipnorm=1.0), 'mse')\n"
    after = "from keras.optimizers import Adam\nmodel.compile(Adam(learning_rate=0.01, clipnorm=1.0), 'mse')\n"
    assert apply(before).source == after


def test_missing_learning_rate_is_added_first_keeping_the_layout():
    before = dedent('''\
        import keras

        model.compile(
            optimizer=keras.optimizers.Adam(
                clipnorm=1.0,  # keep
            ),
            loss="mse",
        )
    ''')
    after = dedent('''\
        import keras

        model.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate=0.01,
                clipnorm=1.0,  # keep
            ),
            loss="mse",
        )
    ''')
    assert apply(before).source == after


def test_optimizer_variable_is_edited_where_it_is_assigned():
    before = dedent('''\
        from tensorflow import keras

        opt = keras.optimizers.Adam(learning_rate=0.1)  # tuned
        model.compile(optimizer=opt, loss="mse")
    ''')
    after = dedent('''\
        from tensorflow import keras

        opt = keras.optimizers.Adam(learning_rate=0.01)  # tuned
        model.compile(optimizer=opt, loss="mse")
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits[0].startswith("line 3: ")


def test_optimizer_variable_inside_a_function_follows_its_scope():
    before = dedent('''\
        import keras

        def train(model):
            optimizer = keras.optimizers.SGD(0.1)
            model.compile(optimizer=optimizer, loss="mse")
    ''')
    assert "keras.optimizers.SGD(0.01)" in apply(before).source


def test_compile_without_optimizer_gets_keras_default_made_explicit():
    before = 'import keras\nmodel.compile(loss="mse")\n'
    after = 'import keras\nmodel.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="mse")\n'
    assert apply(before).source == after


def test_file_without_keras_import_gets_one():
    before = 'model.compile(optimizer="adam", loss="mse")\n'
    after = 'import keras\n\nmodel.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")\n'
    assert apply(before).source == after


def test_float_noise_from_a_resolved_factor_is_not_written():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(0.1), loss='mse')\n"
    assert apply(before, learning_rate=0.1 * 0.1).source == before.replace("0.1)", "0.01)")


def test_same_value_in_another_spelling_is_left_alone():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(1e-2), loss='mse')\n"
    assert "already" in declined(before)


def test_with_optimizer_target_only_that_optimizer_changes():
    before = dedent('''\
        import keras

        first.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
        second.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    ''')
    after = before.replace("second.compile(optimizer=keras.optimizers.Adam(0.1)", "second.compile(optimizer=keras.optimizers.Adam(0.01)")
    assert apply(before, (target(before, "optimizer", "keras.optimizers.Adam", 1),)).source == after


def test_with_optimizer_target_a_custom_optimizer_class_is_edited():
    before = dedent('''\
        from mylib import Custom

        opt = Custom(learning_rate=0.5)
        model.compile(optimizer=opt, loss="mse")
    ''')
    tgt = target(before, "optimizer", "Custom(")
    tgt = Target(kind="optimizer", line=tgt.line, column=tgt.column, class_name="Custom")
    assert "Custom(learning_rate=0.01)" in apply(before, (tgt,)).source


def test_with_compile_target_a_string_optimizer_is_replaced():
    before = dedent('''\
        import keras

        a.compile(optimizer="adam", loss="mse")
        b.compile(optimizer="adam", loss="mse")
    ''')
    outcome = apply(before, (target(before, "compile", "b.compile"),))
    assert outcome.source == before.replace('b.compile(optimizer="adam"', 'b.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01)')


def test_declines_a_learning_rate_schedule():
    before = dedent('''\
        import keras

        schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.9)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    ''')
    assert "schedule or a variable" in declined(before)


def test_declines_a_learning_rate_variable():
    before = "import keras\nlr = 0.1\nmodel.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss='mse')\n"
    assert "`lr`" in declined(before)


def test_declines_an_optimizer_variable_assigned_twice():
    before = dedent('''\
        import keras

        opt = keras.optimizers.Adam()
        if fine_tune:
            opt = keras.optimizers.SGD()
        model.compile(optimizer=opt, loss="mse")
    ''')
    assert "assigned 2 times" in declined(before)


def test_declines_an_optimizer_from_a_factory_function():
    before = "import keras\nmodel.compile(optimizer=make_optimizer(), loss='mse')\n"
    assert "make_optimizer" in declined(before)


def test_declines_an_unknown_optimizer_string():
    assert "not one modeldoctor knows" in declined("import keras\nmodel.compile(optimizer='mystery', loss='mse')\n")


def test_declines_optimizer_with_kwargs_unpacked():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(**cfg), loss='mse')\n"
    assert "**kwargs" in declined(before)


def test_ignores_compile_calls_of_other_libraries():
    before = "import re\nimport keras\npattern = re.compile('adam')\n"
    assert declined(before)


def test_declines_without_a_learning_rate():
    assert "absolute learning_rate" in declined("import keras\nmodel.compile('adam', 'mse')\n", learning_rate=None)


def test_tf_keras_spelling_in_a_file_that_also_imports_keras_from_tensorflow():
    before = dedent('''\
        import tensorflow as tf
        from tensorflow import keras

        model.compile(optimizer=tf.keras.optimizers.Adam(), loss="mse")
    ''')
    after = before.replace("tf.keras.optimizers.Adam()", "tf.keras.optimizers.Adam(learning_rate=0.01)")
    assert apply(before).source == after
