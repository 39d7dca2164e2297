"""Warm starts: a trial forked from an interpreter that has already imported TensorFlow is the same run.

Real children throughout: the warm interpreter imports the real framework,
so every test that starts one is slow.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, cli
from modeldoctor.run.runner import RunOptions, run_probe
from modeldoctor.run.warm import WarmStarts, starts_alike

FIXTURE = FIXTURES / "learning" / "dying_relu_negative_bias.py"


def _epochs(outcome):
    assert outcome.record is not None, outcome.stderr_tail
    return [fit.epochs for fit in outcome.record.fits]


def test_a_script_that_sets_its_environment_starts_cold():
    assert starts_alike("import keras\nmodel = keras.Sequential()\n")
    assert not starts_alike('import os\nos.environ["KERAS_BACKEND"] = "jax"\nimport keras\n')
    assert not starts_alike("import os\nos.putenv('TF_ENABLE_ONEDNN_OPTS', '0')\n")


def test_a_command_that_is_not_the_probe_is_not_forked(tmp_path):
    warm = WarmStarts()
    try:
        assert warm.start(["python", "train.py"], {}, str(tmp_path), tmp_path) is None
    finally:
        warm.close()


@pytest.mark.slow
def test_a_forked_run_records_what_a_fresh_one_does_and_the_interpreter_serves_again(tmp_path):
    options = RunOptions(seed=1, quiet=True, timeout=300)
    cold = run_probe(FIXTURE, (), options)
    warm = WarmStarts()
    try:
        first = run_probe(FIXTURE, (), options, warm=warm)
        second = run_probe(FIXTURE, (), options, warm=warm)
    finally:
        warm.close()
    assert cold.returncode == first.returncode == second.returncode == 0
    assert _epochs(first) == _epochs(cold) == _epochs(second)
    assert first.record.exit.status == "ok" and first.record.fits[0].samples


@pytest.mark.slow
def test_a_forked_run_that_crashes_or_is_stopped_ends_as_a_fresh_one_would(tmp_path):
    crash = tmp_path / "crash.py"
    crash.write_text("import keras\n\ndef build():\n    raise ValueError('no model today')\n\nbuild()\n")
    sleeps = tmp_path / "sleeps.py"
    sleeps.write_text("import time\nimport keras\ntime.sleep(120)\n")
    options = RunOptions(seed=0, quiet=True, timeout=300)
    warm = WarmStarts()
    stop = threading.Event()
    try:
        crashed = run_probe(crash, (), options, warm=warm)
        threading.Timer(8.0, stop.set).start()
        started = time.perf_counter()
        stopped = run_probe(sleeps, (), options, stop=stop, warm=warm)
        waited = time.perf_counter() - started
    finally:
        warm.close()
    assert crashed.returncode == 1 and crashed.record.exit.status == "error"
    assert crashed.record.exit.exception_type == "ValueError"
    assert 'crash.py", line 6' in crashed.record.exit.traceback and "probe" not in crashed.record.exit.traceback
    assert stopped.interrupted and stopped.record.exit.status == "interrupted"
    assert waited < 60, "the forked child was stopped, not waited for"


@pytest.mark.slow
def test_another_backend_is_not_forked_and_runs_as_before(tmp_path):
    """JAX is not fork-safe: its warm interpreter declines and the run starts fresh, with the same record."""
    options = RunOptions(seed=0, quiet=True, timeout=300, backend="jax")
    warm = WarmStarts()
    try:
        outcome = run_probe(FIXTURE, (), options, warm=warm)
        (server,) = warm._servers.values()
        assert server.declined == "the jax backend cannot be forked safely"
    finally:
        warm.close()
    assert outcome.returncode == 0 and outcome.record.backend == "jax"
    assert outcome.record.fits and outcome.record.fits[0].epochs


@pytest.mark.slow
def test_fix_verify_gives_the_same_trials_warm_and_cold(tmp_path):
    """--cold-trials starts every trial afresh; the default forks them warm: the same runs, so the same
    numbers before and after, the same verdicts and the same cure."""
    script = tmp_path / "train.py"
    shutil.copy(FIXTURE, script)
    reports = {}
    for flag in ("--warm-trials", "--cold-trials"):
        result = cli("fix", str(script), "--verify", "--seeds", "2", "--jobs", "2", "--quiet", "--format", "json",
                     "--unsafe-fixes", flag, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        reports[flag] = json.loads(result.stdout)
    warm, cold = reports["--warm-trials"], reports["--cold-trials"]
    keys = ("finding", "transform", "verdict", "seeds", "before", "after", "finding_measure_after")
    assert [[t.get(k) for k in keys] for t in warm["trials"]] == [[t.get(k) for k in keys] for t in cold["trials"]]
    assert warm["trials"][0]["verdict"] == "accepted" and warm["diff"] == cold["diff"]
    assert not list(Path(tmp_path).glob(".modeldoctor-trial-*"))
