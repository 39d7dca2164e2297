"""A report's places in a notebook's terms: `analysis.ipynb:cell 4:12:5`, in every format.

The whole pipeline reads the virtual script, so a report's locations are
its lines until it is shown; this turns each into its cell, line and column
(with `cell` set) right before a report is rendered. Idempotent: a place
already in a cell is left as it is.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from modeldoctor.ftypes import Finding, Report
from modeldoctor.notebook.cells import NotebookError
from modeldoctor.notebook.virtual import VirtualScript, virtual_script
from modeldoctor.record import Location
from modeldoctor.relocate import relocate


def _is_notebook(path: str) -> bool:
    return path.lower().endswith(".ipynb")


class _Mapper:
    def __init__(self) -> None:
        self._scripts: dict[str, VirtualScript | None] = {}

    def script(self, path: str) -> VirtualScript | None:
        if path not in self._scripts:
            try:
                self._scripts[path] = virtual_script(path)
            except NotebookError:
                self._scripts[path] = None
        return self._scripts[path]

    def location(self, location: Location | None) -> Location | None:
        if location is None or location.cell is not None or not _is_notebook(location.path):
            return location
        script = self.script(location.path)
        place = script.locate(location.line, location.column) if script is not None else None
        if place is None:
            return location
        return Location(location.path, place.line, place.column, place.cell)

    def finding(self, finding: Finding) -> Finding:
        return dataclasses.replace(finding, location=self.location(finding.location))

    def text(self, text: str) -> str:
        """`fit 1 (analysis.ipynb:21)` in a partial-run line, in cells."""
        def cell(match: re.Match[str]) -> str:
            name, line = match.group(1), int(match.group(2))
            paths = [p for p in self._scripts if p.endswith(name)]
            script = self.script(paths[0]) if paths else None
            place = script.locate(line) if script is not None else None
            return f"{name}:cell {place.cell}:{place.line}" if place else match.group(0)

        return re.sub(r"([\w.-]+\.ipynb):(\d+)\b", cell, text)


def mentions_notebook(report: Report) -> bool:
    return _is_notebook(report.script) or any(
        f.location is not None and _is_notebook(f.location.path) for f in report.findings)


def in_cells(report: Report) -> Report:
    """The report with every place in a notebook given as cell, line and column."""
    if not mentions_notebook(report):
        return report
    mapper = _Mapper()
    if _is_notebook(report.script):
        mapper.script(report.script)
    runs = copy.deepcopy(report.runs)
    for run in runs:
        relocate(run, mapper.location)  # type: ignore[arg-type]
    script = mapper.script(report.script) if _is_notebook(report.script) else None
    prescriptions = tuple(dataclasses.replace(p, finding=mapper.finding(p.finding),
                                              edits=tuple(_edit_line(script, e) for e in p.edits))
                          for p in report.prescriptions)
    return dataclasses.replace(
        report, runs=runs, findings=tuple(mapper.finding(f) for f in report.findings), prescriptions=prescriptions,
        partial=tuple(mapper.text(t) for t in report.partial), notes=tuple(mapper.text(t) for t in report.notes))


def _edit_line(script: VirtualScript | None, edit: str) -> str:
    """A cure's `line 22: fit: added ...` in cells: `cell 6:1: fit: added ...`."""
    match = re.match(r"line (\d+)\b", edit)
    place = script.locate(int(match.group(1))) if script is not None and match else None
    return f"cell {place.cell}:{place.line}{edit[match.end():]}" if place and match else edit


def short_place(location: Location) -> str:
    """`train.py:21`, or `analysis.ipynb:cell 6:1` for a notebook: where a fit stopped, in one line."""
    place = _Mapper().location(location) or location
    cell = f"cell {place.cell}:" if place.cell is not None else ""
    return f"{Path(place.path).name}:{cell}{place.line}"
