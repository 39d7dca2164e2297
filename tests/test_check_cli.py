"""`modeldoctor check` end to end: the JSON contract, history input, exit codes, config."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, cli

CSV = """epoch,accuracy,loss,val_accuracy,val_loss
0,0.60,1.00,0.60,1.00
1,0.75,0.70,0.72,0.80
2,0.85,0.50,0.78,0.60
3,0.90,0.40,0.80,0.50
4,0.93,0.30,0.80,0.55
5,0.96,0.20,0.79,0.60
6,0.98,0.15,0.78,0.70
7,0.99,0.10,0.77,0.80
"""


def test_history_csv_is_diagnosed_without_a_run_and_says_what_it_could_not_judge(tmp_path):
    path = tmp_path / "training.csv"
    path.write_text(CSV)
    result = cli("check", "--history", str(path), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    names = [f["name"] for f in report["findings"]]
    assert names[0] == "overfitting" and "generalization-gap" in names
    assert report["findings"][0]["evidence"]["best_epoch"] == 4
    assert any("exploding-gradients" in note and "need a run" in note for note in report["notes"])


def test_history_json_of_history_history(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"loss": [2.3, 2.3, 2.3, 2.3], "val_loss": [2.3, 2.3, 2.3, 2.3]}))
    result = cli("check", "--history", str(path), "--format", "json")
    assert [f["name"] for f in json.loads(result.stdout)["findings"]] == ["stalled-loss"]


def test_history_without_a_loss_column_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("epoch,accuracy\n0,0.5\n")
    result = cli("check", "--history", str(path))
    assert result.returncode == 2 and "no 'loss' column" in result.stderr


@pytest.mark.slow
def test_json_contract_of_a_real_run():
    script = FIXTURES / "learning" / "slow_convergence_small_sgd.py"
    result = cli("check", "--quiet", "--format", "json", str(script))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"version", "script", "runs", "findings"}
    (finding,) = report["findings"]
    assert set(finding) >= {"code", "name", "family", "severity", "confidence", "message", "evidence", "location"}
    assert finding["code"] == "MD107" and finding["family"] == "learning"
    source = script.read_text().splitlines()
    assert source[finding["location"]["line"] - 1].startswith("model.fit(")
    assert finding["location"]["column"] == 1, "columns are 1-based in JSON"
    assert report["runs"][0]["fits"][0]["epochs"] == 10


@pytest.mark.slow
def test_healthy_run_exits_zero_with_no_findings():
    result = cli("check", "--quiet", "--format", "json", str(FIXTURES / "healthy" / "functional_wine.py"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []


def test_config_sets_defaults_and_command_line_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.modeldoctor]\nformat = "json"\nignore = ["MD201"]\n')
    path = tmp_path / "training.csv"
    path.write_text(CSV)
    from_config = cli("check", "--history", str(path))
    names = [f["name"] for f in json.loads(from_config.stdout)["findings"]]
    assert "overfitting" not in names and "generalization-gap" in names
    overridden = cli("check", "--history", str(path), "--format", "text")
    assert overridden.stdout.lstrip().startswith("modeldoctor")


def test_unknown_config_key_is_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.modeldoctor]\ntimeuot = 5\n")
    path = tmp_path / "training.csv"
    path.write_text(CSV)
    result = cli("check", "--history", str(path))
    assert result.returncode == 2 and "'timeuot'" in result.stderr and "timeout" in result.stderr


@pytest.mark.parametrize("line, said", [
    ("runs = 0", "runs = 0: 0 is not in the range x>=1."),
    ('format = "xml"', "format = 'xml': 'xml' is not one of 'text', 'json'"),
    ("timeout = -1", "timeout = -1: -1.0 is not in the range x>0."),
    ('fail-on = "bad"', "fail-on = 'bad': 'bad' is not one of 'info', 'warning', 'error'."),
])
def test_a_config_value_its_option_would_refuse_is_the_same_usage_error(tmp_path, line, said):
    """[tool.modeldoctor] values pass through the option's own type: `runs = 0` used to reach the run."""
    (tmp_path / "pyproject.toml").write_text(f"[tool.modeldoctor]\n{line}\n")
    path = tmp_path / "training.csv"
    path.write_text(CSV)
    result = cli("check", "--history", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"modeldoctor: error: {tmp_path / 'pyproject.toml'}: [tool.modeldoctor] ")
    assert said in result.stderr


@pytest.mark.slow
def test_a_five_step_probe_says_what_it_was_too_short_to_judge_instead_of_warning():
    """Exploding gradients on unscaled targets are real, but five steps are no evidence of them: no warning,
    a note naming what was not judged, and no claim that training looks healthy."""
    result = cli("check", "--quiet", "--epochs", "1", "--max-steps", "5",
                 str(FIXTURES / "learning" / "exploding_gradients_unscaled_target.py"))
    assert result.returncode == 0, result.stderr
    assert "note: 5 steps: too few to judge exploding-gradients" in result.stdout
    assert "in what could be judged (the notes say what could not)" in result.stdout
    assert "looks healthy" not in result.stdout
