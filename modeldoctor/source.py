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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True  # let the full path report the real problem
    if FIT_CALL.search(text):
        return True
    siblings = {p.stem for p in path.parent.glob("*.py") if p != path}
    imports = set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_][\w]*)", text, re.MULTILINE))
    return bool(siblings & imports)
