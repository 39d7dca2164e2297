"""Set a layer's kernel initializer; "auto" picks He for ReLU-family layers and Glorot otherwise.

Targets are layers (kind "layer"). Without targets: every layer that sets
`kernel_initializer=` explicitly (the default is already Glorot). Each kernel
is set under its own argument (`depthwise_initializer` and
`pointwise_initializer` on SeparableConv2D); a recurrent layer's recurrent
kernel keeps its orthogonal initializer.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of, arg_value
from modeldoctor.transforms.engine.keyword_edits import (
    KERNEL_LAYERS,
    RECURRENT_LAYERS,
    describe,
    quote_of,
    read_activation,
    set_keyword,
    string_node,
    string_value,
)
from modeldoctor.transforms.engine.layer_args import LayerArgCommand
from modeldoctor.vocabulary import HE_INITIALIZED, SELF_NORMALIZING, kernel_arguments


def auto_initializer(activation: str) -> str:
    if activation in HE_INITIALIZED:
        return "he_normal"
    if activation in SELF_NORMALIZING:
        return "lecun_normal"
    return "glorot_uniform"


class Initializer(LayerArgCommand):
    DESCRIPTION = __doc__
    CLASSES = KERNEL_LAYERS | RECURRENT_LAYERS
    WHAT = "setting the kernel_initializer"
    NOTHING = "no layer sets kernel_initializer explicitly (the default, glorot_uniform, stays)"

    def wanted(self, call: cst.Call, cls: str) -> bool:
        return any(arg_of(call, keyword) is not None for keyword in kernel_arguments(cls, "initializer"))

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        value = self.params["initializer"]
        if value == "auto":
            name, expr = read_activation(self.names, original, cls)
            if name is None:
                code = cst.Module([]).code_for_node(expr) if expr is not None else "?"
                raise Decline(f"its activation `{code}` cannot be read, so 'auto' cannot choose")
            value = auto_initializer(name)
        keywords = [k for k in kernel_arguments(cls, "initializer") if string_value(arg_value(original, k)) != value]
        if not keywords:
            return updated
        new = updated
        for keyword in keywords:
            new = set_keyword(new, keyword, string_node(value, quote_of(updated, self.quote)))
        self.note(original, f"set {', '.join(f'{k}={value!r}' for k in keywords)} on {describe(original, cls)}")
        return new


TRANSFORM = TransformSpec(
    name="initializer",
    description="Set the kernel initializer: He for ReLU-family layers, Glorot otherwise ('auto'), or a given one.",
    command=Initializer,
    applicability=Applicability.UNSAFE,
    params={"initializer": Param(str, "auto", "an initializer name, or 'auto' to choose from the activation")},
    target_kinds=("layer",),
)
