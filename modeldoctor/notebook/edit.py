"""Write cured cell sources into a notebook, leaving every other byte of the file as it was.

The notebook is not re-serialised: the JSON text is scanned for the span of
each changed cell's `"source"` value and only that span is replaced, laid
out as the original was (a list of lines at the same indentation, or one
string). Outputs, metadata, ids and the other cells stay byte-identical,
whatever tool wrote the file. The result is parsed back and, when
`nbformat` is installed, validated before anyone writes it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping

from modeldoctor.notebook.cells import NotebookError, parse_notebook

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


class _Spans:
    """A minimal JSON scanner that remembers where each cell's `source` value starts and ends."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sources: dict[int, tuple[int, int]] = {}  # 0-based cell index -> [start, end) of the value

    def skip(self, i: int) -> int:
        return _WS.match(self.text, i).end()  # type: ignore[union-attr]

    def value(self, i: int, path: tuple[object, ...]) -> int:
        i = self.skip(i)
        char = self.text[i:i + 1]
        if char == "{":
            i = self.skip(i + 1)
            if self.text[i] == "}":
                return i + 1
            while True:
                match = _STRING.match(self.text, self.skip(i))
                if match is None:
                    raise NotebookError("not JSON: a key expected")
                key = json.loads(match.group(0))
                i = self.skip(match.end())
                if self.text[i] != ":":
                    raise NotebookError("not JSON: ':' expected")
                start = self.skip(i + 1)
                i = self.value(start, (*path, key))
                if len(path) == 2 and path[0] == "cells" and key == "source":
                    self.sources[int(path[1])] = (start, i)  # type: ignore[call-overload]
                i = self.skip(i)
                if self.text[i] == "}":
                    return i + 1
                if self.text[i] != ",":
                    raise NotebookError("not JSON: ',' or '}' expected")
                i += 1
        if char == "[":
            i, index = self.skip(i + 1), 0
            if self.text[i] == "]":
                return i + 1
            while True:
                i = self.skip(self.value(i, (*path, index)))
                index += 1
                if self.text[i] == "]":
                    return i + 1
                if self.text[i] != ",":
                    raise NotebookError("not JSON: ',' or ']' expected")
                i += 1
        match = (_STRING if char == '"' else _SCALAR).match(self.text, i)
        if match is None:
            raise NotebookError(f"not JSON at character {i}")
        return match.end()


def _layout(old: str, source: str, ascii_only: bool) -> str:
    """`source` as a JSON value in the layout of the `old` one."""
    if not old.startswith("["):
        return json.dumps(source, ensure_ascii=ascii_only)
    lines = source.splitlines(keepends=True)
    if not lines:
        return "[]"
    first = re.match(r"\[([ \t]*\r?\n)?([ \t]*)", old)
    newline = "\r\n" if "\r\n" in old else "\n"
    if first is None or first.group(1) is None:  # one line: ["a\n", "b"]
        return "[" + ", ".join(json.dumps(line, ensure_ascii=ascii_only) for line in lines) + "]"
    indent = first.group(2)
    closing = re.search(r"\n([ \t]*)\]$", old)
    end_indent = closing.group(1) if closing else indent[:-1]
    items = f",{newline}".join(indent + json.dumps(line, ensure_ascii=ascii_only) for line in lines)
    return f"[{newline}{items}{newline}{end_indent}]"


def with_sources(text: str, changed: Mapping[int, str], path: str) -> str:
    """The notebook `text` with the cells numbered in `changed` (1-based) given these sources."""
    spans = _Spans(text)
    try:
        spans.value(0, ())
    except (NotebookError, IndexError, ValueError) as error:
        raise NotebookError(f"{path}: cannot be edited in place ({error})") from None
    ascii_only = not re.search(r"[^\x00-\x7f]", text) and "\\u" in text
    out, at = [], 0
    for number in sorted(changed):
        if number - 1 not in spans.sources:
            raise NotebookError(f"{path}: cell {number} has no source to edit")
        start, end = spans.sources[number - 1]
        out += [text[at:start], _layout(text[start:end], changed[number], ascii_only)]
        at = end
    result = "".join([*out, text[at:]])
    cured = parse_notebook(result, path)
    for number, source in changed.items():
        if cured.cells[number - 1].source != source:
            raise NotebookError(f"{path}: cell {number} did not take its cured source; nothing was written")
    validate(result, path)
    return result


def validate(text: str, path: str) -> None:
    """nbformat's own validation, when it is installed (the `notebook` extra)."""
    try:
        import nbformat
    except ImportError:
        return
    try:
        nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    except Exception as error:  # noqa: BLE001 - ValidationError and friends: the file stays as it was
        raise NotebookError(f"{path}: the cured notebook does not validate ({error}); nothing was written") from None


def cell_diff(before: Mapping[int, str], after: Mapping[int, str], name: str) -> str:
    """One unified diff per changed cell, headed `a/analysis.ipynb:cell 4` (as ruff's --diff)."""
    parts: list[str] = []
    for number in sorted(after):
        old, new = before.get(number, ""), after[number]
        parts += difflib.unified_diff(_lines(old), _lines(new), fromfile=f"a/{name}:cell {number}",
                                      tofile=f"b/{name}:cell {number}")
    return "".join(parts)


def _lines(source: str) -> list[str]:
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines
