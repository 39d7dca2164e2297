"""Set the optimizer's learning rate to an absolute value.

A string optimizer (`optimizer="adam"`) becomes an optimizer object; an
optimizer call gets `learning_rate=` changed (also a positional first
argument, and the legacy `lr=` renamed) or added. The value is absolute: a
rule's `factor` or `target_update_ratio` is turned into one from the run
record by `resolve` before this runs, so applying the transform twice changes
nothing the second time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import (
    arg_of,
    has_star,
    kwarg,
    literal,
    number_value,
    prepend_arg,
    replace_arg,
    same_number,
)
from modeldoctor.transforms.engine.optimizer_command import OptimizerCommand, Site
from modeldoctor.vocabulary import LEARNING_RATE, LEARNING_RATE_POSITION, LEGACY_LEARNING_RATE

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord


class SetLearningRate(OptimizerCommand):
    DESCRIPTION = "Set the optimizer's learning rate."

    def check_params(self) -> None:
        value = self.params["learning_rate"]
        if value is None or not value > 0:
            raise Decline(f"set_learning_rate needs an absolute learning_rate > 0, got {value!r}")

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call:
        value = float(self.params["learning_rate"])
        if has_star(call):
            raise Decline(f"`{self.code(call)}` passes *args/**kwargs: cannot tell its learning rate")
        arg = arg_of(call, LEARNING_RATE, LEARNING_RATE_POSITION) or arg_of(call, LEGACY_LEARNING_RATE)
        if arg is None:
            if site.cls is None:
                raise Decline(f"`{self.code(call)}` is not a Keras optimizer: cannot tell how it takes a learning rate")
            return prepend_arg(call, kwarg("learning_rate", literal(value)))
        if number_value(arg.value) is None:
            raise Decline(
                f"the learning rate `{self.code(arg.value)}` is a schedule or a variable: "
                "change it where it is defined"
            )
        new = arg
        if arg.keyword is not None and arg.keyword.value == LEGACY_LEARNING_RATE:
            new = new.with_changes(keyword=cst.Name(LEARNING_RATE))
        if not same_number(arg.value, value):
            new = new.with_changes(value=literal(value))
        return replace_arg(call, arg, new)


def resolve(params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
    """`factor` scales the recorded learning rate; `target_update_ratio` chooses the factor.

    Updates scale about linearly with the rate, so the factor that lands the measured update
    ratio on the target is their quotient, within 1000x either way.
    """
    factor = params.pop("factor", None)
    target = params.pop("target_update_ratio", None)
    measured = finding.evidence.get("update_ratio_median") if finding else None
    if target is not None and measured:
        factor = min(max(target / measured, 1e-3), 1e3)
    if factor is not None:
        current = fit.model.optimizer.learning_rate if fit and fit.model.optimizer else None
        if current is None:
            raise LookupError("the current learning rate is unknown (no run record, or a schedule)")
        params["learning_rate"] = float(f"{current * factor:.3g}")
    return params


TRANSFORM = TransformSpec(
    name="set_learning_rate",
    description=SetLearningRate.DESCRIPTION,
    command=SetLearningRate,
    applicability=Applicability.UNSAFE,
    params={"learning_rate": Param(float, None, "the new learning rate (absolute)")},
    target_kinds=SetLearningRate.TARGET_KINDS,
    relative={
        "factor": Param((int, float), None, "multiply the recorded learning rate by this"),
        "target_update_ratio": Param(
            (int, float), None, "scale the rate so the measured weight-update ratio lands on this"
        ),
    },
    resolve=resolve,
)
