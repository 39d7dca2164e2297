"""Running trials: the one small interface between `fix --verify` and whatever executes runs.

A trial job is "run this source, as a copy beside the script, with this seed
under the probe". It carries the source text itself, the working directory
and the script's place in it, so a job means the same on another machine.
A `TrialRunner` takes a batch of jobs at once (`submit`), gives outcomes
back as they finish (`wait`), and drops jobs no longer needed (`cancel`):
the verifier sends every candidate cure of a finding in one batch and
cancels the rest once one is accepted. Whatever goes wrong with a job
itself (a worker that dies, a task that is lost or cancelled, an interpreter
that cannot start) comes back as a `LostRun` outcome with its reason, never
as an exception: a trial fails, the verification goes on.

Here: the local pool (threads, each watching its trial's own child
process). The Ray runner is in ray_runner.py, imported only when asked for.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import itertools
import os
import sys
import tempfile
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from modeldoctor.run.runner import RunOptions, RunOutcome, run_probe
from modeldoctor.run.warm import WarmStarts, starts_alike

TRIAL_PREFIX = ".modeldoctor-trial-"  # the copy beside the script that a trial runs


class RunnerError(Exception):
    """The runner cannot start (Ray missing, a cluster unreachable): a usage error, said in one line."""


@dataclass(frozen=True)
class TrialJob:
    """One run of a source under one seed: everything a machine needs to run it."""

    source: str  # the (treated) script's text: written as a copy beside `script` where the job runs
    script: Path  # the user's script, relative to `cwd` when it is inside it
    cwd: Path  # the working directory the doctor runs from (shipped to a cluster's nodes)
    args: tuple[str, ...]
    options: RunOptions
    python: str | None = None  # None: the interpreter of the process that runs the trial (a node's own)

    @property
    def seed(self) -> int | None:
        return self.options.seed


@dataclass(frozen=True)
class Handle:
    """A submitted job, as the runner that took it knows it."""

    number: int
    job: TrialJob = field(repr=False, compare=False)


class TrialRunner(Protocol):
    @property
    def name(self) -> str:
        """How the progress line names it: `local pool (2 jobs)`, `ray (local, 2 CPUs)`."""
        ...

    def submit(self, jobs: Sequence[TrialJob]) -> list[Handle]: ...

    def wait(self, handles: Collection[Handle]) -> list[tuple[Handle, RunOutcome]]:
        """Block until at least one of `handles` is done; return every one that is (none cancelled)."""
        ...

    def cancel(self, handles: Collection[Handle]) -> None:
        """Drop these jobs: not started ones never start, running ones are stopped. Never raises."""
        ...

    def close(self) -> None: ...


@dataclass
class LostRun(RunOutcome):
    """A job that gave no run at all (lost, cancelled, never started), and why in a few words."""

    reason: str = ""


def lost(reason: str, wall_time: float = 0.0) -> LostRun:
    return LostRun(record=None, returncode=None, timed_out=False, stderr_tail="", wall_time=wall_time,
                   reason=reason)


_numbers = itertools.count(1)


def handles_for(jobs: Sequence[TrialJob]) -> list[Handle]:
    return [Handle(next(_numbers), job) for job in jobs]


def run_trial(job: TrialJob, stop: threading.Event | None = None, warm: WarmStarts | None = None) -> RunOutcome:
    """Run the job from the current directory: its source as a copy beside the script (or here, when the
    script's folder is not on this machine), removed afterwards; forked from a warm interpreter when `warm`
    has one for it. Never raises."""
    started = time.perf_counter()
    folder = job.script.parent if job.script.parent.is_dir() else Path.cwd()
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".py", prefix=f"{TRIAL_PREFIX}{job.script.stem}-",
                                         dir=folder, delete=False, encoding="utf-8") as copy:
            copy.write(job.source)
    except OSError as error:
        return lost(f"the trial copy could not be written in {folder}: {error}")
    options = dataclasses.replace(job.options, python=job.python or sys.executable)
    try:
        return run_probe(Path(copy.name), job.args, options, stop=stop,
                         warm=warm if warm is not None and starts_alike(job.source) else None)
    except Exception as error:  # an interpreter that does not start, a full disk: this trial fails, not the doctor
        return lost(f"could not run: {type(error).__name__}: {error}", time.perf_counter() - started)
    finally:
        Path(copy.name).unlink(missing_ok=True)


def default_jobs() -> int:
    """What the machine can hold: one training per core, and about 1.5 GB of memory each."""
    cores = os.cpu_count() or 1
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return max(1, min(cores, int(memory // 1.5e9)))
    except (ValueError, OSError, AttributeError):
        return cores


class LocalPool:
    """Trials in parallel on this machine, at most `jobs` at a time.

    Each trial already trains in its own child process (`run_probe`); a thread only watches it, so
    there is no worker process that could die and take the pool with it, and cancelling a running
    trial stops its child at once (as Ctrl-C does). With `warm` (fix --verify's default) the children are forked
    from an interpreter per seed that has already imported the framework (run/warm.py): the same run,
    without paying TensorFlow's import a dozen times.
    """

    def __init__(self, jobs: int = 1, warm: bool = False) -> None:
        self.jobs = max(1, jobs)
        self._warm = WarmStarts() if warm else None
        self._pool = cf.ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="modeldoctor-trial")
        self._running: dict[Handle, tuple[cf.Future[RunOutcome], threading.Event]] = {}

    @property
    def name(self) -> str:
        return f"local pool ({self.jobs} job{'s' if self.jobs > 1 else ''}{', warm' if self._warm else ''})"

    def submit(self, jobs: Sequence[TrialJob]) -> list[Handle]:
        handles = handles_for(jobs)
        for handle in handles:
            stop = threading.Event()
            self._running[handle] = (self._pool.submit(run_trial, handle.job, stop, self._warm), stop)
        return handles

    def wait(self, handles: Collection[Handle]) -> list[tuple[Handle, RunOutcome]]:
        futures = {self._running[h][0]: h for h in handles if h in self._running}
        if not futures:
            return []
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        finished = []
        for future in done:
            handle = futures[future]
            del self._running[handle]
            finished.append((handle, future.result()))
        return sorted(finished, key=lambda pair: pair[0].number)

    def cancel(self, handles: Collection[Handle]) -> None:
        for handle in handles:
            future, stop = self._running.pop(handle, (None, None))
            if future is not None and stop is not None and not future.cancel():
                stop.set()

    def close(self) -> None:
        self.cancel(list(self._running))
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._warm is not None:
            self._warm.close()
