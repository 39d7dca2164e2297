"""Every format on the fixed sample report, compared with its snapshot; and cases around it."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from modeldoctor.ftypes import Report
from modeldoctor.record import Location
from modeldoctor.report import FORMATS, format_for_path, render
from modeldoctor.report.json_report import render_json
from modeldoctor.report.text import sparkline

from . import sample
from .snapshots import assert_snapshot

SUFFIX = {"text": "txt", "json": "json", "markdown": "md", "html": "html", "sarif": "sarif", "github": "github.txt"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_formats_are_the_documented_ones() -> None:
    assert FORMATS == ("text", "json", "markdown", "html", "sarif", "github")


@pytest.mark.parametrize("fmt", FORMATS)
def test_sample_report_matches_snapshot(fmt: str, report: Report, pinned_version: str) -> None:
    assert_snapshot(f"sample.{SUFFIX[fmt]}", render(report, fmt, source_lines=sample.source_lines))


@pytest.mark.parametrize("fmt", ["text", "markdown", "github"])
def test_healthy_report_matches_snapshot(fmt: str, pinned_version: str) -> None:
    assert_snapshot(f"healthy.{SUFFIX[fmt]}", render(sample.healthy(), fmt, source_lines=sample.source_lines))


def test_healthy_report_says_so_in_every_human_format() -> None:
    healthy = sample.healthy()
    for fmt in ("text", "markdown", "html", "github"):
        assert "no findings in train.py" in render(healthy, fmt).lower()
    assert json.loads(render(healthy, "sarif"))["runs"][0]["results"] == []


def test_json_is_the_contract_unchanged(report: Report) -> None:
    assert render(report, "json") == render_json(report)


def test_unknown_format_names_the_known_ones(report: Report) -> None:
    with pytest.raises(ValueError, match="text, json, markdown, html, sarif, github"):
        render(report, "pdf")


@pytest.mark.parametrize(("name", "fmt"), [
    ("report.html", "html"), ("out/r.md", "markdown"), ("results.sarif", "sarif"),
    ("results.sarif.json", "sarif"), ("report.json", "json"), ("report.txt", "text"), ("report.pdf", None),
])
def test_format_for_path(name: str, fmt: str | None) -> None:
    assert format_for_path(name) == fmt


def test_cures_tried_are_listed_in_html_and_markdown(report: Report) -> None:
    html = render(report, "html", source_lines=sample.source_lines)
    md = render(report, "markdown", source_lines=sample.source_lines)
    assert html.count('<span class="chip accepted">accepted</span>') == 2
    assert '<span class="chip declined">declined</span>' in html
    assert ("| 2 | MD201 overfitting | `early_stopping(patience=5)` | **accepted** | val\\_loss 0.5123 ± 0.0034; "
            "val\\_accuracy 0.8333 ± 0.007 |") in md  # the finding's measure, then the task metric


# -- text -----------------------------------------------------------------------


def test_text_is_plain_without_color_and_the_same_words_with_it(report: Report) -> None:
    plain = render(report, "text", source_lines=sample.source_lines)
    colored = render(report, "text", color=True, source_lines=sample.source_lines)
    assert "\x1b[" not in plain
    assert "\x1b[" in colored
    assert [line.rstrip() for line in ANSI.sub("", colored).splitlines()] == plain.splitlines()


def test_text_puts_the_primary_finding_first_and_names_causes(report: Report) -> None:
    text = render(report, "text", source_lines=sample.source_lines)
    order = [text.index(code) for code in ("✖ error MD102", "▲ warning MD108", "MD201 overfitting", "MD301 high")]
    assert order == sorted(order)
    assert "caused by MD102 exploding-gradients" in text
    assert text.index("Learning —") < text.index("Generalization —") < text.index("Prediction —")


def test_text_shows_source_line_and_cure(report: Report) -> None:
    text = render(report, "text", source_lines=sample.source_lines)
    assert 'train.py:14:9' in text
    assert '14 │         layers.Dense(width, activation="relu", name="hidden_2"),' in text
    assert "cure: Clip the global gradient norm" in text
    assert "weight_averaging() · unsafe · declined: the optimizer is the string 'adam'" in text
    assert text.endswith("4 findings (1 error, 3 warnings) in train.py")


def test_text_shows_one_curve_line_per_run(report: Report) -> None:
    text = render(report, "text", source_lines=sample.source_lines)
    for seed in sample.SEEDS:
        assert re.search(rf"^ +(loss|val_loss)? +seed {seed} +[▁▂▃▄▅▆▇█]{{30}}  ", text, re.M)


def test_text_reads_the_file_itself_and_shows_paths_relative_to_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "src" / "train.py"
    script.parent.mkdir()
    script.write_text(sample.SOURCE)
    monkeypatch.chdir(tmp_path)
    base = sample.report()
    moved = tuple(dataclasses.replace(f, location=Location(str(script), f.location.line, f.location.column))
                  if f.location else f for f in base.findings)
    text = render(dataclasses.replace(base, script=str(script), findings=moved), "text")
    assert "src/train.py:14:9" in text
    assert 'name="hidden_2"),' in text
    assert str(tmp_path) not in text


def test_an_unreadable_source_file_only_loses_the_source_line(report: Report) -> None:
    def missing(path: str) -> list[str]:
        raise FileNotFoundError(path)

    text = render(report, "text", source_lines=missing)
    assert "train.py:14:9" in text and " │ " not in text


def test_sparkline_scales_marks_nonfinite_and_buckets() -> None:
    assert sparkline([0.0, 0.5, 1.0], 0.0, 1.0) == "▁▅█"
    assert sparkline([1.0, float("nan"), None, math.inf], 0.0, 1.0) == "█× ×"
    assert sparkline([3.0, 3.0], 3.0, 3.0) == "▁▁"
    assert sparkline([0.01, 0.1, 1.0], 0.01, 1.0, log=True) == "▁▅█"
    assert len(sparkline(list(range(200)), 0, 199, width=40)) == 40


# -- odd reports: every format copes ----------------------------------------------


def _nan_report() -> Report:
    base = sample.report()
    run = base.runs[0]
    fit = dataclasses.replace(run.fits[0], stopped_on_nan=True, nan_step=90, nan_epoch=2, completed=False,
                              epochs=[*run.fits[0].epochs[:2], {"loss": math.nan, "val_loss": math.inf}])
    return dataclasses.replace(base, runs=(dataclasses.replace(run, fits=[fit]),))


ODD = {
    "no runs (static check)": lambda: Report(script="train.py", findings=sample.report().findings[:1],
                                             rules=sample.RULES),
    "nothing at all": lambda: Report(script="train.py"),
    "NaN loss": _nan_report,
    "finding without code or rule": lambda: dataclasses.replace(
        sample.report(), rules={}, prescriptions=(),
        findings=(dataclasses.replace(sample.report().findings[0], code="", location=None, fit=7),)),
}


@pytest.mark.parametrize("case", list(ODD))
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_odd_reports(case: str, fmt: str) -> None:
    out = render(ODD[case](), fmt, source_lines=lambda path: [])
    assert out and not out.endswith("\n")
    if fmt in ("json", "sarif"):
        json.loads(out)


def test_rendering_imports_no_tensorflow() -> None:
    """The doctor's process never imports TensorFlow or Keras (DESIGN.md, decision 1)."""
    code = ("import sys\n"
            "from modeldoctor.report import FORMATS, render\n"
            "from modeldoctor.report import progress\n"
            "from modeldoctor.ftypes import Report\n"
            "for fmt in FORMATS:\n"
            "    render(Report(script='train.py'), fmt)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'jax', 'torch')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
