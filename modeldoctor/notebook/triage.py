"""A notebook before it is run: readable, Python, and each cell parses (the message points at the cell)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from modeldoctor.notebook.cells import NotebookError
from modeldoctor.notebook.virtual import virtual_script


def notebook_source(path: Path, cannot: Callable[[str, str], Exception]) -> tuple[str, Callable[[Any, Any], str]]:
    """The virtual script to compile, and how to name a (virtual line, 1-based offset) of it for people."""
    try:
        script = virtual_script(path)
    except NotebookError as error:
        raise cannot(str(error), "pass a Jupyter notebook (.ipynb, nbformat 4) of Python code cells") from None
    if not script.cells:
        raise cannot(f"{path}: has no code cells", "point modeldoctor at the notebook that trains")

    def where(line: Any, offset: Any) -> str:
        place = script.locate(int(line or 1), max(int(offset or 1) - 1, 0))
        if place is None:
            return f"{path}:{line}:{offset or 0}"
        return f"{path}:cell {place.cell}:{place.line}:{place.column + 1}"

    return script.source, where
