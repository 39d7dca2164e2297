"""GitHub Actions annotations: one workflow command per finding.

`::error file=train.py,line=14,col=9,title=MD102 exploding-gradients::message`

GitHub's escaping: in the message `%`, `\\r` and `\\n` become `%25`, `%0D` and
`%0A`; in property values `:` and `,` also become `%3A` and `%2C`.
"""

from __future__ import annotations

from modeldoctor.ftypes import Finding, Report, Severity
from modeldoctor.positions import to_output
from modeldoctor.report import view

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(report: Report, finding: Finding) -> str:
    properties = []
    position = to_output(view.where(report, finding))
    if position is not None:
        properties += [f"file={escape_property(view.display_path(position['path']))}",
                       f"line={position['line']}", f"col={position['column']}"]
    properties.append(f"title={escape_property(view.title(finding))}")
    message = finding.message
    location = view.where(report, finding)
    if location is not None and location.cell is not None:  # GitHub has no cells: say it as ruff does
        message = f"{view.place(location)}: {message}"
    if not finding.primary and finding.caused_by:
        message += "\ncaused by " + ", ".join(view.rule_label(report, name) for name in finding.caused_by)
    cure = view.cure_for(report, finding)
    if cure is not None:
        message += f"\ncure ({cure.applicability}, {cure.status}): {cure.rationale} {cure.call}"
    return f"::{COMMANDS[finding.severity]} {','.join(properties)}::{escape_data(message)}"


def render_github(report: Report) -> str:
    """One annotation per finding, the cures `fix --verify` tried and the summary line as plain log text."""
    lines = [annotation(report, f) for _, findings in view.grouped(report.findings) for f in findings]
    lines += [f"modeldoctor: round {t.round} {view.trial_line(t)}" for t in view.trial_views(report)]
    lines.append(f"modeldoctor: {view.summary_line(report)}")
    return "\n".join(lines)
