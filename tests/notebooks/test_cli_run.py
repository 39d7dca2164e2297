"""`check` and `fix` run a notebook fixture's code cells under the probe, as a user would from its folder."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES, cli

NOTEBOOK = FIXTURES / "notebooks" / "overfitting_breast_cancer.ipynb"


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory):
    """One real run of the notebook (its `%time` fit, magics and shell escapes included), its record kept."""
    folder = tmp_path_factory.mktemp("notebook")
    shutil.copyfile(NOTEBOOK, folder / NOTEBOOK.name)
    result = cli("check", "--quiet", NOTEBOOK.name, "--save-record", "run.json", "-o", "report.sarif",
                 "--format", "json", cwd=folder)
    return folder, result


@pytest.mark.slow
def test_check_runs_the_cells_and_points_at_the_fit_cell(diagnosed):
    folder, result = diagnosed
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    (finding,) = [f for f in report["findings"] if f["code"] == "MD201"]
    # cell 6 is `%time history = model.fit(...)`: column 17 is `model.fit`, after the magic
    location = finding["location"]
    assert location["path"].endswith(NOTEBOOK.name)  # absolute, as a script's run record places are
    assert (location["cell"], location["line"], location["column"]) == (6, 1, 17)
    assert report["runs"][0]["fits"][0]["location"]["cell"] == 6
    sarif = json.loads((folder / "report.sarif").read_text(encoding="utf-8"))
    (where,) = [r["locations"][0] for r in sarif["runs"][0]["results"] if r["ruleId"] == "MD201"]
    assert where["message"]["text"] == f"{NOTEBOOK.name}:cell 6:1:17"
    text = cli("check", NOTEBOOK.name, "--from-record", "run.json", cwd=folder).stdout
    assert f"{NOTEBOOK.name}:cell 6:1:17" in text and "%time history = model.fit(" in text


@pytest.mark.slow
def test_fix_apply_cures_the_fit_cell_and_leaves_the_rest_byte_identical(diagnosed):
    nbformat = pytest.importorskip("nbformat")
    folder, _ = diagnosed
    path = folder / NOTEBOOK.name
    result = cli("fix", NOTEBOOK.name, "--from-record", "run.json", "--unsafe-fixes", "--apply", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "early_stopping: cell 6:1: fit: added callbacks=" in result.stderr
    cured = path.read_text(encoding="utf-8")
    nbformat.validate(nbformat.reads(cured, as_version=4))
    before, after = NOTEBOOK.read_text(encoding="utf-8").splitlines(), cured.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1 and after[changed[0]].startswith('    "%time history = model.fit(')
    assert "EarlyStopping(monitor=\\\"val_loss\\\"" in after[changed[0]]
    refused = cli("fix", NOTEBOOK.name, "--from-record", "run.json", "--unsafe-fixes", "--apply", cwd=folder)
    assert refused.returncode == 2 and "changed since it was diagnosed" in refused.stderr


@pytest.mark.slow
def test_fix_verify_proves_the_cure_on_the_notebook_and_says_it_in_cells(tmp_path):
    """The trials run copies of the notebook's code as scripts; the report speaks of the notebook's cells."""
    shutil.copyfile(NOTEBOOK, tmp_path / NOTEBOOK.name)
    result = cli("fix", NOTEBOOK.name, "--verify", "--seeds", "2", "--quiet", "--unsafe-fixes", "--format", "json",
                 cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    (trial,) = report["trials"]
    assert (trial["transform"], trial["verdict"]) == ("early_stopping", "accepted"), trial["reason"]
    assert report["diff"].startswith(f"--- a/{NOTEBOOK.name}:cell 6\n+++ b/{NOTEBOOK.name}:cell 6\n")
    assert report["findings"] == [] and report["script"] == NOTEBOOK.name
    assert ".modeldoctor-trial-" not in result.stdout + result.stderr
    assert (tmp_path / NOTEBOOK.name).read_bytes() == NOTEBOOK.read_bytes(), "without --apply nothing is written"
