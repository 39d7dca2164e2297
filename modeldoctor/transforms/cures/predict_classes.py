"""Replace Keras 2's `model.predict_classes(x)` with what it computed from `predict`.

For a softmax (or any multi-unit) output it was `argmax(predict(x), axis=-1)`;
for one sigmoid unit, `(predict(x) > 0.5).astype("int32")`. Which one is
read from the file's last `Dense` layer with a literal size; when the file
does not say, the cure declines. Unsafe: the result is the same only if the
output layer is the one read.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Decline, Param, TransformSpec
from modeldoctor.transforms.engine.keyword_edits import int_value, string_value
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand


class PredictClasses(LegacyCommand):
    DESCRIPTION = "Rewrite predict_classes(x) as argmax of predict(x), or a 0.5 threshold for one sigmoid unit."

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        self.output = self.output_kind(node)
        self.numpy = next((alias for alias in self.numpy_names(node)), None)
        return True

    def output_kind(self, module: cst.Module) -> str | None:
        """"binary" (last Dense is one sigmoid unit), "categorical" (more units), or None (not stated)."""
        last = None
        for call in m.findall(module, m.Call()):
            assert isinstance(call, cst.Call)
            if (self.qualified(call.func) or "").rpartition(".")[2] == "Dense" and call.args:
                last = call
        if last is None:
            return None
        units = int_value(last.args[0].value) if last.args[0].keyword is None else None
        activation = next((string_value(a.value) for a in last.args if a.keyword and a.keyword.value == "activation"),
                          None)
        if units == 1:
            return "binary" if activation == "sigmoid" else None
        return "categorical" if units is not None else None

    @staticmethod
    def numpy_names(module: cst.Module) -> list[str]:
        found = []
        for node in m.findall(module, m.Import()):
            assert isinstance(node, cst.Import)
            for alias in node.names:
                if get_full_name_for_node(alias.name) == "numpy":
                    found.append(alias.asname.name.value if alias.asname else "numpy")  # type: ignore[union-attr]
        return found

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "predict_classes" or not self.on_model(original_node):
            return updated_node
        if self.output is None:
            raise Decline("predict_classes: the file does not say whether the model ends in one sigmoid unit or "
                          "several; write argmax(predict(x), axis=-1) or (predict(x) > 0.5) yourself")
        predict = updated_node.with_changes(func=func.with_changes(attr=cst.Name("predict")))
        if self.output == "binary":
            self.note(original_node, '.predict_classes(x) → (.predict(x) > 0.5).astype("int32")')
            return cst.parse_expression('(P > 0.5).astype("int32")').visit(_Put(predict))  # type: ignore[return-value]
        np = self.numpy
        if np is None:
            AddImportsVisitor.add_needed_import(self.context, "numpy", asname="np")
            np = "np"
        self.note(original_node, f".predict_classes(x) → {np}.argmax(.predict(x), axis=-1)")
        return cst.parse_expression(f"{np}.argmax(P, axis=-1)").visit(_Put(predict))  # type: ignore[return-value]


class _Put(cst.CSTTransformer):
    def __init__(self, value: cst.BaseExpression) -> None:
        self.value = value

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self.value if updated_node.value == "P" else updated_node


TRANSFORM = TransformSpec(
    name="predict_classes",
    description=PredictClasses.DESCRIPTION,
    command=PredictClasses,
    applicability=Applicability.UNSAFE,
    params={"methods": Param(dict, {}, "the methods the rule's finder reports (predict_classes)")},
)
