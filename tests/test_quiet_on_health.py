"""Root cause first and quiet on health (issue 13), on small hand-made records.

A learning rate that is too high seen in the curve alone; the false alarms a
ratio of two losses near zero raises; symptoms of some seeds ranked below the
spread across seeds.
"""

from __future__ import annotations

import dataclasses

from records import fit, layer, sample

from modeldoctor.diagnose.detectors import generalization, gradients
from modeldoctor.diagnose.ranking import rank
from modeldoctor.diagnose.registry import found, infos
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.record import OptimizerInfo

T = Thresholds()
# An early low in epoch 9, then the loss rises in about half of the later epochs (the SGD regression).
BOUNCING = [0.441, 0.39, 0.38, 0.474, 0.339, 0.159, 0.256, 0.173, 0.141, 0.345, 0.447, 0.289, 0.314, 0.237,
            0.839, 0.778, 0.516, 0.856, 0.812, 0.818]
BOUNCING_VAL = [0.192, 0.647, 0.213, 0.373, 0.211, 0.53, 0.332, 0.106, 0.09, 1.53, 0.219, 0.242, 0.216, 0.236,
                1.16, 0.255, 0.524, 1.01, 0.615, 0.577]


def with_optimizer(record, name: str, lr: float, **config):
    model = dataclasses.replace(record.model, optimizer=OptimizerInfo(name, lr, config=config))
    return dataclasses.replace(record, model=model)


def test_a_high_rate_whose_loss_bounces_after_an_early_low_is_too_high_from_the_curve_alone():
    record = with_optimizer(fit(BOUNCING, val_loss=BOUNCING_VAL), "SGD", 0.2, momentum=0.9)
    finding = gradients.learning_rate_too_high(record, T)
    assert finding is not None and finding.evidence["seen_in"] == "curve"
    assert finding.evidence["early_low_epoch"] == 9 and finding.evidence["step"] == 2.0
    assert "update_ratio_median" not in finding.evidence, "no measured ratio: the cure falls back to its factor"


def test_the_same_bounce_at_an_ordinary_rate_is_not_called_a_rate_too_high():
    for name, lr, config in (("SGD", 0.01, {"momentum": 0.9}), ("Adam", 1e-3, {}), ("Adadelta", 1.0, {})):
        record = with_optimizer(fit(BOUNCING, val_loss=BOUNCING_VAL), name, lr, **config)
        assert gradients.learning_rate_too_high(record, T) is None, name


def test_a_high_rate_on_a_curve_that_settles_is_quiet():
    settles = [0.45, 0.13, 0.037, 0.029, 0.024, 0.02, 0.008, 0.0098, 0.0062, 0.011, 0.009, 0.0173, 0.0325,
               0.0532, 0.0362, 0.0174, 0.0067, 0.0047, 0.0042, 0.0041]
    record = with_optimizer(fit(settles, val_loss=[v * 2 for v in settles]), "Adam", 0.05)
    assert gradients.learning_rate_too_high(record, T) is None


def test_no_generalization_gap_from_a_ratio_of_two_losses_near_zero():
    """The issue's case: 0.0076 / 0.0024 crossed 1.5, on a regression at its noise floor."""
    train = [0.30, 0.08, 0.03, 0.012, 0.006, 0.004, 0.003, 0.0026, 0.0025, 0.0024]
    val = [0.20, 0.06, 0.025, 0.013, 0.0095, 0.0085, 0.008, 0.0078, 0.0077, 0.0076]
    assert generalization.generalization_gap(fit(train, val_loss=val), T) is None


def test_no_loss_gap_while_validation_is_still_improving_at_the_end():
    train = [2.0, 1.2, 0.8, 0.5, 0.3, 0.2, 0.12, 0.08, 0.05, 0.03]
    val = [2.1, 1.5, 1.2, 1.0, 0.9, 0.85, 0.8, 0.77, 0.75, 0.74]
    assert generalization.generalization_gap(fit(train, val_loss=val), T) is None
    turned = val[:-3] + [0.8, 0.85, 0.9]
    assert generalization.generalization_gap(fit(train, val_loss=turned), T) is not None


def test_no_overfitting_from_a_rise_of_a_loss_near_its_floor():
    train = [0.5, 0.1, 0.02, 0.008, 0.005, 0.004, 0.0035, 0.003, 0.0028, 0.0026]
    val = [0.4, 0.08, 0.015, 0.006, 0.004, 0.0045, 0.005, 0.0052, 0.0055, 0.006]
    assert generalization.overfitting(fit(train, val_loss=val), T) is None


def test_a_finding_of_some_seeds_only_is_ranked_below_the_spread_across_seeds():
    declared = infos()
    dying = found(declared["dying-relu"], "dead units", {"runs_with_finding": "2/5"})
    everywhere = found(declared["overfitting"], "val turned up", {"runs_with_finding": "5/5"})
    spread = found(declared["high-variance"], "seeds disagree", {"spread": 0.2})
    ranked = rank([dying, everywhere, spread])
    assert [f.name for f in ranked if f.primary] == ["overfitting", "high-variance"]
    (dying_ranked,) = [f for f in ranked if f.name == "dying-relu"]
    assert dying_ranked.caused_by == ("high-variance",) and ranked[-1] is dying_ranked


def test_gradients_that_grew_from_a_tiny_start_while_the_loss_fell_every_epoch_are_not_exploding():
    """A BatchNormalization CNN: the conv layer's first gradient is tiny, later ones 1000x larger."""
    samples = [sample(i, conv={"grad_norm": g, "weight_norm": 3.0}) for i, g in enumerate([0.01, 5.0, 15.0])]
    layers = [layer("conv"), layer("out", "softmax", 10)]
    healthy = fit([1.93, 1.39, 0.99, 0.70, 0.51, 0.39, 0.31, 0.25, 0.21, 0.18], layers=layers, samples=samples)
    assert gradients.exploding_gradients(healthy, T) is None
    stuck = fit([1.93, 1.92, 1.92, 1.91, 1.91, 1.90, 1.90, 1.90, 1.89, 1.89], layers=layers, samples=samples)
    assert gradients.exploding_gradients(stuck, T).evidence["growth"] == 1500
