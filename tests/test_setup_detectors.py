"""Setup detectors (unscaled inputs, loss/output pairing) on hand-built records and on short probes."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, cli
from modeldoctor.diagnose.detectors import setup
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.record import ArrayStats, LayerInfo
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
