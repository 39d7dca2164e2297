"""Replace the optimizer by another Keras optimizer with a given learning rate.

Arguments the new optimizer also takes are kept (`clipnorm`, `clipvalue`,
`weight_decay`, shared hyperparameters such as `beta_1`); the others
(`momentum` for Adam) and positional ones are dropped.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import (
    arg_of,
    has_star,
    kwarg,
    literal,
    prepend_arg,
    remove_arg,
    replace_arg,
    same_number,
)
from modeldoctor.transforms.engine.optimizer_command import COMMON_ARGS, OPTIMIZER_ARGS, OptimizerCommand, Site
from modeldoctor.vocabulary import LEARNING_RATE, LEARNING_RATE_POSITION, LEGACY_LEARNING_RATE


class ChangeOptimizer(OptimizerCommand):
    DESCRIPTION = "Replace the optimizer by another Keras optimizer."

    def check_params(self) -> None:
        wanted = self.params["optimizer"]
        self.cls = next((name for name in OPTIMIZER_ARGS if name.lower() == str(wanted).lower()), None)
        if self.cls is None:
            raise Decline(f"change_optimizer: unknown optimizer {wanted!r}; one of {', '.join(OPTIMIZER_ARGS)}")

    def edit_optimizer(self, call: cst.Call, site: Site) -> cst.Call:
        cls = self.cls
        assert cls is not None  # check_params found the class, or the file was declined before planning
        rate = self.params["learning_rate"]
        if has_star(call):
            raise Decline(f"`{self.code(call)}` passes *args/**kwargs: cannot tell which arguments to keep")
        allowed = COMMON_ARGS | OPTIMIZER_ARGS[cls]
        first = arg_of(call, LEARNING_RATE, LEARNING_RATE_POSITION)
        new = call
        for arg in call.args:
            if arg.keyword is None and arg is not first:
                new = remove_arg(new, arg)  # positional hyperparameters mean other things in another class
            elif arg.keyword is not None and arg.keyword.value == LEGACY_LEARNING_RATE:
                new = replace_arg(new, arg, arg.with_changes(keyword=cst.Name(LEARNING_RATE)))
            elif arg.keyword is not None and arg.keyword.value not in allowed:
                new = remove_arg(new, arg)
        current = arg_of(new, LEARNING_RATE, LEARNING_RATE_POSITION)
        if current is None and rate is not None:
            new = prepend_arg(new, kwarg("learning_rate", literal(float(rate))))
        elif current is not None:
            changed = current if current.keyword else kwarg("learning_rate", current.value).with_changes(
                comma=current.comma, whitespace_after_arg=current.whitespace_after_arg
            )
            if rate is not None and not same_number(current.value, rate):
                changed = changed.with_changes(value=literal(float(rate)))
            new = replace_arg(new, current, changed)
        if self.qualified(new.func) != f"keras.optimizers.{cls}":
            new = new.with_changes(func=self.names.ref(self.context, "optimizers", cls))
        return new


TRANSFORM = TransformSpec(
    name="change_optimizer",
    description=ChangeOptimizer.DESCRIPTION,
    command=ChangeOptimizer,
    applicability=Applicability.UNSAFE,
    params={
        "optimizer": Param(str, "Adam", "the Keras optimizer class to use"),
        "learning_rate": Param(float, 0.001, "its learning rate (absolute); none keeps the current one"),
    },
    target_kinds=ChangeOptimizer.TARGET_KINDS,
)
