"""Literal values in the source, and positions in the doctor's convention.

A check reports only what it can read: `MISSING` (the argument is absent,
so the library default applies) and `UNKNOWN` (present but computed at run
time) let each check decide instead of guessing.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Sentinel("MISSING")
UNKNOWN: Any = _Sentinel("UNKNOWN")

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def literal(node: ast.AST | None, constants: dict[str, Any] | None = None) -> Any:
    """The value of a literal expression (numbers, strings, bools, None, tuples, simple arithmetic).

    Names bound once at module level to a literal (`LR = 0.5`) are followed
    through `constants`. Anything else is UNKNOWN.
    """
    if node is None:
        return MISSING
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = literal(node.operand, constants)
        if is_number(value):
            return -value if isinstance(node.op, ast.USub) else value
        return UNKNOWN
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = literal(node.left, constants), literal(node.right, constants)
        if is_number(left) and is_number(right):
            try:
                return _BINOPS[type(node.op)](left, right)
            except (ZeroDivisionError, OverflowError):
                return UNKNOWN
        return UNKNOWN
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(literal(e, constants) for e in node.elts)
    if isinstance(node, ast.Name) and constants and node.id in constants:
        return constants[node.id]
    return UNKNOWN


def module_constants(tree: ast.Module, nodes: list[ast.AST] | None = None) -> dict[str, Any]:
    """Module-level names assigned exactly once, to a literal (`nodes`: ast.walk(tree), if known)."""
    counts: dict[str, int] = {}
    values: dict[str, Any] = {}
    for node in nodes or ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        elif isinstance(node, ast.For | ast.comprehension):
            targets = [node.target]
        for target in targets:
            for name in ast.walk(target) if not isinstance(target, ast.Name) else (target,):
                if isinstance(name, ast.Name):
                    counts[name.id] = counts.get(name.id, 0) + 1
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = literal(node.value)
            if value is not UNKNOWN:
                values[node.targets[0].id] = value
    return {k: v for k, v in values.items() if counts.get(k) == 1}


class Positions:
    """ast gives UTF-8 byte columns; LibCST, the run record and `Location` use characters."""

    def __init__(self, source: str) -> None:
        self.lines = re.split(r"\r\n|\r|\n", source)

    def of(self, node: ast.AST) -> tuple[int, int]:
        line, column = node.lineno, node.col_offset  # type: ignore[attr-defined]
        if 0 < line <= len(self.lines):
            text = self.lines[line - 1]
            if not text.isascii():
                column = len(text.encode("utf-8")[:column].decode("utf-8", errors="replace"))
        return line, column
