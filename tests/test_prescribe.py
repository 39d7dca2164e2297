"""Prescriptions point at the nodes the run record located: which layers a cure edits."""

from __future__ import annotations

from records import classes, fit, run
from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.prescribe import prescribe, targets_for
from modeldoctor.record import LayerInfo, Location, OptimizerInfo
from modeldoctor.rules import load_catalog
from modeldoctor.transforms import available


def _layers(*activations: str) -> list[LayerInfo]:
    """Dense layers on lines 5, 6, ...; the last one is the output."""
    return [LayerInfo(name=f"dense_{i}", class_name="Dense", activation=activation, units=8,
                      location=Location("train.py", 5 + i, 4)) for i, activation in enumerate(activations)]


def _finding(name: str, **kw) -> Finding:
    return Finding(name=name, family=Family.LEARNING, severity=Severity.WARNING, confidence=1.0, message="m", **kw)


def _layer_names(finding: Finding, *activations: str) -> list[str | None]:
    record = fit([1.0, 0.9], layers=_layers(*activations))
    return [t.name for t in targets_for(["layer"], finding, record)]


def test_vanishing_gradients_targets_the_squashing_hidden_layers_only():
    found = _layer_names(_finding("vanishing-gradients"), "sigmoid", "linear", "tanh", "relu", "sigmoid")
    assert found == ["dense_0", "dense_2"], "not the linear or relu layer, and never the output"


def test_vanishing_gradients_without_squashing_layers_targets_every_hidden_layer():
    assert _layer_names(_finding("vanishing-gradients"), "linear", "relu", "softmax") == ["dense_0", "dense_1"]


def test_a_finding_that_names_its_layers_targets_those():
    finding = _finding("dying-relu", evidence={"layers": ["dense_1"]})
    assert _layer_names(finding, "relu", "relu", "sigmoid") == ["dense_1"]
    assert _layer_names(_finding("poor-initialization"), "relu", "relu", "sigmoid") == ["dense_0", "dense_1"]


# Relative parameters are resolved by each transform's own hook, called generically by prescribe.

CATALOG = load_catalog()
TRANSFORMS = available()


def _prescribed(finding: Finding, record, choice=None):
    [prescription] = prescribe([finding], CATALOG, [run(record)], TRANSFORMS, unsafe=True, choice=choice)
    return prescription


def test_target_update_ratio_is_resolved_against_the_recorded_learning_rate():
    finding = _finding("learning-rate-too-high", code="MD109", evidence={"update_ratio_median": 0.01})
    prescription = _prescribed(finding, fit([1.0, 0.9]))  # Adam at 0.001; measured 10x the target
    assert prescription.params == {"learning_rate": 0.0001} and prescription.declined is None


def test_an_unknown_learning_rate_declines_with_the_reason():
    record = fit([1.0, 0.9])
    record.model.optimizer = OptimizerInfo("Adam", None)  # a schedule: no number recorded
    prescription = _prescribed(_finding("nan-loss", code="MD101"), record, choice={"nan-loss": 2})
    assert prescription.cure.transform == "set_learning_rate"
    assert prescription.declined == "the current learning rate is unknown (no run record, or a schedule)"
    assert prescription.params == {}


def test_batch_size_factor_scales_keras_default_when_fit_set_none():
    index = [c.transform for c in CATALOG.by_code("MD301").cures].index("batch_size")
    prescription = _prescribed(_finding("high-variance", code="MD301"), fit([1.0, 0.9]), {"high-variance": index})
    assert prescription.cure.transform == "batch_size" and prescription.params == {"batch_size": 64}


def test_labels_auto_is_resolved_from_the_recorded_labels():
    finding = _finding("loss-activation-mismatch", code="MD112")
    assert _prescribed(finding, fit([1.0, 0.9], labels=classes(2))).params == {"labels": "binary"}
    assert _prescribed(finding, fit([1.0, 0.9], labels=classes(10))).params == {"labels": "sparse"}
    assert _prescribed(finding, fit([1.0, 0.9])).params == {}  # nothing recorded: the transform's default, "auto"


def test_only_transforms_with_a_hook_declare_relative_parameters():
    relative = {name: set(spec.relative) for name, spec in TRANSFORMS.items() if spec.relative}
    assert relative == {"set_learning_rate": {"factor", "target_update_ratio"}, "batch_size": {"factor"},
                        "clip_and_lower_rate": {"factor", "target_update_ratio"},  # set_learning_rate's hook
                        "train_longer": {"factor"}, "widen_layers": {"factor", "at_least"},
                        "stochastic_weight_averaging": {"last_share"}, "cyclic_schedule": {"cycles"}}
    assert all(TRANSFORMS[name].resolve is not None for name in relative)


def test_plain_fix_falls_through_to_the_next_cure_when_the_first_finds_nothing_to_change():
    """dying-relu's first cure resets a harmful initializer; without one it declines, and the rule's next cure
    (LeakyReLU) is the one written, as fix --verify would have tried it next."""
    from modeldoctor.fixing import treat_first_that_applies

    source = ("import keras\n\nmodel = keras.Sequential([\n    keras.Input(shape=(4,)),\n"
              "    keras.layers.Dense(8, activation=\"relu\"),\n    keras.layers.Dense(1, activation=\"sigmoid\"),\n])\n")
    layers = [LayerInfo(name="dense", class_name="Dense", activation="relu", units=8,
                        location=Location("train.py", 5, 4)),
              LayerInfo(name="out", class_name="Dense", activation="sigmoid", units=1,
                        location=Location("train.py", 6, 4))]
    record = run(fit([1.0, 0.9], layers=layers))
    finding = _finding("dying-relu", code="MD104", primary=True, evidence={"layers": ["dense"]}, fit=0)
    prescriptions = prescribe([finding], CATALOG, [record], TRANSFORMS, unsafe=True)
    assert prescriptions[0].cure.transform == "reset_initializer"
    treatment = treat_first_that_applies(source, prescriptions, CATALOG, [record], TRANSFORMS, unsafe=True)
    (applied,) = treatment.prescriptions
    assert applied.applied and applied.cure.transform == "swap_activation"
    assert 'activation="leaky_relu"' in treatment.source


def test_plain_fix_falls_through_when_the_first_cures_hook_reads_in_the_run_that_it_does_not_apply():
    """underfitting's first cure trains longer, only while the loss still falls; on a loss that had levelled off
    its hook declines, and the rule's next cure (widen the hidden layers) is written instead."""
    from modeldoctor.fixing import treat_first_that_applies

    source = ("import keras\n\nmodel = keras.Sequential([\n    keras.Input(shape=(4,)),\n"
              "    keras.layers.Dense(1, activation=\"tanh\"),\n    keras.layers.Dense(1),\n])\n")
    layers = [LayerInfo(name="dense", class_name="Dense", activation="tanh", units=1,
                        location=Location("train.py", 5, 4)),
              LayerInfo(name="out", class_name="Dense", activation="linear", units=1,
                        location=Location("train.py", 6, 4))]
    record = run(fit([1.0, 0.93, 0.93], layers=layers))
    finding = _finding("underfitting", code="MD203", primary=True, evidence={"late_share_of_drop": 0.01}, fit=0)
    prescriptions = prescribe([finding], CATALOG, [record], TRANSFORMS, unsafe=True)
    assert prescriptions[0].cure.transform == "train_longer" and "stopped falling" in prescriptions[0].declined
    treatment = treat_first_that_applies(source, prescriptions, CATALOG, [record], TRANSFORMS, unsafe=True)
    (applied,) = treatment.prescriptions
    assert applied.applied and applied.cure.transform == "widen_layers"
    assert 'keras.layers.Dense(32, activation="tanh")' in treatment.source
    assert prescribe([finding], CATALOG, [record], TRANSFORMS, unsafe=False)[0].declined.startswith("unsafe fix")
