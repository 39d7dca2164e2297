"""`# modeldoctor: ignore[MD101, MD202]` comments: findings the user chose to silence.

A comment silences the codes it lists (or, bare, every code) for findings
reported on its line or on any line of the statement that line belongs to,
so a comment on the closing line of a multi-line `Sequential([...])` covers
every layer in it. Codes may be given by name too (`ignore[high-dropout-rate]`).

Comments are read with `tokenize` (so `#` inside strings does not count)
and statement ranges with `ast`: both stdlib and fast, for the pre-commit
path. A file that does not parse falls back to same-line comments.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from modeldoctor.ftypes import Finding

DIRECTIVE = re.compile(r"modeldoctor\s*:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
ALL = "*"


def read_text(path: str) -> str:
    if path.lower().endswith(".ipynb"):  # findings point into its virtual script, comments are the cells'
        from modeldoctor.notebook import virtual_script

        return virtual_script(path).source
    return Path(path).read_text(encoding="utf-8")


@dataclass
class FileSuppressions:
    """What one file silences, by line: line -> codes (ALL for a bare ignore)."""

    by_line: dict[int, set[str]] = field(default_factory=dict)
    statements: dict[int, tuple[int, int]] = field(default_factory=dict)  # line -> (first, last) of its statement

    def codes_for(self, line: int) -> set[str]:
        first, last = self.statements.get(line, (line, line))
        codes: set[str] = set()
        for number in range(first, last + 1):
            codes |= self.by_line.get(number, set())
        return codes

    def silences(self, finding: Finding) -> bool:
        if finding.location is None:
            return False
        codes = self.codes_for(finding.location.line)
        return ALL in codes or finding.code.upper() in codes or finding.name.upper() in codes


def _comments(source: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}

    def add(line: int, text: str) -> None:
        for match in DIRECTIVE.finditer(text):
            listed = match.group("codes")
            codes = {c.strip().upper() for c in listed.split(",") if c.strip()} if listed is not None else {ALL}
            found.setdefault(line, set()).update(codes or {ALL})

    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                add(token.start[0], token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        found.clear()
        for number, text in enumerate(source.splitlines(), 1):
            if "#" in text:
                add(number, text[text.index("#") :])
    return found


def _statements(source: str) -> dict[int, tuple[int, int]]:
    """Each line's innermost statement: simple statements whole, compound ones by their header."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    spans: dict[int, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            last = max(first, body[0].lineno - 1)  # the header: `def f(...):`, `with ...:`
        else:
            last = node.end_lineno or node.lineno
        for line in range(first, last + 1):
            current = spans.get(line)
            if current is None or (last - first) < (current[1] - current[0]):
                spans[line] = (first, last)
    return spans


def file_suppressions(source: str) -> FileSuppressions:
    by_line = _comments(source)
    return FileSuppressions(by_line, _statements(source) if by_line else {})


def apply_suppressions(
    findings: Iterable[Finding], read_source: Callable[[str], str] = read_text
) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed). Sources are read once per file; a file that cannot be read suppresses nothing."""
    cache: dict[str, FileSuppressions | None] = {}
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        path = finding.location.path if finding.location is not None else None
        if path is not None and path not in cache:
            try:
                cache[path] = file_suppressions(read_source(path))
            except (OSError, UnicodeDecodeError):
                cache[path] = None
        rules = cache.get(path) if path is not None else None
        (suppressed if rules is not None and rules.silences(finding) else kept).append(finding)
    return kept, suppressed


def parse_codes(value: str | Iterable[str] | None) -> set[str]:
    """`MD1,MD201` or a list of them (from [tool.modeldoctor]) as upper-case codes or prefixes."""
    if not value:
        return set()
    items = value.split(",") if isinstance(value, str) else [c for v in value for c in str(v).split(",")]
    return {c.strip().upper() for c in items if c.strip()}


def select(findings: Iterable[Finding], chosen: str | Iterable[str] | None,
           ignored: str | Iterable[str] | None, opt_in: Collection[str] = (),
           extended: str | Iterable[str] | None = None) -> list[Finding]:
    """--select / --extend-select / --ignore, by code or code prefix (as ruff's).

    Without --select the default set is reported: every code but the `opt_in` ones (rules declared
    `default = false`), which a --select or --extend-select naming them (or a prefix of them) brings back.
    """
    return [f for f in findings if selects(f.code, chosen, ignored, opt_in, extended)]


def selects(code: str, chosen: str | Iterable[str] | None, ignored: str | Iterable[str] | None,
            opt_in: Collection[str] = (), extended: str | Iterable[str] | None = None) -> bool:
    """Whether --select / --extend-select / --ignore keep the findings of rule `code` (see `select`)."""
    wanted, unwanted, more = parse_codes(chosen), parse_codes(ignored), parse_codes(extended)
    picked = any(code.startswith(s) for s in wanted) if wanted else code not in opt_in
    picked = picked or any(code.startswith(s) for s in more)
    return picked and not any(code.startswith(i) for i in unwanted)


def kept(findings: Iterable[Finding], chosen: str | Iterable[str] | None, ignored: str | Iterable[str] | None,
         read_source: Callable[[str], str] = read_text, opt_in: Collection[str] = (),
         extended: str | Iterable[str] | None = None) -> list[Finding]:
    """What the user asked to see: the selection first, then the suppression comments in the source."""
    return heads(apply_suppressions(select(findings, chosen, ignored, opt_in, extended), read_source)[0])


def heads(findings: Sequence[Finding]) -> list[Finding]:
    """The findings with those whose every cause was left out (--select, --ignore, a suppression) made primary,
    primaries first (otherwise in their order).

    A finding is primary when nothing shown causes it: it is what `fix` treats. Without this, selecting only a
    finding that another one causes would leave nothing to treat. `caused_by` still names the causes left out."""
    names = {f.name for f in findings}
    marked = [f if f.primary or any(c in names for c in f.caused_by) else dataclasses.replace(f, primary=True)
              for f in findings]
    return sorted(marked, key=lambda f: not f.primary)
