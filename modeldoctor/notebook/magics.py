"""IPython syntax made plain Python, line for line, as ruff does before it reads a notebook.

Only a *logical line's start* can be a magic (`%pip install x`, `!ls`,
`files = !ls`, `obj?`): a `%` continuing an expression inside brackets is
the modulo operator. Each line keeps its number, so a finding's line in the
virtual script is its line in the cell. `%time stmt` and a `%%time` cell
still run their Python (a `fit` is often timed); other magics become `pass`,
and a cell magic whose body is not Python (`%%bash`, `%%writefile`) is
blanked whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Cell magics whose body is Python that runs once.
PYTHON_CELL_MAGICS = frozenset({"time", "capture", "prun", "debug", "timeit"})
# Line magics that run the Python statement after them.
TIMING = re.compile(r"^(\s*)(%time\s+)(?=\S)")
ASSIGNED = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[%!]")
ESCAPE = re.compile(r"^\s*(?:%|!|\?)")


@dataclass(frozen=True)
class Line:
    """One cell line as Python sees it: `text`, made from `original` (equal when it needed nothing)."""

    text: str
    original: str
    prefix: str = ""  # removed from the front (`%time `): columns shift by its length

    @property
    def neutralised(self) -> bool:
        return self.text != self.original and not self.prefix


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


@dataclass
class _Scanner:
    """Where each line starts: inside brackets, a string, or a backslash continuation, or at a new statement."""

    depth: int = 0
    quote: str = ""
    continued: bool = False

    @property
    def at_statement(self) -> bool:
        return not (self.depth or self.quote or self.continued)

    def scan(self, line: str) -> bool:
        """Advance over `line`; whether its code (outside strings and comments) ends with `?`."""
        i, last = 0, ""
        self.continued = False
        while i < len(line):
            char = line[i]
            if self.quote:
                if char == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    last = self.quote[0]
                    self.quote = ""
                    continue
                i += 1
                continue
            if char == "#":
                break
            if char in "\"'":
                self.quote = char * 3 if line.startswith(char * 3, i) else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            if char == "\\" and line[i + 1:].strip() == "":
                self.continued = True
            if not char.isspace():
                last = char
            i += 1
        if self.quote and len(self.quote) == 1:
            self.quote = ""  # an unclosed one-line string ends with its line (a syntax error Python reports)
        return last == "?" and not self.quote


def neutralise(source: str) -> list[Line]:
    """Every line of one cell (without newlines), as Python."""
    lines = source.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(maxsplit=1)[0] if lines[first].strip() != "%%" else ""
        head = [Line(line, line) for line in lines[:first]] + [Line("", lines[first])]
        if name not in PYTHON_CELL_MAGICS:
            return head + [Line("", line) for line in lines[first + 1:]]
        return head + _lines(lines[first + 1:])
    return _lines(lines)


def _lines(lines: list[str]) -> list[Line]:
    out: list[Line] = []
    scanner = _Scanner()
    magic_continues = False
    for line in lines:
        if magic_continues:  # a magic continued with a trailing backslash
            out.append(Line(_indent(out[-1].text) + "pass" if out[-1].text.strip() else "", line))
            magic_continues = line.rstrip().endswith("\\")
            continue
        if scanner.at_statement:
            timed = TIMING.match(line)
            if timed:
                prefix = timed.group(2)
                text = timed.group(1) + line[timed.end():]
                scanner.scan(text)
                out.append(Line(text, line, prefix))
                continue
            assigned = ASSIGNED.match(line)
            if assigned:
                out.append(Line(f"{assigned.group(1)}{assigned.group(2)} = None", line))
                magic_continues = line.rstrip().endswith("\\")
                continue
            if ESCAPE.match(line):
                out.append(Line(_indent(line) + "pass", line))
                magic_continues = line.rstrip().endswith("\\")
                continue
        at_statement = scanner.at_statement
        if scanner.scan(line) and at_statement and scanner.at_statement:  # `obj?`, `obj??`: help
            out.append(Line(_indent(line) + "pass", line))
            continue
        out.append(Line(line, line))
    return out
