"""Trials as Ray tasks: on a local single-node Ray, or on the user's cluster (`--address`).

Ray is an extra (`modeldoctor[ray]`) and is imported here only, when the
runner starts: the doctor's own start-up never pays for it. Each trial is
one task with the resources asked for (`--trial-cpus`, `--trial-memory`,
`--trial-gpus`); the job carries the treated source, and on a cluster the
working directory and this package travel with it as the task's runtime
environment, so another node needs neither the file nor modeldoctor
installed, only the training environment (the task runs the node's own
interpreter). Whatever happens to a task comes back as a trial outcome: a
dead worker, a lost node, a cancellation or an error of Ray's is a
`LostRun` with its reason.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modeldoctor.run.runner import PACKAGE_DIR, RunOutcome
from modeldoctor.verify.trials import Handle, RunnerError, TrialJob, handles_for, lost, run_trial

NEEDS_RAY = "--runner ray needs Ray: pip install 'modeldoctor[ray]'"
CONNECT_SECONDS = 5.0
# Not shipped to a cluster with the working directory: version control, environments, caches.
EXCLUDES = [".git", ".venv", "venv", "__pycache__", ".ipynb_checkpoints", ".mypy_cache", ".pytest_cache"]


@dataclass(frozen=True)
class Resources:
    """What one trial asks the scheduler for."""

    cpus: float = 1.0
    gpus: float = 0.0
    memory_gb: float | None = None


def run_shipped(job: TrialJob, shipped: bool) -> RunOutcome:
    """The task: from the shipped working directory on a cluster, from the doctor's own locally."""
    if shipped or not job.cwd.is_dir():
        return run_trial(job)
    with contextlib.chdir(job.cwd):  # one task at a time in a Ray worker process: changing its directory is ours
        return run_trial(job)


def reachable(address: str) -> None:
    """Fail in seconds, not after Ray's minutes of retries, when HOST:PORT does not answer."""
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return  # `auto`, or a form Ray resolves itself
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as error:
        raise RunnerError(f"cannot reach the Ray cluster at {address}: {error.strerror or error}; "
                          f"start one with `ray start --head` there, or leave out --address for a local one")


def root_cause(error: BaseException) -> str:
    """The first line of the innermost cause: Ray wraps `AuthenticationError: ... token is missing` in
    `ConnectionError: Failed to connect`, and only the inner one says what to do."""
    while error.__cause__ is not None:
        error = error.__cause__
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}".rstrip(": ")[:400]


class RayRunner:
    """Trials as Ray tasks. `address=None` starts a private single-node Ray on loopback with `cpus` CPUs."""

    def __init__(self, address: str | None, cpus: int, resources: Resources = Resources()) -> None:
        self.address = address
        self.cpus = cpus
        self.resources = resources
        self._refs: dict[Handle, Any] = {}
        self._ray: Any = None
        self._task: Any = None

    @property
    def name(self) -> str:
        where = f"cluster at {self.address}" if self.address else f"local, {self.cpus} CPU{'s' * (self.cpus > 1)}"
        return f"ray ({where})"

    def start(self) -> RayRunner:
        # Before Ray is imported: no usage report, and a local Ray binds to loopback only.
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        if self.address is None:
            os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        else:
            reachable(self.address)
        try:
            import ray
        except ImportError:
            raise RunnerError(NEEDS_RAY) from None
        quiet: dict[str, Any] = dict(logging_level=logging.ERROR, log_to_driver=False)
        try:
            if self.address is None:
                # "local": a new private instance, even where RAY_ADDRESS or a `ray start` on this machine
                # would have ray.init() join that one instead
                ray.init(address="local", num_cpus=self.cpus, include_dashboard=False,
                         object_store_memory=100 * 2**20, **quiet)
            else:
                ray.init(address=self.address, runtime_env=self.runtime_env(), **quiet)
        except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError... for one reason
            where = f"join the Ray cluster at {self.address}" if self.address else "start a local Ray"
            raise RunnerError(f"could not {where}: {root_cause(error)}") from None
        options: dict[str, Any] = dict(num_cpus=self.resources.cpus, num_gpus=self.resources.gpus, max_retries=0)
        if self.resources.memory_gb:
            options["memory"] = int(self.resources.memory_gb * 2**30)
        self._ray = ray
        self._task = ray.remote(run_shipped).options(**options)
        return self

    def runtime_env(self) -> dict[str, Any]:
        """What travels to a cluster's nodes: the working directory (the trial's copy is written there) and
        this package, so the task and the probe are the driver's."""
        return {"working_dir": str(Path.cwd()), "py_modules": [str(PACKAGE_DIR)], "excludes": EXCLUDES}

    def submit(self, jobs: Sequence[TrialJob]) -> list[Handle]:
        handles = handles_for(jobs)
        for handle in handles:
            try:
                self._refs[handle] = self._task.remote(handle.job, self.address is not None)
            except Exception as error:  # a runtime environment Ray could not package, a closed connection
                self._refs[handle] = error
        return handles

    def wait(self, handles: Collection[Handle]) -> list[tuple[Handle, RunOutcome]]:
        refs = {self._refs[h]: h for h in handles if h in self._refs}
        failed = [(h, self._lost(r)) for r, h in refs.items() if isinstance(r, Exception)]
        if failed or not refs:
            for handle, _ in failed:
                del self._refs[handle]
            return failed
        self._ray.wait(list(refs), num_returns=1)
        ready, _ = self._ray.wait(list(refs), num_returns=len(refs), timeout=0)
        done = []
        for ref in ready:
            handle = refs[ref]
            del self._refs[handle]
            done.append((handle, self._get(ref)))
        return sorted(done, key=lambda pair: pair[0].number)

    def _get(self, ref: Any) -> RunOutcome:
        exceptions = self._ray.exceptions
        try:
            outcome: RunOutcome = self._ray.get(ref)
            return outcome
        except exceptions.TaskCancelledError:
            return lost("cancelled")
        except exceptions.WorkerCrashedError:
            return lost("the Ray worker running it died")
        except (exceptions.NodeDiedError, exceptions.ObjectLostError) as error:
            return lost(f"lost with its Ray node ({type(error).__name__})")
        except exceptions.RayTaskError as error:
            return lost(f"the Ray task failed: {type(error.cause).__name__}: {error.cause}")
        except exceptions.RayError as error:
            return self._lost(error)

    @staticmethod
    def _lost(error: Exception) -> RunOutcome:
        first = str(error).strip().splitlines()
        return lost(f"Ray could not run it: {type(error).__name__}: {first[0] if first else ''}".rstrip(": "))

    def cancel(self, handles: Collection[Handle]) -> None:
        for handle in handles:
            ref = self._refs.pop(handle, None)
            if ref is None or isinstance(ref, Exception):
                continue
            with contextlib.suppress(Exception):  # already finished, or the cluster is gone: nothing to stop
                self._ray.cancel(ref)  # not force: a running trial stops its training child as Ctrl-C does

    def close(self) -> None:
        if self._ray is not None:
            self.cancel(list(self._refs))
            self._ray.shutdown()
            self._ray = None
