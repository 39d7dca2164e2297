"""Read a `.ipynb` file: its cells, numbered as editors show them, with the standard library only.

Cells are numbered 1, 2, 3... over *all* cells (markdown too), as ruff,
VS Code and JupyterLab's cell index do, so `cell 4` is the fourth box on
the screen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class NotebookError(ValueError):
    """A notebook that cannot be read, run or edited; the message names the file and what to do."""


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based, over every cell of the notebook
    kind: str  # code | markdown | raw
    source: str


@dataclass(frozen=True)
class Notebook:
    path: str
    cells: tuple[Cell, ...]
    language: str | None = None

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(cell for cell in self.cells if cell.kind == "code")


def _source(value: Any) -> str:
    """nbformat stores a cell's source as one string or as a list of lines (each with its newline)."""
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else ""


def _language(data: dict[str, Any]) -> str | None:
    def table(parent: dict[str, Any], key: str) -> dict[str, Any]:
        value = parent.get(key)
        return value if isinstance(value, dict) else {}

    metadata = table(data, "metadata")
    info, spec = table(metadata, "language_info"), table(metadata, "kernelspec")
    language = info.get("name") or spec.get("language")
    return str(language).lower() if language else None


def parse_notebook(text: str, path: str) -> Notebook:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{path}: not a notebook (invalid JSON at line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError(f"{path}: not a notebook (no list of cells; nbformat 4 is read)")
    if not isinstance(data.get("nbformat"), int) or data["nbformat"] < 4:
        raise NotebookError(f"{path}: nbformat {data.get('nbformat')!r} is not read; save it with Jupyter 4 or later")
    cells = tuple(
        Cell(number=i, kind=str(cell.get("cell_type", "")), source=_source(cell.get("source")))
        for i, cell in enumerate(data["cells"], 1) if isinstance(cell, dict)
    )
    language = _language(data)
    if language not in (None, "python"):
        raise NotebookError(f"{path}: a {language} notebook; modeldoctor reads Python notebooks")
    return Notebook(path=path, cells=cells, language=language)


def read_notebook(path: str | Path) -> Notebook:
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{path}: cannot be read ({exc})") from None
    return parse_notebook(text, str(path))
