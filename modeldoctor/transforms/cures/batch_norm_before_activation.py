"""Cure: BatchNormalization between a layer and its activation: `Dense(64, activation="relu")` becomes
`Dense(64)`, `BatchNormalization()`, `Activation("relu")`.

For dying ReLUs (and saturated units): the activation then sees inputs
normalized per batch, centred near zero, so a unit cannot sit below zero on
every example. The layer's activation is moved out of the call into an
`Activation` layer after the normalization (Ioffe & Szegedy place it there).
A layer whose activation is not written in its call (none, linear, or passed
through `**kwargs`) is left as it was, with the reason. Idempotent: a layer
already followed by a normalization is left alone. Unsafe: it changes what
the model computes.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.cures.batch_normalization import LINEAR, AddBatchNormalization
from modeldoctor.transforms.engine.base import Decline, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of
from modeldoctor.transforms.engine.edit_plan import Plan
from modeldoctor.transforms.engine.layer_kinds import code, without_argument
from modeldoctor.transforms.engine.model_sites import Script, Site


class BatchNormBeforeActivation(AddBatchNormalization):
    DESCRIPTION = "Insert BatchNormalization between the target layers and their activation."

    def layers_after(self, script: Script, plan: Plan, site: Site, following: Site | None, new: str) -> list[str]:
        activation = arg_of(site.value, "activation") if isinstance(site.value, cst.Call) else None
        if activation is None or code(activation.value) in LINEAR:
            raise Decline("has no activation written in its call to put BatchNormalization before")
        call, shown = site.value, code(activation.value)
        plan.change(call, lambda node: without_argument(node, activation))  # type: ignore[arg-type]
        self.said = (f"moved the activation {shown} of {script.describe(call)} into an Activation layer after a "
                     "new BatchNormalization()")
        return [new, f"{code(script.names.ref(self.context, 'layers', 'Activation'))}({shown})"]


TRANSFORM = TransformSpec(
    name="batch_norm_before_activation",
    description=BatchNormBeforeActivation.DESCRIPTION,
    command=BatchNormBeforeActivation,
    applicability=Applicability.UNSAFE,
    params={},
    target_kinds=("layer",),
)
