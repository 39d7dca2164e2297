"""Bound each unit's weight norm: `kernel_constraint=keras.constraints.MaxNorm(max_value)`.

Targets are layers (kind "layer"). Without targets: every Dense/Conv layer.
A layer that already has a kernel_constraint is left as it is. Each kernel
gets its own argument (`depthwise_constraint` and `pointwise_constraint` on
SeparableConv2D). Not on Embedding: MaxNorm's axis 0 would bound each
embedding dimension over the vocabulary, not each token's vector.
"""

from __future__ import annotations

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.kernel_arguments import AddKernelArgumentCommand


class KernelConstraint(AddKernelArgumentCommand):
    DESCRIPTION = __doc__
    ROLE = "constraint"
    WHAT = "adding a kernel_constraint"
    KEYWORD = "kernel_constraint"
    SUBMODULE = "constraints"
    CLASS = "MaxNorm"
    PARAM = "max_value"


TRANSFORM = TransformSpec(
    name="kernel_constraint",
    description="Bound each unit's weights: add kernel_constraint=MaxNorm(max_value) to Dense/Conv layers.",
    command=KernelConstraint,
    applicability=Applicability.UNSAFE,
    params={"max_value": Param(float, 3.0, "the largest norm of a unit's incoming weights")},
    target_kinds=("layer",),
)
