"""`check --static` and `fix --static` on a notebook, through the real command line (no training)."""

from __future__ import annotations

import json

import pytest

from conftest import cli
from notebooks.helpers import STATIC, code, notebook, write


def test_static_findings_point_at_cells_in_every_format(tmp_path):
    path = write(tmp_path).name  # as a user types it, from the notebook's folder
    text = cli("check", "--static", path, "--extend-select", "MD403", cwd=tmp_path)  # MD403 is opt-in
    assert text.returncode == 1, text.stderr
    assert "analysis.ipynb:cell 4:3:61" in text.stdout  # MD402 on Adam(learning_rate=5.0)
    assert "analysis.ipynb:cell 5:2:1" in text.stdout  # MD403 on the fit after a shell escape
    assert '3 │ model.compile(optimizer=keras.optimizers.Adam(learning_rate=5.0), loss="mse")' in text.stdout

    report = json.loads(cli("check", "--static", path, "--format", "json", cwd=tmp_path).stdout)
    places = {f["code"]: f["location"] for f in report["findings"]}
    assert places["MD402"] == {"path": "analysis.ipynb", "line": 3, "column": 61, "cell": 4}

    sarif = json.loads(cli("check", "--static", path, "--format", "sarif", cwd=tmp_path).stdout)
    (where,) = [r["locations"][0] for r in sarif["runs"][0]["results"] if r["ruleId"] == "MD402"]
    assert where["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 61}
    assert where["properties"] == {"cell": 4} and where["message"]["text"] == "analysis.ipynb:cell 4:3:61"

    github = cli("check", "--static", path, "--format", "github", cwd=tmp_path).stdout
    assert "::warning file=analysis.ipynb,line=3,col=61,title=MD402" in github
    assert "::analysis.ipynb:cell 4:3:61: Adam(learning_rate=5)" in github


def test_a_folder_includes_its_notebooks(tmp_path):
    write(tmp_path)
    report = json.loads(cli("check", "--static", str(tmp_path), "--extend-select", "MD403", "--format", "json",
                                 cwd=tmp_path).stdout)
    assert {f["location"]["cell"] for f in report["findings"]} == {4, 5}


def test_a_suppression_comment_in_a_cell_silences_it(tmp_path):
    path = write(tmp_path, STATIC.replace('loss=\\"mse\\")"', 'loss=\\"mse\\")  # modeldoctor: ignore[MD402]"'))
    report = json.loads(cli("check", "--static", str(path), "--format", "json", cwd=tmp_path).stdout)
    assert "MD402" not in {f["code"] for f in report["findings"]}


def test_a_syntax_error_names_its_cell(tmp_path):
    path = write(tmp_path, notebook(code("import keras"), code("x = 1\nmodel.fit(x y)")))
    result = cli("check", str(path), cwd=tmp_path)
    assert result.returncode == 2 and "analysis.ipynb:cell 2:2:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_fix_apply_edits_the_cells_and_nothing_else(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    path = write(tmp_path)
    diff = cli("fix", "--static", "--unsafe-fixes", str(path), cwd=tmp_path)
    assert diff.returncode == 1 and "--- a/analysis.ipynb:cell 4" in diff.stdout, diff.stderr
    result = cli("fix", "--static", "--unsafe-fixes", "--apply", "--extend-select", "MD403", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "set_learning_rate: cell 4:3:" in result.stderr
    cured = path.read_text(encoding="utf-8")
    nbformat.validate(nbformat.reads(cured, as_version=4))
    before, after = json.loads(STATIC), json.loads(cured)
    assert [c["source"][0] for c in after["cells"]][4] == "!nvidia-smi\n"  # the shell escape is still there
    assert "learning_rate=0.001" in "".join(after["cells"][3]["source"])
    assert "validation_split=0.2" in "".join(after["cells"][4]["source"])
    for cell in (*before["cells"], *after["cells"]):
        cell["source"] = ""
    assert before == after  # outputs, ids, metadata and the other cells as they were
    again = cli("fix", "--static", "--unsafe-fixes", "--apply", "--extend-select", "MD403", str(path), cwd=tmp_path)
    assert again.returncode == 0 and path.read_text(encoding="utf-8") == cured  # idempotent


def test_the_pre_commit_hook_passes_notebooks():
    from conftest import ROOT

    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert hooks.count("types_or: [python, jupyter]") == 2


def test_a_syntax_error_under_static_names_its_cell(tmp_path):
    path = write(tmp_path, notebook(code("import keras"), code("x = 1\nmodel.fit(x y)")))
    result = cli("check", "--static", path.name, cwd=tmp_path)
    assert result.returncode == 2 and "analysis.ipynb:cell 2:2:" in result.stderr, result.stderr


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json", "sarif", "github"])
def test_every_format_names_the_cell_and_mapping_twice_changes_nothing(tmp_path, monkeypatch, fmt):
    from modeldoctor.checkup import check_sources
    from modeldoctor.notebook.locations import in_cells
    from modeldoctor.report import render
    from modeldoctor.rules import load_catalog

    monkeypatch.chdir(tmp_path)
    write(tmp_path)
    report, errors = check_sources(["analysis.ipynb"], load_catalog(), {})
    assert not errors and report.findings[0].location.cell is None  # the pipeline reads the virtual script
    once = in_cells(report)
    assert in_cells(once) == once
    shown = render(report, fmt)
    assert "cell 4" in shown or '"cell": 4' in shown


def test_a_cell_that_raises_before_training_is_named_in_the_traceback(tmp_path):
    path = write(tmp_path, notebook(code("x = 1"), code("!ls\nraise ValueError('no data here')"),
                                    code("import keras\nmodel.fit(x)")))
    result = cli("check", "--quiet", path.name, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "ValueError: no data here" in result.stderr
    assert 'File "analysis.ipynb:cell 2", line 2, in <module>' in result.stderr, result.stderr
