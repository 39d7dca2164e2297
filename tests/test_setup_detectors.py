"""Setup detectors (unscaled inputs, loss/output pairing) on hand-built records and on short probes."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, cli
from modeldoctor.diagnose.detectors import setup
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.record import ArrayStats, LabelStats, LayerInfo
from records import fit, layer

T = Thresholds()
FALLING = [1.0, 0.8, 0.6, 0.5]
PIXELS = ArrayStats(shape=[100, 8, 8, 1], dtype="float32", min=0, max=255, mean=120, std=40, feature_axis="channel",
                    feature_mean=[120.0], feature_std=[40.0])


def conv() -> LayerInfo:
    return LayerInfo("conv2d", "Conv2D", "relu", filters=16, fan_in=9, params=160)


def plain(name: str, class_name: str) -> LayerInfo:
    return LayerInfo(name, class_name)


@pytest.mark.parametrize("before", [
    [plain("rescaling", "Rescaling")],
    [plain("random_translation", "RandomTranslation"), plain("rescaling", "Rescaling")],  # a nested augmentation
    [plain("random_flip", "RandomFlip"), plain("normalization", "Normalization")],
], ids=["after the input", "behind data augmentation", "normalization behind augmentation"])
def test_unscaled_inputs_sees_a_scaling_layer_before_the_first_weighted_layer(before):
    layers = [*before, conv(), layer("out", "softmax", 10)]
    assert setup.unscaled_inputs(fit(FALLING, layers=layers, inputs=PIXELS), T) is None


def test_unscaled_inputs_still_fires_when_the_scaling_comes_after_the_first_weighted_layer():
    layers = [plain("random_flip", "RandomFlip"), conv(), plain("batch_normalization", "BatchNormalization"),
              layer("out", "softmax", 10)]
    found = setup.unscaled_inputs(fit(FALLING, layers=layers, inputs=PIXELS), T)
    assert found is not None and found.evidence["max_feature_rms"] > 100


def test_token_ids_are_not_unscaled_features():
    layers = [LayerInfo("embedding", "Embedding", params=1000), layer("out", "sigmoid", 1)]
    ids = ArrayStats(shape=[100, 20], dtype="int64", min=0, max=999, mean=300, std=200,
                     feature_mean=[300.0] * 20, feature_std=[200.0] * 20)
    assert setup.unscaled_inputs(fit(FALLING, layers=layers, inputs=ids), T) is None


@pytest.mark.slow
def test_a_short_probe_of_a_model_that_rescales_behind_augmentation_is_quiet():
    """`--epochs 1 --max-steps 5` on 0..255 images rescaled inside the model: no unscaled-inputs warning."""
    script = FIXTURES / "healthy" / "augmented_rescaling_digits.py"
    result = cli("check", "--quiet", str(script), "--epochs", "1", "--max-steps", "5", "--format", "json")
    report = json.loads(result.stdout)
    assert [f["name"] for f in report["findings"]] == [], result.stderr
    assert result.returncode == 0
    inputs = report["runs"][0]["fits"][0]
    assert inputs["epochs"] == 1


def one_hot(n: int) -> LabelStats:
    return LabelStats(shape=[100, n], dtype="float32", min=0, max=1, integer_valued=True, one_hot=True, n_classes=n)


def continuous(low: float, high: float) -> LabelStats:
    return LabelStats(shape=[100], dtype="float64", min=low, max=high, integer_valued=False, one_hot=False)


def pairing(out: list[LayerInfo], loss: str, labels: LabelStats, logits: bool | None = None):
    f = fit(FALLING, layers=[layer("dense"), *out], loss_name=loss, labels=labels)
    f.model.loss.from_logits = logits
    return setup.loss_activation_mismatch(f, T)


SOFTMAX_LAYER = plain("activation", "Activation")
SOFTMAX_LAYER.activation = "softmax"


@pytest.mark.parametrize("out, loss, labels, mismatch", [
    # a separate Activation layer after Dense(k) is the output's activation
    ([layer("out", None, 10), SOFTMAX_LAYER], "categorical_crossentropy", one_hot(10), False),
    ([layer("out", None, 10), plain("dropout", "Dropout"), SOFTMAX_LAYER], "categorical_crossentropy", one_hot(10),
     False),
    ([layer("out", None, 10), SOFTMAX_LAYER], "mean_squared_error", one_hot(10), True),
    ([layer("out", None, 5), LayerInfo("act", "Activation", "sigmoid")], "categorical_crossentropy", one_hot(5), True),
    ([layer("out", None, 10), LayerInfo("softmax", "Softmax", "softmax")], "sparse_categorical_crossentropy",
     LabelStats([100], "int64", 0, 9, True, False, 10), False),
    # regression losses on one-hot labels, whatever the output
    ([layer("out", None, 3)], "mae", one_hot(3), True),
    ([layer("out", "softmax", 3)], "mean_absolute_error", one_hot(3), True),
    # an output that cannot produce the targets
    ([layer("out", "relu", 1)], "mse", continuous(-1.7, 3.2), True),
    ([layer("out", "relu", 1)], "mse", continuous(0.0, 3.2), False),
    ([layer("out", "relu", 1)], "mse", continuous(-0.01, 3.2), False),  # a hair below zero: within the margin
    ([layer("out", "sigmoid", 1)], "mse", continuous(0.0, 250.0), True),
    ([layer("out", None, 1)], "mse", continuous(-1.7, 3.2), False),
    # outputs that are not probabilities under a cross-entropy (the NaN-loss case)
    ([layer("out", "relu", 10)], "categorical_crossentropy", one_hot(10), True),
    ([layer("out", None, 10), LayerInfo("relu", "ReLU", "relu")], "categorical_crossentropy", one_hot(10), True),
    ([layer("out", "tanh", 1)], "binary_crossentropy", LabelStats([100], "int64", 0, 1, True, False, 2), True),
], ids=["activation layer softmax + cce", "through dropout", "activation layer softmax + mse on one-hot",
        "activation layer sigmoid + cce over 5", "Softmax layer + sparse cce", "linear + mae on one-hot",
        "softmax + mae on one-hot", "relu output, negative targets", "relu output, positive targets",
        "relu output, targets a hair below 0", "sigmoid output, targets up to 250", "linear output, any targets",
        "relu + cce", "ReLU layer + cce", "tanh + bce"])
def test_loss_output_and_targets_belong_together(out, loss, labels, mismatch):
    assert (pairing(out, loss, labels) is not None) is mismatch


def test_the_evidence_names_the_separate_activation_layer_and_the_targets():
    found = pairing([layer("out", None, 10), SOFTMAX_LAYER], "mean_squared_error", one_hot(10))
    assert found.evidence["activation"] == "softmax" and found.evidence["activation_layer"] == "activation"
    assert found.evidence["one_hot"] is True and found.evidence["classes"] == 10
    relu = pairing([layer("out", "relu", 1)], "mse", continuous(-1.7, 3.2))
    assert (relu.evidence["target_min"], relu.evidence["target_max"]) == (-1.7, 3.2)
    assert "never below 0" in relu.message


@pytest.mark.slow
@pytest.mark.parametrize("name, evidence", [
    ("loss_activation_mismatch_activation_layer_mse", {"activation": "softmax", "activation_layer": "activation",
                                                        "loss": "mean_squared_error", "one_hot": True}),
    ("loss_activation_mismatch_sigmoid_categorical", {"activation": "sigmoid", "units": 5, "one_hot": True}),
    ("loss_activation_mismatch_relu_negative_targets", {"activation": "relu", "one_hot": False}),
    ("loss_activation_mismatch_mae_one_hot", {"activation": "softmax", "loss": "mae", "classes": 3}),
])
def test_loss_output_target_mismatches_are_named_from_the_run(name, evidence):
    result = cli("check", "--quiet", str(FIXTURES / "learning" / f"{name}.py"), "--format", "json")
    assert result.returncode == 1, result.stderr
    first = json.loads(result.stdout)["findings"][0]
    assert first["name"] == "loss-activation-mismatch" and first["primary"]
    assert evidence.items() <= first["evidence"].items()
