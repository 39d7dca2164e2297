"""Order findings so the root cause comes first, the others as its supporting evidence.

NaN because of exploding gradients because of a learning rate that is too
high: one primary finding (the learning rate), the others marked as caused by
it. A finding is primary when none of its known causes was also found.

What can cause a finding and where it ranks are declared on its detector
(`@detector(..., causes=..., rank=...)`, see `registry`); no table here.

One cause is read from the evidence instead: over several seeded runs, a
finding seen in only some of them (`runs_with_finding` below n/n) while a
prediction finding says the seeds disagree is a symptom of that spread (dying
units in two seeds of five are what a tiny data set at a high rate does to
some seeds), so it is marked caused by it.
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
    spreads = tuple(f.name for f in findings if f.family is Family.PREDICTION)
    marked = []
    for finding in kept:
        info = known.get(finding.name)
        possible = expand_causes(info, known) if info is not None else ()
        causes = tuple(c for c in possible if c in names)
        if _in_some_runs_only(finding):
            causes += tuple(s for s in spreads if s not in causes and s != finding.name)
        marked.append(dataclasses.replace(finding, primary=not causes, caused_by=causes))

    def key(f: Finding) -> tuple[int, int, tuple[int, float, str], int]:
        info = known.get(f.name) or DetectorInfo(f.name, f.family, "run")
        return (0 if f.primary else 1, SEVERITY[f.severity] if f.primary else 0, info.sort_key(), f.fit)

    return sorted(marked, key=key)


def _in_some_runs_only(finding: Finding) -> bool:
    """True when the finding was merged from several runs and not every run had it ("2/5")."""
    seen, _, total = str(finding.evidence.get("runs_with_finding", "")).partition("/")
    return seen.isdigit() and total.isdigit() and int(seen) < int(total)
