"""How this file spells Keras, so that inserted code uses the names it already binds.

Handles `import keras`, `from tensorflow import keras`, `import tensorflow as
tf` + `tf.keras.…`, `from keras import layers`, and `from keras.layers import
Dense`. New imports go through LibCST's `AddImportsVisitor` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node

from modeldoctor.vocabulary import add_root, bind_from_import, import_binding, qualify


@dataclass
class KerasNames:
    """What the module binds: a root for `X.layers.Dense`, submodule aliases, imported classes."""

    root: str | None = None  # "keras", "tf.keras", "K"… (the one new code uses)
    other_roots: list[str] = field(default_factory=list)  # e.g. "tf.keras" beside `from tensorflow import keras`
    submodules: dict[str, str] = field(default_factory=dict)  # "layers" -> "layers" / "L"
    from_modules: dict[str, str] = field(default_factory=dict)  # "layers" -> "keras.layers"
    names: dict[str, str] = field(default_factory=dict)  # "keras.layers.Dense" -> "Dense"

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """The canonical `keras.<sub>.<Name>` for an expression, whatever spelling it uses."""
        full = get_full_name_for_node(node)
        return None if full is None else qualify(full, self.root, self.other_roots, self.submodules, self.names)

    def is_keras(self, node: cst.BaseExpression, sub: str, name: str) -> bool:
        return self.qualified(node) == f"keras.{sub}.{name}"

    def ref(self, context: CodemodContext, sub: str, name: str) -> cst.BaseExpression:
        """An expression for `keras.<sub>.<name>` in this file's own style, adding an import if needed."""
        canonical = f"keras.{sub}.{name}"
        if canonical in self.names:
            return cst.Name(self.names[canonical])
        if sub in self.submodules:
            return cst.parse_expression(f"{self.submodules[sub]}.{name}")
        if self.root:
            return cst.parse_expression(f"{self.root}.{sub}.{name}")
        if sub in self.from_modules:
            AddImportsVisitor.add_needed_import(context, self.from_modules[sub], name)
            return cst.Name(name)
        if self.from_modules:
            base = next(iter(self.from_modules.values())).rsplit(".", 1)[0]
            AddImportsVisitor.add_needed_import(context, f"{base}.{sub}", name)
            return cst.Name(name)
        AddImportsVisitor.add_needed_import(context, "keras")
        return cst.parse_expression(f"keras.{sub}.{name}")


def scan(module: cst.Module) -> KerasNames:
    """Read the top-level imports of a module."""
    names = KerasNames()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = get_full_name_for_node(alias.name) or ""
                    bound = alias.asname.name.value if alias.asname else None  # type: ignore[union-attr]
                    binding = import_binding(full, bound)
                    if binding is not None and binding[0] == "root":  # a bare `keras` beats `tf.keras` for new code
                        names.root = add_root(names.root, names.other_roots, binding[1])
                    elif binding is not None:
                        names.submodules[binding[0]] = binding[1]
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                source = get_full_name_for_node(small.module) or ""
                if isinstance(small.names, cst.ImportStar):
                    continue
                for alias in small.names:
                    imported = get_full_name_for_node(alias.name) or ""
                    bound = alias.asname.name.value if alias.asname else imported  # type: ignore[union-attr]
                    bind_from_import(names, source, imported, bound)
    return names
