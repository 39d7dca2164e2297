"""Declare a fixed batch on an `Input`, as Keras 3 wants: `LSTM(8, batch_input_shape=(4, 10, 1))` gets an Input before it.

Keras 2 let the first layer carry `batch_input_shape=`; stateful recurrent
models need it. Keras 3 rejects the argument on layers and takes the same
shape as `keras.Input(batch_shape=...)`. The layer loses the argument and an
`Input` with the same shape goes in front of it, in the model's own style:
a `model.add(...)` line before the layer's, or the first element of a
`Sequential([...])` list. Elsewhere (a functional graph, a helper) the cure
declines: the Input belongs where the graph starts.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import kwarg, remove_arg
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand

KEYWORD = "batch_input_shape"


class BatchInputShape(LegacyCommand):
    DESCRIPTION = "Move a layer's batch_input_shape= to an Input(batch_shape=...) in front of it."

    def shaped(self, node: cst.BaseExpression) -> cst.Arg | None:
        if not isinstance(node, cst.Call) or self.callee(node, self.params["callees"]) is None:
            return None
        return next((a for a in node.args if a.keyword is not None and a.keyword.value == KEYWORD), None)

    def input_call(self, shape: cst.BaseExpression) -> cst.Call:
        return cst.Call(self.names.ref(self.context, "layers", "Input"), args=[kwarg("batch_shape", shape)])

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine) -> cst.BaseStatement | cst.FlattenSentinel:
        body = updated_node.body
        if len(body) != 1 or not isinstance(body[0], cst.Expr) or not isinstance(body[0].value, cst.Call):
            return updated_node
        add = body[0].value
        if not (isinstance(add.func, cst.Attribute) and add.func.attr.value == "add" and len(add.args) == 1):
            return updated_node
        layer = add.args[0].value
        arg = self.shaped(layer)
        if arg is None:
            return updated_node
        assert isinstance(layer, cst.Call)
        added = add.with_changes(args=[add.args[0].with_changes(value=self.input_call(arg.value))])
        kept = add.with_changes(args=[add.args[0].with_changes(value=remove_arg(layer, arg))])
        self.note(original_node, "batch_input_shape= → an Input(batch_shape=...) added before the layer")
        return cst.FlattenSentinel([
            updated_node.with_changes(body=[body[0].with_changes(value=added)], leading_lines=updated_node.leading_lines),
            updated_node.with_changes(body=[body[0].with_changes(value=kept)], leading_lines=[])])

    def leave_List(self, original_node: cst.List, updated_node: cst.List) -> cst.List:
        if not updated_node.elements:
            return updated_node
        first = updated_node.elements[0]
        arg = self.shaped(first.value)
        if arg is None:
            return updated_node
        assert isinstance(first.value, cst.Call)
        comma = first.comma if isinstance(first.comma, cst.Comma) else cst.Comma(
            whitespace_after=cst.SimpleWhitespace(" "))
        new = cst.Element(self.input_call(arg.value), comma=comma)
        self.note(original_node, "batch_input_shape= → Input(batch_shape=...) as the first element")
        return updated_node.with_changes(elements=[new, first.with_changes(value=remove_arg(first.value, arg)),
                                                   *updated_node.elements[1:]])


TRANSFORM = TransformSpec(
    name="batch_input_shape",
    description=BatchInputShape.DESCRIPTION,
    command=BatchInputShape,
    applicability=Applicability.SAFE,
    params={
        "callees": Param(list, [], "layer patterns (keras.layers.*)"),
        "drop": Param(list, [], "the keyword the rule's finder reports (batch_input_shape)"),
    },
)
