"""Snapshot files for the report tests, under tests/data/report/.

Snapshots change only on purpose: after a deliberate change to a report,
rerun the tests with MODELDOCTOR_UPDATE_SNAPSHOTS=1 to rewrite them, then
read the diff of tests/data/report/ before committing it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "report"
UPDATE = os.environ.get("MODELDOCTOR_UPDATE_SNAPSHOTS") == "1"


def assert_snapshot(name: str, actual: str) -> None:
    """`actual` (a rendered report, without its final newline) equals the stored snapshot exactly."""
    path = SNAPSHOTS / name
    text = actual + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}; create it with MODELDOCTOR_UPDATE_SNAPSHOTS=1")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"{name} (snapshot)", f"{name} (rendered)"))
        pytest.fail(f"{name} differs from its snapshot (MODELDOCTOR_UPDATE_SNAPSHOTS=1 rewrites it "
                    f"if the change is intended):\n{diff[:6000]}")
