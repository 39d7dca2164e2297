"""Follow a layer's `**kwargs` to the dict literal it splats, so a layer edit can reach the arguments there.

Real scripts share layer arguments: `hidden = dict(activation="relu", ...)`
then `layers.Dense(64, **hidden)`. A layer edit reads such a call through its
*view* (the call with the dict's entries written in as keywords) and its
changes go back where each argument lives: the call's own keywords in the
call, the dict's entries (and new keywords) in the dict. That is only faithful
when the name is bound once in the file, to a `dict(k=v, ...)` or
`{"k": v, ...}` literal, and every use of it is a `**name` in a layer the
edit targets; otherwise the layer is left as it was, with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from modeldoctor.transforms.engine.base import Decline
from modeldoctor.transforms.engine.call_edits import kwarg, remove_arg
from modeldoctor.transforms.engine.keyword_edits import set_keyword

__all__ = ["Delta", "SplatDict", "Splats", "apply_to_call", "apply_to_dict", "delta", "splat_of", "view"]


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


@dataclass(frozen=True)
class SplatDict:
    """A dict literal bound once to `name`: its node (`dict(...)` call or `{...}`) and its entries in order."""

    name: str
    node: cst.Call | cst.Dict
    line: int
    entries: tuple[tuple[str, cst.BaseExpression], ...]


@dataclass
class Splats:
    """Every name of the module: where it is bound to a dict literal, and each place it appears."""

    dicts: dict[str, SplatDict] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # name -> why it cannot be followed
    uses: dict[str, list[tuple[int, cst.CSTNode]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def scan(cls, module: cst.Module, line_of: Callable[[cst.CSTNode], int]) -> Splats:
        collector = _Names(line_of)
        module.visit(collector)
        found = cls(uses=collector.uses)
        for name, binds in collector.binds.items():
            if len(binds) != 1:
                found.problems[name] = f"`{name}` is bound {len(binds)} times in this file"
                continue
            value, line = binds[0]
            entries = _entries(value)
            if isinstance(entries, str):
                found.problems[name] = f"`{name}` is {entries}"
            else:
                found.dicts[name] = SplatDict(name, value, line, entries)  # type: ignore[arg-type]
        return found

    def follow(self, call: cst.Call, users: set[int]) -> SplatDict | None:
        """The dict `call` splats, or None when it has no `**`; Decline when it cannot be followed.

        `users`: the ids of the `**name` arguments of every call the edit targets."""
        stars = [a for a in call.args if a.star]
        if not stars:
            return None
        if any(a.star == "*" for a in stars) or len(stars) > 1:
            raise Decline("it takes *args or more than one **kwargs: the arguments it gets cannot be read")
        value = stars[0].value
        if not isinstance(value, cst.Name):
            raise Decline(f"its **{_code(value)} is not a name bound to a dict literal")
        name = value.value
        if name in self.problems or name not in self.dicts:
            why = self.problems.get(name, f"`{name}` is not bound to a dict literal in this file")
            raise Decline(f"it takes **{name}, and {why}: the arguments it passes cannot be read")
        others = [line for line, node in self.uses[name] if id(node) not in users]
        if others:
            raise Decline(f"it takes **{name}, which is also used at line {others[0]} by something this edit does "
                          f"not target: edit `{name}` by hand, or write the arguments in each call")
        return self.dicts[name]


class _Names(cst.CSTVisitor):
    """Where each name is bound by a plain `name = value`, and every other place the name appears."""

    def __init__(self, line_of: Callable[[cst.CSTNode], int]) -> None:
        self.line_of = line_of
        self.binds: dict[str, list[tuple[cst.BaseExpression, int]]] = defaultdict(list)
        self.uses: dict[str, list[tuple[int, cst.CSTNode]]] = defaultdict(list)

    def visit_Assign(self, node: cst.Assign) -> bool:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.binds[target.target.value].append((node.value, self.line_of(node.value)))
            else:
                target.target.visit(self)
        node.value.visit(self)
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.hidden` is not the name `hidden`
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # `f(hidden=1)`: the keyword is not the name
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.uses[node.value].append((self.line_of(node), node))


def _entries(value: cst.BaseExpression) -> tuple[tuple[str, cst.BaseExpression], ...] | str:
    """The literal's (keyword, value) entries, or what it is instead."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict":
        if any(a.keyword is None for a in value.args):
            return "a dict(...) with positional or ** arguments"
        return tuple((a.keyword.value, a.value) for a in value.args if a.keyword is not None)
    if isinstance(value, cst.Dict):
        entries = []
        for element in value.elements:
            key = element.key.evaluated_value if isinstance(element, cst.DictElement) and isinstance(
                element.key, cst.SimpleString) else None
            if not isinstance(key, str) or not key.isidentifier():
                return "a dict whose keys are not all plain keyword strings"
            entries.append((key, element.value))
        return tuple(entries)
    return "not a dict(...) or {...} literal"


def splat_of(call: cst.Call) -> cst.Arg | None:
    return next((a for a in call.args if a.star == "**"), None)


def view(call: cst.Call, found: SplatDict) -> cst.Call:
    """The call as if the dict's entries were written in it (in place of `**name`)."""
    args: list[cst.Arg] = []
    for arg in call.args:
        if arg.star == "**":
            args += [kwarg(key, value) for key, value in found.entries]
        else:
            args.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return call.with_changes(args=[a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args])


@dataclass(frozen=True)
class Delta:
    """What a layer edit changed, by keyword: new values (added or replaced) and removed keywords."""

    own: tuple[tuple[str, cst.BaseExpression], ...]  # keywords written in the call itself
    shared: tuple[tuple[str, cst.BaseExpression], ...]  # the dict's entries, and new keywords (they go to the dict)
    own_removed: tuple[str, ...] = ()
    shared_removed: tuple[str, ...] = ()

    def key(self) -> tuple[tuple[str, str], ...]:
        """What the dict gets, comparable across the calls that share it."""
        return tuple((k, _code(v)) for k, v in self.shared) + tuple((k, "<removed>") for k in self.shared_removed)


def delta(call: cst.Call, before: cst.Call, after: cst.Call) -> Delta:
    """Split the edit of `before` (the view of `call`) into `after` between the call and the dict."""
    if [_code(a.value) for a in before.args if a.keyword is None] != [
            _code(a.value) for a in after.args if a.keyword is None]:
        raise Decline("the edit changes its positional arguments, which cannot be followed into **kwargs")
    old = {a.keyword.value: a.value for a in before.args if a.keyword is not None}
    new = {a.keyword.value: a.value for a in after.args if a.keyword is not None}
    written = {a.keyword.value for a in call.args if a.keyword is not None}
    changed = [(k, v) for k, v in new.items() if k not in old or _code(old[k]) != _code(v)]
    removed = [k for k in old if k not in new]
    return Delta(own=tuple((k, v) for k, v in changed if k in written),
                 shared=tuple((k, v) for k, v in changed if k not in written),
                 own_removed=tuple(k for k in removed if k in written),
                 shared_removed=tuple(k for k in removed if k not in written))


def apply_to_call(call: cst.Call, changes: Delta) -> cst.Call:
    new = call
    for key, value in changes.own:
        new = set_keyword(new, key, value.deep_clone())
    for key in changes.own_removed:
        arg = next(a for a in new.args if a.keyword is not None and a.keyword.value == key)
        new = remove_arg(new, arg)
    return new


def apply_to_dict(node: cst.Call | cst.Dict, changes: Delta) -> cst.Call | cst.Dict:
    if isinstance(node, cst.Call):
        new = node
        for key, value in changes.shared:
            new = set_keyword(new, key, value.deep_clone())
        for key in changes.shared_removed:
            new = remove_arg(new, next(a for a in new.args if a.keyword is not None and a.keyword.value == key))
        return new
    elements = list(node.elements)
    quote = next((e.key.quote for e in elements if isinstance(e, cst.DictElement)
                  and isinstance(e.key, cst.SimpleString)), '"')
    for key, value in changes.shared:
        index = next((i for i, e in enumerate(elements) if _key(e) == key), None)
        if index is not None:
            elements[index] = elements[index].with_changes(value=value.deep_clone())
        else:
            elements = _append(elements, cst.DictElement(cst.SimpleString(f"{quote}{key}{quote}"), value.deep_clone()))
    for key in changes.shared_removed:
        index = next(i for i, e in enumerate(elements) if _key(e) == key)
        gone = elements.pop(index)
        if elements and index == len(elements):  # the new last element closes the dict as the removed one did
            elements[-1] = elements[-1].with_changes(comma=gone.comma)
    return node.with_changes(elements=elements)


def _key(element: cst.BaseDictElement) -> str | None:
    if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
        value = element.key.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _append(elements: list[cst.BaseDictElement], new: cst.DictElement) -> list[cst.BaseDictElement]:
    """`new` after the last element, in the dict's own layout (one per line stays one per line)."""
    if not elements:
        return [new]
    last = elements[-1]
    comma = last.comma if isinstance(last.comma, cst.Comma) else None
    between: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
    if len(elements) >= 2 and isinstance(elements[-2].comma, cst.Comma):
        between = elements[-2].comma.whitespace_after
        if isinstance(between, cst.ParenthesizedWhitespace):
            between = between.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    if comma is not None:  # a trailing comma: the new one closes the dict as the old last one did
        return [*elements[:-1], last.with_changes(comma=comma.with_changes(whitespace_after=between)),
                new.with_changes(comma=comma)]
    return [*elements[:-1], last.with_changes(comma=cst.Comma(whitespace_after=between)), new]

