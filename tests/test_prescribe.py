"""Prescriptions point at the nodes the run record located: which layers a cure edits."""

from __future__ import annotations

from records import fit
from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.prescribe import targets_for
from modeldoctor.record import LayerInfo, Location


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
