"""Read and set a variable without Keras 2's backend helpers: `K.set_value(v, x)` → `v.assign(x)`.

`K.get_value(v)` becomes `keras.ops.convert_to_numpy(v)`, which returns the
same NumPy value. Learning-rate schedules of the Keras 2 era call both on
`model.optimizer.lr` (renamed by optimizer-lr-attribute).
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand, dotted_expr


class BackendValues(LegacyCommand):
    DESCRIPTION = "Replace K.set_value / K.get_value with the variable's assign and convert_to_numpy."

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        qualified = self.qualified(original_node.func)
        args = updated_node.args
        if any(a.keyword is not None or a.star for a in args):
            return updated_node
        if qualified == "keras.backend.set_value" and len(args) == 2:
            self.note(original_node, "K.set_value(v, x) → v.assign(x)")
            return cst.Call(func=cst.Attribute(args[0].value, cst.Name("assign")),
                            args=[args[1].with_changes(comma=cst.MaybeSentinel.DEFAULT)])
        if qualified == "keras.backend.int_shape" and len(args) == 1:
            self.note(original_node, "K.int_shape(x) → tuple(x.shape)")
            shape = cst.Attribute(args[0].value, cst.Name("shape"))
            return cst.Call(cst.Name("tuple"), args=[cst.Arg(shape)])
        if qualified == "keras.backend.get_value" and len(args) == 1:
            root = self.names.root
            if root is None:
                AddImportsVisitor.add_needed_import(self.context, "keras")
                root = "keras"
            self.note(original_node, f"K.get_value(v) → {root}.ops.convert_to_numpy(v)")
            return updated_node.with_changes(func=dotted_expr(f"{root}.ops.convert_to_numpy"))
        return updated_node


TRANSFORM = TransformSpec(
    name="backend_values",
    description=BackendValues.DESCRIPTION,
    command=BackendValues,
    applicability=Applicability.SAFE,
    params={"removed": Param(dict, {}, "the names the rule's finder reports (read by the finder only)")},
)
