"""Bound each unit's weight norm: `kernel_constraint=keras.constraints.MaxNorm(max_value)`.

Targets are layers (kind "layer"). Without targets: every Dense/Conv layer.
A layer that already has a kernel_constraint is left as it is.
"""

from __future__ import annotations

from modeldoctor.transforms.base import Param, TransformSpec
from modeldoctor.transforms.layer_args import AddArgumentCommand


class KernelConstraint(AddArgumentCommand):
    DESCRIPTION = __doc__
    WHAT = "adding a kernel_constraint"
    KEYWORD = "kernel_constraint"
    SUBMODULE = "constraints"
    CLASS = "MaxNorm"
    PARAM = "max_value"


TRANSFORM = TransformSpec(
    name="kernel_constraint",
    description="Bound each unit's weights: add kernel_constraint=MaxNorm(max_value) to Dense/Conv layers.",
    command=KernelConstraint,
    params={"max_value": Param(float, 3.0, "the largest norm of a unit's incoming weights")},
    target_kinds=("layer",),
)
