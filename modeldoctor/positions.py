"""The one place that converts positions between conventions.

Internally (run record, LibCST) lines are 1-based and columns 0-based; JSON,
SARIF, GitHub annotations and editors want both 1-based.
"""

from __future__ import annotations

from typing import Any

from modeldoctor.record import Location


def to_output(location: Location | None) -> dict[str, Any] | None:
    """Location for JSON/SARIF/editors: 1-based line and column."""
    if location is None:
        return None
    position = {"path": location.path, "line": location.line, "column": location.column + 1}
    if location.cell is not None:  # a notebook: line and column are in that cell (additive key)
        position["cell"] = location.cell
    return position


def from_output(line: int, column: int) -> tuple[int, int]:
    """1-based editor position to (1-based line, 0-based column)."""
    return line, max(column - 1, 0)
