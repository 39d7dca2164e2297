"""Running trials: the one small interface between `fix --verify` and whatever executes runs.

A trial job is "run this script copy with this seed under the probe". Locally
a process pool runs them in parallel; a cluster engine would implement the
same `TrialRunner.run`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from modeldoctor.run.runner import RunOptions, RunOutcome, run_probe

TRIAL_PREFIX = ".modeldoctor-trial-"  # the copy beside the script that a trial runs


@dataclass(frozen=True)
class TrialJob:
    script: Path
    args: tuple[str, ...]
    options: RunOptions


class TrialRunner(Protocol):
    def run(self, jobs: Sequence[TrialJob]) -> list[RunOutcome]: ...


def run_job(job: TrialJob) -> RunOutcome:
    return run_probe(job.script, job.args, job.options)


def default_jobs() -> int:
    """What the machine can hold: one training per core, and about 1.5 GB of memory each."""
    cores = os.cpu_count() or 1
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return max(1, min(cores, int(memory // 1.5e9)))
    except (ValueError, OSError, AttributeError):
        return cores


@dataclass(frozen=True)
class LocalPool:
    """Trials in parallel on this machine, each training in its own child process."""

    jobs: int = 1

    def run(self, jobs: Sequence[TrialJob]) -> list[RunOutcome]:
        if self.jobs <= 1 or len(jobs) <= 1:
            return [run_job(job) for job in jobs]
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(jobs))) as pool:
            return list(pool.map(run_job, jobs))
