"""Set the optimizer's learning rate to an absolute value.

A string optimizer (`optimizer="adam"`) becomes an optimizer object; an
optimizer call gets `learning_rate=` changed (also a positional first
argument, and the legacy `lr=` renamed) or added. The value is absolute: a
factor from a rule is resolved against the run record before this runs, so
applying the transform twice changes nothing the second time.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.transforms.base import Param, TransformSpec
from modeldoctor.transforms.call_edits import (
    arg_of,
    has_star,
    kwarg,
    literal,
    number_value,
    prepend_arg,
    replace_arg,
    same_number,
)
from modeldoctor.transforms.optimizer_command import OptimizerCommand, Site


class SetLearningRate(OptimizerCommand):
    DESCRIPTION = "Set the optimizer's learning rate."

    def check_params(self) -> str | None:
        value = self.params["learning_rate"]
        if value is None or not value > 0:
            return f"set_learning_rate needs an absolute learning_rate > 0, got {value!r}"
        return None

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call | str:
        value = float(self.params["learning_rate"])
        if has_star(call):
            return f"`{self.code(call)}` passes *args/**kwargs: cannot tell its learning rate"
        arg = arg_of(call, "learning_rate", 0) or arg_of(call, "lr")
        if arg is None:
            if site.cls is None:
                return f"`{self.code(call)}` is not a Keras optimizer: cannot tell how it takes a learning rate"
            return prepend_arg(call, kwarg("learning_rate", literal(value)))
        if number_value(arg.value) is None:
            return (
                f"the learning rate `{self.code(arg.value)}` is a schedule or a variable: "
                "change it where it is defined"
            )
        new = arg
        if arg.keyword is not None and arg.keyword.value == "lr":
            new = new.with_changes(keyword=cst.Name("learning_rate"))
        if not same_number(arg.value, value):
            new = new.with_changes(value=literal(value))
        return replace_arg(call, arg, new)


TRANSFORM = TransformSpec(
    name="set_learning_rate",
    description=SetLearningRate.DESCRIPTION,
    command=SetLearningRate,
    params={"learning_rate": Param(float, None, "the new learning rate (absolute)")},
    target_kinds=SetLearningRate.TARGET_KINDS,
)
