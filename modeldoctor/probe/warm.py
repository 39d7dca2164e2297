"""A warm interpreter for trials: the framework imported once, every run forked from it.

`python -m modeldoctor.probe.warm FD` (started by `modeldoctor.run.warm`).
Importing TensorFlow costs about 4 s of CPU, most of a small training's wall
time, and `fix --verify` starts a dozen runs of the same script with the
same environment. So this process imports Keras (and its backend) once and
forks a child per run; the child is what a fresh `python -m
modeldoctor.probe` would have been one import later, and runs the same
`probe.__main__.main`. Only fork-safe backends are served: TensorFlow
imported but not yet run is; JAX says it is not. Anything else declines, and
the doctor starts its runs the usual way.

The doctor speaks to this process over one Unix datagram-like socket
(SOCK_SEQPACKET): a request carries the run's argv, environment and working
directory, with its stdout and stderr pipes attached as file descriptors;
the replies say the child's pid (once it is a session leader, so that the
doctor may signal its group) and, later, its exit status.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import sys
import traceback
import warnings
from typing import Any

FORK_SAFE = ("tensorflow",)


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    try:
        sock.send(json.dumps(message).encode())
    except OSError:  # the doctor is gone: nothing to tell
        pass


def _child(sock: socket.socket, request: dict[str, Any], out: int, err: int, ready: int) -> None:
    """The forked run: a session of its own, the run's pipes as stdout/stderr, then the probe. Never returns."""
    code = 70
    try:
        os.setsid()
        os.write(ready, b"x")
        os.close(ready)
        sock.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDONLY)
        for fd, target in ((devnull, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["-m", *request["argv"]]
        from modeldoctor.probe.__main__ import main

        code = main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - the run's failure, told on its own stderr
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed pipe: nothing more to say
                pass
        os._exit(code)


def _start(sock: socket.socket, request: dict[str, Any], fds: list[int], children: dict[int, int]) -> None:
    out, err = fds
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        _child(sock, request, out, err, ready_w)
    os.close(ready_w)
    os.close(out)
    os.close(err)
    os.read(ready_r, 1)  # the child leads its own session now: its group can be signalled
    os.close(ready_r)
    children[pid] = request["id"]
    _send(sock, {"id": request["id"], "pid": pid})


def _reap(sock: socket.socket, children: dict[int, int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in children:
            _send(sock, {"id": children.pop(pid), "exit": os.waitstatus_to_exitcode(status)})


def serve(sock: socket.socket) -> None:
    children: dict[int, int] = {}
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        while True:
            if selector.select(timeout=0.05):
                data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 2)
                if not data:  # the doctor closed: its runs end with it
                    for pid in children:
                        try:
                            os.killpg(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    return
                _start(sock, json.loads(data), fds, children)
            _reap(sock, children)


def main() -> int:
    sock = socket.socket(fileno=int(sys.argv[1]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the doctor's to handle, not ours
    try:
        import keras

        backend = keras.backend.backend()
    except BaseException as error:  # noqa: BLE001 - no warm start, said in one line
        _send(sock, {"declined": f"keras could not be imported: {type(error).__name__}: {error}"})
        return 0
    if backend not in FORK_SAFE:
        _send(sock, {"declined": f"the {backend} backend cannot be forked safely"})
        return 0
    # TensorFlow's idle C++ threads hold no lock after an import; the child runs no Python thread of ours.
    warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
    _send(sock, {"ready": backend})
    serve(sock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
