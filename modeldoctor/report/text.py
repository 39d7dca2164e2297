"""The terminal report: findings by family, their numbers, source line and cure; loss sparklines.

Built as rich `Text` lines. Without colour the plain text is returned as is
(no terminal codes, nothing wrapped), which is also what the snapshot tests
read; with colour the same lines go through a rich console.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from modeldoctor.ftypes import Finding, Report, Severity
from modeldoctor.report import series, view

BARS = "▁▂▃▄▅▆▇█"
NONFINITE = "×"
SPARK_WIDTH = 48
MARK = {Severity.ERROR: "✖", Severity.WARNING: "▲", Severity.INFO: "●"}
STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}
TRIAL_STYLE = {"accepted": "green", "rejected": "red", "failed": "red", "declined": "dim"}


def sparkline(values: Sequence[float | None], lo: float, hi: float, log: bool = False,
              width: int = SPARK_WIDTH) -> str:
    """One bar per epoch (buckets of epochs past `width`); `×` for NaN/Inf, a space for no value."""
    buckets = _buckets(values, width)
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    low, high = scale(lo), scale(hi)
    chars = []
    for bucket in buckets:
        if not bucket:
            chars.append(" ")
        elif any(not math.isfinite(v) for v in bucket):
            chars.append(NONFINITE)
        else:
            v = scale(sum(bucket) / len(bucket))
            level = 0 if high <= low else round((v - low) / (high - low) * (len(BARS) - 1))
            chars.append(BARS[min(max(level, 0), len(BARS) - 1)])
    return "".join(chars)


def _buckets(values: Sequence[float | None], width: int) -> list[list[float]]:
    n = len(values)
    groups = [[i] for i in range(n)] if n <= width else [
        list(range(i * n // width, (i + 1) * n // width)) for i in range(width)]
    return [[values[i] for i in group if values[i] is not None] for group in groups]  # type: ignore[misc]


def _finite_or_inf(value: float | None) -> float:
    """A missing or non-finite value ranks last, so the minimum shown is a number a reader can trust."""
    return value if value is not None and math.isfinite(value) else math.inf


def _change(values: Sequence[float | None]) -> str:
    ok = series.finite(values)
    if not values or not ok:
        return "no finite value" if values else ""
    last = values[-1]
    text = f"{view.fmt_number(values[0])} → {view.fmt_number(last)}"
    best = min(range(len(values)), key=lambda i: _finite_or_inf(values[i]))
    if best != len(values) - 1:
        text += f"  (min {view.fmt_number(values[best])} at epoch {best + 1})"
    return text


def curve_lines(report: Report) -> list[Text]:
    """`loss ▇▅▃▂▁ 2.3 → 0.12` per series and fit; one line per run when there are several."""
    if not report.runs:
        return []
    lines = [Text("Learning curves", style="bold")]
    several = len(report.runs) > 1
    for index, fit in enumerate(report.runs[0].fits):
        fits = [(i, run.fits[index]) for i, run in enumerate(report.runs) if index < len(run.fits)]
        where = f" · {view.place(fit.location)}" if fit.location else ""
        status = series.fit_status(fit)
        line = Text(f"  fit {index + 1}{where} · {len(fit.epochs)} epoch(s) of {fit.fit_args.epochs}")
        if status:
            line.append(f" · {status}", style="bold red")
        lines.append(line)
        keys = [k for k in ("loss", "val_loss") if any(k in e for _, f in fits for e in f.epochs)]
        if not keys:
            lines.append(Text("    no epoch finished", style="dim"))
            continue
        every = [v for _, f in fits for k in keys for v in series.curve(f, k)]
        ok, log = series.finite(every), series.use_log(every)
        lo, hi = (min(ok), max(ok)) if ok else (0.0, 1.0)
        for key in keys:
            for n, (i, f) in enumerate(fits):
                values = series.curve(f, key)
                label = f"{key if n == 0 else '':<9}"
                if several:
                    label += f" {series.seed_label(report, i):<8}"
                line = Text(f"    {label} ")
                line.append(sparkline(values, lo, hi, log), style="cyan" if key == "loss" else "magenta")
                line.append(f"  {_change(values)}", style="dim")
                lines.append(line)
        if log:
            lines.append(Text("    (log scale)", style="dim"))
    return lines


def _finding_lines(report: Report, finding: Finding, sources: view.Sources) -> list[Text]:
    head = Text("  ")
    head.append(f"{MARK[finding.severity]} {finding.severity.value}", style=STYLE[finding.severity])
    head.append(f" {view.title(finding)}", style="bold")
    location = view.where(report, finding)
    if location is not None:
        head.append(f"  {view.place(location)}", style="underline")
    facts = view.fit_facts(report, finding)
    if finding.layer:
        facts.insert(0, f"layer {finding.layer}")
    if finding.epoch is not None:
        facts.append(f"from epoch {finding.epoch + 1}")
    facts.append(f"confidence {view.confidence(finding)}")
    head.append("  " + " · ".join(facts), style="dim")
    lines = [head]
    if not finding.primary and finding.caused_by:
        causes = ", ".join(view.rule_label(report, name) for name in finding.caused_by)
        lines.append(Text(f"    caused by {causes}", style="italic"))
    lines.append(Text(f"    {finding.message}"))
    items = view.evidence_items(finding)
    if items:
        lines.append(Text("    evidence: " + " · ".join(f"{k} {v}" for k, v in items), style="dim"))
    text = sources.line(location)
    if text is not None and location is not None:
        gutter = f"    {location.line:>5} │ "
        lines.append(Text(gutter, style="dim") + Text(text))
        lines.append(Text(" " * (len(gutter) - 2) + "│ " + " " * location.column + "^", style="dim"))
    cure = view.cure_for(report, finding)
    if cure is not None:
        line = Text("    cure: ", style="bold green")
        line.append(cure.rationale)
        lines.append(line)
        status = cure.status + (f": {cure.declined}" if cure.declined else "")
        lines.append(Text(f"          {cure.call} · {cure.applicability} · {status}", style="green"))
    for advice in view.advice_for(report, finding):
        lines.append(Text("    advice: ", style="bold") + Text(advice.rationale))
        lines += [Text("          " + row, style="dim") for row in advice.example.splitlines()]
    return lines


def text_lines(report: Report, source_lines: view.SourceLines | None = None) -> list[Text]:
    sources = view.Sources(source_lines)
    head = Text("modeldoctor", style="bold")
    head.append(f" · {view.display_path(report.script)}")
    if report.runs:
        run = report.runs[0]
        head.append(f" · {series.runs_label(report)}")
        if run.keras_version:
            head.append(f" · keras {run.keras_version}" + (f" ({run.backend})" if run.backend else ""))
    lines = [head, Text()]
    curves = curve_lines(report)
    if curves:
        lines.extend([*curves, Text()])
    for family, findings in view.grouped(report.findings):
        heading = Text(view.FAMILY_TITLES[family], style="bold underline")
        heading.append(f" — {view.FAMILY_BLURBS[family]}", style="dim")
        lines.append(heading)
        for finding in findings:
            lines.extend(_finding_lines(report, finding, sources))
        lines.append(Text())
    trials = view.trial_views(report)
    if trials:
        lines.append(Text("Cures tried", style="bold underline"))
        for trial in trials:
            lines.append(Text(f"  round {trial.round}  {view.trial_line(trial)}", style=TRIAL_STYLE[trial.verdict]))
        lines.append(Text())
    for note in view.run_notes(report):
        lines.append(Text(f"note: {note}", style="dim"))
    if report.diff:
        added, removed = view.diff_stat(report.diff)
        lines.append(Text(f"prescribed diff: +{added} −{removed} lines (shown in the html and markdown reports)",
                          style="dim"))
    style = ("bold green" if view.healthy(report) else "bold yellow" if not report.findings
             else STYLE[view.severity_counts(report.findings)[0][0]])
    lines.append(Text(view.summary_line(report), style=style))
    return lines


def render_text(report: Report, *, color: bool = False, source_lines: view.SourceLines | None = None) -> str:
    lines = text_lines(report, source_lines)
    if not color:
        return "\n".join(line.plain.rstrip() for line in lines)
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", highlight=False,
                      soft_wrap=True, width=200, emoji=False, markup=False)
    for line in lines:
        console.print(line)
    return out.getvalue().rstrip("\n")
