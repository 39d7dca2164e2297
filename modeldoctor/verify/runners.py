"""Which runner executes the trials, and with what: the options of `fix --verify` as one value."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from modeldoctor.verify.schedule import Schedule
from modeldoctor.verify.trials import LocalPool, RunnerError, TrialRunner, default_jobs


class RunnerKind(str, Enum):
    LOCAL = "local"  # a pool on this machine
    RAY = "ray"  # Ray tasks: a local single-node Ray, or a cluster with --address


@dataclass(frozen=True)
class TrialSettings:
    runner: RunnerKind = RunnerKind.LOCAL
    address: str | None = None  # a Ray cluster's HOST:PORT; None: a local Ray
    jobs: int | None = None  # trials at a time on this machine (a local Ray's CPUs); None: what it holds
    schedule: Schedule = Schedule.BATCHED
    trial_cpus: float = 1.0
    trial_gpus: float = 0.0
    trial_memory_gb: float | None = None
    warm: bool = True  # the local pool forks trials from a warm interpreter (run/warm.py)


def open_runner(settings: TrialSettings) -> TrialRunner:
    """Start the runner the settings name; RunnerError (one line) when it cannot start."""
    jobs = settings.jobs or default_jobs()
    if settings.runner is RunnerKind.LOCAL:
        if settings.address:
            raise RunnerError("--address needs --runner ray")
        if (settings.trial_cpus, settings.trial_gpus, settings.trial_memory_gb) != (1.0, 0.0, None):
            raise RunnerError("--trial-cpus, --trial-gpus and --trial-memory are what each trial asks Ray for: "
                              "they need --runner ray")
        return LocalPool(jobs, warm=settings.warm)
    from modeldoctor.verify.ray_runner import RayRunner, Resources

    resources = Resources(settings.trial_cpus, settings.trial_gpus, settings.trial_memory_gb)
    return RayRunner(settings.address, jobs, resources).start()
