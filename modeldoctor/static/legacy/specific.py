"""Finders of the Keras 3 changes that are not a plain rename: meaning moved between positions or values.

- `conv-positional`: `Conv2D(32, 3, 3)` meant a 3×3 kernel in Keras 1 and 2 (their legacy
  interface read `nb_row, nb_col`); Keras 3 reads the third number as `strides`. Table:
  `layers` ({class name: spatial dimensions}).
- `save-path`: Keras 3 saves only to `.keras` / `.h5` files, weights only to `.weights.h5`.
  Table: `methods` ({method: "model" | "weights"}), `callbacks` (checkpoint classes).
- `attribute`: an attribute Keras 3 renamed on an optimizer (`optimizer.lr`). Table:
  `attributes` ({old: new}), `receivers` (names whose last part marks an optimizer).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from modeldoctor.static.facts import Script
from modeldoctor.static.names import dotted
from modeldoctor.static.registry import Hit
from modeldoctor.static.values import is_number

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
WEIGHTS_SUFFIX = ".weights.h5"


def find_conv_positional(script: Script, table: dict[str, Any]) -> Iterator[Hit]:
    layers: dict[str, int] = table.get("layers", {})
    for call in script.layers(*layers):
        dims = layers[call.kind]
        sizes = call.node.args[1 : 1 + dims]
        if len(sizes) != dims or len(call.node.args) > 1 + dims or dims < 2:
            continue
        values = [script.value(n) for n in sizes]
        if all(is_number(v) and isinstance(v, int) for v in values):
            shown = ", ".join(str(v) for v in values)
            yield Hit(f"`{call.kind}({script.value(call.node.args[0])!s}, {shown})` meant a kernel of "
                      f"({shown}) in Keras 1 and 2; Keras 3 reads {shown.split(', ', 1)[1]} as strides, "
                      f"silently shrinking the output", call, {"layer": call.kind, "kernel": values},
                      confidence=0.9)


def _path_literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def wanted_suffix(path: str, weights: bool) -> str | None:
    """The suffix Keras 3 needs for this path, or None when it already has one it accepts."""
    if weights:
        return None if path.endswith(WEIGHTS_SUFFIX) else WEIGHTS_SUFFIX
    return None if path.endswith((".keras", ".h5")) else ".keras"


def find_save_paths(script: Script, table: dict[str, Any]) -> Iterator[Hit]:
    methods: dict[str, str] = table.get("methods", {})
    callbacks: list[str] = table.get("callbacks", [])
    for node in script.nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
            weights = methods[node.func.attr] == "weights"
            path = _path_literal(node.args[0] if node.args else None)
            what = f".{node.func.attr}()"
        else:
            continue
        if path is not None and (suffix := wanted_suffix(path, weights)) is not None:
            yield Hit(f"`{what}` to {path!r}: Keras 3 writes {'weights' if weights else 'models'} only to "
                      f"files ending in {suffix if weights else '.keras or .h5'} and refuses this path",
                      node, {"path": path, "suffix": suffix}, confidence=0.9)
    for call in script.calls:
        if call.kind not in callbacks or not call.qualname.startswith("keras.callbacks."):
            continue
        path = _path_literal(call.arg_node("filepath", 0))
        weights = script.value(call.arg_node("save_weights_only")) is True
        if path is None:
            continue
        suffix = WEIGHTS_SUFFIX if weights and not path.endswith(WEIGHTS_SUFFIX) else None
        if not weights and not path.endswith((".keras", ".h5")):  # Keras 3 checkpoints a whole model to either
            suffix = ".keras"
        if suffix is not None:
            yield Hit(f"`{call.kind}({path!r}{', save_weights_only=True' if weights else ''})`: Keras 3's "
                      f"checkpoints need a path ending in {suffix} and refuse this one", call,
                      {"path": path, "suffix": suffix}, confidence=0.9)


def find_attributes(script: Script, table: dict[str, Any]) -> Iterator[Hit]:
    attributes: dict[str, str] = table.get("attributes", {})
    receivers: list[str] = table.get("receivers", [])
    for node in script.nodes:
        if not isinstance(node, ast.Attribute) or node.attr not in attributes:
            continue
        receiver = dotted(node.value) or ""
        if receiver.rpartition(".")[2] in receivers:
            new = attributes[node.attr]
            yield Hit(f"`{receiver}.{node.attr}`: Keras 3 optimizers call it `{new}`", node,
                      {"attribute": node.attr, "replacement": new}, confidence=0.85)


FINDERS = {"conv-positional": find_conv_positional, "save-path": find_save_paths, "attribute": find_attributes}
