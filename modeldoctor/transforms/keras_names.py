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

SUBMODULES = ("layers", "optimizers", "callbacks", "regularizers", "constraints", "initializers", "losses", "models",
              "activations", "metrics")
KERAS_MODULES = ("keras", "tensorflow.keras", "tf_keras")


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
        if full is None:
            return None
        for canonical, local in self.names.items():
            if full == local:
                return canonical
        for root in filter(None, (self.root, *self.other_roots)):
            if full.startswith(root + "."):
                return "keras." + full[len(root) + 1 :]
        head, _, rest = full.partition(".")
        for sub, alias in self.submodules.items():
            if head == alias and rest:
                return f"keras.{sub}.{rest}"
        return None

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


def _canonical_module(module: str) -> str | None:
    for prefix in KERAS_MODULES:
        if module == prefix or module.startswith(prefix + "."):
            return "keras" + module[len(prefix) :]
    return None


def _set_root(names: KerasNames, root: str, prefer: bool) -> None:
    """A bare `keras` name is preferred for new code over `tf.keras`; both are recognised."""
    if names.root is None:
        names.root = root
    elif root != names.root and root not in names.other_roots:
        if prefer and "." in names.root:
            names.other_roots.append(names.root)
            names.root = root
        else:
            names.other_roots.append(root)


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
                    if full == "keras":
                        _set_root(names, bound or "keras", prefer=True)
                    elif full == "tensorflow":
                        _set_root(names, f"{bound or 'tensorflow'}.keras", prefer=False)
                    elif full.startswith("keras.") and bound is None and names.root is None:
                        names.root = "keras"
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                source = get_full_name_for_node(small.module) or ""
                canonical = _canonical_module(source)
                if isinstance(small.names, cst.ImportStar):
                    continue
                for alias in small.names:
                    imported = get_full_name_for_node(alias.name) or ""
                    bound = alias.asname.name.value if alias.asname else imported  # type: ignore[union-attr]
                    if source == "tensorflow" and imported == "keras":
                        _set_root(names, bound, prefer=True)
                    elif canonical == "keras" and imported in SUBMODULES:
                        names.submodules[imported] = bound
                    elif canonical and canonical.count(".") == 1:
                        sub = canonical.split(".")[1]
                        names.from_modules.setdefault(sub, source)
                        names.names[f"{canonical}.{imported}"] = bound
                    elif canonical == "keras":
                        names.names[f"keras.{imported}"] = bound
    return names
