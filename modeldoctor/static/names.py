"""How a file spells Keras, read with the stdlib `ast` for the static path.

This is `modeldoctor.transforms.engine.keras_names.scan()` / `KerasNames.qualified()`
ported from LibCST nodes to `ast` nodes: importing LibCST costs ~0.3 s (its
codemod package ~0.6 s), more than the whole budget of a pre-commit check.
Both read the import spellings and the submodule list from
`modeldoctor.vocabulary`; `tests/static/test_names.py` runs both on the same
import styles and fails when they drift.

Two deliberate extensions over the LibCST original, both for detection only:
imports are read anywhere in the file (inside `try:`, `if`, functions), and a
name imported from a Keras module resolves its attributes
(`from keras.datasets import mnist` → `mnist.load_data` is
`keras.datasets.mnist.load_data`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from modeldoctor.vocabulary import add_root, bind_from_import, canonical_module, import_binding, qualify


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
    other_roots: list[str] = field(default_factory=list)  # e.g. "tf.keras" beside `import keras`
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
        return None if full is None else qualify(full, self.root, self.other_roots, self.submodules, self.names)

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


def scan(tree: ast.Module, nodes: list[ast.AST] | None = None) -> Spelling:
    """Read the imports of a module, in source order, wherever they are (`nodes`: ast.walk(tree), if known)."""
    names = Spelling()
    imports = [n for n in (nodes or ast.walk(tree)) if isinstance(n, ast.Import | ast.ImportFrom)]
    for small in sorted(imports, key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(small, ast.Import):
            for alias in small.names:
                full, bound = alias.name, alias.asname
                binding = import_binding(full, bound)
                if binding is not None and binding[0] == "root":
                    names.root = add_root(names.root, names.other_roots, binding[1])
                elif binding is not None:
                    names.submodules[binding[0]] = binding[1]
                if bound:
                    names.others[bound] = full
                else:
                    head = full.split(".")[0]
                    names.others.setdefault(head, head)
        elif small.module is not None and not small.level:
            source = small.module
            canonical = canonical_module(source)
            for alias in small.names:
                imported = alias.name
                if imported == "*":
                    continue
                bound = alias.asname or imported
                if not bind_from_import(names, source, imported, bound) and canonical is None:
                    names.others[bound] = f"{source}.{imported}"
    return names
