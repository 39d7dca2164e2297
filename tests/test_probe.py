"""The probe records real trainings: metrics, gradient samples and source locations."""

from __future__ import annotations

import sys
import subprocess

import pytest

from conftest import FIXTURES, line_of, probe, record_of

HEALTHY = sorted((FIXTURES / "healthy").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("script", HEALTHY, ids=lambda p: p.stem)
def test_records_every_epoch_with_train_and_validation_metrics(script):
    record = record_of(script)
    assert record.exit.status == "ok"
    assert record.keras_imported and record.backend == "tensorflow"
    (fit,) = record.fits
    assert len(fit.epochs) == fit.fit_args.epochs
    assert {"loss", "val_loss"} <= set(fit.epochs[-1])
    assert fit.completed and not fit.stopped_on_nan
    assert fit.batch_losses and fit.inputs is not None and fit.labels is not None


@pytest.mark.slow
@pytest.mark.parametrize("script", HEALTHY, ids=lambda p: p.stem)
def test_samples_gradients_for_each_trainable_layer(script):
    fit = record_of(script).fits[0]
    trainable = {layer.name for layer in fit.model.layers if layer.trainable_params}
    assert trainable
    assert len(fit.samples) >= 10
    for sample in fit.samples:
        measured = {s.layer for s in sample.layers if s.grad_norm is not None}
        assert measured == trainable
    later = fit.samples[-1].layers
    assert all(s.update_ratio is not None and 0 < s.update_ratio < 1 for s in later if s.layer in trainable)
    relu = [s for s in later if s.dead_fraction is not None]
    assert relu, "the ReLU layer's dead-unit share is sampled"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, layer_needles",
    [
        ("sequential_digits.py", ["Dense(64", "Dense(10"]),
        ("add_breast_cancer.py", ["Dense(16", "Dense(1,"]),
        ("functional_wine.py", ["Dense(32", "Dense(3,"]),
        ("subclassed_synthetic.py", ["Dense(32", "Dense(1)"]),
    ],
)
def test_source_locations_point_at_the_lines_written(name, layer_needles):
    script = FIXTURES / "healthy" / name
    fit = record_of(script).fits[0]
    assert [layer.location.line for layer in fit.model.layers] == [line_of(script, n) for n in layer_needles]
    assert all(layer.location.path == str(script) for layer in fit.model.layers)
    assert fit.model.compile_location.line == line_of(script, "model.compile(")
    assert fit.location.line == line_of(script, "model.fit(")
    source_line = script.read_text().splitlines()[fit.model.layers[0].location.line - 1]
    assert source_line[fit.model.layers[0].location.column:].startswith(("keras.layers.Dense", "layers.Dense"))


@pytest.mark.slow
def test_optimizer_object_is_located_where_it_is_built():
    script = FIXTURES / "healthy" / "add_breast_cancer.py"
    optimizer = record_of(script).fits[0].model.optimizer
    assert optimizer.class_name == "Adam" and not optimizer.from_string
    assert optimizer.learning_rate == pytest.approx(0.001)
    line = script.read_text().splitlines()[optimizer.location.line - 1]
    assert line[optimizer.location.column:].startswith("keras.optimizers.Adam(")


@pytest.mark.slow
def test_input_and_label_statistics(tmp_script):
    fit = record_of(FIXTURES / "healthy" / "sequential_digits.py").fits[0]
    assert fit.inputs.shape == [1797, 64] and fit.inputs.max == 1.0 and fit.inputs.min == 0.0
    assert len(fit.inputs.feature_std) == 64
    assert fit.labels.n_classes == 10 and fit.labels.integer_valued and not fit.labels.one_hot


TF_KERAS = """\
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
y = (x.sum(axis=1) > 0).astype("float32")
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(8, activation="tanh"),
                             tf.keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="binary_crossentropy")
history = model.fit(x, y, epochs=2, verbose=0, callbacks=[tf.keras.callbacks.History()])
assert len(history.history["loss"]) == 2
"""


@pytest.mark.slow
def test_tf_keras_spelling_is_the_same_class_and_is_recorded(tmp_script):
    script = tmp_script(TF_KERAS)
    record = probe(script).record
    assert record.exit.status == "ok", record.exit.traceback
    (fit,) = record.fits
    assert len(fit.epochs) == 2
    assert fit.fit_args.callbacks == ["History"], "the user's own callbacks are kept"
    assert [s.saturated_fraction is not None for s in fit.samples[0].layers] == [True, True]


NAN = """\
import keras
import numpy as np

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(512, 4)).astype("float32") * 1e3
y = x.sum(axis=1, keepdims=True) ** 3
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=10.0), loss="mse")
model.fit(x, y, epochs=50, batch_size=32, verbose=0)
"""


@pytest.mark.slow
def test_nan_loss_stops_training_at_once(tmp_script):
    record = probe(tmp_script(NAN)).record
    (fit,) = record.fits
    assert fit.stopped_on_nan and not fit.completed
    assert fit.nan_epoch == 0 and len(fit.epochs) <= 1
    assert fit.batch_losses[-1].step == fit.nan_step


@pytest.mark.slow
def test_epoch_and_step_caps_reach_keras(tmp_script):
    from modeldoctor.run.runner import RunOptions, run_probe

    script = FIXTURES / "healthy" / "sequential_digits.py"
    record = run_probe(script, [], RunOptions(quiet=True, max_epochs=2, max_steps=3)).record
    (fit,) = record.fits
    assert record.max_epochs == 2 and record.max_steps == 3
    assert len(fit.epochs) == 2 and fit.steps_per_epoch == 3


ARGS = """\
import sys, os
import keras
import numpy as np
assert sys.argv[1:] == ["--size", "64"], sys.argv
assert sys.path[0] == os.path.dirname(os.path.abspath(__file__))
import helper_module
n = int(sys.argv[2])
model = keras.Sequential([keras.Input(shape=(2,)), helper_module.make_layer()])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.zeros((n, 2)), np.zeros((n, 1)), epochs=1, verbose=0)
"""


@pytest.mark.slow
def test_script_sees_its_arguments_and_folder_and_helper_locations(tmp_script):
    tmp_script("import keras\n\ndef make_layer():\n    return keras.layers.Dense(1)\n", "helper_module.py")
    script = tmp_script(ARGS)
    record = probe(script, "--size", "64").record
    assert record.exit.status == "ok", record.exit.traceback
    (layer,) = record.fits[0].model.layers
    assert layer.location.path.endswith("helper_module.py") and layer.location.line == 4


def test_doctor_process_never_imports_tensorflow():
    code = "import sys, modeldoctor.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
