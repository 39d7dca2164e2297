"""Every Keras 3 backend gets the same diagnosis: TensorFlow, JAX and PyTorch, through the real command line.

The fixtures are the ones `test_diagnosis_fixtures.py` holds to their labels
under TensorFlow; here one fixture per family and every healthy control run
under JAX and PyTorch (`--backend`), and must give the same primary finding,
or none. The input-pipeline fixture shows that every pipeline Keras takes
gives the probe its sample batch (gradients and activations are judged) and
that the user's training sees exactly the batches it would have seen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import FIXTURES, cli

LABELS = tomllib.loads((FIXTURES / "labels.toml").read_text())
OTHER_BACKENDS = ("jax", "torch")
# One per family the runtime diagnoses (learning from activations, learning from gradients, generalization,
# prediction over seeds), then every healthy control. Each backend draws its own random numbers (initial
# weights, shuffling), so a fixture whose verdict hangs on one draw is not a test of the backend: under JAX
# and PyTorch, overfitting_breast_cancer.py (SGD at 0.7 with momentum) oscillates instead of overfitting, and
# learning_rate_too_high_sgd.py saturates instead of reaching NaN (benchmarks/backends.py prints the table).
FAMILIES = ("learning/dying_relu_negative_bias.py", "learning/exploding_gradients_unscaled_target.py",
            "generalization/generalization_gap_small_train.py", "prediction/high_variance_noisy_endpoint.py")
HEALTHY = tuple(LABELS["healthy"])
PIPELINE = FIXTURES / "pipelines" / "dying_relu_pipelines.py"


@pytest.fixture(autouse=True)
def one_thread_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two test workers share two cores: PyTorch's default of a thread per core oversubscribes them and
    spins (a training takes twice as long). One thread per child changes the time, not the numbers."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def check_json(tmp_path: Path, script: Path, *args: str, script_args: tuple[str, ...] = ()) -> tuple[dict, dict, str]:
    """`modeldoctor check ... --format json`: the report, the run record, and what was said on stderr."""
    record = tmp_path / "run.json"
    result = cli("check", str(script), *args, "-q", "--format", "json", "--save-record", str(record),
                 *(("--", *script_args) if script_args else ()))
    assert result.returncode in (0, 1), result.stderr[-3000:]
    return json.loads(result.stdout), json.loads(record.read_text()), result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("backend", OTHER_BACKENDS)
@pytest.mark.parametrize("fixture", FAMILIES + HEALTHY)
def test_the_same_verdict_on_every_backend(tmp_path: Path, fixture: str, backend: str) -> None:
    label = LABELS["healthy"].get(fixture, LABELS["problems"].get(fixture))
    runs = ("--runs", str(label["runs"])) if "runs" in label else ()
    report, record, _ = check_json(tmp_path, FIXTURES / fixture, "--backend", backend, *runs)
    assert report["runs"][0]["backend"] == backend == record["backend"]
    names = [f["name"] for f in report["findings"]]
    if fixture in HEALTHY:
        assert names == [] and report["healthy"], report["findings"]
    else:
        assert names and names[0] == label["primary"], names
    assert all(fit["missing"] == [] for run in report["runs"] for fit in run["fits"]), "every signal observed"


PIPELINES = [("tensorflow", "tfdata"), ("tensorflow", "generator"), ("jax", "pydataset"), ("jax", "generator"),
             ("torch", "dataloader"), ("torch", "array")]


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "kind"), PIPELINES, ids=[f"{b}-{k}" for b, k in PIPELINES])
def test_every_input_pipeline_gives_a_sample_batch_and_trains_the_same(tmp_path: Path, backend: str, kind: str):
    # --full: the run is compared with a plain one to its last line (dying-relu would stop it at once).
    report, record, stderr = check_json(tmp_path, PIPELINE, "--backend", backend, "--full", script_args=(kind,))
    fit = record["fits"][0]
    assert fit["fit_args"]["data_kind"] == {"tfdata": "dataset"}.get(kind, kind)
    assert fit["missing"] == []
    assert any(layer["grad_norm"] for sample in fit["samples"] for layer in sample["layers"])
    assert fit["inputs"]["shape"][1] == 64
    assert report["findings"][0]["name"] == "dying-relu"

    plain = subprocess.run([sys.executable, str(PIPELINE), kind], capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3"))
    assert plain.returncode == 0, plain.stderr[-3000:]
    outcome = [line for line in plain.stderr.splitlines() if line.startswith("outcome ")]
    assert outcome and outcome[-1] in record["exit"]["stderr_tail"] + stderr, (outcome, record["exit"])


@pytest.mark.slow
def test_a_pipeline_the_probe_cannot_read_is_named_with_what_it_left_unjudged(tmp_path: Path) -> None:
    report, record, _ = check_json(tmp_path, PIPELINE, "--backend", "torch", script_args=("iterable",))
    missing = {m["signal"]: m["reason"] for m in record["fits"][0]["missing"]}
    assert set(missing) == {"gradients", "activations", "inputs"}
    assert "iterable dataset" in missing["gradients"]
    (note,) = [n for n in report["notes"] if n.startswith("not judged (")]
    assert "gradients, activations and inputs not observed" in note and "iterable dataset" in note
    assert "dying-relu" in note and "exploding-gradients" in note and "unscaled-inputs" in note
    assert "dying-relu" not in [f["name"] for f in report["findings"]]


@pytest.mark.slow
def test_the_scripts_own_backend_wins_and_the_report_says_which_ran(tmp_script, tmp_path: Path) -> None:
    script = tmp_script("""\
import os
os.environ["KERAS_BACKEND"] = "jax"
import keras
import numpy as np

x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, x.sum(axis=1), epochs=2, verbose=0)
""")
    result = cli("check", str(script), "--backend", "torch", "-q", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["runs"][0]["backend"] == "jax"
    assert "the script chose the jax backend itself" in result.stderr and "--backend torch was not used" in result.stderr

    text = cli("check", str(script), "-q")
    assert "(jax)" in text.stdout.splitlines()[0]


def test_a_backend_in_the_configuration_is_checked(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.modeldoctor]\nbackend = "mxnet"\n')
    (tmp_path / "train.py").write_text("print('never run')\n")
    result = cli("check", "train.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "[tool.modeldoctor] backend = 'mxnet': 'mxnet' is not one of 'tensorflow', 'jax', 'torch'." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_first_step_that_crashes_on_nan_data_names_the_data(tmp_path: Path) -> None:
    """PyTorch's binary cross-entropy raises on the NaN prediction that TensorFlow turns into a NaN loss:
    no epoch is observed (exit 2), and the hint names what the probe did see, the NaN in the inputs."""
    result = cli("check", str(FIXTURES / "learning" / "non_finite_data_missing_values.py"), "--backend", "torch",
                 "-q")
    assert result.returncode == 2, result.stderr
    assert "crashed with RuntimeError: all elements of input should be between 0 and 1 before its first epoch" \
        in result.stderr
    assert "hint: the training data holds NaN/Inf (162 input values; non-finite-data)" in result.stderr
