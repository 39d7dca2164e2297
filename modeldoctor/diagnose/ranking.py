"""Order findings so the root cause comes first, the others as its supporting evidence.

NaN because of exploding gradients because of a learning rate that is too
high: one primary finding (the learning rate), the others marked as caused by
it. A finding is primary when none of its known causes was also found.

What can cause a finding and where it ranks are declared on its detector
(`@detector(..., causes=..., rank=...)`, see `registry`); no table here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from modeldoctor.diagnose.registry import DetectorInfo, expand_causes, infos
from modeldoctor.ftypes import Family, Finding, Severity

SEVERITY = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def rank(findings: Sequence[Finding], declared: Mapping[str, DetectorInfo] | None = None) -> list[Finding]:
    """Mark each finding primary or caused by others; primaries first, then by severity, rank and fit.

    `declared` is what the detectors declare, by finding name (the built-in detectors unless given).
    """
    known = dict(infos() if declared is None else declared)
    names = {f.name for f in findings}
    learning = any(f.family is Family.LEARNING for f in findings)
    kept = [f for f in findings if not (f.name == "underfitting" and learning)]
    marked = []
    for finding in kept:
        info = known.get(finding.name)
        possible = expand_causes(info, known) if info is not None else ()
        causes = tuple(c for c in possible if c in names)
        marked.append(dataclasses.replace(finding, primary=not causes, caused_by=causes))

    def key(f: Finding) -> tuple[int, int, tuple[int, float, str], int]:
        info = known.get(f.name) or DetectorInfo(f.name, f.family, "run")
        return (0 if f.primary else 1, SEVERITY[f.severity] if f.primary else 0, info.sort_key(), f.fit)

    return sorted(marked, key=key)
