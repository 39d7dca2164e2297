"""Assemble the one value every report format renders."""

from __future__ import annotations

from collections.abc import Sequence

from modeldoctor.ftypes import Finding, Report
from modeldoctor.record import RunRecord
from modeldoctor.rules import Catalog


def report_for(script: str, records: Sequence[RunRecord], findings: Sequence[Finding], catalog: Catalog,
               notes: Sequence[str] = ()) -> Report:
    """A report of these findings, with the rule of each (for explanations, SARIF metadata, cures)."""
    rules = {f.code: rule for f in findings if (rule := catalog.by_code(f.code)) is not None}
    return Report(script=script, runs=tuple(records), findings=tuple(findings), rules=rules, notes=tuple(notes))
