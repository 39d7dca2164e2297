"""The HTML report in a real browser: headless Chromium draws the curves, logs no error, runs no script.

Needs Debian's `chromium` package (`apt-get install -y chromium`); skipped
with that hint when no Chromium binary is found.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from modeldoctor.report import render
from modeldoctor.report.html import TRAIN, VAL

from . import png, sample

TIMEOUT = 120


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium binary found: install Debian's package (apt-get install -y chromium)")


def browse(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Open `page` in a fresh headless profile: no network, no sync, logs on stderr."""
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--enable-logging=stderr", "--v=0", *args, page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)  # type: ignore[list-item]
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def page_errors(stderr: str) -> list[str]:
    """Console messages from the page (errors, CSP violations) and uncaught exceptions."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("html")
    written = {}
    for name, report in (("sample", sample.report()), ("hostile", sample.hostile()), ("healthy", sample.healthy())):
        path = folder / f"{name}.html"
        path.write_text(render(report, "html", source_lines=sample.source_lines) + "\n", encoding="utf-8")
        written[name] = path
    return written


def test_the_harness_sees_console_errors(tmp_path: Path) -> None:
    """A canary: a page that logs an error must be caught, or the checks below prove nothing."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('canary'); notDefined();</script>")
    errors = page_errors(browse(page, tmp_path, "--dump-dom").stderr)
    assert any("canary" in line for line in errors)
    assert any("Uncaught" in line for line in errors)


def test_curves_are_in_the_rendered_dom_without_console_errors(pages: dict[str, Path], tmp_path: Path) -> None:
    done = browse(pages["sample"], tmp_path, "--dump-dom")
    assert page_errors(done.stderr) == []
    dom = done.stdout
    source = pages["sample"].read_text(encoding="utf-8")
    curves = re.findall(r'<path class="curve" d="M[\d.]+,[\d.]+(?: [ML][\d.]+,[\d.]+)+"', dom)
    # 2 fits x (6 loss + 6 accuracy + 3 layers), then 2 tried cures x (3 seeds + a spread bar, before and after)
    assert len(curves) == source.count('<path class="curve"') == 30 + 16
    assert dom.count('<svg class="plot"') == 6 + 2
    assert dom.count('<article class="finding') == 4
    assert 'class="marker sev-warning"' in dom and ">MD201</text>" in dom


def test_screenshot_shows_the_curves(pages: dict[str, Path], tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = browse(pages["sample"], tmp_path, f"--screenshot={shot}", "--window-size=1200,900")
    assert page_errors(done.stderr) == []
    image = png.read(shot)
    assert (image.width, image.height) == (1200, 900)
    colours = image.colours(0, 0, image.width, image.height, step=1)
    assert len(colours) > 200, "the page looks blank"

    def near(target: str) -> bool:
        rgb = tuple(int(target[i : i + 2], 16) for i in (1, 3, 5))
        return any(sum(abs(a - b) for a, b in zip(c, rgb)) < 30 for c in colours)

    assert near(TRAIN) and near(VAL), "no train/validation curve colour in the first screen"


def test_hostile_names_stay_text_in_the_browser(pages: dict[str, Path], tmp_path: Path) -> None:
    done = browse(pages["hostile"], tmp_path, "--dump-dom")
    assert page_errors(done.stderr) == []
    assert "<script" not in done.stdout.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done.stdout


def test_healthy_report_renders(pages: dict[str, Path], tmp_path: Path) -> None:
    done = browse(pages["healthy"], tmp_path, "--dump-dom")
    assert page_errors(done.stderr) == []
    assert "No findings" in done.stdout and '<path class="curve"' in done.stdout
