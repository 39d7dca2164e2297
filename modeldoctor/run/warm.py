"""Warm starts: runs of the same script forked from an interpreter that has already imported the framework.

`fix --verify` runs one script a dozen times with the same environment but
for the seed; on a small training, importing TensorFlow is most of each
run's wall time. A `WarmStarts` keeps one warm interpreter
(`modeldoctor.probe.warm`) per environment a run needs at start-up (the
interpreter, the seed, the epoch caps, the backend...) and asks it for a
forked child per run. The child looks to the run's watcher like the
`subprocess.Popen` it replaces (`pid`, `poll`, `wait`, `stdout`, `stderr`,
its own process group), so timeouts, cancelling and the record's reading do
not change. When a warm interpreter cannot serve (another backend, an
import that fails, no SOCK_SEQPACKET on this platform), `start` returns
None and the run starts cold, as before.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

# What differs between runs without changing the interpreter they start from: read by the probe at run time.
PER_RUN = ("MODELDOCTOR_RECORD", "MODELDOCTOR_PROGRESS", "MODELDOCTOR_LIVE")
READY_SECONDS = 120.0  # an import that takes longer than this is not worth waiting for


def starts_alike(source: str) -> bool:
    """Would this script start the same forked from a warm interpreter? Not if it may set the environment
    itself: `os.environ["KERAS_BACKEND"] = "jax"` or `TF_ENABLE_ONEDNN_OPTS` before its first import of
    Keras chooses what that import does, and in a warm interpreter the import has already happened."""
    return "environ" not in source and "putenv" not in source


class WarmProcess:
    """A run forked by a warm interpreter, as much of `subprocess.Popen` as the watcher uses."""

    def __init__(self, pid: int, stdout: IO[bytes], stderr: IO[bytes], server: WarmServer, number: int) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self._server = server
        self._number = number

    @property
    def returncode(self) -> int | None:
        return self._server.exit_code(self._number)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._server.exited(self._number).wait(timeout):
            raise subprocess.TimeoutExpired(f"warm run {self.pid}", timeout or 0.0)
        code = self.returncode
        assert code is not None
        return code


class WarmServer:
    """One warm interpreter and the conversation with it (a reader thread files its replies)."""

    def __init__(self, python: str, env: Mapping[str, str], shim: Path) -> None:
        self._lock = threading.Lock()
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: dict[int, tuple[threading.Event, threading.Event]] = {}
        self._numbers = 0
        self._ready = threading.Event()
        self.declined: str | None = None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        server_env = dict(env)
        server_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(shim), env.get("PYTHONPATH", "")) if p)
        self._proc = subprocess.Popen([python, "-m", "modeldoctor.probe.warm", str(theirs.fileno())],
                                      env=server_env, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        threading.Thread(target=self._read, daemon=True, name="modeldoctor-warm").start()

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            message = json.loads(data)
            if "ready" in message or "declined" in message:
                self.declined = message.get("declined")
                self._ready.set()
                continue
            with self._lock:
                self._replies.setdefault(message["id"], {}).update(message)
                started, exited = self._events[message["id"]]
            (exited if "exit" in message else started).set()
        # The interpreter is gone: whatever it still ran is lost with it (killed, as far as the watcher knows).
        self.declined = self.declined or "the warm interpreter exited"
        self._ready.set()
        with self._lock:
            for number, (started, exited) in self._events.items():
                self._replies.setdefault(number, {}).setdefault("exit", -9)
                started.set()
                exited.set()

    def exit_code(self, number: int) -> int | None:
        with self._lock:
            return self._replies.get(number, {}).get("exit")

    def exited(self, number: int) -> threading.Event:
        return self._events[number][1]

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: str) -> WarmProcess | None:
        """Fork a run; None when this interpreter cannot (declined, or gone)."""
        if not self._ready.wait(READY_SECONDS) or self.declined is not None:
            return None
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        with self._lock:
            self._numbers += 1
            number = self._numbers
            self._events[number] = (threading.Event(), threading.Event())
        request = {"id": number, "argv": list(argv), "env": dict(env), "cwd": cwd}
        try:
            socket.send_fds(self._sock, [json.dumps(request).encode()], [out_w, err_w])
        except OSError:
            for fd in (out_r, out_w, err_r, err_w):
                os.close(fd)
            return None
        finally:
            for fd in (out_w, err_w):
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._events[number][0].wait()
        with self._lock:
            pid = self._replies[number].get("pid")
        stdout, stderr = os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb")
        if pid is None:  # lost before it started
            stdout.close()
            stderr.close()
            return None
        return WarmProcess(pid, stdout, stderr, self, number)

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


class WarmStarts:
    """The warm interpreters of one verification, one per start-up environment, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[tuple[str, frozenset[tuple[str, str]]], WarmServer] = {}
        self._shim = tempfile.TemporaryDirectory(prefix="modeldoctor-warm-")
        self._closed = False

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: str, shim: Path) -> WarmProcess | None:
        """Fork `argv` (`python -m modeldoctor.probe SCRIPT ...`) from a warm interpreter, or None: start it cold."""
        python, *rest = argv
        if rest[:2] != ["-m", "modeldoctor.probe"] or not hasattr(socket, "SOCK_SEQPACKET"):
            return None
        paths = env.get("PYTHONPATH", "").split(os.pathsep)
        outer = os.pathsep.join(p for p in paths if p != str(shim))
        start_env = {k: v for k, v in env.items() if k not in PER_RUN and k != "PYTHONPATH"}
        if outer:
            start_env["PYTHONPATH"] = outer
        key = (python, frozenset(start_env.items()))
        with self._lock:
            if self._closed:
                return None
            server = self._servers.get(key)
            if server is None:
                link = Path(self._shim.name) / "modeldoctor"
                if not link.exists():
                    link.symlink_to(Path(__file__).resolve().parent.parent, target_is_directory=True)
                try:
                    server = self._servers[key] = WarmServer(python, start_env, Path(self._shim.name))
                except OSError:
                    return None
        return server.start(rest[2:], env, cwd)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()
        self._shim.cleanup()
