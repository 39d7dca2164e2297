"""Keep an exponential moving average of the weights: `use_ema=True` on the optimizer.

`ema_momentum=` is written only when it differs from Keras' default (0.99).
Legacy (`optimizers.legacy.*`) optimizers have no EMA and are left alone.
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

DEFAULT_MOMENTUM = 0.99


class WeightAveraging(OptimizerCommand):
    DESCRIPTION = "Average the weights over the last steps with the optimizer's use_ema."

    def check_params(self) -> None:
        value = self.params["ema_momentum"]
        if value is None or not 0 < value < 1:
            raise Decline(f"weight_averaging needs 0 < ema_momentum < 1, got {value!r}")

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call:
        if site.cls is None or site.legacy:
            raise Decline(f"`{self.code(call.func)}` has no use_ema (only Keras' current optimizers do)")
        if has_star(call):
            raise Decline(f"`{self.code(call)}` passes *args/**kwargs: cannot tell whether it averages weights")
        new = call
        use = arg_of(new, "use_ema")
        if use is None:
            new = append_arg(new, kwarg("use_ema", literal(True)))
        elif not isinstance(use.value, cst.Name) or use.value.value not in ("True", "False"):
            raise Decline(f"use_ema is `{self.code(use.value)}`: change it where it is defined")
        elif use.value.value == "False":
            new = replace_arg(new, use, use.with_changes(value=literal(True)))
        momentum = float(self.params["ema_momentum"])
        current = arg_of(new, "ema_momentum")
        if momentum == DEFAULT_MOMENTUM:
            return new  # the user's own ema_momentum, if any, stays
        if current is None:
            new = append_arg(new, kwarg("ema_momentum", literal(momentum)))
        elif number_value(current.value) is None:
            raise Decline(f"ema_momentum is `{self.code(current.value)}`: change it where it is defined")
        elif not same_number(current.value, momentum):
            new = replace_arg(new, current, current.with_changes(value=literal(momentum)))
        return new


TRANSFORM = TransformSpec(
    name="weight_averaging",
    description=WeightAveraging.DESCRIPTION,
    command=WeightAveraging,
    applicability=Applicability.UNSAFE,
    params={"ema_momentum": Param(float, DEFAULT_MOMENTUM, "how slowly the average follows the weights")},
    target_kinds=WeightAveraging.TARGET_KINDS,
)
