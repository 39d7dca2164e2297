"""A Keras 2 script, as a user meets it: `check` stops at the crash and names the migration, the fix the
message shows is run as written, and the migrated script then trains under `check`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "legacy"


def modeldoctor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "modeldoctor", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=300)


@pytest.mark.slow
def test_crash_names_the_rules_and_the_fix_it_names_makes_the_script_train(tmp_path):
    script = tmp_path / "train.py"
    shutil.copy(CORPUS / "core_layers_sgd_lr_decay_iris.py", script)

    before = modeldoctor("check", "train.py", "-q", cwd=tmp_path)
    assert before.returncode == 2, before.stderr
    assert "No module named 'keras.layers.core'" in before.stderr
    assert "MD504 removed-layer-modules" in before.stderr and "MD501 optimizer-lr-argument" in before.stderr
    command = "modeldoctor fix train.py --select MD5 --apply"
    assert f"`{command}`" in before.stderr
    assert "Traceback" not in before.stderr.split("hint:")[0], "the first line is ours, without a traceback"

    fixed = modeldoctor(*command.split()[1:], cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    migrated = script.read_text(encoding="utf-8")
    assert "from keras.layers import Dense, Dropout, Activation" in migrated
    assert "SGD(learning_rate=0.05, decay=1e-6" in migrated, "the unsafe decay cure waits for --unsafe-fixes"

    static = modeldoctor("check", "--static", "train.py", "--select", "MD5", "--format", "json", cwd=tmp_path)
    assert static.returncode == 1 and '"MD520"' in static.stdout, "what is left is the decay, which still trains"

    after = modeldoctor("check", "train.py", "-q", "--epochs", "2", "--select", "MD1,MD2", cwd=tmp_path)
    assert after.returncode in (0, 1), after.stderr
    assert "crashed" not in after.stderr


@pytest.mark.slow
def test_unsafe_migration_of_a_decay_trains_with_the_same_schedule(tmp_path):
    script = tmp_path / "train.py"
    shutil.copy(CORPUS / "core_layers_sgd_lr_decay_iris.py", script)
    fixed = modeldoctor("fix", "train.py", "--select", "MD5", "--unsafe-fixes", "--apply", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "InverseTimeDecay(initial_learning_rate=0.05, decay_steps=1, decay_rate=1e-6)" in script.read_text()
    run = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "decay" not in run.stderr.lower(), "no 'decay is ignored' warning once the schedule is written"
