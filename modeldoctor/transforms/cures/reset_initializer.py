"""Reset an initializer that starts a layer broken: a negative constant bias, a constant or zero kernel.

The dying-ReLU cure the evidence names: `bias_initializer=Constant(-4.0)` on
a ReLU layer puts every unit's input below zero before training starts, so
no gradient ever reaches them; a constant (or zero) kernel makes every unit
of a layer compute the same thing, so they can never become different. The
bias goes back to Keras' default (`"zeros"`), the kernel to He for
ReLU-family layers and Glorot otherwise. Targets are layers (the dying ones
the run located); without targets, every layer that sets such an
initializer. It reads the arguments where they are written, through a
`**kwargs` dict too (engine/splats.py). Idempotent: once reset, nothing is
harmful. Unsafe: it changes where training starts.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.cures.initializer import auto_initializer
from modeldoctor.transforms.engine.base import Decline, TransformSpec
from modeldoctor.transforms.engine.call_edits import arg_of, arg_value, number_value
from modeldoctor.transforms.engine.keyword_edits import (
    KERNEL_LAYERS,
    describe,
    quote_of,
    read_activation,
    set_keyword,
    string_node,
    string_value,
)
from modeldoctor.transforms.engine.layer_args import LayerArgCommand
from modeldoctor.vocabulary import kernel_arguments

CONSTANT = ("Constant", "constant")
SAME_FOR_EVERY_UNIT = {"zeros", "ones", "constant", "Zeros", "Ones", "Constant"}


def _class_name(expr: cst.BaseExpression) -> str | None:
    """`initializers.Constant(-4.0)` -> "Constant"; `"zeros"` -> "zeros"."""
    if isinstance(expr, cst.Call):
        full = get_full_name_for_node(expr.func)
        return full.rsplit(".", 1)[-1] if full else None
    return string_value(expr)


def negative_constant(expr: cst.BaseExpression | None) -> bool:
    """`Constant(-4.0)`, `keras.initializers.Constant(value=-1)`: a bias that starts every unit below zero."""
    if not isinstance(expr, cst.Call) or _class_name(expr) not in CONSTANT:
        return False
    value = arg_of(expr, "value", 0)
    amount = number_value(value.value) if value is not None else None
    return amount is not None and amount < 0


def same_for_every_unit(expr: cst.BaseExpression | None) -> bool:
    """A kernel initializer that gives every unit the same weights: they never become different."""
    return expr is not None and _class_name(expr) in SAME_FOR_EVERY_UNIT


class ResetInitializer(LayerArgCommand):
    DESCRIPTION = __doc__
    CLASSES = KERNEL_LAYERS
    WHAT = "resetting a harmful initializer"
    NOTHING = "no layer sets a harmful initializer (a negative constant bias, a constant or zero kernel)"

    def harmful(self, call: cst.Call, cls: str) -> dict[str, str]:
        """keyword -> the initializer it is reset to."""
        reset = {"bias_initializer": "zeros"} if negative_constant(arg_value(call, "bias_initializer")) else {}
        kernels = [k for k in kernel_arguments(cls, "initializer") if same_for_every_unit(arg_value(call, k))]
        if kernels:
            name, expr = read_activation(self.names, call, cls)
            if name is None:
                shown = cst.Module([]).code_for_node(expr) if expr is not None else "?"
                raise Decline(f"its activation `{shown}` cannot be read, so the kernel initializer cannot be chosen")
            reset.update({k: auto_initializer(name) for k in kernels})
        return reset

    def wanted(self, call: cst.Call, cls: str) -> bool:
        try:
            return bool(self.harmful(call, cls))
        except Decline:
            return True  # edit() says why

    def edit(self, original: cst.Call, updated: cst.Call, cls: str) -> cst.Call:
        reset = self.harmful(original, cls)
        if not reset:
            raise Decline("it sets no harmful initializer (a negative constant bias, a constant or zero kernel)")
        new = updated
        for keyword, value in reset.items():
            new = set_keyword(new, keyword, string_node(value, quote_of(updated, self.quote)))
        shown = ", ".join(f"{k}={v!r}" for k, v in reset.items())
        self.note(original, f"reset {shown} on {describe(original, cls)}")
        return new


TRANSFORM = TransformSpec(
    name="reset_initializer",
    description="Reset a negative constant bias to zeros and a constant or zero kernel to He/Glorot.",
    command=ResetInitializer,
    applicability=Applicability.UNSAFE,
    params={},
    target_kinds=("layer",),
)
