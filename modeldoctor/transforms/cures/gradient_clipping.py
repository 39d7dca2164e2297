"""Clip each gradient's norm: `clipnorm=` on the optimizer.

A string optimizer becomes an optimizer object first. Keras takes only one
of `clipnorm`, `clipvalue` and `global_clipnorm`, so an optimizer that
already clips another way is left alone.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import (
    append_arg,
    arg_of,
    has_star,
    kwarg,
    literal,
    number_value,
    replace_arg,
    same_number,
)
from modeldoctor.transforms.engine.optimizer_command import OptimizerCommand, Site


class GradientClipping(OptimizerCommand):
    DESCRIPTION = "Clip the gradient norm with the optimizer's clipnorm."

    def check_params(self) -> None:
        value = self.params["clipnorm"]
        if value is None or not value > 0:
            raise Decline(f"gradient_clipping needs clipnorm > 0, got {value!r}")

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call:
        value = float(self.params["clipnorm"])
        if site.cls is None:
            raise Decline(f"`{self.code(call)}` is not a Keras optimizer: cannot tell whether it takes clipnorm")
        if has_star(call):
            raise Decline(f"`{self.code(call)}` passes *args/**kwargs: cannot tell whether it already clips")
        for other in ("clipvalue", "global_clipnorm"):
            if arg_of(call, other) is not None:
                raise Decline(f"the optimizer already clips with {other}=; Keras takes only one kind of clipping")
        arg = arg_of(call, "clipnorm")
        if arg is None:
            return append_arg(call, kwarg("clipnorm", literal(value)))
        if number_value(arg.value) is None:
            raise Decline(f"clipnorm is `{self.code(arg.value)}`, not a number: change it where it is defined")
        if same_number(arg.value, value):
            return call
        return replace_arg(call, arg, arg.with_changes(value=literal(value)))


TRANSFORM = TransformSpec(
    name="gradient_clipping",
    description=GradientClipping.DESCRIPTION,
    command=GradientClipping,
    applicability=Applicability.UNSAFE,
    params={"clipnorm": Param(float, 1.0, "the largest norm a gradient may have")},
    target_kinds=GradientClipping.TARGET_KINDS,
)
