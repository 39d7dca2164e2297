"""The wheel ships the package, every subpackage and the rule base, and finds its rules once installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.slow  # builds and installs a wheel with pip: no training, but tens of seconds
def test_installed_wheel_finds_its_rules(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("modeldoctor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped_rules = {Path(n).name for n in names if n.startswith("modeldoctor/_rules/")}
    assert shipped_rules == {p.name for p in (ROOT / "rules").glob("*.toml")}
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "modeldoctor").rglob("__init__.py")}
    assert packages <= {str(Path(n).parent) for n in names}, "every subpackage is in the wheel"
    assert any(n.startswith("modeldoctor/report/templates/") for n in names)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=600)
    code = ("import modeldoctor, modeldoctor.rules as r; "
            "print(modeldoctor.__file__); print(r.builtin_rules_dir()); print(len(r.load_catalog().rules))")
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0].startswith(str(target)) and out[1].startswith(str(target))
    assert int(out[2]) == len(shipped_rules)
