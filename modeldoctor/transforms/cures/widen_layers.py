"""Widen the hidden layers: every targeted Dense/Conv layer gets at least `min_units` units (or filters).

For underfitting whose loss has levelled off far above what the task
allows: the model lacks the capacity. The width is absolute (a rule's
`factor` times the widest hidden layer the run recorded, at least
`at_least`, resolved from the record), so applying it twice changes nothing;
layers already as wide are left alone, and so is the output layer, whose
width is the task's. Targets are layers (underfitting: the hidden ones);
without targets, every hidden Dense/Conv layer with a literal width.
Unsafe: it changes the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of
from modeldoctor.transforms.engine.keyword_edits import KERNEL_LAYERS, describe, int_value, replace_value
from modeldoctor.transforms.engine.layer_args import LayerArgCommand

if TYPE_CHECKING:
    from modeldoctor.ftypes import Finding
    from modeldoctor.record import FitRecord


def width_arg(call: cst.Call) -> cst.Arg | None:
    return arg_of(call, "units", 0) or arg_of(call, "filters", 0)


class WidenLayers(LayerArgCommand):
    DESCRIPTION = __doc__
    CLASSES = KERNEL_LAYERS
    WHAT = "widening"
    NOTHING = "no hidden Dense or Conv layer with a width written as a number"

    def check_params(self) -> None:
        if not self.params["min_units"] or self.params["min_units"] < 1:
            raise Decline(f"widen_layers needs min_units >= 1, got {self.params['min_units']!r}")

    def wanted(self, call: cst.Call, cls: str) -> bool:
        arg = width_arg(call)
        return arg is not None and int_value(arg.value) is not None and not self.is_output(call)

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        if self.is_output(original):
            raise Decline("it is the model's output layer: its width is the task's")
        arg = width_arg(updated)
        if arg is None or int_value(arg.value) is None:
            raise Decline("its width is not written as a number in the call")
        width, wanted = int_value(arg.value) or 0, int(self.params["min_units"])
        if width >= wanted:
            return updated
        self.note(original, f"widened {describe(original, cls)} to {wanted}")
        return replace_value(updated, arg, cst.Integer(str(wanted)))


def resolve(params: dict[str, Any], fit: FitRecord | None, finding: Finding | None) -> dict[str, Any]:
    """`factor` times the widest hidden layer the run recorded, and at least `at_least`."""
    factor, at_least = params.pop("factor", None), params.pop("at_least", None)
    if factor is not None or at_least is not None:
        sized = [layer.units or layer.filters or 0 for layer in (fit.model.layers if fit else [])
                 if layer.units is not None or layer.filters is not None][:-1]
        widest = max(sized, default=0)
        params["min_units"] = max(int(round(widest * (factor or 1))), int(at_least or 1))
    return params


TRANSFORM = TransformSpec(
    name="widen_layers",
    description="Widen the hidden Dense/Conv layers to at least a given number of units.",
    command=WidenLayers,
    applicability=Applicability.UNSAFE,
    params={"min_units": Param(int, 64, "the width every targeted hidden layer gets at least (absolute)")},
    target_kinds=("layer",),
    relative={"factor": Param((int, float), None, "times the widest hidden layer the run recorded"),
              "at_least": Param(int, None, "and at least this many units")},
    resolve=resolve,
)
