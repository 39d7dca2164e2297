"""Shared helpers: fixtures are real scripts, run for real under the probe."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modeldoctor.record import RunRecord
from modeldoctor.run.runner import RunOptions, RunOutcome, run_probe

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@functools.lru_cache(maxsize=None)
def probe(script: Path, *args: str, seed: int | None = None) -> RunOutcome:
    """Run a fixture once per test session; several tests read the same record."""
    return run_probe(script, args, RunOptions(quiet=True, timeout=300, seed=seed))


def record_of(script: Path) -> RunRecord:
    outcome = probe(script)
    assert outcome.record is not None, outcome.stderr_tail
    return outcome.record


def cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would."""
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "modeldoctor", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


def line_of(path: Path, needle: str, occurrence: int = 0) -> int:
    """1-based line of the n-th line containing `needle`: tests read the fixture, not a number."""
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(hits) > occurrence, f"{needle!r} not in {path}"
    return hits[occurrence]


@pytest.fixture
def tmp_script(tmp_path: Path):
    def write(source: str, name: str = "train.py") -> Path:
        path = tmp_path / name
        path.write_text(source)
        return path

    return write


CHILD_GUARD = Path(__file__).resolve().parent / "_childguard"
HEAVY = ("tensorflow", "keras", "tf_keras", "jax", "torch", "ray")  # ray: a local Ray is seconds of start-up


@pytest.fixture(autouse=True)
def _fast_tests_do_not_train(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                             monkeypatch: pytest.MonkeyPatch):
    """A test not marked `slow` that makes any process import TensorFlow/Keras/JAX/PyTorch fails.

    Its children (the CLI, the probe, a script) are watched through
    _childguard/sitecustomize.py on PYTHONPATH, which only notes the import;
    this process is checked directly. Importing the framework is the cost
    `-m "not slow"` leaves out, whether or not anything trains after it.
    """
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    mark = tmp_path_factory.mktemp("training-mark") / "imported"
    monkeypatch.setenv("MODELDOCTOR_TEST_TRAINING_MARK", str(mark))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(CHILD_GUARD), os.environ.get("PYTHONPATH")) if p))
    loaded = {name for name in HEAVY if name in sys.modules}
    yield
    here = sorted(name for name in HEAVY if name in sys.modules and name not in loaded)
    said = mark.read_text(encoding="utf-8") if mark.exists() else ""
    if said or here:
        pytest.fail("a test not marked slow imported a deep-learning framework (it trains, or starts a child that "
                    f"does): mark it @pytest.mark.slow\n{said}{' '.join(f'{n} imported in-process' for n in here)}",
                    pytrace=False)
