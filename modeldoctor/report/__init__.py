"""Reports: what the user reads. One call renders a `Report` in any format.

    from modeldoctor.report import render, FORMATS
    render(report, "html")

Every renderer returns the whole document without a final newline; the
caller adds one when it writes a file or echoes to a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from modeldoctor.ftypes import Report

FORMATS = ("text", "json", "markdown", "html", "sarif", "github")

# File name endings that imply a format, for `--output report.html` without `--format`.
SUFFIXES = {
    ".txt": "text",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".sarif": "sarif",
}


def render(
    report: Report,
    fmt: str,
    *,
    color: bool = False,
    source_lines: Callable[[str], list[str]] | None = None,
) -> str:
    """`report` as `fmt` (one of FORMATS). `color` only affects "text"; `source_lines(path)`
    gives a file's lines (default: read the file), for the source line each finding points at."""
    from modeldoctor.notebook.locations import in_cells

    report = in_cells(report)  # a notebook's places as `cell N:line:col`, whichever format
    if fmt == "text":
        from modeldoctor.report.text import render_text

        return render_text(report, color=color, source_lines=source_lines)
    if fmt == "json":
        from modeldoctor.report.json_report import render_json

        return render_json(report)
    if fmt == "markdown":
        from modeldoctor.report.markdown import render_markdown

        return render_markdown(report, source_lines=source_lines)
    if fmt == "html":
        from modeldoctor.report.html import render_html

        return render_html(report, source_lines=source_lines)
    if fmt == "sarif":
        from modeldoctor.report.sarif import render_sarif

        return render_sarif(report)
    if fmt == "github":
        from modeldoctor.report.github import render_github

        return render_github(report)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def format_for_path(path: str | Path) -> str | None:
    """The format a file name implies (`results.sarif.json` is SARIF), or None."""
    name = Path(path).name.lower()
    if name.endswith((".sarif.json", ".sarif")):
        return "sarif"
    return SUFFIXES.get(Path(name).suffix)


def write_report(report: Report, path: Path, default: str) -> str:
    """Write `report` to `path` in the format its name implies (else `default`); the format written."""
    fmt = format_for_path(path) or default
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, fmt) + "\n", encoding="utf-8")
    return fmt


__all__ = ["FORMATS", "format_for_path", "render", "write_report"]
