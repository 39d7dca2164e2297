"""change_optimizer: the optimizer replaced by another Keras optimizer, keeping the arguments it also takes."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.ftypes import Target
from modeldoctor.transforms import available

import harness

SPEC = available()["change_optimizer"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined, SPEC)
target = harness.target_at


def test_sgd_with_momentum_becomes_adam_keeping_clipping_and_weight_decay():
    before = dedent('''\
        import keras

        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=1.0, weight_decay=1e-4),
            loss="mse",
        )
    ''')
    after = dedent('''\
        import keras

        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=0.001, clipnorm=1.0, weight_decay=1e-4),
            loss="mse",
        )
    ''')
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 4: optimizer keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=1.0, weight_decay=1e-4)"
        " -> keras.optimizers.Adam(learning_rate=0.001, clipnorm=1.0, weight_decay=1e-4)",
    )


def test_string_optimizer_is_replaced_with_from_tensorflow_import_keras():
    before = 'from tensorflow import keras\nmodel.compile(optimizer="sgd", loss="mse")\n'
    after = 'from tensorflow import keras\nmodel.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")\n'
    assert apply(before).source == after


def test_positional_arguments_are_dropped_and_the_rate_named_with_tensorflow_as_tf():
    before = "import tensorflow as tf\nmodel.compile(tf.keras.optimizers.SGD(0.1, 0.9), 'mse')\n"
    after = "import tensorflow as tf\nmodel.compile(tf.keras.optimizers.Adam(learning_rate=0.001), 'mse')\n"
    assert apply(before).source == after


def test_class_imported_by_name_imports_the_new_class():
    before = "from keras.optimizers import SGD\n\nmodel.compile(optimizer=SGD(lr=0.1, decay=1e-6), loss='mse')\n"
    after = "from keras.optimizers import Adam, SGD\n\nmodel.compile(optimizer=Adam(learning_rate=0.001), loss='mse')\n"
    assert apply(before).source == after


def test_from_keras_import_optimizers_and_a_lowercase_optimizer_name():
    before = "from keras import optimizers\nmodel.compile(optimizer=optimizers.RMSprop(rho=0.8, epsilon=1e-6), loss='mse')\n"
    after = "from keras import optimizers\nmodel.compile(optimizer=optimizers.AdamW(learning_rate=0.0003, epsilon=1e-6), loss='mse')\n"
    assert apply(before, optimizer="adamw", learning_rate=0.0003).source == after


def test_without_a_learning_rate_the_current_one_is_kept():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.SGD(0.05), loss='mse')\n"
    after = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss='mse')\n"
    assert apply(before, learning_rate=None).source == after


def test_legacy_optimizer_becomes_the_current_class():
    before = "import tensorflow as tf\nmodel.compile(optimizer=tf.keras.optimizers.legacy.Adam(learning_rate=0.001), loss='mse')\n"
    after = "import tensorflow as tf\nmodel.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.001), loss='mse')\n"
    assert apply(before).source == after


def test_optimizer_variable_is_replaced_where_it_is_assigned():
    before = dedent('''\
        import keras

        opt = keras.optimizers.SGD(
            learning_rate=0.1,  # tuned
            momentum=0.9,  # heavy ball
        )
        model.compile(optimizer=opt, loss="mse")
    ''')
    after = dedent('''\
        import keras

        opt = keras.optimizers.Adam(
            learning_rate=0.001,  # tuned
        )
        model.compile(optimizer=opt, loss="mse")
    ''')
    assert apply(before).source == after


def test_with_optimizer_target_a_custom_optimizer_is_replaced():
    before = "import keras\nfrom mylib import Custom\nmodel.compile(optimizer=Custom(speed=3), loss='mse')\n"
    tgt = target(before, "optimizer", "Custom(speed")
    tgt = Target(kind="optimizer", line=tgt.line, column=tgt.column, class_name="Custom")
    after = "import keras\nfrom mylib import Custom\nmodel.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss='mse')\n"
    assert apply(before, (tgt,)).source == after


def test_with_compile_target_only_that_compile_changes():
    before = "import keras\na.compile(optimizer='sgd', loss='mse')\nb.compile(optimizer='sgd', loss='mse')\n"
    after = "import keras\na.compile(optimizer='sgd', loss='mse')\nb.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss='mse')\n"
    assert apply(before, (target(before, "compile", "b.compile"),)).source == after


def test_declines_when_already_the_requested_optimizer():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss='mse')\n"
    assert "already" in declined(before)


def test_declines_an_unknown_optimizer_name():
    assert "unknown optimizer 'Bogus'" in declined("import keras\nmodel.compile('sgd', 'mse')\n", optimizer="Bogus")


def test_declines_optimizer_built_elsewhere():
    before = "import keras\nmodel.compile(optimizer=self.optimizer, loss='mse')\n"
    assert "self.optimizer" in declined(before)


def test_declines_kwargs_unpacked_into_the_optimizer():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.SGD(**config), loss='mse')\n"
    assert "**kwargs" in declined(before)
