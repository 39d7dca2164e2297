"""Call the Keras 3 method that replaced a removed one: `model.fit_generator(gen, ...)` → `model.fit(gen, ...)`.

Only methods called on a model (something the file compiles or fits, or a
name that says it is a model) are renamed; the keywords the new method does
not take (`drop`: `workers=`, `use_multiprocessing=`, `max_queue_size=`, which
set how a generator is read, not what is trained) are removed.
"""

from __future__ import annotations

import libcst as cst

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.call_edits import remove_arg
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand


class RenameMethod(LegacyCommand):
    DESCRIPTION = "Call the Keras 3 method that replaced a removed model method."

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        methods = self.params["methods"]
        if not isinstance(func, cst.Attribute) or not methods.get(func.attr.value) or not self.on_model(original_node):
            return updated_node
        old, new = func.attr.value, methods[func.attr.value]
        call = updated_node.with_changes(func=func.with_changes(attr=cst.Name(new)))
        dropped = []
        for name in self.params["drop"]:
            arg = next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)
            if arg is not None:
                call = remove_arg(call, arg)
                dropped.append(f"{name}=")
        extra = f" (removed {', '.join(dropped)})" if dropped else ""
        self.note(original_node, f".{old}() → .{new}(){extra}")
        return call


TRANSFORM = TransformSpec(
    name="rename_method",
    description=RenameMethod.DESCRIPTION,
    command=RenameMethod,
    applicability=Applicability.SAFE,
    params={
        "methods": Param(dict, {}, "old method -> new method"),
        "drop": Param(list, [], "keywords the new method does not take"),
    },
)
