"""The README's "Your own checks" example, run as written: a user's finding lives in one folder.

The detector module and the rule file are taken from README.md, written
where their first comment line says, and used through the real command line
(`--plugins DIR` and `[tool.modeldoctor] plugins`). Nothing here trains: the
diagnosis reads a saved history or a kept run record.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, cli
from modeldoctor import record as rec

SCRIPT = '''import keras
import numpy as np

x, y = np.zeros((64, 4)), np.zeros((64, 1))
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
model.fit(x, y, epochs=6)
'''
LOSSES = [1.0, 0.6, 0.4, 1.7, 0.5, 0.35]  # epoch 4 undoes the training


def readme_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block in the README's "Your own checks" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own checks", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, re.S)


def project(tmp_path: Path, config: bool = False) -> Path:
    """The example's files where their first line says; with `config`, its pyproject too."""
    for language, block in readme_blocks():
        first = block.splitlines()[0]
        if first.startswith("# ") and "/" in first:
            path = tmp_path / first[2:].strip()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block, encoding="utf-8")
        elif language == "toml" and config and block.lstrip().startswith("[tool.modeldoctor]"):
            (tmp_path / "pyproject.toml").write_text(block, encoding="utf-8")
    assert (tmp_path / "checks" / "loss_spike.py").is_file() and (tmp_path / "checks" / "MD901-loss-spike.toml").is_file()
    return tmp_path


def history(folder: Path) -> Path:
    path = folder / "training.csv"
    path.write_text("epoch,loss\n" + "".join(f"{i},{v}\n" for i, v in enumerate(LOSSES)), encoding="utf-8")
    return path


def test_the_plugin_rule_is_listed_and_explained(tmp_path):
    folder = project(tmp_path)
    listed = cli("rules", "--plugins", "checks", cwd=folder)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^MD901\s+loss-spike\s+learning\s+fix\s", listed.stdout, re.M)
    explained = cli("explain", "MD901", "--plugins", "checks", cwd=folder)
    assert explained.returncode == 0 and "One oversized update undid" in explained.stdout


@pytest.mark.parametrize("config", [False, True], ids=["--plugins", "pyproject"])
def test_the_plugin_finding_is_diagnosed_like_a_built_in_one(tmp_path, config):
    folder = project(tmp_path, config)
    args = ("check", "--history", str(history(folder)), "--format", "json")
    result = cli(*args, cwd=folder) if config else cli(*args, "--plugins", "checks", cwd=folder)
    assert result.returncode == 1, result.stderr
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "MD901"]
    assert finding["name"] == "loss-spike" and finding["family"] == "learning" and finding["primary"]
    assert finding["evidence"] == {"epoch": 4, "before": 0.4, "after": 1.7}
    assert finding["epoch"] == 3


def test_the_plugin_finding_is_cured_like_a_built_in_one(tmp_path):
    folder = project(tmp_path)
    script = folder / "train.py"
    script.write_text(SCRIPT, encoding="utf-8")
    line = SCRIPT.splitlines().index(next(x for x in SCRIPT.splitlines() if "SGD(" in x)) + 1
    column = SCRIPT.splitlines()[line - 1].index("keras.optimizers.SGD")
    fit = rec.FitRecord(
        index=0, fit_args=rec.FitArgs(epochs=6), location=rec.Location(str(script), line + 1), completed=True,
        epochs=[{"loss": v} for v in LOSSES],
        model=rec.ModelInfo("Sequential", "sequential", optimizer=rec.OptimizerInfo(
            "SGD", 0.5, location=rec.Location(str(script), line, column)),
            compile_location=rec.Location(str(script), line)))
    run = rec.RunRecord(script=str(script), script_sha256=hashlib.sha256(script.read_bytes()).hexdigest(),
                        keras_imported=True, fits=[fit])
    rec.save(run, folder / "run.json")
    result = cli("fix", "train.py", "--from-record", "run.json", "--plugins", "checks", "--unsafe-fixes", cwd=folder)
    assert result.returncode == 1, result.stderr
    assert "MD901 loss-spike → gradient_clipping" in result.stderr
    assert "+model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5, clipnorm=1.0), loss=\"mse\")" \
        in result.stdout


def test_a_plugin_that_fails_to_import_names_its_file(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "broken.py").write_text("import no_such_module_here\n")
    result = cli("rules", "--plugins", "checks", cwd=tmp_path)
    assert result.returncode == 2
    assert "broken.py: failed to import: ModuleNotFoundError" in result.stderr
