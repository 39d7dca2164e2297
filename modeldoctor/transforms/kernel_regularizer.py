"""Add L2 weight regularization to layers: `kernel_regularizer=keras.regularizers.L2(l2)`.

Targets are layers (kind "layer"). Without targets: every Dense/Conv layer.
A layer that already has a kernel_regularizer is left as it is.
"""

from __future__ import annotations

from modeldoctor.transforms.base import Param, TransformSpec
from modeldoctor.transforms.layer_args import AddArgumentCommand


class KernelRegularizer(AddArgumentCommand):
    DESCRIPTION = __doc__
    WHAT = "adding a kernel_regularizer"
    KEYWORD = "kernel_regularizer"
    SUBMODULE = "regularizers"
    CLASS = "L2"
    PARAM = "l2"


TRANSFORM = TransformSpec(
    name="kernel_regularizer",
    description="Penalize large weights: add kernel_regularizer=L2(l2) to Dense/Conv layers.",
    command=KernelRegularizer,
    params={"l2": Param(float, 1e-4, "the L2 penalty factor")},
    target_kinds=("layer",),
)
