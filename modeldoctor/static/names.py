"""How a file spells Keras, read with the stdlib `ast` for the static path.

This is `modeldoctor.transforms.keras_names.scan()` / `KerasNames.qualified()`
ported from LibCST nodes to `ast` nodes: importing LibCST costs ~0.3 s (its
codemod package ~0.6 s), more than the whole budget of a pre-commit check.
`tests/static/test_names.py` runs both on the same import styles and fails
when they drift.

Two deliberate extensions over the LibCST original, both for detection only:
imports are read anywhere in the file (inside `try:`, `if`, functions), and a
name imported from a Keras module resolves its attributes
(`from keras.datasets import mnist` → `mnist.load_data` is
`keras.datasets.mnist.load_data`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

SUBMODULES = ("layers", "optimizers", "callbacks", "regularizers", "constraints", "initializers", "losses")
KERAS_MODULES = ("keras", "tensorflow.keras", "tf_keras")


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None (as LibCST's get_full_name_for_node)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


@dataclass
class Spelling:
    """What the module binds: a root for `X.layers.Dense`, submodule aliases, imported names."""

    root: str | None = None  # "keras", "tf.keras", "K"…
    submodules: dict[str, str] = field(default_factory=dict)  # "layers" -> "layers" / "L"
    from_modules: dict[str, str] = field(default_factory=dict)  # "layers" -> "keras.layers"
    names: dict[str, str] = field(default_factory=dict)  # "keras.layers.Dense" -> "Dense"
    others: dict[str, str] = field(default_factory=dict)  # non-Keras imports: local -> dotted

    @property
    def imports_keras(self) -> bool:
        return bool(self.root or self.submodules or self.names)

    def qualified(self, node: ast.AST) -> str | None:
        """The canonical `keras.<sub>.<Name>` for an expression, whatever spelling it uses."""
        full = dotted(node)
        if full is None:
            return None
        for canonical, local in self.names.items():
            if full == local:
                return canonical
        if self.root and full.startswith(self.root + "."):
            return "keras." + full[len(self.root) + 1 :]
        head, _, rest = full.partition(".")
        for sub, alias in self.submodules.items():
            if head == alias and rest:
                return f"keras.{sub}.{rest}"
        for canonical, local in self.names.items():
            if head == local and rest:
                return f"{canonical}.{rest}"
        return None

    def resolve(self, node: ast.AST) -> str | None:
        """Any imported dotted name, Keras or not (`load_wine` -> `sklearn.datasets.load_wine`)."""
        qualified = self.qualified(node)
        if qualified is not None:
            return qualified
        full = dotted(node)
        if full is None:
            return None
        head, _, rest = full.partition(".")
        if head in self.others:
            return self.others[head] + ("." + rest if rest else "")
        return full


def _canonical_module(module: str) -> str | None:
    for prefix in KERAS_MODULES:
        if module == prefix or module.startswith(prefix + "."):
            return "keras" + module[len(prefix) :]
    return None


def scan(tree: ast.Module, nodes: list[ast.AST] | None = None) -> Spelling:
    """Read the imports of a module, in source order, wherever they are (`nodes`: ast.walk(tree), if known)."""
    names = Spelling()
    imports = [n for n in (nodes or ast.walk(tree)) if isinstance(n, ast.Import | ast.ImportFrom)]
    for small in sorted(imports, key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(small, ast.Import):
            for alias in small.names:
                full, bound = alias.name, alias.asname
                if full == "keras":
                    names.root = bound or "keras"
                elif full == "tensorflow" and names.root is None:
                    names.root = f"{bound or 'tensorflow'}.keras"
                elif full.startswith("keras.") and bound is None and names.root is None:
                    names.root = "keras"
                if bound:
                    names.others[bound] = full
                else:
                    head = full.split(".")[0]
                    names.others.setdefault(head, head)
        elif small.module is not None and not small.level:
            source = small.module
            canonical = _canonical_module(source)
            for alias in small.names:
                imported = alias.name
                if imported == "*":
                    continue
                bound = alias.asname or imported
                if source == "tensorflow" and imported == "keras":
                    names.root = bound
                elif canonical == "keras" and imported in SUBMODULES:
                    names.submodules[imported] = bound
                elif canonical and canonical.count(".") == 1:
                    sub = canonical.split(".")[1]
                    names.from_modules.setdefault(sub, source)
                    names.names[f"{canonical}.{imported}"] = bound
                elif canonical == "keras":
                    names.names[f"keras.{imported}"] = bound
                elif canonical is None:
                    names.others[bound] = f"{source}.{imported}"
    return names
