"""High variance's cures: stochastic_weight_averaging (a small callback written in) and cyclic_schedule."""

from __future__ import annotations

from textwrap import dedent

import pytest
from records import fit

from modeldoctor.transforms import available

import harness

TRANSFORMS = available()
SWA = TRANSFORMS["stochastic_weight_averaging"]
CYCLIC = TRANSFORMS["cyclic_schedule"]

SCRIPT = dedent('''\
    """A script."""

    import keras
    from keras import layers

    # the model
    model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(32, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="mse")
    model.fit(x, y, epochs=20, batch_size=8, callbacks=[keras.callbacks.CSVLogger("log.csv")])
''')


def test_swa_writes_its_callback_after_the_imports_and_passes_it_to_fit():
    outcome = harness.apply(SWA, SCRIPT, start_epoch=16)
    head, _, rest = outcome.source.partition("class SWA(keras.callbacks.Callback):\n")
    assert head == SCRIPT.split("# the model")[0].rstrip("\n") + "\n\n\n"
    assert "        self.model.set_weights(self.average)\n\n\n# the model\n" in rest
    assert rest.endswith('callbacks=[keras.callbacks.CSVLogger("log.csv"), SWA(start_epoch=16)])\n')
    assert outcome.edits == ('line 9: fit: appended SWA(start_epoch=16) to callbacks',
                             'line 5: wrote the SWA callback class after the imports')
    compile(outcome.source, "cured.py", "exec")


@pytest.mark.parametrize("change, reason", [
    (("layers.Dense(1)]", "layers.BatchNormalization(), layers.Dense(1)]"), "the model has BatchNormalization"),
    (('keras.callbacks.CSVLogger("log.csv")', "keras.callbacks.EarlyStopping(restore_best_weights=True)"),
     "restores its best weights with EarlyStopping"),
])
def test_swa_declines_where_averaging_would_not_be_faithful(change, reason):
    assert reason in harness.declined(SWA, SCRIPT.replace(*change), start_epoch=16)


def test_swa_averages_the_last_quarter_of_the_runs_epochs():
    record = fit([1.0] * 3)
    record.fit_args.epochs = 20
    assert SWA.absolute({"last_share": 0.25}, record, None) == {"start_epoch": 16}


def test_cyclic_schedule_replaces_the_constant_rate():
    outcome = harness.apply(CYCLIC, SCRIPT, first_decay_steps=250)
    assert outcome.source == SCRIPT.replace(
        "Adam(learning_rate=0.05)", "Adam(learning_rate=keras.optimizers.schedules.CosineDecayRestarts("
        "initial_learning_rate=0.05, first_decay_steps=250))")
    variable = SCRIPT.replace("learning_rate=0.05", "learning_rate=rate")
    assert "the learning rate `rate` is a schedule or a variable" in harness.declined(CYCLIC, variable,
                                                                                       first_decay_steps=250)


def test_cyclic_schedule_ends_its_cycles_with_the_run():
    record = fit([1.0] * 3)
    record.fit_args.epochs, record.steps_per_epoch = 20, 30
    assert CYCLIC.absolute({"cycles": 2}, record, None) == {"first_decay_steps": 200}  # 200 + 400 = 600 steps
