"""The Markdown report, for a pull-request comment: a table, collapsible evidence, the diff.

GitHub renders HTML inside Markdown, so every string from the user's script
or model is escaped: Markdown punctuation with a backslash, `<`, `>` and `&`
as entities; code spans and fences are sized to hold any backticks inside.
"""

from __future__ import annotations

import html
import re

from modeldoctor.ftypes import Finding, Report
from modeldoctor.report import series, view

_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def text(value: str) -> str:
    """Plain text safe in a Markdown paragraph or table cell (one line)."""
    escaped = html.escape(" ".join(value.split()), quote=False)
    return _SPECIAL.sub(r"\\\1", escaped)


def code(value: str) -> str:
    """An inline code span that cannot be closed early by a backtick inside."""
    value = " ".join(value.split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def fence(body: str, info: str = "") -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{info}\n{body.rstrip(chr(10))}\n{marks}"


def _where(report: Report, finding: Finding) -> str:
    place = view.place(view.where(report, finding))
    return code(place) if place else ""


def _table(report: Report) -> list[str]:
    rows = ["| | Code | Problem | Where | Message |", "|---|---|---|---|---|"]
    for _, findings in view.grouped(report.findings):
        for f in findings:
            causes = ", ".join(view.rule_label(report, name) for name in f.caused_by)
            name = text(f.name) if f.primary or not causes else f"{text(f.name)} (caused by {text(causes)})"
            rows.append(f"| **{f.severity.value}** | {text(f.code)} | {name} | {_where(report, f)} | "
                        f"{text(f.message)} |")
    return rows


def _details(report: Report, finding: Finding, sources: view.Sources) -> list[str]:
    summary = html.escape(f"{view.title(finding)}: evidence and cure")
    lines = [f"<details><summary>{summary}</summary>", ""]
    facts = [*view.fit_facts(report, finding), f"confidence {view.confidence(finding)}"]
    if finding.epoch is not None:
        facts.insert(len(facts) - 1, f"from epoch {finding.epoch + 1}")
    if finding.layer:
        facts.insert(0, f"layer {finding.layer}")
    lines += [text(" · ".join(facts)), ""]
    location = view.where(report, finding)
    source = sources.line(location)
    if source is not None and location is not None:
        lines += [fence(f"{location.line:>4} | {source}", "python"), ""]
    for key, value in view.evidence_items(finding):
        lines.append(f"- {text(key)}: {code(value)}")
    cure = view.cure_for(report, finding)
    if cure is not None:
        status = cure.status + (f" ({cure.declined})" if cure.declined else "")
        lines += ["", f"**Cure** ({text(cure.applicability)}, {text(status)}): {text(cure.rationale)} "
                      f"{code(cure.call)}"]
    for advice in view.advice_for(report, finding):
        lines += ["", f"**Advice** (display only): {text(advice.rationale)}", "", fence(advice.example, "python")]
    rule = report.rules.get(finding.code)
    if rule is not None:
        lines += ["", f"**Why:** {text(rule.explanation.why)}", "",
                  f"**Fix safety:** {text(rule.explanation.fix_safety)}"]
    return [*lines, "", "</details>"]


def render_markdown(report: Report, *, source_lines: view.SourceLines | None = None) -> str:
    sources = view.Sources(source_lines)
    lines = [f"### modeldoctor: {text(view.summary_line(report))}", ""]
    if report.runs:
        runs = series.runs_label(report)
        fits = []
        for fit in report.runs[0].fits:
            last = fit.epochs[-1] if fit.epochs else {}
            final = ", ".join(f"{k} {view.fmt_value(last[k])}" for k in ("loss", "val_loss") if k in last)
            status = series.fit_status(fit)
            fits.append(f"fit {fit.index + 1}: {len(fit.epochs)} epoch(s)" + (f", final {final}" if final else "")
                        + (f", {status}" if status else ""))
        lines += [text(" · ".join([runs, *fits])), ""]
    if report.findings:
        lines += [*_table(report), ""]
        for _, findings in view.grouped(report.findings):
            for finding in findings:
                lines += [*_details(report, finding, sources), ""]
    trials = view.trial_views(report)
    if trials:
        lines += ["#### Cures tried", "", "| Round | Finding | Cure | Verdict | Before | After | Why |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {t.round} | {text(t.title)} | {code(t.call)} | **{t.verdict}** | {text(t.before)} | "
                  f"{text(t.after)} | {text(t.reason)} |" for t in trials]
        lines.append("")
    if report.diff:
        added, removed = view.diff_stat(report.diff)
        lines += [f"#### Prescribed changes (+{added} −{removed} lines)", "", fence(report.diff, "diff"), ""]
    for note in view.run_notes(report):
        lines.append(f"> {text(note)}")
    return "\n".join(lines).rstrip("\n")
