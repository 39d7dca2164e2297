"""Edits planned on the original tree and applied in one pass, so either every planned edit lands or none does.

The inserters plan where positions and parents are known, on the original
tree: `Plan` keys each edit by an original node (elements for a list, lines
before or after a statement, a change to a node) and `apply` rebuilds the
tree once. `finish` refuses (raises `Decline`) a result that does not parse.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from modeldoctor.transforms.engine.base import Decline


class Plan:
    """Edits keyed by original nodes, applied in one pass by `apply`."""

    def __init__(self) -> None:
        self.elements: dict[cst.List, list[tuple[int, cst.BaseExpression]]] = {}
        self.before: dict[cst.CSTNode, list[cst.SimpleStatementLine]] = {}
        self.after: dict[cst.CSTNode, list[cst.SimpleStatementLine]] = {}
        self.changes: dict[cst.CSTNode, list[Callable[[cst.CSTNode], cst.CSTNode]]] = {}

    def insert_element(self, holder: cst.List, index: int, *values: str) -> None:
        """Insert `values`, in this order, before the element now at `index`."""
        for value in reversed(values):  # each goes before the one inserted just before it
            self.elements.setdefault(holder, []).append((index, cst.parse_expression(value)))

    def add_before(self, statement: cst.CSTNode, *lines: str) -> None:
        self.before.setdefault(statement, []).extend(cst.parse_statement(line) for line in lines)  # type: ignore[misc]

    def add_after(self, statement: cst.CSTNode, *lines: str) -> None:
        self.after.setdefault(statement, []).extend(cst.parse_statement(line) for line in lines)  # type: ignore[misc]

    def change(self, node: cst.CSTNode, edit: Callable[[cst.CSTNode], cst.CSTNode]) -> None:
        self.changes.setdefault(node, []).append(edit)

    def apply(self, tree: cst.Module) -> cst.Module:
        if not (self.elements or self.before or self.after or self.changes):
            return tree
        return tree.visit(_Apply(self))


class _Apply(cst.CSTTransformer):
    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        for edit in self.plan.changes.get(original_node, ()):
            updated_node = edit(updated_node)
        if isinstance(updated_node, cst.List) and original_node in self.plan.elements:
            planned = self.plan.elements[original_node]  # type: ignore[index]
            for index, value in sorted(planned, key=lambda p: -p[0]):  # stable: same index keeps plan order
                updated_node = insert_element(updated_node, index, value)
        before = list(self.plan.before.get(original_node, ()))
        after = self.plan.after.get(original_node, ())
        if not (before or after):
            return updated_node
        if before and isinstance(updated_node, cst.SimpleStatementLine):
            lines = list(updated_node.leading_lines)
            blank = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
            before[0] = before[0].with_changes(leading_lines=lines[:blank])
            updated_node = updated_node.with_changes(leading_lines=lines[blank:])
        return cst.FlattenSentinel([*before, updated_node, *after])


def _split(comma: cst.Comma | cst.MaybeSentinel) -> tuple[cst.Comma | cst.MaybeSentinel, cst.Comma | cst.MaybeSentinel]:
    """A separator cut in two: the element before keeps its trailing comment, the new one the lines after."""
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        ws = comma.whitespace_after
        return (
            comma.with_changes(whitespace_after=ws.with_changes(empty_lines=[])),
            comma.with_changes(whitespace_after=ws.with_changes(first_line=cst.TrailingWhitespace())),
        )
    return comma, comma


def _separator(holder: cst.List) -> cst.Comma:
    """The comma-and-whitespace this list puts between two elements, without comments."""
    for element in holder.elements[:-1]:
        if isinstance(element.comma, cst.Comma):
            ws = element.comma.whitespace_after
            if isinstance(ws, cst.ParenthesizedWhitespace):
                ws = ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
            return element.comma.with_changes(whitespace_after=ws)
    ws = holder.lbracket.whitespace_after
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def insert_element(holder: cst.List, index: int, value: cst.BaseExpression) -> cst.List:
    """Insert an element before `index`, keeping the list's indentation and trailing-comma style."""
    elements = list(holder.elements)
    new = cst.Element(value)
    if not elements:
        return holder.with_changes(elements=[new])
    if index == 0:
        elements.insert(0, new.with_changes(comma=_separator(holder)))
    elif index < len(elements):
        kept, given = _split(elements[index - 1].comma)
        elements[index - 1] = elements[index - 1].with_changes(comma=kept)
        elements.insert(index, new.with_changes(comma=given))
    else:
        # The last element's comment and newline belong to the closing bracket: move the comment
        # onto the old last element's new comma, so it stays on that element's line.
        last, separator, closing = elements[-1], _separator(holder), holder.rbracket.whitespace_before
        comma, kept, given = last.comma, separator, last.comma
        between = separator.whitespace_after
        if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(between, cst.ParenthesizedWhitespace):
            kept = separator.with_changes(whitespace_after=between.with_changes(first_line=closing.first_line))
            if isinstance(comma, cst.Comma):
                given = comma.with_changes(whitespace_after=cst.SimpleWhitespace(""))
            closing = closing.with_changes(first_line=cst.TrailingWhitespace())
            holder = holder.with_changes(rbracket=holder.rbracket.with_changes(whitespace_before=closing))
        elements[-1] = last.with_changes(comma=kept)
        elements.append(new.with_changes(comma=given))
    return holder.with_changes(elements=elements)


def finish(plan: Plan, tree: cst.Module) -> cst.Module:
    """Apply the plan; refuse (leaving the file alone) rather than emit code that does not parse."""
    result = plan.apply(tree)
    try:
        cst.parse_module(result.code)
    except cst.ParserSyntaxError:
        raise Decline("the edit would not produce valid Python; the file was left as it was") from None
    return result
