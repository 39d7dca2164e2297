"""gradient_clipping: `clipnorm=` on the optimizer, a string optimizer made an object first."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.ftypes import Target
from modeldoctor.transforms import available

import harness

SPEC = available()["gradient_clipping"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined, SPEC)
target = harness.target_at


def test_string_optimizer_becomes_an_object_without_a_learning_rate():
    before = 'from tensorflow import keras\n\nmodel.compile(optimizer="adam", loss="mse")\n'
    after = 'from tensorflow import keras\n\nmodel.compile(optimizer=keras.optimizers.Adam(clipnorm=1.0), loss="mse")\n'
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == ('line 3: optimizer "adam" -> keras.optimizers.Adam(clipnorm=1.0)',)


def test_positional_string_optimizer_with_tensorflow_as_tf():
    before = "import tensorflow as tf\nmodel.compile('rmsprop', 'mse')\n"
    after = "import tensorflow as tf\nmodel.compile(tf.keras.optimizers.RMSprop(clipnorm=1.0), 'mse')\n"
    assert apply(before).source == after


def test_clipnorm_is_appended_to_an_optimizer_call_one_argument_per_line():
    before = dedent('''\
        import keras

        model.compile(optimizer=keras.optimizers.SGD(
            learning_rate=0.1,
            momentum=0.9,  # heavy
        ), loss="mse")
    ''')
    after = dedent('''\
        import keras

        model.compile(optimizer=keras.optimizers.SGD(
            learning_rate=0.1,
            momentum=0.9,  # heavy
            clipnorm=2.0,
        ), loss="mse")
    ''')
    assert apply(before, clipnorm=2.0).source == after


def test_last_argument_comment_stays_on_its_line():
    before = dedent('''\
        from keras import optimizers

        opt = optimizers.Adam(
            learning_rate=0.1  # tuned
        )
        model.compile(optimizer=opt, loss="mse")
    ''')
    after = dedent('''\
        from keras import optimizers

        opt = optimizers.Adam(
            learning_rate=0.1,  # tuned
            clipnorm=1.0
        )
        model.compile(optimizer=opt, loss="mse")
    ''')
    assert apply(before).source == after


def test_existing_clipnorm_is_replaced():
    before = "from keras.optimizers import Adam\nmodel.compile(Adam(clipnorm=10.0), 'mse')\n"
    after = "from keras.optimizers import Adam\nmodel.compile(Adam(clipnorm=1.0), 'mse')\n"
    assert apply(before).source == after


def test_with_optimizer_target_only_that_optimizer_changes():
    before = dedent('''\
        import keras

        gen.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
        disc.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    ''')
    after = before.replace("disc.compile(optimizer=keras.optimizers.Adam(1e-4)", "disc.compile(optimizer=keras.optimizers.Adam(1e-4, clipnorm=1.0)")
    assert apply(before, (target(before, "optimizer", "keras.optimizers.Adam", 1),)).source == after


def test_declines_when_already_clipped_by_value():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.SGD(clipvalue=0.5), loss='mse')\n"
    assert "clipvalue" in declined(before)


def test_declines_when_already_clipped_by_global_norm():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.SGD(global_clipnorm=1.0), loss='mse')\n"
    assert "global_clipnorm" in declined(before)


def test_declines_when_already_clipped_at_that_norm():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.SGD(clipnorm=1), loss='mse')\n"
    assert "already" in declined(before)


def test_declines_a_clipnorm_variable():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.SGD(clipnorm=clip), loss='mse')\n"
    assert "`clip`" in declined(before)


def test_declines_an_optimizer_class_keras_does_not_ship():
    before = "from mylib import Custom\nmodel.compile(optimizer=Custom(), loss='mse')\n"
    tgt = target(before, "optimizer", "Custom()")
    tgt = Target(kind="optimizer", line=tgt.line, column=tgt.column, class_name="Custom")
    assert "not a Keras optimizer" in declined(before, (tgt,))


def test_declines_a_non_positive_clipnorm():
    assert "clipnorm > 0" in declined("import keras\nmodel.compile('adam', 'mse')\n", clipnorm=0.0)
