"""weight_averaging: `use_ema=True` (and a non-default `ema_momentum`) on the optimizer."""

from __future__ import annotations

import functools
from textwrap import dedent

from modeldoctor.transforms import available

import harness

SPEC = available()["weight_averaging"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined, SPEC)
target = harness.target_at


def test_use_ema_is_added_to_an_optimizer_call():
    before = "import keras\n\nmodel.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss='mse')\n"
    after = "import keras\n\nmodel.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5, use_ema=True), loss='mse')\n"
    outcome = apply(before)
    assert outcome.source == after
    assert outcome.edits == (
        "line 3: optimizer keras.optimizers.SGD(learning_rate=0.5) -> keras.optimizers.SGD(learning_rate=0.5, use_ema=True)",
    )


def test_string_optimizer_becomes_an_object_with_tensorflow_as_tf():
    before = 'import tensorflow as tf\nmodel.compile(optimizer="adam", loss="mse")\n'
    after = 'import tensorflow as tf\nmodel.compile(optimizer=tf.keras.optimizers.Adam(use_ema=True), loss="mse")\n'
    assert apply(before).source == after


def test_non_default_momentum_is_written():
    before = "from tensorflow import keras\nmodel.compile(optimizer='adam', loss='mse')\n"
    after = "from tensorflow import keras\nmodel.compile(optimizer=keras.optimizers.Adam(use_ema=True, ema_momentum=0.999), loss='mse')\n"
    assert apply(before, ema_momentum=0.999).source == after


def test_use_ema_false_is_switched_on():
    before = "from keras.optimizers import Adam\nopt = Adam(use_ema=False)\nmodel.compile(optimizer=opt, loss='mse')\n"
    after = "from keras.optimizers import Adam\nopt = Adam(use_ema=True)\nmodel.compile(optimizer=opt, loss='mse')\n"
    assert apply(before).source == after


def test_the_users_own_momentum_stays_with_the_default_parameter():
    before = "from keras import optimizers\nmodel.compile(optimizer=optimizers.Adam(ema_momentum=0.9), loss='mse')\n"
    after = "from keras import optimizers\nmodel.compile(optimizer=optimizers.Adam(ema_momentum=0.9, use_ema=True), loss='mse')\n"
    assert apply(before).source == after


def test_a_different_momentum_parameter_replaces_the_users():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(use_ema=True, ema_momentum=0.9), loss='mse')\n"
    after = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(use_ema=True, ema_momentum=0.95), loss='mse')\n"
    assert apply(before, ema_momentum=0.95).source == after


def test_with_compile_target_a_string_optimizer_is_replaced():
    before = dedent('''\
        import keras

        model.compile(optimizer="sgd", loss="mse")
        probe.compile(optimizer="sgd", loss="mse")
    ''')
    after = before.replace('model.compile(optimizer="sgd"', 'model.compile(optimizer=keras.optimizers.SGD(use_ema=True)')
    assert apply(before, (target(before, "compile", "model.compile"),)).source == after


def test_declines_when_already_averaging():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(use_ema=True), loss='mse')\n"
    assert "already" in declined(before)


def test_declines_a_legacy_optimizer():
    before = "import tensorflow as tf\nmodel.compile(optimizer=tf.keras.optimizers.legacy.Adam(), loss='mse')\n"
    assert "no use_ema" in declined(before)


def test_declines_a_use_ema_variable():
    before = "import keras\nmodel.compile(optimizer=keras.optimizers.Adam(use_ema=flag), loss='mse')\n"
    assert "`flag`" in declined(before)


def test_declines_a_momentum_out_of_range():
    assert "0 < ema_momentum < 1" in declined("import keras\nmodel.compile('adam', 'mse')\n", ema_momentum=1.5)


def test_declines_a_legacy_optimizer_imported_by_name():
    before = "from tensorflow.keras.optimizers.legacy import SGD\nmodel.compile(optimizer=SGD(0.1), loss='mse')\n"
    assert "no use_ema" in declined(before)
