"""Argument edits that keep a call's layout, and the literal values they read and write.

Shared by every transform: `arg_of` (and `arg_value`, `positional`) is the
one way to read a call's argument. Argument edits keep
the call's layout: one line stays one line, one argument per line stays so,
trailing commas and comments stay where they were. `number_value` reads a
number written with literals only; `literal` writes a parameter value as a
user would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import libcst as cst

# --- arguments ------------------------------------------------------------------------------

def positional(call: cst.Call) -> list[cst.Arg]:
    """The plain positional arguments (not `*args`, not keywords)."""
    return [a for a in call.args if a.keyword is None and not a.star]


def arg_of(call: cst.Call, keyword: str, position: int | None = None) -> cst.Arg | None:
    """The argument given by keyword, or at that position among the plain positional ones."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    plain = positional(call)
    if position is not None and position < len(plain):
        return plain[position]
    return None


def arg_value(call: cst.Call, keyword: str, position: int | None = None) -> cst.BaseExpression | None:
    """The value of `arg_of`'s argument, or None."""
    arg = arg_of(call, keyword, position)
    return arg.value if arg is not None else None


def has_star(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    no_space = cst.SimpleWhitespace("")
    return cst.Arg(value, keyword=cst.Name(name), equal=cst.AssignEqual(no_space, no_space))


def replace_arg(call: cst.Call, old: cst.Arg, new: cst.Arg) -> cst.Call:
    return call.with_changes(args=[new if arg is old else arg for arg in call.args])


def remove_arg(call: cst.Call, old: cst.Arg) -> cst.Call:
    args = [arg for arg in call.args if arg is not old]
    if not args:
        return call.with_changes(args=[], whitespace_before_args=cst.SimpleWhitespace(""))
    if call.args[-1] is old:  # the new last argument closes the call as the old one did, with its own comment
        prev = args[-1]
        own = prev.comma.whitespace_after if isinstance(prev.comma, cst.Comma) else None
        keep = own.first_line if isinstance(own, cst.ParenthesizedWhitespace) else cst.TrailingWhitespace()
        comma, after = old.comma, old.whitespace_after_arg
        if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
            comma = comma.with_changes(whitespace_after=comma.whitespace_after.with_changes(first_line=keep))
        elif isinstance(after, cst.ParenthesizedWhitespace):
            after = after.with_changes(first_line=keep)
        elif keep.comment is not None and own is not None:
            after = own  # a comment after the kept argument's comma stays on its line
        args[-1] = prev.with_changes(comma=comma, whitespace_after_arg=after)
    return call.with_changes(args=args)


def _clean(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    return ws.with_changes(first_line=cst.TrailingWhitespace()) if isinstance(ws, cst.ParenthesizedWhitespace) else ws


def _separator(items: list[Any], near: int, opening: cst.BaseParenthesizableWhitespace) -> Any:
    """The whitespace the container puts between two items, without any comment."""
    comma = items[near].comma if len(items) > 1 else None
    if isinstance(comma, cst.Comma):
        return _clean(comma.whitespace_after)
    return _clean(opening) if isinstance(opening, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(" ")


def _append(items: list[Any], new: Any, opening: Any, closing: Any) -> tuple[list[Any], Any, Any]:
    """Items with `new` last; returns them, the trailing comma for `new`, and the closing whitespace."""
    sep = _separator(items, -2, opening)
    if isinstance(closing, cst.ParenthesizedWhitespace) and closing.first_line.comment is not None:
        # the comment belongs to the last item: it stays on that item's line
        if isinstance(sep, cst.ParenthesizedWhitespace):
            sep = sep.with_changes(first_line=closing.first_line)
        else:
            sep = closing
        closing = _clean(closing)
    last = items[-1]
    trailing = last.comma if isinstance(last.comma, cst.Comma) else None
    items = [*items[:-1], last.with_changes(comma=(trailing or cst.Comma()).with_changes(whitespace_after=sep)), new]
    return items, trailing, closing


def append_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    trailing_comma = isinstance(last.comma, cst.Comma)
    closing = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else last.whitespace_after_arg
    if not trailing_comma:
        args[-1] = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    args, trailing, closing = _append(args, arg, call.whitespace_before_args, closing)
    if trailing is not None:
        args[-1] = arg.with_changes(comma=trailing.with_changes(whitespace_after=closing))
    else:
        args[-1] = arg.with_changes(whitespace_after_arg=closing)
    return call.with_changes(args=args)


def prepend_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` with the keyword `arg` first among its keyword arguments."""
    args = list(call.args)
    index = next((i for i, a in enumerate(args) if a.keyword is not None or a.star), len(args))
    if index == len(args):
        return append_arg(call, arg)
    if index == 0:
        comma = cst.Comma(whitespace_after=_separator(args, 0, call.whitespace_before_args))
    else:
        before = args[index - 1].comma
        comma = before.with_changes(whitespace_after=_clean(before.whitespace_after))  # type: ignore[union-attr]
    return call.with_changes(args=[*args[:index], arg.with_changes(comma=comma), *args[index:]])


def append_element(seq: cst.List | cst.Tuple, value: cst.BaseExpression) -> cst.List | cst.Tuple:
    element = cst.Element(value)
    if not seq.elements:
        alone = element.with_changes(comma=cst.Comma()) if isinstance(seq, cst.Tuple) else element
        return seq.with_changes(elements=[alone])
    if isinstance(seq, cst.List):
        opening, closing = seq.lbracket.whitespace_after, seq.rbracket.whitespace_before
    else:
        opening, closing = seq.lpar[0].whitespace_after, seq.rpar[0].whitespace_before
    items, trailing, closing = _append(list(seq.elements), element, opening, closing)
    if trailing is not None:
        items[-1] = element.with_changes(comma=trailing)
    if isinstance(seq, cst.List):
        return seq.with_changes(elements=items, rbracket=seq.rbracket.with_changes(whitespace_before=closing))
    rpar = [seq.rpar[0].with_changes(whitespace_before=closing), *seq.rpar[1:]]
    return seq.with_changes(elements=items, rpar=rpar)


# --- literals -------------------------------------------------------------------------------

_OPS: dict[type, Callable[[float, float], float]] = {
    cst.Add: lambda a, b: a + b, cst.Subtract: lambda a, b: a - b, cst.Multiply: lambda a, b: a * b,
    cst.Divide: lambda a, b: a / b, cst.Power: lambda a, b: a**b,
}


def number_value(expr: cst.BaseExpression) -> float | None:
    """The value of a number written with literals only (`1e-3`, `-2`, `0.1 * 3`), else None."""
    try:
        if isinstance(expr, (cst.Integer, cst.Float)):
            return float(expr.evaluated_value)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
            inner = number_value(expr.expression)
            return None if inner is None else (-inner if isinstance(expr.operator, cst.Minus) else inner)
        if isinstance(expr, cst.BinaryOperation) and type(expr.operator) in _OPS:
            left, right = number_value(expr.left), number_value(expr.right)
            return None if left is None or right is None else _OPS[type(expr.operator)](left, right)
    except (ArithmeticError, ValueError):
        return None
    return None


def same_number(expr: cst.BaseExpression, value: float) -> bool:
    current = number_value(expr)
    return current is not None and math.isclose(current, value, rel_tol=1e-9, abs_tol=0.0)


def literal(value: Any) -> cst.BaseExpression:
    """Source for a plain parameter value: numbers without float noise, strings in double quotes."""
    if value is None or isinstance(value, bool):
        return cst.Name(repr(value))
    if isinstance(value, int):
        return cst.parse_expression(str(value))
    if isinstance(value, float) and math.isfinite(value):
        return cst.parse_expression(repr(float(f"{value:.12g}")))
    if isinstance(value, str):
        return cst.SimpleString('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    raise ValueError(f"cannot write {value!r} as a literal")
