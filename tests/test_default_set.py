"""Quiet on health, as linters are: advice rules are opt-in, and `--fail-on` says which findings fail.

Through the real command line (source checks only: nothing trains).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES, cli

HEALTHY_STATIC = FIXTURES / "healthy_static"  # well-written scripts in the style of the Keras examples gallery
NO_VALIDATION = """\
import keras

model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=100)
"""
HIGH_DROPOUT = NO_VALIDATION.replace("keras.layers.Dense(1)", "keras.layers.Dropout(0.8), keras.layers.Dense(1)")


def write(folder: Path, text: str, name: str = "train.py") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def codes(result) -> list[str]:
    return sorted(f["code"] for f in json.loads(result.stdout)["findings"])


def test_well_written_examples_pass_the_default_static_run():
    result = cli("check", "--static", str(HEALTHY_STATIC))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no findings in" in result.stdout


def test_the_advice_they_lack_is_there_when_selected():
    """The gallery's style tempts no-validation-data and no-early-stopping: opt-in, so only on request."""
    result = cli("check", "--static", str(HEALTHY_STATIC), "--select", "MD403,MD404", "--format", "json")
    assert result.returncode == 0, result.stderr  # info findings do not fail under the default --fail-on
    assert codes(result) == ["MD403", "MD404", "MD404"]
    assert all(f["severity"] == "info" for f in json.loads(result.stdout)["findings"])


def test_extend_select_adds_an_opt_in_rule_to_the_default_set(tmp_path):
    script = write(tmp_path, HIGH_DROPOUT)
    assert codes(cli("check", "--static", str(script), "--format", "json")) == ["MD405"]
    extended = cli("check", "--static", str(script), "--extend-select", "MD403", "--format", "json")
    assert codes(extended) == ["MD403", "MD405"]


def test_select_and_extend_select_from_pyproject(tmp_path):
    script = write(tmp_path, NO_VALIDATION)
    write(tmp_path, '[tool.modeldoctor]\nextend-select = ["MD404"]\n', "pyproject.toml")
    assert codes(cli("check", "--static", str(script), "--format", "json", cwd=tmp_path)) == ["MD404"]


def test_fail_on_decides_the_exit_code_and_every_finding_is_still_reported(tmp_path):
    script = write(tmp_path, HIGH_DROPOUT)  # MD405 is a warning; MD403 and MD404 (selected) are info
    selected = ("--select", "MD403,MD404")
    info_only = cli("check", "--static", str(script), *selected)
    assert info_only.returncode == 0, info_only.stdout  # default --fail-on warning
    assert "MD403 no-validation-data" in info_only.stdout and "MD404 no-early-stopping" in info_only.stdout
    assert cli("check", "--static", str(script), *selected, "--fail-on", "info").returncode == 1
    assert cli("check", "--static", str(script)).returncode == 1  # MD405, a warning
    assert cli("check", "--static", str(script), "--fail-on", "error").returncode == 0


def test_fail_on_from_pyproject_and_a_bad_value_named(tmp_path):
    script = write(tmp_path, NO_VALIDATION)
    write(tmp_path, '[tool.modeldoctor]\nfail-on = "info"\nselect = ["MD403"]\n', "pyproject.toml")
    assert cli("check", "--static", str(script), cwd=tmp_path).returncode == 1
    assert cli("check", "--static", str(script), "--fail-on", "warning", cwd=tmp_path).returncode == 0
    write(tmp_path, '[tool.modeldoctor]\nfail-on = "fatal"\n', "pyproject.toml")
    bad = cli("check", "--static", str(script), cwd=tmp_path)
    assert bad.returncode == 2 and "[tool.modeldoctor] fail-on = 'fatal': 'fatal' is not one of" in bad.stderr


def test_rules_says_which_rules_are_in_the_default_set():
    listed = cli("rules").stdout.splitlines()
    by_code = {line.split()[0]: line.split() for line in listed}
    assert by_code["MD403"][4] == "opt-in" and by_code["MD404"][4] == "opt-in"
    assert by_code["MD101"][4] == "default" and by_code["MD405"][4] == "default"
    assert "Not in the default set" in cli("explain", "MD403").stdout
    assert "Not in the default set" not in cli("explain", "MD405").stdout


def test_sarif_says_which_rules_are_enabled_by_default(tmp_path):
    script = write(tmp_path, HIGH_DROPOUT)
    sarif = json.loads(cli("check", "--static", str(script), "--select", "MD4", "--format", "sarif").stdout)
    enabled = {r["id"]: r["defaultConfiguration"]["enabled"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert enabled == {"MD403": False, "MD404": False, "MD405": True}
