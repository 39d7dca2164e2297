"""Nothing unobserved is called healthy: crashes in fit, timeouts, Ctrl-C and kills, as a user meets them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, cli

BROKEN = FIXTURES / "broken"
LONG = BROKEN / "long_training.py"

pytestmark = pytest.mark.slow


def test_a_fit_that_crashes_in_its_first_step_is_not_healthy():
    result = cli("check", "--quiet", str(BROKEN / "crash_in_first_step.py"))
    assert result.returncode == 2, result.stderr
    assert "healthy" not in result.stderr + result.stdout
    assert result.stderr.startswith("modeldoctor: error: ")
    assert ("fit 1 (crash_in_first_step.py:13) crashed with ValueError: Arguments `target` and `output` must have "
            "the same shape") in result.stderr
    assert "before its first epoch ended; no epoch was recorded" in result.stderr
    # the script's own traceback, once, without the probe's frames
    assert result.stderr.count("Traceback (most recent call last)") == 1
    assert "modeldoctor/probe" not in result.stderr and "runpy" not in result.stderr
    assert "| ValueError: Arguments `target`" in result.stderr


def test_a_fit_that_crashes_after_some_epochs_is_diagnosed_on_what_was_recorded():
    # --full: its unscaled inputs would be decisive at epoch 1, before the crash this test is about
    result = cli("check", "--quiet", "--full", "--format", "json", str(BROKEN / "crash_after_epochs.py"))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["scope"] == "partial" and report["healthy"] is False
    assert report["partial"] == ["fit 1 (crash_after_epochs.py:23) stopped after epoch 3 of 10: crashed with "
                                 "OSError: [Errno 28] No space left on device: 'checkpoints/epoch-4.weights.h5'"]
    assert report["runs"][0]["status"] == "error"
    assert [f["name"] for f in report["findings"] if f["primary"]] == ["unscaled-inputs"]
    assert "stopped after epoch 3 of 10" in result.stderr
    assert result.stderr.count("Traceback (most recent call last)") == 1


def test_a_timeout_keeps_the_epochs_seen_and_does_not_call_them_healthy(tmp_path):
    record = tmp_path / "run.json"
    result = cli("check", "--quiet", "--timeout", "40", "--save-record", str(record), str(LONG))
    assert result.returncode == 2, result.stderr  # a healthy-looking prefix: too little to judge
    epochs = len(json.loads(record.read_text())["fits"][0]["epochs"])
    assert epochs >= 1
    assert f"stopped after epoch {epochs} of 300: timed out after 40 s" in result.stderr
    assert "--timeout SECONDS" in result.stderr  # the hint says how to see more
    assert "too little to call it healthy" in result.stderr
    assert "training looks healthy" not in result.stdout
    assert "partial: fit 1 (long_training.py:18) stopped after epoch" in result.stdout
    assert "not judged on a fit stopped part-way: slow-convergence, underfitting" in result.stdout


def _child_of(doctor: subprocess.Popen[str]) -> int:
    """The probe's process: the doctor's child running `modeldoctor.probe`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-P", str(doctor.pid), "-f", "modeldoctor.probe"], capture_output=True,
                               text=True).stdout.split()
        if found:
            return int(found[0])
        time.sleep(0.2)
    raise AssertionError("the probe's child process never started")


def _record_path(pid: int) -> Path:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    entry = next(e for e in environ if e.startswith(b"MODELDOCTOR_RECORD="))
    return Path(entry.split(b"=", 1)[1].decode())


def _wait_for_epochs(path: Path, epochs: int) -> None:
    """Poll the record the probe rewrites every epoch: whenever it exists it must be whole JSON."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists():
            data = json.loads(path.read_text())  # never half a file: written atomically
            if data["fits"] and len(data["fits"][0]["epochs"]) >= epochs:
                return
        time.sleep(0.1)
    raise AssertionError(f"the probe did not record {epochs} epochs in time")


@pytest.mark.parametrize("target, sig, says", [
    ("child", signal.SIGKILL, "killed (signal 9)"),
    ("child", signal.SIGTERM, "terminated (SIGTERM)"),
    ("doctor", signal.SIGINT, "interrupted (Ctrl-C)"),
], ids=["sigkill-child", "sigterm-child", "ctrl-c-doctor"])
def test_a_stopped_run_is_diagnosed_on_the_epochs_on_disk(tmp_path, target, sig, says):
    saved = tmp_path / "run.json"
    doctor = subprocess.Popen(
        [sys.executable, "-m", "modeldoctor", "check", "--quiet", "--format", "json", "--save-record", str(saved),
         str(LONG)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, NO_COLOR="1"))
    try:
        child = _child_of(doctor)
        _wait_for_epochs(_record_path(child), 2)
        os.kill(child if target == "child" else doctor.pid, sig)
        out, err = doctor.communicate(timeout=120)
    finally:
        if doctor.poll() is None:
            doctor.kill()
    assert doctor.returncode == 2, err  # nothing found in a few healthy epochs: too little to judge
    assert "Traceback" not in err
    record = json.loads(saved.read_text())
    seen = len(record["fits"][0]["epochs"])
    assert seen >= 2 and record["exit"]["message"] == says
    report = json.loads(out)
    assert report["scope"] == "partial"
    assert report["partial"] == [f"fit 1 (long_training.py:18) stopped after epoch {seen} of 300: {says}"]


def test_fix_without_a_record_runs_the_script_as_check_does(tmp_path):
    script = tmp_path / "train.py"
    script.write_text((FIXTURES / "generalization" / "overfitting_breast_cancer.py").read_text())
    result = cli("fix", str(script), "--quiet", "--unsafe-fixes", "--epochs", "12", "--seed", "0", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("--- a/train.py")  # the diff, nothing written
    assert "cure(s) prescribed" in result.stderr


def test_the_child_is_quiet_unless_asked(tmp_path):
    quiet = cli("check", "--epochs", "1", str(FIXTURES / "healthy" / "add_breast_cancer.py"))
    assert quiet.returncode in (0, 1), quiet.stderr
    for chatter in ("oneDNN", "absl::InitializeLog", "Limiting epochs", "cuda"):
        assert chatter not in quiet.stderr
