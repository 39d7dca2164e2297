"""Point imports and dotted uses at where Keras 3 keeps a moved API: `keras.layers.core` → `keras.layers`.

The migration rule's `[legacy]` table gives whole modules that moved
(`modules`: `from keras.layers.core import Dense` → `from keras.layers import
Dense`, in the file's own prefix: `tensorflow.keras…` stays `tensorflow.keras…`)
and single names (`names`: `K.set_image_dim_ordering` →
`K.set_image_data_format`), with `values` for a renamed function whose string
argument changed spelling too (`"th"` → `"channels_first"`). An imported name
that changed keeps the name the file binds (`from keras.layers import LSTM as
CuDNNLSTM`), so no other line changes. A name mapped to "" has no faithful
replacement and is left alone (its rule is display-only).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node

from modeldoctor.ftypes import Applicability
from modeldoctor.transforms.engine.base import Param, TransformSpec
from modeldoctor.transforms.engine.keyword_edits import string_node, string_value
from modeldoctor.transforms.engine.legacy_edits import LegacyCommand, dotted_expr, respell
from modeldoctor.vocabulary import canonical_module


class RenameApi(LegacyCommand):
    DESCRIPTION = "Import moved Keras APIs from where Keras 3 keeps them."

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        # Calls of a `compared` name whose answer is compared with a literal the `values` table maps:
        # only there is the rename faithful (`K.image_dim_ordering() == 'th'`).
        self.compared: set[cst.CSTNode] = set()
        for comparison in m.findall(node, m.Comparison()):
            assert isinstance(comparison, cst.Comparison)
            sides = [comparison.left, *(target.comparator for target in comparison.comparisons)]
            calls = [side for side in sides if isinstance(side, cst.Call)]
            if len(sides) == 2 and len(calls) == 1 and any(string_value(side) is not None for side in sides):
                self.compared.add(calls[0].func)
        return True

    def moved(self, canonical: str) -> str | None:
        modules: dict[str, str] = self.params["modules"]
        for old in sorted(modules, key=len, reverse=True):
            if canonical == old or canonical.startswith(old + "."):
                return modules[old] + canonical[len(old):]
        names: dict[str, str] = self.params["names"]
        return names.get(canonical) or None

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False  # the module's own dotted name is rewritten whole in leave_ImportFrom

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        if updated_node.module is None or updated_node.relative:
            return updated_node
        source = get_full_name_for_node(updated_node.module) or ""
        canonical = canonical_module(source)
        if canonical is None:
            return updated_node
        new_module = self.moved(canonical)
        if new_module is not None:
            self.note(original_node, f"from {source} → from {respell(source, new_module)}")
            return updated_node.with_changes(module=dotted_expr(respell(source, new_module)))
        if isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        targets = {}
        for alias in updated_node.names:
            imported = get_full_name_for_node(alias.name) or ""
            full = f"{canonical}.{imported}"
            new = self.moved(full) if self.params["by_name"] or full in self.params["names"] else None
            if new is not None:
                targets[imported] = new
        if not targets:
            return updated_node
        homes = {new.rpartition(".")[0] for new in targets.values()}
        if len(targets) != len(updated_node.names):
            homes.add(canonical)  # the names that did not move stay where they are
        if len(homes) != 1:
            self.warn(f"line {self.line_of(original_node)}: from {source} imports names that moved to different "
                      "places; split the import first")
            return updated_node
        home = respell(source, homes.pop())
        aliases = []
        for alias in updated_node.names:
            imported = get_full_name_for_node(alias.name) or ""
            name = targets.get(imported, imported).rpartition(".")[2]
            keep = alias.asname if alias.asname is not None or name == imported else cst.AsName(cst.Name(imported))
            aliases.append(alias.with_changes(name=cst.Name(name), asname=keep))
        shown = ", ".join(f"{a}" for a in targets)
        self.note(original_node, f"from {source} import {shown} → from {home}")
        return updated_node.with_changes(module=dotted_expr(home), names=aliases)

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        aliases, done = [], []
        for alias in updated_node.names:
            full = get_full_name_for_node(alias.name) or ""
            canonical = canonical_module(full)
            new = self.moved(canonical) if canonical else None
            if new is None:
                aliases.append(alias)
                continue
            aliases.append(alias.with_changes(name=dotted_expr(respell(full, new))))
            done.append(f"import {full} → import {respell(full, new)}")
        if done:
            self.note(original_node, "; ".join(done))
            return updated_node.with_changes(names=aliases)
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        qualified = self.qualified(original_node)
        exact = qualified is not None and (qualified in self.params["modules"] or qualified in self.params["names"])
        new = self.moved(qualified) if exact and qualified else None
        if new is None or qualified is None:
            return updated_node
        full = get_full_name_for_node(original_node) or ""
        if new in self.params["compared"] and original_node not in self.compared:
            self.warn(f"line {self.line_of(original_node)}: {full}() answers other strings than {new}(); only "
                      "a comparison with a literal is rewritten, this use is left as it is")
            return updated_node
        text = self.spell(full, qualified, new)
        self.note(original_node, f"{full} → {text}")
        return dotted_expr(text)

    def spell(self, full: str, old: str, new: str) -> str:
        """`new` as this file spells `old` at `full`: the parts they share keep the file's own spelling."""
        old_parts, new_parts, spelled = old.split("."), new.split("."), full.split(".")
        common = next((i for i, (a, b) in enumerate(zip(old_parts, new_parts)) if a != b),
                      min(len(old_parts), len(new_parts)))
        head = spelled[: len(spelled) - (len(old_parts) - common)]
        if head and common:
            return ".".join(head + new_parts[common:])
        if not new.startswith("keras."):
            return new
        if self.names.root is None:
            AddImportsVisitor.add_needed_import(self.context, "keras")
            return new
        return self.names.root + new[len("keras"):]

    def leave_Comparison(self, original_node: cst.Comparison, updated_node: cst.Comparison) -> cst.Comparison:
        call = next((side for side in (original_node.left, *(t.comparator for t in original_node.comparisons))
                     if isinstance(side, cst.Call) and side.func in self.compared), None)
        new = self.params["names"].get(self.qualified(call.func) or "") if call is not None else None
        table = self.params["values"].get(new or "", {})
        if not table:
            return updated_node

        def mapped(side: cst.BaseExpression) -> cst.BaseExpression:
            text = string_value(side)
            if text is None or text not in table or not isinstance(side, cst.SimpleString):
                return side
            self.note(original_node, f"{text!r} → {table[text]!r}")
            return string_node(table[text], side.quote if side.quote in ('"', "'") else '"')

        return updated_node.with_changes(
            left=mapped(updated_node.left),
            comparisons=[t.with_changes(comparator=mapped(t.comparator)) for t in updated_node.comparisons])

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        qualified = self.qualified(original_node.func)
        new = self.params["names"].get(qualified or "")
        table = self.params["values"].get(new or "", {})
        first = updated_node.args[0] if updated_node.args and updated_node.args[0].keyword is None else None
        text = string_value(first.value) if first is not None else None
        if first is None or text not in table:
            return updated_node
        quote = first.value.quote if isinstance(first.value, cst.SimpleString) else '"'
        value = string_node(table[text], quote if quote in ('"', "'") else '"')
        self.note(original_node, f"{text!r} → {table[text]!r}")
        return updated_node.with_changes(args=[first.with_changes(value=value), *updated_node.args[1:]])


TRANSFORM = TransformSpec(
    name="rename_api",
    description=RenameApi.DESCRIPTION,
    command=RenameApi,
    applicability=Applicability.SAFE,
    params={
        "modules": Param(dict, {}, "old module -> the Keras 3 module with the same names"),
        "names": Param(dict, {}, "old qualified name -> new qualified name (\"\": nothing replaces it)"),
        "values": Param(dict, {}, "new name -> {old string argument: new string argument}"),
        "removed": Param(dict, {}, "names with no replacement (their finder reports them; left alone)"),
        "by_name": Param(bool, True, "`from keras.utils import np_utils` imports the moved module np_utils"),
        "compared": Param(list, [], "new names renamed only where their answer is compared with a mapped literal"),
    },
)
