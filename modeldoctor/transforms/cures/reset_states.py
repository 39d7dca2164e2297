"""Reset a model's recurrent state as Keras 2's `model.reset_states()` did, layer by layer.

Keras 2's `Model.reset_states()` called `reset_states()` on every stateful
layer; Keras 3 models have no such method (their RNN layers still do). A
`model.reset_states()` statement becomes that loop; a use of its value (it
returned None) or a call inside an expression is left as it is.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand

LOOP = """for stateful_layer in {model}.layers:
    if getattr(stateful_layer, "stateful", False):
        stateful_layer.reset_states()
"""


class ResetStates(LegacyCommand):
    DESCRIPTION = "Rewrite model.reset_states() as the loop over its stateful layers it was."

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine) -> cst.BaseStatement:
        body = updated_node.body
        if len(body) != 1 or not isinstance(body[0], cst.Expr) or not isinstance(body[0].value, cst.Call):
            return updated_node
        call = body[0].value
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "reset_states" and not call.args
                and self.on_model(call)):
            return updated_node
        model = get_full_name_for_node(call.func.value)
        if model is None:
            return updated_node
        loop = cst.parse_statement(LOOP.format(model=model))
        self.note(original_node, f"{model}.reset_states() → reset_states() of each stateful layer")
        return loop.with_changes(leading_lines=updated_node.leading_lines)


TRANSFORM = TransformSpec(
    name="reset_states",
    description=ResetStates.DESCRIPTION,
    command=ResetStates,
    applicability=Applicability.SAFE,
    params={"methods": Param(dict, {}, "the methods the rule's finder reports (reset_states)")},
)
