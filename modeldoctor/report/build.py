"""Assemble the one value every report format renders."""

from __future__ import annotations

from collections.abc import Sequence

from modeldoctor.ftypes import Finding, Report, Scope
from modeldoctor.record import RunRecord
from modeldoctor.rules import Catalog


def report_for(script: str, records: Sequence[RunRecord], findings: Sequence[Finding], catalog: Catalog,
               notes: Sequence[str] = (), scope: Scope | None = None, partial: Sequence[str] = ()) -> Report:
    """A report of these findings, with the rule of each (for explanations, SARIF metadata, cures).

    Without runs the diagnosis can only have read the source; with a stopped run it is partial.
    """
    rules = {f.code: rule for f in findings if (rule := catalog.by_code(f.code)) is not None}
    if scope is None:
        scope = Scope.PARTIAL if partial else Scope.RUN if records else Scope.SOURCE
    return Report(script=script, runs=tuple(records), findings=tuple(findings), rules=rules, notes=tuple(notes),
                  scope=scope, partial=tuple(partial))
