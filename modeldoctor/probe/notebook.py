"""Run a notebook's code cells in order inside the probe, as a kernel would run them top to bottom.

The cells run as one module `__main__` compiled from the virtual script
under the notebook's own path, so every frame, creation site and traceback
points at the notebook (the virtual lines are put in `linecache`, so a
traceback shows the cell's code, not the notebook's JSON). As in a kernel,
the working folder is the notebook's, `display` is there (IPython's when it
is installed, else a print) and `__file__` is not.
"""

from __future__ import annotations

import builtins
import linecache
import os
import sys
import traceback
import types
from pathlib import Path
from typing import Any


def _display(*objects: Any, **_: Any) -> None:
    for obj in objects:
        print(repr(obj))


def run_notebook(path: Path) -> None:
    from modeldoctor.notebook import virtual_script

    script = virtual_script(path)
    filename = str(path)
    lines = script.source.splitlines(keepends=True)
    linecache.cache[filename] = (len(script.source), None, lines, filename)
    code = compile(script.source, filename, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    try:
        from IPython.display import display
    except ImportError:
        display = _display
    module.__dict__.update(__builtins__=builtins, display=display)  # a kernel defines no __file__
    os.chdir(path.parent)  # as Jupyter runs a notebook: relative paths are the notebook folder's
    previous = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    finally:
        if previous is not None:
            sys.modules["__main__"] = previous


def cell_frames(frames: list[traceback.FrameSummary]) -> list[traceback.FrameSummary]:
    """A traceback's frames in a notebook as `File "analysis.ipynb:cell 4", line 2`, not its virtual lines."""
    from modeldoctor.notebook import NotebookError, virtual_script

    out = []
    for frame in frames:
        place = None
        if frame.filename.lower().endswith(".ipynb") and frame.lineno:
            try:
                place = virtual_script(frame.filename).locate(frame.lineno)
            except NotebookError:
                place = None
        if place is None:
            out.append(frame)
            continue
        out.append(traceback.FrameSummary(f"{Path(frame.filename).name}:cell {place.cell}", place.line, frame.name,
                                          lookup_line=False, line=frame.line))
    return out
