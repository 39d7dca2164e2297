"""Penalize large activations: `activity_regularizer=keras.regularizers.L2(l2)`.

Targets are layers (kind "layer"). Without targets: every Dense/Conv layer
except the model's output layer (a penalty there would pull the predictions
towards zero). A layer that already has one is left as it is.
"""

from __future__ import annotations

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.layer_args import AddArgumentCommand


class ActivityRegularizer(AddArgumentCommand):
    DESCRIPTION = __doc__
    WHAT = "adding an activity_regularizer"
    KEYWORD = "activity_regularizer"
    SUBMODULE = "regularizers"
    CLASS = "L2"
    PARAM = "l2"
    SKIP_OUTPUT = True
    NOTHING = "no hidden Dense or Conv layer found"


TRANSFORM = TransformSpec(
    name="activity_regularizer",
    description="Penalize large activations: add activity_regularizer=L2(l2) to hidden Dense/Conv layers.",
    command=ActivityRegularizer,
    applicability=Applicability.UNSAFE,
    params={"l2": Param(float, 1e-4, "the L2 penalty factor on the layer's outputs")},
    target_kinds=("layer",),
)
