"""The lines `fix` ends with on stderr: one per cure (or trial), then the counts, as black and ruff end."""

from __future__ import annotations

from modeldoctor.ftypes import Report
from modeldoctor.report.view import trial_line, trial_views


def fix_summary(report: Report) -> list[str]:
    lines = [trial_line(trial) for trial in trial_views(report)]
    if report.trials:
        accepted = sum(t.verdict == "accepted" for t in report.trials)
        return [*lines, f"{accepted} of {len(report.trials)} cure(s) tried were confirmed; "
                        f"{len(report.findings)} finding(s) left"]
    for p in report.prescriptions:
        head = f"{p.rule.code} {p.finding.name} → {p.cure.transform or 'advice'}"
        lines.append(f"{head}: {'; '.join(p.edits)}" if p.applied else f"{head}: not applied ({p.declined})")
    untreated = [f for f in report.findings if not f.primary]
    if untreated:
        lines.append(f"{len(untreated)} supporting finding(s) are treated through their cause")
    applied = [p for p in report.prescriptions if p.applied]
    lines.append(f"{len(applied)} cure(s) prescribed for {len(report.findings)} finding(s) in {report.script}")
    return lines
