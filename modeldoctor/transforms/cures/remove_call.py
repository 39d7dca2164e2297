"""Remove a statement that calls a global switch Keras 3 dropped: `K.set_learning_phase(1)`, `set_session(...)`.

Keras 3 has no global learning phase: `fit` runs layers in training mode and
`predict`/`evaluate` in inference mode, call by call. The statement goes (a
block left empty gets `pass`); a call whose value is used is left as it is.
The removed names leave the file's imports too. Unsafe: a script that relied
on the switch (dropout kept on at prediction, a session's GPU options) loses
what it set.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand
from modeldoctor.vocabulary import canonical_module


class RemoveCall(LegacyCommand):
    DESCRIPTION = "Remove statements that call a global Keras 2 switch Keras 3 dropped."

    def doomed(self, statement: cst.BaseStatement) -> bool:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return False
        expr = statement.body[0]
        if not isinstance(expr, cst.Expr) or not isinstance(expr.value, cst.Call):
            return False
        return self.qualified(expr.value.func) in self.params["removed"]

    def without(self, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        """The statements left; a removed one's blank lines and comments above it go to the next one."""
        kept: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        for statement in body:
            if self.doomed(statement):
                assert isinstance(statement, cst.SimpleStatementLine)
                carried += list(statement.leading_lines)
                continue
            if carried and hasattr(statement, "leading_lines"):
                statement = statement.with_changes(leading_lines=[*carried, *statement.leading_lines])
                carried = []
            kept.append(statement)
        return kept

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        if self.doomed(node):
            call = node.body[0].value  # type: ignore[attr-defined]
            self.note(node, f"removed the call of {self.qualified(call.func)}")
        return True

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
                         ) -> cst.ImportFrom | cst.RemovalSentinel:
        """The removed names leave the import too (a name Keras 3 does not have cannot be imported)."""
        if updated_node.module is None or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        module = canonical_module(get_full_name_for_node(updated_node.module) or "")
        if module is None:
            return updated_node
        kept = [a for a in updated_node.names if f"{module}.{a.evaluated_name}" not in self.params["removed"]]
        if len(kept) == len(updated_node.names):
            return updated_node
        self.note(original_node, f"removed {', '.join(a.evaluated_name for a in updated_node.names if a not in kept)}"
                                 " from the import")
        if not kept:
            return cst.RemoveFromParent()
        return updated_node.with_changes(names=[*kept[:-1], kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not any(self.doomed(s) for s in updated_node.body):
            return updated_node
        return updated_node.with_changes(body=self.without(list(updated_node.body)))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
                            ) -> cst.IndentedBlock:
        if not any(self.doomed(s) for s in updated_node.body):
            return updated_node
        body = self.without(list(updated_node.body))
        return updated_node.with_changes(body=body or [cst.SimpleStatementLine([cst.Pass()])])


TRANSFORM = TransformSpec(
    name="remove_call",
    description=RemoveCall.DESCRIPTION,
    command=RemoveCall,
    applicability=Applicability.UNSAFE,
    params={"removed": Param(dict, {}, "qualified function -> why it can go")},
)
