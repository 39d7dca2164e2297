"""Strings from the user's script or model are data: escaped in HTML and Markdown, encoded for GitHub."""

from __future__ import annotations

import dataclasses
import re

from modeldoctor.ftypes import Severity
from modeldoctor.record import Location
from modeldoctor.report import render
from modeldoctor.report.github import escape_data, escape_property

from . import sample

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_html_shows_a_hostile_layer_name_as_text() -> None:
    html = render(sample.hostile(), "html", source_lines=sample.source_lines)
    assert PAYLOAD not in html
    assert "<script" not in html.lower()
    assert ESCAPED in html
    # in the finding's message, its evidence, the gradient legend, the notes and the diff
    for context in (f"gradients of layer &#39;{ESCAPED}&#39; are huge", f"<td>{ESCAPED}</td>",
                    f"<title>{ESCAPED}</title>", f"note {ESCAPED} &amp; more", f"+# {ESCAPED}"):
        assert context in html, context


def test_html_is_self_contained() -> None:
    html = render(sample.report(), "html", source_lines=sample.source_lines)
    assert not re.search(r"<(script|link|img|iframe|object)\b", html, re.I)
    assert not re.search(r"\bsrc=|@import|url\(", html, re.I)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_markdown_shows_a_hostile_message_as_text() -> None:
    md = render(sample.hostile(), "markdown", source_lines=sample.source_lines)
    outside_code = re.sub(r"(`+)[^`]*?\1|```.*?```", "", md, flags=re.S)
    assert "<script" not in outside_code
    assert ESCAPED in md


def test_markdown_table_cells_cannot_be_split_by_a_pipe() -> None:
    finding = dataclasses.replace(sample.report().findings[0], message="a | b\nc")
    md = render(dataclasses.replace(sample.report(), findings=(finding,)), "markdown")
    row = next(line for line in md.splitlines() if line.startswith("| **error**"))
    assert r"a \| b c" in row


def test_github_escapes_percent_and_newlines_in_messages() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotation_escapes_properties_and_message() -> None:
    base = sample.report()
    finding = dataclasses.replace(base.findings[0], message="loss 100% up\nnext: line, too",
                                  location=Location("dir,x/a:b.py", 3, 0))
    out = render(dataclasses.replace(base, findings=(finding,), prescriptions=(), rules={}), "github")
    first = out.splitlines()[0]
    assert first == ("::error file=dir%2Cx/a%3Ab.py,line=3,col=1,title=MD102 exploding-gradients"
                     "::loss 100%25 up%0Anext: line, too")
    assert "\n" not in first and "\r" not in first


def test_github_annotation_levels_follow_severity() -> None:
    lines = render(sample.report(), "github").splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:4]] == ["::error", "::warning", "::warning", "::warning"]
    assert lines[-1] == "modeldoctor: 4 findings (1 error, 3 warnings) in train.py"
    base = sample.report()
    info = dataclasses.replace(base.findings[2], severity=Severity.INFO)
    assert render(dataclasses.replace(base, findings=(info,)), "github").startswith("::notice file=train.py,")
