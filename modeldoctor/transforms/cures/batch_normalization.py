"""Cure: insert `BatchNormalization()` right after a layer, keeping the next layer's inputs in a responsive range.

It never feeds a softmax output directly, where batch statistics would reach
the class probabilities unabsorbed (MD406). For the last hidden layer before
such an output, the layer's activation is split off instead:
`Dense(64, activation="tanh")` becomes `Dense(64)`, `BatchNormalization()`,
`Activation("tanh")`, which also normalizes what the tanh sees.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of
from modeldoctor.transforms.engine.edit_plan import Plan
from modeldoctor.transforms.engine.insertion import LayerInserter
from modeldoctor.transforms.engine.layer_kinds import NORMALIZATIONS, code, without_argument
from modeldoctor.transforms.engine.model_sites import Script, Site

LINEAR = {"None", '"linear"', "'linear'"}


class AddBatchNormalization(LayerInserter):
    DESCRIPTION = "Insert BatchNormalization() after the target layers (static: after every hidden Dense/Conv layer)."
    LAYER = "BatchNormalization"
    FAMILY = NORMALIZATIONS

    def layers_after(self, script: Script, plan: Plan, site: Site, following: Site | None, new: str) -> list[str]:
        if following is None or not _softmax(following):
            return [new]
        output = script.describe(following.value)
        activation = arg_of(site.value, "activation") if isinstance(site.value, cst.Call) else None
        if activation is None or code(activation.value) in LINEAR:
            raise Decline(f"feeds the softmax output {output} directly: no BatchNormalization goes there")
        call, shown = site.value, code(activation.value)
        plan.change(call, lambda node: without_argument(node, activation))  # type: ignore[arg-type]
        layer = script.describe(call)
        self.said = (
            f"moved the activation {shown} of {layer} into an Activation layer and inserted BatchNormalization() "
            f"between them ({layer} feeds the softmax output)"
        )
        return [new, f"{code(script.names.ref(self.context, 'layers', 'Activation'))}({shown})"]


def _softmax(site: Site) -> bool:
    """A layer whose activation is softmax: `Dense(10, activation="softmax")`, `Softmax()`, `Activation("softmax")`."""
    if site.layer == "Softmax":
        return True
    if not isinstance(site.value, cst.Call):
        return False
    position = 0 if site.layer == "Activation" else None  # Activation("softmax"), or only activation= elsewhere
    found = arg_of(site.value, "activation", position)
    return found is not None and "softmax" in code(found.value)


TRANSFORM = TransformSpec(
    name="batch_normalization",
    description=AddBatchNormalization.DESCRIPTION,
    command=AddBatchNormalization,
    applicability=Applicability.UNSAFE,
    params={},
    target_kinds=("layer",),
)
