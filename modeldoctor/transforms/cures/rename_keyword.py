"""Rename (or drop) keyword arguments Keras 3 renamed or removed: `Adam(lr=0.1)` → `Adam(learning_rate=0.1)`.

The migration rule's `[legacy]` table gives the calls (`callees`), the new
names (`renames`), the arguments Keras 3 has no use for (`drop`; with
`drop_when`, only at the one value that makes dropping faithful) and, where a
value's spelling changed too, the new values (`values`). A call that already
passes the new name keeps both as they are (the user decides which wins).
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import remove_arg
from modeldoctor.transforms.engine.keyword_edits import string_node, string_value
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand


class RenameKeyword(LegacyCommand):
    DESCRIPTION = "Rename keyword arguments that Keras 3 renamed; drop the ones it removed."

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        callee = self.callee(original_node, self.params["callees"])
        if callee is None:
            return updated_node
        renames, values = self.params["renames"], self.params["values"]
        present = {arg.keyword.value for arg in updated_node.args if arg.keyword is not None}
        call, done = updated_node, []
        for arg in updated_node.args:
            old = arg.keyword.value if arg.keyword is not None else None
            if old in renames:
                new = renames[old]
                if new in present:
                    self.warn(f"line {self.line_of(original_node)}: {callee} passes both {old}= and {new}=; "
                              "left as it is")
                    continue
                value = arg.value
                text = string_value(value)
                if text is not None and text in values.get(new, {}):
                    value = string_node(values[new][text], value.quote if isinstance(value, cst.SimpleString)
                                        and value.quote in ('"', "'") else '"')
                call = call.with_changes(args=[arg.with_changes(keyword=cst.Name(new), value=value)
                                               if a is arg else a for a in call.args])
                done.append(f"{old}= → {new}=")
            elif old in self.params["drop"]:
                when = self.params["drop_when"]
                if old in when and not (isinstance(arg.value, cst.Integer | cst.Float | cst.Name | cst.SimpleString)
                                        and _literal(arg.value) == when[old]):
                    self.warn(f"line {self.line_of(original_node)}: {callee}({old}=...) is dropped only when it is "
                              f"{when[old]!r} (what Keras 3 does anyway); left as it is")
                    continue
                current = next(a for a in call.args if a.keyword is not None and a.keyword.value == old)
                call = remove_arg(call, current)
                done.append(f"removed {old}=")
        if done:
            self.note(original_node, f"{callee.lstrip('.')}: {', '.join(done)}")
        return call


def _literal(node: cst.BaseExpression) -> object:
    if isinstance(node, cst.Name):
        return {"True": True, "False": False, "None": None}.get(node.value, node)
    value = getattr(node, "evaluated_value", node)
    return value


TRANSFORM = TransformSpec(
    name="rename_keyword",
    description=RenameKeyword.DESCRIPTION,
    command=RenameKeyword,
    applicability=Applicability.SAFE,
    params={
        "callees": Param(list, [], "qualified callee patterns (keras.optimizers.*), or .method"),
        "renames": Param(dict, {}, "old keyword -> new keyword"),
        "drop": Param(list, [], "keywords Keras 3 removed with nothing in their place"),
        "values": Param(dict, {}, "new keyword -> {old string value: new string value}"),
        "drop_when": Param(dict, {}, "keyword -> the only literal value for which dropping it changes nothing"),
    },
)
