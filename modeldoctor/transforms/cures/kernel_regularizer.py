"""Add L2 weight regularization to layers: `kernel_regularizer=keras.regularizers.L2(l2)`.

Targets are layers (kind "layer"). Without targets: every Dense/Conv layer.
A layer that already has a kernel_regularizer is left as it is. Each kernel
gets its own argument: `depthwise_regularizer` and `pointwise_regularizer`
on SeparableConv2D, `embeddings_regularizer` on an Embedding the run names.
"""

from __future__ import annotations

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.kernel_arguments import AddKernelArgumentCommand
from modeldoctor.vocabulary import EMBEDDING_LAYERS


class KernelRegularizer(AddKernelArgumentCommand):
    DESCRIPTION = __doc__
    CLASSES = AddKernelArgumentCommand.CLASSES | EMBEDDING_LAYERS  # an L2 penalty on embeddings is usual
    ROLE = "regularizer"
    WHAT = "adding a kernel_regularizer"
    KEYWORD = "kernel_regularizer"
    SUBMODULE = "regularizers"
    CLASS = "L2"
    PARAM = "l2"


TRANSFORM = TransformSpec(
    name="kernel_regularizer",
    description="Penalize large weights: add kernel_regularizer=L2(l2) to Dense/Conv layers.",
    command=KernelRegularizer,
    applicability=Applicability.UNSAFE,
    params={"l2": Param(float, 1e-4, "the L2 penalty factor")},
    target_kinds=("layer",),
)
