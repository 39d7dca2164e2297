"""Swap a saturating activation (sigmoid, tanh) for a ReLU-family one, with a matching initializer.

Targets are layers (kind "layer"). Without targets: every Dense/Conv or
Activation layer whose activation is sigmoid or tanh (and relu too when the
new activation is another one, e.g. leaky_relu for dying ReLUs; and those
`also` names, e.g. "linear" for hidden layers with no activation at all),
except the model's output layer, whose activation defines what the model
predicts.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of
from modeldoctor.transforms.engine.keyword_edits import (
    ACTIVATION_LAYER,
    KERNEL_LAYERS,
    canonical_activation,
    describe,
    quote_of,
    read_activation,
    set_activation,
    set_keyword,
    string_node,
    string_value,
)
from modeldoctor.transforms.engine.layer_args import LayerArgCommand
from modeldoctor.vocabulary import SATURATING, kernel_arguments


class SwapActivation(LayerArgCommand):
    DESCRIPTION = __doc__
    CLASSES = KERNEL_LAYERS | {ACTIVATION_LAYER}
    WHAT = "swapping the activation"

    @property
    def replaced(self) -> frozenset[str]:
        """What the static path swaps: saturating activations, and plain relu for a relu variant."""
        also = {canonical_activation(a) for a in self.params["also"].replace(",", " ").split()}
        return (SATURATING | {"relu"} | also) - {canonical_activation(self.params["activation"])}

    @property
    def NOTHING(self) -> str:  # noqa: N802 - the base class's name for the decline reason
        shown = ["sigmoid", "tanh"] + (["relu"] if "relu" in self.replaced else [])
        return f"no hidden layer uses {', '.join(shown[:-1])} or {shown[-1]}"

    def wanted(self, call: cst.Call, cls: str) -> bool:
        name, _ = read_activation(self.names, call, cls)
        return name in self.replaced and not self.is_output(call)

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        activation, initializer = self.params["activation"], self.params["initializer"]
        if self.is_output(original):
            raise Decline("it is the model's output layer: its activation defines the predictions")
        name, expr = read_activation(self.names, original, cls)
        if name is None and expr is not None:
            code = cst.Module([]).code_for_node(expr)
            raise Decline(f"its activation is `{code}`, set elsewhere: change it where it is defined")
        changes = []
        new = updated
        if name != canonical_activation(activation):
            new = set_activation(new, cls, activation, self.quote)
            changes.append(f"activation={activation!r}")
        for keyword in kernel_arguments(cls, "initializer") if initializer and cls != ACTIVATION_LAYER else ():
            current = arg_of(original, keyword)
            if not (current and string_value(current.value) == initializer):
                new = set_keyword(new, keyword, string_node(initializer, quote_of(new, self.quote)))
                changes.append(f"{keyword}={initializer!r}")
        if not changes:
            return updated
        self.note(original, f"set {', '.join(changes)} on {describe(original, cls)}")
        return new


TRANSFORM = TransformSpec(
    name="swap_activation",
    description="Replace sigmoid/tanh on hidden layers by a ReLU-family activation, with a matching initializer.",
    command=SwapActivation,
    applicability=Applicability.UNSAFE,
    params={
        "activation": Param(str, "relu", "the new activation, e.g. relu, leaky_relu, elu"),
        "initializer": Param(str, "he_normal", "the kernel initializer to set with it (empty: leave it)"),
        "also": Param(str, "", "more activations to replace on hidden layers, e.g. linear (none at all)"),
    },
    target_kinds=("layer",),
)
