"""metric-task-mismatch and linear-hidden-layers: on hand-built records, then through the CLI on fixtures."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, cli, line_of
from modeldoctor.diagnose.detectors import task
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.record import LabelStats, LayerInfo
from records import classes, fit, layer

T = Thresholds()
FALLING = [1.0, 0.8, 0.6, 0.5]
PRICES = LabelStats(shape=[100], dtype="float64", min=-1.65, max=2.52, integer_valued=False, one_hot=False)


def regression(metrics: list[str], labels: LabelStats = PRICES, loss: str = "mse"):
    f = fit(FALLING, layers=[layer("dense"), layer("out", None, 1)], loss_name=loss, labels=labels)
    f.model.metrics = metrics
    f.epochs[-1].update({"accuracy": 0.0, "val_accuracy": 0.0})
    return task.metric_task_mismatch(f, T)


@pytest.mark.parametrize("metrics, labels, loss, expected", [
    (["accuracy"], PRICES, "mse", True),
    (["acc"], PRICES, "mean_absolute_error", True),
    (["binary_accuracy"], PRICES, "huber", True),
    (["mae"], PRICES, "mse", False),
    (["accuracy"], classes(10), "mse", False),  # integer targets: the loss is the finding (loss-activation)
    (["accuracy"], PRICES, "binary_crossentropy", False),
])
def test_accuracy_on_a_regression(metrics, labels, loss, expected):
    assert (regression(metrics, labels, loss) is not None) is expected


def test_metric_evidence_gives_the_targets_and_the_logged_accuracy():
    found = regression(["accuracy"])
    assert found.evidence["metrics"] == ["accuracy"] and found.evidence["final"] == {"accuracy": 0.0,
                                                                                      "val_accuracy": 0.0}
    assert (found.evidence["target_min"], found.evidence["target_max"]) == (-1.65, 2.52)


def dense(name: str, activation: str | None, units: int) -> LayerInfo:
    return layer(name, activation, units)


@pytest.mark.parametrize("layers, expected", [
    ([dense("a", None, 64), dense("b", None, 64), dense("out", None, 1)], True),
    ([dense("a", "linear", 64), LayerInfo("drop", "Dropout"), dense("out", "sigmoid", 1)], True),
    ([dense("a", None, 64), dense("out", None, 10), LayerInfo("act", "Activation", "softmax")], True),
    ([dense("a", "relu", 64), dense("b", None, 64), dense("out", None, 1)], False),  # one non-linearity
    ([dense("a", None, 64), LayerInfo("act", "Activation", "relu"), dense("out", None, 1)], False),
    ([dense("a", None, 64), LayerInfo("relu", "ReLU", "relu"), dense("out", None, 1)], False),
    ([LayerInfo("lstm", "LSTM", "tanh", units=32), dense("out", None, 1)], False),
    ([dense("out", None, 1)], False),  # a linear model is not a network of linear layers
])
def test_hidden_layers_without_an_activation(layers, expected):
    assert (task.linear_hidden_layers(fit(FALLING, layers=layers), T) is not None) is expected


def test_linear_layers_evidence_names_the_hidden_layers_for_the_cure():
    layers = [dense("a", None, 64), dense("b", None, 32), dense("out", None, 10), LayerInfo("act", "Activation",
                                                                                             "softmax")]
    found = task.linear_hidden_layers(fit(FALLING, layers=layers), T)
    assert found.evidence["layers"] == ["a", "b"] and found.evidence["output_activation"] == "softmax"
    assert found.layer == "a"


@pytest.mark.slow
@pytest.mark.parametrize("name, finding, needle", [
    ("metric_task_mismatch_accuracy_regression", "metric-task-mismatch", "model.compile("),
    ("linear_hidden_layers_sine", "linear-hidden-layers", "layers.Dense(64)"),
])
def test_named_from_the_run(name, finding, needle):
    script = FIXTURES / "learning" / f"{name}.py"
    result = cli("check", "--quiet", str(script), "--format", "json")
    assert result.returncode == 1, result.stderr
    first = json.loads(result.stdout)["findings"][0]
    assert first["name"] == finding and first["primary"] and first["location"]["line"] == line_of(script, needle)
