"""`fix` without the command line: findings in, a report with prescriptions and the cured source out.

Shared by the CLI and the tests; `fix --verify` lives in `verify.py`, and both
end in the same `FixResult`, so the CLI only decides where the text goes.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modeldoctor.ftypes import Applicability, Finding, Report
from modeldoctor.prescribe import allowed, prescribe
from modeldoctor.record import RunRecord
from modeldoctor.report.build import report_for
from modeldoctor.rules import Catalog
from modeldoctor.treatment import treat

if TYPE_CHECKING:
    from modeldoctor.verify import Verifier


@dataclass(frozen=True)
class FixResult:
    report: Report
    source: str  # the cured source (the original when nothing applied)
    expected_sha256: str  # what the file must still hash to before it is overwritten
    unsafe_pending: bool = False  # cures exist that need --unsafe-fixes

    def changed(self, original: str) -> bool:
        return self.source != original


def unified_diff(original: str, cured: str, name: str) -> str:
    return "".join(difflib.unified_diff(original.splitlines(keepends=True), cured.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))


def prescribe_and_treat(script: Path, source: str, base: Report, findings: Sequence[Finding], catalog: Catalog,
                        records: Sequence[RunRecord], unsafe: bool, expected_sha256: str) -> FixResult:
    """One cure per primary finding, applied in order to the source; the report says what each did."""
    from modeldoctor.transforms import available

    transforms = available()
    prescriptions = prescribe(findings, catalog, records, transforms, unsafe)
    treatment = treat(source, prescriptions, transforms)
    report = dataclasses.replace(base, findings=tuple(findings), prescriptions=treatment.prescriptions,
                                 diff=treatment.diff(script.name))
    pending = any(not p.applied and p.cure.transform is not None and p.cure.applicability is Applicability.UNSAFE
                  and not allowed(p.cure, unsafe) for p in treatment.prescriptions)
    return FixResult(report, treatment.source, expected_sha256, pending)


def verified(script: Path, source: str, verifier: Verifier, catalog: Catalog, expected_sha256: str) -> FixResult:
    """fix --verify: every cure tried on a copy under several seeds; only the ones that work are kept."""
    result = verifier.verify(source)
    report = report_for(str(script), result.records, list(result.findings), catalog)
    report = dataclasses.replace(report, prescriptions=result.accepted, trials=result.trials,
                                 diff=unified_diff(source, result.source, script.name))
    return FixResult(report, result.source, expected_sha256)
