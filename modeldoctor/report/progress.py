"""Progress of a long run on stderr: `fit 1 · epoch 3/20 · loss 0.41`, while stdout stays clean.

Feed it the probe's progress events (`run_probe(..., on_progress=progress)`).
It draws a transient rich status line only when stderr is a terminal, and
does nothing otherwise (CI logs, pipes, files). Use it as a context manager
so that the line is removed when the run ends, however it ends:

    with Progress() as progress:
        outcome = run_probe(script, args, options, on_progress=progress)

The script's own output should be captured meanwhile (`--quiet`): a status
line and a Keras progress bar writing to the same terminal garble each other.
"""

from __future__ import annotations

import math
import sys
from types import TracebackType
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner


def verdict(event: dict[str, Any]) -> str | None:
    """The line a live diagnosis event leaves on stderr (kept, unlike the status line), or None for others."""
    kind, finding = event.get("event"), event.get("finding")
    epoch = event.get("epoch")
    at = f"at epoch {epoch}" if isinstance(epoch, int) and epoch > 0 else "in the first epoch"
    if kind == "suspect":
        return f"{finding} suspected {at}: {event.get('message')} — confirming"
    if kind == "decided":
        return f"{finding} is decisive {at}: {event.get('why')} — stopping the run (--full runs it to the end)"
    return None


def describe(event: dict[str, Any]) -> str | None:
    """The status text for one progress event, or None for events that change nothing shown."""
    kind = event.get("event")
    if kind not in ("epoch", "fit-end"):
        return None
    parts = []
    fit = event.get("fit")
    if isinstance(fit, int):
        parts.append(f"fit {fit + 1}")
    epoch, epochs = event.get("epoch"), event.get("epochs")
    if isinstance(epoch, int):
        parts.append(f"epoch {epoch}/{epochs}" if isinstance(epochs, int) else f"epoch {epoch}")
    loss = event.get("loss")
    if isinstance(loss, (int, float)) and not isinstance(loss, bool):
        parts.append(f"loss {loss:.4g}" if math.isfinite(loss) else f"loss {loss}")
    if kind == "fit-end":
        parts.append("done")
    return " · ".join(parts) or None


class Progress:
    """Callable sink for progress events; a no-op unless `enabled` (default: stderr is a TTY)."""

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr
        self._stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self._console = Console(file=stream, highlight=False, force_terminal=True) if self.enabled else None
        self._spinner: Spinner | None = None
        self._live: Live | None = None
        self.last: str | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        line = verdict(event)
        if line is not None:
            self._keep(line)
            return
        text = describe(event)
        if text is None:
            return
        self.last = text
        if self._console is None:
            return
        if self._live is None:
            self._spinner = Spinner("dots", text)
            # No redirect of sys.stdout/sys.stderr: the runner copies the script's
            # output to `sys.stderr.buffer`, which rich's redirect proxy lacks.
            self._live = Live(self._spinner, console=self._console, transient=True, refresh_per_second=8,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        else:
            assert self._spinner is not None
            self._spinner.update(text=text)

    def _keep(self, line: str) -> None:
        """A live finding stays on screen, above the status line when there is one (plain on a log or pipe)."""
        if self._live is not None:
            self._live.console.print(f"modeldoctor: {line}", markup=False, highlight=False)
        else:
            self._stream.write(f"modeldoctor: {line}\n")
            self._stream.flush()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
