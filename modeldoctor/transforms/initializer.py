"""Set a layer's kernel initializer; "auto" picks He for ReLU-family layers and Glorot otherwise.

Targets are layers (kind "layer"). Without targets: every layer that sets
`kernel_initializer=` explicitly (the default is already Glorot).
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.transforms.base import Param, TransformSpec
from modeldoctor.transforms.keyword_edits import (
    KERNEL_LAYERS,
    RECURRENT_LAYERS,
    CannotEdit,
    describe,
    keyword,
    quote_of,
    read_activation,
    set_keyword,
    string_node,
    string_value,
)
from modeldoctor.transforms.layer_args import LayerArgCommand

RELU_FAMILY = frozenset({"relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "mish", "celu"})


def auto_initializer(activation: str) -> str:
    if activation in RELU_FAMILY:
        return "he_normal"
    if activation == "selu":
        return "lecun_normal"
    return "glorot_uniform"


class Initializer(LayerArgCommand):
    DESCRIPTION = __doc__
    CLASSES = KERNEL_LAYERS | RECURRENT_LAYERS
    WHAT = "setting the kernel_initializer"
    NOTHING = "no layer sets kernel_initializer explicitly (the default, glorot_uniform, stays)"

    def wanted(self, call: cst.Call, cls: str) -> bool:
        return keyword(call, "kernel_initializer") is not None

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        value = self.params["initializer"]
        if value == "auto":
            name, expr = read_activation(self.names, original, cls)
            if name is None:
                code = cst.Module([]).code_for_node(expr) if expr is not None else "?"
                raise CannotEdit(f"its activation `{code}` cannot be read, so 'auto' cannot choose")
            value = auto_initializer(name)
        current = keyword(original, "kernel_initializer")
        if current is not None and string_value(current.value) == value:
            return updated
        new = set_keyword(updated, "kernel_initializer", string_node(value, quote_of(updated, self.quote)))
        self.note(original, f"set kernel_initializer={value!r} on {describe(original, cls)}")
        return new


TRANSFORM = TransformSpec(
    name="initializer",
    description="Set the kernel initializer: He for ReLU-family layers, Glorot otherwise ('auto'), or a given one.",
    command=Initializer,
    params={"initializer": Param(str, "auto", "an initializer name, or 'auto' to choose from the activation")},
    target_kinds=("layer",),
)
