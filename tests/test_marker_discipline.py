"""The guard in conftest.py that keeps `pytest -m "not slow"` fast sees a child importing a framework."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_child_importing_keras_is_noted_for_a_fast_test(tmp_path: Path) -> None:
    """A stand-in `keras` (an empty package: no TensorFlow start-up) is imported by a child of this fast test."""
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "__init__.py").write_text("")
    mark = Path(os.environ["MODELDOCTOR_TEST_TRAINING_MARK"])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((os.environ["PYTHONPATH"], str(tmp_path))))
    subprocess.run([sys.executable, "-c", "import json, keras"], env=env, check=True, timeout=60)
    assert mark.read_text(encoding="utf-8").startswith("keras imported by: -c")
    mark.unlink()  # this one was on purpose: the guard would fail this test at teardown
    subprocess.run([sys.executable, "-c", "import json"], env=env, check=True, timeout=60)
    assert not mark.exists(), "only the frameworks are noted"
