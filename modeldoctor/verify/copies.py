"""A trial runs a copy of the script beside it; what the trial says, the report says of the script.

The copy (`.modeldoctor-trial-train-k2x9q.py`) is gone once its run ends, so
a finding located in it, or a crash message naming it, points at nothing.
After `fix --verify`, the findings left are those of the cured source: their
lines are the cured script's, the one `--apply` writes.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

from modeldoctor.ftypes import Finding
from modeldoctor.record import Location, RunRecord
from modeldoctor.relocate import relocate
from modeldoctor.verify.trials import TRIAL_PREFIX


def _copies(script: Path) -> re.Pattern[str]:
    """The names tempfile gives the script's trial copies (random letters, digits and underscores)."""
    return re.compile(re.escape(f"{TRIAL_PREFIX}{script.stem}-") + r"[A-Za-z0-9_]+\.py")


def said_of_script(text: str, script: Path) -> str:
    return _copies(script).sub(script.name, text)


def _moved(location: Location, script: Path, copies: re.Pattern[str]) -> Location:
    if copies.fullmatch(Path(location.path).name) is None:
        return location
    return dataclasses.replace(location, path=str(script))


def located_in_script(records: Sequence[RunRecord], findings: Sequence[Finding], script: Path
                      ) -> tuple[list[RunRecord], list[Finding]]:
    """Copies of the records and the findings, every place in a trial copy moved to the script."""
    copies = _copies(script)
    moved_records = copy.deepcopy(list(records))
    relocate(moved_records, lambda location: _moved(location, script, copies))
    for record in moved_records:
        if copies.fullmatch(Path(record.script).name):
            record.script = str(script)
    moved_findings = [f if f.location is None else dataclasses.replace(f, location=_moved(f.location, script, copies))
                      for f in findings]
    return moved_records, moved_findings
