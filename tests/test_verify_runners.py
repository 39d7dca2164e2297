"""Trial runners: what goes wrong with a job comes back as that trial's outcome, never as an exception.

The local pool's cases run real child processes of scripts that import no
framework (fast); the Ray runner's start a real local Ray (slow).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import cli
from modeldoctor.run.runner import RunOptions
from modeldoctor.run.triage import failure
from modeldoctor.verify.loop import split
from modeldoctor.verify.trials import LocalPool, LostRun, TrialJob

SLEEPS = "import time\ntime.sleep(60)\n"


def job(tmp_path: Path, source: str, seed: int = 0, python: str | None = None) -> TrialJob:
    return TrialJob(source, tmp_path / "train.py", tmp_path, (), RunOptions(quiet=True, timeout=120, seed=seed),
                    python)


def test_an_interpreter_that_cannot_start_is_a_failed_trial_with_its_reason(tmp_path):
    pool = LocalPool(2)
    try:
        handles = pool.submit([job(tmp_path, "print('hi')\n", seed, python=str(tmp_path / "no-python"))
                               for seed in range(2)])
        done = []
        while len(done) < 2:
            done += pool.wait(set(handles) - {h for h, _ in done})
    finally:
        pool.close()
    outcomes = [outcome for _, outcome in sorted(done, key=lambda pair: pair[0].number)]
    assert all(isinstance(o, LostRun) and "FileNotFoundError" in o.reason for o in outcomes)
    records, failures = split(outcomes)
    assert records == [] and failures[0].startswith("seed 0: could not run: FileNotFoundError")
    assert not list(tmp_path.glob(".modeldoctor-trial-*")), "the trial's copy is removed"


def test_a_cancelled_running_trial_stops_its_child_at_once(tmp_path):
    pool = LocalPool(1)
    started = time.perf_counter()
    (running,) = pool.submit([job(tmp_path, SLEEPS)])
    (queued,) = pool.submit([job(tmp_path, SLEEPS, seed=1)])
    time.sleep(1.5)
    pool.cancel([running, queued])
    pool.close()  # waits for the thread watching the child: returns only once the child is stopped
    assert time.perf_counter() - started < 20
    assert not list(tmp_path.glob(".modeldoctor-trial-*"))


def test_a_script_that_dies_is_a_failed_trial(tmp_path):
    pool = LocalPool(1)
    try:
        (handle,) = pool.submit([job(tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")])
        ((_, outcome),) = pool.wait({handle})
    finally:
        pool.close()
    assert failure(outcome) is not None


def test_the_doctor_never_imports_ray_to_start():
    code = ("import sys, modeldoctor.cli, modeldoctor.fixing, modeldoctor.verify.loop, modeldoctor.verify.runners; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ray'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_runner_ray_without_ray_installed_is_a_usage_error(tmp_path, monkeypatch):
    """Ray made unimportable (a package that raises ImportError, as a missing one does): one line, exit 2,
    before anything trains."""
    (tmp_path / "blocked" / "ray").mkdir(parents=True)
    (tmp_path / "blocked" / "ray" / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join((os.environ.get("PYTHONPATH", ""), str(tmp_path / "blocked"))))
    script = tmp_path / "train.py"
    script.write_text("import keras\nmodel.fit(x, y)\n")
    result = cli("fix", str(script), "--verify", "--runner", "ray")
    # the marker guard noted the stand-in's import: on purpose here, and nothing was started
    Path(os.environ["MODELDOCTOR_TEST_TRAINING_MARK"]).unlink(missing_ok=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "modeldoctor: error: --runner ray needs Ray: pip install 'modeldoctor[ray]'"


def test_an_unreachable_cluster_is_a_usage_error_in_seconds(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import keras\nmodel.fit(x, y)\n")
    started = time.perf_counter()
    result = cli("fix", str(script), "--verify", "--runner", "ray", "--address", "127.0.0.1:1")
    assert result.returncode == 2 and time.perf_counter() - started < 30
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("modeldoctor: error: cannot reach the Ray cluster at 127.0.0.1:1: ")
    result = cli("fix", str(script), "--verify", "--address", "127.0.0.1:1")
    assert (result.returncode, result.stderr.strip()) == (2, "modeldoctor: error: --address needs --runner ray")


@pytest.fixture(scope="module")
def local_ray():
    from modeldoctor.verify.ray_runner import RayRunner

    runner = RayRunner(None, 2).start()
    yield runner
    runner.close()


def _all(runner, handles):
    done = []
    while len(done) < len(handles):
        done += runner.wait(set(handles) - {h for h, _ in done})
    return [outcome for _, outcome in sorted(done, key=lambda pair: pair[0].number)]


@pytest.mark.slow
def test_ray_a_dead_worker_or_a_bad_interpreter_is_a_failed_trial(local_ray, tmp_path):
    """The trial's script kills the Ray worker running it (its parent); another names no interpreter."""
    kills_worker = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
    handles = local_ray.submit([job(tmp_path, kills_worker), job(tmp_path, "pass\n", python=str(tmp_path / "none"))])
    dead, bad = _all(local_ray, handles)
    assert isinstance(dead, LostRun) and dead.reason == "the Ray worker running it died"
    assert isinstance(bad, LostRun) and "FileNotFoundError" in bad.reason
    assert split([dead])[1] == ["seed 0: the Ray worker running it died"]


@pytest.mark.slow
def test_ray_cancelled_trials_stop_and_the_rest_come_back(local_ray, tmp_path):
    started = time.perf_counter()
    sleeping = local_ray.submit([job(tmp_path, SLEEPS, seed) for seed in range(3)])  # two run, one waits
    (quick,) = local_ray.submit([job(tmp_path, "print('done')\n", seed=9)])
    time.sleep(3)
    local_ray.cancel(sleeping)
    ((_, outcome),) = local_ray.wait({quick})
    assert outcome.returncode == 0 and not isinstance(outcome, LostRun)
    assert time.perf_counter() - started < 40, "the quick trial got a CPU once the sleeping ones were cancelled"


def test_the_trial_table_names_the_runner_the_runs_and_the_time_cancellations_saved():
    from modeldoctor.report.trial_board import TrialBoard
    from modeldoctor.verify.schedule import Board, Row

    board = Board("ray (local, 2 CPUs)", {"a": Row("MD201 overfitting → early_stopping", 2, 2, "accepted"),
                                          "b": Row("MD201 overfitting → dropout", 2, 1, "cancelled")},
                  runs_done=5, runs_sent=8, cancelled=2, saved=30.4)
    log = io.StringIO()
    with TrialBoard(enabled=False, stream=log) as view:
        view(board)
    assert log.getvalue() == ("modeldoctor: trials on ray (local, 2 CPUs): 5 of 8 runs done, "
                              "2 cancelled (~30 s of trial time saved)\n"), "in a log: one line, at the end"
    terminal = io.StringIO()
    with TrialBoard(enabled=True, stream=terminal) as view:
        view(board)
    drawn = terminal.getvalue()
    assert "MD201 overfitting → early_stopping" in drawn and "2/2 seeds" in drawn and "accepted" in drawn
    assert "1/2 seeds" in drawn and "cancelled" in drawn


def test_runner_and_address_come_from_the_config_and_a_bad_value_is_named(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import keras\nmodel.fit(x, y)\n")
    (tmp_path / "pyproject.toml").write_text('[tool.modeldoctor]\nrunner = "ray"\naddress = "127.0.0.1:1"\n')
    result = cli("fix", str(script), "--verify")
    assert result.returncode == 2
    assert result.stderr.startswith("modeldoctor: error: cannot reach the Ray cluster at 127.0.0.1:1: ")
    (tmp_path / "pyproject.toml").write_text('[tool.modeldoctor]\nrunner = "rey"\n')
    result = cli("fix", str(script), "--verify")
    assert result.stderr.strip() == (f"modeldoctor: error: {tmp_path / 'pyproject.toml'}: [tool.modeldoctor] "
                                     "runner = 'rey': 'rey' is not one of 'local', 'ray'.")
    assert len(result.stderr.strip().splitlines()) == 1
