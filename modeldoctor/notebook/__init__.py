"""Jupyter notebooks as scripts: read the code cells, run them in order, point back at cells, edit cells.

A notebook becomes one *virtual script*: its code cells in order, IPython
magics and shell escapes neutralised line for line, each cell opened by a
marker comment. Everything downstream (probe, detectors, static checks,
suppression comments, transforms) works on that script unchanged; only the
edges know about cells: `locate` turns a virtual line into `cell N:line`, and
`cure` turns an edited virtual script back into cell sources. Reading needs
only the standard library; `nbformat` (the `notebook` extra) validates what
`fix` writes when it is installed.
"""

from __future__ import annotations

from pathlib import Path

from modeldoctor.notebook.cells import Cell, Notebook, NotebookError, parse_notebook, read_notebook
from modeldoctor.notebook.virtual import VirtualScript, virtual_script

SUFFIX = ".ipynb"


def is_notebook(path: str | Path) -> bool:
    return str(path).lower().endswith(SUFFIX)


__all__ = ["Cell", "Notebook", "NotebookError", "SUFFIX", "VirtualScript", "is_notebook", "parse_notebook",
           "read_notebook", "virtual_script"]
