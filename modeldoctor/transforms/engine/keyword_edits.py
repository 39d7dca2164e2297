"""Read and set a layer call's keyword arguments and activation without disturbing its layout or comments.

Shared by the transforms that edit a layer's or the loss's arguments:
`set_keyword`, `read_activation`/`set_activation`, the string helpers that
follow the file's quote style (`module_quote`, `quote_of`), and the layer
families those edits are defined for (`KERNEL_LAYERS`, `RECURRENT_LAYERS`).
Arguments are read with call_edits.py's `arg_of`. An edit that cannot be
made safely raises `Decline`.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from modeldoctor.transforms.engine.base import Decline
from modeldoctor.transforms.engine.call_edits import arg_of, kwarg, positional, replace_arg
from modeldoctor.transforms.engine.keras_names import KerasNames
from modeldoctor.vocabulary import ACTIVATION_LAYER, ACTIVATION_POSITION, FEEDFORWARD_LAYERS, RECURRENT_LAYERS
from modeldoctor.vocabulary import canonical_activation as canonical_activation

__all__ = [
    "ACTIVATION_LAYER",
    "KERNEL_LAYERS",
    "RECURRENT_LAYERS",
    "activation_name",
    "canonical_activation",
    "describe",
    "int_value",
    "module_quote",
    "quote_of",
    "read_activation",
    "replace_value",
    "set_activation",
    "set_keyword",
    "string_node",
    "string_value",
]

KERNEL_LAYERS = FEEDFORWARD_LAYERS  # the Dense/Conv layers (kernel argument names: vocabulary.kernel_arguments)
SIZES = ("units", "filters")


def string_value(expr: cst.BaseExpression | None) -> str | None:
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def int_value(expr: cst.BaseExpression | None) -> int | None:
    if isinstance(expr, cst.Integer):
        value = expr.evaluated_value
        return value if isinstance(value, int) else None
    return None


def quote_of(call: cst.Call, default: str = '"') -> str:
    """The quote character the call's own string arguments use, else `default`."""
    for arg in call.args:
        if isinstance(arg.value, cst.SimpleString) and arg.value.quote in ('"', "'"):
            return arg.value.quote
    return default


class _Quotes(cst.CSTVisitor):
    def __init__(self) -> None:
        self.count = {'"': 0, "'": 0}

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if node.quote in self.count:
            self.count[node.quote] += 1


def module_quote(module: cst.Module) -> str:
    """The quote most of the module's one-line strings use: new strings follow the file's style."""
    counter = _Quotes()
    module.visit(counter)
    return "'" if counter.count["'"] > counter.count['"'] else '"'


def string_node(value: str, quote: str = '"') -> cst.SimpleString:
    return cst.SimpleString(f"{quote}{value}{quote}")


def describe(call: cst.Call, cls: str) -> str:
    """`Dense(64)`: the class and its first positional argument, for notes and warnings."""
    first = [a.value for a in positional(call)[:1]]
    first = first or [a.value for a in call.args if a.keyword and a.keyword.value in SIZES]
    code = cst.Module([]).code_for_node(first[0]) if first else ""
    return f"{cls}({code if len(code) <= 24 else '...'})"


def _activation_slot(call: cst.Call, cls: str) -> tuple[str, int] | None:
    """Where the activation is given: ("kw", index) or ("pos", index) into call.args."""
    for i, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "activation":
            return "kw", i
    wanted = ACTIVATION_POSITION.get(cls)
    plain = [i for i, a in enumerate(call.args) if a.keyword is None and not a.star]
    if wanted is not None and len(plain) > wanted:
        return "pos", plain[wanted]
    return None


def activation_name(names: KerasNames, expr: cst.BaseExpression) -> str | None:
    """`"relu"`, `keras.activations.relu`, `activations.relu`, `tf.nn.relu` -> "relu"; else None."""
    text = string_value(expr)
    if text is None:
        if isinstance(expr, cst.Name) and expr.value == "None":
            return "linear"
        full = get_full_name_for_node(expr)
        qualified = names.qualified(expr) or ""
        module_alias = names.names.get("keras.activations")
        roots = (names.root, *names.other_roots)  # `tf.nn.relu` beside `import keras` too
        tf_root = next((r.split(".")[0] for r in roots if r and r.endswith(".keras")), None)
        if qualified.startswith("keras.activations.") and qualified.count(".") == 2:
            text = qualified.rsplit(".", 1)[1]
        elif full and module_alias and full.startswith(module_alias + ".") and full.count(".") == 1:
            text = full.rsplit(".", 1)[1]
        elif full and tf_root and full.startswith(tf_root + ".nn.") and full.count(".") == 2:
            text = full.rsplit(".", 1)[1]
    return None if text is None else canonical_activation(text)


def read_activation(names: KerasNames, call: cst.Call, cls: str) -> tuple[str | None, cst.BaseExpression | None]:
    """The activation's canonical name ("linear" when absent) and its expression; name None = unreadable."""
    slot = _activation_slot(call, cls)
    if slot is None:
        if cls == ACTIVATION_LAYER:
            return None, None
        default = "tanh" if cls in RECURRENT_LAYERS else "linear"
        return default, None
    expr = call.args[slot[1]].value
    return activation_name(names, expr), expr


def replace_value(call: cst.Call, arg: cst.Arg, value: cst.BaseExpression) -> cst.Call:
    """The call with `arg` (one of its own arguments) given a new value, everything else untouched."""
    return replace_arg(call, arg, arg.with_changes(value=value))


def set_activation(call: cst.Call, cls: str, value: str, quote: str = '"') -> cst.Call:
    """Replace the activation in place (keyword or positional slot), or add the keyword."""
    slot = _activation_slot(call, cls)
    if slot is None:
        if cls == ACTIVATION_LAYER:
            raise Decline(f"{describe(call, cls)} has no activation argument to change")
        return set_keyword(call, "activation", string_node(value, quote_of(call, quote)))
    old = call.args[slot[1]]
    quote = old.value.quote if isinstance(old.value, cst.SimpleString) else quote_of(call, quote)
    return replace_value(call, old, string_node(value, quote))


def _plain(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """The same line break and indentation, without the comment or blank lines it carried."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return ws


def _separator(call: cst.Call) -> cst.BaseParenthesizableWhitespace:
    """The whitespace this call puts between arguments."""
    if len(call.args) >= 2 and isinstance(call.args[-2].comma, cst.Comma):
        return _plain(call.args[-2].comma.whitespace_after)
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return _plain(call.whitespace_before_args)
    return cst.SimpleWhitespace(" ")


def _split(closing: cst.BaseParenthesizableWhitespace, sep: cst.BaseParenthesizableWhitespace):
    """Whitespace after the old last argument's new comma, and before the closing parenthesis.

    One argument per line: the old last line keeps its comment and the new
    argument gets a line of its own. Arguments on one line: the new one joins
    them and the comment, if any, stays at the end of that line.
    """
    if isinstance(sep, cst.ParenthesizedWhitespace) and isinstance(closing, cst.ParenthesizedWhitespace):
        return closing.with_changes(indent=sep.indent, last_line=sep.last_line), _plain(closing)
    return sep, closing


def set_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """Replace `name=`'s value, or append `name=value` in the call's own layout.

    Refuses (Decline) to add a keyword to a call with `*args`/`**kwargs`,
    which may already pass it.
    """
    existing = arg_of(call, name)
    if existing is not None:
        return replace_value(call, existing, value)
    if any(a.star for a in call.args):
        raise Decline(f"it takes *args or **kwargs that may already set {name}")
    new = kwarg(name, value)
    equal = next((a.equal for a in call.args if isinstance(a.equal, cst.AssignEqual)), None)
    new = new.with_changes(equal=equal) if equal is not None else new  # `name = value` if the call spaces them
    if not call.args:
        return call.with_changes(args=[new])
    args = list(call.args)
    last = args[-1]
    sep = _separator(call)
    if isinstance(last.comma, cst.Comma):  # trailing comma: the closing whitespace is the comma's
        between, closing = _split(last.comma.whitespace_after, sep)
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=between))
        args.append(new.with_changes(comma=cst.Comma(whitespace_after=closing)))
    else:
        between, closing = _split(last.whitespace_after_arg, sep)
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=between), whitespace_after_arg=cst.SimpleWhitespace("")
        )
        args.append(new.with_changes(whitespace_after_arg=closing))
    return call.with_changes(args=args)
