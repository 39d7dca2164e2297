"""Find where in the user's files a runtime object was created or called.

Transforms later edit exactly these places, so the location must be the user's
call expression, not a line inside Keras or inside a subclass's `__init__`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any

from modeldoctor.record import Location

_PROBE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class UserFiles:
    """Which files count as the user's: those under the script's folder, minus installed packages."""

    root: str

    def owns(self, filename: str) -> bool:
        if not filename or filename.startswith("<"):
            return False
        path = os.path.abspath(filename)
        if not path.startswith(self.root + os.sep):
            return False
        if path.startswith(_PROBE_DIR) or os.sep + "modeldoctor" + os.sep in path:
            return False
        return "site-packages" not in path and "dist-packages" not in path


def frame_location(frame: FrameType) -> Location:
    """The start of the expression being executed in `frame` (1-based line, 0-based column)."""
    code = frame.f_code
    line, column = frame.f_lineno, 0
    try:
        positions = list(code.co_positions())
        start_line, _, start_col, _ = positions[frame.f_lasti // 2]
        if start_line is not None:
            line = start_line
        if start_col is not None:
            column = start_col
    except (AttributeError, IndexError):
        pass
    return Location(path=os.path.abspath(code.co_filename), line=line, column=column)


def user_location(files: UserFiles, owner: Any = None) -> Location | None:
    """The first frame in the user's files, skipping frames that belong to `owner` itself.

    A subclass's `__init__` calling `super().__init__()` is not where the object
    was created: the caller of that `__init__` is.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if files.owns(frame.f_code.co_filename) and (
            owner is None or frame.f_locals.get("self") is not owner
        ):
            return frame_location(frame)
        frame = frame.f_back
    return None
