"""Each way a run cannot be diagnosed gets one clear message and exit code 2."""

from __future__ import annotations

import subprocess

import pytest

from conftest import FIXTURES, cli

BROKEN = FIXTURES / "broken"


@pytest.mark.parametrize(
    "name, message",
    [
        ("syntax_error.py", "syntax_error.py:3:26: SyntaxError: '[' was never closed"),
        # these two import Keras in the child (about 5 s of TensorFlow start-up each)
        pytest.param("crash_before_fit.py", "crashed with FileNotFoundError before any fit call: data/train.csv",
                     marks=pytest.mark.slow),
        pytest.param("no_fit.py", "ran to the end without calling Model.fit", marks=pytest.mark.slow),
        ("not_keras.py", "not a Keras script"),
        ("exits.py", "exited with status 1 before any fit call: usage: exits.py DATA_DIR"),
    ],
)
def test_cannot_diagnose_exits_2_with_one_clear_message(name, message):
    result = cli("check", "--quiet", str(BROKEN / name))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("modeldoctor: error: ")
    assert message in result.stderr
    assert "hint:" in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_crash_shows_the_scripts_own_traceback_tail():
    result = cli("check", "--quiet", str(BROKEN / "crash_before_fit.py"))
    assert 'line 5, in load_data' in result.stderr
    assert "runpy" not in result.stderr and "modeldoctor/probe" not in result.stderr


def test_timeout_ends_the_whole_process_group():
    result = cli("check", "--quiet", "--timeout", "3", str(BROKEN / "hangs.py"))
    assert result.returncode == 2
    assert "timed out after 3 s" in result.stderr
    leftovers = subprocess.run(["pgrep", "-f", "time.sleep\\(600\\)"], capture_output=True, text=True)
    assert leftovers.stdout == "", "the script's own child process was left running"


def test_missing_file_is_a_usage_error():
    result = cli("check", "no/such/train.py")
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_unknown_option_is_a_usage_error():
    result = cli("check", "--no-such-option", str(BROKEN / "no_fit.py"))
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_help_documents_exit_codes():
    result = cli("check", "--help")
    assert result.returncode == 0
    assert "Exit codes:" in result.stdout and "could not diagnose" in result.stdout


def test_script_without_any_fit_is_checked_statically(tmp_path):
    script = tmp_path / "model_only.py"
    script.write_text('import keras\nmodel = keras.Sequential([keras.layers.Dense(3, activation="softmax")])\n'
                      'model.compile(optimizer="adam", loss="binary_crossentropy")\n')
    result = cli("check", str(script), "--format", "json")
    assert "source checks only, no training was run" in result.stderr
    assert result.returncode == 1 and '"MD112"' in result.stdout


def test_source_only_fallback_never_says_healthy(tmp_path):
    script = tmp_path / "model_only.py"
    script.write_text('import keras\nmodel = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])\n'
                      'model.compile(optimizer="adam", loss="mse")\n')
    result = cli("check", str(script))
    assert "source checks only, no training was run" in result.stderr
    assert "healthy" not in result.stdout + result.stderr
    assert "no findings in" in result.stdout and "(source checks only: no training was run)" in result.stdout
    assert result.returncode == 2 and "no training to diagnose (no fit call)" in result.stderr


def test_a_record_without_any_epoch_is_not_diagnosed(tmp_path):
    import hashlib

    from modeldoctor import record as rec

    script = tmp_path / "train.py"
    script.write_text("import keras\nmodel.fit(x, y)\n")
    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    fit = rec.FitRecord(index=0, model=rec.ModelInfo("Sequential", "seq"), fit_args=rec.FitArgs(epochs=5),
                        location=rec.Location(str(script), 2))
    run = rec.RunRecord(script=str(script), script_sha256=digest, keras_imported=True, fits=[fit],
                        exit=rec.ExitInfo(status="error", returncode=1, exception_type="ValueError", message="bad"))
    rec.save(run, tmp_path / "run.json")
    result = cli("check", str(script), "--from-record", str(tmp_path / "run.json"))
    assert result.returncode == 2
    assert "fit 1 (train.py:2) crashed with ValueError: bad before its first epoch ended" in result.stderr
    old = cli("fix", str(script), "--record", str(tmp_path / "run.json"))
    assert "`fix --record FILE` is deprecated" in old.stderr and "--from-record FILE" in old.stderr
    assert old.returncode == 2 and "before its first epoch ended" in old.stderr


def test_fix_dash_o_with_a_script_path_is_the_old_spelling_of_to(tmp_path):
    script = tmp_path / "model_only.py"
    script.write_text('import keras\nmodel = keras.Sequential([keras.Input(shape=(4,)), '
                      'keras.layers.Dense(3, activation="softmax")])\n'
                      'model.compile(optimizer="adam", loss="binary_crossentropy")\n')
    result = cli("fix", "--static", "--unsafe-fixes", str(script), "-o", str(tmp_path / "cured.py"))
    assert "`fix -o CURED.py` is deprecated" in result.stderr and "--to CURED.py" in result.stderr
    assert result.returncode == 0, result.stderr
    assert "keras.layers.Dense(3" in (tmp_path / "cured.py").read_text()
    assert script.read_text() != (tmp_path / "cured.py").read_text()


def test_a_backend_the_environment_lacks_gets_the_install_hint():
    from modeldoctor.run.triage import _missing_backend

    assert _missing_backend("No module named 'jax'") == (
        "Keras was asked to run on jax (--backend or KERAS_BACKEND), which is not installed in the script's "
        "environment: pip install 'modeldoctor[jax]', or choose another --backend")
    assert _missing_backend("No module named 'pandas'") is None


@pytest.mark.parametrize("args, message", [
    (("--verify", "--static"), "--verify trains the script under several seeds to prove each cure; --static never "
                               "trains: use one"),
    (("--to", "no/such/dir/cured.py"), "the directory"),
    (("--verify", "--budget", "0"), "Invalid value for '--budget': 0.0 is not in the range x>0."),
])
def test_fix_options_that_cannot_hold_together_are_a_usage_error_before_anything_runs(tmp_path, args, message):
    script = tmp_path / "train.py"
    script.write_text("import keras\nmodel.fit(x, y)\n")
    result = cli("fix", str(script), *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "no").exists() and script.read_text() == "import keras\nmodel.fit(x, y)\n"


def test_a_cured_script_that_cannot_be_written_is_one_clear_error_and_leaves_nothing_behind(tmp_path):
    from modeldoctor.treatment import TreatmentError, write_atomically

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(TreatmentError, match=r"cannot write .*file/cured.py: Not a directory"):
        write_atomically(blocker / "cured.py", "print(1)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("text, said", [
    ("[]", "a run record is a JSON object, not a list"),
    ('{"schema_version": 1, "fits": "x"}', "is not a run record modeldoctor wrote"),
    ('{"schema_version": 1, "fits": [{"epochs": 5}]}', "is not a run record modeldoctor wrote"),
])
def test_a_record_of_another_shape_is_one_clear_error(tmp_path, text, said):
    script, record = tmp_path / "train.py", tmp_path / "run.json"
    script.write_text("import keras\nmodel.fit(x, y)\n")
    record.write_text(text)
    result = cli("check", str(script), "--from-record", str(record))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert said in result.stderr and "hint: pass a record written by --save-record" in result.stderr
