"""The package's type hints hold: mypy over modeldoctor/ finds nothing (configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("mypy", reason="mypy comes with the test extra: pip install -e '.[test]'")


@pytest.mark.slow  # no training, but mypy over the package from a cold cache takes 20-40 s
def test_mypy_finds_no_type_errors(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
