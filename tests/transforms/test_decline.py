"""One way to decline: every engine raises `base.Decline`, and `run` turns it into the outcome's reason."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst

from modeldoctor import transforms
from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TargetedCommand, TransformSpec, run

SOURCE = "import keras\n\nmodel.fit(x, y)\n"


class _Refuses(TargetedCommand):
    def check_params(self) -> None:
        if self.params["refuse"] == "params":
            raise Decline("the parameters say no")

    def visit_Call(self, node: cst.Call) -> None:
        if self.params["refuse"] == "after a warning":
            self.warn("line 3: skipped this call")
            raise Decline("nothing else to do")
        if self.params["refuse"] == "crash":
            raise RuntimeError("a bug")


def _spec() -> TransformSpec:
    params = {"refuse": Param(str, "params", "when to refuse")}
    return TransformSpec("refuses", "test", _Refuses, Applicability.UNSAFE, params)


def test_a_decline_from_the_parameter_check_is_the_reason_and_the_source_is_kept():
    outcome = run(_spec(), SOURCE, {"refuse": "params"})
    assert (outcome.source, outcome.edits, outcome.declined) == (SOURCE, (), "the parameters say no")


def test_a_warning_given_before_the_decline_is_the_reason_as_when_nothing_changed():
    outcome = run(_spec(), SOURCE, {"refuse": "after a warning"})
    assert outcome.source == SOURCE and outcome.declined == "line 3: skipped this call"


def test_any_other_exception_is_a_failure_not_a_decline():
    outcome = run(_spec(), SOURCE, {"refuse": "crash"})
    assert outcome.source == SOURCE and outcome.declined == "refuses failed: RuntimeError('a bug')"


def test_no_transform_module_defines_its_own_way_to_decline():
    """`Decline` is the only exception class in the package (no `CannotEdit`, no second `Decline`)."""
    folder = Path(transforms.__file__).parent
    found = [
        f"{path.name}: {node.name}"
        for path in sorted(folder.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id.endswith(("Exception", "Error")) for b in node.bases)
    ]
    assert found == ["base.py: Decline", "base.py: ParamError"]


def test_every_transform_declares_its_applicability():
    for name, spec in transforms.available().items():
        defaults = {key: param.default for key, param in spec.params.items()}
        assert spec.applicability_for(defaults) in (Applicability.SAFE, Applicability.UNSAFE), name
