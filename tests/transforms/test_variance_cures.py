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


NORMALIZED = SCRIPT.replace("layers.Dense(1)]", "layers.BatchNormalization(), layers.Dense(1)]")


def test_swa_with_batch_normalization_recomputes_its_statistics_on_fits_x():
    """The averaged weights need their own BatchNormalization statistics: the callback is given fit's x and runs
    it through the averaged model in training mode, each layer's momentum making its statistics the batches' mean."""
    outcome = harness.apply(SWA, NORMALIZED, start_epoch=16)
    head, _, rest = outcome.source.partition("class SWA(keras.callbacks.Callback):\n")
    assert head == NORMALIZED.split("# the model")[0].rstrip("\n") + "\n\n\n"
    assert rest.endswith('callbacks=[keras.callbacks.CSVLogger("log.csv"), SWA(start_epoch=16, data=x)])\n')
    assert ("            self.model.set_weights(self.average)\n"
            "            self.recompute_batch_norm()\n\n"
            "    def recompute_batch_norm(self, batch_size=256):\n") in rest
    assert ("        norms = [layer for layer in self.model.layers if isinstance(layer, layers.BatchNormalization)]\n"
            "        momenta = [layer.momentum for layer in norms]\n"
            "        for count, start in enumerate(range(0, len(self.data), batch_size)):\n"
            "            for layer in norms:\n"
            "                layer.momentum = count / (count + 1)  # the running mean of the batches seen so far\n"
            "            self.model(self.data[start:start + batch_size], training=True)\n"
            "        for layer, momentum in zip(norms, momenta):\n"
            "            layer.momentum = momentum\n\n\n# the model\n") in rest, "the file's own `layers` name"
    assert outcome.edits == ('line 9: fit: appended SWA(start_epoch=16, data=x) to callbacks',
                             'line 5: wrote the SWA callback class after the imports')
    compile(outcome.source, "cured.py", "exec")
    assert harness.apply(SWA, outcome.source, start_epoch=16).source == outcome.source, "idempotent"


def test_swa_with_batch_normalization_declines_a_dataset_it_cannot_slice():
    dataset = NORMALIZED.replace("model.fit(x, y, ", "model.fit(train_ds, ")
    assert ("the model has BatchNormalization and fit's x `train_ds` is named like a dataset or generator: its "
            "statistics cannot be recomputed from it") in harness.declined(SWA, dataset, start_epoch=16)
    assert "train_ds" in harness.apply(SWA, dataset.replace("layers.BatchNormalization(), ", ""),
                                       start_epoch=16).source, "without BatchNormalization, any x will do"


@pytest.mark.parametrize("change, reason", [
    (('keras.callbacks.CSVLogger("log.csv")', "keras.callbacks.EarlyStopping(restore_best_weights=True)"),
     "restores its best weights with EarlyStopping"),
])
def test_swa_declines_where_averaging_would_not_be_faithful(change, reason):
    assert reason in harness.declined(SWA, SCRIPT.replace(*change), start_epoch=16)


def test_swa_averages_the_last_quarter_of_the_runs_epochs():
    record = fit([1.0] * 3)
    record.fit_args.epochs = 20
    assert SWA.absolute({"last_share": 0.25}, record, None) == {"start_epoch": 16}
    record.model.layers[0].class_name = "BatchNormalization"
    assert SWA.absolute({"last_share": 0.25}, record, None) == {"start_epoch": 16}, "no longer declined"


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
