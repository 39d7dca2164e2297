"""Keras 1's `merge([a, b], mode='concat')` as the Keras 3 function for its mode: `concatenate([a, b])`.

`mode` names the function (`concat` → `concatenate`, `sum` → `add`, `mul` →
`multiply`, `ave` → `average`, `max` → `maximum`, `dot` → `dot`; no mode was
`sum`), `concat_axis` is `axis`, `dot_axes` is `axes`. A call with another
mode (`cos`, a lambda) or another argument is left as it is, and then the
`merge` import stays too: the script keeps failing where it failed, with its
display-only finding saying what to write.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import kwarg, literal
from modeldoctor.transforms.engine.keyword_edits import string_value
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand

MERGE = "keras.layers.merge"
ARGUMENTS = {"concat_axis": "axis", "dot_axes": "axes", "name": "name"}


class MergeFunction(LegacyCommand):
    DESCRIPTION = "Rewrite Keras 1's merge(mode=...) as the Keras 3 merge function of that mode."

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        calls = [c for c in m.findall(node, m.Call()) if isinstance(c, cst.Call) and self.qualified(c.func) == MERGE]
        self.all_rewritten = bool(calls) and all(self.function(c) is not None for c in calls)
        return True

    def function(self, call: cst.Call) -> str | None:
        """The Keras 3 function this merge call is, or None when it cannot be rewritten faithfully."""
        if not call.args or call.args[0].keyword is not None or call.args[0].star:
            return None
        mode = "sum"
        for arg in call.args[1:]:
            if arg.keyword is None or arg.star:
                return None
            if arg.keyword.value == "mode":
                mode = string_value(arg.value) or ""
            elif arg.keyword.value not in ARGUMENTS:
                return None
        return self.params["modes"].get(mode)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if self.qualified(original_node.func) != MERGE:
            return updated_node
        name = self.function(original_node)
        if name is None:
            self.warn(f"line {self.line_of(original_node)}: merge(...) with this mode or these arguments has no "
                      "one-for-one Keras 3 function; left as it is")
            return updated_node
        args = [updated_node.args[0]]
        for arg in updated_node.args[1:]:
            assert arg.keyword is not None
            if arg.keyword.value != "mode":
                args.append(arg.with_changes(keyword=cst.Name(ARGUMENTS[arg.keyword.value])))
        if name == "dot" and not any(a.keyword is not None and a.keyword.value == "axes" for a in args):
            args.append(kwarg("axes", literal(-1)))  # Keras 1's dot_axes default
        args = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in args[:-1]] + [
            args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        self.note(original_node, f"merge(mode=...) → {name}(...)")
        return updated_node.with_changes(func=self.names.ref(self.context, "layers", name), args=args)

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
                         ) -> cst.ImportFrom | cst.RemovalSentinel:
        if not self.all_rewritten or isinstance(updated_node.names, cst.ImportStar) or updated_node.module is None:
            return updated_node
        module = get_full_name_for_node(updated_node.module) or ""
        kept = [a for a in updated_node.names
                if not (self.names.qualified(cst.Name(a.evaluated_alias or a.evaluated_name)) == MERGE)]
        if len(kept) == len(updated_node.names):
            return updated_node
        self.note(original_node, f"removed merge from the import of {module}")
        if not kept:
            return cst.RemoveFromParent()
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)


TRANSFORM = TransformSpec(
    name="merge_function",
    description=MergeFunction.DESCRIPTION,
    command=MergeFunction,
    applicability=Applicability.SAFE,
    params={
        "names": Param(dict, {}, "the names the rule's finder reports (keras.layers.merge)"),
        "modes": Param(dict, {}, "Keras 1 mode -> Keras 3 function of keras.layers"),
    },
)
