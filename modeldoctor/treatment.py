"""Apply prescriptions to a source, prove the result, and write it without losing anything.

Each cure edits the nodes the run record located; as earlier cures insert
lines, later targets are moved along with the text. The result must parse and
be a fixed point (re-applying every cure changes nothing), or nothing is
written.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst

from modeldoctor.ftypes import Prescription
from modeldoctor.transforms.engine.base import remap_targets
from modeldoctor.transforms.engine.base import run as run_transform


class TreatmentError(RuntimeError):
    """The treated source could not be proven safe; nothing was written."""


@dataclass(frozen=True)
class Treatment:
    original: str
    source: str
    prescriptions: tuple[Prescription, ...]

    @property
    def changed(self) -> bool:
        return self.source != self.original

    def diff(self, path: str) -> str:
        return "".join(difflib.unified_diff(self.original.splitlines(keepends=True),
                                            self.source.splitlines(keepends=True),
                                            fromfile=f"a/{path}", tofile=f"b/{path}"))


def treat(original: str, prescriptions: Sequence[Prescription], transforms: Mapping[str, Any]) -> Treatment:
    """Apply every applicable prescription in order; record what each did or why it declined."""
    source, done = original, []
    for p in prescriptions:
        if p.declined is not None or p.cure.transform is None:
            done.append(p)
            continue
        spec = transforms[p.cure.transform]
        outcome = run_transform(spec, source, p.params, remap_targets(p.targets, original, source))
        if outcome.changed:
            source = outcome.source
            done.append(dataclasses.replace(p, applied=True, edits=outcome.edits))
        else:
            done.append(dataclasses.replace(p, declined=outcome.declined or "nothing to change"))
    treatment = Treatment(original, source, tuple(done))
    prove(treatment, transforms)
    return treatment


def prove(treatment: Treatment, transforms: Mapping[str, Any]) -> None:
    """The output parses, and applying the same cures again changes nothing."""
    if not treatment.changed:
        return
    try:
        cst.parse_module(treatment.source)
    except cst.ParserSyntaxError as exc:
        raise TreatmentError(f"the cured source would not parse ({exc.message}); nothing was written") from None
    for p in treatment.prescriptions:
        if not p.applied:
            continue
        assert p.cure.transform is not None  # treat() applies only cures that name a transform
        again = run_transform(transforms[p.cure.transform], treatment.source, p.params,
                              remap_targets(p.targets, treatment.original, treatment.source))
        if again.changed:
            raise TreatmentError(f"{p.cure.transform} is not a fixed point on its own output "
                                 f"({'; '.join(again.edits)}); nothing was written")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_atomically(path: Path, text: str, expected_sha256: str | None = None, mode_from: Path | None = None) -> None:
    """Write via a temporary file and rename; refuse if the file changed since it was diagnosed."""
    if expected_sha256 is not None and path.exists():
        current = hashlib.sha256(path.read_bytes()).hexdigest()
        if current != expected_sha256:
            raise TreatmentError(f"{path} changed since it was diagnosed; run modeldoctor again")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise TreatmentError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        source_of_mode = mode_from or (path if path.exists() else None)
        if source_of_mode is not None:
            shutil.copymode(source_of_mode, tmp)
        os.replace(tmp, path)
    except BaseException as error:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(error, OSError):  # a full disk, a file we may not replace: said, and the file as it was
            raise TreatmentError(f"cannot write {path}: {error.strerror or error}") from None
        raise
