"""Cheap facts about a script's source, read before deciding how to check it."""

from __future__ import annotations

import re
from pathlib import Path

FIT_CALL = re.compile(r"\.fit\s*\(")


def has_fit_call(path: Path) -> bool:
    """Whether the script (or a module beside it it could import) plausibly trains.

    Only the script itself is read: a `fit` hidden in an imported helper is
    still run, because a script that imports its training code usually says
    so through an import of a sibling module.
    """
    try:
        text = script_text(path)
    except (OSError, UnicodeDecodeError, ValueError):
        return True  # let the full path report the real problem
    if FIT_CALL.search(text):
        return True
    siblings = {p.stem for p in path.parent.glob("*.py") if p != path}
    imports = set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_][\w]*)", text, re.MULTILINE))
    return bool(siblings & imports)


def script_text(path: Path) -> str:
    """The Python a file holds: a notebook's code cells as one script (magics neutralised), else the file."""
    if path.suffix.lower() == ".ipynb":
        from modeldoctor.notebook import virtual_script

        return virtual_script(path).source
    return path.read_text(encoding="utf-8")
