"""What a name holds while the reader follows a scope: a layer, a tensor of the functional graph, a list…"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from modeldoctor.static.facts import KCall
from modeldoctor.static.values import literal


@dataclass(eq=False)
class Tensor:
    layer: KCall | None  # the layer that produced it; None for an input or an unknown value
    input: Tensor | None = None
    repeat: int | None = 1
    is_input: bool = False


@dataclass(eq=False)
class LayerRef:
    call: KCall


@dataclass(eq=False)
class CallbackRef:
    kind: str


@dataclass(eq=False)
class ListRef:
    items: list[tuple[Any, int | None]] = field(default_factory=list)  # (value, repeat)


def times(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a * b


def loop_count(node: ast.expr, constants: dict[str, Any]) -> int | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and node.args:
        bounds = [literal(a, constants) for a in node.args]
        if all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            return len(range(*bounds)) if len(bounds) <= 3 else None
        return None
    value = literal(node, constants)
    return len(value) if isinstance(value, tuple) else None
