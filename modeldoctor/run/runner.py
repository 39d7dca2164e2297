"""Run the user's script under the probe, in a child process and its own process group.

The doctor's process never imports TensorFlow: the probe runs in the child,
started with the user's interpreter (`--python`) and pointed at this package
through a one-entry PYTHONPATH, so no other package leaks into their
environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from modeldoctor import record as rec
from modeldoctor.diagnose.live import LiveSettings
from modeldoctor.run.warm import WarmProcess, WarmStarts

Child = subprocess.Popen[bytes] | WarmProcess  # a run started cold, or forked from a warm interpreter

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the modeldoctor package, linked into the child's path
TAIL_BYTES = 8_000
GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class RunOptions:
    python: str = sys.executable
    timeout: float | None = None
    max_epochs: int | None = None
    max_steps: int | None = None
    seed: int | None = None
    quiet: bool = False
    verbose: bool = False  # TensorFlow's own start-up logs and the probe's warnings too
    backend: str | None = None  # KERAS_BACKEND for the child; None leaves the environment's
    live: LiveSettings | None = None  # diagnose while training, and stop on a decisive finding (if told to)


@dataclass
class RunOutcome:
    record: rec.RunRecord | None
    returncode: int | None
    timed_out: bool
    stderr_tail: str
    wall_time: float
    interrupted: bool = False  # Ctrl-C in the doctor: the child was stopped, its record kept


def child_env(options: RunOptions, shim: Path, record_path: Path, progress_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(shim), env.get("PYTHONPATH", "")) if p)
    env["MODELDOCTOR_RECORD"] = str(record_path)
    env["MODELDOCTOR_PROGRESS"] = str(progress_path)
    if not options.verbose:
        # TensorFlow's C++ start-up chatter (oneDNN, absl, CUDA probing) is not the script's output.
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("MODELDOCTOR_QUIET_WARNINGS", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    for name, value in (
        ("KERAS_MAX_EPOCHS", options.max_epochs),
        ("KERAS_MAX_STEPS_PER_EPOCH", options.max_steps),
        ("MODELDOCTOR_SEED", options.seed),
    ):
        if value is not None:
            env[name] = str(value)
    if options.seed is not None:
        env["PYTHONHASHSEED"] = str(options.seed)
    if options.backend is not None:
        env["KERAS_BACKEND"] = options.backend
    if options.live is not None:
        env["MODELDOCTOR_LIVE"] = options.live.to_json()
    else:
        env.pop("MODELDOCTOR_LIVE", None)
    return env


# TensorFlow's C++ log lines (absl's `I0000 00:00:1796.. 123 port.cc:153] ...`), which TensorFlow 2.21
# prints before absl reads TF_CPP_MIN_LOG_LEVEL, and absl's own note about them.
CHATTER = re.compile(rb"^(?:WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
                     rb"|[IWEF]\d{4} [\d:.]+ +\d+ [\w./+-]+:\d+\] .*)\r?$")
ABSL_NOTE = b"WARNING: All log messages"


def _maybe_chatter(partial: bytes) -> bool:
    """Could this unfinished line still become a chatter line? (Only those are held back: a progress
    bar written with \\r and no newline passes at once.)"""
    head = partial[: len(ABSL_NOTE)]
    return ABSL_NOTE.startswith(head) or bool(re.match(rb"^[IWEF]\d", partial)) or partial in (b"I", b"W", b"E", b"F")


def _pump(stream: IO[bytes], sink: IO[bytes] | None, tail: deque[bytes], quiet: bool = False) -> None:
    """Copy the child's output through as it comes (progress bars use \\r), keeping a tail;
    `quiet` drops TensorFlow's C++ log lines."""
    held = b""
    for chunk in iter(lambda: stream.read1(4096), b""):  # type: ignore[attr-defined]
        if quiet:
            lines = (held + chunk).split(b"\n")
            held = lines.pop()
            kept = [line + b"\n" for line in lines if not CHATTER.match(line)]
            if held and not _maybe_chatter(held):
                kept.append(held)
                held = b""
            chunk = b"".join(kept)
            if not chunk:
                continue
        tail.append(chunk)
        while sum(len(c) for c in tail) > TAIL_BYTES and len(tail) > 1:
            tail.popleft()
        if sink is not None:
            sink.write(chunk)
            sink.flush()
    if held and not CHATTER.match(held):
        tail.append(held)
        if sink is not None:
            sink.write(held)
            sink.flush()


def _stop_group(proc: Child) -> None:
    for sig, wait in ((signal.SIGTERM, GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _read_progress(path: Path, seen: int, on_progress: Callable[[dict[str, Any]], None]) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return seen
    for line in lines[seen:]:
        try:
            on_progress(json.loads(line))
        except json.JSONDecodeError:
            return seen
        seen += 1
    return seen


@contextlib.contextmanager
def _ctrl_c_as_flag(flag: threading.Event | None = None) -> Iterator[threading.Event]:
    """While the child runs, Ctrl-C sets a flag the watch loop reads instead of raising KeyboardInterrupt
    wherever the main thread happens to be (inside a thread's start, a lock, a write): stopping the child
    and keeping its record is then always the same path. Off the main thread no handler can be set;
    there KeyboardInterrupt is still caught around the loop. A `flag` given by the caller stops the child
    the same way when another thread sets it (a trial cancelled by `fix --verify`)."""
    flag = flag or threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: flag.set())
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _watch(script: Path, args: Sequence[str], options: RunOptions, record_path: Path, progress_path: Path,
           shim: Path, started: float, on_progress: Callable[[dict[str, Any]], None] | None,
           ctrl_c: threading.Event, warm: WarmStarts | None = None) -> tuple[Child, bool, bool, str]:
    """Start the child (forked from a warm interpreter when `warm` has one for it), copy its output, stop it
    on timeout or Ctrl-C.

    Returns the process, whether it was interrupted or timed out, and the tail of its stderr."""
    argv = [options.python, "-m", "modeldoctor.probe", str(script), *args]
    env = child_env(options, shim, record_path, progress_path)
    proc: Child | None = warm.start(argv, env, os.getcwd(), shim) if warm is not None else None
    if proc is None:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    sink = None if options.quiet else sys.stderr.buffer
    out_tail: deque[bytes] = deque()
    err_tail: deque[bytes] = deque()
    pumps = [
        threading.Thread(target=_pump, args=(proc.stdout, sink, out_tail), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, sink, err_tail, not options.verbose), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    timed_out, interrupted, seen = False, False, 0
    try:
        while proc.poll() is None:
            if ctrl_c.is_set():
                interrupted = True
                _stop_group(proc)
                break
            if options.timeout is not None and time.perf_counter() - started > options.timeout:
                timed_out = True
                _stop_group(proc)
                break
            if on_progress is not None:
                seen = _read_progress(progress_path, seen, on_progress)
            time.sleep(0.1)
    except KeyboardInterrupt:
        # The child runs in its own session, so Ctrl-C reaches only us: stop it, keep what it recorded.
        interrupted = True
        _stop_group(proc)
    except BaseException:
        _stop_group(proc)
        raise
    for pump in pumps:
        pump.join(timeout=2)
    if on_progress is not None:
        _read_progress(progress_path, seen, on_progress)
    return proc, interrupted, timed_out, b"".join(err_tail).decode("utf-8", "replace")


def run_probe(
    script: Path,
    args: Sequence[str],
    options: RunOptions,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    stop: threading.Event | None = None,
    warm: WarmStarts | None = None,
) -> RunOutcome:
    """Run `script` with `args` under the probe from the current directory; setting `stop` ends it as Ctrl-C
    does (the record so far is kept); `warm` forks it from an interpreter that has imported the framework."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="modeldoctor-") as tmp:
        work = Path(tmp)
        shim = work / "shim"
        shim.mkdir()
        (shim / "modeldoctor").symlink_to(PACKAGE_DIR, target_is_directory=True)
        record_path, progress_path = work / "record.json", work / "progress.jsonl"
        with _ctrl_c_as_flag(stop) as ctrl_c:
            proc, interrupted, timed_out, tail = _watch(script, args, options, record_path, progress_path, shim,
                                                        started, on_progress, ctrl_c, warm)
        record = None
        if record_path.exists():
            try:
                record = rec.load(record_path)
            except rec.RecordError:
                record = None
        if record is not None:
            record.exit = _how_it_ended(record.exit, proc.returncode, timed_out, interrupted, options.timeout)
            record.exit.stderr_tail = tail
    return RunOutcome(
        record=record,
        returncode=proc.returncode,
        timed_out=timed_out,
        stderr_tail=tail,
        wall_time=time.perf_counter() - started,
        interrupted=interrupted,
    )


def _how_it_ended(exit: rec.ExitInfo, returncode: int | None, timed_out: bool, interrupted: bool,
                  timeout: float | None) -> rec.ExitInfo:
    """What stopped the run, as the doctor saw it: the child cannot know it was timed out or killed."""
    if timed_out:
        return rec.ExitInfo(status=rec.Status.TIMEOUT, returncode=returncode,
                            message=f"timed out after {timeout:g} s" if timeout is not None else "timed out")
    if interrupted:
        return rec.ExitInfo(status=rec.Status.INTERRUPTED, returncode=returncode, message="interrupted (Ctrl-C)")
    if exit.status == rec.Status.RUNNING:  # the last record written was an epoch's: the child died after it
        what = f"signal {-returncode}" if returncode is not None and returncode < 0 else f"status {returncode}"
        return rec.ExitInfo(status=rec.Status.KILLED, returncode=returncode, message=f"killed ({what})")
    return exit
