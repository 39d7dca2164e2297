"""A notebook's code cells as one script, and the map between its lines and the cells'.

    # modeldoctor: cell 2
    import keras
    # modeldoctor: cell 4
    model.fit(x, y)

Each code cell is opened by a marker comment (a comment: LibCST keeps it
through every cure), so an edited script still splits into its cells even
when a cure added lines. Lines are 1-based, columns 0-based, as in the
run record.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from modeldoctor.notebook.cells import Notebook, NotebookError, read_notebook
from modeldoctor.notebook.magics import Line, neutralise

MARKER = "# modeldoctor: cell {number}"
MARKER_LINE = re.compile(r"^# modeldoctor: cell (\d+)$")


@dataclass(frozen=True)
class CodeCell:
    number: int
    source: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Place:
    """A virtual line in its cell: 1-based line, 0-based column."""

    cell: int
    line: int
    column: int


@dataclass(frozen=True)
class VirtualScript:
    path: str
    source: str
    cells: tuple[CodeCell, ...]
    origins: tuple[tuple[int, int] | None, ...]  # per virtual line: (index into cells, 0-based line), None: marker
    sha256: str = ""  # of the notebook file it was built from: `fix --apply` refuses a file changed since

    def locate(self, line: int, column: int = 0) -> Place | None:
        """Where virtual `line` (1-based) and `column` are in the notebook, or None for a marker line."""
        if not 1 <= line <= len(self.origins) or self.origins[line - 1] is None:
            return None
        index, row = self.origins[line - 1]  # type: ignore[misc]
        cell = self.cells[index]
        return Place(cell.number, row + 1, column + len(cell.lines[row].prefix))

    def cell_source(self, number: int) -> str | None:
        return next((cell.source for cell in self.cells if cell.number == number), None)

    def cure(self, edited: str) -> dict[int, str]:
        """The new source of every cell an edit of the virtual script changed (number -> source)."""
        pieces = _split(edited)
        numbers = [cell.number for cell in self.cells]
        if [number for number, _ in pieces[1:]] != numbers:
            raise NotebookError(f"{self.path}: a cure moved a cell boundary; the notebook was left as it was")
        head = pieces[0][1]
        last = pieces[-1][1]
        if last and last[-1] == "":
            last.pop()  # the newline that ends the virtual script is no cell's
        changed: dict[int, str] = {}
        for cell, (_, lines) in zip(self.cells, pieces[1:], strict=True):
            if cell is self.cells[0]:
                lines = head + lines  # what a cure put above the first marker (an import) opens the first cell
            new = _restore(cell, lines, self.path)
            if new != cell.source:
                changed[cell.number] = new
        return changed


def _split(source: str) -> list[tuple[int, list[str]]]:
    pieces: list[tuple[int, list[str]]] = [(0, [])]
    for line in source.split("\n"):
        match = MARKER_LINE.match(line)
        if match:
            pieces.append((int(match.group(1)), []))
        else:
            pieces[-1][1].append(line)
    return pieces


def _restore(cell: CodeCell, lines: list[str], path: str) -> str:
    """The cell's new source: lines a cure left alone are the cell's own again (magics included)."""
    old = [line.text for line in cell.lines]
    if lines == old:
        return cell.source
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=lines, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            out += [line.original for line in cell.lines[a1:a2]]
            continue
        touched = cell.lines[a1:a2]
        if any(line.neutralised for line in touched):
            raise NotebookError(f"{path}: a cure would change a line with IPython syntax in cell {cell.number} "
                                f"({touched[0].original.strip()!r}); the notebook was left as it was")
        new = lines[b1:b2]
        prefixed = [line for line in touched if line.prefix]
        if prefixed and new:
            if len(new) == len(touched):
                new = [line.prefix + text.lstrip() if line.prefix else text for line, text in zip(touched, new)]
            elif touched[0].prefix and len(prefixed) == 1:
                new = [touched[0].prefix + new[0].lstrip(), *new[1:]]
            else:
                raise NotebookError(f"{path}: a cure would reshape a `%time` line in cell {cell.number}; "
                                    "the notebook was left as it was")
        out += new
    return "\n".join(out)


def build(notebook: Notebook) -> VirtualScript:
    text: list[str] = []
    origins: list[tuple[int, int] | None] = []
    cells: list[CodeCell] = []
    for index, cell in enumerate(notebook.code_cells):
        lines = tuple(neutralise(cell.source))
        cells.append(CodeCell(cell.number, cell.source, lines))
        text.append(MARKER.format(number=cell.number))
        origins.append(None)
        text += [line.text for line in lines]
        origins += [(index, row) for row in range(len(lines))]
    return VirtualScript(notebook.path, "\n".join(text) + "\n", tuple(cells), tuple(origins))


_CACHE: dict[tuple[str, bytes], VirtualScript] = {}


def virtual_script(path: str | Path) -> VirtualScript:
    """The notebook at `path` as a script (built once per content in this process)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise NotebookError(f"{path}: cannot be read ({exc})") from None
    key = (str(Path(path).resolve()), data)
    if key not in _CACHE:
        _CACHE[key] = dataclasses.replace(build(read_notebook(path)), sha256=hashlib.sha256(data).hexdigest())
    return _CACHE[key]
