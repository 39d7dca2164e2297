"""Give saved files the extension Keras 3 requires: `model.save("my_model")` → `model.save("my_model.keras")`.

Keras 3 saves models only to `.keras` (or legacy `.h5`) files, weights only to
`.weights.h5`, and `ModelCheckpoint` needs `.keras` (or `.weights.h5` with
`save_weights_only=True`). Literal paths get that suffix (`.h5`/`.hdf5`
replaced); the same literal in the file's `load_model`/`load_weights` calls
changes with it, so the script reads back what it wrote. Unsafe: the files on
disk get new names, and other programs may read the old ones.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from modeldoctor.ftypes import Applicability
from modeldoctor.static.legacy.specific import WEIGHTS_SUFFIX, wanted_suffix
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.keyword_edits import string_node, string_value
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand

LOADERS = ("load_model", "load_weights")


def renamed(path: str, suffix: str) -> str:
    for old in (".hdf5", ".h5"):
        if path.endswith(old) and not path.endswith(WEIGHTS_SUFFIX):
            return path[: -len(old)] + suffix
    return path + suffix


class SavePath(LegacyCommand):
    DESCRIPTION = "Add the file extension Keras 3 requires to literal save and checkpoint paths."

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        self.paths: dict[str, str] = {}
        for call in m.findall(node, m.Call()):
            assert isinstance(call, cst.Call)
            found = self.wanted(call)
            if found is not None:
                self.paths.setdefault(found[0], found[1])
        return True

    def first_path(self, call: cst.Call, keyword: str) -> str | None:
        arg = next((a for a in call.args if a.keyword is not None and a.keyword.value == keyword), None)
        if arg is None and call.args and call.args[0].keyword is None:
            arg = call.args[0]
        return string_value(arg.value) if arg is not None else None

    def wanted(self, call: cst.Call) -> tuple[str, str] | None:
        """(old path, new path) for a save or checkpoint call whose literal path Keras 3 refuses."""
        methods: dict[str, str] = self.params["methods"]
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in methods:
            path = self.first_path(call, "filepath")
            suffix = wanted_suffix(path, methods[call.func.attr.value] == "weights") if path is not None else None
            return (path, renamed(path, suffix)) if path is not None and suffix is not None else None
        name = (self.qualified(call.func) or "").rpartition(".")[2]
        if name in self.params["callbacks"]:
            path = self.first_path(call, "filepath")
            weights = any(a.keyword is not None and a.keyword.value == "save_weights_only"
                          and isinstance(a.value, cst.Name) and a.value.value == "True" for a in call.args)
            if path is None:
                return None
            if weights and not path.endswith(WEIGHTS_SUFFIX):
                return path, renamed(path, WEIGHTS_SUFFIX)
            if not weights and not path.endswith(".keras"):
                return path, renamed(path, ".keras")
        return None

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        name = (self.qualified(original_node.func) or "").rpartition(".")[2]
        attr = original_node.func.attr.value if isinstance(original_node.func, cst.Attribute) else name
        if attr not in (*self.params["methods"], *LOADERS) and name not in self.params["callbacks"]:
            return updated_node
        args = list(updated_node.args)
        for i, arg in enumerate(args):
            if (arg.keyword is None and i == 0) or (arg.keyword is not None and arg.keyword.value == "filepath"):
                old = string_value(arg.value)
                if old in self.paths and isinstance(arg.value, cst.SimpleString):
                    quote = arg.value.quote if arg.value.quote in ('"', "'") else '"'
                    args[i] = arg.with_changes(value=string_node(self.paths[old], quote))
                    self.note(original_node, f"{old!r} → {self.paths[old]!r}")
                break
        return updated_node.with_changes(args=args)


TRANSFORM = TransformSpec(
    name="save_path",
    description=SavePath.DESCRIPTION,
    command=SavePath,
    applicability=Applicability.UNSAFE,
    params={
        "methods": Param(dict, {}, "model method -> what it saves (model | weights)"),
        "callbacks": Param(list, [], "checkpoint callback classes"),
    },
)
