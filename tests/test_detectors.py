"""Each detector on small hand-made records, including the edge cases a real run produces."""

from __future__ import annotations

import math

import pytest
from records import classes, fit, layer, run, sample

from modeldoctor.diagnose import diagnose_run, diagnose_runs
from modeldoctor.diagnose.detectors import activations, curves, data, generalization, gradients, prediction, setup
from modeldoctor.diagnose.ranking import rank
from modeldoctor.diagnose.thresholds import Thresholds
from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.record import ArrayStats, LabelStats, Sample
from modeldoctor.rules import load_catalog

T = Thresholds()
FALLING = [2.0, 1.2, 0.8, 0.6, 0.5, 0.45, 0.42, 0.41]


def test_nan_in_the_first_batch_is_reported_at_step_zero():
    f = fit([math.nan], stopped_on_nan=True, nan_step=0, nan_epoch=0)
    finding = curves.nan_loss(f, T)
    assert finding.evidence["step"] == 0 and finding.epoch == 0
    assert "step 0" in finding.message


def test_nan_in_epoch_logs_without_the_probe_flag_still_counts():
    assert curves.nan_loss(fit([1.0, math.inf]), T).evidence["epoch"] == 1


def test_one_epoch_only_gives_no_curve_finding():
    f = fit([2.3], val_loss=[2.4])
    for detect in (curves.stalled_loss, curves.slow_convergence, curves.oscillating_loss,
                   generalization.overfitting, generalization.generalization_gap):
        assert detect(f, T) is None


def test_stalled_loss_fires_on_a_flat_curve_and_not_on_a_falling_one():
    flat = fit([2.3026, 2.3025, 2.3025, 2.3024], first_batch=2.3027)
    finding = curves.stalled_loss(flat, T)
    assert finding is not None and finding.evidence["improvement"] < T.stall_improvement
    assert curves.stalled_loss(fit(FALLING, first_batch=2.3), T) is None


def test_learning_within_the_first_epoch_is_not_a_stall():
    assert curves.stalled_loss(fit([0.30, 0.299, 0.298, 0.298], first_batch=2.3), T) is None


def test_slow_convergence_needs_a_steady_late_fall():
    slow = fit([2.36, 2.35, 2.34, 2.33, 2.32, 2.31, 2.30, 2.29, 2.28, 2.27])
    assert curves.slow_convergence(slow, T).evidence["remaining"] > 0.9
    plateau = fit([2.36, 2.30, 2.29, 2.29, 2.29, 2.29, 2.29, 2.29, 2.29, 2.29])
    assert curves.slow_convergence(plateau, T) is None


def test_oscillating_loss_counts_rises_and_ignores_noise_below_two_percent():
    bouncing = fit([0.5, 0.9, 0.4, 1.2, 0.6, 1.5, 0.7, 1.1])
    assert curves.oscillating_loss(bouncing, T).evidence["rises"] == 4
    noisy_but_falling = fit([1.0, 1.005, 0.9, 0.905, 0.8, 0.805, 0.7, 0.705])
    assert curves.oscillating_loss(noisy_but_falling, T) is None


def test_overfitting_needs_patience_not_one_noisy_epoch():
    train = [1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1]
    one_bump = fit(train, val_loss=[1.0, 0.8, 0.6, 0.5, 0.45, 0.44, 0.43, 0.5])
    assert generalization.overfitting(one_bump, T) is None
    turned = fit(train, val_loss=[1.0, 0.8, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8])
    finding = generalization.overfitting(turned, T)
    assert finding.evidence["best_epoch"] == 4 and finding.epoch == 4


def test_no_validation_data_means_no_generalization_finding():
    f = fit(FALLING, accuracy=[0.5 + i / 20 for i in range(8)])
    assert generalization.overfitting(f, T) is None
    assert generalization.generalization_gap(f, T) is None


def test_generalization_gap_on_the_accuracy_metric():
    acc = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0]
    val = [0.5, 0.65, 0.7, 0.72, 0.74, 0.75, 0.76, 0.77]
    finding = generalization.generalization_gap(fit(FALLING, val_loss=FALLING, accuracy=acc, val_accuracy=val), T)
    assert finding.evidence["measure"] == "accuracy" and finding.evidence["final_gap"] == pytest.approx(0.23)


def test_metrics_missing_fall_back_to_the_loss_ratio():
    val = [2.0, 1.3, 1.0, 0.9, 0.85, 0.85, 0.86, 0.88]
    finding = generalization.generalization_gap(fit(FALLING, val_loss=val), T)
    assert finding.evidence["measure"] == "val_loss/loss"


def test_underfitting_against_the_constant_prediction():
    plateau = [2.3, 1.8, 1.6, 1.55, 1.54, 1.535, 1.533, 1.532]
    f = fit(plateau, val_loss=[v + 0.1 for v in plateau], labels=classes(10))
    assert generalization.underfitting(f, T).evidence["constant_prediction_loss"] == pytest.approx(math.log(10), 1e-3)
    assert generalization.underfitting(fit(FALLING, val_loss=FALLING, labels=classes(10)), T) is None


def _grad_samples(first: float, last: float, n: int = 4, **extra: float) -> list[Sample]:
    return [sample(i, dense={"grad_norm": first, "weight_norm": 1.0, "mean_abs_grad": first / 100, **extra},
                   mid={"grad_norm": last, "weight_norm": 1.0, "mean_abs_grad": last / 100},
                   out={"grad_norm": last, "weight_norm": 1.0, "mean_abs_grad": last / 100})
            for i in range(n)]


def test_vanishing_gradients_needs_depth_and_tiny_absolute_values():
    layers = [layer("dense", "sigmoid"), layer("mid", "sigmoid"), layer("out", "softmax", 10)]
    f = fit(FALLING, layers=layers, samples=_grad_samples(1e-8, 0.1))
    assert gradients.vanishing_gradients(f, T).evidence["norm_ratio_median"] == pytest.approx(1e-7)
    shallow = fit(FALLING, layers=layers[1:], samples=_grad_samples(1e-8, 0.1))
    assert gradients.vanishing_gradients(shallow, T) is None


def test_exploding_gradients_relative_to_weights():
    f = fit(FALLING, layers=[layer("dense"), layer("mid"), layer("out", "softmax")], samples=_grad_samples(50.0, 0.1))
    assert gradients.exploding_gradients(f, T).layer == "dense"
    assert gradients.exploding_gradients(fit(FALLING, samples=_grad_samples(0.1, 0.1)), T) is None


def test_update_ratio_bands():
    high = [sample(i, dense={"update_ratio": 0.5}, out={"update_ratio": 0.3}) for i in range(4)]
    low = [sample(i, dense={"update_ratio": 1e-7}, out={"update_ratio": 2e-7}) for i in range(4)]
    assert gradients.learning_rate_too_high(fit(FALLING, samples=high), T) is not None
    assert gradients.learning_rate_too_low(fit(FALLING, samples=low), T) is not None
    assert gradients.learning_rate_too_low(fit(FALLING, samples=high), T) is None


def test_dying_relu_ignores_the_output_layer_and_early_samples():
    samples = [sample(i, dense={"dead_fraction": 0.9 if i >= 2 else 0.1}) for i in range(4)]
    assert activations.dying_relu(fit(FALLING, samples=samples), T).evidence["dead_share"] == {"dense": 0.9}
    out_only = [sample(i, out={"saturated_fraction": 0.99}) for i in range(4)]
    layers = [layer("dense"), layer("out", "sigmoid", 1)]
    assert activations.saturated_activations(fit(FALLING, layers=layers, samples=out_only), T) is None


def test_unscaled_inputs_on_scale_and_on_spread():
    def stats(means, stds):
        return ArrayStats(shape=[100, len(means)], dtype="float64", min=0, max=1000, mean=0, std=1,
                          feature_mean=means, feature_std=stds)
    assert setup.unscaled_inputs(fit(FALLING, inputs=stats([0.0, 500.0], [1.0, 100.0])), T) is not None
    assert setup.unscaled_inputs(fit(FALLING, inputs=stats([0.0, 0.0], [1.0, 1.0])), T) is None
    assert setup.unscaled_inputs(fit(FALLING, inputs=stats([0.0, 0.0], [1e-4, 1.0])), T) is not None



def _inputs(nonfinite: int = 0, rows: int = 0, shape: tuple[int, ...] = (569, 30), checked: int | None = None):
    return ArrayStats(shape=list(shape), dtype="float64", min=-3, max=3, mean=0, std=1, sampled_rows=shape[0],
                      nonfinite=nonfinite, nonfinite_rows=rows, checked_rows=shape[0] if checked is None else checked)


def _targets(nonfinite: int = 0, n: int = 569) -> LabelStats:
    return LabelStats(shape=[n], dtype="float64", min=0, max=1, integer_valued=True, one_hot=False, n_classes=2,
                      sampled_rows=n, nonfinite=nonfinite, nonfinite_rows=nonfinite, checked_rows=n)


def test_non_finite_inputs_are_counted_with_their_share_and_rows():
    finding = data.non_finite_data(fit(FALLING, inputs=_inputs(162, 150), labels=_targets()), T)
    assert finding is not None and finding.name == "non-finite-data" and finding.family is Family.LEARNING
    e = finding.evidence
    assert e["where"] == "inputs" and e["inputs_nonfinite"] == 162 and e["inputs_values"] == 569 * 30
    assert e["inputs_share"] == pytest.approx(162 / 17_070, rel=1e-3) and e["inputs_rows"] == 150
    assert e["inputs_checked_rows"] == 569 and e["checked"] == "every row" and "targets_nonfinite" not in e
    assert e["worst_share"] == e["inputs_share"]
    assert finding.message == ("162 of 17,070 input values (0.95 %, in 150 of 569 rows) are NaN/Inf "
                               "in the training data of fit 0")
    assert finding.location is not None and finding.epoch == 0


def test_non_finite_targets_alone_and_with_inputs():
    only = data.non_finite_data(fit(FALLING, inputs=_inputs(), labels=_targets(1)), T)
    assert only.evidence["where"] == "targets" and only.evidence["targets_nonfinite"] == 1
    assert only.message == "1 of 569 target values (0.18 %) is NaN/Inf in the training data of fit 0"
    both = data.non_finite_data(fit(FALLING, inputs=_inputs(3, 3), labels=_targets(57)), T)
    assert both.evidence["where"] == "inputs and targets"
    assert both.evidence["worst_share"] == pytest.approx(57 / 569, rel=1e-3)


def test_clean_or_unobserved_data_gives_no_non_finite_finding():
    assert data.non_finite_data(fit(FALLING, inputs=_inputs(), labels=_targets()), T) is None
    assert data.non_finite_data(fit(FALLING), T) is None  # a generator: nothing was described


def test_non_finite_count_of_an_older_record_is_over_its_sampled_rows():
    old = _inputs(5, 5, shape=(50_000, 4), checked=0)
    old.sampled_rows = 10_000
    finding = data.non_finite_data(fit(FALLING, inputs=old), T)
    assert finding.evidence["inputs_values"] == 40_000 and finding.evidence["inputs_checked_rows"] == 10_000


def test_non_finite_data_in_a_dataset_says_only_the_first_batch_was_checked():
    f = fit(FALLING, inputs=_inputs(2, 1, shape=(32, 30)))
    f.fit_args.data_kind = "dataset"
    finding = data.non_finite_data(f, T)
    assert finding.evidence["checked"] == "the first batch of the dataset"
    assert "first batch of the training dataset" in finding.message


def test_non_finite_data_is_the_root_cause_of_nan_loss_whatever_the_loss_did():
    nan = fit([math.nan], stopped_on_nan=True, nan_step=0, nan_epoch=0, inputs=_inputs(162, 150))
    findings = diagnose_run(run(nan), T, load_catalog())
    assert [x.name for x in findings] == ["non-finite-data", "nan-loss"]
    first, second = findings
    assert first.primary and first.code == "MD114" and first.severity.value == "error"
    assert not second.primary and second.caused_by == ("non-finite-data",)
    plateau = [0.69, 0.6, 0.55, 0.54, 0.535, 0.533, 0.532, 0.532]  # NaN zeroed by the CPU: a quiet poor fit
    clean = fit(plateau, val_loss=plateau, labels=classes(2), completed=True)
    assert [x.name for x in diagnose_run(run(clean), T, load_catalog())] == ["underfitting"]
    quiet = fit(plateau, val_loss=plateau, labels=classes(2), completed=True, inputs=_inputs(162, 150))
    assert [x.name for x in diagnose_run(run(quiet), T, load_catalog())] == ["non-finite-data"]

@pytest.mark.parametrize(
    "activation, units, loss, logits, mismatch",
    [
        (None, 10, "sparse_categorical_crossentropy", None, True),
        (None, 10, "SparseCategoricalCrossentropy", True, False),
        ("softmax", 10, "binary_crossentropy", None, True),
        ("softmax", 10, "sparse_categorical_crossentropy", None, False),
        ("sigmoid", 1, "mse", None, True),
        ("sigmoid", 1, "binary_crossentropy", None, False),
        ("softmax", 1, "categorical_crossentropy", None, True),
        ("softmax", 10, "SparseCategoricalCrossentropy", True, True),  # softmax applied twice
        ("sigmoid", 5, "categorical_crossentropy", None, True),
        ("softmax", 10, "bce", None, True),  # Keras' alias: the same pairing as binary_crossentropy
        ("sigmoid", 1, "BinaryFocalCrossentropy", None, False),
    ],
)
def test_loss_activation_pairs(activation, units, loss, logits, mismatch):
    f = fit(FALLING, layers=[layer("dense"), layer("out", activation, units)], loss_name=loss, labels=classes(2))
    f.model.loss.from_logits = logits
    assert (setup.loss_activation_mismatch(f, T) is not None) is mismatch


def test_poor_initialization_compares_with_the_fan_in_scale():
    tiny = layer("dense", fan_in=64, initial_kernel_std=1e-4)
    fine = layer("dense", fan_in=64, initial_kernel_std=0.15)
    assert setup.poor_initialization(fit(FALLING, layers=[tiny]), T).evidence["std_to_expected"]["dense"] < 0.01
    assert setup.poor_initialization(fit(FALLING, layers=[fine]), T) is None


def test_high_variance_across_seeds_and_not_for_a_single_run():
    runs = [run(fit(FALLING, val_loss=[*FALLING[:-1], v]), seed=i) for i, v in enumerate([0.3, 0.6, 0.9])]
    finding = prediction.high_variance(runs, T)
    assert finding.family is Family.PREDICTION and finding.evidence["seeds"] == [0, 1, 2]
    steady = [run(fit(FALLING, val_loss=[*FALLING[:-1], v])) for v in [0.41, 0.42, 0.41]]
    assert prediction.high_variance(steady, T) is None
    assert prediction.high_variance(runs[:1], T) is None


def test_ranking_puts_the_root_cause_first_and_links_the_rest():
    high = [sample(i, dense={"update_ratio": 0.5, "grad_norm": 100.0, "weight_norm": 1.0}) for i in range(4)]
    f = fit([1.0, math.nan], samples=high, stopped_on_nan=True, nan_step=3, nan_epoch=1)
    findings = diagnose_run(run(f), T, load_catalog())
    assert [x.name for x in findings][0] == "learning-rate-too-high"
    nan = next(x for x in findings if x.name == "nan-loss")
    assert not nan.primary and "learning-rate-too-high" in nan.caused_by
    assert nan.code == "MD101" and nan.severity.value == "error"


def test_underfitting_is_dropped_when_a_learning_problem_explains_it():
    plateau = [2.3, 1.8, 1.6, 1.55, 1.54, 1.535, 1.533, 1.532]
    low = [sample(i, dense={"update_ratio": 1e-7}) for i in range(4)]
    f = fit(plateau, val_loss=plateau, labels=classes(10), samples=low, steps_per_epoch=10)
    assert [x.name for x in diagnose_run(run(f), T, load_catalog())] == ["learning-rate-too-low"]


def test_a_short_probe_is_too_few_steps_to_judge_gradients_and_updates():
    """`--epochs 1 --max-steps 5`: huge gradients and updates in five steps are no evidence; the report says
    what it did not judge instead of warning. Twenty steps are."""
    from modeldoctor.diagnose import unjudged_for_few_steps

    wild = [sample(i, dense={"update_ratio": 0.5, "grad_norm": 100.0, "weight_norm": 1.0}) for i in range(5)]
    short = fit([1.0], samples=wild, steps_per_epoch=5)
    assert diagnose_run(run(short), T, load_catalog()) == []
    (note,) = unjudged_for_few_steps([run(short)], T)
    assert note.startswith("5 steps: too few to judge exploding-gradients, learning-rate-too-high")
    longer = fit([1.0], samples=wild, steps_per_epoch=20)
    assert "exploding-gradients" in [x.name for x in diagnose_run(run(longer), T, load_catalog())]
    assert unjudged_for_few_steps([run(longer)], T) == []


def test_findings_seen_in_a_minority_of_runs_are_not_reported():
    nan_run = run(fit([1.0, math.nan], stopped_on_nan=True, nan_step=1, nan_epoch=1))
    clean = run(fit(FALLING))
    names = [f.name for f in diagnose_runs([nan_run, clean, clean], T, load_catalog())]
    assert "nan-loss" not in names


def test_thresholds_are_overridable_and_unknown_names_rejected():
    assert Thresholds().with_overrides({"dead_share": 0.5}).dead_share == 0.5
    with pytest.raises(ValueError, match="unknown threshold"):
        Thresholds().with_overrides({"dead_shares": 0.5})
    reasons = Thresholds.reasons()
    assert len(reasons) >= 20 and "dead_share" in reasons, "every threshold has its reason, none is missed"
    assert all(reason for reason in reasons.values())


def test_every_detector_has_a_rule_and_every_runtime_rule_a_detector():
    from modeldoctor.diagnose.registry import all_detectors

    names = {d.detector_info.name for d in all_detectors()}
    runtime_rules = {r.name for r in load_catalog().rules if r.code < "MD400"}
    assert names == runtime_rules
    # one finding of every kind: each is either primary or caused by findings that are there, primaries first
    every = [Finding(name=n, family=load_catalog().by_name(n).family, severity=Severity.WARNING, confidence=0.9,
                     message=n) for n in sorted(names)]
    ranked = rank(every)
    assert {f.name for f in ranked} == names - {"underfitting"}  # a learning finding explains underfitting away
    assert all(f.primary == (not f.caused_by) and set(f.caused_by) <= names for f in ranked)
    assert [f.primary for f in ranked] == sorted((f.primary for f in ranked), reverse=True)
    assert ranked[0].name == "non-finite-data" and not next(f for f in ranked if f.name == "nan-loss").primary


def test_a_signal_not_observed_names_the_findings_it_leaves_unjudged():
    from modeldoctor.diagnose import unjudged_for_missing
    from modeldoctor.record import Signal

    f = fit([1.0, 0.9, 0.8])
    f.miss(Signal.GRADIENTS, "jax gradients on the sample batch failed: ValueError: bad")
    f.miss(Signal.GRADIENTS, "a second reason for the same signal is not kept")
    f.miss(Signal.UPDATES, "jax gradients on the sample batch failed: ValueError: bad")
    f.miss(Signal.INPUTS, "the training inputs are not one numeric array")
    (first, second) = unjudged_for_missing([run(f)])
    assert first == ("not judged (gradients and updates not observed: jax gradients on the sample batch failed: "
                     "ValueError: bad): exploding-gradients, vanishing-gradients, learning-rate-too-high, "
                     "learning-rate-too-low")
    assert second == ("not judged (inputs not observed: the training inputs are not one numeric array): "
                      "non-finite-data, unscaled-inputs")
    assert unjudged_for_missing([run(fit([1.0, 0.9]))]) == []
